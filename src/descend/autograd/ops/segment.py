"""The segment-reduction primitive behind ``segment_*``, ``scatter`` and ``scatter_update``.

``SegmentReduce`` combines the rows of ``data`` (along axis 0) that share a
segment id with one of ``sum``, ``max``, ``min`` or ``prod``. Ids outside
``[0, num_segments)`` are dropped. An empty segment holds the reduction's
identity (0, -inf, +inf, 1; for integers the dtype's extreme values), as in
Keras. Gradients:

* ``sum``: each row receives its segment's gradient;
* ``max``/``min``: the rows equal to the segment's result share its gradient
  equally (like :class:`~descend.autograd.ops.reduce.Max`);
* ``prod``: each row receives its segment's gradient times the product of the
  segment's *other* rows, computed without dividing by zero.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.autograd.function import Function

_UFUNCS = {"sum": np.add, "max": np.maximum, "min": np.minimum, "prod": np.multiply}


def _identity(kind: str, dtype: np.dtype) -> Any:
    if kind == "sum":
        return 0
    if kind == "prod":
        return 1
    if dtype.kind == "f":
        return -np.inf if kind == "max" else np.inf
    if dtype.kind == "b":
        return kind == "min"
    info = np.iinfo(dtype)
    return info.min if kind == "max" else info.max


class SegmentReduce(Function):
    """Reduce the rows of ``data`` per segment (see the module docstring).

    Options: ``segment_ids`` (int array, shape ``(data.shape[0],)``),
    ``num_segments`` (int) and ``kind`` (``"sum"``, ``"max"``, ``"min"``, ``"prod"``).
    """

    def forward(self, data, segment_ids: Any = None, num_segments: int = 0, kind: str = "sum"):
        keep = (segment_ids >= 0) & (segment_ids < num_segments)
        self.ids, self.keep, self.kind = segment_ids, keep, kind
        rows, ids = data[keep], segment_ids[keep]
        out = np.full((num_segments,) + data.shape[1:], _identity(kind, data.dtype), data.dtype)
        _UFUNCS[kind].at(out, ids, rows)
        if self.needs_grad is not None:
            self.data, self.out = data, out
        return out

    def backward(self, grad):
        data, keep = self.data, self.keep
        ids = np.where(keep, self.ids, 0)
        mask = np.broadcast_to(keep.reshape((-1,) + (1,) * (data.ndim - 1)), data.shape)
        spread = grad[ids]
        if self.kind == "sum":
            return (np.where(mask, spread, 0).astype(grad.dtype),)
        if self.kind in ("max", "min"):
            hit = mask & (data == self.out[ids])
            counts = np.zeros(self.out.shape, grad.dtype)
            np.add.at(counts, self.ids[keep], hit[keep].astype(grad.dtype))
            share = np.where(hit, spread / np.where(hit, counts[ids], 1), 0)
            return (share.astype(grad.dtype),)
        # prod: product of the segment's other rows, exact when rows are zero.
        zero = data == 0
        zeros = np.zeros(self.out.shape, np.int64)
        np.add.at(zeros, self.ids[keep], zero[keep].astype(np.int64))
        nonzero_prod = np.ones(self.out.shape, data.dtype)
        np.multiply.at(nonzero_prod, self.ids[keep], np.where(zero, 1, data)[keep])
        seg_zeros, seg_prod = zeros[ids], nonzero_prod[ids]
        with np.errstate(divide="ignore", invalid="ignore"):
            others = np.where(
                zero,
                np.where(seg_zeros == 1, seg_prod, 0),
                np.where(seg_zeros == 0, seg_prod / np.where(zero, 1, data), 0),
            )
        return (np.where(mask, spread * others, 0).astype(grad.dtype),)
