"""Constant padding: the one padding mode that is not a rearrangement of the input.

(Reflect, symmetric, edge and wrap padding only repeat input elements; descend
builds them from indexing, whose gradient adds the repeats back.)

Examples
--------
>>> from descend.autograd import Tensor
>>> from descend.autograd.ops.padding import PadConstant
>>> PadConstant.apply(Tensor([1.0, 2.0]), pad_width=((1, 2),), value=0.0).data
array([0., 1., 2., 0., 0.], dtype=float32)
"""

from __future__ import annotations

import numpy as np

from descend.autograd.function import Function


class PadConstant(Function):
    """Pad with a constant: ``pad_width`` is one ``(before, after)`` pair per axis.

    The gradient is the slice of ``grad`` that holds the original elements.
    """

    def forward(self, a, pad_width: tuple = (), value: float = 0):
        pairs = zip(pad_width, a.shape, strict=False)
        self.window = tuple(slice(lo, lo + n) for (lo, _), n in pairs)
        return np.pad(a, pad_width, mode="constant", constant_values=value)

    def backward(self, grad):
        return (grad[self.window],)
