"""The engine's behaviour: graph walking, accumulation, grad modes, dtypes, stability, aliasing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from descend.autograd import (
    Function,
    Tensor,
    Variable,
    enable_grad,
    is_grad_enabled,
    no_grad,
    ops,
)

# ------------------------------------------------------------------ long chains, order


@pytest.mark.parametrize("length", [2_000, 10_000])
def test_long_chain_backward_needs_no_recursion(length: int) -> None:
    x = Tensor([0.5, -1.0], requires_grad=True)
    y = x
    for _ in range(length):
        y = y * 1.0001 + 0.0
    y.sum().backward()
    np.testing.assert_allclose(x.grad, 1.0001 ** length, rtol=1e-3)


def test_topological_order_when_a_node_reaches_another_by_two_paths() -> None:
    # r = b + a where a itself depends on b: b must receive a's contribution before
    # it is propagated, whichever operand order the graph records
    for order in ("b+a", "a+b"):
        x = Tensor([1.0], requires_grad=True)
        b = x * 2.0
        a = b * 3.0
        r = b + a if order == "b+a" else a + b
        r.sum().backward()
        np.testing.assert_allclose(x.grad, [8.0], err_msg=order)


def test_diamond_and_leaf_used_twice_accumulate() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * x           # d/dx = 2x
    y = h * 3.0 + h.exp() + x  # two paths through h, and x used directly too
    y.sum().backward()
    expected = 6 * x.data + np.exp(x.data ** 2) * 2 * x.data + 1
    np.testing.assert_allclose(x.grad, expected, rtol=1e-6)
    w = Tensor([3.0], requires_grad=True)
    (w * w * w).sum().backward()
    np.testing.assert_allclose(w.grad, [27.0])


def test_gradients_accumulate_across_backward_calls() -> None:
    w = Tensor([1.0, -2.0], requires_grad=True)
    (w * 3.0).sum().backward()
    (w * w).sum().backward()
    np.testing.assert_allclose(w.grad, [3.0 + 2.0, 3.0 - 4.0])
    w.zero_grad()
    assert w.grad is None
    (w * 3.0).sum().backward()
    np.testing.assert_allclose(w.grad, [3.0, 3.0])


def test_retain_graph_allows_a_second_backward_and_a_freed_graph_raises() -> None:
    w = Tensor([2.0], requires_grad=True)
    loss = (w * w).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_allclose(w.grad, [8.0])
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        loss.backward()
    np.testing.assert_allclose(w.grad, [8.0])  # nothing silently added


def test_backward_through_a_freed_intermediate_raises() -> None:
    w = Tensor([2.0], requires_grad=True)
    h = w.exp()
    h.sum().backward()
    with pytest.raises(RuntimeError, match="already freed"):
        (h * 2.0).sum().backward()
    assert not h.is_leaf


def test_backward_on_non_scalar_needs_grad() -> None:
    y = Tensor([1.0, 2.0], requires_grad=True) * 2.0
    with pytest.raises(ValueError, match=r"shape \(2,\).*\.sum\(\)"):
        y.backward()
    with pytest.raises(ValueError, match="shape"):
        y.backward(np.ones(3))
    y.backward(np.array([1.0, 10.0]))


def test_backward_without_requires_grad_raises() -> None:
    with pytest.raises(RuntimeError, match="does not require grad"):
        (Tensor([1.0]) * 2.0).sum().backward()
    w = Tensor([1.0], requires_grad=True)
    with no_grad():
        y = (w * 2.0).sum()
    with pytest.raises(RuntimeError, match="no_grad"):
        y.backward()


def test_backward_on_a_leaf() -> None:
    w = Tensor([1.0, 2.0], requires_grad=True)
    g = np.array([3.0, 4.0], np.float32)
    w.backward(g)
    np.testing.assert_array_equal(w.grad, g)
    assert w.grad is not g


def test_intermediate_gradients_are_not_retained() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 2.0
    y = h.sum()
    y.backward()
    assert h.grad is None and y.grad is None
    assert x.grad is not None


def test_only_inputs_requiring_grad_receive_gradients() -> None:
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0])
    (a * b).sum().backward()
    assert b.grad is None
    np.testing.assert_array_equal(a.grad, b.data)


# --------------------------------------------------------------------------- grad modes


def test_no_grad_records_nothing_and_enable_grad_inside_it() -> None:
    w = Tensor([1.0, 2.0], requires_grad=True)
    assert is_grad_enabled()
    with no_grad():
        assert not is_grad_enabled()
        y = ops.tanh(w * 2.0).sum()
        assert y._ctx is None and not y.requires_grad
        with enable_grad():
            assert is_grad_enabled()
            z = (w * 2.0).sum()
        assert not is_grad_enabled()
    assert is_grad_enabled()
    assert z.requires_grad and z._ctx is not None
    z.backward()
    np.testing.assert_allclose(w.grad, [2.0, 2.0])


def test_grad_mode_is_restored_after_an_exception() -> None:
    with pytest.raises(KeyError), no_grad():
        raise KeyError("boom")
    assert is_grad_enabled()


def test_no_grad_forward_keeps_no_saved_state_for_fused_ops() -> None:
    x = Tensor(np.ones((2, 3)))
    k = Tensor(np.ones((3, 4)), requires_grad=True)
    with no_grad():
        out = ops.dense(x, k, activation="relu")
    assert out._ctx is None
    np.testing.assert_allclose(out.data, 3.0)


# ------------------------------------------------------------------------------ dtypes


class Probe(Function):
    """Identity that records the dtype of the gradient an op sends to its input."""

    seen: list[np.dtype] = []

    def forward(self, a):
        return a

    def backward(self, grad):
        Probe.seen.append(grad.dtype)
        return (grad,)


_M = np.array([[True, False, True], [False, True, True]])
# name -> (function, input shapes, domain of the inputs)
DTYPE_OPS: dict[str, tuple[Callable[..., Tensor], tuple[tuple[int, ...], ...], str]] = {
    "add": (ops.add, ((2, 3), (3,)), "any"),
    "sub": (ops.sub, ((2, 3), (2, 1)), "any"),
    "mul": (ops.mul, ((2, 3), ()), "any"),
    "div": (ops.div, ((2, 3), (3,)), "positive"),
    "neg": (ops.neg, ((2, 3),), "any"),
    "pow": (ops.pow, ((2, 3), (3,)), "positive"),
    "square": (ops.square, ((2, 3),), "any"),
    "exp": (ops.exp, ((2, 3),), "any"),
    "log": (ops.log, ((2, 3),), "positive"),
    "sqrt": (ops.sqrt, ((2, 3),), "positive"),
    "abs": (ops.abs, ((2, 3),), "any"),
    "maximum": (ops.maximum, ((2, 3), (3,)), "any"),
    "minimum": (ops.minimum, ((2, 3), (2, 1)), "any"),
    "maximum-tie": (lambda a: ops.maximum(a, a * 1.0), ((2, 3),), "any"),
    "where": (lambda a, b: ops.where(_M, a, b), ((2, 3), (3,)), "any"),
    "cast": (lambda a: ops.cast(ops.cast(a, "float16"), a.dtype), ((2, 3),), "any"),
    "clip": (lambda a: ops.clip(a, 0.2, 0.8), ((2, 3),), "any"),
    "sum": (lambda a: ops.sum(a, axis=0), ((2, 3),), "any"),
    "sum-all": (ops.sum, ((2, 3),), "any"),
    "mean": (lambda a: ops.mean(a, axis=(0, 1)), ((2, 3),), "any"),
    "max": (lambda a: ops.max(a, axis=1), ((2, 3),), "any"),
    "min": (ops.min, ((2, 3),), "any"),
    "logsumexp": (lambda a: ops.logsumexp(a, axis=-1), ((2, 3),), "any"),
    "reshape": (lambda a: ops.reshape(a, (3, 2)), ((2, 3),), "any"),
    "transpose": (ops.transpose, ((2, 3),), "any"),
    "broadcast_to": (lambda a: ops.broadcast_to(a, (2, 3)), ((3,),), "any"),
    "expand_dims": (lambda a: ops.expand_dims(a, 0), ((2, 3),), "any"),
    "squeeze": (ops.squeeze, ((1, 3),), "any"),
    "getitem": (lambda a: a[[0, 0, 1], 1:], ((2, 3),), "any"),
    "getitem-mask": (lambda a: a[_M], ((2, 3),), "any"),
    "concatenate": (lambda a, b: ops.concatenate([a, b], axis=1), ((2, 3), (2, 1)), "any"),
    "stack": (lambda a, b: ops.stack([a, b], axis=-1), ((2, 3), (2, 3)), "any"),
    "matmul": (ops.matmul, ((2, 3), (3, 4)), "any"),
    "matmul-batched-vector": (ops.matmul, ((3,), (2, 3, 4)), "any"),
    "sigmoid": (ops.sigmoid, ((2, 3),), "any"),
    "tanh": (ops.tanh, ((2, 3),), "any"),
    "relu": (ops.relu, ((2, 3),), "any"),
    "softmax": (lambda a: ops.softmax(a, axis=0), ((2, 3),), "any"),
    "log_softmax": (ops.log_softmax, ((2, 3),), "any"),
    "dense-relu": (lambda x, k, b: ops.dense(x, k, b, "relu"), ((2, 3), (3, 4), (4,)), "any"),
    "dense-softmax": (lambda x, k: ops.dense(x, k, activation="softmax"), ((2, 3), (3, 4)),
                      "any"),
    "dense_stack": (lambda x, k1, b1, k2: ops.dense_stack(
        x, [(k1, b1, "tanh"), (k2, None, "sigmoid")]), ((2, 3), (3, 4), (4,), (4, 2)), "any"),
    "softmax_crossentropy": (lambda z: ops.softmax_crossentropy(z, [0, 2]), ((2, 3),), "any"),
    "softmax_crossentropy-dense": (
        lambda z: ops.softmax_crossentropy(z, np.eye(3)[[0, 2]], sparse=False), ((2, 3),),
        "any"),
    "probability_crossentropy": (lambda p: ops.probability_crossentropy(p, [1, 2]), ((2, 3),),
                                 "positive"),
    "probability_crossentropy-dense": (
        lambda p: ops.probability_crossentropy(p, np.eye(3)[[1, 2]], sparse=False), ((2, 3),),
        "positive"),
    "binary_crossentropy": (lambda p: ops.binary_crossentropy(p, _M.astype(float)), ((2, 3),),
                            "unit"),
    "binary_crossentropy-logits": (
        lambda z: ops.binary_crossentropy(z, _M.astype(float), from_logits=True), ((2, 3),),
        "any"),
}


def _point(shape: tuple[int, ...], domain: str, dtype: Any, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if domain == "positive":
        return rng.uniform(0.5, 2.0, shape).astype(dtype)
    if domain == "unit":
        return rng.uniform(0.1, 0.9, shape).astype(dtype)
    return rng.uniform(-1.0, 1.0, shape).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", list(DTYPE_OPS))
def test_dtype_is_preserved_forward_and_backward(name: str, dtype: Any) -> None:
    fn, shapes, domain = DTYPE_OPS[name]
    leaves = [Tensor(_point(s, domain, dtype, i), requires_grad=True)
              for i, s in enumerate(shapes)]
    Probe.seen = []
    out = fn(*[Probe.apply(t) for t in leaves])
    assert out.dtype == dtype, f"{name} forward gave {out.dtype}"
    assert type(out.data) is np.ndarray
    (out * 1.5).sum().backward()
    # the gradient each op hands to its inputs, not only the leaves' cast copies
    assert Probe.seen and all(d == dtype for d in Probe.seen), (name, Probe.seen)
    for t in leaves:
        assert t.grad is not None and t.grad.dtype == dtype and t.grad.shape == t.shape
        assert np.all(np.isfinite(t.grad))


def test_dtype_cases_cover_every_primitive() -> None:
    covered = {name.split("-")[0] for name in DTYPE_OPS}
    assert set(ops.__all__) - {"as_tensor"} <= covered


def test_python_numbers_do_not_upcast_float32() -> None:
    x = Tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    results = [x + 1, 1 + x, x - 0.5, 0.5 - x, x * 2.5, 2.5 * x, x / 3, 3 / x, x ** 2,
               2 ** x, x ** 0.5, x * np.float64(2.0), np.float64(2.0) + x, -x, abs(x),
               ops.maximum(x, 1.5), ops.where([True, False], x, 0.0), x.clip(0.0, 1.5)]
    for i, r in enumerate(results):
        assert r.dtype == np.float32, (i, r.dtype)
    sum(r.sum() for r in results).backward()
    assert x.grad.dtype == np.float32


def test_ndarray_operands_defer_to_tensor() -> None:
    x = Tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    f32 = np.array([3.0, 4.0], np.float32)
    ints = np.array([1, 2])
    for r in (f32 * x, f32 + x, f32 - x, f32 / x, ints + x, ints * x, x @ f32, f32 @ x):
        assert isinstance(r, Tensor) and r.dtype == np.float32 and r.requires_grad
    f64 = np.ones(2) * x  # an explicit float64 array promotes, as in NumPy
    assert isinstance(f64, Tensor) and f64.dtype == np.float64
    (f32 * x).sum().backward()
    np.testing.assert_array_equal(x.grad, f32)
    assert x.grad.dtype == np.float32


def test_default_dtype_conversions() -> None:
    assert Tensor([1, 2]).dtype == np.float32
    assert Tensor(2.5).dtype == np.float32
    assert Tensor(np.array([True, False])).dtype == np.float32
    assert Tensor(np.zeros(2)).dtype == np.float64
    assert Tensor([1.0], dtype="float64").dtype == np.float64
    with pytest.raises(TypeError, match="numeric"):
        Tensor(np.array(["a", "b"]))


def test_float64_end_to_end() -> None:
    rng = np.random.default_rng(0)
    x = Tensor(rng.normal(size=(5, 3)))
    k1 = Variable(rng.normal(size=(3, 4)), dtype="float64")
    b1 = Variable(np.zeros(4), dtype="float64")
    k2 = Variable(rng.normal(size=(4, 2)), dtype="float64")
    h = ops.dense(x, k1, b1, "tanh")
    loss = ops.softmax_crossentropy(h @ k2, [0, 1, 1, 0, 1]).mean()
    assert loss.dtype == np.float64
    loss.backward()
    for v in (k1, b1, k2):
        assert v.grad.dtype == np.float64


def test_full_reductions_hold_ndarrays() -> None:
    x = Tensor(np.ones((2, 3), np.float32), requires_grad=True)
    for out in (x.sum(), x.mean(), x.max(), ops.logsumexp(x), x[0, 1]):
        assert type(out.data) is np.ndarray and out.shape == ()
    s = Tensor(3.0, requires_grad=True)
    (s * s).backward()
    (s * s).backward()
    assert type(s.grad) is np.ndarray
    np.testing.assert_allclose(s.grad, 12.0)


# ---------------------------------------------------------------- numerical stability


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_stable_ops_on_extreme_inputs(dtype: Any) -> None:
    def t(values: Any) -> Tensor:
        return Tensor(np.array(values, dtype), requires_grad=True)

    with np.errstate(over="raise", invalid="raise", divide="raise"):
        x = t([1000.0, -1000.0, 0.0])
        s = ops.sigmoid(x)
        np.testing.assert_allclose(s.data, [1.0, 0.0, 0.5])
        s.sum().backward()
        np.testing.assert_allclose(x.grad, [0.0, 0.0, 0.25])

        z = t([[1000.0, 0.0], [-1000.0, -1000.0]])
        np.testing.assert_allclose(ops.softmax(z).data, [[1.0, 0.0], [0.5, 0.5]])
        np.testing.assert_allclose(ops.log_softmax(z).data,
                                   [[0.0, -1000.0], [-np.log(2), -np.log(2)]], rtol=1e-6)
        lse = ops.logsumexp(z, axis=-1)
        np.testing.assert_allclose(lse.data, [1000.0, -1000.0 + np.log(2)], rtol=1e-6)
        lse.sum().backward()
        np.testing.assert_allclose(z.grad, [[1.0, 0.0], [0.5, 0.5]])
        big = ops.logsumexp(t([1e4, 1e4, 1e4]))
        np.testing.assert_allclose(big.data, 1e4 + np.log(3), rtol=1e-6)

        logits = t([[1000.0, 0.0, -1000.0], [1000.0, 0.0, -1000.0]])
        ce = ops.softmax_crossentropy(logits, [0, 2])
        np.testing.assert_allclose(ce.data, [0.0, 2000.0], rtol=1e-6)
        ce.sum().backward()
        np.testing.assert_allclose(logits.grad, [[0, 0, 0], [1, 0, -1]], atol=1e-6)

        dense_ce = ops.softmax_crossentropy(t([[1e4, -1e4]]), [[0.0, 1.0]], sparse=False)
        np.testing.assert_allclose(dense_ce.data, [2e4], rtol=1e-6)

        zl = t([1000.0, -1000.0, 1000.0])
        bce = ops.binary_crossentropy(zl, [1.0, 0.0, 0.0], from_logits=True)
        np.testing.assert_allclose(bce.data, [0.0, 0.0, 1000.0], rtol=1e-6)
        bce.sum().backward()
        np.testing.assert_allclose(zl.grad, [0.0, 0.0, 1.0])

        kernel = t([[1000.0, -1000.0]])
        out = ops.dense(t([[1.0]]), kernel, activation="sigmoid")
        np.testing.assert_allclose(out.data, [[1.0, 0.0]])
        out.sum().backward()
        assert np.all(np.isfinite(kernel.grad))

    for value in (ce.data, lse.data, bce.data):
        assert value.dtype == dtype


def test_probability_losses_clip_instead_of_producing_inf() -> None:
    p = Tensor(np.array([[0.0, 1.0]], np.float32), requires_grad=True)
    with np.errstate(divide="raise", invalid="raise"):
        loss = ops.probability_crossentropy(p, [0])
        loss.sum().backward()
    assert np.isfinite(loss.data).all() and np.isfinite(p.grad).all()
    np.testing.assert_allclose(loss.data, -np.log(np.float32(1e-7)), rtol=1e-4)


# ---------------------------------------------------------------- loss target validation


@pytest.mark.parametrize("op", [ops.softmax_crossentropy, ops.probability_crossentropy],
                         ids=["softmax_crossentropy", "probability_crossentropy"])
def test_sparse_targets_are_validated(op: Callable[..., Tensor]) -> None:
    z = Tensor(np.full((2, 3), 0.5))
    with pytest.raises(ValueError, match=r"\[0, 2\].*received ids from 0 to 3"):
        op(z, [0, 3])
    with pytest.raises(ValueError, match="received ids from -1"):
        op(z, [-1, 0])
    with pytest.raises(ValueError, match="sparse=False"):
        op(z, np.eye(3)[[0, 1]])
    with pytest.raises(ValueError, match="non-integer"):
        op(z, [0.5, 1.0])
    with pytest.raises(ValueError, match=r"predictions' shape \(2, 3\)"):
        op(z, [0, 1], sparse=False)
    assert op(z, np.array([[0.0], [2.0]])).shape == (2,)  # (n, 1) float ids are fine


# ---------------------------------------------------------------------------- Variable


def test_variable_assign_and_value() -> None:
    v = Variable(np.zeros((2, 3), dtype="float32"), name="kernel")
    assert v.dtype == np.float32 and v.requires_grad and v.is_leaf
    v.assign(np.ones((2, 3)))
    np.testing.assert_array_equal(v.value, 1.0)
    v.assign(Tensor(np.full((2, 3), 2.0)))
    np.testing.assert_array_equal(v.data, 2.0)
    copy = v.numpy()
    copy[...] = -1.0
    np.testing.assert_array_equal(v.data, 2.0)
    with pytest.raises(ValueError, match=r"'kernel'.*\(3, 2\).*\(2, 3\)"):
        v.assign(np.ones((3, 2)))


def test_variable_trainable_switches_requires_grad() -> None:
    v = Variable([1.0, 2.0], trainable=False)
    assert not v.requires_grad
    (v * 2.0 + Tensor([1.0, 1.0], requires_grad=True)).sum().backward()
    assert v.grad is None
    v.trainable = True
    assert v.requires_grad


def test_variable_in_shared_storage_accumulates_into_its_grad_sink() -> None:
    values = np.zeros(10, np.float32)
    grads = np.full(10, np.nan, np.float32)
    v = Variable(np.arange(6.0).reshape(2, 3))
    v.use_storage(values[2:8].reshape(2, 3))
    v.set_grad_sink(grads[2:8].reshape(2, 3))
    np.testing.assert_array_equal(values[2:8], np.arange(6.0))
    assert v.grad is None and np.shares_memory(v.data, values)
    v.assign(np.ones((2, 3)))
    np.testing.assert_array_equal(values[2:8], 1.0)

    (v * 2.0).sum().backward()
    assert np.shares_memory(v.grad, grads)
    np.testing.assert_array_equal(grads[2:8], 2.0)
    (v * v).sum().backward()  # the second backward adds into the sink
    np.testing.assert_array_equal(grads[2:8], 4.0)
    assert np.isnan(grads[:2]).all() and np.isnan(grads[8:]).all()
    v.zero_grad()
    (v * 3.0).sum().backward()  # after zero_grad the sink is overwritten, not added to
    np.testing.assert_array_equal(grads[2:8], 3.0)
    assert np.shares_memory(v.grad, grads)
    v.set_grad_sink(None)  # no sink: a fresh array again
    (v * 3.0).sum().backward()
    assert not np.shares_memory(v.grad, grads)


def test_a_plain_tensor_takes_a_sink_and_a_primitive_may_write_into_it() -> None:
    sink = np.zeros((3, 2), np.float32)
    w = Tensor(np.ones((3, 2)), requires_grad=True)
    w.set_grad_sink(sink)
    x = Tensor(np.arange(12.0).reshape(4, 3))
    ops.dense(x, w, None, "linear").sum().backward()  # Dense's backward: matmul(out=sink)
    assert w.grad is sink
    np.testing.assert_array_equal(sink, x.data.T @ np.ones((4, 2)))


def test_a_sink_is_not_handed_out_for_an_input_used_twice() -> None:
    sink = np.zeros((2, 2), np.float32)
    w = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    w.set_grad_sink(sink)
    ops.dense(w, w, None, "linear").sum().backward()  # w as input and as kernel
    expected = np.ones((2, 2)) @ w.data.T + w.data.T @ np.ones((2, 2))
    np.testing.assert_allclose(w.grad, expected)
    assert w.grad is sink


@pytest.mark.parametrize("bad", [np.zeros(3), np.zeros((3, 2)),
                                 "not an array"])
def test_storage_and_sink_must_fit(bad) -> None:
    v = Variable(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="use_storage.*shape"):
        v.use_storage(bad)
    with pytest.raises(ValueError, match="set_grad_sink.*shape"):
        v.set_grad_sink(bad)
    frozen = np.zeros((2, 2))
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match="writable"):
        v.set_grad_sink(frozen)


# ---------------------------------------------------------------------------- aliasing


def test_leaf_gradients_of_a_plus_a_do_not_alias_the_upstream_gradient() -> None:
    a = Tensor([1.0, 2.0], requires_grad=True)
    upstream = np.array([1.0, 10.0], np.float32)
    (a + a).backward(upstream)
    np.testing.assert_array_equal(a.grad, [2.0, 20.0])
    upstream[...] = 0.0
    np.testing.assert_array_equal(a.grad, [2.0, 20.0])


@pytest.mark.parametrize("build", [
    lambda a, b: (a + b).sum(),
    lambda a, b: ((a + b) * 2.0).sum(),
    lambda a, b: ops.broadcast_to(a + b, (3, 2)).sum(),
    lambda a, b: ops.concatenate([a, b]).sum(),
    lambda a, b: ops.stack([a, b]).sum(),
    lambda a, b: (a.reshape(2, 1) + b.reshape(2, 1)).sum(),
], ids=["add", "add-mul", "broadcast", "concatenate", "stack", "reshape"])
def test_sibling_leaf_gradients_are_independent(build: Callable[..., Tensor]) -> None:
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    build(a, b).backward()
    assert not np.shares_memory(a.grad, b.grad)
    before = b.grad.copy()
    a.grad += 100.0  # writeable, and private to a
    np.testing.assert_array_equal(b.grad, before)
    build(a, b).backward()  # accumulating into a must not touch b either
    np.testing.assert_array_equal(b.grad, 2 * before)


class _SharedGradient(Function):
    """``a + b + c`` whose backward returns one array for the first two inputs."""

    def forward(self, a, b, c):
        return a + b + c

    def backward(self, grad):
        g = grad * 1.0
        return g, g, grad * 2.0


@pytest.mark.parametrize("layout", ["leaf,inner,leaf", "inner,leaf,leaf"])
def test_an_array_returned_for_two_parents_is_not_adopted_by_a_leaf(layout: str) -> None:
    # the leaf receives the shared array and then a second gradient, added in place into
    # its .grad: that must not change the gradient still owed to the inner node
    a = Tensor([1.0, 2.0], requires_grad=True)
    x = Tensor([5.0, 5.0], requires_grad=True)
    h = x * 1.0
    first, second = (a, h) if layout.startswith("leaf") else (h, a)
    y = _SharedGradient.apply(first, second, a)
    (y * 2.0).sum().backward()
    np.testing.assert_array_equal(a.grad, [6.0, 6.0])
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])


# ------------------------------------------------------------------ misc Tensor surface


def test_comparisons_return_boolean_arrays() -> None:
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    other = Tensor([2.0, 2.0, 2.0])
    for result, expected in [
        (x < 2.0, [True, False, False]),
        (x <= other, [True, True, False]),
        (x > other, [False, False, True]),
        (x >= 2, [False, True, True]),
        (np.array([2.0, 2.0, 2.0]) < x, [False, False, True]),
    ]:
        assert isinstance(result, np.ndarray) and result.dtype == bool
        np.testing.assert_array_equal(result, expected)


def test_tensor_surface() -> None:
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, name="x")
    assert x.shape == (2, 3) and x.ndim == 2 and x.size == 6 and len(x) == 2
    assert "requires_grad=True" in repr(x) and "'x'" in repr(x)
    assert x.detach()._ctx is None and not x.detach().requires_grad
    assert np.shares_memory(x.detach().data, x.data)
    assert Tensor(2.5).item() == 2.5
    arr = np.asarray(x)
    assert arr is x.data
    assert not np.shares_memory(np.array(x, copy=True), x.data)
    assert np.asarray(x, dtype=np.float64).dtype == np.float64
    assert x.T.shape == (3, 2) and x.transpose(1, 0).shape == (3, 2)
    assert x.reshape((3, 2)).shape == (3, 2)
    assert hash(x) != hash(Tensor([1.0]))
