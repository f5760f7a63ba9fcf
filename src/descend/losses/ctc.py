"""Connectionist temporal classification (Graves et al., 2006): the ``CTC`` loss.

A sequence model emits class scores at every one of ``T`` time steps; the label
is a shorter sequence of class ids. CTC sums the probability of every
alignment that reduces to the label (by merging repeats and removing the blank,
class 0) with the forward algorithm, in log space:

``alpha_t(s) = logsumexp(alpha_{t-1}(s), alpha_{t-1}(s-1), alpha_{t-1}(s-2)) + log p_t(l'_s)``

over the extended label ``l' = (blank, l_1, blank, l_2, ..., blank)`` (the jump
from ``s-2`` only when ``l'_s`` is not blank and differs from ``l'_{s-2}``). The
recursion is built from engine operations, so gradients come from ``backward``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.autograd import Tensor, ops
from descend.losses.loss import LossFunctionWrapper

_NEG = -1e30  # log(0) that stays finite, so masked paths get zero gradient


def _labels(y_true: Any, num_classes: int) -> tuple[np.ndarray, np.ndarray]:
    ids = np.asarray(y_true.data if isinstance(y_true, Tensor) else y_true)
    if ids.ndim != 2:
        raise ValueError(
            "ctc: targets `y_true` are expected to be an array of shape (batch_size, "
            f"max_length) in integer format. Received: y_true.shape={ids.shape}"
        )
    if ids.dtype.kind == "f" and not np.all(ids == np.round(ids)):
        raise ValueError("ctc: y_true must hold integer class ids (0 is the blank/padding).")
    ids = ids.astype(np.int64)
    if ids.size and (ids.min() < 0 or ids.max() >= num_classes):
        raise ValueError(f"ctc: class ids in y_true must be in [0, {num_classes}), received "
                         f"values in [{ids.min()}, {ids.max()}].")
    return ids, np.sum(ids != 0, axis=-1)


def ctc(y_true: Any, y_pred: Any) -> Tensor:
    """Per-sample CTC loss ``-log p(label | logits)``, blank = class 0.

    Parameters
    ----------
    y_true : array_like of int, shape (N, L)
        Labels padded with 0; the label of a sample is its first ``count_nonzero``
        entries (Keras's rule).
    y_pred : Tensor, shape (N, T, C)
        Logits (log-softmax is applied over C) for all ``T`` steps.

    Returns
    -------
    Tensor, shape (N,)
        ``inf`` for a label that no alignment of length ``T`` can produce.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> logits = Tensor(np.zeros((1, 2, 2), dtype="float32"))  # uniform over {blank, 1}
    >>> round(float(ctc(np.array([[1]]), logits).data[0]), 4)  # 3 paths of prob 1/4
    0.2877
    """
    y_pred = ops.as_tensor(y_pred)
    if y_pred.ndim != 3:
        raise ValueError(
            "ctc: logits `y_pred` are expected to be a tensor of shape (batch_size, max_length, "
            f"num_classes). Received: y_pred.shape={y_pred.shape}"
        )
    n, steps, classes = y_pred.shape
    ids, lengths = _labels(y_true, classes)
    if ids.shape[0] != n:
        raise ValueError(f"ctc: y_true has {ids.shape[0]} samples but y_pred has {n}.")
    width = 2 * ids.shape[1] + 1
    extended = np.zeros((n, width), dtype=np.int64)  # blanks between and around the labels
    for b in range(n):
        extended[b, 1:2 * lengths[b]:2] = ids[b, :lengths[b]]
    dtype = y_pred.dtype
    one_hot = np.eye(classes, dtype=dtype)[extended]  # (N, S, C)
    emissions = ops.matmul(ops.log_softmax(y_pred, axis=-1),
                           np.ascontiguousarray(np.swapaxes(one_hot, 1, 2)))  # (N, T, S)
    skip = np.full((n, width), _NEG, dtype=dtype)  # s-2 -> s allowed: 0, else log(0)
    allowed = (extended[:, 2:] != 0) & (extended[:, 2:] != extended[:, :-2])
    skip[:, 2:][allowed] = 0.0
    start = np.full((n, width), _NEG, dtype=dtype)
    start[:, 0] = 0.0
    start[lengths > 0, 1] = 0.0
    pad1 = np.full((n, 1), _NEG, dtype=dtype)
    pad2 = np.full((n, 2), _NEG, dtype=dtype)
    alpha = ops.getitem(emissions, (slice(None), 0)) + start
    for t in range(1, steps):
        stay = alpha
        step = ops.concatenate([pad1, ops.getitem(alpha, (slice(None), slice(0, width - 1)))],
                               axis=1)
        jump = ops.concatenate([pad2, ops.getitem(alpha, (slice(None), slice(0, width - 2)))],
                               axis=1) + skip
        alpha = ops.logsumexp(ops.stack([stay, step, jump], axis=0), axis=0) \
            + ops.getitem(emissions, (slice(None), t))
    final = np.full((n, width), _NEG, dtype=dtype)
    rows = np.arange(n)
    final[rows, 2 * lengths] = 0.0
    final[rows[lengths > 0], 2 * lengths[lengths > 0] - 1] = 0.0
    loss = -ops.logsumexp(alpha + final, axis=1)
    impossible = loss.data > -_NEG / 2
    if np.any(impossible):
        loss = ops.where(impossible, np.asarray(np.inf, dtype=dtype), loss)
    return loss


class CTC(LossFunctionWrapper):
    """CTC loss; see :func:`ctc`.

    Parameters
    ----------
    reduction : str or None, default "sum_over_batch_size"
    name : str, default "ctc"
    dtype : str, optional

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> round(CTC()(np.array([[1]]), Tensor(np.zeros((1, 2, 2), "float32"))).item(), 4)
    0.2877
    """

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "ctc",
                 dtype: Any = None) -> None:
        super().__init__(ctc, reduction=reduction, name=name, dtype=dtype)
        self._raw_labels = True  # integer ids stay integers

    def call(self, y_true: Any, y_pred: Tensor) -> Tensor:
        return ctc(y_true, y_pred)
