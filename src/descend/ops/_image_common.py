"""Helpers of the ``descend.ops.image`` modules: image batches in and out.

Every image op computes on a channels-last batch ``(batch, height, width,
channels)``; :func:`as_batch` turns a single image (rank 3) or a
``channels_first`` batch into one, and :func:`restore` undoes both.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.autograd import ops as _ops
from descend.autograd.tensor import Tensor
from descend.ops._nn_common import constant, data_format, tensor


def as_batch(images: Any, fmt: Any, op: str, ranks: tuple[int, ...] = (3, 4)
             ) -> tuple[Tensor, str, bool, np.dtype]:
    """``images`` as a channels-last float batch, the format, whether it was unbatched, dtype."""
    fmt = data_format(fmt, op)
    if isinstance(images, Tensor):
        original = images.dtype
    else:
        original = np.asarray(images).dtype
        if original.kind not in "biuf":
            raise TypeError(f"{op}: expected numeric images, received dtype {original}.")
    x = tensor(images)
    if x.ndim not in ranks:
        raise ValueError(
            f"{op}: expected a single image (rank {ranks[0]}) or a batch (rank {ranks[-1]}), "
            f"received shape {x.shape}."
        )
    unbatched = x.ndim == ranks[0]
    if unbatched:
        x = _ops.reshape(x, (1, *x.shape))
    if fmt == "channels_first":
        x = _ops.transpose(x, (0, *range(2, x.ndim), 1))
    return x, fmt, unbatched, original


def restore(y: Tensor, fmt: str, unbatched: bool, original: np.dtype | None = None) -> Tensor:
    """Undo :func:`as_batch`; integer inputs get rounded, clipped integer results."""
    if fmt == "channels_first":
        y = _ops.transpose(y, (0, y.ndim - 1, *range(1, y.ndim - 1)))
    if unbatched:
        y = _ops.reshape(y, y.shape[1:])
    if original is not None and original.kind in "iub":
        info = np.iinfo(original) if original.kind in "iu" else None
        data = np.round(y.data)
        if info is not None:
            data = np.clip(data, info.min, info.max)
        return constant(data.astype(original))
    return y


def along_axis(x: Tensor, weights: np.ndarray, axis: int) -> Tensor:
    """``sum_j weights[i, j] * x[..., j, ...]`` along ``axis`` (a differentiable matmul)."""
    order = (axis, *(i for i in range(x.ndim) if i != axis))
    moved = _ops.transpose(x, order)
    rest = moved.shape[1:]
    flat = _ops.reshape(moved, (moved.shape[0], -1))
    out = _ops.matmul(weights.astype(x.dtype), flat)
    out = _ops.reshape(out, (weights.shape[0], *rest))
    return _ops.transpose(out, tuple(np.argsort(order)))
