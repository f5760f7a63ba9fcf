"""What ``compile`` stores: the loss and metrics, resolved once the data shapes are known.

Keras resolves ``"accuracy"`` (and ``"crossentropy"``) from the shapes of the
targets and of the model's output, so the objects are built on the first batch
(:meth:`CompiledLoss.build`, :meth:`CompiledMetrics.build`). A model with several
outputs gets one loss per output (weighted by ``loss_weights``) and metrics
prefixed with the output's name. When more than one output has a loss, each
output's unweighted loss is also tracked as ``"<output>_loss"`` (Keras 3 logs these
next to the total ``"loss"``: ``History`` keys ``score_loss``, ``val_score_loss``, ...).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend import losses as losses_module
from descend import metrics as metrics_module
from descend.autograd import Tensor
from descend.layers._masks import get_mask
from descend.metrics.metric import masked_sample_weight, result_value


def _per_output(spec: Any, names: list[str], what: str) -> list[Any]:
    """Spread a loss/metric specification over the outputs."""
    n = len(names)
    if isinstance(spec, dict):
        unknown = set(spec) - set(names)
        if unknown:
            raise ValueError(
                f"compile: `{what}` names outputs {sorted(unknown)} but the model's outputs are "
                f"{names}."
            )
        return [spec.get(name) for name in names]
    if isinstance(spec, (list, tuple)) and n > 1 and what == "loss":
        if len(spec) != n:
            raise ValueError(
                f"compile: `loss` must have one entry per output ({n}), received {len(spec)}."
            )
        return list(spec)
    return [spec] * n


class CompiledLoss:
    """The training objective: per-output losses, weighted and summed."""

    def __init__(self, loss: Any, loss_weights: Any = None) -> None:
        self.spec = loss
        self.loss_weights = loss_weights
        self.losses: list[Any] = []
        self.weights: list[float] = []
        self.trackers: list[Any] = []  # one Mean per output with a loss, when several
        self.built = False

    def build(self, ys: list[np.ndarray], output_shapes: list[tuple], names: list[str]) -> None:
        """Resolve each output's loss from the shapes, and validate the label layouts."""
        if len(ys) != len(output_shapes):
            raise ValueError(
                f"The model has {len(output_shapes)} output(s) ({names}) but {len(ys)} target "
                "array(s) were given. Pass one y per output, as a list."
            )
        specs = _per_output(self.spec, names, "loss")
        self.losses = []
        for y, shape, spec in zip(ys, output_shapes, specs, strict=True):
            if spec is None:
                self.losses.append(None)
                continue
            loss = losses_module.resolve(spec, y.shape, shape)
            validate = getattr(loss, "validate", None)
            if validate is not None:
                validate(y, tuple(shape))
            self.losses.append(loss)
        if all(loss is None for loss in self.losses):
            raise ValueError("No loss to compute. Provide a `loss` argument in `compile()`.")
        lw = self.loss_weights
        if lw is None:
            self.weights = [1.0] * len(names)
        elif isinstance(lw, dict):
            self.weights = [float(lw.get(name, 1.0)) for name in names]
        else:
            lw = list(lw) if isinstance(lw, (list, tuple)) else [lw]
            if len(lw) != len(names):
                raise ValueError(f"compile: `loss_weights` must have {len(names)} entries, "
                                 f"received {len(lw)}.")
            self.weights = [float(w) for w in lw]
        with_loss = sum(loss is not None for loss in self.losses)
        self.trackers = [
            metrics_module.Mean(name=f"{name}_loss") if loss is not None and with_loss > 1
            else None
            for loss, name in zip(self.losses, names, strict=True)
        ]
        self.built = True

    def __call__(self, ys: list[Any], outputs: list[Tensor],
                 sample_weight: np.ndarray | None = None) -> Tensor:
        total = None
        trackers = self.trackers or [None] * len(self.losses)
        for loss, weight, tracker, y, out in zip(self.losses, self.weights, trackers, ys,
                                                 outputs, strict=True):
            if loss is None:
                continue
            value = loss(y, out, sample_weight=sample_weight)
            if tracker is not None:  # Keras logs each output's loss before its weight
                tracker.update_state(float(value.data), sample_weight=len(y))
            if weight != 1.0:
                value = value * weight
            total = value if total is None else total + value
        return total

    @property
    def metrics(self) -> list[Any]:
        """The per-output loss trackers (``"<output>_loss"``), in output order."""
        return [t for t in self.trackers if t is not None]

    def reset(self) -> None:
        """Start a new epoch (or evaluation): forget the per-output loss values."""
        for tracker in self.metrics:
            tracker.reset_state()

    def results(self) -> dict[str, float]:
        """Mean unweighted loss of each output since the last :meth:`reset`, keyed
        ``"<output>_loss"``; empty when at most one output has a loss."""
        return {tracker.name: float(tracker.result()) for tracker in self.metrics}


def output_masks(outputs: list[Any]) -> list[np.ndarray | None] | None:
    """The mask that travels with each output tensor, or None when no output has one."""
    masks = [get_mask(o) for o in outputs]
    masks = [None if isinstance(m, list) else m for m in masks]
    return masks if any(m is not None for m in masks) else None


class CompiledMetrics:
    """Metrics per output, resolved from the data shapes on the first batch."""

    def __init__(self, metrics: Any, weighted_metrics: Any = None) -> None:
        self.spec = metrics
        self.weighted_spec = weighted_metrics
        self.entries: list[tuple[int, Any, bool]] = []  # (output index, metric, weighted)
        self.built = False

    def build(self, ys: list[np.ndarray], output_shapes: list[tuple], names: list[str]) -> None:
        """Create the metric objects (names as the user wrote them)."""
        self.entries = []
        for weighted, spec in ((False, self.spec), (True, self.weighted_spec)):
            if spec is None:
                continue
            if isinstance(spec, dict):
                per_output = _per_output(spec, names, "metrics")
            elif isinstance(spec, (list, tuple)) and len(names) > 1 and spec and \
                    isinstance(spec[0], (list, tuple)):
                per_output = list(spec)
            else:
                per_output = [spec] * len(names)
            for index, items in enumerate(per_output):
                if items is None:
                    continue
                for item in items if isinstance(items, (list, tuple)) else [items]:
                    metric = metrics_module.resolve(item, ys[index].shape, output_shapes[index])
                    if len(names) > 1:
                        metric.name = f"{names[index]}_{metric.name}"
                    if weighted and metric.name in {m.name for _, m, _ in self.entries}:
                        metric.name = f"weighted_{metric.name}"
                    self.entries.append((index, metric, weighted))
        self.built = True

    @property
    def metrics(self) -> list[Any]:
        """The metric objects, in compile order."""
        return [m for _, m, _ in self.entries]

    def update(self, ys: list[np.ndarray], outputs: list[np.ndarray],
               sample_weight: np.ndarray | None = None,
               masks: list[np.ndarray | None] | None = None) -> None:
        """Accumulate one batch.

        ``masks`` holds the mask that travelled with each output (or None): as in
        Keras, metrics that average per-entry values (:class:`MeanMetricWrapper`,
        e.g. the accuracies) leave masked entries out, weighted or not.
        """
        for index, metric, weighted in self.entries:
            sw = sample_weight if weighted else None
            mask = None if masks is None else masks[index]
            if mask is not None and isinstance(metric, metrics_module.MeanMetricWrapper):
                sw = masked_sample_weight(sw, mask)
            metric.update_state(ys[index], outputs[index], sample_weight=sw)

    def reset(self) -> None:
        """Start a new epoch."""
        for _, metric, _ in self.entries:
            metric.reset_state()

    def results(self) -> dict[str, float]:
        """Current value of each metric, keyed by name.

        A metric whose ``result()`` is a dict contributes its keys instead (as in
        Keras); Tensors, Variables and NumPy scalars become floats.
        """
        out: dict[str, float] = {}
        for _, metric, _ in self.entries:
            value = result_value(metric.result(), metric.name)
            if isinstance(value, dict):
                out.update(value)
            else:
                out[metric.name] = value
        return out
