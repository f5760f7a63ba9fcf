"""Comparisons, logical and bitwise functions, ``where``/``select``, ``clip`` and
value cleaning (``nan_to_num``, complex parts) of ``keras.ops.numpy``.

Comparisons, tests (``isnan``, ...), logical and bitwise functions return bool or
integer tensors without gradient; ``where``, ``select``, ``clip``,
``nan_to_num`` and ``real``/``conj`` pass the gradient to the values they keep.

Examples
--------
>>> import numpy as np
>>> from descend.ops import numpy as knp
>>> knp.greater(np.array([1.0, 3.0]), 2.0).data
array([False,  True])
>>> knp.where(np.array([True, False]), 1.0, -1.0).data
array([ 1., -1.], dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.autograd import ops as E
from descend.autograd.tensor import Tensor
from descend.ops._numpy_base import (
    check_broadcast,
    const,
    float_type,
    numpy_op,
    promote,
    to_array,
    to_tensor,
)

__all__ = [
    "allclose", "angle", "bitwise_and", "bitwise_invert", "bitwise_left_shift", "bitwise_not",
    "bitwise_or", "bitwise_right_shift", "bitwise_xor", "clip", "conj", "conjugate", "equal",
    "greater", "greater_equal", "imag", "isclose", "isfinite", "isinf", "isnan", "isneginf",
    "isposinf", "isreal", "left_shift", "less", "less_equal", "logical_and", "logical_not",
    "logical_or", "logical_xor", "nan_to_num", "not_equal", "real", "right_shift", "select",
    "where",
]


def _compare(op: str, ufunc: Any, x1: Any, x2: Any) -> Tensor:
    check_broadcast(op, x1, x2)
    a, b = promote(x1, x2)
    return const(ufunc(a.data, b.data))


@numpy_op
def equal(x1: Any, x2: Any) -> Tensor:
    """Elementwise ``x1 == x2`` (bool)."""
    return _compare("equal", np.equal, x1, x2)


@numpy_op
def not_equal(x1: Any, x2: Any) -> Tensor:
    """Elementwise ``x1 != x2`` (bool)."""
    return _compare("not_equal", np.not_equal, x1, x2)


@numpy_op
def greater(x1: Any, x2: Any) -> Tensor:
    """Elementwise ``x1 > x2`` (bool)."""
    return _compare("greater", np.greater, x1, x2)


@numpy_op
def greater_equal(x1: Any, x2: Any) -> Tensor:
    """Elementwise ``x1 >= x2`` (bool)."""
    return _compare("greater_equal", np.greater_equal, x1, x2)


@numpy_op
def less(x1: Any, x2: Any) -> Tensor:
    """Elementwise ``x1 < x2`` (bool)."""
    return _compare("less", np.less, x1, x2)


@numpy_op
def less_equal(x1: Any, x2: Any) -> Tensor:
    """Elementwise ``x1 <= x2`` (bool)."""
    return _compare("less_equal", np.less_equal, x1, x2)


@numpy_op
def isclose(x1: Any, x2: Any, rtol: float = 1e-5, atol: float = 1e-8,
            equal_nan: bool = False) -> Tensor:
    """Elementwise ``|x1 - x2| <= atol + rtol * |x2|`` (bool)."""
    check_broadcast("isclose", x1, x2)
    a, b = promote(x1, x2)
    return const(np.isclose(a.data, b.data, rtol=rtol, atol=atol, equal_nan=equal_nan))


@numpy_op
def allclose(x1: Any, x2: Any, rtol: float = 1e-5, atol: float = 1e-8,
             equal_nan: bool = False) -> Tensor:
    """Whether :func:`isclose` holds everywhere (a 0-d bool tensor)."""
    check_broadcast("allclose", x1, x2)
    a, b = promote(x1, x2)
    return const(np.allclose(a.data, b.data, rtol=rtol, atol=atol, equal_nan=equal_nan))


@numpy_op
def isfinite(x: Any) -> Tensor:
    """Whether each element is neither infinite nor NaN (bool)."""
    return const(np.isfinite(to_array(x)))


@numpy_op
def isinf(x: Any) -> Tensor:
    """Whether each element is +inf or -inf (bool)."""
    return const(np.isinf(to_array(x)))


@numpy_op
def isnan(x: Any) -> Tensor:
    """Whether each element is NaN (bool)."""
    return const(np.isnan(to_array(x)))


@numpy_op
def isneginf(x: Any) -> Tensor:
    """Whether each element is -inf (bool)."""
    return const(np.isneginf(to_array(x)))


@numpy_op
def isposinf(x: Any) -> Tensor:
    """Whether each element is +inf (bool)."""
    return const(np.isposinf(to_array(x)))


@numpy_op
def isreal(x: Any) -> Tensor:
    """Whether each element has a zero imaginary part (bool; always true for real dtypes)."""
    return const(np.isreal(to_array(x)))


# ------------------------------------------------------------------------ logical
def _logical(op: str, ufunc: Any, x1: Any, x2: Any) -> Tensor:
    check_broadcast(op, x1, x2)
    return const(ufunc(to_array(x1), to_array(x2)))


@numpy_op
def logical_and(x1: Any, x2: Any) -> Tensor:
    """Elementwise truth of ``x1 and x2`` (nonzero is true)."""
    return _logical("logical_and", np.logical_and, x1, x2)


@numpy_op
def logical_or(x1: Any, x2: Any) -> Tensor:
    """Elementwise truth of ``x1 or x2``."""
    return _logical("logical_or", np.logical_or, x1, x2)


@numpy_op
def logical_xor(x1: Any, x2: Any) -> Tensor:
    """Elementwise truth of ``x1 != x2`` as booleans."""
    return _logical("logical_xor", np.logical_xor, x1, x2)


@numpy_op
def logical_not(x: Any) -> Tensor:
    """Elementwise ``not x``."""
    return const(np.logical_not(to_array(x)))


# ------------------------------------------------------------------------ bitwise
def _bitwise(op: str, ufunc: Any, x: Any, y: Any) -> Tensor:
    check_broadcast(op, x, y, names=("x", "y"))
    a, b = promote(x, y)
    if a.data.dtype.kind not in "iub":
        raise TypeError(f"{op}: expected integer or bool operands, received {a.data.dtype}.")
    return const(ufunc(a.data, b.data))


@numpy_op
def bitwise_and(x: Any, y: Any) -> Tensor:
    """Bitwise AND of integers (logical AND of bools)."""
    return _bitwise("bitwise_and", np.bitwise_and, x, y)


@numpy_op
def bitwise_or(x: Any, y: Any) -> Tensor:
    """Bitwise OR of integers (logical OR of bools)."""
    return _bitwise("bitwise_or", np.bitwise_or, x, y)


@numpy_op
def bitwise_xor(x: Any, y: Any) -> Tensor:
    """Bitwise XOR of integers (logical XOR of bools)."""
    return _bitwise("bitwise_xor", np.bitwise_xor, x, y)


@numpy_op
def bitwise_left_shift(x: Any, y: Any) -> Tensor:
    """``x << y`` for integers."""
    return _bitwise("bitwise_left_shift", np.left_shift, x, y)


@numpy_op
def left_shift(x: Any, y: Any) -> Tensor:
    """Alias of :func:`bitwise_left_shift`."""
    return _bitwise("left_shift", np.left_shift, x, y)


@numpy_op
def bitwise_right_shift(x: Any, y: Any) -> Tensor:
    """``x >> y`` for integers (arithmetic shift for signed types)."""
    return _bitwise("bitwise_right_shift", np.right_shift, x, y)


@numpy_op
def right_shift(x: Any, y: Any) -> Tensor:
    """Alias of :func:`bitwise_right_shift`."""
    return _bitwise("right_shift", np.right_shift, x, y)


def _invert(op: str, x: Any) -> Tensor:
    arr = to_array(x)
    if arr.dtype.kind not in "iub":
        raise TypeError(f"{op}: expected integer or bool input, received {arr.dtype}.")
    return const(np.invert(arr))


@numpy_op
def bitwise_not(x: Any) -> Tensor:
    """Bitwise NOT of integers (``~x``; logical NOT of bools)."""
    return _invert("bitwise_not", x)


@numpy_op
def bitwise_invert(x: Any) -> Tensor:
    """Alias of :func:`bitwise_not`."""
    return _invert("bitwise_invert", x)


# ------------------------------------------------------------------ selecting values
@numpy_op
def where(condition: Any, x1: Any = None, x2: Any = None) -> Tensor | tuple[Tensor, ...]:
    """``x1`` where ``condition`` is true, else ``x2``; with neither, :func:`nonzero`.

    Parameters
    ----------
    condition : array_like of bool
        No gradient.
    x1, x2 : array_like, optional
        Values, broadcast with ``condition``; both or neither must be given.

    Returns
    -------
    Tensor of the broadcast shape, or a tuple of int32 index tensors (one per
    dimension of ``condition``) when ``x1`` and ``x2`` are omitted.
    """
    cond = to_array(condition).astype(bool)
    if x1 is None and x2 is None:
        return tuple(const(i.astype(np.int32)) for i in np.nonzero(cond))
    if x1 is None or x2 is None:
        raise ValueError("where: pass both x1 and x2, or neither (to get the indices of "
                         "nonzero elements).")
    check_broadcast("where", cond, x1, x2, names=("condition", "x1", "x2"))
    a, b = promote(x1, x2)
    shape = np.broadcast_shapes(cond.shape, a.shape, b.shape)
    return E.where(np.broadcast_to(cond, shape), a, b)


@numpy_op
def select(condlist: Any, choicelist: Any, default: Any = 0) -> Tensor:
    """Per element, the first choice whose condition holds, else ``default``.

    Parameters
    ----------
    condlist : sequence of bool arrays
    choicelist : sequence of arrays, as long as ``condlist``
    default : scalar or array, default 0
    """
    if len(condlist) != len(choicelist):
        raise ValueError(f"select: condlist and choicelist must have the same length, received "
                         f"{len(condlist)} and {len(choicelist)}.")
    if not condlist:
        raise ValueError("select: condlist must hold at least one condition.")
    choices = promote(*choicelist, default)
    out = choices[-1]
    for cond, choice in zip(reversed(condlist), reversed(choices[:-1]), strict=False):
        out = where(cond, choice, out)
    return out


@numpy_op
def clip(x: Any, x_min: Any, x_max: Any) -> Tensor:
    """Limit ``x`` to ``[x_min, x_max]``; the gradient passes where ``x`` is inside.

    Either bound may be ``None`` (no limit). Booleans are clipped as int32.
    """
    t = to_tensor(x)
    if t.data.dtype == bool:
        t = const(t.data.astype(np.int32))
    if any(isinstance(b, Tensor) and b.requires_grad for b in (x_min, x_max)):
        # bounds that need a gradient: clip as maximum/minimum (a bound gets the gradient
        # where it is the result; exact ties split it)
        out = t if x_min is None else E.maximum(t, to_tensor(x_min, t.data.dtype))
        return out if x_max is None else E.minimum(out, to_tensor(x_max, t.data.dtype))
    dtype = t.data.dtype
    low = None if x_min is None else to_array(x_min).astype(dtype, copy=False)
    high = None if x_max is None else to_array(x_max).astype(dtype, copy=False)
    if t.data.dtype.kind not in "fc":
        return const(np.clip(t.data, low, high).astype(t.data.dtype))
    return E.clip(t, low, high)


@numpy_op
def nan_to_num(x: Any, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Tensor:
    """Replace NaN by ``nan``, +inf by ``posinf`` and -inf by ``neginf``.

    The infinities default to the largest finite values of the dtype; the
    gradient passes through the finite elements.
    """
    t = to_tensor(x)
    if t.data.dtype.kind not in "fc":
        return t
    info = np.finfo(t.data.dtype)
    data = t.data
    out = E.where(np.isnan(data), np.asarray(nan, data.dtype), t)
    high = info.max if posinf is None else posinf
    low = info.min if neginf is None else neginf
    out = E.where(np.isposinf(data), np.asarray(high, data.dtype), out)
    return E.where(np.isneginf(data), np.asarray(low, data.dtype), out)


@numpy_op
def real(x: Any) -> Tensor:
    """Real part (the input itself for real dtypes)."""
    t = to_tensor(x)
    return t if t.data.dtype.kind != "c" else const(np.real(t.data))


@numpy_op
def imag(x: Any) -> Tensor:
    """Imaginary part (zeros of the same dtype for real input)."""
    return const(np.imag(to_array(x)).copy())


@numpy_op
def conj(x: Any) -> Tensor:
    """Complex conjugate (the input itself for real dtypes)."""
    t = to_tensor(x)
    return t if t.data.dtype.kind != "c" else const(np.conj(t.data))


@numpy_op
def conjugate(x: Any) -> Tensor:
    """Alias of :func:`conj`."""
    t = to_tensor(x)
    return t if t.data.dtype.kind != "c" else const(np.conj(t.data))


@numpy_op
def angle(x: Any) -> Tensor:
    """Argument of complex numbers in radians (0 or pi for real input; no gradient)."""
    arr = to_array(x)
    out = np.angle(arr)
    return const(out if arr.dtype.kind == "c" else out.astype(float_type(arr)))
