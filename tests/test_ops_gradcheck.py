"""Every primitive in ``descend.autograd.ops`` against float64 central differences.

Each case names the op it checks; ``test_every_primitive_is_covered`` fails when an op
is added to ``ops.__all__`` without a case here. Points are chosen away from kinks
(abs/relu at 0, clip at its bounds, ties of maximum/minimum/max/min) where the
derivative is not defined and central differences are meaningless.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from descend.autograd import Tensor, gradcheck, ops


@dataclass
class Case:
    name: str
    op: str  # the name in ops.__all__ that this case covers
    fn: Callable[..., Tensor]
    inputs: tuple[Any, ...]
    options: dict[str, Any] = field(default_factory=dict)


_rng = np.random.default_rng(1234)


def uniform(*shape: int, low: float = -1.0, high: float = 1.0) -> np.ndarray:
    return _rng.uniform(low, high, size=shape)


def away_from_zero(*shape: int, low: float = 0.3, high: float = 1.5) -> np.ndarray:
    """Values with |x| in [low, high] and random signs."""
    return uniform(*shape, low=low, high=high) * _rng.choice([-1.0, 1.0], size=shape)


def positive(*shape: int) -> np.ndarray:
    return uniform(*shape, low=0.5, high=2.0)


def distinct(*shape: int) -> np.ndarray:
    """All values different (no ties for max/min), spaced 0.1 apart."""
    n = int(np.prod(shape)) if shape else 1
    return (_rng.permutation(n).reshape(shape) - n / 2) * 0.1


def grid_a(*shape: int) -> np.ndarray:
    """k + 0.25: never equal to ``grid_b`` values (no ties for maximum/minimum)."""
    return _rng.integers(-3, 3, size=shape) + 0.25


def grid_b(*shape: int) -> np.ndarray:
    return _rng.integers(-3, 3, size=shape) + 0.75


def dims(shape: tuple[int, ...]) -> str:
    """A shape as an id fragment: ``(2, 3)`` -> ``2x3``, ``()`` -> ``scalar``."""
    return "x".join(map(str, shape)) or "scalar"


def axis_id(axis: Any) -> str:
    if isinstance(axis, tuple):
        return "(" + ",".join(map(str, axis)) + ")"
    return str(axis)


CASES: list[Case] = []


def case(name: str, op: str, fn: Callable[..., Tensor], *inputs: Any, **options: Any) -> None:
    CASES.append(Case(name, op, fn, inputs, options))


# ------------------------------------------------------------------ binary elementwise
# (shape a, shape b): same shape, 0-d against a matrix either way round, column against
# row, a lower-rank operand broadcast into a 3-D one, size-1 axes on both sides
BROADCASTS = [
    ((3, 4), (3, 4)),
    ((), (3, 4)),
    ((3, 4), ()),
    ((3, 1), (4,)),
    ((4,), (3, 1)),
    ((2, 3, 4), (3, 1)),
    ((4,), (2, 3, 4)),
    ((2, 1, 4), (1, 3, 1)),
]

for sa, sb in BROADCASTS:
    tag = f"{dims(sa)}-vs-{dims(sb)}"
    case(f"add-{tag}", "add", ops.add, uniform(*sa), uniform(*sb))
    case(f"sub-{tag}", "sub", ops.sub, uniform(*sa), uniform(*sb))
    case(f"mul-{tag}", "mul", ops.mul, uniform(*sa), uniform(*sb))
    case(f"div-{tag}", "div", ops.div, uniform(*sa), away_from_zero(*sb))
    case(f"pow-tensor-exponent-{tag}", "pow", ops.pow, positive(*sa), uniform(*sb, low=-1.5,
                                                                              high=1.5))
    case(f"maximum-{tag}", "maximum", ops.maximum, grid_a(*sa), grid_b(*sb))
    case(f"minimum-{tag}", "minimum", ops.minimum, grid_a(*sa), grid_b(*sb))

# operators and Python-number operands (the number has no gradient)
case("add-operator-scalar", "add", lambda a: a + 2.5 + (1.5 + a), uniform(3, 4))
case("sub-operator-scalar", "sub", lambda a: (a - 2.5) * (1.5 - a), uniform(3, 4))
case("mul-operator-scalar", "mul", lambda a: (a * 2.5) + (-1.5 * a) * a, uniform(3, 4))
case("div-operator-scalar", "div", lambda a: a / 2.5 + 1.5 / a, away_from_zero(3, 4))
case("div-operator-tensors", "div", lambda a, b: a / b, uniform(2, 3), away_from_zero(3))
case("pow-scalar-exponent-2", "pow", lambda a: a ** 2, uniform(3, 4))
case("pow-scalar-exponent-3-negative-base", "pow", lambda a: a ** 3, uniform(3, 4))
case("pow-scalar-exponent-0.5", "pow", lambda a: a ** 0.5, positive(3, 4))
case("pow-scalar-exponent-minus-1.5", "pow", lambda a: ops.pow(a, -1.5), positive(3, 4))
case("pow-scalar-base", "pow", lambda a: 2.0 ** a, uniform(3, 4))
case("pow-operator-tensors", "pow", lambda a, b: a ** b, positive(2, 3), uniform(3))
case("maximum-scalar", "maximum", lambda a: ops.maximum(a, 0.5), grid_a(3, 4))
case("minimum-scalar", "minimum", lambda a: ops.minimum(-0.5, a), grid_a(3, 4))

# ------------------------------------------------------------------- unary elementwise
case("neg", "neg", ops.neg, uniform(3, 4))
case("neg-operator", "neg", lambda a: -a, uniform(2, 3))
case("square", "square", ops.square, uniform(3, 4))
case("exp", "exp", ops.exp, uniform(3, 4))
case("exp-method", "exp", lambda a: a.exp(), uniform(5))
case("log", "log", ops.log, positive(3, 4))
case("log-method", "log", lambda a: a.log(), positive(5))
case("sqrt", "sqrt", ops.sqrt, positive(3, 4))
case("sqrt-method", "sqrt", lambda a: a.sqrt(), positive(5))
case("abs", "abs", ops.abs, away_from_zero(3, 4))
case("abs-builtin", "abs", lambda a: abs(a), away_from_zero(5))
case("sigmoid", "sigmoid", ops.sigmoid, uniform(3, 4, low=-6, high=6))
case("sigmoid-method", "sigmoid", lambda a: a.sigmoid(), uniform(5, low=-3, high=3))
case("tanh", "tanh", ops.tanh, uniform(3, 4, low=-3, high=3))
case("tanh-method", "tanh", lambda a: a.tanh(), uniform(5))
case("relu", "relu", ops.relu, away_from_zero(3, 4))
case("relu-method", "relu", lambda a: a.relu(), away_from_zero(5))
case("cast-float64", "cast", lambda a: ops.cast(a, np.float64) * a, uniform(3, 4))
# through float32 and back: a linear function, so a large step is exact up to rounding
case("cast-float32-roundtrip", "cast",
     lambda a: ops.cast(ops.cast(a, "float32") * 3.0, "float64"), uniform(3, 4), eps=1e-2)
case("cast-method", "cast", lambda a: a.astype("float64") ** 2, uniform(4))

# ---------------------------------------------------------------------- where and clip
_cond = _rng.random((3, 4)) > 0.5
case("where-same-shape", "where", lambda a, b: ops.where(_cond, a, b), uniform(3, 4),
     uniform(3, 4))
case("where-broadcast-(3,1)-(4,)", "where", lambda a, b: ops.where(_cond, a, b),
     uniform(3, 1), uniform(4))
case("where-scalar-branch", "where", lambda a: ops.where(_cond, a, 0.0), uniform(3, 4))
case("where-tensor-condition", "where", lambda a, b: ops.where(Tensor(_cond, dtype=bool), a, b),
     uniform(4), uniform(3, 4))
# grid values (2k+1)*0.1 are at least 0.1 away from the bounds -0.6 and 0.6
_clip_points = (_rng.integers(-6, 6, size=(3, 4)) * 2 + 1) * 0.1
case("clip-both-bounds", "clip", lambda a: ops.clip(a, -0.6, 0.6), _clip_points)
case("clip-low-only", "clip", lambda a: ops.clip(a, -0.6, None), _clip_points)
case("clip-high-only", "clip", lambda a: ops.clip(a, None, 0.6), _clip_points)
case("clip-method", "clip", lambda a: a.clip(-0.6, 0.6) * a, _clip_points)
case("clip-tensor-bounds", "clip",
     lambda a: ops.clip(a, Tensor(-0.6), Tensor([0.6, 0.4, 0.6, 0.8])), _clip_points)

# ----------------------------------------------------------------------- reductions
AXES: list[tuple[Any, bool]] = [
    (None, False), (None, True), (0, False), (1, True), (-1, False), (-1, True),
    ((0, 2), False), ((0, 2), True), ((-1, -3), False), ((0, 1, 2), True), ((), False),
]
for axis, keepdims in AXES:
    tag = f"axis={axis_id(axis)}-keepdims={keepdims}"
    for name in ("sum", "mean", "max", "min"):
        op = getattr(ops, name)
        case(f"{name}-{tag}", name,
             lambda a, op=op, axis=axis, keepdims=keepdims: op(a, axis=axis, keepdims=keepdims),
             distinct(2, 3, 4))
    if axis != ():
        case(f"logsumexp-{tag}", "logsumexp",
             lambda a, axis=axis, keepdims=keepdims: ops.logsumexp(a, axis, keepdims),
             uniform(2, 3, 4, low=-3, high=3))
case("sum-method-1d", "sum", lambda a: a.sum(), uniform(5))
case("mean-method", "mean", lambda a: a.mean(axis=0), uniform(3, 2))
case("max-method", "max", lambda a: a.max(axis=-1, keepdims=True), distinct(3, 4))
case("min-method", "min", lambda a: a.min(), distinct(3, 4))
case("logsumexp-method", "logsumexp", lambda a: a.logsumexp(axis=0), uniform(3, 4))
case("logsumexp-large-values", "logsumexp", lambda a: ops.logsumexp(a, axis=-1),
     uniform(2, 3) * 50 + 500)
case("sum-0d", "sum", lambda a: ops.sum(a * a), np.array(1.5))

# -------------------------------------------------------------------------- movement
case("reshape-(6,4)", "reshape", lambda a: ops.reshape(a, (6, 4)), uniform(2, 3, 4))
case("reshape-(-1,)", "reshape", lambda a: ops.reshape(a, (-1,)), uniform(2, 3, 4))
case("reshape-(4,-1,3)", "reshape", lambda a: ops.reshape(a, (4, -1, 3)), uniform(2, 3, 4))
case("reshape-method-args", "reshape", lambda a: a.reshape(3, 8), uniform(2, 3, 4))
case("transpose-None", "transpose", lambda a: ops.transpose(a), uniform(2, 3, 4))
case("transpose-(1,0,2)", "transpose", lambda a: ops.transpose(a, (1, 0, 2)), uniform(2, 3, 4))
case("transpose-(2,0,1)", "transpose", lambda a: ops.transpose(a, (2, 0, 1)), uniform(2, 3, 4))
case("transpose-negative-(-1,0,1)", "transpose", lambda a: ops.transpose(a, (-1, 0, 1)),
     uniform(2, 3, 4))
case("transpose-T", "transpose", lambda a: a.T, uniform(3, 4))
case("transpose-method-perm", "transpose", lambda a: a.transpose(0, 2, 1), uniform(2, 3, 4))
case("broadcast_to-(3,1)-(2,3,4)", "broadcast_to", lambda a: ops.broadcast_to(a, (2, 3, 4)),
     uniform(3, 1))
case("broadcast_to-()-(2,3)", "broadcast_to", lambda a: ops.broadcast_to(a, (2, 3)),
     np.array(0.7))
case("broadcast_to-(4,)-(3,4)", "broadcast_to", lambda a: ops.broadcast_to(a, (3, 4)),
     uniform(4))
case("expand_dims-0", "expand_dims", lambda a: ops.expand_dims(a, 0), uniform(3, 4))
case("expand_dims-1", "expand_dims", lambda a: ops.expand_dims(a, 1), uniform(3, 4))
case("expand_dims--1", "expand_dims", lambda a: ops.expand_dims(a, -1), uniform(3, 4))
case("squeeze-None", "squeeze", lambda a: ops.squeeze(a), uniform(1, 3, 1, 4))
case("squeeze-axis-2", "squeeze", lambda a: ops.squeeze(a, 2), uniform(1, 3, 1, 4))
case("squeeze-axis-(0,-2)", "squeeze", lambda a: ops.squeeze(a, (0, -2)), uniform(1, 3, 1, 4))

_mask = np.array([[True, False, True, True], [False, False, True, False],
                  [True, True, False, True]])
GETITEM: list[tuple[str, Any]] = [
    ("int", 1),
    ("negative-int", -1),
    ("int-pair", (1, 2)),
    ("slice", slice(0, 2)),
    ("slices-2d", (slice(0, 2), slice(1, None))),
    ("negative-step", slice(None, None, -1)),
    ("negative-step-2d", (slice(None), slice(None, None, -2))),
    ("ellipsis", (Ellipsis, 1)),
    ("none", (None, 1)),
    ("none-middle", (slice(None), None, slice(1, 3))),
    ("int-array-repeats", [0, 0, 2, 0]),
    ("int-array-pair-repeats", (np.array([1, 1, 0]), np.array([2, 2, 3]))),
    ("int-array-2d-repeats", np.array([[0, 2], [2, 2]])),
    ("int-array-with-slice", ([0, 0, 2], slice(1, 3))),
    ("bool-mask-2d", _mask),
    ("bool-mask-axis-1", (slice(None), np.array([True, False, True, True]))),
]
for label, index in GETITEM:
    case(f"getitem-{label}", "getitem", lambda a, index=index: ops.getitem(a, index),
         uniform(3, 4))
case("getitem-operator-int-array-repeats", "getitem", lambda a: a[[2, 2, 1]] * a[2],
     uniform(3, 4))
case("getitem-tensor-index", "getitem", lambda a: a[Tensor([1, 1, 0])], uniform(3, 4))
case("getitem-bool-tensor-mask", "getitem", lambda a: a[Tensor(_mask, dtype=bool)],
     uniform(3, 4))

case("concatenate-axis-0", "concatenate", lambda a, b: ops.concatenate([a, b], axis=0),
     uniform(2, 3), uniform(4, 3))
case("concatenate-axis-1-three", "concatenate",
     lambda a, b, c: ops.concatenate([a, b, c], axis=1), uniform(2, 1), uniform(2, 3),
     uniform(2, 2))
case("concatenate-axis--1-3d", "concatenate", lambda a, b: ops.concatenate([a, b], axis=-1),
     uniform(2, 3, 1), uniform(2, 3, 2))
case("concatenate-one-constant", "concatenate",
     lambda a: ops.concatenate([a, np.ones((1, 3))], axis=0), uniform(2, 3))
case("stack-axis-0", "stack", lambda a, b: ops.stack([a, b]), uniform(2, 3), uniform(2, 3))
case("stack-axis-1", "stack", lambda a, b, c: ops.stack([a, b, c], axis=1), uniform(2, 3),
     uniform(2, 3), uniform(2, 3))
case("stack-axis--1", "stack", lambda a, b: ops.stack([a, b], axis=-1), uniform(4),
     uniform(4))

# ---------------------------------------------------------------------------- matmul
MATMULS = [
    ((3, 4), (4, 5)),
    ((2, 3, 4), (2, 4, 5)),
    ((2, 3, 4), (4, 5)),
    ((3, 4), (2, 4, 5)),
    ((2, 1, 3, 4), (3, 4, 2)),
    ((4,), (4, 5)),
    ((3, 4), (4,)),
    ((4,), (4,)),
    ((2, 3, 4), (4,)),
    ((4,), (2, 4, 5)),
]
for sa, sb in MATMULS:
    case(f"matmul-{dims(sa)}@{dims(sb)}", "matmul", ops.matmul, uniform(*sa), uniform(*sb))
case("matmul-operator", "matmul", lambda a, b: a @ b, uniform(2, 3), uniform(3, 2))
case("matmul-operator-constant-left", "matmul", lambda b: np.ones((2, 3)) @ b, uniform(3, 2))

# -------------------------------------------------------------------- softmax family
for axis in (-1, 0, 1):
    case(f"softmax-axis={axis}", "softmax", lambda a, axis=axis: ops.softmax(a, axis=axis),
         uniform(2, 3, 4, low=-2, high=2))
    case(f"log_softmax-axis={axis}", "log_softmax",
         lambda a, axis=axis: ops.log_softmax(a, axis=axis), uniform(2, 3, 4, low=-2, high=2))
case("softmax-method", "softmax", lambda a: a.softmax(), uniform(3, 4))
case("log_softmax-method", "log_softmax", lambda a: a.log_softmax(axis=0), uniform(3, 4))

# ----------------------------------------------------------------------- fused dense
for activation in ("linear", "relu", "sigmoid", "tanh", "softmax"):
    for x_shape in ((4, 3), (2, 3, 3)):
        dims = len(x_shape)
        case(f"dense-{activation}-bias-{dims}d", "dense",
             lambda x, k, b, act=activation: ops.dense(x, k, b, act),
             uniform(*x_shape), uniform(3, 5), uniform(5))
        case(f"dense-{activation}-no-bias-{dims}d", "dense",
             lambda x, k, act=activation: ops.dense(x, k, activation=act),
             uniform(*x_shape), uniform(3, 5))
    _x_const = Tensor(uniform(4, 3))
    case(f"dense-{activation}-x-without-grad", "dense",
         lambda k, b, act=activation, x=_x_const: ops.dense(x, k, b, act),
         uniform(3, 5), uniform(5))
case("dense-1d-input", "dense", lambda x, k, b: ops.dense(x, k, b, "tanh"), uniform(3),
     uniform(3, 2), uniform(2))
for activation in ("linear", "relu", "sigmoid", "tanh", "softmax"):
    case(f"dense_stack-{activation}", "dense_stack",
         lambda x, k1, b1, k2, act=activation: ops.dense_stack(
             x, [(k1, b1, "relu"), (k2, None, act)]),
         uniform(4, 3), uniform(3, 5), uniform(5), uniform(5, 3))
case("dense_stack-1d-and-3d-input", "dense_stack",
     lambda x, y, k1, k2, b2: ops.dense_stack(x, [(k1, None, "tanh"), (k2, b2, "sigmoid")])
     + ops.dense_stack(y, [(k1, None, "tanh"), (k2, b2, "sigmoid")]).sum(axis=(0, 1)),
     uniform(3), uniform(2, 2, 3), uniform(3, 4), uniform(4, 2), uniform(2))

# ------------------------------------------------------------------------ fused losses
_labels = np.array([2, 0, 1, 2])
_onehot = np.eye(3)[_labels]
_soft = _rng.dirichlet(np.ones(3), size=4)
case("softmax_crossentropy-sparse", "softmax_crossentropy",
     lambda z: ops.softmax_crossentropy(z, _labels), uniform(4, 3, low=-3, high=3))
case("softmax_crossentropy-sparse-labels-(n,1)", "softmax_crossentropy",
     lambda z: ops.softmax_crossentropy(z, _labels[:, None]), uniform(4, 3))
case("softmax_crossentropy-sparse-3d", "softmax_crossentropy",
     lambda z: ops.softmax_crossentropy(z, np.array([[0, 3, 1], [2, 2, 0]])), uniform(2, 3, 4))
case("softmax_crossentropy-one-hot", "softmax_crossentropy",
     lambda z: ops.softmax_crossentropy(z, _onehot, sparse=False), uniform(4, 3, low=-3, high=3))
case("softmax_crossentropy-soft-targets", "softmax_crossentropy",
     lambda z: ops.softmax_crossentropy(z, _soft, sparse=False), uniform(4, 3))
case("softmax_crossentropy-unnormalised-targets", "softmax_crossentropy",
     lambda z: ops.softmax_crossentropy(z, 2 * _soft, sparse=False), uniform(4, 3))
case("softmax_crossentropy-large-logits", "softmax_crossentropy",
     lambda z: ops.softmax_crossentropy(z, _labels), uniform(4, 3, low=-30, high=30))

# probabilities that do not sum to one exercise the renormalisation
case("probability_crossentropy-sparse", "probability_crossentropy",
     lambda p: ops.probability_crossentropy(p, _labels), uniform(4, 3, low=0.1, high=1.0))
case("probability_crossentropy-one-hot", "probability_crossentropy",
     lambda p: ops.probability_crossentropy(p, _onehot, sparse=False),
     uniform(4, 3, low=0.1, high=1.0))
case("probability_crossentropy-soft-targets", "probability_crossentropy",
     lambda p: ops.probability_crossentropy(p, _soft, sparse=False),
     uniform(4, 3, low=0.1, high=1.0))
# row 0: the labelled probability is clipped at eps (gradient zero there and, through
# the renormalisation, everywhere in the row); row 1: an unlabelled one is clipped;
# row 2: the labelled probability is clipped at 1 - eps
_clipped = np.array([[1e-12, 0.5, 0.5], [0.3, 1e-12, 0.7], [1.0, 1e-12, 1e-12],
                     [0.2, 0.3, 0.5]])
case("probability_crossentropy-clipped-sparse", "probability_crossentropy",
     lambda p: ops.probability_crossentropy(p, np.array([0, 2, 0, 1])), _clipped, eps=1e-9)
case("probability_crossentropy-clipped-dense", "probability_crossentropy",
     lambda p: ops.probability_crossentropy(p, np.eye(3)[[0, 2, 0, 1]], sparse=False),
     _clipped, eps=1e-9)

_binary = (_rng.random((3, 4)) > 0.5).astype(float)
_soft_binary = _rng.random((3, 4))
case("binary_crossentropy-probabilities", "binary_crossentropy",
     lambda p: ops.binary_crossentropy(p, _binary), uniform(3, 4, low=0.05, high=0.95))
case("binary_crossentropy-probabilities-soft-targets", "binary_crossentropy",
     lambda p: ops.binary_crossentropy(p, _soft_binary),
     uniform(3, 4, low=0.05, high=0.95))
case("binary_crossentropy-probabilities-clipped", "binary_crossentropy",
     lambda p: ops.binary_crossentropy(p, np.array([1.0, 0.0, 1.0, 0.0])),
     np.array([1e-12, 1.0, 0.3, 0.6]), eps=1e-9)
case("binary_crossentropy-logits", "binary_crossentropy",
     lambda z: ops.binary_crossentropy(z, _binary, from_logits=True),
     uniform(3, 4, low=-5, high=5))
case("binary_crossentropy-large-logits", "binary_crossentropy",
     lambda z: ops.binary_crossentropy(z, _binary, from_logits=True),
     away_from_zero(3, 4, low=20, high=40))
case("binary_crossentropy-logits-broadcast-target", "binary_crossentropy",
     lambda z: ops.binary_crossentropy(z, np.array([1.0, 0.0, 1.0, 1.0]), from_logits=True),
     uniform(3, 4))

# ------------------------------------------------------------------- compositions
case("composite-mlp", "dense",
     lambda x, k1, b1, k2: ops.softmax_crossentropy(
         ops.matmul(ops.relu(ops.matmul(x, k1) + b1), k2), _labels).mean(),
     uniform(4, 3), uniform(3, 5), uniform(5), uniform(5, 3))
case("composite-shared-input", "mul", lambda a: ops.tanh(a) * a + ops.exp(-a).sum(),
     uniform(3, 4))


@pytest.mark.parametrize("c", [pytest.param(c, id=c.name) for c in CASES])
def test_gradient_matches_central_differences(c: Case) -> None:
    assert gradcheck(c.fn, *c.inputs, **c.options)


def test_case_ids_are_unique() -> None:
    names = [c.name for c in CASES]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


def test_every_primitive_is_covered() -> None:
    primitives = set(ops.__all__) - {"as_tensor"}
    covered = {c.op for c in CASES}
    assert primitives <= covered, f"ops without a gradcheck case: {sorted(primitives - covered)}"
    assert all(callable(getattr(ops, name)) for name in covered)


def test_clipped_probabilities_get_exactly_zero_gradient() -> None:
    p = Tensor(np.array([[1e-12, 0.5, 0.5], [0.3, 1e-12, 0.7]]), requires_grad=True)
    ops.probability_crossentropy(p, np.array([0, 2])).sum().backward()
    # row 0: the loss is -log(eps), constant; row 1: the clipped entry is unlabelled, so
    # its only gradient is through the renormalisation (the same as for every entry)
    np.testing.assert_array_equal(p.grad[0], 0.0)
    np.testing.assert_allclose(p.grad[1, 0], p.grad[1, 1])
    assert p.grad[1, 2] < p.grad[1, 0]
    q = Tensor(np.array([1e-12, 1.0, 0.4]), requires_grad=True)
    ops.binary_crossentropy(q, np.array([1.0, 0.0, 1.0])).sum().backward()
    np.testing.assert_array_equal(q.grad[:2], 0.0)
    assert q.grad[2] != 0.0
