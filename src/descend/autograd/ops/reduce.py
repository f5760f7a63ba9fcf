"""Reductions: sum, mean, max, min and the numerically stable logsumexp."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from descend.autograd.function import Function


def normalize_axis(axis: Any, ndim: int) -> tuple[int, ...]:
    """Return ``axis`` (None, int or sequence) as a sorted tuple of non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        axis = (axis,)
    out = []
    for a in axis:
        a = int(a)
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(
                f"axis {a} is out of range for a tensor with {ndim} dimensions; "
                f"use an axis in [{-ndim}, {ndim - 1}]."
            )
        out.append(a % ndim if ndim else 0)
    return tuple(sorted(set(out)))


def spread(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Broadcast ``grad`` to ``shape``: a fresh array when small (cheaper than
    ``np.broadcast_to``'s Python overhead), a read-only view when large."""
    if math.prod(shape) <= 65536:
        out = np.empty(shape, grad.dtype)
        out[...] = grad
        return out
    return np.broadcast_to(grad, shape)


def _expand(grad: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
    """Put back the reduced axes of ``grad`` as length-1 axes."""
    if keepdims or grad.ndim == 0:  # a 0-d gradient (full reduction) broadcasts as it is
        return grad
    shape = list(grad.shape)
    for axis in axes:
        shape.insert(axis, 1)
    return grad.reshape(shape)


class Sum(Function):
    """Sum over ``axis``; the gradient is broadcast back to every summed element."""

    def forward(self, a, axis: Any = None, keepdims: bool = False):
        self.shape = a.shape
        self.axes = normalize_axis(axis, a.ndim)
        self.keepdims = keepdims
        return np.add.reduce(a, axis=self.axes, keepdims=keepdims)

    def backward(self, grad):
        return (spread(_expand(grad, self.axes, self.keepdims), self.shape),)


class Mean(Function):
    """Mean over ``axis``; each element receives ``grad / count``."""

    def forward(self, a, axis: Any = None, keepdims: bool = False):
        self.shape = a.shape
        self.axes = normalize_axis(axis, a.ndim)
        self.keepdims = keepdims
        if len(self.axes) == a.ndim and not keepdims:  # the whole array: the common case
            self.count = a.size
            return np.add.reduce(a, axis=None) / a.dtype.type(a.size)
        self.count = math.prod(a.shape[i] for i in self.axes) if self.axes else 1
        return np.add.reduce(a, axis=self.axes, keepdims=keepdims) / a.dtype.type(self.count)

    def backward(self, grad):
        g = _expand(grad, self.axes, self.keepdims) / grad.dtype.type(self.count)
        return (spread(g, self.shape),)


class _Extremum(Function):
    reducer = staticmethod(np.max)

    def forward(self, a, axis: Any = None, keepdims: bool = False):
        self.a = a
        self.axes = normalize_axis(axis, a.ndim)
        self.keepdims = keepdims
        self.out = type(self).reducer(a, axis=self.axes, keepdims=True)
        return self.out if keepdims else np.squeeze(self.out, self.axes)

    def backward(self, grad):
        mask = self.a == self.out
        count = np.sum(mask, axis=self.axes, keepdims=True, dtype=grad.dtype)
        return (_expand(grad, self.axes, self.keepdims) * mask / count,)


class Max(_Extremum):
    """Maximum over ``axis``; ties share the gradient equally."""

    reducer = staticmethod(np.max)


class Min(_Extremum):
    """Minimum over ``axis``; ties share the gradient equally."""

    reducer = staticmethod(np.min)


class LogSumExp(Function):
    """``log(sum(exp(a)))`` over ``axis``, shifted by the maximum for stability.

    The gradient is the softmax of ``a`` along ``axis``.
    """

    def forward(self, a, axis: Any = None, keepdims: bool = False):
        self.axes = normalize_axis(axis, a.ndim)
        self.keepdims = keepdims
        m = np.max(a, axis=self.axes, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)
        shifted = np.exp(a - m)
        total = np.sum(shifted, axis=self.axes, keepdims=True)
        out = np.log(total) + m
        self.softmax = shifted / total
        return out if keepdims else np.squeeze(out, self.axes)

    def backward(self, grad):
        return (_expand(grad, self.axes, self.keepdims) * self.softmax,)
