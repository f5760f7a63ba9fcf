"""Reductions of ``keras.ops.numpy``: sums, means, extrema, spread, logic, arg-extrema.

Float reductions are differentiable (``sum``, ``mean``, ``max``, ``min``, ``prod``,
``var``, ``std``, ``average``, ``ptp`` and their NaN-ignoring versions);
``all``, ``any``, ``count_nonzero`` and the ``arg*`` functions return bool/int32
tensors without gradient. Quantiles and cumulative sums are in
:mod:`descend.ops._numpy_order`.

Examples
--------
>>> import numpy as np
>>> from descend.ops import numpy as knp
>>> knp.sum(np.array([[1.0, 2.0], [3.0, 4.0]]), axis=0).data
array([4., 6.])
>>> knp.argmax(np.array([[1, 5], [7, 2]])).data  # of the flattened input
array(2, dtype=int32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.autograd import ops as E
from descend.autograd.ops.scan import Prod
from descend.autograd.tensor import Tensor
from descend.ops._numpy_base import (
    check_axis,
    const,
    floating,
    numpy_op,
    to_array,
    to_tensor,
)

__all__ = [
    "all", "amax", "amin", "any", "argmax", "argmin", "average", "count_nonzero", "max", "mean",
    "min", "nanargmax", "nanargmin", "nanmax", "nanmean", "nanmin", "nanprod", "nanstd", "nansum",
    "nanvar", "prod", "ptp", "std", "sum", "var",
]


def _is_float(t: Tensor) -> bool:
    return t.data.dtype.kind in "fc"


def _axis(op: str, t: Tensor, axis: Any) -> Any:
    return check_axis(op, axis, t.ndim)


def _int_accumulator(dtype: np.dtype) -> np.dtype:
    """Keras sums booleans as int32 and keeps other integer dtypes."""
    return np.dtype(np.int32) if dtype.kind == "b" else dtype


@numpy_op
def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Sum over ``axis`` (int, tuple or None for all); integers keep their dtype.

    Parameters
    ----------
    x : array_like
    axis : int, tuple of int or None, default None
        The axes to reduce; None reduces them all.
    keepdims : bool, default False
        Keep the reduced axes, with length 1.

    Returns
    -------
    Tensor
        ``x``'s shape without the reduced axes (with length-1 axes when ``keepdims``).
    """
    t = to_tensor(x)
    axis = _axis("sum", t, axis)
    if _is_float(t):
        return E.sum(t, axis=axis, keepdims=keepdims)
    dtype = _int_accumulator(t.data.dtype)
    return const(np.sum(t.data, axis=axis, keepdims=keepdims, dtype=dtype))


@numpy_op
def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Arithmetic mean over ``axis``; integer input gives ``floatx()``.

    Parameters
    ----------
    x : array_like
    axis : int, tuple of int or None, default None
        The axes to reduce; None reduces them all.
    keepdims : bool, default False
        Keep the reduced axes, with length 1.

    Returns
    -------
    Tensor
        ``x``'s shape without the reduced axes (with length-1 axes when ``keepdims``).
    """
    t = floating(x)
    return E.mean(t, axis=_axis("mean", t, axis), keepdims=keepdims)


def _extremum(op: str, reducer: Any, npf: Any, x: Any, axis: Any, keepdims: bool,
              initial: Any) -> Tensor:
    t = to_tensor(x)
    axis = _axis(op, t, axis)
    if t.size == 0 and initial is None:
        raise ValueError(f"{op}: the input is empty; pass initial= to give the result a value.")
    if not _is_float(t):
        kwargs = {} if initial is None else {"initial": initial}
        return const(npf(t.data, axis=axis, keepdims=keepdims, **kwargs))
    out = reducer(t, axis=axis, keepdims=keepdims)
    if initial is not None:
        bound = np.asarray(initial, t.data.dtype)
        out = E.maximum(out, bound) if npf is np.max else E.minimum(out, bound)
    return out


@numpy_op
def max(x: Any, axis: Any = None, keepdims: bool = False, initial: Any = None) -> Tensor:  # noqa: A001
    """Maximum over ``axis`` (at least ``initial`` when given); ties share the gradient.

    Parameters
    ----------
    x : array_like
    axis : int, tuple of int or None, default None
        The axes to reduce; None reduces them all.
    keepdims : bool, default False
        Keep the reduced axes, with length 1.
    initial : scalar, optional
        A lower bound of the result (the maximum of ``initial`` and the elements).

    Returns
    -------
    Tensor
        ``x``'s shape without the reduced axes (with length-1 axes when ``keepdims``).
    """
    return _extremum("max", E.max, np.max, x, axis, keepdims, initial)


@numpy_op
def min(x: Any, axis: Any = None, keepdims: bool = False, initial: Any = None) -> Tensor:  # noqa: A001
    """Minimum over ``axis`` (at most ``initial`` when given); ties share the gradient.

    Parameters
    ----------
    x : array_like
    axis : int, tuple of int or None, default None
        The axes to reduce; None reduces them all.
    keepdims : bool, default False
        Keep the reduced axes, with length 1.
    initial : scalar, optional
        An upper bound of the result (the minimum of ``initial`` and the elements).

    Returns
    -------
    Tensor
        ``x``'s shape without the reduced axes (with length-1 axes when ``keepdims``).
    """
    return _extremum("min", E.min, np.min, x, axis, keepdims, initial)


@numpy_op
def amax(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Alias of :func:`max` without ``initial``."""
    return _extremum("amax", E.max, np.max, x, axis, keepdims, None)


@numpy_op
def amin(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Alias of :func:`min` without ``initial``."""
    return _extremum("amin", E.min, np.min, x, axis, keepdims, None)


@numpy_op
def prod(x: Any, axis: Any = None, keepdims: bool = False, dtype: Any = None) -> Tensor:
    """Product over ``axis``; the gradient of each element is the product of the others.

    Integer and bool input gives int32 unless ``dtype`` is given.

    Parameters
    ----------
    x : array_like
    axis : int, tuple of int or None, default None
        The axes to reduce; None reduces them all.
    keepdims : bool, default False
        Keep the reduced axes, with length 1.
    dtype : dtype, optional
        Convert ``x`` to this first.

    Returns
    -------
    Tensor
        ``x``'s shape without the reduced axes (with length-1 axes when ``keepdims``).
    """
    t = to_tensor(x) if dtype is None else to_tensor(x, dtype)
    axis = _axis("prod", t, axis)
    if _is_float(t):
        return Prod.apply(t, axis=axis, keepdims=keepdims)
    out_dtype = np.dtype(dtype) if dtype is not None else np.dtype(np.int32)
    return const(np.prod(t.data, axis=axis, keepdims=keepdims).astype(out_dtype))


@numpy_op
def var(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Population variance ``mean((x - mean(x))**2)`` over ``axis``.

    Parameters
    ----------
    x : array_like
    axis : int, tuple of int or None, default None
        The axes to reduce; None reduces them all.
    keepdims : bool, default False
        Keep the reduced axes, with length 1.

    Returns
    -------
    Tensor
        ``x``'s shape without the reduced axes (with length-1 axes when ``keepdims``).
    """
    t = floating(x)
    axis = _axis("var", t, axis)
    centred = E.sub(t, E.mean(t, axis=axis, keepdims=True))
    return E.mean(E.square(centred), axis=axis, keepdims=keepdims)


@numpy_op
def std(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Population standard deviation ``sqrt(var(x))`` over ``axis``.

    Parameters
    ----------
    x : array_like
    axis : int, tuple of int or None, default None
        The axes to reduce; None reduces them all.
    keepdims : bool, default False
        Keep the reduced axes, with length 1.

    Returns
    -------
    Tensor
        ``x``'s shape without the reduced axes (with length-1 axes when ``keepdims``).
    """
    t = floating(x)
    axis = _axis("std", t, axis)
    centred = E.sub(t, E.mean(t, axis=axis, keepdims=True))
    return E.sqrt(E.mean(E.square(centred), axis=axis, keepdims=keepdims))


@numpy_op
def average(x: Any, axis: Any = None, weights: Any = None) -> Tensor:
    """Weighted mean ``sum(x * w) / sum(w)`` over ``axis`` (plain mean without weights).

    ``weights`` has the shape of ``x``, or is 1-D with the length of ``x`` along
    the single ``axis``; both ``x`` and ``weights`` receive gradients.
    """
    t = floating(x)
    axis = _axis("average", t, axis)
    if weights is None:
        return E.mean(t, axis=axis)
    w = to_tensor(weights, t.data.dtype) if to_array(weights).dtype.kind in "fc" \
        else const(to_array(weights).astype(t.data.dtype))
    if w.shape != t.shape:
        if w.ndim != 1 or not isinstance(axis, int) or w.shape[0] != t.shape[axis]:
            raise ValueError(
                f"average: weights must have the shape of x {t.shape} or be 1-D with length "
                f"x.shape[axis] along one int axis; received weights of shape {w.shape} "
                f"with axis={axis!r}."
            )
        shape = [1] * t.ndim
        shape[axis] = w.shape[0]
        w = E.reshape(w, shape)
    return E.div(E.sum(E.mul(t, w), axis=axis), E.sum(E.broadcast_to(w, t.shape), axis=axis))


@numpy_op
def ptp(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Range ``max - min`` over ``axis``."""
    t = to_tensor(x)
    axis = _axis("ptp", t, axis)
    if not _is_float(t):
        return const(np.ptp(t.data, axis=axis, keepdims=keepdims))
    return E.sub(E.max(t, axis=axis, keepdims=keepdims), E.min(t, axis=axis, keepdims=keepdims))


@numpy_op
def all(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Whether all elements along ``axis`` are nonzero (bool)."""
    arr = to_array(x)
    return const(np.all(arr, axis=check_axis("all", axis, arr.ndim), keepdims=keepdims))


@numpy_op
def any(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Whether any element along ``axis`` is nonzero (bool)."""
    arr = to_array(x)
    return const(np.any(arr, axis=check_axis("any", axis, arr.ndim), keepdims=keepdims))


@numpy_op
def count_nonzero(x: Any, axis: Any = None) -> Tensor:
    """Number of nonzero elements along ``axis`` (int32)."""
    arr = to_array(x)
    axis = check_axis("count_nonzero", axis, arr.ndim)
    return const(np.asarray(np.count_nonzero(arr, axis=axis), np.int32))


def _arg(op: str, fn: Any, x: Any, axis: Any, keepdims: bool) -> Tensor:
    arr = to_array(x)
    if not isinstance(axis, (int, np.integer, type(None))):
        raise TypeError(f"{op}: axis must be an int or None, received {axis!r}.")
    axis = check_axis(op, axis, arr.ndim)
    if arr.size == 0:
        raise ValueError(f"{op}: the input is empty, so it has no extreme element.")
    return const(np.asarray(fn(arr, axis=axis, keepdims=keepdims), np.int32))


@numpy_op
def argmax(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Index of the (first) maximum along ``axis`` (of the flattened input when None), int32.

    Parameters
    ----------
    x : array_like
    axis : int or None, default None
        None searches the flattened input.
    keepdims : bool, default False

    Returns
    -------
    Tensor of int32
        ``x``'s shape without ``axis`` (a 0-d tensor when ``axis`` is None).
    """
    return _arg("argmax", np.argmax, x, axis, keepdims)


@numpy_op
def argmin(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Index of the (first) minimum along ``axis`` (of the flattened input when None), int32."""
    return _arg("argmin", np.argmin, x, axis, keepdims)


def _nan_arg(fn: Any, fill: float) -> Any:
    def pick(arr: np.ndarray, axis: Any, keepdims: bool) -> np.ndarray:
        if arr.dtype.kind not in "fc":
            return fn(arr, axis=axis, keepdims=keepdims)
        return fn(np.where(np.isnan(arr), fill, arr), axis=axis, keepdims=keepdims)

    return pick


@numpy_op
def nanargmax(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """:func:`argmax` ignoring NaN (an all-NaN slice gives index 0)."""
    return _arg("nanargmax", _nan_arg(np.argmax, -np.inf), x, axis, keepdims)


@numpy_op
def nanargmin(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """:func:`argmin` ignoring NaN (an all-NaN slice gives index 0)."""
    return _arg("nanargmin", _nan_arg(np.argmin, np.inf), x, axis, keepdims)


# -------------------------------------------------------------- NaN-ignoring versions
def _without_nan(op: str, x: Any, axis: Any, fill: float) -> tuple[Tensor, np.ndarray, Any]:
    """``x`` with NaN replaced by ``fill`` (no gradient there), the NaN mask, the axis."""
    t = to_tensor(x)
    axis = _axis(op, t, axis)
    if not _is_float(t):
        return t, np.zeros(t.shape, bool), axis
    missing = np.isnan(t.data)
    return E.where(missing, np.asarray(fill, t.data.dtype), t), missing, axis


@numpy_op
def nansum(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """:func:`sum` treating NaN as 0."""
    clean, _, axis = _without_nan("nansum", x, axis, 0.0)
    return sum(clean, axis=axis, keepdims=keepdims)


def _count(missing: np.ndarray, axis: Any, keepdims: bool, dtype: np.dtype) -> np.ndarray:
    return np.sum(~missing, axis=axis, keepdims=keepdims).astype(dtype)


@numpy_op
def nanmean(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """:func:`mean` of the non-NaN elements (NaN where a slice is all NaN)."""
    clean, missing, axis = _without_nan("nanmean", floating(x), axis, 0.0)
    total = E.sum(clean, axis=axis, keepdims=keepdims)
    with np.errstate(invalid="ignore", divide="ignore"):
        return E.div(total, _count(missing, axis, keepdims, total.data.dtype))


@numpy_op
def nanvar(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """:func:`var` of the non-NaN elements."""
    return _nanvar("nanvar", x, axis, keepdims)


def _nanvar(op: str, x: Any, axis: Any, keepdims: bool) -> Tensor:
    t = floating(x)
    clean, missing, axis = _without_nan(op, t, axis, 0.0)
    dtype = t.data.dtype
    with np.errstate(invalid="ignore", divide="ignore"):
        centre = E.div(E.sum(clean, axis=axis, keepdims=True), _count(missing, axis, True, dtype))
        centred = E.where(missing, np.zeros((), dtype), E.sub(clean, centre))
        squares = E.sum(E.square(centred), axis=axis, keepdims=keepdims)
        return E.div(squares, _count(missing, axis, keepdims, dtype))


@numpy_op
def nanstd(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """:func:`std` of the non-NaN elements."""
    return E.sqrt(_nanvar("nanstd", x, axis, keepdims))


def _nan_extremum(op: str, x: Any, axis: Any, keepdims: bool, fill: float, reducer: Any,
                  npf: Any) -> Tensor:
    clean, missing, axis = _without_nan(op, x, axis, fill)
    if not _is_float(clean):
        return const(npf(clean.data, axis=axis, keepdims=keepdims))
    out = reducer(clean, axis=axis, keepdims=keepdims)
    empty = np.all(missing, axis=axis, keepdims=keepdims)
    return E.where(empty, np.asarray(np.nan, out.data.dtype), out) if empty.any() else out


@numpy_op
def nanmax(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """:func:`max` ignoring NaN (NaN where a slice is all NaN)."""
    return _nan_extremum("nanmax", x, axis, keepdims, -np.inf, E.max, np.max)


@numpy_op
def nanmin(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """:func:`min` ignoring NaN (NaN where a slice is all NaN)."""
    return _nan_extremum("nanmin", x, axis, keepdims, np.inf, E.min, np.min)


@numpy_op
def nanprod(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """:func:`prod` treating NaN as 1."""
    clean, _, axis = _without_nan("nanprod", x, axis, 1.0)
    return prod(clean, axis=axis, keepdims=keepdims)
