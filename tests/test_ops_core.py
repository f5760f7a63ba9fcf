"""Values, dtypes and errors of ``descend.ops.core`` (gradients: the gradcheck file)."""

from __future__ import annotations

import numpy as np
import pytest

from descend import ops
from descend.autograd import Tensor
from descend.autograd import ops as eng
from descend.ops import core, linalg
from descend.ops import math as dmath


@pytest.mark.parametrize("module", [core, dmath, linalg], ids=["core", "math", "linalg"])
def test_every_public_op_is_a_keras_op_and_exported(module) -> None:
    for name in module.__all__:
        fn = getattr(module, name)
        assert hasattr(fn, "__wrapped_op__"), f"{module.__name__}.{name} lacks keras_op"
        assert getattr(ops, name) is fn, f"descend.ops.{name} is not {module.__name__}.{name}"


# ------------------------------------------------------------------ conversion, dtypes
def test_convert_to_tensor_follows_keras_dtypes() -> None:
    assert core.convert_to_tensor(1.5).dtype == np.float32
    assert core.convert_to_tensor(2).dtype == np.int32
    assert core.convert_to_tensor([True, False]).dtype == np.bool_
    assert core.convert_to_tensor([[1, 2]]).dtype == np.int32
    assert core.convert_to_tensor(np.arange(3, dtype=np.int64)).dtype == np.int64
    assert core.convert_to_tensor(np.ones(2, np.float64)).dtype == np.float64
    assert core.convert_to_tensor([1, 2], dtype="float64").data.tolist() == [1.0, 2.0]
    t = Tensor([1.0, 2.0])
    assert core.convert_to_tensor(t) is t
    assert isinstance(core.convert_to_tensor(np.ones(2)), Tensor)


def test_convert_to_tensor_rejects_sparse_ragged_and_strings() -> None:
    with pytest.raises(ValueError, match="convert_to_tensor: .*sparse"):
        core.convert_to_tensor([1.0], sparse=True)
    with pytest.raises(ValueError, match="ragged"):
        core.convert_to_tensor([1.0], ragged=True)
    with pytest.raises(TypeError, match="convert_to_tensor: x must be numeric"):
        core.convert_to_tensor(["a"])


def test_convert_to_numpy_copies() -> None:
    t = Tensor([1.0, 2.0])
    out = core.convert_to_numpy(t)
    assert isinstance(out, np.ndarray) and out.tolist() == [1.0, 2.0]
    out[0] = 9.0
    assert t.data[0] == 1.0
    assert core.convert_to_numpy(3).tolist() == 3


def test_is_tensor_dtype_shape() -> None:
    assert core.is_tensor(Tensor([1.0])) and not core.is_tensor(np.ones(1))
    assert core.dtype(Tensor([1.0])) == "float32"
    assert core.dtype(np.ones(2, np.int64)) == "int64"
    assert core.dtype(2) == "int32"
    assert core.shape(np.ones((2, 3))) == (2, 3)
    assert core.shape(4.0) == ()


def test_cast_truncates_and_keeps_float_gradient() -> None:
    out = core.cast(np.array([1.7, -1.7, 2.0]), "int32")
    assert out.dtype == np.int32 and out.data.tolist() == [1, -1, 2]
    assert core.cast([1, 0], bool).data.tolist() == [True, False]
    assert core.cast([1, 2], float).dtype == np.float32
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = core.cast(x, "float64")
    assert y.dtype == np.float64 and y.requires_grad
    with pytest.raises(TypeError, match="cast: dtype"):
        core.cast([1.0], "not-a-dtype")


def test_saturate_cast_clips_to_the_target_range() -> None:
    assert core.saturate_cast(np.array([300.0, -5.0, 3.7]), "uint8").data.tolist() == [255, 0, 3]
    assert core.saturate_cast(np.array([1e10, -1e10, 2.5]), "int8").data.tolist() == [
        127, -128, 2]
    assert core.saturate_cast(np.array([-3, 400]), "uint8").data.tolist() == [0, 255]
    big = core.saturate_cast(np.array([1e300, -1e300]), "float32").data
    assert big.dtype == np.float32 and np.isfinite(big).all()
    assert big[0] == np.finfo(np.float32).max
    assert core.saturate_cast(np.array([3e10]), "int32").data.tolist() == [2**31 - 1]


def test_stop_gradient_values_and_graph() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    out = core.stop_gradient(x * 3.0)
    assert not out.requires_grad and out.data.tolist() == [3.0, 6.0]


# ------------------------------------------------------------------ slice and scatter
def test_slice_and_errors() -> None:
    x = np.arange(12).reshape(3, 4)
    np.testing.assert_array_equal(core.slice(x, (1, 1), (2, 2)).data, [[5, 6], [9, 10]])
    with pytest.raises(ValueError, match="slice: the block"):
        core.slice(x, (2, 0), (2, 2))
    with pytest.raises(ValueError, match="slice: start_indices"):
        core.slice(x, (0,), (1, 1))
    with pytest.raises(TypeError, match="slice: start_indices must hold integers"):
        core.slice(x, (0.5, 0), (1, 1))


def test_slice_update_values_and_errors() -> None:
    out = core.slice_update(np.zeros((3, 4)), (1, 2), np.ones((2, 2)))
    expected = np.zeros((3, 4))
    expected[1:3, 2:4] = 1.0
    np.testing.assert_array_equal(out.data, expected)
    ints = core.slice_update(np.zeros(4, np.int64), (1,), np.array([5, 6]))
    assert ints.data.tolist() == [0, 5, 6, 0]
    with pytest.raises(ValueError, match="slice_update: updates of size 3"):
        core.slice_update(np.zeros((3, 4)), (1, 0), np.ones((3, 1)))
    with pytest.raises(ValueError, match="slice_update: updates must have the rank"):
        core.slice_update(np.zeros((3, 4)), (1, 0), np.ones(3))


def test_scatter_sums_duplicates() -> None:
    out = core.scatter(np.array([[0], [0], [2]]), np.array([1.0, 2.0, 3.0]), (4,))
    assert out.data.tolist() == [3.0, 0.0, 3.0, 0.0]
    rows = core.scatter(np.array([[1]]), np.array([[1.0, 2.0]]), (3, 2))
    np.testing.assert_array_equal(rows.data, [[0, 0], [1, 2], [0, 0]])
    one = core.scatter(np.array([1, 0]), np.array(5.0), (2, 2))
    np.testing.assert_array_equal(one.data, [[0, 0], [5, 0]])
    batched = core.scatter(np.array([[[0], [1]]]), np.array([[1.0, 2.0]]), (4,))
    assert batched.data.tolist() == [1.0, 2.0, 0.0, 0.0]
    with pytest.raises(ValueError, match="scatter: indices out of range"):
        core.scatter(np.array([[5]]), np.array([1.0]), (4,))
    with pytest.raises(ValueError, match="scatter: updates must have shape"):
        core.scatter(np.array([[1]]), np.array([1.0, 2.0]), (4,))


@pytest.mark.parametrize(
    "reduction, expected",
    [(None, [2.0, 1.0, 3.0, 1.0]), ("add", [4.0, 1.0, 4.0, 1.0]), ("max", [2.0, 1.0, 3.0, 1.0]),
     ("min", [1.0, 1.0, 1.0, 1.0]), ("mul", [2.0, 1.0, 3.0, 1.0])],
)
def test_scatter_update_reductions(reduction, expected) -> None:
    out = core.scatter_update(np.ones(4), np.array([[0], [0], [2]]), np.array([1.0, 2.0, 3.0]),
                              reduction=reduction)
    assert out.data.tolist() == expected


def test_scatter_update_errors_and_ints() -> None:
    out = core.scatter_update(np.zeros((2, 2), np.int32), [[1, 0]], [7])
    assert out.dtype == np.int32 and out.data.tolist() == [[0, 0], [7, 0]]
    with pytest.raises(ValueError, match="scatter_update: reduction"):
        core.scatter_update(np.zeros(3), [[0]], [1.0], reduction="mean")
    with pytest.raises(ValueError, match="scatter_update: indices must have shape"):
        core.scatter_update(np.zeros(3), [[0, 1]], [1.0])


def test_unstack() -> None:
    parts = core.unstack(np.arange(6).reshape(2, 3), axis=1)
    assert [p.data.tolist() for p in parts] == [[0, 3], [1, 4], [2, 5]]
    assert len(core.unstack(np.ones((2, 3)), num=2)) == 2
    with pytest.raises(ValueError, match="unstack: num=3"):
        core.unstack(np.ones((2, 3)), num=3)
    with pytest.raises(ValueError, match="unstack: axis 2"):
        core.unstack(np.ones((2, 3)), axis=2)


# ---------------------------------------------------------------------- control flow
def test_cond_and_switch() -> None:
    assert core.cond(True, lambda: 1, lambda: 2) == 1
    assert core.cond(np.array(False), lambda: 1, lambda: 2) == 2
    assert core.switch(1, [lambda x: x + 1, lambda x: x * 10], 3) == 30
    assert core.switch(5, [lambda x: x + 1, lambda x: x * 10], 3) == 30
    assert core.switch(-1, [lambda x: x + 1, lambda x: x * 10], 3) == 4
    with pytest.raises(ValueError, match="cond: pred must be a single boolean"):
        core.cond(np.array([True, False]), lambda: 1, lambda: 2)
    with pytest.raises(TypeError, match="switch: index"):
        core.switch(0.5, [lambda: 1])


def test_while_and_fori_loops() -> None:
    (single,) = core.while_loop(lambda i: i < 5, lambda i: (i + 2,), (0,))
    assert isinstance(single, Tensor) and single.dtype == np.int32 and single.item() == 6
    pair = core.while_loop(lambda i, j: i < 5, lambda i, j: [i + 2, j], [0, 1])
    assert isinstance(pair, list) and [t.item() for t in pair] == [6, 1]
    capped = core.while_loop(lambda i: i < 100, lambda i: i + 1, 0, maximum_iterations=5)
    assert capped.item() == 5
    float_state = core.while_loop(lambda x: x < 10.0, lambda x: x * 2.0, 1.5)
    assert float_state.dtype == np.float32 and float_state.item() == 12.0
    assert core.fori_loop(0, 4, lambda i, v: v + i, 0.0) == 6.0
    with pytest.raises(ValueError, match="while_loop: body must return 2"):
        core.while_loop(lambda i, j: i < 5, lambda i, j: (i + 1,), (0, 1))


def test_scan_matches_a_python_loop() -> None:
    xs = np.array([1.0, 2.0, 3.0])
    carry, ys = core.scan(lambda c, x: (c + x, c * x), 0.0, xs)
    assert float(carry.data) == 6.0 and ys.data.tolist() == [0.0, 2.0, 9.0]
    carry, ys = core.scan(lambda c, x: (c + x, c), 0.0, xs, reverse=True)
    assert float(carry.data) == 6.0 and ys.data.tolist() == [5.0, 3.0, 0.0]
    carry, ys = core.scan(lambda c, x: (c + 1, c), 0, None, length=3)
    assert carry.item() == 3 and carry.dtype == np.int32 and ys.data.tolist() == [0, 1, 2]
    carry, ys = core.scan(lambda c, x: (c + x["a"], None), 0.0, {"a": xs})
    assert float(carry.data) == 6.0 and ys is None
    with pytest.raises(ValueError, match="scan: pass xs or length"):
        core.scan(lambda c, x: (c, c), 0.0)
    with pytest.raises(ValueError, match="scan: length=2"):
        core.scan(lambda c, x: (c, c), 0.0, xs, length=2)


def test_associative_scan_order() -> None:
    rng = np.random.default_rng(0)
    m = rng.normal(size=(3, 2, 2))
    out = core.associative_scan(lambda a, b: eng.matmul(a, b), m).data
    np.testing.assert_allclose(out[2], m[0] @ m[1] @ m[2])
    out = core.associative_scan(lambda a, b: eng.matmul(a, b), m, reverse=True).data
    np.testing.assert_allclose(out[0], m[2] @ m[1] @ m[0])
    sums = core.associative_scan(lambda a, b: a + b, np.array([[1.0, 2.0, 3.0]]), axis=1)
    assert sums.data.tolist() == [[1.0, 3.0, 6.0]]
    with pytest.raises(ValueError, match="associative_scan: axis 3"):
        core.associative_scan(lambda a, b: a + b, np.ones((2, 2)), axis=3)


def test_map_and_vectorized_map() -> None:
    out = core.map(lambda d: {"double": d["p"] * 2}, {"p": np.array([1.0, 2.0])})
    assert out["double"].data.tolist() == [2.0, 4.0]
    rows = core.vectorized_map(lambda r: eng.sum(r), np.arange(6.0).reshape(2, 3))
    assert rows.data.tolist() == [3.0, 12.0]
    pairs = core.vectorized_map(lambda xs: xs[0] * xs[1], [np.array([1.0, 2.0]),
                                                          np.array([3.0, 4.0])])
    assert pairs.data.tolist() == [3.0, 8.0]
    with pytest.raises(ValueError, match="map: every input must have the same size"):
        core.map(lambda d: d, [np.ones(2), np.ones(3)])


def test_loops_stay_differentiable() -> None:
    x = Tensor(np.array([0.5, 2.0]), requires_grad=True)
    y = core.fori_loop(0, 3, lambda i, v: v * x, Tensor(np.ones(2)))
    y.sum().backward()
    np.testing.assert_allclose(x.grad, 3 * x.data ** 2)


# ------------------------------------------------------------------- custom_gradient
@pytest.mark.parametrize("style", ["jax", "torch", "both"])
def test_custom_gradient_calling_conventions(style) -> None:
    @core.custom_gradient
    def log1pexp(x):
        e = eng.exp(x)
        if style == "jax":
            def grad(upstream):
                return upstream * (1.0 - 1.0 / (1.0 + e))
        elif style == "torch":
            def grad(*args, upstream):
                return upstream * (1.0 - 1.0 / (1.0 + e))
        else:
            def grad(*args, upstream=None):
                if upstream is None:
                    (upstream,) = args
                return upstream * (1.0 - 1.0 / (1.0 + e))
        return eng.log(1.0 + e), grad

    x = Tensor(np.array([0.0, 100.0]), requires_grad=True)
    y = log1pexp(x)
    np.testing.assert_allclose(y.data[0], np.log(2.0))
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [0.5, 1.0])


def test_custom_gradient_two_inputs_and_outputs() -> None:
    @core.custom_gradient
    def f(a, b):
        def grad(upstream):
            first, second = upstream
            return first * 10.0, second * 100.0
        return (a * 1.0, b * 1.0), grad

    a = Tensor(np.array([1.0]), requires_grad=True)
    b = Tensor(np.array([2.0]), requires_grad=True)
    out_a, out_b = f(a, b)
    (out_a * 2.0 + out_b * 3.0).sum().backward()
    assert a.grad.tolist() == [20.0] and b.grad.tolist() == [300.0]


def test_custom_gradient_errors() -> None:
    @core.custom_gradient
    def no_pair(x):
        return x

    with pytest.raises(TypeError, match="custom_gradient: no_pair must return"):
        no_pair(Tensor([1.0]))

    @core.custom_gradient
    def wrong_count(x, y):
        return x * y, lambda upstream: upstream

    x = Tensor(np.array([1.0]), requires_grad=True)
    with pytest.raises(ValueError, match="one gradient per tensor argument"):
        wrong_count(x, Tensor(np.array([2.0]))).sum().backward()
