"""Zero-insertion ("lhs dilation") of the spatial axes of a channels-last array.

``dilate(x, strides)`` puts ``stride - 1`` zeros between neighbouring elements
along each spatial axis: an axis of length ``n`` becomes ``(n - 1) * stride + 1``.
A transposed convolution is an ordinary convolution of the dilated input, and
``fold`` places strided blocks with it. The gradient is the strided slice of the
output gradient that the input was written to.

Examples
--------
>>> import numpy as np
>>> from descend.autograd.ops.dilate import dilate
>>> dilate(np.array([[[1.0], [2.0], [3.0]]]), (2,)).data.ravel()
array([1., 0., 2., 0., 3.])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from descend.autograd.function import Function
from descend.autograd.ops._convert import as_tensor
from descend.autograd.tensor import Tensor

__all__ = ["Dilate", "dilate"]


class Dilate(Function):
    """Insert ``stride - 1`` zeros between elements of each spatial axis.

    Input ``(batch, *spatial, channels)``; option ``strides`` (one int >= 1 per
    spatial axis). Output ``(batch, *((n - 1) * s + 1), channels)``.
    """

    def forward(self, x, strides: Any = None):
        self.index = (slice(None), *(slice(None, None, s) for s in strides), slice(None))
        shape = (x.shape[0], *((n - 1) * s + 1 for n, s in zip(x.shape[1:-1], strides,
                                                              strict=True)), x.shape[-1])
        out = np.zeros(shape, x.dtype)
        out[self.index] = x
        return out

    def backward(self, grad):
        return (np.ascontiguousarray(grad[self.index]),)


def dilate(x: Any, strides: Sequence[int]) -> Tensor:
    """Insert ``stride - 1`` zeros between neighbours along each spatial axis.

    Parameters
    ----------
    x : Tensor, shape (batch, *spatial, channels)
    strides : sequence of int
        One positive int per spatial axis.

    Returns
    -------
    Tensor, shape (batch, *((spatial - 1) * strides + 1), channels)
    """
    x = as_tensor(x)
    strides = tuple(int(s) for s in strides)
    if len(strides) != x.ndim - 2 or any(s < 1 for s in strides) or 0 in x.shape[1:-1]:
        raise ValueError(
            f"dilate: expected one positive stride per spatial axis of a non-empty input of "
            f"shape {x.shape}, received {strides!r}."
        )
    if all(s == 1 for s in strides):
        return x
    return Dilate.apply(x, strides=strides)
