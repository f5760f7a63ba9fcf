"""One-operand math functions of ``keras.ops.numpy``: abs, sqrt, exp/log, trigonometric and
hyperbolic functions, and the piecewise-constant sign/floor/ceil/trunc/round.

Float results are differentiable (engine primitives, and
:mod:`descend.autograd.ops.unary` for the trigonometric family); the
piecewise-constant functions return tensors without gradient. Integer and bool
input of a float-valued function gives ``floatx()``.

Examples
--------
>>> import numpy as np
>>> from descend.ops import numpy as knp
>>> knp.sqrt(np.array([4, 9])).data
array([2., 3.], dtype=float32)
>>> knp.floor(np.array([1.5, -1.5])).data
array([ 1., -2.])
"""

from __future__ import annotations

import math as _math
from typing import Any

import numpy as np

from descend.autograd import ops as E
from descend.autograd.ops import unary as U
from descend.autograd.tensor import Tensor
from descend.ops._numpy_base import (
    const,
    floating,
    is_float,
    numpy_op,
    to_array,
    to_tensor,
    with_values,
)

__all__ = [
    "abs", "absolute", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctanh", "cbrt",
    "ceil", "cos", "cosh", "deg2rad", "exp", "exp2", "expm1", "fabs", "floor", "i0", "log",
    "log10", "log1p", "log2", "negative", "rad2deg", "reciprocal", "round", "sign", "signbit",
    "sin", "sinc", "sinh", "sqrt", "square", "tan", "tanh", "trunc",
]


# --------------------------------------------------------------------------- unary
@numpy_op
def abs(x: Any) -> Tensor:  # noqa: A001
    """Elementwise absolute value (gradient sign(x), 0 at 0)."""
    t = to_tensor(x)
    return E.abs(t) if is_float(t) else const(np.abs(t.data))


@numpy_op
def absolute(x: Any) -> Tensor:
    """Alias of :func:`abs`."""
    t = to_tensor(x)
    return E.abs(t) if is_float(t) else const(np.abs(t.data))


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
    """Elementwise square root.

    Parameters
    ----------
    x : array_like

    Returns
    -------
    Tensor
        The shape of ``x``; float (``floatx()`` for integer input).
    """
    return E.sqrt(floating(x))


@numpy_op
def cbrt(x: Any) -> Tensor:
    """Elementwise real cube root."""
    return _unary(U.Cbrt, x)


@numpy_op
def exp(x: Any) -> Tensor:
    """Elementwise ``e ** x``.

    Parameters
    ----------
    x : array_like

    Returns
    -------
    Tensor
        The shape of ``x``; float (``floatx()`` for integer input).
    """
    return E.exp(floating(x))


@numpy_op
def exp2(x: Any) -> Tensor:
    """Elementwise ``2 ** x``."""
    t = floating(x)
    out = E.exp(E.mul(t, _math.log(2.0)))
    return with_values(out, np.exp2(t.data))


@numpy_op
def expm1(x: Any) -> Tensor:
    """Elementwise ``exp(x) - 1``, accurate near 0."""
    return _unary(U.Expm1, x)


@numpy_op
def log(x: Any) -> Tensor:
    """Elementwise natural logarithm.

    Parameters
    ----------
    x : array_like

    Returns
    -------
    Tensor
        The shape of ``x``; float (``floatx()`` for integer input).
    """
    return E.log(floating(x))


@numpy_op
def log1p(x: Any) -> Tensor:
    """Elementwise ``log(1 + x)``, accurate near 0."""
    return _unary(U.Log1p, x)


@numpy_op
def log2(x: Any) -> Tensor:
    """Elementwise base-2 logarithm."""
    t = floating(x)
    return with_values(E.div(E.log(t), _math.log(2.0)), np.log2(t.data))


@numpy_op
def log10(x: Any) -> Tensor:
    """Elementwise base-10 logarithm."""
    t = floating(x)
    return with_values(E.div(E.log(t), _math.log(10.0)), np.log10(t.data))


@numpy_op
def sin(x: Any) -> Tensor:
    """Elementwise sine (radians).

    Parameters
    ----------
    x : array_like

    Returns
    -------
    Tensor
        The shape of ``x``; float (``floatx()`` for integer input).
    """
    return _unary(U.Sin, x)


@numpy_op
def cos(x: Any) -> Tensor:
    """Elementwise cosine (radians).

    Parameters
    ----------
    x : array_like

    Returns
    -------
    Tensor
        The shape of ``x``; float (``floatx()`` for integer input).
    """
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
    """Elementwise hyperbolic tangent.

    Parameters
    ----------
    x : array_like

    Returns
    -------
    Tensor
        The shape of ``x``; float (``floatx()`` for integer input).
    """
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

