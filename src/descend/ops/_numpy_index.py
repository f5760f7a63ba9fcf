"""Indexing and rearranging of ``keras.ops.numpy``: take, flip, roll, tile, pad, diagonals.

Everything here that returns values of ``x`` is built on the engine's indexing
primitive, whose gradient adds each output gradient back to the element it
came from (so ``tile``, ``repeat`` and edge padding sum over repeats);
``pad`` with constants has its own primitive. Indices (``nonzero``,
``unravel_index``) have no gradient.

Examples
--------
>>> import numpy as np
>>> from descend.ops import numpy as knp
>>> knp.take(np.array([10.0, 20.0, 30.0]), [2, 0]).data
array([30., 10.])
>>> knp.roll(np.arange(4), 1).data
array([3, 0, 1, 2])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.autograd import ops as E
from descend.autograd.ops.padding import PadConstant
from descend.autograd.tensor import Tensor
from descend.ops._numpy_base import (
    check_axis,
    const,
    gather_along,
    numpy_op,
    to_array,
    to_tensor,
)

__all__ = [
    "diag", "diagflat", "diagonal", "diff", "flip", "fliplr", "flipud", "get_item", "nonzero",
    "pad", "repeat", "roll", "rot90", "take", "take_along_axis", "tile", "trace", "tril", "triu",
    "unravel_index",
]


def _indices(op: str, indices: Any, argument: str = "indices") -> np.ndarray:
    idx = to_array(indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{op}: {argument} must hold integers, received dtype {idx.dtype}.")
    return idx.astype(np.intp)


def _check_range(op: str, idx: np.ndarray, n: int, axis: Any) -> None:
    if idx.size and (idx.max() >= n or idx.min() < -n):
        bad = idx.max() if idx.max() >= n else idx.min()
        raise IndexError(f"{op}: index {bad} is out of bounds for axis {axis} with size {n}.")


def _along(t: Tensor, axis: int, index: Any) -> Tensor:
    """``t`` indexed by ``index`` along ``axis`` only."""
    key = [slice(None)] * t.ndim
    key[axis] = index
    return E.getitem(t, tuple(key))


@numpy_op
def take(x: Any, indices: Any, axis: int | None = None) -> Tensor:
    """Elements of ``x`` at ``indices`` along ``axis`` (of the flattened ``x`` when None).

    The result has shape ``x.shape[:axis] + indices.shape + x.shape[axis + 1:]``;
    negative indices count from the end. Repeated indices add their gradients.

    Parameters
    ----------
    x : array_like
    indices : array_like of int
    axis : int or None, default None

    Returns
    -------
    Tensor
        Shape ``x.shape[:axis] + indices.shape + x.shape[axis + 1:]``.
    """
    t = to_tensor(x)
    idx = _indices("take", indices)
    if axis is None:
        t, axis = E.reshape(t, (-1,)), 0
    axis = check_axis("take", axis, t.ndim)
    _check_range("take", idx, t.shape[axis], axis)
    return _along(t, axis, idx)


@numpy_op
def take_along_axis(x: Any, indices: Any, axis: int | None = None) -> Tensor:
    """``x[..., indices, ...]`` matched element by element along ``axis`` (NumPy's rule).

    ``indices`` has the dimensions of ``x`` (other axes broadcast); with ``axis``
    None both are flattened.

    Parameters
    ----------
    x : array_like
    indices : array_like of int, ``x.ndim`` dimensions
    axis : int or None, default None

    Returns
    -------
    Tensor
        The broadcast shape of ``x`` and ``indices`` with ``indices.shape[axis]``
        along ``axis``.
    """
    t = to_tensor(x)
    idx = _indices("take_along_axis", indices)
    if axis is None:
        t, idx, axis = E.reshape(t, (-1,)), idx.reshape(-1), 0
    axis = check_axis("take_along_axis", axis, t.ndim)
    if idx.ndim != t.ndim:
        raise ValueError(f"take_along_axis: indices must have the {t.ndim} dimensions of x, "
                         f"received shape {idx.shape} for x of shape {t.shape}.")
    _check_range("take_along_axis", idx, t.shape[axis], axis)
    shape = list(np.broadcast_shapes(
        tuple(1 if d == axis else n for d, n in enumerate(t.shape)),
        tuple(1 if d == axis else n for d, n in enumerate(idx.shape))))
    shape[axis] = t.shape[axis]
    t = E.broadcast_to(t, tuple(shape)) if tuple(shape) != t.shape else t
    shape[axis] = idx.shape[axis]
    return gather_along(t, np.broadcast_to(idx, tuple(shape)) % t.shape[axis], axis)


@numpy_op
def get_item(x: Any, key: Any) -> Tensor:
    """``x[key]`` with NumPy's basic and advanced indexing."""
    return E.getitem(to_tensor(x), key)


def _flip_axes(op: str, t: Tensor, axis: Any) -> Tensor:
    axes = check_axis(op, axis, t.ndim)
    axes = tuple(range(t.ndim)) if axes is None else (axes if isinstance(axes, tuple) else (axes,))
    key = tuple(slice(None, None, -1) if d in axes else slice(None) for d in range(t.ndim))
    return E.getitem(t, key)


@numpy_op
def flip(x: Any, axis: Any = None) -> Tensor:
    """Reverse the order of elements along ``axis`` (all axes when None)."""
    return _flip_axes("flip", to_tensor(x), axis)


@numpy_op
def fliplr(x: Any) -> Tensor:
    """Reverse along axis 1 (input of at least 2 dimensions)."""
    t = to_tensor(x)
    if t.ndim < 2:
        raise ValueError(f"fliplr: x must have at least 2 dimensions, received shape {t.shape}.")
    return _flip_axes("fliplr", t, 1)


@numpy_op
def flipud(x: Any) -> Tensor:
    """Reverse along axis 0 (input of at least 1 dimension)."""
    t = to_tensor(x)
    if t.ndim < 1:
        raise ValueError("flipud: x must have at least 1 dimension, received a scalar.")
    return _flip_axes("flipud", t, 0)


@numpy_op
def roll(x: Any, shift: Any, axis: Any = None) -> Tensor:
    """Shift elements by ``shift`` along ``axis`` cyclically (of the flattened ``x`` when None)."""
    t = to_tensor(x)
    if axis is None:
        flat = roll(E.reshape(t, (-1,)), shift, 0)
        return E.reshape(flat, t.shape)
    axes = check_axis("roll", axis, t.ndim)
    axes = axes if isinstance(axes, tuple) else (axes,)
    shifts = shift if isinstance(shift, (list, tuple)) else [shift] * len(axes)
    if len(shifts) != len(axes):
        raise ValueError(f"roll: shift and axis must have the same length, received {shift!r} "
                         f"and {axis!r}.")
    for d, s in zip(axes, shifts, strict=False):
        n = t.shape[d]
        if n:
            t = _along(t, d, (np.arange(n) - int(s)) % n)
    return t


@numpy_op
def rot90(array: Any, k: int = 1, axes: tuple[int, int] = (0, 1)) -> Tensor:
    """Rotate by 90 degrees ``k`` times in the plane of ``axes`` (from the first towards the
    second axis)."""
    t = to_tensor(array)
    if t.ndim < 2:
        raise ValueError(f"rot90: array must have at least 2 dimensions, received {t.shape}.")
    a, b = (check_axis("rot90", ax, t.ndim, "axes") for ax in axes)
    if len(axes) != 2 or a == b:
        raise ValueError(f"rot90: axes must be two different axes, received {axes!r}.")
    k = int(k) % 4
    if k == 0:
        return t
    if k == 2:
        return _flip_axes("rot90", t, (a, b))
    perm = list(range(t.ndim))
    perm[a], perm[b] = perm[b], perm[a]
    if k == 1:
        return E.transpose(_flip_axes("rot90", t, b), perm)
    return _flip_axes("rot90", E.transpose(t, perm), b)


@numpy_op
def tile(x: Any, repeats: Any) -> Tensor:
    """Repeat the whole of ``x`` ``repeats[i]`` times along each axis ``i`` (NumPy's rule:
    the shorter of ``x.shape`` and ``repeats`` is padded with leading 1s)."""
    t = to_tensor(x)
    reps = [int(r) for r in np.atleast_1d(to_array(repeats))]
    if any(r < 0 for r in reps):
        raise ValueError(f"tile: repeats must be non-negative, received {reps}.")
    if len(reps) > t.ndim:
        t = E.reshape(t, (1,) * (len(reps) - t.ndim) + t.shape)
    reps = [1] * (t.ndim - len(reps)) + reps
    index = np.ix_(*[np.tile(np.arange(n), r) for n, r in zip(t.shape, reps, strict=False)])
    return E.getitem(t, index) if t.ndim else t


@numpy_op
def repeat(x: Any, repeats: Any, axis: int | None = None) -> Tensor:
    """Repeat each element ``repeats`` times along ``axis`` (of the flattened ``x`` when None).

    ``repeats`` is an int or one count per element along the axis.
    """
    t = to_tensor(x)
    counts = to_array(repeats)
    if counts.dtype.kind not in "iu" or np.any(counts < 0):
        raise ValueError(f"repeat: repeats must be non-negative integers, received {repeats!r}.")
    if axis is None:
        t, axis = E.reshape(t, (-1,)), 0
    axis = check_axis("repeat", axis, t.ndim)
    n = t.shape[axis]
    if counts.ndim and counts.size not in (1, n):
        raise ValueError(f"repeat: repeats must be an int or have one count per element along "
                         f"axis {axis} (length {n}), received {counts.size} counts.")
    return _along(t, axis, np.repeat(np.arange(n), counts.reshape(-1) if counts.ndim else counts))


_PAD_MODES = ("constant", "edge", "reflect", "symmetric", "wrap")


@numpy_op
def pad(x: Any, pad_width: Any, mode: str = "constant", constant_values: Any = None) -> Tensor:
    """Pad ``x`` with ``pad_width`` elements before and after each axis.

    Parameters
    ----------
    x : array_like
    pad_width : int, (before, after) or one (before, after) pair per axis
    mode : {"constant", "edge", "reflect", "symmetric", "wrap"}, default "constant"
    constant_values : scalar, optional
        The fill of ``"constant"`` mode (default 0); only allowed with that mode.
    """
    t = to_tensor(x)
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: mode must be one of {_PAD_MODES}, received {mode!r}.")
    widths = np.asarray(to_array(pad_width))
    if widths.dtype.kind not in "iu" or np.any(widths < 0):
        raise ValueError(f"pad: pad_width must hold non-negative ints, received {pad_width!r}.")
    try:
        widths = np.broadcast_to(widths, (t.ndim, 2))
    except ValueError:
        raise ValueError(f"pad: pad_width must be an int, one (before, after) pair or one pair "
                         f"per axis ({t.ndim}), received shape {widths.shape}.") from None
    pairs = tuple((int(lo), int(hi)) for lo, hi in widths)
    if mode == "constant":
        value = 0 if constant_values is None else to_array(constant_values).item()
        return PadConstant.apply(t, pad_width=pairs, value=value)
    if constant_values is not None:
        raise ValueError(f"pad: constant_values is only used with mode='constant', received "
                         f"mode={mode!r}.")
    for n, (lo, hi) in zip(t.shape, pairs, strict=False):
        if n == 0 and (lo or hi):
            raise ValueError(f"pad: mode={mode!r} cannot pad an empty axis.")
    index = [np.pad(np.arange(n), p, mode=mode) for n, p in zip(t.shape, pairs, strict=False)]
    return E.getitem(t, np.ix_(*index))


def _triangle(op: str, x: Any, k: int, lower: bool) -> Tensor:
    t = to_tensor(x)
    if t.ndim < 2:
        raise ValueError(f"{op}: x must have at least 2 dimensions, received shape {t.shape}.")
    n, m = t.shape[-2:]
    keep = np.tri(n, m, int(k), dtype=bool) if lower else ~np.tri(n, m, int(k) - 1, dtype=bool)
    return E.where(np.broadcast_to(keep, t.shape), t, const(np.zeros((), t.data.dtype)))


@numpy_op
def tril(x: Any, k: int = 0) -> Tensor:
    """Zero the elements above the ``k``-th diagonal of the last two axes."""
    return _triangle("tril", x, k, lower=True)


@numpy_op
def triu(x: Any, k: int = 0) -> Tensor:
    """Zero the elements below the ``k``-th diagonal of the last two axes."""
    return _triangle("triu", x, k, lower=False)


@numpy_op
def diagonal(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """The ``offset``-th diagonal of the planes ``(axis1, axis2)``, as the last axis."""
    t = to_tensor(x)
    if t.ndim < 2:
        raise ValueError(f"diagonal: x must have at least 2 dimensions, received {t.shape}.")
    a = check_axis("diagonal", axis1, t.ndim, "axis1")
    b = check_axis("diagonal", axis2, t.ndim, "axis2")
    if a == b:
        raise ValueError(f"diagonal: axis1 and axis2 must differ, both are {a}.")
    rest = [d for d in range(t.ndim) if d not in (a, b)]
    t = E.transpose(t, rest + [a, b])
    n, m = t.shape[-2:]
    offset = int(offset)
    rows = np.arange(max(0, -offset), max(0, min(n, m - offset)))
    return E.getitem(t, (Ellipsis, rows, rows + offset))


@numpy_op
def trace(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """Sum of the ``offset``-th diagonal of the planes ``(axis1, axis2)``."""
    d = diagonal(x, offset, axis1, axis2)
    if d.data.dtype.kind in "fc":
        return E.sum(d, axis=-1)
    dtype = np.int32 if d.data.dtype == bool else d.data.dtype
    return const(np.sum(d.data, axis=-1, dtype=dtype))


@numpy_op
def diag(x: Any, k: int = 0) -> Tensor:
    """From 1-D ``x``, a matrix with ``x`` on its ``k``-th diagonal; from 2-D, that diagonal."""
    t = to_tensor(x)
    k = int(k)
    if t.ndim == 2:
        return diagonal(t, k)
    if t.ndim != 1:
        raise ValueError(f"diag: x must be 1-D or 2-D, received shape {t.shape}.")
    size = t.shape[0] + abs(k)
    rows, cols = np.indices((size, size))
    on = (cols - rows) == k
    source = np.where(on, np.minimum(rows, cols), 0)
    if t.shape[0] == 0:
        return const(np.zeros((size, size), t.data.dtype))
    return E.where(on, E.getitem(t, source), const(np.zeros((), t.data.dtype)))


@numpy_op
def diagflat(x: Any, k: int = 0) -> Tensor:
    """A matrix with the flattened ``x`` on its ``k``-th diagonal."""
    return diag(E.reshape(to_tensor(x), (-1,)), k)


@numpy_op
def diff(a: Any, n: int = 1, axis: int = -1) -> Tensor:
    """The ``n``-th discrete difference ``a[i + 1] - a[i]`` along ``axis``."""
    t = to_tensor(a)
    if t.ndim == 0:
        raise ValueError("diff: a must have at least 1 dimension, received a scalar.")
    axis = check_axis("diff", axis, t.ndim)
    if int(n) < 0:
        raise ValueError(f"diff: n must be non-negative, received {n}.")
    for _ in range(int(n)):
        head, tail = _along(t, axis, slice(1, None)), _along(t, axis, slice(None, -1))
        if t.data.dtype == bool:
            t = const(np.not_equal(head.data, tail.data))
        else:
            t = E.sub(head, tail)
    return t


@numpy_op
def nonzero(x: Any) -> tuple[Tensor, ...]:
    """Indices of the nonzero elements, one int32 tensor per dimension."""
    return tuple(const(i.astype(np.int32)) for i in np.nonzero(to_array(x)))


@numpy_op
def unravel_index(indices: Any, shape: Any) -> tuple[Tensor, ...]:
    """Flat ``indices`` as one int32 coordinate tensor per dimension of ``shape``."""
    idx = _indices("unravel_index", indices)
    dims = tuple(int(s) for s in np.atleast_1d(to_array(shape)))
    total = int(np.prod(dims, dtype=int))
    if idx.size and (idx.min() < 0 or idx.max() >= total):
        raise ValueError(f"unravel_index: indices must lie in [0, {total}) for shape {dims}.")
    return tuple(const(c.astype(np.int32)) for c in np.unravel_index(idx, dims))
