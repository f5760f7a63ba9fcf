"""Connectionist temporal classification (CTC) loss as one primitive.

For logits ``z`` of shape ``(batch, time, classes)`` and a label sequence
``l`` of length ``L`` per sample, the loss is ``-log p(l | z)``, the
probability summed over every frame-level path that collapses to ``l``
(repeats merged, then blanks removed). The forward pass runs the classic
alpha recursion in log space over the extended sequence ``l'`` (``l`` with a
blank before, between and after its labels, ``S = 2 L + 1`` states),
vectorised over the batch:

    alpha_0(0) = y_0(blank),  alpha_0(1) = y_0(l_1)
    alpha_t(s) = y_t(l'_s) * (alpha_{t-1}(s) + alpha_{t-1}(s-1)
                              + [l'_s != blank and l'_s != l'_{s-2}] alpha_{t-1}(s-2))
    p(l | z) = alpha_{T-1}(S-1) + alpha_{T-1}(S-2)

with ``y = softmax(z)``. The backward pass runs the mirrored beta recursion
(``beta_t(s)``: probability of finishing from state ``s`` after frame ``t``);
the occupancy ``gamma_t(s) = alpha_t(s) beta_t(s) / p`` gives the gradient
with respect to the logits, ``softmax(z_t) - sum_{s: l'_s = k} gamma_t(s)`` for
``t`` before the sample's length, 0 after it. An impossible alignment (too
few frames) gives an infinite loss, as in Keras/PyTorch.

Examples
--------
>>> import numpy as np
>>> from descend.autograd.ops.ctc import ctc_loss
>>> logits = np.zeros((1, 2, 2))  # two frames, uniform over {blank, a}
>>> float(ctc_loss(logits, np.array([[1]]), np.array([1]), np.array([2])).data[0])
0.2876820724517809
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.autograd.function import Function
from descend.autograd.ops._convert import as_tensor
from descend.autograd.tensor import Tensor

__all__ = ["CTCLoss", "ctc_loss"]


def _log_softmax(z: np.ndarray) -> np.ndarray:
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _logsumexp3(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.logaddexp(np.logaddexp(a, b), c)


class CTCLoss(Function):
    """Per-sample CTC loss of logits ``(batch, time, classes)`` (see the module docstring).

    Options: ``labels`` (int array ``(batch, max_label_length)``),
    ``label_lengths`` and ``logit_lengths`` (int arrays ``(batch,)``) and
    ``blank`` (the blank class id). Output ``(batch,)``.
    """

    def forward(self, logits, labels: Any = None, label_lengths: Any = None,
                logit_lengths: Any = None, blank: int = 0):
        batch, steps, _ = logits.shape
        logp = _log_softmax(logits.astype(np.float64))
        max_len = labels.shape[1]
        states = 2 * max_len + 1
        extended = np.full((batch, states), blank, np.intp)
        extended[:, 1::2] = labels
        positions = np.arange(states)
        valid = positions[None, :] < (2 * label_lengths + 1)[:, None]
        skip = np.zeros((batch, states), bool)
        skip[:, 2:] = (extended[:, 2:] != blank) & (extended[:, 2:] != extended[:, :-2])
        rows = np.arange(batch)[:, None]
        emit = logp[rows, :, extended].transpose(0, 2, 1)  # (batch, time, states)
        emit = np.where(valid[:, None, :], emit, -np.inf)
        alpha = np.full((batch, steps, states), -np.inf)
        alpha[:, 0, 0] = emit[:, 0, 0]
        if states > 1:
            alpha[:, 0, 1] = np.where(label_lengths > 0, emit[:, 0, 1], -np.inf)
        for t in range(1, steps):
            prev = alpha[:, t - 1]
            one = np.concatenate([np.full((batch, 1), -np.inf), prev[:, :-1]], axis=1)
            two = np.concatenate([np.full((batch, 2), -np.inf), prev[:, :-2]], axis=1)
            two = np.where(skip, two, -np.inf)
            alpha[:, t] = _logsumexp3(prev, one, two) + emit[:, t]
        last = logit_lengths - 1
        end = 2 * label_lengths  # the final blank; end - 1 is the final label
        final = alpha[np.arange(batch), last]
        log_p = final[np.arange(batch), end]
        with_label = np.where(label_lengths > 0, final[np.arange(batch), np.maximum(end - 1, 0)],
                              -np.inf)
        log_p = np.logaddexp(log_p, with_label)
        if self.needs_grad is not None:
            self.saved = (logp, alpha, emit, skip, extended, log_p, logit_lengths, end)
        return (-log_p).astype(logits.dtype)

    def backward(self, grad):
        logp, alpha, emit, skip, extended, log_p, lengths, end = self.saved
        batch, steps, classes = logp.shape
        states = extended.shape[1]
        beta = np.full((batch, steps, states), -np.inf)
        rows = np.arange(batch)
        for t in range(steps - 1, -1, -1):
            if t < steps - 1:
                after = beta[:, t + 1] + emit[:, t + 1]
                one = np.concatenate([after[:, 1:], np.full((batch, 1), -np.inf)], axis=1)
                skip_next = np.concatenate([skip[:, 2:], np.zeros((batch, 2), bool)], axis=1)
                two = np.concatenate([after[:, 2:], np.full((batch, 2), -np.inf)], axis=1)
                beta[:, t] = _logsumexp3(after, one, np.where(skip_next, two, -np.inf))
            starting = lengths - 1 == t
            if starting.any():
                init = np.full((batch, states), -np.inf)
                init[rows, end] = 0.0
                init[rows, np.maximum(end - 1, 0)] = 0.0
                beta[starting, t] = init[starting]
            beta[lengths - 1 < t, t] = -np.inf
        with np.errstate(invalid="ignore"):
            gamma = np.exp(alpha + beta - log_p[:, None, None])
        gamma = np.nan_to_num(gamma)
        occupancy = np.zeros((batch, steps, classes))
        for s in range(states):
            np.add.at(occupancy, (rows, slice(None), extended[:, s]), gamma[:, :, s])
        inside = np.arange(steps)[None, :] < lengths[:, None]
        d = (np.exp(logp) - occupancy) * inside[:, :, None]
        d[~np.isfinite(log_p)] = 0.0
        return ((d * grad[:, None, None]).astype(grad.dtype),)


def ctc_loss(logits: Any, labels: Any, label_lengths: Any, logit_lengths: Any,
             blank: int = 0) -> Tensor:
    """Per-sample CTC loss ``-log p(labels | logits)``.

    Parameters
    ----------
    logits : Tensor, shape (batch, time, classes)
        Unnormalised scores (a log-softmax is applied over classes).
    labels : int array, shape (batch, max_label_length)
        Padded label sequences; entries past a sample's length are ignored.
    label_lengths, logit_lengths : int array, shape (batch,)
    blank : int, default 0

    Returns
    -------
    Tensor, shape (batch,)
    """
    logits = as_tensor(logits)
    labels = np.asarray(labels, np.intp)
    if labels.ndim == 1:
        labels = labels[None]
    label_lengths = np.asarray(label_lengths, np.intp).reshape(-1)
    logit_lengths = np.asarray(logit_lengths, np.intp).reshape(-1)
    return CTCLoss.apply(logits, labels=labels, label_lengths=label_lengths,
                         logit_lengths=logit_lengths, blank=int(blank))
