"""Gradients of ``descend.ops.numpy`` against float64 central differences.

Every name in ``descend.ops.numpy.__all__`` either has a gradcheck case here or an
entry in ``NON_DIFFERENTIABLE`` saying why it has no gradient;
``test_every_name_is_gradchecked_or_explained`` fails otherwise. Points are chosen
away from kinks and ties (abs at 0, max/sort ties, clip bounds, mod jumps).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from descend.autograd import Tensor, gradcheck
from descend.ops import numpy as knp

rng = np.random.default_rng(11)


def uniform(*shape: int, low: float = -1.0, high: float = 1.0) -> np.ndarray:
    return rng.uniform(low, high, size=shape)


def positive(*shape: int) -> np.ndarray:
    return rng.uniform(0.5, 2.0, size=shape)


def distinct(*shape: int) -> np.ndarray:
    """All values different (no ties), spaced 0.1 apart."""
    n = int(np.prod(shape))
    return (rng.permutation(n).reshape(shape) - n / 2) * 0.1 + 0.03


def away(*shape: int) -> np.ndarray:
    """|x| in [0.3, 1.5] with random signs."""
    return uniform(*shape, low=0.3, high=1.5) * rng.choice([-1.0, 1.0], size=shape)


def with_nans(x: np.ndarray) -> np.ndarray:
    x = x.copy()
    x.reshape(-1)[[1, -2]] = np.nan
    return x


def flat(parts: Any) -> Tensor:
    """Several outputs as one tensor, for gradcheck."""
    return knp.concatenate([knp.ravel(p) for p in parts], axis=0)


CASES: list[tuple[str, Callable[..., Tensor], tuple[np.ndarray, ...]]] = []


def case(name: str, fn: Callable[..., Tensor], *inputs: np.ndarray) -> None:
    CASES.append((name, fn, inputs))


# ---------------------------------------------------------------- arithmetic
for _name in ["add", "subtract", "multiply", "maximum", "minimum", "fmax", "fmin"]:
    case(_name, getattr(knp, _name), distinct(3, 4), distinct(4) + 0.05)
for _name in ["divide", "true_divide", "divide_no_nan", "arctan2", "hypot", "logaddexp",
              "logaddexp2"]:
    case(_name, getattr(knp, _name), uniform(3, 4), away(3, 4))
case("divide_no_nan", lambda a: knp.divide_no_nan(a, np.array([0.0, 2.0, 0.0, -1.0])),
     uniform(3, 4))
case("fmax", lambda a, b: knp.fmax(a, b), with_nans(distinct(3, 4)), distinct(3, 4) + 0.05)
case("mod", knp.mod, uniform(3, 4, low=0.1, high=0.9) + 2 * rng.integers(-2, 3, (3, 4)),
     np.full((3, 4), 2.0))
case("fmod", knp.fmod, uniform(3, 4, low=0.1, high=0.9) - 3.0, np.full((3, 4), 2.0))
case("power", knp.power, positive(3, 4), uniform(3, 4))
case("ldexp", lambda a: knp.ldexp(a, np.array([0, 1, -2, 3])), uniform(3, 4))
for _name in ["abs", "absolute", "fabs", "negative", "square", "exp", "exp2", "expm1", "sin",
              "cos", "tan", "arctan", "sinh", "cosh", "tanh", "arcsinh", "cbrt", "sinc",
              "deg2rad", "rad2deg"]:
    case(_name, getattr(knp, _name), away(3, 4))
for _name in ["sqrt", "log", "log1p", "log2", "log10", "reciprocal"]:
    case(_name, getattr(knp, _name), positive(3, 4))
for _name in ["arcsin", "arccos", "arctanh"]:
    case(_name, getattr(knp, _name), uniform(3, 4, low=-0.8, high=0.8))
case("arccosh", knp.arccosh, positive(3, 4) + 1.0)
case("sinc", knp.sinc, np.array([0.0, 0.5, -1.3]))

# ---------------------------------------------------------------------- logic
_cond = rng.random((3, 4)) > 0.5
case("where", lambda a, b: knp.where(_cond, a, b), uniform(3, 4), uniform(4))
case("select", lambda a, b: knp.select([_cond, ~_cond & (rng.random((3, 4)) > 2)], [a, b], 0.5),
     uniform(3, 4), uniform(3, 4))
case("clip", lambda a: knp.clip(a, -0.5, 0.5), np.array([-0.9, -0.2, 0.1, 0.7]))
case("clip", knp.clip, np.array([-0.9, -0.2, 0.1, 0.7]), np.full(4, -0.5), np.full(4, 0.5))
case("nan_to_num", lambda a: knp.nan_to_num(a, nan=1.0), with_nans(uniform(3, 4)))
for _name in ["real", "conj", "conjugate"]:
    case(_name, lambda a, f=_name: getattr(knp, f)(a) * 2.0, uniform(3, 4))

# ----------------------------------------------------------------- reductions
for _name in ["sum", "mean", "max", "min", "amax", "amin", "prod", "var", "std", "ptp"]:
    case(_name, lambda a, f=_name: getattr(knp, f)(a, axis=1), distinct(3, 4))
    case(_name, lambda a, f=_name: getattr(knp, f)(a, axis=(0, 2), keepdims=True),
         distinct(2, 3, 4))
case("prod", lambda a: knp.prod(a), np.array([[0.0, 2.0], [0.0, -1.5]]))
case("prod", lambda a: knp.prod(a, axis=0), np.array([[0.0, 2.0], [3.0, -1.5]]))
case("max", lambda a: knp.max(a, axis=0, initial=0.0), distinct(3, 4))
case("average", lambda a, w: knp.average(a, axis=1, weights=w), uniform(3, 4), positive(4))
case("average", lambda a, w: knp.average(a, weights=w), uniform(3, 4), positive(3, 4))
for _name in ["nansum", "nanmean", "nanmax", "nanmin", "nanprod", "nanstd", "nanvar"]:
    case(_name, lambda a, f=_name: getattr(knp, f)(a, axis=1), with_nans(distinct(3, 4)))

# ----------------------------------------------------------- order statistics
for _name in ["cumsum", "cumprod", "nancumsum", "nancumprod"]:
    case(_name, lambda a, f=_name: getattr(knp, f)(a, axis=1), with_nans(away(3, 4))
         if _name.startswith("nan") else away(3, 4))
case("cumsum", lambda a: knp.cumsum(a), uniform(2, 3))
case("cumprod", lambda a: knp.cumprod(a, axis=0), np.array([[1.5, 0.0], [0.0, 2.0], [3.0, 0.5]]))
case("sort", lambda a: knp.sort(a, axis=0), distinct(3, 4))
for _method in ["linear", "lower", "higher", "midpoint", "nearest"]:
    case("quantile", lambda a, m=_method: knp.quantile(a, [0.2, 0.55], axis=1, method=m),
         distinct(3, 5))
case("percentile", lambda a: knp.percentile(a, 30.0, axis=(0, 1)), distinct(2, 3, 2))
case("nanquantile", lambda a: knp.nanquantile(a, 0.4, axis=1), with_nans(distinct(3, 5)))
case("nanpercentile", lambda a: knp.nanpercentile(a, 70, axis=0), with_nans(distinct(4, 3)))
case("median", lambda a: knp.median(a, axis=-1), distinct(3, 4))
case("nanmedian", lambda a: knp.nanmedian(a, axis=1), with_nans(distinct(3, 5)))

# ---------------------------------------------------------------------- shapes
X = uniform(2, 3, 4)
case("reshape", lambda a: knp.reshape(a, (4, -1)), X)
case("ravel", knp.ravel, X)
case("transpose", lambda a: knp.transpose(a, (1, 2, 0)), X)
case("swapaxes", lambda a: knp.swapaxes(a, 0, 2), X)
case("moveaxis", lambda a: knp.moveaxis(a, 0, -1), X)
case("expand_dims", lambda a: knp.expand_dims(a, 1), X)
case("squeeze", knp.squeeze, uniform(1, 3, 1))
case("broadcast_to", lambda a: knp.broadcast_to(a, (2, 3, 4)), uniform(3, 1))
case("concatenate", lambda a, b: knp.concatenate([a, b], axis=1), uniform(2, 3), uniform(2, 2))
case("stack", lambda a, b: knp.stack([a, b], axis=1), uniform(2, 3), uniform(2, 3))
for _name in ["hstack", "vstack", "dstack"]:
    case(_name, lambda a, b, f=_name: getattr(knp, f)([a, b]), uniform(2, 3), uniform(2, 3))
case("append", lambda a, b: knp.append(a, b), uniform(2, 3), uniform(4))
for _name, _arg in [("split", 2), ("array_split", 3), ("hsplit", 2), ("vsplit", 2),
                    ("dsplit", [1, 3])]:
    case(_name, lambda a, f=_name, s=_arg: flat(getattr(knp, f)(a, s)), uniform(2, 4, 4))
case("copy", knp.copy, X)

# -------------------------------------------------------------------- indexing
case("take", lambda a: knp.take(a, [[0, 2], [2, -1]], axis=1), X)
case("take_along_axis", lambda a: knp.take_along_axis(a, np.array([[[0, 0, 3]]]), axis=2), X)
case("get_item", lambda a: knp.get_item(a, (1, [0, 0, 2])), X)
case("flip", lambda a: knp.flip(a, axis=(0, 2)), X)
case("fliplr", knp.fliplr, uniform(3, 4))
case("flipud", knp.flipud, uniform(3, 4))
case("roll", lambda a: knp.roll(a, (1, -1), axis=(1, 2)), X)
case("rot90", lambda a: knp.rot90(a, 3, axes=(2, 0)), X)
case("tile", lambda a: knp.tile(a, (2, 1, 3)), uniform(3, 2))
case("repeat", lambda a: knp.repeat(a, [2, 0, 1], axis=0), uniform(3, 2))
for _mode in ["constant", "edge", "reflect", "symmetric", "wrap"]:
    case("pad", lambda a, m=_mode: knp.pad(a, ((2, 1), (0, 2)), mode=m), uniform(3, 3))
case("tril", lambda a: knp.tril(a, -1), X)
case("triu", knp.triu, uniform(3, 4))
case("diag", lambda a: knp.diag(a, 1), uniform(3))
case("diag", knp.diag, uniform(3, 4))
case("diagflat", knp.diagflat, uniform(2, 2))
case("diagonal", lambda a: knp.diagonal(a, -1, 2, 1), X)
case("trace", lambda a: knp.trace(a, 1), uniform(3, 4))
case("diff", lambda a: knp.diff(a, 2, axis=2), X)

# -------------------------------------------------------------------- creation
case("array", lambda a: knp.array(a) * 3.0, uniform(2, 2))
case("linspace", lambda a, b: knp.linspace(a, b, 4, axis=1), uniform(3), uniform(3))
case("linspace", lambda a, b: knp.linspace(a, b, 3, endpoint=False, retstep=True)[1], uniform(2),
     uniform(2))
case("logspace", lambda a, b: knp.logspace(a, b, 4, base=3.0), uniform(2), uniform(2))
case("geomspace", lambda a, b: knp.geomspace(a, b, 4), -positive(2), -positive(2))
case("vander", lambda a: knp.vander(a, 4), np.array([0.0, 0.5, -1.2]))
case("meshgrid", lambda a, b: flat(knp.meshgrid(a, b)), uniform(3), uniform(2))

# -------------------------------------------------------------------- products
case("matmul", knp.matmul, uniform(2, 3, 4), uniform(4, 2))
case("dot", knp.dot, uniform(2, 3, 4), uniform(3, 4, 2))
case("vdot", knp.vdot, uniform(2, 3), uniform(3, 2))
case("inner", knp.inner, uniform(2, 3), uniform(4, 3))
case("outer", knp.outer, uniform(3), uniform(2, 2))
case("tensordot", lambda a, b: knp.tensordot(a, b, ([0, 2], [1, 0])), uniform(2, 3, 4),
     uniform(4, 2, 2))
for _spec, _shapes in [("bij,bjk->bik", [(2, 3, 4), (2, 4, 2)]), ("ii->i", [(3, 3)]),
                       ("ij->", [(2, 3)]), ("i,j->ij", [(3,), (2,)]),
                       ("...ij,j->...i", [(2, 3, 4), (4,)]), ("bii,bj->bj", [(2, 3, 3), (2, 4)]),
                       ("ij,jk", [(2, 3), (3, 2)])]:
    case("einsum", lambda *xs, s=_spec: knp.einsum(s, *xs), *[uniform(*s) for s in _shapes])
case("kron", knp.kron, uniform(2, 2), uniform(3, 1))
case("cross", knp.cross, uniform(4, 3), uniform(4, 3))
case("cross", knp.cross, uniform(4, 2), uniform(4, 3))
for _mode in ["valid", "same", "full"]:
    case("correlate", lambda a, v, m=_mode: knp.correlate(a, v, m), uniform(5), uniform(3))
    case("correlate", lambda a, v, m=_mode: knp.correlate(a, v, m), uniform(2), uniform(4))
case("trapezoid", lambda y, x: knp.trapezoid(y, x, axis=0), uniform(4, 3), np.sort(uniform(4)))
case("trapezoid", lambda y: knp.trapezoid(y, dx=0.3), uniform(3, 5))
case("corrcoef", knp.corrcoef, uniform(3, 5))
case("slogdet", lambda a: knp.slogdet(a)[1], uniform(2, 3, 3) + 2 * np.eye(3))

# ---------------------------------------------------------------------- misc
case("bincount", lambda w: knp.bincount(np.array([0, 3, 3, 1]), weights=w), uniform(4))
case("vectorize", lambda a, b: knp.vectorize(lambda u, v: knp.sin(u) * v)(a, b), uniform(2, 3),
     uniform(3))
case("vectorize", lambda a, b: knp.vectorize(lambda u, v: knp.sum(u * v),
                                             signature="(n),(n)->()")(a, b),
     uniform(2, 3), uniform(3))

NON_DIFFERENTIABLE = {
    # index, count and set results: integer-valued
    **dict.fromkeys(["argmax", "argmin", "nanargmax", "nanargmin", "argsort", "argpartition",
                     "searchsorted", "digitize", "nonzero", "unravel_index", "count_nonzero",
                     "histogram", "unique", "size", "ndim"],
                    "integer indices or counts"),
    # boolean results
    **dict.fromkeys(["equal", "not_equal", "greater", "greater_equal", "less", "less_equal",
                     "isclose", "allclose", "isfinite", "isinf", "isnan", "isneginf",
                     "isposinf", "isreal", "logical_and", "logical_or", "logical_xor",
                     "logical_not", "signbit", "all", "any", "isin"], "boolean result"),
    # integer-only arithmetic
    **dict.fromkeys(["bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not",
                     "bitwise_invert", "bitwise_left_shift", "bitwise_right_shift",
                     "left_shift", "right_shift", "gcd", "lcm"], "defined on integers only"),
    # piecewise constant: the derivative is zero wherever it exists
    **dict.fromkeys(["floor", "ceil", "trunc", "round", "sign", "floor_divide", "heaviside",
                     "nextafter", "angle", "imag"], "piecewise constant (zero derivative)"),
    # constants that do not depend on the values of any input
    **dict.fromkeys(["arange", "zeros", "ones", "empty", "full", "eye", "identity", "tri",
                     "zeros_like", "ones_like", "empty_like", "full_like", "bartlett",
                     "blackman", "hamming", "hanning", "kaiser"],
                    "a constant: no input values enter the result"),
    "i0": "NumPy has no Bessel I1 for its derivative; descend gives no gradient",
    "view": "a reinterpretation of the bytes, not a differentiable function",
}


@pytest.mark.parametrize(("name", "fn", "inputs"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_gradient_matches_central_differences(name: str, fn: Callable[..., Tensor],
                                              inputs: tuple[np.ndarray, ...]) -> None:
    assert gradcheck(fn, *inputs)


def test_every_name_is_gradchecked_or_explained() -> None:
    checked = {name for name, _, _ in CASES}
    both = sorted(checked & set(NON_DIFFERENTIABLE))
    assert not both, f"listed as non-differentiable but gradchecked: {both}"
    missing = sorted(set(knp.__all__) - checked - set(NON_DIFFERENTIABLE))
    assert not missing, f"neither gradchecked nor in NON_DIFFERENTIABLE: {missing}"
    unknown = sorted((checked | set(NON_DIFFERENTIABLE)) - set(knp.__all__))
    assert not unknown, f"cases for names that ops.numpy does not export: {unknown}"


@pytest.mark.parametrize("name", sorted(NON_DIFFERENTIABLE))
def test_non_differentiable_results_do_not_require_grad(name: str) -> None:
    x = Tensor(np.array([[1.0, 2.0], [3.0, 0.5]]), requires_grad=True)
    ints = np.array([[1, 2], [3, 4]], np.int32)
    calls: dict[str, Callable[[], Any]] = {
        "argpartition": lambda: knp.argpartition(x, 1), "searchsorted": lambda: knp.searchsorted(
            np.array([0.0, 1.0, 2.0]), x), "digitize": lambda: knp.digitize(x, [0.0, 1.5]),
        "unravel_index": lambda: knp.unravel_index(ints, (3, 3)), "histogram": lambda:
        knp.histogram(knp.ravel(x)), "isin": lambda: knp.isin(x, [1.0]),
        "heaviside": lambda: knp.heaviside(x, 0.5), "nextafter": lambda: knp.nextafter(x, 0.0),
        "arange": lambda: knp.arange(3), "zeros": lambda: knp.zeros(2), "ones": lambda:
        knp.ones(2), "empty": lambda: knp.empty(2), "full": lambda: knp.full(2, 1.0),
        "eye": lambda: knp.eye(2), "identity": lambda: knp.identity(2), "tri": lambda:
        knp.tri(2), "full_like": lambda: knp.full_like(x, 3.0), "kaiser": lambda:
        knp.kaiser(3, 2.0), "view": lambda: knp.view(x, "int64"), "round": lambda: knp.round(x),
    }
    if name in calls:
        out = calls[name]()
    elif name in ("bartlett", "blackman", "hamming", "hanning"):
        out = getattr(knp, name)(4)
    elif name.startswith(("bitwise", "left_", "right_")) or name in ("gcd", "lcm"):
        fn = getattr(knp, name)
        out = fn(ints) if name in ("bitwise_not", "bitwise_invert") else fn(ints, ints)
    else:
        fn = getattr(knp, name)
        try:
            out = fn(x)
        except TypeError:
            out = fn(x, x)
    outputs = out if isinstance(out, (tuple, list)) else [out]
    for o in outputs:
        assert not isinstance(o, Tensor) or not o.requires_grad
