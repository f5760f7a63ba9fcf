"""One training step, shown in numbers: ``descend.explain.step(model, x, y)``.

The course explains learning through one weight: its gradient, then ``new weight =
old weight - learning rate * gradient``. :func:`step` shows exactly that for a
whole network. It runs **the train step of** ``fit`` itself (the function
``model.make_train_function()`` returns: forward pass, loss, ``backward``, one
optimizer update) on one batch and, listening in on it, prints layer by layer:

1. the forward pass: the weighted sums ``z = x . W + b`` of each dense layer and
   its activations ``a = activation(z)``;
2. the loss, with its formula and the loss of each sample;
3. the backward pass: ``dLoss/d output`` and ``dLoss/dW``, ``dLoss/db`` of every
   layer, as ``backward`` left them for the optimizer;
4. the update: each weight before and after, with the optimizer's rule and its
   arithmetic on a few entries (SGD, momentum, Adam with ``m``, ``v``, the bias
   correction and Keras's epsilon placement, read from the optimizer's state).
   The rule is also recomputed in float64 and compared with what the
   optimizer did.

Small arrays are printed whole; larger ones as shape, norm and a few entries.
Because the numbers come from ``fit``'s own step, the model is updated exactly
as one ``train_on_batch`` would update it (``apply=False`` puts the weights and
the optimizer state back afterwards). The loss tracker and metrics accumulate as
with ``train_on_batch``.

Examples
--------
>>> import numpy as np
>>> import descend
>>> from descend.layers import Dense
>>> from descend.optimizers import SGD
>>> model = descend.Sequential([Dense(1, input_shape=(1,), name="neuron")])
>>> model.set_weights([np.array([[0.5]]), np.array([0.0])])
>>> model.compile(optimizer=SGD(learning_rate=0.1), loss="mse")
>>> record = step(model, np.array([[1.0]]), np.array([[2.0]]), print_fn=None)
>>> record.loss  # (0.5 * 1 - 2)^2
2.25
>>> print(record.layers[0].weights[0].explanation.entry((0, 0)))
w = 0.5 - 0.1 * (-3) = 0.8
>>> model.get_weights()[0]
array([[0.8]], dtype=float32)
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from descend.autograd import Tensor, enable_grad
from descend.explain.formatting import index_text, num, operand, sample_indices, show
from descend.explain.loss_formulas import loss_formula, loss_function_name
from descend.explain.probe import prepare_batch, require_compiled
from descend.explain.taps import activation_name, tap_layers
from descend.explain.update_rules import UpdateExplanation, explain_update, slots_of
from descend.layers._masks import get_mask, set_mask
from descend.models.trainer import _flatten_outputs

__all__ = ["LayerStep", "StepRecord", "WeightStep", "explain_seed", "step"]


@dataclass
class WeightStep:
    """One weight through one step.

    Attributes
    ----------
    name : str
        The weight's path, e.g. ``"dense/kernel"``.
    before, after : ndarray
        Its value before and after the optimizer's update (``after`` is what
        the optimizer really wrote).
    gradient : ndarray
        ``dLoss/dw``, as ``backward`` left it for the optimizer.
    state_before, state_after : dict of str to ndarray
        The optimizer's state for this weight (Adam: ``momentum`` = m and
        ``velocity`` = v) before and after.
    explanation : UpdateExplanation
        The rule, its float64 result (``explanation.after``) and the arithmetic
        per entry (``explanation.entry(index)``).
    """

    name: str
    before: np.ndarray
    gradient: np.ndarray
    after: np.ndarray
    state_before: dict[str, np.ndarray]
    state_after: dict[str, np.ndarray]
    explanation: UpdateExplanation

    @property
    def short_name(self) -> str:
        """The last part of the path (``"kernel"``, ``"bias"``)."""
        return self.name.rsplit("/", 1)[-1]


@dataclass
class LayerStep:
    """What one layer did during the step.

    Attributes
    ----------
    name, class_name : str
    activation : str or None
        The activation's name (``"relu"``...), None for layers without one.
    inputs : ndarray
        What the layer received.
    weighted_sums : ndarray or None
        ``z = inputs . kernel + bias`` for dense layers (before the activation).
    outputs : ndarray
        What the layer returned (the activations).
    weights : list of WeightStep
    """

    name: str
    class_name: str
    activation: str | None
    inputs: Any
    weighted_sums: np.ndarray | None
    outputs: np.ndarray
    weights: list[WeightStep] = field(default_factory=list)

    def weight(self, short_name: str) -> WeightStep:
        """The :class:`WeightStep` named ``short_name`` (``"kernel"``, ``"bias"``)."""
        for w in self.weights:
            if w.short_name == short_name or w.name == short_name:
                return w
        raise KeyError(f"layer '{self.name}' has no trainable weight named {short_name!r}; it "
                       f"has {[w.short_name for w in self.weights]}.")


@dataclass
class StepRecord:
    """Every number of one training step (returned by :func:`step`).

    Attributes
    ----------
    inputs, targets : list of ndarray
        The batch, one array per model input / output.
    outputs : list of ndarray
        The model's outputs in the forward pass.
    loss : float
        The value the train step minimised (what ``train_on_batch`` reports for
        one batch), penalties included.
    sample_losses : ndarray or None
        The loss of each sample (single-output models).
    loss_name, loss_formula : str
    output_gradients : list of ndarray
        ``dLoss/d output`` for each output.
    layers : list of LayerStep
        In forward order.
    optimizer : str
    learning_rate : float
    iteration : int
        ``t``, the number of this update (1 for the first).
    applied : bool
        False when ``apply=False`` restored the model afterwards.
    text : str
        The printed explanation.
    output_masks : list of (ndarray of bool or None)
        The mask each output carried (``Embedding(mask_zero=True)`` ... with
        ``return_sequences``): masked steps count 0 in the loss, the sample
        losses and ``dLoss/d output``.
    """

    inputs: list[np.ndarray]
    targets: list[np.ndarray]
    outputs: list[np.ndarray]
    loss: float
    sample_losses: np.ndarray | None
    loss_name: str
    loss_formula: str
    output_gradients: list[np.ndarray]
    layers: list[LayerStep]
    optimizer: str
    learning_rate: float
    iteration: int
    applied: bool
    text: str = ""
    output_masks: list[Any] = field(default_factory=list)

    def layer(self, name: str) -> LayerStep:
        """The :class:`LayerStep` of the layer called ``name``."""
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(f"no layer named {name!r} in this step; layers: "
                       f"{[layer.name for layer in self.layers]}.")

    def __str__(self) -> str:
        return self.text


# --------------------------------------------------------------------------- running the step
def _owners(model: Any) -> dict[int, Any]:
    owners: dict[int, Any] = {}
    for layer in getattr(model, "layers", []):
        for w in layer.trainable_weights:
            owners.setdefault(id(w), layer)
    return owners


def _run_train_step(model: Any, xs: list[np.ndarray], ys: list[np.ndarray],
                    sw: Any) -> tuple[list[np.ndarray], list[np.ndarray], float, list[Any]]:
    """Run ``fit``'s train step once, capturing outputs, gradients, loss and layer calls."""
    optimizer, tracker = model.optimizer, model._loss_tracker
    weights = list(model.trainable_weights)
    captured: dict[str, Any] = {}
    optimizer_step, track = optimizer.step, tracker.update_state

    def capture_outputs(layer: Any, inputs: Any, outputs: Any) -> None:
        flat = _flatten_outputs(outputs)
        captured["outputs"] = [np.array(o.data, copy=True) for o in flat]
        captured["masks"] = [get_mask(o) for o in flat]

    def capture_gradients(*args: Any, **kwargs: Any) -> Any:
        captured["gradients"] = [np.zeros_like(w.data) if w.grad is None
                                 else np.array(w.grad, copy=True) for w in weights]
        return optimizer_step(*args, **kwargs)

    def capture_loss(value: Any, *args: Any, **kwargs: Any) -> Any:
        captured["loss"] = float(value)
        return track(value, *args, **kwargs)

    optimizer.step, tracker.update_state = capture_gradients, capture_loss
    try:
        with model.register_forward_hook(capture_outputs), \
                tap_layers(list(getattr(model, "layers", []))) as calls:
            train_step = model.make_train_function()
            train_step(xs, ys, sw)
    finally:
        del optimizer.step, tracker.update_state
    return captured["outputs"], captured["gradients"], captured["loss"], list(calls), \
        captured["masks"]


def _with_masks(tensors: list[Tensor], masks: list[Any] | None) -> list[Tensor]:
    """Attach the masks the model's outputs carried (masked steps count 0 in the loss)."""
    for tensor, mask in zip(tensors, masks or [], strict=False):
        if mask is not None and not isinstance(mask, list):
            set_mask(tensor, mask)
    return tensors


def _output_gradients(model: Any, ys: list[np.ndarray], outputs: list[np.ndarray],
                      sw: Any, masks: list[Any] | None = None) -> list[np.ndarray]:
    leaves = _with_masks([Tensor(np.array(o, copy=True), requires_grad=True)
                          for o in outputs], masks)
    with enable_grad():
        loss = model.compiled_loss(ys, leaves, sw)
    loss.backward()
    return [np.zeros_like(t.data) if t.grad is None else t.grad for t in leaves]


def _sample_losses(model: Any, ys: list[np.ndarray], outputs: list[np.ndarray],
                   masks: list[Any] | None = None) -> np.ndarray | None:
    losses = [loss for loss in model.compiled_loss.losses if loss is not None]
    if len(outputs) != 1 or len(losses) != 1 or not hasattr(losses[0], "reduction"):
        return None
    per_sample = copy.copy(losses[0])
    per_sample.reduction = "none"
    try:
        values = per_sample(ys[0], _with_masks([Tensor(outputs[0])], masks)[0])
    except Exception:  # noqa: BLE001 - a custom loss may not support it; just skip the column
        return None
    return np.asarray(values.data, dtype=np.float64)


def step(model: Any, x: Any, y: Any, sample_weight: Any = None, *, max_entries: int = 6,
         apply: bool = True, print_fn: Callable[[str], Any] | None = print) -> StepRecord:
    """Run one training step on ``(x, y)`` and explain every number of it.

    Parameters
    ----------
    model : Model
        A compiled model.
    x : ndarray, shape (batch, ...)
        A small batch of inputs (a few samples keep the printout readable).
    y : ndarray, shape (batch, ...)
        Its targets.
    sample_weight : ndarray, shape (batch,), optional
    max_entries : int, default 6
        Arrays with more entries are summarised (shape, norm, mean, the first
        ``max_entries`` entries); the update of the first ``ceil(max_entries /
        2)`` entries of each weight is written out with its numbers.
    apply : bool, default True
        Keep the update (like ``train_on_batch``). False restores the weights
        and the optimizer state afterwards.
    print_fn : callable or None, default print
        Receives the whole explanation as one string; None prints nothing.

    Returns
    -------
    StepRecord
        All the numbers (see :class:`StepRecord`); ``record.text`` is the printout.

    Raises
    ------
    ValueError
        If the model is not compiled, or ``max_entries`` is not a positive int.
    """
    if isinstance(max_entries, bool) or not isinstance(max_entries, (int, np.integer)) \
            or max_entries < 1:
        raise ValueError(f"step: `max_entries` must be a positive int, received {max_entries!r}.")
    require_compiled(model, "step")
    xs, ys, sw = prepare_batch(model, x, y, sample_weight, training=True)
    optimizer = model.optimizer
    weights = list(model.trainable_weights)
    before = [np.array(w.data, copy=True) for w in weights]
    slots_before = [slots_of(optimizer, w) for w in weights]
    state_before = optimizer.get_state()
    learning_rate, iteration = float(optimizer.learning_rate), int(optimizer.iterations) + 1

    outputs, gradients, loss, calls, masks = _run_train_step(model, xs, ys, sw)

    after = [np.array(w.data, copy=True) for w in weights]
    slots_after = [slots_of(optimizer, w) for w in weights]
    scale = getattr(optimizer, "loss_scale_factor", None) or 1.0
    global_norm = float(np.sqrt(sum(np.sum((g.astype(np.float64) / scale) ** 2)
                                    for g in gradients)))
    steps: dict[int, WeightStep] = {}
    for i, w in enumerate(weights):
        explanation = explain_update(optimizer, w, before[i], gradients[i], slots_before[i],
                                     learning_rate=learning_rate, step=iteration,
                                     global_norm=global_norm)
        steps[id(w)] = WeightStep(getattr(w, "path", f"weight_{i}"), before[i], gradients[i],
                                  after[i], slots_before[i], slots_after[i], explanation)
    values_before = {id(w): b for w, b in zip(weights, before, strict=True)}
    layers = []
    seen: set[int] = set()
    for call in calls:
        layer = call.layer
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        z = None
        kernel, bias = getattr(layer, "kernel", None), getattr(layer, "bias", None)
        if kernel is not None and type(layer).__name__ == "Dense" and id(kernel) in values_before:
            z = np.matmul(call.inputs, values_before[id(kernel)])
            if bias is not None and id(bias) in values_before:
                z = z + values_before[id(bias)]
        layers.append(LayerStep(
            layer.name, type(layer).__name__, activation_name(layer), call.inputs, z,
            call.outputs, [steps[id(w)] for w in layer.trainable_weights if id(w) in steps]))
    losses = [item for item in model.compiled_loss.losses if item is not None]
    record = StepRecord(
        inputs=xs, targets=ys, outputs=outputs, loss=loss,
        sample_losses=_sample_losses(model, ys, outputs, masks),
        loss_name=" + ".join(loss_function_name(item) for item in losses),
        loss_formula="; ".join(loss_formula(item) for item in losses),
        output_gradients=_output_gradients(model, ys, outputs, sw, masks),
        layers=layers, optimizer=type(optimizer).__name__, learning_rate=learning_rate,
        iteration=iteration, applied=apply, output_masks=list(masks),
    )
    if not apply:
        for w, value in zip(weights, before, strict=True):
            w.assign(value)
        optimizer.set_state(state_before)
    record.text = format_step(record, model, max_entries)
    if print_fn is not None:
        print_fn(record.text)
    return record


# ----------------------------------------------------------------------------- the printout
def _symbol(weight: WeightStep) -> str:
    return {"kernel": "W", "bias": "b"}.get(weight.short_name, weight.short_name)


def _rule_lines(rule: str, indent: str) -> list[str]:
    lines = rule.splitlines()
    return [f"{indent}rule: {lines[0]}"] + [f"{indent}      {line}" for line in lines[1:]]


def _layer_title(layer: LayerStep) -> str:
    shapes = ""
    if layer.weighted_sums is not None:
        shapes = f", {np.shape(layer.inputs)[-1]} -> {np.shape(layer.outputs)[-1]} units"
    act = f", activation {layer.activation}" if layer.activation else ""
    return f"layer '{layer.name}' ({layer.class_name}{shapes}{act})"


def format_step(record: StepRecord, model: Any, max_entries: int = 6) -> str:
    """The human-readable explanation of ``record`` (what :func:`step` prints)."""
    k = max_entries
    out: list[str] = []

    def put(prefix: str, array: Any) -> None:
        out.append(prefix + show(array, k, " " * len(prefix)))

    batch = len(record.inputs[0])
    out += [
        f"One training step of model '{getattr(model, 'name', 'model')}' on a batch of "
        f"{batch} sample{'s' if batch != 1 else ''}: the train step of fit(), explained.",
        f"Optimizer {record.optimizer}, learning rate {num(record.learning_rate)}, update "
        f"number t = {record.iteration}.",
        "",
        "1. Forward pass: each layer computes weighted sums of its inputs plus a bias, "
        "z = x . W + b, then its activation a = f(z).",
    ]
    for i, x in enumerate(record.inputs):
        put(f"   input {'x' if len(record.inputs) == 1 else f'x[{i}]'} = ", x)
    for layer in record.layers:
        out.append(f"   {_layer_title(layer)}")
        if layer.weighted_sums is not None:
            put("     weighted sums z = x . W + b = ", layer.weighted_sums)
            put(f"     activations a = {layer.activation or 'linear'}(z) = ", layer.outputs)
        else:
            put("     output = ", layer.outputs)
    out += ["", f"2. Loss: {record.loss_name}", f"   formula: {record.loss_formula}"]
    for i, t in enumerate(record.targets):
        put(f"   labels {'y' if len(record.targets) == 1 else f'y[{i}]'} = ", t)
    for i, mask in enumerate(record.output_masks):
        if mask is not None and not isinstance(mask, list):
            which = "" if len(record.output_masks) == 1 else f" of output {i}"
            out.append(f"   mask{which}: {int(np.count_nonzero(mask))} of {mask.size} steps are "
                       "real; padded steps count 0 and the mean is over the real steps only")
    if record.sample_losses is not None:
        put("   loss of each sample = ", record.sample_losses)
    out.append(f"   loss = {num(record.loss, 8)}")
    out += ["", "3. Backward pass: the chain rule carries dLoss/d(output) back through every "
            "layer, giving the gradient of the loss with respect to each weight."]
    for i, g in enumerate(record.output_gradients):
        put(f"   dLoss/d {'output' if len(record.output_gradients) == 1 else f'output[{i}]'} = ",
            g)
    for layer in reversed(record.layers):
        for w in layer.weights:
            put(f"   layer '{layer.name}': dLoss/d{_symbol(w)} ({w.short_name}) = ", w.gradient)
    out += ["", "4. Update: the optimizer moves every weight against its gradient."]
    rules = {w.explanation.rule for layer in record.layers for w in layer.weights}
    if len(rules) == 1:
        out += _rule_lines(next(iter(rules)), "   ")
    for layer in record.layers:
        for w in layer.weights:
            out.append(f"   layer '{layer.name}' {w.short_name} {_symbol(w)}:")
            if len(rules) > 1:
                out += _rule_lines(w.explanation.rule, "     ")
            put("     before: ", w.before)
            for index in sample_indices(w.before.shape, max(1, (k + 1) // 2)):
                text = w.explanation.entry(index)
                if not text:
                    change = w.after[index] - w.before[index]
                    text = f"w = {num(w.before[index])} + {operand(change)} = {num(w.after[index])}"
                out.append(f"     {_symbol(w)}{index_text(index)}: {text}")
            put("     after:  ", w.after)
            if w.explanation.after is not None:
                out.append(_agreement(w))
    if not record.applied:
        out += ["", "(apply=False: the weights and the optimizer state were put back.)"]
    return "\n".join(out)


def _agreement(w: WeightStep) -> str:
    expected = np.asarray(w.explanation.after)
    if not w.after.size:
        return "     (nothing to compare)"
    with np.errstate(all="ignore"):
        gap = float(np.max(np.abs(expected - w.after)))
        scale = float(np.max(np.abs(w.after)))
    tolerance = (1e-12 if w.after.dtype == np.float64 else 1e-5) * max(scale, 1.0)
    verdict = "agrees with" if gap <= tolerance or not np.isfinite(scale) else "DIFFERS from"
    return (f"     (the rule computed in float64 {verdict} the optimizer's result; largest "
            f"difference {gap:.1e})")


# ------------------------------------------------------------------------ the course's example
def explain_seed(seed: int = 0, batch: int = 4, print_fn: Callable[[str], Any] | None = print
                 ) -> StepRecord:
    """``descend explain``: one training step of the course's network, in numbers.

    Builds the course's network (1 -> 16 relu -> 32 relu -> 2 sigmoid, Adam with
    learning rate 1e-4, sparse categorical cross-entropy), takes the first
    ``batch`` patients of the drug-trial data and explains one step on them.

    Parameters
    ----------
    seed : int, default 0
        Seeds the weights and the data.
    batch : int, default 4
        Samples in the batch.
    print_fn : callable or None, default print

    Returns
    -------
    StepRecord

    Examples
    --------
    >>> record = explain_seed(batch=2, print_fn=None)
    >>> [layer.activation for layer in record.layers], record.optimizer
    (['relu', 'relu', 'sigmoid'], 'Adam')
    """
    from descend.cli import build_seed_model
    from descend.datasets import side_effects
    from descend.utils import set_random_seed

    if isinstance(batch, bool) or not isinstance(batch, (int, np.integer)) or batch < 1:
        raise ValueError(f"explain_seed: `batch` must be a positive int, received {batch!r}.")
    set_random_seed(seed)
    (x, y), _ = side_effects.load_data(seed=seed)
    model = build_seed_model()
    if print_fn is not None:
        print_fn('The example of "How a Neural Network Learns": a network learns whether a '
                 "patient's age predicts a side effect.\nAges are scaled to [0, 1]; label 1 = "
                 "side effect, output = (score of "
                 "'no side effect', score of 'side effect').\n")
    record = step(model, x[:batch], y[:batch], print_fn=print_fn)
    if print_fn is not None:
        steps = -(-len(x) // 10)
        print_fn(f"\nfit(x, y, batch_size=10, epochs=20) repeats this step {steps} times per "
                 f"epoch, {20 * steps} times in all.")
    return record
