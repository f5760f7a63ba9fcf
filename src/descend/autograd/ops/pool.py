"""Pooling primitives: N-d max and average pooling, channels-last.

Both loop over the ``prod(pool_size)`` offsets inside a window — each step is
one vectorised NumPy call on a strided slice of the whole batch, of the output's
shape — and never over output positions. For the common non-overlapping case
(``strides == pool_size``, no padding) a 2×2 pool is four ``np.maximum`` calls
on strided views, which measured faster than reshaping to ``(..., 2, ..., 2,
...)`` and reducing two axes; the backward then writes each offset's share
straight into its slice of the input gradient (``out=``), with no zero-filling
add.

* Max pooling pads with ``-inf`` (``"same"``); the gradient of each output goes
  to the *first* maximum of its window in row-major order (as TensorFlow and
  PyTorch do), so that ties never duplicate a gradient. The forward pass records
  that position (one byte per output), so the backward never rereads the input.
* Average pooling with ``"same"`` padding divides by the number of *real*
  elements in each window (padding is not counted, as in Keras/TensorFlow).

Output sizes: ``floor((size - pool) / stride) + 1`` (``"valid"``) and
``ceil(size / stride)`` (``"same"``).

Examples
--------
>>> import numpy as np
>>> from descend.autograd.ops import pool
>>> x = np.arange(16.0).reshape(1, 4, 4, 1)
>>> pool.max_pool(x, 2).data[0, :, :, 0]
array([[ 5.,  7.],
       [13., 15.]])
>>> pool.average_pool(x, 2).data[0, :, :, 0]
array([[ 2.5,  4.5],
       [10.5, 12.5]])
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from descend.autograd.function import Function
from descend.autograd.ops._convert import as_tensor
from descend.autograd.ops.conv import interior, pad_array, padding_amounts, window_slices
from descend.autograd.tensor import Tensor

__all__ = ["AveragePool", "MaxPool", "average_pool", "max_pool"]


def _geometry(x_shape: tuple[int, ...], pool: tuple[int, ...], strides: tuple[int, ...],
              pads: tuple[tuple[int, int], ...]):
    """Output sizes, the offsets of a window, and whether windows overlap."""
    out = tuple(
        (n + lo + hi - k) // s + 1
        for n, k, s, (lo, hi) in zip(x_shape[1:-1], pool, strides, pads, strict=True)
    )
    offsets = list(itertools.product(*(range(k) for k in pool)))
    overlap = any(s < k for s, k in zip(strides, pool, strict=True))
    return out, offsets, overlap


def _gradient_buffer(shape, out, pool, strides, dtype) -> np.ndarray:
    """Input-gradient buffer; zero-filled only where no window will write (tiling pools)."""
    if tuple(strides) != tuple(pool):
        return np.zeros(shape, dtype)
    buffer = np.empty(shape, dtype)
    for axis, (o, k) in enumerate(zip(out, pool, strict=True)):
        if o * k < shape[axis + 1]:  # the strip after the last window
            index = [slice(None)] * len(shape)
            index[axis + 1] = slice(o * k, None)
            buffer[tuple(index)] = 0
    return buffer


class MaxPool(Function):
    """Max over each window; options ``pool``, ``strides``, ``pads`` (one entry per axis).

    The forward pass takes the running ``np.maximum`` of the window's offset
    views. When a gradient is needed it also records, per output, which
    offset held the *first* maximum (``argmax``, one byte per output), built
    back to front with byte arithmetic only: with ``ne_k = view_k != y``,
    ``first_k = ne_k * (1 + first_{k+1})`` counts the offsets from ``k`` to
    the first equal one, and ``argmax = first_0`` (the last offset wins when
    no earlier one equals the maximum). The backward then never reads the
    input again: offset ``k`` receives ``grad * (argmax == k)``.
    """

    def forward(self, x, pool: Any = None, strides: Any = None, pads: Any = None):
        xp = pad_array(x, pads, -np.inf)
        out, offsets, overlap = _geometry(x.shape, pool, strides, pads)
        ones = (1,) * len(pool)
        views = [xp[window_slices(offset, out, strides, ones)] for offset in offsets]
        y = np.maximum(views[0], views[1]) if len(views) > 1 else views[0].copy()
        for view in views[2:]:
            np.maximum(y, view, out=y)
        if self.needs_grad is None:
            return y
        if len(views) > 1:
            byte = np.uint8 if len(views) < 256 else np.intp
            argmax = np.not_equal(views[-2], y).astype(byte)
            unequal = np.empty(y.shape, bool)
            for view in reversed(views[:-2]):
                np.not_equal(view, y, out=unequal)
                argmax += 1
                np.multiply(argmax, unequal.view(np.uint8), out=argmax, casting="unsafe")
        else:
            argmax = np.zeros(y.shape, np.uint8)
        self.argmax, self.x_shape, self.xp_shape, self.pool = argmax, x.shape, xp.shape, pool
        self.geometry = (out, offsets, overlap, strides, pads)
        return y

    def backward(self, grad):
        out, offsets, overlap, strides, pads = self.geometry
        ones = (1,) * len(out)
        gxp = _gradient_buffer(self.xp_shape, out, self.pool, strides, grad.dtype)
        hit = np.empty(grad.shape, bool)
        for k, offset in enumerate(offsets):
            index = window_slices(offset, out, strides, ones)
            np.equal(self.argmax, k, out=hit)
            if overlap:
                gxp[index] += grad * hit
            else:
                np.multiply(grad, hit, out=gxp[index])
        return (gxp[interior(self.x_shape, pads)] if gxp.shape != self.x_shape else gxp,)


def _window_counts(x_shape, out, pool, strides, pads) -> np.ndarray | None:
    """Real (unpadded) elements per window, shape ``(1, *out, 1)``; None when all are full."""
    if not any(lo or hi for lo, hi in pads):
        return None
    count = np.ones((1,) * (len(out) + 2))
    for axis, (n, o, k, s, (lo, _)) in enumerate(zip(x_shape[1:-1], out, pool, strides, pads,
                                                     strict=True)):
        start = np.arange(o) * s - lo
        per_axis = np.minimum(start + k, n) - np.maximum(start, 0)
        shape = [1] * count.ndim
        shape[axis + 1] = o
        count = count * per_axis.reshape(shape)
    return count


class AveragePool(Function):
    """Mean over each window (padding not counted); options as :class:`MaxPool`."""

    def forward(self, x, pool: Any = None, strides: Any = None, pads: Any = None):
        xp = pad_array(x, pads, 0.0)
        out, offsets, overlap = _geometry(x.shape, pool, strides, pads)
        ones = (1,) * len(pool)
        y = xp[window_slices(offsets[0], out, strides, ones)].copy()
        for offset in offsets[1:]:
            y += xp[window_slices(offset, out, strides, ones)]
        count = _window_counts(x.shape, out, pool, strides, pads)
        if count is None:
            y *= x.dtype.type(1.0 / len(offsets))
        else:
            y /= count.astype(x.dtype)
        if self.needs_grad is not None:
            self.count, self.x_shape, self.xp_shape = count, x.shape, xp.shape
            self.pool = pool
            self.geometry = (out, offsets, overlap, strides, pads)
        return y

    def backward(self, grad):
        out, offsets, overlap, strides, pads = self.geometry
        ones = (1,) * len(out)
        if self.count is None:
            share = grad * grad.dtype.type(1.0 / len(offsets))
        else:
            share = grad / self.count.astype(grad.dtype)
        gxp = _gradient_buffer(self.xp_shape, out, self.pool, strides, grad.dtype)
        for offset in offsets:
            index = window_slices(offset, out, strides, ones)
            if overlap:
                gxp[index] += share
            else:
                gxp[index] = share
        return (gxp[interior(self.x_shape, pads)] if gxp.shape != self.x_shape else gxp,)


def _arguments(x: Tensor, pool_size: Any, strides: Any, padding: str, op: str):
    rank = x.ndim - 2
    if rank < 1:
        raise ValueError(
            f"{op}: expected an input of shape (batch, *spatial, channels), received {x.shape}."
        )

    def per_axis(value: Any, name: str) -> tuple[int, ...]:
        values = (value,) * rank if isinstance(value, (int, np.integer)) else tuple(value)
        if len(values) != rank or any(int(v) < 1 for v in values):
            raise ValueError(
                f"{op}: {name} must be a positive int or a tuple of {rank} positive ints, "
                f"received {value!r}."
            )
        return tuple(int(v) for v in values)

    pool = per_axis(pool_size, "pool_size")
    strides = pool if strides is None else per_axis(strides, "strides")
    padding = str(padding).lower()
    if padding not in ("valid", "same"):
        raise ValueError(f"{op}: padding must be 'valid' or 'same', received {padding!r}.")
    pads = tuple(
        padding_amounts(n, k, s, 1, padding)
        for n, k, s in zip(x.shape[1:-1], pool, strides, strict=True)
    )
    for axis, (n, k, (lo, hi)) in enumerate(zip(x.shape[1:-1], pool, pads, strict=True)):
        if n + lo + hi < k:
            raise ValueError(
                f"{op}: the pool (size {k}) is larger than the input (size {n}) along "
                f"spatial axis {axis}; use padding='same' or a smaller pool_size."
            )
    return dict(pool=pool, strides=strides, pads=pads)


def max_pool(x: Any, pool_size: Any, strides: Any = None, padding: str = "valid") -> Tensor:
    """Max pooling of a channels-last tensor.

    Parameters
    ----------
    x : Tensor, shape (batch, *spatial, channels)
    pool_size : int or tuple of int
    strides : int or tuple of int, optional
        Defaults to ``pool_size``.
    padding : {"valid", "same"}, default "valid"

    Returns
    -------
    Tensor, shape (batch, *out, channels)

    Examples
    --------
    >>> import numpy as np
    >>> max_pool(np.array([[[1.0], [3.0], [2.0]]]), 2, padding="same").data.ravel()
    array([3., 2.])
    """
    x = as_tensor(x)
    return MaxPool.apply(x, **_arguments(x, pool_size, strides, padding, "max_pool"))


def average_pool(x: Any, pool_size: Any, strides: Any = None, padding: str = "valid") -> Tensor:
    """Average pooling of a channels-last tensor (padding excluded from the means).

    Parameters
    ----------
    x : Tensor, shape (batch, *spatial, channels)
    pool_size : int or tuple of int
    strides : int or tuple of int, optional
        Defaults to ``pool_size``.
    padding : {"valid", "same"}, default "valid"

    Returns
    -------
    Tensor, shape (batch, *out, channels)

    Examples
    --------
    >>> import numpy as np
    >>> average_pool(np.array([[[1.0], [3.0], [2.0]]]), 2, padding="same").data.ravel()
    array([2., 2.])
    """
    x = as_tensor(x)
    return AveragePool.apply(x, **_arguments(x, pool_size, strides, padding, "average_pool"))
