"""Upsampling primitives: repetition along an axis, and a linear map along an axis.

``Repeat`` copies every element ``repeats`` times along one axis (nearest-neighbour
upsampling); its gradient sums each group of copies. ``AxisLinear`` applies a
matrix ``M`` of shape ``(new_length, length)`` along one axis, ``y = M @ x`` on
that axis (bilinear resizing is one such map per spatial axis); its gradient is
``M.T @ grad``.

Examples
--------
>>> import numpy as np
>>> from descend.autograd import Tensor
>>> Repeat.apply(Tensor(np.array([[1.0, 2.0]])), repeats=2, axis=1).data
array([[1., 1., 2., 2.]])
>>> linear_resize_matrix(2, 4)
array([[1.  , 0.  ],
       [0.75, 0.25],
       [0.25, 0.75],
       [0.  , 1.  ]])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.autograd.function import Function

__all__ = ["AxisLinear", "Repeat", "linear_resize_matrix"]


class Repeat(Function):
    """``np.repeat(x, repeats, axis)``; the gradient sums each run of copies."""

    def forward(self, x, repeats: int = 1, axis: int = 0):
        self.axis = axis % x.ndim
        self.repeats = int(repeats)
        return np.repeat(x, self.repeats, axis=self.axis)

    def backward(self, grad):
        shape = grad.shape
        axis = self.axis
        split = (*shape[:axis], shape[axis] // self.repeats, self.repeats, *shape[axis + 1:])
        return (grad.reshape(split).sum(axis=axis + 1),)


class AxisLinear(Function):
    """``y = M @ x`` along ``axis``; option ``matrix`` of shape ``(new_length, length)``."""

    def forward(self, x, matrix: Any = None, axis: int = 0):
        self.axis = axis % x.ndim
        self.matrix = np.asarray(matrix, dtype=x.dtype)
        moved = np.moveaxis(x, self.axis, -1)
        return np.ascontiguousarray(np.moveaxis(moved @ self.matrix.T, -1, self.axis))

    def backward(self, grad):
        moved = np.moveaxis(grad, self.axis, -1)
        return (np.ascontiguousarray(np.moveaxis(moved @ self.matrix, -1, self.axis)),)


def linear_resize_matrix(length: int, new_length: int) -> np.ndarray:
    """Linear-interpolation matrix ``(new_length, length)`` with half-pixel centres.

    Output ``i`` samples the input at ``(i + 0.5) * length / new_length - 0.5``,
    clamped to ``[0, length - 1]``, mixing its two neighbours linearly (the
    convention of ``keras.ops.image.resize(..., "bilinear")`` without
    antialiasing, and of PyTorch's ``align_corners=False``).

    Examples
    --------
    >>> linear_resize_matrix(3, 6)[:2]
    array([[1.  , 0.  , 0.  ],
           [0.75, 0.25, 0.  ]])
    """
    source = (np.arange(new_length) + 0.5) * (length / new_length) - 0.5
    source = np.clip(source, 0.0, length - 1)
    low = np.floor(source).astype(int)
    high = np.minimum(low + 1, length - 1)
    frac = source - low
    matrix = np.zeros((new_length, length))
    rows = np.arange(new_length)
    np.add.at(matrix, (rows, low), 1.0 - frac)
    np.add.at(matrix, (rows, high), frac)
    return matrix
