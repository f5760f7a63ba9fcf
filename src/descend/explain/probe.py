"""One extra forward and backward pass, off the training path.

The tools of :mod:`descend.explain` look at a model between training steps: the
loss on a batch, the gradient of every weight, the activations of every layer.
:func:`loss_and_gradients` computes them exactly as ``fit``'s train step would
(the compiled loss plus the regularisation penalties, one ``backward``) but
changes nothing: the weights are not updated, the optimizer is not touched, and
every weight's ``grad`` is left as it was found (``None`` between steps), so the
next train step is unaffected. It runs the model in inference mode
(``training=False``) unless asked otherwise, so dropout draws no random numbers
and batch normalisation keeps its statistics.

Examples
--------
>>> import numpy as np
>>> import descend
>>> from descend.layers import Dense
>>> model = descend.Sequential([Dense(1, input_shape=(2,))])
>>> model.compile(optimizer="sgd", loss="mse")
>>> xs, ys, sw = prepare_batch(model, np.ones((3, 2)), np.zeros((3, 1)))
>>> probe = loss_and_gradients(model, xs, ys)
>>> [g.shape for g in probe.gradients]
[(2, 1), (1,)]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from descend.autograd import Tensor, enable_grad, no_grad
from descend.explain.taps import LayerCall, tap_layers

__all__ = ["Probe", "first_non_finite", "loss_and_gradients", "model_loss", "prepare_batch"]


def require_compiled(model: Any, who: str) -> None:
    """Raise a clear error unless ``model`` is a compiled descend model."""
    if not hasattr(model, "compiled_loss") or not hasattr(model, "_forward"):
        raise TypeError(f"{who}: expected a descend Model (e.g. Sequential), received "
                        f"{type(model).__name__}.")
    if model.compiled_loss is None:
        raise ValueError(
            f"{who}: the model must be compiled first (the loss and the optimizer come from "
            "compile), e.g. model.compile(optimizer='sgd', loss='mse')."
        )


def prepare_batch(model: Any, x: Any, y: Any, sample_weight: Any = None,
                  training: bool = False) -> tuple[list[np.ndarray], list[np.ndarray], Any]:
    """Validate ``x``, ``y`` as ``fit`` does and get the model ready for them.

    Builds the model, resolves the compiled loss and metrics from the shapes and,
    with ``training=True``, builds the optimizer on the trainable weights.

    Parameters
    ----------
    model : Model
        A compiled model.
    x, y : array_like
        Inputs ``(samples, ...)`` and targets ``(samples, ...)``.
    sample_weight : array_like, shape (samples,), optional
    training : bool, default False

    Returns
    -------
    (xs, ys, sample_weight)
        Lists of arrays (one per input / output) and the weights or None.
    """
    from descend.models import data_adapter as data

    require_compiled(model, "prepare_batch")
    xs, ys = data.prepare_inputs(x), data.prepare_targets(y)
    n = data.check_lengths(xs, ys)
    sw = None if sample_weight is None else data.prepare_sample_weight(sample_weight, n)
    model._prepare(xs, ys, training=training)
    return xs, ys, sw


@dataclass
class Probe:
    """What one forward and backward pass saw.

    Attributes
    ----------
    loss : float
        The training objective: compiled loss plus regularisation penalties.
    gradients : list of ndarray
        ``d loss / d w`` for each of ``model.trainable_weights``, same order
        and shapes (zeros for a weight the loss does not depend on).
    outputs : list of ndarray
        The model's outputs.
    calls : list of LayerCall
        Inputs and outputs of each top-level layer, in call order.
    """

    loss: float
    gradients: list[np.ndarray]
    outputs: list[np.ndarray]
    calls: list[LayerCall] = field(default_factory=list)


def model_loss(model: Any, xs: list[np.ndarray], ys: list[np.ndarray], sw: Any = None,
               training: bool = False) -> float:
    """The training objective on one batch, without recording a graph.

    Parameters
    ----------
    model : Model
        Compiled and prepared for data like ``xs`` (see :func:`prepare_batch`).
    xs, ys : list of ndarray
    sw : ndarray, optional
    training : bool, default False

    Returns
    -------
    float
    """
    with no_grad():
        outputs = model._forward(xs, training)
        loss = model.compiled_loss(ys, outputs, sw)
        for penalty in model.losses:
            loss = loss + penalty
    return float(loss.data)


def loss_and_gradients(model: Any, xs: list[np.ndarray], ys: list[np.ndarray], sw: Any = None,
                       training: bool = False, tap: bool = True) -> Probe:
    """Loss, gradients and layer activations on one batch, changing nothing.

    Parameters
    ----------
    model : Model
        Compiled and prepared for data like ``xs`` (see :func:`prepare_batch`).
    xs, ys : list of ndarray
        Inputs and targets.
    sw : ndarray, optional
        Sample weights.
    training : bool, default False
        Run layers in training mode (dropout active...).
    tap : bool, default True
        Record each top-level layer's inputs and outputs.

    Returns
    -------
    Probe
    """
    weights = list(model.trainable_weights)
    found = [w.grad for w in weights]
    for w in weights:
        w.grad = None
    layers = list(getattr(model, "layers", [])) if tap else []
    try:
        with enable_grad(), tap_layers(layers) as calls:
            outputs = model._forward(xs, training)
            loss = model.compiled_loss(ys, outputs, sw)
            for penalty in model.losses:
                loss = loss + penalty
        if loss.requires_grad:
            loss.backward()
        gradients = [np.zeros_like(w.data) if w.grad is None else np.array(w.grad, copy=True)
                     for w in weights]
    finally:
        for w, grad in zip(weights, found, strict=True):
            w.grad = grad
    return Probe(float(loss.data), gradients, [np.array(o.data) for o in outputs], list(calls))


def first_non_finite(model: Any, xs: list[np.ndarray] | None) -> tuple[Any, str] | None:
    """Find where NaN or infinity first enters the forward pass.

    Looks at each top-level layer in order: first its weights, then (when data
    is given) its output on ``xs``.

    Parameters
    ----------
    model : Model
    xs : list of ndarray or None
        A batch to run forward (inference mode); None checks weights only.

    Returns
    -------
    (layer, what) or None
        The first culprit and ``"weights"`` or ``"output"``; None when all is finite.
    """
    layers = list(getattr(model, "layers", []))
    outputs: dict[int, np.ndarray] = {}
    if xs is not None:
        with no_grad(), tap_layers(layers) as calls, np.errstate(all="ignore"):
            model._forward(xs, False)
        for call in calls:
            outputs.setdefault(id(call.layer), call.outputs)
    for layer in layers:
        if any(not np.all(np.isfinite(w.data)) for w in layer.weights):
            return layer, "weights"
        out = outputs.get(id(layer))
        if out is not None and not np.all(np.isfinite(out)):
            return layer, "output"
    return None


def as_tensor_list(arrays: list[np.ndarray]) -> list[Tensor]:
    """Wrap arrays as leaf tensors that require grad (to differentiate with respect to them)."""
    return [Tensor(np.array(a, copy=True), requires_grad=True) for a in arrays]
