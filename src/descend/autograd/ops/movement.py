"""Movement primitives: reshape, transpose, broadcast, indexing, concatenate, stack."""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.autograd.function import Function


class Reshape(Function):
    """Reshape to ``shape``; the gradient is reshaped back."""

    def forward(self, a, shape: Any = None):
        self.shape = a.shape
        return np.reshape(a, shape)

    def backward(self, grad):
        return (np.reshape(grad, self.shape),)


class Transpose(Function):
    """Permute axes (``axes=None`` reverses them); the gradient takes the inverse permutation."""

    def forward(self, a, axes: Any = None):
        if axes is None:
            self.axes = tuple(range(a.ndim))[::-1]
        else:  # non-negative, so that argsort gives the inverse permutation
            self.axes = tuple(int(i) % a.ndim for i in axes) if a.ndim else tuple(axes)
        return np.transpose(a, self.axes)

    def backward(self, grad):
        return (np.transpose(grad, np.argsort(self.axes)),)


class BroadcastTo(Function):
    """Broadcast to ``shape``.

    The backward returns the gradient with the broadcast shape unchanged; the
    engine's single :func:`~descend.autograd.function.unbroadcast` sums it back
    to the input's shape.
    """

    def forward(self, a, shape: Any = None):
        return np.broadcast_to(a, shape)

    def backward(self, grad):
        return (grad,)


def _is_basic(index: Any) -> bool:
    """True when ``index`` uses only ints, slices, None and Ellipsis (no fancy indexing)."""
    items = index if isinstance(index, tuple) else (index,)
    return all(
        isinstance(i, (int, np.integer, slice)) or i is None or i is Ellipsis for i in items
    )


class GetItem(Function):
    """``a[index]`` for basic and advanced (integer-array or boolean) indices.

    Repeated integer indices accumulate their gradients.
    """

    def forward(self, a, index: Any = None):
        self.shape, self.dtype, self.index = a.shape, a.dtype, index
        return a[index]

    def backward(self, grad):
        out = np.zeros(self.shape, self.dtype)
        if _is_basic(self.index):
            out[self.index] = grad
        else:
            np.add.at(out, self.index, grad)
        return (out,)


class Concatenate(Function):
    """Join tensors along an existing ``axis``; the gradient is split back."""

    def forward(self, *arrays, axis: int = 0):
        self.axis = axis
        self.bounds = np.cumsum([x.shape[axis] for x in arrays])[:-1]
        return np.concatenate(arrays, axis=axis)

    def backward(self, grad):
        return tuple(np.split(grad, self.bounds, axis=self.axis))


class Stack(Function):
    """Join same-shape tensors along a new ``axis``; the gradient is unstacked."""

    def forward(self, *arrays, axis: int = 0):
        self.axis = axis
        return np.stack(arrays, axis=axis)

    def backward(self, grad):
        return tuple(np.moveaxis(grad, self.axis, 0))
