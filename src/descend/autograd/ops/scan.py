"""Running and full products and sums along an axis: cumsum, cumprod, prod.

The gradients handle zeros exactly: ``prod`` multiplies the products to the left
and to the right of each element instead of dividing by it, and ``cumprod``
divides only when no element along the axis is zero.

Examples
--------
>>> from descend.autograd import Tensor
>>> from descend.autograd.ops.scan import Prod
>>> x = Tensor([2.0, 0.0, 3.0], requires_grad=True)
>>> Prod.apply(x).backward()
>>> x.grad  # the product of the other elements
array([0., 6., 0.], dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.autograd.function import Function
from descend.autograd.ops.reduce import normalize_axis


def _exclusive_cumprod(a: np.ndarray) -> np.ndarray:
    """Products of the elements strictly before each position along the last axis."""
    ones = np.ones(a.shape[:-1] + (1,), a.dtype)
    return np.cumprod(np.concatenate([ones, a[..., :-1]], axis=-1), axis=-1)


class Cumsum(Function):
    """Running sum along ``axis``; the gradient is the reversed running sum of ``grad``."""

    def forward(self, a, axis: int = 0):
        self.axis = axis
        return np.cumsum(a, axis=axis)

    def backward(self, grad):
        flipped = np.flip(grad, self.axis)
        return (np.flip(np.cumsum(flipped, axis=self.axis), self.axis),)


class Cumprod(Function):
    """Running product along ``axis``.

    d out_j / d a_i = prod_{k <= j, k != i} a_k for j >= i. Without zeros this is
    out_j / a_i, so the gradient is a reversed running sum of ``grad * out``
    divided by ``a``; with a zero along the axis the products are formed
    explicitly (quadratic in the axis length).
    """

    def forward(self, a, axis: int = 0):
        self.axis = axis
        out = np.cumprod(a, axis=axis)
        if self.needs_grad is not None:
            self.a, self.out = a, out
        return out

    def backward(self, grad):
        a, axis = self.a, self.axis
        if np.all(a != 0):
            acc = np.flip(np.cumsum(np.flip(grad * self.out, axis), axis=axis), axis)
            return (acc / a,)
        x = np.moveaxis(a, axis, -1)
        g = np.moveaxis(grad, axis, -1)
        n = x.shape[-1]
        rows = np.broadcast_to(x[..., None, :], x.shape[:-1] + (n, n)).copy()
        diagonal = np.arange(n)
        rows[..., diagonal, diagonal] = 1  # row i: a with a_i replaced by 1
        partial = np.cumprod(rows, axis=-1)  # [i, j] = prod_{k <= j, k != i} a_k
        partial *= np.triu(np.ones((n, n), dtype=bool))  # only j >= i depends on a_i
        out = np.einsum("...ij,...j->...i", partial, g)
        return (np.moveaxis(out, -1, axis),)


class Prod(Function):
    """Product over ``axis``; each element's gradient is the product of the others."""

    def forward(self, a, axis: Any = None, keepdims: bool = False):
        self.axes = normalize_axis(axis, a.ndim)
        self.keepdims = keepdims
        if self.needs_grad is not None:
            self.a = a
        return np.prod(a, axis=self.axes, keepdims=keepdims)

    def backward(self, grad):
        a, axes = self.a, self.axes
        kept = [i for i in range(a.ndim) if i not in axes]
        perm = kept + list(axes)
        moved = np.transpose(a, perm)
        flat = moved.reshape(moved.shape[: len(kept)] + (-1,))
        left = _exclusive_cumprod(flat)
        right = _exclusive_cumprod(flat[..., ::-1])[..., ::-1]
        others = np.transpose((left * right).reshape(moved.shape), np.argsort(perm))
        if not self.keepdims and grad.ndim:
            grad = np.expand_dims(grad, axes)
        return (grad * others,)
