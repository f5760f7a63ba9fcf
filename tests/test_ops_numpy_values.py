"""Values of every ``descend.ops.numpy`` function against NumPy.

Each case names the op it checks; ``test_every_name_has_a_value_case`` fails when a
name in ``descend.ops.numpy.__all__`` has no case here. Expected values come from
NumPy (or are written out where NumPy has no such function).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from descend.autograd import Tensor
from descend.ops import numpy as knp

rng = np.random.default_rng(7)
A = rng.uniform(-2.0, 2.0, (3, 4))
B = rng.uniform(-2.0, 2.0, (3, 4))
ROW = rng.uniform(-2.0, 2.0, (4,))
POS = rng.uniform(0.5, 2.0, (3, 4))
UNIT = rng.uniform(-0.9, 0.9, (3, 4))
CUBE = rng.uniform(-2.0, 2.0, (2, 3, 4))
INT = rng.integers(-5, 6, (3, 4)).astype(np.int32)
INT2 = rng.integers(1, 6, (3, 4)).astype(np.int32)
NANS = A.copy()
NANS[0, 1] = NANS[2, 3] = np.nan
SQUARE = rng.normal(size=(2, 3, 3))

CASES: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = []


def case(name: str, ours: Callable[[], Any], expected: Callable[[], Any]) -> None:
    CASES.append((name, ours, expected))


# ------------------------------------------------------------------ arithmetic
for _name, _np in [("add", np.add), ("subtract", np.subtract), ("multiply", np.multiply),
                   ("divide", np.divide), ("true_divide", np.true_divide),
                   ("maximum", np.maximum), ("minimum", np.minimum), ("hypot", np.hypot),
                   ("arctan2", np.arctan2), ("logaddexp", np.logaddexp),
                   ("logaddexp2", np.logaddexp2), ("mod", np.mod), ("fmod", np.fmod),
                   ("floor_divide", np.floor_divide), ("fmax", np.fmax), ("fmin", np.fmin),
                   ("heaviside", np.heaviside), ("nextafter", np.nextafter)]:
    case(_name, lambda f=_name: getattr(knp, f)(A, ROW), lambda g=_np: g(A, ROW))
case("power", lambda: knp.power(POS, B), lambda: np.power(POS, B))
case("power", lambda: knp.power(INT, 2), lambda: np.power(INT, 2))
case("divide_no_nan", lambda: knp.divide_no_nan(A, np.array([0.0, 1.0, 2.0, 0.0])),
     lambda: np.where([0, 1, 2, 0] == np.zeros(4), 0, A / np.array([1.0, 1.0, 2.0, 1.0])))
case("fmax", lambda: knp.fmax(NANS, A + 0.5), lambda: np.fmax(NANS, A + 0.5))
case("fmin", lambda: knp.fmin(A, NANS), lambda: np.fmin(A, NANS))
case("mod", lambda: knp.mod(INT, INT2), lambda: np.mod(INT, INT2))
case("fmod", lambda: knp.fmod(INT, INT2), lambda: np.fmod(INT, INT2))
case("ldexp", lambda: knp.ldexp(A, INT), lambda: np.ldexp(A, INT))
case("gcd", lambda: knp.gcd(INT, INT2), lambda: np.gcd(INT, INT2))
case("lcm", lambda: knp.lcm(INT, INT2), lambda: np.lcm(INT, INT2))
for _name in ["abs", "absolute", "fabs", "negative", "square", "exp", "exp2", "expm1", "sin",
              "cos", "tan", "arctan", "sinh", "cosh", "tanh", "arcsinh", "cbrt", "sinc", "i0",
              "deg2rad", "rad2deg", "sign", "signbit", "ceil", "floor", "trunc", "round"]:
    case(_name, lambda f=_name: getattr(knp, f)(A), lambda f=_name: getattr(np, f)(A))
for _name in ["sqrt", "log", "log1p", "log2", "log10", "reciprocal"]:
    case(_name, lambda f=_name: getattr(knp, f)(POS), lambda f=_name: getattr(np, f)(POS))
for _name in ["arcsin", "arccos", "arctanh"]:
    case(_name, lambda f=_name: getattr(knp, f)(UNIT), lambda f=_name: getattr(np, f)(UNIT))
case("arccosh", lambda: knp.arccosh(POS + 1), lambda: np.arccosh(POS + 1))
case("round", lambda: knp.round(A, 2), lambda: np.round(A, 2))
case("sign", lambda: knp.sign(INT), lambda: np.sign(INT))
case("sign", lambda: knp.sign(np.array([True, False])), lambda: [True, False])
case("round", lambda: knp.round(INT, -1), lambda: np.round(INT, -1))
case("sort", lambda: knp.sort(2.5), lambda: 2.5)
case("argsort", lambda: knp.argsort(2.5), lambda: 0)

# --------------------------------------------------------------------- logic
for _name in ["equal", "not_equal", "greater", "greater_equal", "less", "less_equal",
              "logical_and", "logical_or", "logical_xor"]:
    case(_name, lambda f=_name: getattr(knp, f)(INT, INT2 - 3),
         lambda f=_name: getattr(np, f)(INT, INT2 - 3))
case("isclose", lambda: knp.isclose(A, A + 1e-9), lambda: np.isclose(A, A + 1e-9))
case("allclose", lambda: knp.allclose(A, A + 1e-3), lambda: np.allclose(A, A + 1e-3))
SPECIAL = np.array([1.0, np.nan, np.inf, -np.inf, -0.0])
for _name in ["isfinite", "isinf", "isnan", "isneginf", "isposinf", "isreal"]:
    case(_name, lambda f=_name: getattr(knp, f)(SPECIAL), lambda f=_name: getattr(np, f)(SPECIAL))
case("logical_not", lambda: knp.logical_not(INT), lambda: np.logical_not(INT))
for _name, _np in [("bitwise_and", np.bitwise_and), ("bitwise_or", np.bitwise_or),
                   ("bitwise_xor", np.bitwise_xor), ("bitwise_left_shift", np.left_shift),
                   ("left_shift", np.left_shift), ("bitwise_right_shift", np.right_shift),
                   ("right_shift", np.right_shift)]:
    case(_name, lambda f=_name: getattr(knp, f)(INT2 * 7, INT2), lambda g=_np: g(INT2 * 7, INT2))
case("bitwise_not", lambda: knp.bitwise_not(INT), lambda: np.invert(INT))
case("bitwise_invert", lambda: knp.bitwise_invert(INT), lambda: np.invert(INT))
case("where", lambda: knp.where(A > 0, A, B), lambda: np.where(A > 0, A, B))
case("where", lambda: knp.where(INT), lambda: np.nonzero(INT))
case("select", lambda: knp.select([A > 1, A > 0], [A, B], -1.0),
     lambda: np.select([A > 1, A > 0], [A, B], -1.0))
case("clip", lambda: knp.clip(A, -0.5, 0.7), lambda: np.clip(A, -0.5, 0.7))
case("clip", lambda: knp.clip(INT, None, 2), lambda: np.clip(INT, None, 2))
case("nan_to_num", lambda: knp.nan_to_num(SPECIAL, 5.0, 9.0, -9.0),
     lambda: np.nan_to_num(SPECIAL, nan=5.0, posinf=9.0, neginf=-9.0))
case("nan_to_num", lambda: knp.nan_to_num(SPECIAL), lambda: np.nan_to_num(SPECIAL))
for _name in ["real", "imag", "conj", "conjugate", "angle"]:
    case(_name, lambda f=_name: getattr(knp, f)(A), lambda f=_name: getattr(np, f)(A))
case("angle", lambda: knp.angle(np.array([1 + 1j, -2j])), lambda: np.angle([1 + 1j, -2j]))

# ----------------------------------------------------------------- reductions
for _name in ["sum", "mean", "max", "min", "amax", "amin", "prod", "std", "var", "ptp", "all",
              "any"]:
    case(_name, lambda f=_name: getattr(knp, f)(A, axis=1),
         lambda f=_name: getattr(np, f)(A, axis=1))
    case(_name, lambda f=_name: getattr(knp, f)(CUBE, axis=(0, 2), keepdims=True),
         lambda f=_name: getattr(np, f)(CUBE, axis=(0, 2), keepdims=True))
case("sum", lambda: knp.sum(INT), lambda: np.sum(INT))
case("max", lambda: knp.max(A, axis=0, initial=1.5), lambda: np.max(A, axis=0, initial=1.5))
case("min", lambda: knp.min(INT, initial=-9), lambda: np.min(INT, initial=-9))
case("prod", lambda: knp.prod(np.array([[2.0, 0.0], [3.0, 4.0]]), axis=0), lambda: [6.0, 0.0])
for _name in ["argmax", "argmin"]:
    case(_name, lambda f=_name: getattr(knp, f)(A), lambda f=_name: getattr(np, f)(A))
    case(_name, lambda f=_name: getattr(knp, f)(CUBE, axis=1, keepdims=True),
         lambda f=_name: getattr(np, f)(CUBE, axis=1, keepdims=True))
for _name in ["nanargmax", "nanargmin", "nansum", "nanmean", "nanmax", "nanmin", "nanprod",
              "nanstd", "nanvar"]:
    case(_name, lambda f=_name: getattr(knp, f)(NANS, axis=1),
         lambda f=_name: getattr(np, f)(NANS, axis=1))
    case(_name, lambda f=_name: getattr(knp, f)(NANS), lambda f=_name: getattr(np, f)(NANS))
case("average", lambda: knp.average(A, axis=1, weights=ROW + 3),
     lambda: np.average(A, axis=1, weights=ROW + 3))
case("average", lambda: knp.average(A, weights=B + 3), lambda: np.average(A, weights=B + 3))
case("average", lambda: knp.average(A), lambda: np.average(A))
case("count_nonzero", lambda: knp.count_nonzero(INT, axis=0),
     lambda: np.count_nonzero(INT, axis=0))

# ----------------------------------------------------------------- order statistics
for _name in ["cumsum", "cumprod"]:
    case(_name, lambda f=_name: getattr(knp, f)(A, axis=1), lambda f=_name: getattr(np, f)(A, 1))
    case(_name, lambda f=_name: getattr(knp, f)(INT), lambda f=_name: getattr(np, f)(INT))
case("nancumsum", lambda: knp.nancumsum(NANS, axis=0), lambda: np.nancumsum(NANS, axis=0))
case("nancumprod", lambda: knp.nancumprod(NANS, axis=1), lambda: np.nancumprod(NANS, axis=1))
case("sort", lambda: knp.sort(CUBE, axis=1), lambda: np.sort(CUBE, axis=1))
case("sort", lambda: knp.sort(INT, axis=None), lambda: np.sort(INT, axis=None))
case("argsort", lambda: knp.argsort(A), lambda: np.argsort(A, kind="stable"))
case("argsort", lambda: knp.argsort(INT, axis=0), lambda: np.argsort(INT, axis=0, kind="stable"))
for _q_name, _scale in [("quantile", 1.0), ("percentile", 100.0)]:
    for _method in ["linear", "lower", "higher", "midpoint", "nearest"]:
        case(_q_name, lambda f=_q_name, m=_method, s=_scale: getattr(knp, f)(
            CUBE, np.array([0.1, 0.5, 0.93]) * s, axis=(0, 2), method=m),
            lambda f=_q_name, m=_method, s=_scale: getattr(np, f)(
                CUBE, np.array([0.1, 0.5, 0.93]) * s, axis=(0, 2), method=m))
    case("nan" + _q_name, lambda f=_q_name, s=_scale: getattr(knp, "nan" + f)(
        NANS, 0.3 * s, axis=1, keepdims=True),
        lambda f=_q_name, s=_scale: getattr(np, "nan" + f)(NANS, 0.3 * s, axis=1, keepdims=True))
case("argpartition", lambda: np.take_along_axis(A, knp.argpartition(A, 2).data, -1)[:, 2],
     lambda: np.sort(A, axis=-1)[:, 2])
case("median", lambda: knp.median(A, axis=0), lambda: np.median(A, axis=0))
case("median", lambda: knp.median(CUBE, keepdims=True), lambda: np.median(CUBE, keepdims=True))
case("nanmedian", lambda: knp.nanmedian(NANS, axis=1), lambda: np.nanmedian(NANS, axis=1))
case("searchsorted", lambda: knp.searchsorted(np.sort(ROW), A),
     lambda: np.searchsorted(np.sort(ROW), A))
case("searchsorted", lambda: knp.searchsorted([1, 2, 2, 3], [2], side="right"), lambda: [3])
case("digitize", lambda: knp.digitize(A, [-1.0, 0.0, 1.0]),
     lambda: np.digitize(A, [-1.0, 0.0, 1.0]))

# --------------------------------------------------------------------- shapes
case("reshape", lambda: knp.reshape(CUBE, (4, -1)), lambda: CUBE.reshape(4, -1))
case("ravel", lambda: knp.ravel(CUBE), lambda: CUBE.ravel())
case("transpose", lambda: knp.transpose(CUBE, (2, 0, 1)), lambda: CUBE.transpose(2, 0, 1))
case("transpose", lambda: knp.transpose(CUBE), lambda: CUBE.T)
case("swapaxes", lambda: knp.swapaxes(CUBE, 0, -1), lambda: np.swapaxes(CUBE, 0, -1))
case("moveaxis", lambda: knp.moveaxis(CUBE, 0, -1), lambda: np.moveaxis(CUBE, 0, -1))
case("moveaxis", lambda: knp.moveaxis(CUBE, [0, 1], [-1, 0]),
     lambda: np.moveaxis(CUBE, [0, 1], [-1, 0]))
case("expand_dims", lambda: knp.expand_dims(A, (0, 3)), lambda: np.expand_dims(A, (0, 3)))
case("squeeze", lambda: knp.squeeze(A[None, :, None]), lambda: A)
case("squeeze", lambda: knp.squeeze(A[None, :, None], axis=2), lambda: A[None])
case("broadcast_to", lambda: knp.broadcast_to(ROW, (2, 3, 4)),
     lambda: np.broadcast_to(ROW, (2, 3, 4)))
case("concatenate", lambda: knp.concatenate([A, B], axis=1), lambda: np.concatenate([A, B], 1))
case("concatenate", lambda: knp.concatenate([A, ROW], axis=None),
     lambda: np.concatenate([A, ROW], axis=None))
case("stack", lambda: knp.stack([A, B], axis=-1), lambda: np.stack([A, B], -1))
for _name in ["hstack", "vstack", "dstack"]:
    case(_name, lambda f=_name: getattr(knp, f)([A, B]), lambda f=_name: getattr(np, f)([A, B]))
    case(_name, lambda f=_name: getattr(knp, f)([ROW, ROW]),
         lambda f=_name: getattr(np, f)([ROW, ROW]))
case("append", lambda: knp.append(A, B, axis=0), lambda: np.append(A, B, axis=0))
case("append", lambda: knp.append(A, ROW), lambda: np.append(A, ROW))
case("split", lambda: knp.split(CUBE, 2, axis=2), lambda: np.split(CUBE, 2, axis=2))
case("split", lambda: knp.split(CUBE, [1, -1], axis=2), lambda: np.split(CUBE, [1, -1], axis=2))
case("array_split", lambda: knp.array_split(np.arange(7.0), 3),
     lambda: np.array_split(np.arange(7.0), 3))
case("hsplit", lambda: knp.hsplit(A, 2), lambda: np.hsplit(A, 2))
case("vsplit", lambda: knp.vsplit(A, [1]), lambda: np.vsplit(A, [1]))
case("dsplit", lambda: knp.dsplit(CUBE, 4), lambda: np.dsplit(CUBE, 4))
case("copy", lambda: knp.copy(A), lambda: A)
case("ndim", lambda: knp.ndim(CUBE), lambda: 3)
case("size", lambda: knp.size(CUBE), lambda: 24)

# ------------------------------------------------------------------- indexing
case("take", lambda: knp.take(A, [[2, 0], [-1, 1]], axis=1),
     lambda: np.take(A, [[2, 0], [-1, 1]], axis=1))
case("take", lambda: knp.take(A, [5, 0]), lambda: np.take(A, [5, 0]))
_order = np.argsort(CUBE, axis=1)
case("take_along_axis", lambda: knp.take_along_axis(CUBE, _order, axis=1),
     lambda: np.take_along_axis(CUBE, _order, axis=1))
case("take_along_axis", lambda: knp.take_along_axis(A, np.array([[0], [3], [1]]), axis=1),
     lambda: np.take_along_axis(A, np.array([[0], [3], [1]]), axis=1))
case("get_item", lambda: knp.get_item(CUBE, (slice(None), 1, [0, 3])), lambda: CUBE[:, 1, [0, 3]])
case("flip", lambda: knp.flip(CUBE, axis=(0, 2)), lambda: np.flip(CUBE, axis=(0, 2)))
case("flip", lambda: knp.flip(A), lambda: np.flip(A))
case("fliplr", lambda: knp.fliplr(A), lambda: np.fliplr(A))
case("flipud", lambda: knp.flipud(A), lambda: np.flipud(A))
case("roll", lambda: knp.roll(CUBE, (1, -2), axis=(0, 2)), lambda: np.roll(CUBE, (1, -2), (0, 2)))
case("roll", lambda: knp.roll(A, 5), lambda: np.roll(A, 5))
for _k in (-1, 1, 2, 3):
    case("rot90", lambda k=_k: knp.rot90(CUBE, k, axes=(1, 2)),
         lambda k=_k: np.rot90(CUBE, k, axes=(1, 2)))
case("tile", lambda: knp.tile(A, (2, 1, 3)), lambda: np.tile(A, (2, 1, 3)))
case("tile", lambda: knp.tile(CUBE, 2), lambda: np.tile(CUBE, 2))
case("repeat", lambda: knp.repeat(A, [1, 0, 3], axis=0), lambda: np.repeat(A, [1, 0, 3], axis=0))
case("repeat", lambda: knp.repeat(A, 2), lambda: np.repeat(A, 2))
for _mode in ["constant", "edge", "reflect", "symmetric", "wrap"]:
    case("pad", lambda m=_mode: knp.pad(A, ((1, 2), (2, 0)), mode=m),
         lambda m=_mode: np.pad(A, ((1, 2), (2, 0)), mode=m))
case("pad", lambda: knp.pad(A, 1, constant_values=7.0), lambda: np.pad(A, 1, constant_values=7))
case("tril", lambda: knp.tril(CUBE, 1), lambda: np.tril(CUBE, 1))
case("triu", lambda: knp.triu(A, -1), lambda: np.triu(A, -1))
case("diag", lambda: knp.diag(ROW, -1), lambda: np.diag(ROW, -1))
case("diag", lambda: knp.diag(A, 1), lambda: np.diag(A, 1))
case("diagflat", lambda: knp.diagflat(A[:2, :2], 1), lambda: np.diagflat(A[:2, :2], 1))
case("diagonal", lambda: knp.diagonal(CUBE, 1, 2, 1), lambda: np.diagonal(CUBE, 1, 2, 1))
case("trace", lambda: knp.trace(CUBE, -1, 1, 2), lambda: np.trace(CUBE, -1, 1, 2))
case("trace", lambda: knp.trace(INT), lambda: np.trace(INT))
case("diff", lambda: knp.diff(CUBE, 2, axis=1), lambda: np.diff(CUBE, 2, axis=1))
case("nonzero", lambda: knp.nonzero(INT), lambda: np.nonzero(INT))
case("unravel_index", lambda: knp.unravel_index(np.array([5, 7, 0]), (3, 4)),
     lambda: np.unravel_index([5, 7, 0], (3, 4)))

# ------------------------------------------------------------------- creation
case("arange", lambda: knp.arange(5), lambda: np.arange(5))
case("arange", lambda: knp.arange(1, 2, 0.25), lambda: np.arange(1, 2, 0.25))
case("arange", lambda: knp.arange(10, 2, -3), lambda: np.arange(10, 2, -3))
for _endpoint in (True, False):
    case("linspace", lambda e=_endpoint: knp.linspace(ROW, ROW + 3, 5, e, axis=1),
         lambda e=_endpoint: np.linspace(ROW, ROW + 3, 5, e, axis=1))
    case("logspace", lambda e=_endpoint: knp.logspace(0.0, 2.0, 4, e, base=2.0),
         lambda e=_endpoint: np.logspace(0.0, 2.0, 4, e, base=2.0))
    case("geomspace", lambda e=_endpoint: knp.geomspace(-POS, -4 * POS, 3, e, axis=-1),
         lambda e=_endpoint: np.geomspace(-POS, -4 * POS, 3, e, axis=-1))
case("linspace", lambda: knp.linspace(0.0, 1.0, 5, retstep=True),
     lambda: np.linspace(0.0, 1.0, 5, retstep=True))
for _name in ["zeros", "ones", "empty"]:
    case(_name, lambda f=_name: getattr(knp, f)((2, 3)),
         lambda f=_name: np.zeros((2, 3)) + (f == "ones"))
    case(_name + "_like", lambda f=_name: getattr(knp, f + "_like")(INT),
         lambda f=_name: np.zeros_like(INT) + (f == "ones"))
case("full", lambda: knp.full((2, 2), 3.5), lambda: np.full((2, 2), 3.5))
case("full_like", lambda: knp.full_like(A, 2.0), lambda: np.full_like(A, 2.0))
case("eye", lambda: knp.eye(3, 4, 1), lambda: np.eye(3, 4, 1))
case("identity", lambda: knp.identity(3), lambda: np.identity(3))
case("tri", lambda: knp.tri(3, 5, -1), lambda: np.tri(3, 5, -1))
case("array", lambda: knp.array([[1, 2], [3, 4]], dtype="float64"),
     lambda: np.array([[1.0, 2.0], [3.0, 4.0]]))
for _name in ["bartlett", "blackman", "hamming", "hanning"]:
    case(_name, lambda f=_name: getattr(knp, f)(7), lambda f=_name: getattr(np, f)(7))
case("kaiser", lambda: knp.kaiser(7, 5.0), lambda: np.kaiser(7, 5.0))
case("vander", lambda: knp.vander(ROW, 3), lambda: np.vander(ROW, 3))
case("vander", lambda: knp.vander(ROW, increasing=True), lambda: np.vander(ROW, increasing=True))
case("meshgrid", lambda: knp.meshgrid(ROW, ROW[:3], np.arange(2.0)),
     lambda: np.meshgrid(ROW, ROW[:3], np.arange(2.0)))
case("meshgrid", lambda: knp.meshgrid(ROW, ROW[:3], indexing="ij"),
     lambda: np.meshgrid(ROW, ROW[:3], indexing="ij"))

# ------------------------------------------------------------------- products
M1, M2 = rng.normal(size=(2, 3, 4)), rng.normal(size=(4, 5))
case("matmul", lambda: knp.matmul(M1, M2), lambda: M1 @ M2)
case("matmul", lambda: knp.matmul(ROW, M2), lambda: ROW @ M2)
case("dot", lambda: knp.dot(M1, M2), lambda: np.dot(M1, M2))
case("dot", lambda: knp.dot(ROW, ROW), lambda: np.dot(ROW, ROW))
case("vdot", lambda: knp.vdot(A, B), lambda: np.vdot(A, B))
case("inner", lambda: knp.inner(M1, A), lambda: np.inner(M1, A))
case("outer", lambda: knp.outer(ROW, A), lambda: np.outer(ROW, A))
case("tensordot", lambda: knp.tensordot(M1, A, ([1, 2], [0, 1])),
     lambda: np.tensordot(M1, A, ([1, 2], [0, 1])))
case("tensordot", lambda: knp.tensordot(M1, M2, 1), lambda: np.tensordot(M1, M2, 1))
for _spec, _args in [("bij,jk->bik", (M1, M2)), ("ii->i", (SQUARE[0],)), ("...j,jk", (M1, M2)),
                     ("ijk->", (M1,)), ("ij,ij", (A, B)), ("i,j->ij", (ROW, ROW)),
                     ("bii->b", (SQUARE,))]:
    case("einsum", lambda s=_spec, a=_args: knp.einsum(s, *a),
         lambda s=_spec, a=_args: np.einsum(s, *a))
case("kron", lambda: knp.kron(A[:2, :2], CUBE), lambda: np.kron(A[:2, :2], CUBE))
V3a, V3b = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
case("cross", lambda: knp.cross(V3a, V3b), lambda: np.cross(V3a, V3b))
case("cross", lambda: knp.cross(V3a.T, V3b.T, axis=0), lambda: np.cross(V3a.T, V3b.T, axis=0))
case("cross", lambda: knp.cross(V3a[:, :2], V3b[:, :2]),
     lambda: V3a[:, 0] * V3b[:, 1] - V3a[:, 1] * V3b[:, 0])
for _mode in ["valid", "same", "full"]:
    for _n, _m in [(6, 3), (3, 6), (4, 2), (2, 4)]:
        case("correlate", lambda n=_n, m=_m, o=_mode: knp.correlate(
            CUBE.ravel()[:n], ROW[:m] if m <= 4 else CUBE.ravel()[-m:], mode=o),
            lambda n=_n, m=_m, o=_mode: np.correlate(
                CUBE.ravel()[:n], ROW[:m] if m <= 4 else CUBE.ravel()[-m:], mode=o))
case("trapezoid", lambda: knp.trapezoid(CUBE, axis=1), lambda: np.trapezoid(CUBE, axis=1))
case("trapezoid", lambda: knp.trapezoid(A, x=np.array([0.0, 1.0, 3.0, 3.5]), axis=-1),
     lambda: np.trapezoid(A, x=np.array([0.0, 1.0, 3.0, 3.5]), axis=-1))
case("trapezoid", lambda: knp.trapezoid(A, dx=0.5, axis=0), lambda: np.trapezoid(A, dx=0.5, axis=0))
case("corrcoef", lambda: knp.corrcoef(A), lambda: np.corrcoef(A))
case("slogdet", lambda: knp.slogdet(SQUARE), lambda: tuple(np.linalg.slogdet(SQUARE)))

# ------------------------------------------------------------------- counting
case("histogram", lambda: knp.histogram(A.ravel(), bins=4),
     lambda: np.histogram(A.ravel(), bins=4))
case("histogram", lambda: knp.histogram(A.ravel(), bins=3, range=(-1.0, 1.0)),
     lambda: np.histogram(A.ravel(), bins=3, range=(-1.0, 1.0)))
_ids = np.array([0, 3, 3, 1, 5])
case("bincount", lambda: knp.bincount(_ids, minlength=8), lambda: np.bincount(_ids, minlength=8))
case("bincount", lambda: knp.bincount(_ids, weights=ROW[[0, 1, 2, 3, 0]]),
     lambda: np.bincount(_ids, weights=ROW[[0, 1, 2, 3, 0]]))
case("bincount", lambda: knp.bincount(np.array([[0, 2], [1, 1]])), lambda: [[1, 0, 1], [0, 2, 0]])
case("unique", lambda: knp.unique(INT), lambda: np.unique(INT))
case("unique", lambda: knp.unique(INT, return_index=True, return_inverse=True,
                                  return_counts=True),
     lambda: np.unique(INT, return_index=True, return_inverse=True, return_counts=True))
case("unique", lambda: knp.unique(np.array([3, 1, 3]), size=4, fill_value=9,
                                  return_counts=True), lambda: ([1, 3, 9, 9], [1, 2, 0, 0]))
case("isin", lambda: knp.isin(INT, [0, 2, 4]), lambda: np.isin(INT, [0, 2, 4]))
case("isin", lambda: knp.isin(INT, [0, 2], invert=True), lambda: np.isin(INT, [0, 2], invert=True))
case("view", lambda: knp.view(np.array([1.0, -2.0], "float32"), "int32"),
     lambda: np.array([1.0, -2.0], "float32").view("int32"))
case("vectorize", lambda: knp.vectorize(lambda a, b: a * b + 1.0)(A, ROW), lambda: A * ROW + 1)
case("vectorize", lambda: knp.vectorize(lambda a, b: knp.sum(a * b), signature="(n),(n)->()")(
    A, ROW), lambda: A @ ROW)
case("vectorize", lambda: knp.vectorize(lambda a, s: a * s, excluded={1})(A, 2.0),
     lambda: A * 2)


def _plain(value: Any) -> Any:
    if isinstance(value, Tensor):
        return value.data
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _compare(got: Any, want: Any) -> None:
    if isinstance(want, (list, tuple)) and isinstance(got, list):
        assert len(got) == len(want)
        for g, w in zip(got, want, strict=True):
            _compare(g, w)
        return
    got = np.asarray(got)
    want = np.asarray(want)
    assert got.shape == want.shape
    np.testing.assert_allclose(got.astype(np.float64) if got.dtype.kind != "c" else got,
                               want, rtol=2e-6, atol=1e-9, equal_nan=True)


@pytest.mark.parametrize(("name", "ours", "expected"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_value_matches_numpy(name: str, ours: Callable[[], Any],
                             expected: Callable[[], Any]) -> None:
    _compare(_plain(ours()), expected())


def test_dot_of_higher_rank_arrays_matches_numpy() -> None:
    b = rng.normal(size=(2, 4, 3))
    np.testing.assert_allclose(knp.dot(M1, b).data, np.dot(M1, b))


def test_every_name_has_a_value_case() -> None:
    covered = {name for name, _, _ in CASES}
    missing = sorted(set(knp.__all__) - covered)
    assert not missing, f"no value case for: {missing}"


def test_argpartition_splits_around_the_kth_element() -> None:
    idx = knp.argpartition(CUBE, 1, axis=1).data
    parted = np.take_along_axis(CUBE, idx, axis=1)
    np.testing.assert_array_equal(parted[:, 1], np.sort(CUBE, axis=1)[:, 1])
    assert np.all(parted[:, :1] <= parted[:, 1:2]) and np.all(parted[:, 2:] >= parted[:, 1:2])
    assert idx.dtype == np.int32
