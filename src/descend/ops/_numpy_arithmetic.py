"""Elementwise binary arithmetic of ``keras.ops.numpy``: add ... power, maximum, mod,
arctan2, hypot, logaddexp, gcd (the one-operand functions are in
:mod:`descend.ops._numpy_unary`).

Float results are differentiable (built from engine primitives, see
:mod:`descend.autograd.ops` and :mod:`descend.autograd.ops.unary`); integer
results and piecewise-constant functions (``floor_divide``, ``heaviside``) have
no gradient. Dtypes follow :mod:`descend.ops._numpy_base`.

Examples
--------
>>> import numpy as np
>>> from descend.ops import numpy as knp
>>> knp.add(np.array([1, 2], "int32"), 1).data
array([2, 3], dtype=int32)
>>> knp.divide(np.array([1, 3]), 2).data
array([0.5, 1.5], dtype=float32)
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
    is_float,
    numpy_op,
    promote,
    to_array,
    with_values,
)

__all__ = [
    "add", "arctan2", "divide", "divide_no_nan", "floor_divide", "fmax", "fmin", "fmod", "gcd",
    "heaviside", "hypot", "lcm", "ldexp", "logaddexp", "logaddexp2", "maximum", "minimum", "mod",
    "multiply", "nextafter", "power", "subtract", "true_divide",
]


def _binary(op: str, x1: Any, x2: Any, dtype: Any = None) -> list[Tensor]:
    check_broadcast(op, x1, x2)
    return promote(x1, x2, dtype=dtype)


# ------------------------------------------------------------------ binary arithmetic
@numpy_op
def add(x1: Any, x2: Any) -> Tensor:
    """Elementwise ``x1 + x2`` with broadcasting; shape: the broadcast shape.

    Parameters
    ----------
    x1, x2 : array_like
        Broadcast against each other (tensors, arrays, numbers or lists).

    Returns
    -------
    Tensor
        The broadcast shape; the dtype follows Keras's promotion rules.
    """
    a, b = _binary("add", x1, x2)
    if a.data.dtype == bool:
        return const(np.logical_or(a.data, b.data))
    return E.add(a, b)


@numpy_op
def subtract(x1: Any, x2: Any) -> Tensor:
    """Elementwise ``x1 - x2`` with broadcasting.

    Parameters
    ----------
    x1, x2 : array_like
        Broadcast against each other (tensors, arrays, numbers or lists).

    Returns
    -------
    Tensor
        The broadcast shape; the dtype follows Keras's promotion rules.
    """
    a, b = _binary("subtract", x1, x2)
    if a.data.dtype == bool:
        raise TypeError("subtract: boolean operands are not supported; cast them to int first.")
    return E.sub(a, b)


@numpy_op
def multiply(x1: Any, x2: Any) -> Tensor:
    """Elementwise ``x1 * x2`` with broadcasting.

    Parameters
    ----------
    x1, x2 : array_like
        Broadcast against each other (tensors, arrays, numbers or lists).

    Returns
    -------
    Tensor
        The broadcast shape; the dtype follows Keras's promotion rules.
    """
    a, b = _binary("multiply", x1, x2)
    if a.data.dtype == bool:
        return const(np.logical_and(a.data, b.data))
    return E.mul(a, b)


@numpy_op
def divide(x1: Any, x2: Any) -> Tensor:
    """Elementwise true division ``x1 / x2``; integer operands give ``floatx()``.

    Parameters
    ----------
    x1, x2 : array_like
        Broadcast against each other (tensors, arrays, numbers or lists).

    Returns
    -------
    Tensor
        The broadcast shape; the dtype follows Keras's promotion rules.
    """
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
    if not is_float(a):
        return const(np.mod(a.data, b.data))
    quotient = np.floor_divide(a.data, b.data)
    out = E.sub(a, E.mul(b, const(quotient)))
    return with_values(out, np.mod(a.data, b.data))


@numpy_op
def fmod(x1: Any, x2: Any) -> Tensor:
    """Remainder with the sign of ``x1`` (C's ``fmod``): ``x1 - trunc(x1 / x2) * x2``."""
    a, b = _binary("fmod", x1, x2)
    if not is_float(a):
        return const(np.fmod(a.data, b.data))
    quotient = np.trunc(a.data / b.data)
    out = E.sub(a, E.mul(b, const(quotient)))
    return with_values(out, np.fmod(a.data, b.data))


@numpy_op
def power(x1: Any, x2: Any) -> Tensor:
    """Elementwise ``x1 ** x2`` (differentiable in both for float operands).

    Parameters
    ----------
    x1, x2 : array_like
        Broadcast against each other (tensors, arrays, numbers or lists).

    Returns
    -------
    Tensor
        The broadcast shape; the dtype follows Keras's promotion rules.
    """
    a, b = _binary("power", x1, x2)
    if not is_float(a):
        return const(np.power(a.data, b.data))
    return E.pow(a, b)


@numpy_op
def maximum(x1: Any, x2: Any) -> Tensor:
    """Elementwise maximum; ties split the gradient equally.

    Parameters
    ----------
    x1, x2 : array_like
        Broadcast against each other (tensors, arrays, numbers or lists).

    Returns
    -------
    Tensor
        The broadcast shape; the dtype follows Keras's promotion rules.
    """
    a, b = _binary("maximum", x1, x2)
    return E.maximum(a, b) if is_float(a) else const(np.maximum(a.data, b.data))


@numpy_op
def minimum(x1: Any, x2: Any) -> Tensor:
    """Elementwise minimum; ties split the gradient equally.

    Parameters
    ----------
    x1, x2 : array_like
        Broadcast against each other (tensors, arrays, numbers or lists).

    Returns
    -------
    Tensor
        The broadcast shape; the dtype follows Keras's promotion rules.
    """
    a, b = _binary("minimum", x1, x2)
    return E.minimum(a, b) if is_float(a) else const(np.minimum(a.data, b.data))


def _nan_ignoring(op: str, x1: Any, x2: Any, pick: Any) -> Tensor:
    a, b = _binary(op, x1, x2)
    if not is_float(a):
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
    return with_values(out, np.hypot(a.data, b.data))


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
