"""Elementwise arithmetic and math functions of ``keras.ops.numpy``.

Float results are differentiable (built from engine primitives, see
:mod:`descend.autograd.ops` and :mod:`descend.autograd.ops.unary`); integer
results and piecewise-constant functions (``floor``, ``sign``, ...) have no
gradient. Dtypes follow :mod:`descend.ops._numpy_base`.

Examples
--------
>>> import numpy as np
>>> from descend.ops import numpy as knp
>>> knp.add(np.array([1, 2], "int32"), 1).data
array([2, 3], dtype=int32)
>>> knp.sqrt(np.array([4, 9])).data
array([2., 3.], dtype=float32)
"""

from __future__ import annotations

import math as _math
from typing import Any

import numpy as np

from descend.autograd import ops as E
from descend.autograd.ops import unary as U
from descend.autograd.tensor import Tensor
from descend.ops._numpy_base import (
    check_broadcast,
    const,
    float_type,
    floating,
    numpy_op,
    promote,
    to_array,
    to_tensor,
)

__all__ = [
    "abs", "absolute", "add", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctan2",
    "arctanh", "cbrt", "ceil", "cos", "cosh", "deg2rad", "divide", "divide_no_nan", "exp",
    "exp2", "expm1", "fabs", "floor", "floor_divide", "fmax", "fmin", "fmod", "gcd", "heaviside",
    "hypot", "i0", "lcm", "ldexp", "log", "log10", "log1p", "log2", "logaddexp", "logaddexp2",
    "maximum", "minimum", "mod", "multiply", "negative", "nextafter", "power", "rad2deg",
    "reciprocal", "round", "sign", "signbit", "sin", "sinc", "sinh", "sqrt", "square",
    "subtract", "tan", "tanh", "true_divide", "trunc",
]


def _binary(op: str, x1: Any, x2: Any, dtype: Any = None) -> list[Tensor]:
    check_broadcast(op, x1, x2)
    return promote(x1, x2, dtype=dtype)


def _is_float(t: Tensor) -> bool:
    return t.data.dtype.kind in "fc"


# ------------------------------------------------------------------ binary arithmetic
@numpy_op
def add(x1: Any, x2: Any) -> Tensor:
    """Elementwise ``x1 + x2`` with broadcasting; shape: the broadcast shape."""
    a, b = _binary("add", x1, x2)
    if a.data.dtype == bool:
        return const(np.logical_or(a.data, b.data))
    return E.add(a, b)


@numpy_op
def subtract(x1: Any, x2: Any) -> Tensor:
    """Elementwise ``x1 - x2`` with broadcasting."""
    a, b = _binary("subtract", x1, x2)
    if a.data.dtype == bool:
        raise TypeError("subtract: boolean operands are not supported; cast them to int first.")
    return E.sub(a, b)


@numpy_op
def multiply(x1: Any, x2: Any) -> Tensor:
    """Elementwise ``x1 * x2`` with broadcasting."""
    a, b = _binary("multiply", x1, x2)
    if a.data.dtype == bool:
        return const(np.logical_and(a.data, b.data))
    return E.mul(a, b)


@numpy_op
def divide(x1: Any, x2: Any) -> Tensor:
    """Elementwise true division ``x1 / x2``; integer operands give ``floatx()``."""
    a, b = _binary("divide", x1, x2, dtype=float_type(x1, x2))
    return E.div(a, b)


@numpy_op
def true_divide(x1: Any, x2: Any) -> Tensor:
    """Alias of :func:`divide`."""
    a, b = _binary("true_divide", x1, x2, dtype=float_type(x1, x2))
    return E.div(a, b)


@numpy_op
def divide_no_nan(x1: Any, x2: Any) -> Tensor:
    """``x1 / x2``, and 0 where ``x2 == 0`` (no gradient flows there)."""
    a, b = _binary("divide_no_nan", x1, x2, dtype=float_type(x1, x2))
    zero = b.data == 0
    safe = E.where(zero, np.ones((), b.data.dtype), b)
    return E.where(zero, np.zeros((), a.data.dtype), E.div(a, safe))


@numpy_op
def floor_divide(x1: Any, x2: Any) -> Tensor:
    """Elementwise ``floor(x1 / x2)`` (no gradient: piecewise constant)."""
    a, b = _binary("floor_divide", x1, x2)
    return const(np.floor_divide(a.data, b.data))


@numpy_op
def mod(x1: Any, x2: Any) -> Tensor:
    """Remainder with the sign of ``x2`` (NumPy's ``mod``): ``x1 - floor(x1 / x2) * x2``.

    The gradient is 1 for ``x1`` and ``-floor(x1 / x2)`` for ``x2``.
    """
    a, b = _binary("mod", x1, x2)
    if not _is_float(a):
        return const(np.mod(a.data, b.data))
    quotient = np.floor_divide(a.data, b.data)
    out = E.sub(a, E.mul(b, const(quotient)))
    return _with_values(out, np.mod(a.data, b.data))


@numpy_op
def fmod(x1: Any, x2: Any) -> Tensor:
    """Remainder with the sign of ``x1`` (C's ``fmod``): ``x1 - trunc(x1 / x2) * x2``."""
    a, b = _binary("fmod", x1, x2)
    if not _is_float(a):
        return const(np.fmod(a.data, b.data))
    quotient = np.trunc(a.data / b.data)
    out = E.sub(a, E.mul(b, const(quotient)))
    return _with_values(out, np.fmod(a.data, b.data))


def _with_values(out: Tensor, exact: np.ndarray) -> Tensor:
    """Replace a composed result's values by NumPy's exactly rounded ones (same gradient)."""
    out.data = np.asarray(exact, out.data.dtype)
    return out


@numpy_op
def power(x1: Any, x2: Any) -> Tensor:
    """Elementwise ``x1 ** x2`` (differentiable in both for float operands)."""
    a, b = _binary("power", x1, x2)
    if not _is_float(a):
        return const(np.power(a.data, b.data))
    return E.pow(a, b)


@numpy_op
def maximum(x1: Any, x2: Any) -> Tensor:
    """Elementwise maximum; ties split the gradient equally."""
    a, b = _binary("maximum", x1, x2)
    return E.maximum(a, b) if _is_float(a) else const(np.maximum(a.data, b.data))


@numpy_op
def minimum(x1: Any, x2: Any) -> Tensor:
    """Elementwise minimum; ties split the gradient equally."""
    a, b = _binary("minimum", x1, x2)
    return E.minimum(a, b) if _is_float(a) else const(np.minimum(a.data, b.data))


def _nan_ignoring(op: str, x1: Any, x2: Any, pick: Any) -> Tensor:
    a, b = _binary(op, x1, x2)
    if not _is_float(a):
        return pick(a, b)
    out = pick(a, b)
    a_nan, b_nan = np.isnan(a.data), np.isnan(b.data)
    out = E.where(np.broadcast_to(b_nan, out.shape), E.broadcast_to(a, out.shape), out)
    return E.where(np.broadcast_to(a_nan, out.shape), E.broadcast_to(b, out.shape), out)


@numpy_op
def fmax(x1: Any, x2: Any) -> Tensor:
    """Elementwise maximum that ignores NaN (NaN only where both are NaN)."""
    return _nan_ignoring("fmax", x1, x2, lambda a, b: maximum(a, b))


@numpy_op
def fmin(x1: Any, x2: Any) -> Tensor:
    """Elementwise minimum that ignores NaN (NaN only where both are NaN)."""
    return _nan_ignoring("fmin", x1, x2, lambda a, b: minimum(a, b))


@numpy_op
def arctan2(x1: Any, x2: Any) -> Tensor:
    """Angle of the point ``(x2, x1)`` in radians, in ``[-pi, pi]``."""
    y, x = _binary("arctan2", x1, x2, dtype=float_type(x1, x2))
    return U.Arctan2.apply(y, x)


@numpy_op
def hypot(x1: Any, x2: Any) -> Tensor:
    """``sqrt(x1**2 + x2**2)`` elementwise."""
    a, b = _binary("hypot", x1, x2, dtype=float_type(x1, x2))
    out = E.sqrt(E.add(E.square(a), E.square(b)))
    return _with_values(out, np.hypot(a.data, b.data))


@numpy_op
def logaddexp(x1: Any, x2: Any) -> Tensor:
    """``log(exp(x1) + exp(x2))`` computed without overflow."""
    a, b = _binary("logaddexp", x1, x2, dtype=float_type(x1, x2))
    m = np.maximum(a.data, b.data)
    m = const(np.where(np.isfinite(m), m, 0).astype(m.dtype))
    # log(e^(a-m) + e^(b-m)) + m: m has no gradient, the total derivative in m is 0
    out = E.add(E.log(E.add(E.exp(E.sub(a, m)), E.exp(E.sub(b, m)))), m)
    return out


@numpy_op
def logaddexp2(x1: Any, x2: Any) -> Tensor:
    """``log2(2**x1 + 2**x2)`` computed without overflow."""
    a, b = promote(x1, x2, dtype=float_type(x1, x2))
    ln2 = _math.log(2.0)
    return E.div(logaddexp(E.mul(a, ln2), E.mul(b, ln2)), ln2)


@numpy_op
def ldexp(x1: Any, x2: Any) -> Tensor:
    """``x1 * 2**x2`` for integer ``x2``; differentiable in ``x1``."""
    exponent = to_array(x2)
    if exponent.dtype.kind not in "iub":
        raise TypeError(f"ldexp: x2 must hold integers, received dtype {exponent.dtype}.")
    check_broadcast("ldexp", x1, x2)
    a = floating(x1)
    return E.mul(a, const(np.ldexp(np.ones((), a.data.dtype), exponent)))


@numpy_op
def heaviside(x1: Any, x2: Any) -> Tensor:
    """Step function: 0 where ``x1 < 0``, ``x2`` where ``x1 == 0``, 1 where ``x1 > 0``."""
    a, b = _binary("heaviside", x1, x2, dtype=float_type(x1, x2))
    return const(np.heaviside(a.data, b.data))


@numpy_op
def nextafter(x1: Any, x2: Any) -> Tensor:
    """The next representable float after ``x1`` towards ``x2`` (no gradient)."""
    a, b = _binary("nextafter", x1, x2, dtype=float_type(x1, x2))
    return const(np.nextafter(a.data, b.data))


def _integer_pair(op: str, x1: Any, x2: Any) -> list[Tensor]:
    a, b = _binary(op, x1, x2)
    if a.data.dtype.kind not in "iub":
        raise TypeError(f"{op}: expected integer operands, received dtype {a.data.dtype}.")
    return [a, b]


@numpy_op
def gcd(x1: Any, x2: Any) -> Tensor:
    """Greatest common divisor of integers, elementwise."""
    a, b = _integer_pair("gcd", x1, x2)
    return const(np.gcd(a.data, b.data))


@numpy_op
def lcm(x1: Any, x2: Any) -> Tensor:
    """Least common multiple of integers, elementwise."""
    a, b = _integer_pair("lcm", x1, x2)
    return const(np.lcm(a.data, b.data))


# --------------------------------------------------------------------------- unary
@numpy_op
def abs(x: Any) -> Tensor:  # noqa: A001
    """Elementwise absolute value (gradient sign(x), 0 at 0)."""
    t = to_tensor(x)
    return E.abs(t) if _is_float(t) else const(np.abs(t.data))


@numpy_op
def absolute(x: Any) -> Tensor:
    """Alias of :func:`abs`."""
    t = to_tensor(x)
    return E.abs(t) if _is_float(t) else const(np.abs(t.data))


@numpy_op
def fabs(x: Any) -> Tensor:
    """Absolute value as a float (integers give ``floatx()``)."""
    return E.abs(floating(x))


@numpy_op
def negative(x: Any) -> Tensor:
    """Elementwise ``-x``."""
    t = to_tensor(x)
    if t.data.dtype == bool:
        raise TypeError("negative: boolean input is not supported; use logical_not.")
    return E.neg(t)


@numpy_op
def square(x: Any) -> Tensor:
    """Elementwise ``x * x`` (booleans give int32)."""
    t = to_tensor(x)
    if t.data.dtype == bool:
        t = const(t.data.astype(np.int32))
    return E.square(t)


@numpy_op
def reciprocal(x: Any) -> Tensor:
    """Elementwise ``1 / x``."""
    t = floating(x)
    return E.div(np.ones((), t.data.dtype), t)


def _unary(prim: Any, x: Any) -> Tensor:
    return prim.apply(floating(x))


@numpy_op
def sqrt(x: Any) -> Tensor:
    """Elementwise square root."""
    return E.sqrt(floating(x))


@numpy_op
def cbrt(x: Any) -> Tensor:
    """Elementwise real cube root."""
    return _unary(U.Cbrt, x)


@numpy_op
def exp(x: Any) -> Tensor:
    """Elementwise ``e ** x``."""
    return E.exp(floating(x))


@numpy_op
def exp2(x: Any) -> Tensor:
    """Elementwise ``2 ** x``."""
    t = floating(x)
    out = E.exp(E.mul(t, _math.log(2.0)))
    return _with_values(out, np.exp2(t.data))


@numpy_op
def expm1(x: Any) -> Tensor:
    """Elementwise ``exp(x) - 1``, accurate near 0."""
    return _unary(U.Expm1, x)


@numpy_op
def log(x: Any) -> Tensor:
    """Elementwise natural logarithm."""
    return E.log(floating(x))


@numpy_op
def log1p(x: Any) -> Tensor:
    """Elementwise ``log(1 + x)``, accurate near 0."""
    return _unary(U.Log1p, x)


@numpy_op
def log2(x: Any) -> Tensor:
    """Elementwise base-2 logarithm."""
    t = floating(x)
    return _with_values(E.div(E.log(t), _math.log(2.0)), np.log2(t.data))


@numpy_op
def log10(x: Any) -> Tensor:
    """Elementwise base-10 logarithm."""
    t = floating(x)
    return _with_values(E.div(E.log(t), _math.log(10.0)), np.log10(t.data))


@numpy_op
def sin(x: Any) -> Tensor:
    """Elementwise sine (radians)."""
    return _unary(U.Sin, x)


@numpy_op
def cos(x: Any) -> Tensor:
    """Elementwise cosine (radians)."""
    return _unary(U.Cos, x)


@numpy_op
def tan(x: Any) -> Tensor:
    """Elementwise tangent (radians)."""
    return _unary(U.Tan, x)


@numpy_op
def arcsin(x: Any) -> Tensor:
    """Elementwise inverse sine, in ``[-pi/2, pi/2]``."""
    return _unary(U.Arcsin, x)


@numpy_op
def arccos(x: Any) -> Tensor:
    """Elementwise inverse cosine, in ``[0, pi]``."""
    return _unary(U.Arccos, x)


@numpy_op
def arctan(x: Any) -> Tensor:
    """Elementwise inverse tangent, in ``(-pi/2, pi/2)``."""
    return _unary(U.Arctan, x)


@numpy_op
def sinh(x: Any) -> Tensor:
    """Elementwise hyperbolic sine."""
    return _unary(U.Sinh, x)


@numpy_op
def cosh(x: Any) -> Tensor:
    """Elementwise hyperbolic cosine."""
    return _unary(U.Cosh, x)


@numpy_op
def tanh(x: Any) -> Tensor:
    """Elementwise hyperbolic tangent."""
    return E.tanh(floating(x))


@numpy_op
def arcsinh(x: Any) -> Tensor:
    """Elementwise inverse hyperbolic sine."""
    return _unary(U.Arcsinh, x)


@numpy_op
def arccosh(x: Any) -> Tensor:
    """Elementwise inverse hyperbolic cosine (``x >= 1``)."""
    return _unary(U.Arccosh, x)


@numpy_op
def arctanh(x: Any) -> Tensor:
    """Elementwise inverse hyperbolic tangent (``|x| < 1``)."""
    return _unary(U.Arctanh, x)


@numpy_op
def sinc(x: Any) -> Tensor:
    """Normalised sinc ``sin(pi x) / (pi x)``, 1 at 0."""
    return _unary(U.Sinc, x)


@numpy_op
def i0(x: Any) -> Tensor:
    """Modified Bessel function of the first kind, order 0 (no gradient)."""
    t = floating(x)
    return const(np.i0(t.data).astype(t.data.dtype))


@numpy_op
def deg2rad(x: Any) -> Tensor:
    """Degrees to radians: ``x * pi / 180``."""
    return E.mul(floating(x), _math.pi / 180.0)


@numpy_op
def rad2deg(x: Any) -> Tensor:
    """Radians to degrees: ``x * 180 / pi``."""
    return E.mul(floating(x), 180.0 / _math.pi)


# ----------------------------------------------------------- piecewise constant
@numpy_op
def sign(x: Any) -> Tensor:
    """-1, 0 or 1 by the sign of ``x`` (same dtype; no gradient; booleans are their own
    sign)."""
    arr = to_array(x)
    return const(arr.copy() if arr.dtype.kind == "b" else np.sign(arr))


@numpy_op
def signbit(x: Any) -> Tensor:
    """Whether the sign bit is set (true for -0.0 and negative numbers)."""
    return const(np.signbit(to_array(x)))


@numpy_op
def ceil(x: Any) -> Tensor:
    """Smallest integer >= x, as a float (no gradient)."""
    return const(np.ceil(floating(x).data))


@numpy_op
def floor(x: Any) -> Tensor:
    """Largest integer <= x, as a float (no gradient)."""
    return const(np.floor(floating(x).data))


@numpy_op
def trunc(x: Any) -> Tensor:
    """``x`` rounded towards zero (same dtype; no gradient)."""
    return const(np.trunc(to_array(x)))


@numpy_op
def round(x: Any, decimals: int = 0) -> Tensor:  # noqa: A001
    """Round half to even at ``decimals`` decimal places (same dtype; no gradient)."""
    arr = to_array(x)
    if not isinstance(decimals, (int, np.integer)):
        raise TypeError(f"round: decimals must be an int, received {decimals!r}.")
    if arr.dtype.kind == "b":
        return const(arr.copy())
    return const(np.round(arr, int(decimals)))

