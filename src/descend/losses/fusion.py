"""How a loss describes itself to a model's execution plan.

A loss computes through ``Loss.__call__`` (labels, rank fix-up, the per-sample
losses, masks, sample weights, the reduction): that is the reference, and every
loss has it. A built-in loss whose per-sample values come from one engine
primitive also says so, through ``loss.fusion_spec()``, as layers do
(:mod:`descend.layers.fusion`): a :class:`LossSpec` names the primitive and its
options. The execution plan (:mod:`descend.models.plan`) may then compute the
loss and its gradient with that primitive's own ``forward`` and ``backward``
on plain arrays, followed by the mean (the ``"sum_over_batch_size"``
reduction) — the same kernels, in the same order, as the graph path.

A loss answers None (always the reference path) when any of these holds:
a reduction other than ``"sum_over_batch_size"``/``"mean"``, a ``dtype``,
a class defined outside descend (a user's subclass may change any step),
``ignore_class``, ``label_smoothing``, an ``axis`` other than ``-1``, or a
function without a fused primitive (:data:`FUSED`).

Examples
--------
>>> from descend import losses
>>> losses.SparseCategoricalCrossentropy().fusion_spec().kernel.__name__
'ProbabilityCrossEntropy'
>>> losses.SparseCategoricalCrossentropy(from_logits=True).fusion_spec().kernel.__name__
'SoftmaxCrossEntropy'
>>> losses.SparseCategoricalCrossentropy(ignore_class=0).fusion_spec() is None
True
>>> losses.BinaryCrossentropy().fusion_spec().kernel.__name__
'BinaryCrossEntropy'
>>> losses.MeanSquaredError().fusion_spec().kernel.__name__
'SquaredError'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FUSED", "LossSpec"]


@dataclass(frozen=True)
class LossSpec:
    """A loss as one engine primitive of ``(predictions, target=labels, **options)``.

    Attributes
    ----------
    kernel : type
        A :class:`~descend.autograd.Function` subclass whose ``forward`` returns
        the per-sample losses, shape ``predictions.shape[:-1]``.
    options : dict
        Keyword options of ``forward`` besides ``target``.
    sparse : bool
        The labels are class ids, shape ``(batch,)`` or ``(batch, 1)``; else
        they have the predictions' shape.
    epsilon : bool
        ``forward`` also takes ``eps=descend.config.epsilon()``, read at each
        call as the reference does.
    per_sample_mean : bool
        ``forward`` returns one loss per output value, shape ``predictions.shape``,
        and each sample's loss is their mean over the last axis (Keras's
        elementwise losses: binary cross-entropy, mean squared error). Labels of
        shape ``(batch,)`` then also fit an output of one unit.
    """

    kernel: type
    options: dict = field(default_factory=dict)
    sparse: bool = True
    epsilon: bool = False
    per_sample_mean: bool = False


FUSED: dict[Callable[..., Any], Callable[..., LossSpec | None]] = {}
"""Filled by the loss families: built-in loss function -> ``spec(**kwargs)``, which
describes the function with those keyword arguments or returns None."""
