"""Connectionist temporal classification of ``keras.ops.nn``: the loss and the decoders.

``ctc_loss`` runs on the :class:`~descend.autograd.ops.ctc.CTCLoss` primitive
(alpha/beta recursions in log space; differentiable in ``output``).
``ctc_decode`` has no gradient:

* ``"greedy"``: the best class per frame (frames past a sequence's length
  count as blanks), repeats merged when ``merge_repeated``, blanks removed;
  decoded labels are moved to the front and padded with -1; the score is minus
  the sum over the sequence of each frame's best raw input value (Keras's rule);
* ``"beam_search"``: CTC prefix beam search on ``log_softmax(inputs)``, keeping
  per prefix the probability of ending in a blank and in a label (so a
  repeated label needs a blank between its copies), the ``beam_width`` best
  prefixes per frame; the score is the prefix's log-probability.

Examples
--------
>>> import numpy as np
>>> from descend.ops import nn
>>> scores = np.log(np.array([[[0.1, 0.9], [0.1, 0.9], [0.9, 0.1], [0.1, 0.9]]]))
>>> paths, _ = nn.ctc_decode(scores, [4])
>>> paths.data
array([[[ 1,  1, -1, -1]]], dtype=int32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.autograd.ops.ctc import ctc_loss as _ctc_loss
from descend.autograd.tensor import Tensor
from descend.ops._dispatch import keras_op
from descend.ops._nn_common import array, constant, tensor

__all__ = ["ctc_decode", "ctc_loss"]


def _lengths(value: Any, batch: int, limit: int, name: str, op: str) -> np.ndarray:
    lengths = array(value)
    if lengths.dtype.kind not in "iu" and not (lengths.dtype.kind == "f"
                                               and np.all(lengths == np.floor(lengths))):
        raise TypeError(f"{op}: {name} must hold integer lengths, received {lengths.dtype}.")
    lengths = lengths.astype(np.intp).reshape(-1)
    if lengths.shape != (batch,) or np.any(lengths < 0) or np.any(lengths > limit):
        raise ValueError(
            f"{op}: {name} must hold {batch} lengths in [0, {limit}], received {array(value)!r}."
        )
    return lengths


@keras_op
def ctc_loss(target: Any, output: Any, target_length: Any, output_length: Any,
             mask_index: int = 0) -> Tensor:
    """Per-sample CTC loss ``-log p(target | output)``.

    Parameters
    ----------
    target : int tensor-like, shape (batch, max_label_length)
        Padded label sequences (entries past ``target_length`` are ignored).
    output : tensor-like, shape (batch, max_time, classes)
        Logits (a log-softmax over classes is applied).
    target_length : int tensor-like, shape (batch,)
    output_length : int tensor-like, shape (batch,)
        Frames of each sample, at least 1.
    mask_index : int, default 0
        The blank class.

    Returns
    -------
    Tensor, shape (batch,)
        ``inf`` where the labels cannot be aligned in the frames.
    """
    output = tensor(output)
    labels = array(target)
    if output.ndim != 3 or labels.ndim != 2 or labels.shape[0] != output.shape[0]:
        raise ValueError(
            f"ctc_loss: expected target (batch, max_label_length) and output (batch, max_time, "
            f"classes) with the same batch, received {labels.shape} and {output.shape}."
        )
    batch, steps, classes = output.shape
    label_lengths = _lengths(target_length, batch, labels.shape[1], "target_length", "ctc_loss")
    logit_lengths = _lengths(output_length, batch, steps, "output_length", "ctc_loss")
    if np.any(logit_lengths < 1):
        raise ValueError("ctc_loss: every output_length must be at least 1.")
    if not 0 <= int(mask_index) < classes:
        raise ValueError(f"ctc_loss: mask_index must lie in [0, {classes}), received "
                         f"{mask_index}.")
    used = np.arange(labels.shape[1])[None, :] < label_lengths[:, None]
    if np.any(used & ((labels < 0) | (labels >= classes) | (labels == mask_index))):
        raise ValueError(
            f"ctc_loss: labels must lie in [0, {classes}) and differ from the blank "
            f"mask_index={mask_index}."
        )
    labels = np.where(used, labels, 0 if mask_index else 1 % classes)
    return _ctc_loss(output, labels, label_lengths, logit_lengths, blank=int(mask_index))


def _greedy(inputs: np.ndarray, lengths: np.ndarray, merge_repeated: bool, blank: int):
    batch, steps, _ = inputs.shape
    best = inputs.argmax(axis=-1).astype(np.int32)
    top = inputs.max(axis=-1)
    beyond = np.arange(steps)[None, :] >= lengths[:, None]
    best = np.where(beyond, blank, best)
    top = np.where(beyond, 0.0, top)
    if merge_repeated:
        repeat = np.zeros_like(beyond)
        repeat[:, 1:] = best[:, 1:] == best[:, :-1]
        best = np.where(repeat, blank, best)
    dropped = best == blank
    order = np.argsort(np.where(dropped, steps, np.arange(steps)[None, :]), axis=-1,
                       kind="stable")
    decoded = np.take_along_axis(np.where(dropped, -1, best), order, axis=-1)
    return decoded[None].astype(np.int32), -top.sum(axis=1, keepdims=True)


def _add(grown: dict, prefix: tuple[int, ...], p_blank: float = -np.inf,
         p_label: float = -np.inf) -> None:
    """Accumulate the probabilities of reaching ``prefix`` (log space)."""
    slot = grown.setdefault(prefix, [-np.inf, -np.inf])
    slot[0] = np.logaddexp(slot[0], p_blank)
    slot[1] = np.logaddexp(slot[1], p_label)


def _beam_one(logp: np.ndarray, length: int, beam_width: int, blank: int):
    """Prefix beam search of one sequence: {prefix: (log p ending in blank, in a label)}."""
    neg = -np.inf
    beams: dict[tuple[int, ...], tuple[float, float]] = {(): (0.0, neg)}
    for t in range(length):
        frame = logp[t]
        grown: dict[tuple[int, ...], list[float]] = {}
        for prefix, (pb, pl) in beams.items():
            total = np.logaddexp(pb, pl)
            _add(grown, prefix, p_blank=total + frame[blank])
            for k in range(frame.shape[0]):
                if k == blank:
                    continue
                if prefix and prefix[-1] == k:
                    _add(grown, prefix, p_label=pl + frame[k])  # the same label continues
                    _add(grown, prefix + (k,), p_label=pb + frame[k])  # a new copy after a blank
                else:
                    _add(grown, prefix + (k,), p_label=total + frame[k])
        ranked = sorted(grown.items(), key=lambda kv: -np.logaddexp(*kv[1]))
        beams = {prefix: (pb, pl) for prefix, (pb, pl) in ranked[:beam_width]}
    return sorted(((np.logaddexp(pb, pl), prefix) for prefix, (pb, pl) in beams.items()),
                  key=lambda item: -item[0])


def _beam(inputs: np.ndarray, lengths: np.ndarray, beam_width: int, top_paths: int,
          blank: int):
    batch, steps, _ = inputs.shape
    shifted = inputs - inputs.max(axis=-1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    paths = np.full((top_paths, batch, steps), -1, np.int32)
    scores = np.full((batch, top_paths), -np.inf, inputs.dtype)
    for b in range(batch):
        for rank, (score, prefix) in enumerate(_beam_one(logp[b], int(lengths[b]), beam_width,
                                                         blank)[:top_paths]):
            paths[rank, b, :len(prefix)] = prefix
            scores[b, rank] = score
    return paths, scores


@keras_op
def ctc_decode(inputs: Any, sequence_lengths: Any, strategy: str = "greedy",
               beam_width: int = 100, top_paths: int = 1, merge_repeated: bool = True,
               mask_index: int = 0) -> tuple[Tensor, Tensor]:
    """Decode CTC outputs into label sequences (no gradient).

    Parameters
    ----------
    inputs : tensor-like, shape (batch, max_time, classes)
        Per-frame scores (log-probabilities or logits).
    sequence_lengths : int tensor-like, shape (batch,)
    strategy : {"greedy", "beam_search"}, default "greedy"
    beam_width : int, default 100
        Prefixes kept per frame (beam search).
    top_paths : int, default 1
        Paths returned (beam search; greedy returns one).
    merge_repeated : bool, default True
        Greedy: merge repeated labels of consecutive frames.
    mask_index : int, default 0
        The blank class.

    Returns
    -------
    paths : int32 Tensor, shape (top_paths, batch, max_time)
        Decoded labels, left-aligned, padded with -1.
    scores : Tensor, shape (batch, top_paths)
        Greedy: minus the summed best frame scores; beam search: log-probabilities.
    """
    data = array(inputs)
    if data.ndim != 3:
        raise ValueError(f"ctc_decode: expected inputs of shape (batch, max_time, classes), "
                         f"received {data.shape}.")
    data = data.astype(np.result_type(data.dtype, np.float32))
    batch, steps, classes = data.shape
    lengths = _lengths(sequence_lengths, batch, steps, "sequence_lengths", "ctc_decode")
    blank = classes - 1 if mask_index is None else int(mask_index)
    if not 0 <= blank < classes:
        raise ValueError(f"ctc_decode: mask_index must lie in [0, {classes}), received "
                         f"{mask_index}.")
    if strategy == "greedy":
        paths, scores = _greedy(data, lengths, merge_repeated, blank)
    elif strategy == "beam_search":
        if int(beam_width) < 1 or int(top_paths) < 1 or int(top_paths) > int(beam_width):
            raise ValueError(
                f"ctc_decode: need 1 <= top_paths <= beam_width, received top_paths={top_paths}"
                f", beam_width={beam_width}."
            )
        paths, scores = _beam(data, lengths, int(beam_width), int(top_paths), blank)
    else:
        raise ValueError(f"ctc_decode: strategy must be 'greedy' or 'beam_search', received "
                         f"{strategy!r}.")
    return constant(paths), constant(scores.astype(data.dtype))
