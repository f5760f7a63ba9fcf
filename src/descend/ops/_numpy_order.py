"""Order statistics and running totals of ``keras.ops.numpy``: sort, quantiles, cumsum.

``sort``, the quantile family and the running sums/products are differentiable
for float input (sorting moves values, so its gradient sends each output
gradient back to the element it came from); ``argsort``, ``argpartition``,
``searchsorted`` and ``digitize`` return int32 indices without gradient.

Examples
--------
>>> import numpy as np
>>> from descend.ops import numpy as knp
>>> knp.median(np.array([3.0, 1.0, 2.0])).data
array(2.)
>>> knp.cumsum(np.array([1, 2, 3])).data
array([1, 3, 6], dtype=int32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.autograd import ops as E
from descend.autograd.ops.scan import Cumprod, Cumsum
from descend.autograd.tensor import Tensor
from descend.ops._numpy_base import (
    check_axis,
    const,
    floating,
    gather_along,
    numpy_op,
    to_array,
    to_tensor,
)

__all__ = [
    "argpartition", "argsort", "cumprod", "cumsum", "digitize", "median", "nancumprod",
    "nancumsum", "nanmedian", "nanpercentile", "nanquantile", "percentile", "quantile",
    "searchsorted", "sort",
]

_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def _running(op: str, prim: Any, npf: Any, x: Any, axis: Any, dtype: Any,
             fill: float | None) -> Tensor:
    t = to_tensor(x) if dtype is None else to_tensor(x, dtype)
    if axis is None:
        t = E.reshape(t, (-1,))
        axis = 0
    axis = check_axis(op, axis, t.ndim)
    if t.data.dtype.kind not in "fc":
        out_dtype = np.dtype(dtype) if dtype is not None else np.dtype(np.int32)
        return const(npf(t.data, axis=axis).astype(out_dtype))
    if fill is not None:
        t = E.where(np.isnan(t.data), np.asarray(fill, t.data.dtype), t)
    return prim.apply(t, axis=axis)


@numpy_op
def cumsum(x: Any, axis: Any = None, dtype: Any = None) -> Tensor:
    """Running sum along ``axis`` (of the flattened input when None); ints give int32.

    Parameters
    ----------
    x : array_like
    axis : int or None, default None
        None runs over the flattened input.
    dtype : dtype, optional
        Convert ``x`` to this first.

    Returns
    -------
    Tensor
        The shape of ``x`` (1-D when ``axis`` is None).
    """
    return _running("cumsum", Cumsum, np.cumsum, x, axis, dtype, None)


@numpy_op
def cumprod(x: Any, axis: Any = None, dtype: Any = None) -> Tensor:
    """Running product along ``axis`` (of the flattened input when None); ints give int32."""
    return _running("cumprod", Cumprod, np.cumprod, x, axis, dtype, None)


@numpy_op
def nancumsum(x: Any, axis: Any = None, dtype: Any = None) -> Tensor:
    """:func:`cumsum` treating NaN as 0."""
    return _running("nancumsum", Cumsum, np.nancumsum, x, axis, dtype, 0.0)


@numpy_op
def nancumprod(x: Any, axis: Any = None, dtype: Any = None) -> Tensor:
    """:func:`cumprod` treating NaN as 1."""
    return _running("nancumprod", Cumprod, np.nancumprod, x, axis, dtype, 1.0)


def _sort_axis(op: str, t: Tensor, axis: Any) -> Any:
    if axis is None:
        return None
    if not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{op}: axis must be an int or None, received {axis!r}.")
    return check_axis(op, axis, t.ndim)


@numpy_op
def sort(x: Any, axis: int = -1) -> Tensor:
    """Values sorted ascending along ``axis`` (of the flattened input when None).

    NaN sorts last. The gradient of each output goes to the element it came from.
    """
    t = to_tensor(x)
    if t.ndim == 0:
        return t
    axis = _sort_axis("sort", t, axis)
    if axis is None:
        t, axis = E.reshape(t, (-1,)), 0
    order = np.argsort(t.data, axis=axis, kind="stable")
    if t.data.dtype.kind not in "fc":
        return const(np.take_along_axis(t.data, order, axis=axis))
    return gather_along(t, order, axis)


@numpy_op
def argsort(x: Any, axis: int = -1) -> Tensor:
    """Indices that sort ``x`` along ``axis`` (stable; flattened when None), int32."""
    arr = to_array(x)
    if arr.ndim == 0:
        return const(np.zeros((), np.int32))
    axis = _sort_axis("argsort", to_tensor(arr), axis)
    if axis is None:
        arr, axis = arr.reshape(-1), 0
    return const(np.argsort(arr, axis=axis, kind="stable").astype(np.int32))


@numpy_op
def argpartition(x: Any, kth: int, axis: int = -1) -> Tensor:
    """Indices that partition ``x`` along ``axis`` around its ``kth`` smallest element.

    The ``kth`` position holds the index of the element that would be there when
    sorted; smaller elements come before it and larger ones after, in no order.
    """
    arr = to_array(x)
    axis = _sort_axis("argpartition", to_tensor(arr), axis)
    if axis is None:
        arr, axis = arr.reshape(-1), 0
    n = arr.shape[axis]
    if not isinstance(kth, (int, np.integer)) or not -n <= kth < n:
        raise ValueError(f"argpartition: kth must be an int in [{-n}, {n - 1}] for an axis of "
                         f"length {n}, received {kth!r}.")
    return const(np.argpartition(arr, kth, axis=axis).astype(np.int32))


# ------------------------------------------------------------------------- quantiles
def _quantile(op: str, x: Any, q: Any, axis: Any, method: str, keepdims: bool,
              skip_nan: bool) -> Tensor:
    if method not in _METHODS:
        raise ValueError(f"{op}: method must be one of {_METHODS}, received {method!r}.")
    t = floating(x)
    q_arr = np.asarray(to_array(q), np.float64)
    if np.any((q_arr < 0) | (q_arr > 1)) or np.any(np.isnan(q_arr)):
        raise ValueError(f"{op}: q must lie in [0, 1] (percentiles in [0, 100]), received "
                         f"{q_arr}.")
    ndim = t.ndim
    axes = check_axis(op, axis, ndim)
    axes = tuple(range(ndim)) if axes is None else (axes if isinstance(axes, tuple) else (axes,))
    kept = [d for d in range(ndim) if d not in axes]
    moved = E.transpose(t, kept + list(axes))
    rest = tuple(t.shape[d] for d in kept)
    n = int(np.prod([t.shape[d] for d in axes], dtype=int))
    rows = E.reshape(moved, (-1, n))
    if n == 0:
        raise ValueError(f"{op}: the reduced axes are empty, so there is no quantile.")
    order = np.argsort(rows.data, axis=-1, kind="stable")  # NaN sorts last
    ordered = gather_along(rows, order, 1)
    missing = np.isnan(rows.data)
    count = (n - missing.sum(axis=-1)) if skip_nan else np.full(len(rows.data), n)
    flat_q = q_arr.reshape(-1)
    position = flat_q[None, :] * np.maximum(count - 1, 0)[:, None]  # (rows, nq)
    low = np.floor(position).astype(np.intp)
    high = np.ceil(position).astype(np.intp)
    if method == "nearest":
        pick = np.round(position).astype(np.intp)  # halves to even, as NumPy
        out = gather_along(ordered, pick, 1)
    elif method == "lower":
        out = gather_along(ordered, low, 1)
    elif method == "higher":
        out = gather_along(ordered, high, 1)
    else:
        lo, hi = gather_along(ordered, low, 1), gather_along(ordered, high, 1)
        if method == "midpoint":
            out = E.mul(E.add(lo, hi), 0.5)
        else:
            frac = (position - low).astype(t.data.dtype)
            out = E.add(lo, E.mul(E.sub(hi, lo), frac))
    invalid = (count == 0) if skip_nan else missing.any(axis=-1)
    if invalid.any():
        out = E.where(np.broadcast_to(invalid[:, None], out.shape),
                      np.asarray(np.nan, out.data.dtype), out)
    out = E.reshape(E.transpose(out, (1, 0)), q_arr.shape + rest)
    if keepdims:
        shape = list(q_arr.shape) + [1 if d in axes else t.shape[d] for d in range(ndim)]
        out = E.reshape(out, shape)
    return out


@numpy_op
def quantile(x: Any, q: Any, axis: Any = None, method: str = "linear",
             keepdims: bool = False) -> Tensor:
    """The ``q``-th quantiles (``q`` in [0, 1]) over ``axis``.

    Parameters
    ----------
    x : array_like
    q : float or array_like of float
        The result has shape ``q.shape + reduced shape``.
    axis : int, tuple of int or None, default None (all axes)
    method : {"linear", "lower", "higher", "midpoint", "nearest"}, default "linear"
    keepdims : bool, default False

    A slice with a NaN gives NaN. Differentiable (through the sorted values).
    """
    return _quantile("quantile", x, q, axis, method, keepdims, skip_nan=False)


@numpy_op
def nanquantile(x: Any, q: Any, axis: Any = None, method: str = "linear",
                keepdims: bool = False) -> Tensor:
    """:func:`quantile` of the non-NaN elements (NaN where a slice is all NaN)."""
    return _quantile("nanquantile", x, q, axis, method, keepdims, skip_nan=True)


@numpy_op
def percentile(x: Any, q: Any, axis: Any = None, method: str = "linear",
               keepdims: bool = False) -> Tensor:
    """:func:`quantile` with ``q`` in percent ([0, 100])."""
    return _quantile("percentile", x, np.asarray(to_array(q), np.float64) / 100, axis, method,
                     keepdims, skip_nan=False)


@numpy_op
def nanpercentile(x: Any, q: Any, axis: Any = None, method: str = "linear",
                  keepdims: bool = False) -> Tensor:
    """:func:`nanquantile` with ``q`` in percent ([0, 100])."""
    return _quantile("nanpercentile", x, np.asarray(to_array(q), np.float64) / 100, axis,
                     method, keepdims, skip_nan=True)


@numpy_op
def median(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Median over ``axis`` (the mean of the two middle values for an even count)."""
    return _quantile("median", x, 0.5, axis, "linear", keepdims, skip_nan=False)


@numpy_op
def nanmedian(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Median of the non-NaN elements over ``axis``."""
    return _quantile("nanmedian", x, 0.5, axis, "linear", keepdims, skip_nan=True)


# ----------------------------------------------------------------------- searching
@numpy_op
def searchsorted(sorted_sequence: Any, values: Any, side: str = "left") -> Tensor:
    """Indices where ``values`` would be inserted into the 1-D ``sorted_sequence`` (int32).

    ``side="left"`` gives the first suitable position, ``"right"`` the last.
    """
    seq = to_array(sorted_sequence)
    if seq.ndim != 1:
        raise ValueError(f"searchsorted: sorted_sequence must be 1-D, received shape "
                         f"{seq.shape}.")
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', received {side!r}.")
    return const(np.searchsorted(seq, to_array(values), side=side).astype(np.int32))


@numpy_op
def digitize(x: Any, bins: Any) -> Tensor:
    """Index of the bin of each element: ``i`` with ``bins[i-1] <= x < bins[i]`` (int32)."""
    edges = to_array(bins)
    if edges.ndim != 1:
        raise ValueError(f"digitize: bins must be 1-D, received shape {edges.shape}.")
    return const(np.digitize(to_array(x), edges).astype(np.int32))
