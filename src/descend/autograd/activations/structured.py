"""Activations that act along an axis: the gated linear unit and sparsemax."""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.autograd import Tensor, ops
from descend.autograd.ops import as_tensor as _t


def glu(x: Any, axis: int = -1) -> Tensor:
    """Gated linear unit: split ``x`` in halves ``a, b`` along ``axis``; ``a * sigmoid(b)``.

    Parameters
    ----------
    x : Tensor, shape (..., 2 * d)
        The size along ``axis`` must be even.
    axis : int, default -1

    Returns
    -------
    Tensor, shape (..., d)

    Examples
    --------
    >>> from descend.autograd import Tensor
    >>> glu(Tensor([[2.0, 0.0]])).data
    array([[1.]], dtype=float32)
    """
    x = _t(x)
    size = x.shape[axis]
    if size % 2:
        raise ValueError(
            f"glu: the size of axis {axis} must be even to split it in two halves, "
            f"received input of shape {x.shape}."
        )
    axis = axis % x.ndim
    first = (slice(None),) * axis + (slice(0, size // 2),)
    second = (slice(None),) * axis + (slice(size // 2, size),)
    return x[first] * ops.sigmoid(x[second])


def sparsemax(x: Any, axis: int = -1) -> Tensor:
    """Sparsemax: the Euclidean projection of ``x`` onto the probability simplex.

    ``f(x) = max(x - tau, 0)`` with ``tau`` chosen so the result sums to 1 along
    ``axis``; many outputs are exactly 0.

    Parameters
    ----------
    x : Tensor, shape (..., classes)
    axis : int, default -1

    Returns
    -------
    Tensor, same shape, non-negative, sums to 1 along ``axis``

    Examples
    --------
    >>> from descend.autograd import Tensor
    >>> sparsemax(Tensor([[2.0, 0.0, 1.5]])).data
    array([[0.75, 0.  , 0.25]], dtype=float32)
    """
    x = _t(x)
    z = np.moveaxis(x.data, axis, -1)
    ranked = -np.sort(-z, axis=-1)
    k = np.arange(1, z.shape[-1] + 1, dtype=z.dtype)
    cumulative = np.cumsum(ranked, axis=-1)
    in_support = 1 + k * ranked > cumulative
    support = np.sum(in_support, axis=-1, keepdims=True)
    kth = np.take_along_axis(ranked, support - 1, axis=-1)
    mask = np.moveaxis(z >= kth, -1, axis)
    count = np.moveaxis(support, -1, axis).astype(z.dtype)
    tau = (ops.sum(ops.where(mask, x, 0.0), axis=axis, keepdims=True) - 1.0) / count
    return ops.relu(x - tau)
