"""One step of training, evaluation and prediction: what ``fit`` does with each batch.

``fit``, ``evaluate`` and ``predict`` loop over mini-batches
(:mod:`descend.models.training`) and hand each batch to a step function.
By default that is descend's own step (forward pass, loss, ``backward``,
optimizer step, metrics), built once per loop by :meth:`Trainer.make_train_function`.

As in Keras, a ``Model`` subclass may instead override

* ``train_step(data)`` — ``data`` is the batch packed as ``x``, ``(x, y)`` or
  ``(x, y, sample_weight)``; it computes the loss, backpropagates
  (``loss.backward()``), applies the gradients
  (``self.optimizer.apply(grads, variables)``) and returns the logs, a dict
  of metric values;
* ``test_step(data)``, the same without the update;
* ``predict_step(data)``, returning the outputs for one batch;

using the helpers Keras provides: :meth:`Trainer.compute_loss` (the compiled
loss plus every ``add_loss`` and regularizer penalty),
:meth:`Trainer.compute_metrics` and :attr:`metrics`.

Examples
--------
>>> import numpy as np
>>> import descend
>>> from descend import layers
>>> class Regressor(descend.Model):
...     def __init__(self):
...         super().__init__()
...         self.dense = layers.Dense(1)
...     def call(self, x):
...         return self.dense(x)
...     def train_step(self, data):
...         x, y = data
...         y_pred = self(x, training=True)
...         loss = self.compute_loss(x=x, y=y, y_pred=y_pred)
...         self.zero_grad()
...         loss.backward()
...         weights = self.trainable_weights
...         self.optimizer.apply([w.grad for w in weights], weights)
...         return {"loss": loss}
>>> model = Regressor()
>>> model.compile(optimizer="sgd", loss="mse")
>>> x = np.ones((8, 3), "float32")
>>> history = model.fit(x, np.zeros((8, 1)), epochs=2, verbose=0)
>>> len(history.history["loss"])
2
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from descend import losses as losses_module
from descend import metrics as metrics_module
from descend import optimizers as optimizers_module
from descend.autograd import Tensor, no_grad
from descend.layers import call_context
from descend.models import data_adapter as data
from descend.models import tracing
from descend.models.compile_utils import CompiledLoss, CompiledMetrics, output_masks
from descend.utils.data_utils import pack_x_y_sample_weight, unpack_x_y_sample_weight


def _overrides(model: Any, name: str) -> bool:
    """Whether ``model``'s class replaces ``Trainer.<name>``."""
    return getattr(type(model), name) is not getattr(Trainer, name)


def _flatten_outputs(out: Any) -> list[Any]:
    if isinstance(out, dict):
        return [out[k] for k in sorted(out)]
    if isinstance(out, (list, tuple)):
        return list(out)
    return [out]


def _as_number(value: Any) -> Any:
    if isinstance(value, Tensor):
        value = value.data
    arr = np.asarray(value)
    return float(arr) if arr.size == 1 else arr


def pythonify_logs(logs: Any) -> dict[str, Any]:
    """Logs as ``{name: float}``: tensors and arrays become numbers, nested dicts are merged.

    Parameters
    ----------
    logs : dict or None

    Returns
    -------
    dict
    """
    out: dict[str, Any] = {}
    if logs is None:
        return out
    if not isinstance(logs, dict):
        raise TypeError(
            f"train_step/test_step must return a dict of metric values (or None), received "
            f"{type(logs).__name__}. Return e.g. {{'loss': loss}}."
        )
    for key, value in logs.items():
        if isinstance(value, dict):
            out.update(pythonify_logs(value))
        else:
            out[key] = _as_number(value)
    return out


def _arrays(value: Any) -> list[np.ndarray]:
    return [np.asarray(v.data if isinstance(v, Tensor) else v) for v in _flatten_outputs(value)]


def _structure(arrays: list[np.ndarray]) -> Any:
    return arrays[0] if len(arrays) == 1 else list(arrays)


def _check_identifiers(spec: Any, getter: Any, deferred: set[str]) -> None:
    """Resolve every identifier now, so that a typo or a wrong type fails in ``compile``.

    ``getter`` (``losses.get`` / ``metrics.get``) raises ``ValueError`` for an
    unknown name and ``TypeError`` for what is neither a name, a config, an
    object of the right class nor a callable (``loss=123``).
    """
    if spec is None:
        return
    items = spec.values() if isinstance(spec, dict) else (
        spec if isinstance(spec, (list, tuple)) else [spec])
    for item in items:
        if isinstance(item, (list, tuple, dict)):
            _check_identifiers(item, getter, deferred)
        elif not (isinstance(item, str) and item.lower() in deferred):
            getter(item)


class Trainer:
    """The step-level API of :class:`~descend.models.Model` (see the module docstring)."""

    # --------------------------------------------------------------- compile
    def compile(
        self,
        optimizer: Any = "rmsprop",
        loss: Any = None,
        loss_weights: Any = None,
        metrics: Any = None,
        weighted_metrics: Any = None,
        run_eagerly: bool = False,
        steps_per_execution: int = 1,
        jit_compile: Any = "auto",
        auto_scale_loss: bool = True,
    ) -> None:
        """Choose how the model learns: the optimizer, the loss and the metrics to report.

        Parameters
        ----------
        optimizer : str or Optimizer, default "rmsprop"
            E.g. ``"adam"`` or ``descend.optimizers.Adam(learning_rate=1e-4)``.
        loss : str, Loss or callable
            E.g. ``"sparse_categorical_crossentropy"``; one per output for
            several outputs (list or dict).
        loss_weights : list or dict of float, optional
            Weights of the outputs' losses in the total.
        metrics : list, optional
            E.g. ``["accuracy"]``; ``"accuracy"`` is resolved from the shapes
            as Keras does. They ignore sample weights.
        weighted_metrics : list, optional
            Metrics that use ``sample_weight`` / ``class_weight``.
        run_eagerly, steps_per_execution, jit_compile, auto_scale_loss
            Accepted for Keras compatibility; descend always runs eagerly.
        """
        # Everything is checked before anything is changed: a failed compile leaves the
        # model as it was (its optimizer and its state, loss and metrics).
        new_optimizer = optimizers_module.get(optimizer)
        for name, value in (("metrics", metrics), ("weighted_metrics", weighted_metrics)):
            if value is not None and not isinstance(value, (list, tuple, dict)):
                raise TypeError(
                    f"compile: `{name}` must be a list (or a dict per output), received "
                    f"{value!r}. Write {name}=[{value!r}]."
                )
        _check_identifiers(loss, losses_module.get, {"crossentropy", "ce"})
        data.check_loss_weights(loss_weights)
        _check_identifiers(metrics, metrics_module.get, {"accuracy", "acc", "crossentropy", "ce"})
        _check_identifiers(weighted_metrics, metrics_module.get,
                           {"accuracy", "acc", "crossentropy", "ce"})
        self.optimizer = new_optimizer
        # no loss is allowed (Keras): a model may train on its add_loss() terms
        # alone, or compute its loss in its own train_step
        self.compiled_loss = None if loss is None else CompiledLoss(loss, loss_weights)
        self.compiled_metrics = CompiledMetrics(metrics, weighted_metrics)
        self._is_compiled = True
        self.__dict__.pop("_plan", None)  # the execution plan is made again on first use
        self._compiled_for: tuple | None = None
        self._compile_config = {
            "optimizer": optimizer, "loss": loss, "loss_weights": loss_weights,
            "metrics": metrics, "weighted_metrics": weighted_metrics,
        }

    @property
    def compiled(self) -> bool:
        """Whether :meth:`compile` has been called."""
        return bool(getattr(self, "_is_compiled", False))

    def _assert_compiled(self) -> None:
        if not self.compiled:
            raise ValueError(
                "You must call `compile()` before using the model. For example: "
                "model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', "
                "metrics=['accuracy'])."
            )


    # ----------------------------------------------------------- Keras helpers
    def compute_loss(self, x: Any = None, y: Any = None, y_pred: Any = None,
                     sample_weight: Any = None, training: bool = True) -> Tensor:
        """The total loss of one batch: the compiled loss plus every added loss.

        Parameters
        ----------
        x : array or list of arrays, optional
            The inputs (unused by the default; subclasses may use them).
        y : array, list or dict of arrays, optional
            The targets; without them the compiled loss is left out.
        y_pred : Tensor or list of Tensors
            The model's outputs for ``x``.
        sample_weight : array, shape (batch,), optional
        training : bool, default True

        Returns
        -------
        Tensor
            A scalar; ``backward()`` on it backpropagates through the model.
        """
        total = None
        if self.compiled_loss is not None and y is not None and y_pred is not None:
            outputs = [o if isinstance(o, Tensor) else Tensor(np.asarray(o))
                       for o in _flatten_outputs(y_pred)]
            ys = _arrays(y)
            if not getattr(self, "_compiled_for", None):
                self._build_compiled(ys, outputs)
            sw = None if sample_weight is None else np.asarray(
                sample_weight.data if isinstance(sample_weight, Tensor) else sample_weight)
            total = self.compiled_loss(ys, outputs, sw)
        for penalty in self.losses:
            total = penalty if total is None else total + penalty
        if total is None:
            total = Tensor(np.zeros((), self.dtype))
        return total

    def compute_metrics(self, x: Any, y: Any, y_pred: Any,
                        sample_weight: Any = None) -> dict[str, float]:
        """Update the compiled metrics with one batch and return every metric's value.

        Parameters
        ----------
        x : array or list of arrays
        y : array, list or dict of arrays
        y_pred : Tensor or list of Tensors
        sample_weight : array, optional

        Returns
        -------
        dict
            :meth:`get_metrics_result`.
        """
        if self.compiled_metrics is not None and y is not None:
            outputs = _arrays(y_pred)  # the masks are read from y_pred's tensors below
            ys = _arrays(y)
            if not self.compiled_metrics.built:
                self._build_compiled(ys, outputs)
            sw = None if sample_weight is None else np.asarray(sample_weight)
            self.compiled_metrics.update(ys, outputs, sw, output_masks(_flatten_outputs(y_pred)))
        return self.get_metrics_result()

    def _build_compiled(self, ys: list[np.ndarray], outputs: list[Any]) -> None:
        shapes = [(None, *np.shape(o)[1:]) for o in outputs]
        names = self.output_names
        if self.compiled_loss is not None:
            self.compiled_loss.build(ys, shapes, names)
        if self.compiled_metrics is not None:
            self.compiled_metrics.build(ys, shapes, names)
        self._compiled_for = (tuple(y.shape[1:] for y in ys), tuple(shapes))

    def zero_grad(self) -> None:
        """Forget the gradients of every weight (before a new ``backward``)."""
        for weight in self.weights:
            weight.grad = None

    # ------------------------------------------------------ Keras's step API
    def train_step(self, data: Any) -> dict[str, Any]:
        """One step of gradient descent on one batch (Keras's default ``train_step``).

        Parameters
        ----------
        data : object
            ``x``, ``(x, y)`` or ``(x, y, sample_weight)``.

        Returns
        -------
        dict
            The metrics' values after the step (``loss`` first).
        """
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self(x, training=True)
        loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight)
        batch = len(_arrays(x)[0])
        self._loss_tracker.update_state(float(loss.data), sample_weight=batch)
        weights = self.trainable_weights
        if weights:
            self.zero_grad()
            loss.backward()
            self.optimizer.apply([w.grad for w in weights], weights)
        else:
            warnings.warn("The model does not have any trainable weights.", stacklevel=2)
        return self.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    def test_step(self, data: Any) -> dict[str, Any]:
        """Loss and metrics of one batch, without learning (Keras's default ``test_step``)."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        with no_grad():
            y_pred = self(x, training=False)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight,
                                     training=False)
        self._loss_tracker.update_state(float(loss.data), sample_weight=len(_arrays(x)[0]))
        return self.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    def predict_step(self, data: Any) -> Any:
        """The outputs for one batch (Keras's default ``predict_step``)."""
        x, _, _ = unpack_x_y_sample_weight(data)
        return self(x, training=False)

    # ------------------------------------------------------- step functions
    def make_train_function(self) -> Any:
        """Return ``step(xs, ys, sample_weight)``: one step of gradient descent.

        A model that overrides :meth:`train_step` gets a function that packs
        the batch and calls it; otherwise descend's fast step: forward pass,
        loss, ``backward``, optimizer step, constraints, metrics.
        """
        if _overrides(self, "train_step"):
            return self._custom_step(self.train_step)
        compiled_loss, compiled_metrics = self.compiled_loss, self.compiled_metrics
        optimizer, tracker = self.optimizer, self._loss_tracker
        penalised = self._may_add_losses()
        constraints = self._constraints()
        forward = self._forward if not penalised else self._context_forward
        trains = bool(self.trainable_weights)
        scaled = getattr(optimizer, "loss_scale_factor", None) is not None
        # the plan's array step (models/array_step.py) for steps that add nothing to the
        # loss and its update; every other step, and any batch it declines, takes the graph
        plain = compiled_loss is not None and trains and not (penalised or constraints or scaled)
        plan_step = getattr(self, "_plan_train_step", None) if plain else None

        def train_step(xs: list[np.ndarray], ys: list[np.ndarray], sw: np.ndarray | None) -> None:
            if plan_step is not None and sw is None:
                fast = plan_step()
                done = None if fast is None else fast(xs, ys)
                if done is not None:
                    tracker.update_state(float(done[0]), sample_weight=len(xs[0]))
                    compiled_metrics.update(ys, [done[1]], None, None)
                    return
            outputs = forward(xs, True)
            loss = self._step_loss(compiled_loss, ys, outputs, sw, penalised)
            if trains:  # else nothing to update (fit warned); loss and metrics still reported
                (optimizer.scale_loss(loss) if scaled else loss).backward()
                optimizer.step()
            for variable, constraint in constraints:
                variable.assign(constraint(variable.data))
            tracker.update_state(float(loss.data), sample_weight=len(xs[0]))
            compiled_metrics.update(ys, [o.data for o in outputs], sw, output_masks(outputs))

        return train_step

    def make_test_function(self) -> Any:
        """Return ``step(xs, ys, sample_weight)``: loss and metrics on one batch."""
        if _overrides(self, "test_step"):
            return self._custom_step(self.test_step)
        compiled_loss, compiled_metrics = self.compiled_loss, self.compiled_metrics
        tracker = self._loss_tracker
        penalised = self._may_add_losses()

        def test_step(xs: list[np.ndarray], ys: list[np.ndarray], sw: np.ndarray | None) -> None:
            with no_grad():
                outputs = (self._context_forward if penalised else self._forward)(xs, False)
                loss = self._step_loss(compiled_loss, ys, outputs, sw, penalised)
            tracker.update_state(float(loss.data), sample_weight=len(xs[0]))
            compiled_metrics.update(ys, [o.data for o in outputs], sw, output_masks(outputs))

        return test_step

    def _step_loss(self, compiled_loss: Any, ys: Any, outputs: list[Tensor], sw: Any,
                   penalised: bool) -> Tensor:
        """The compiled loss of one batch plus, if any, the added losses and penalties."""
        loss = None if compiled_loss is None else compiled_loss(ys, outputs, sw)
        if penalised:
            for penalty in self.losses:
                loss = penalty if loss is None else loss + penalty
        if loss is None:
            raise ValueError(_NO_LOSS)
        return loss

    def _context_forward(self, xs: list[Any], training: bool) -> list[Tensor]:
        """``_forward`` as the outermost call: losses of the last step cleared, ``training``
        passed down to the layers that custom layers call."""
        context, outermost = call_context.enter(self, training)
        try:
            if outermost:
                self._clear_losses()
            return self._forward(xs, training)
        finally:
            call_context.leave(context, outermost)

    def _custom_step(self, step: Any) -> Any:
        def run(xs: list[np.ndarray], ys: list[np.ndarray] | None,
                sw: np.ndarray | None) -> None:
            y = None if ys is None else _structure(ys)
            x = self._input_structure(xs)
            self._step_logs = pythonify_logs(step(pack_x_y_sample_weight(x, y, sw)))

        self._step_logs = {}
        return run

    def _predict_arrays(self, xs: list[np.ndarray]) -> list[np.ndarray]:
        """Outputs of one batch through an overridden :meth:`predict_step`."""
        with no_grad():
            return _arrays(self.predict_step(self._input_structure(xs)))

    def _may_add_losses(self) -> bool:
        """Whether a step must add ``self.losses`` (regularizers, activity regularizers,
        layers that may ``add_loss``)."""
        if self.losses:
            return True
        own_call_adds_none = tracing.call_adds_no_losses(self)  # read from its source
        return any(not type(layer).__module__.startswith("descend.")
                   or layer.activity_regularizer is not None
                   for layer in self._flatten_layers(include_self=not own_call_adds_none))

    def _constraints(self) -> list[tuple[Any, Any]]:
        """(variable, constraint) pairs recorded by ``add_weight``, applied after each step."""
        return [pair for layer in self._flatten_layers()
                for pair in getattr(layer, "_weight_constraints", ())]

    def _flat_layers(self) -> list[Any]:
        return self._flatten_layers(include_self=False)

    # --------------------------------------------------------------- metrics
    def reset_metrics(self) -> None:
        """Reset every metric of :attr:`metrics` (the start of an epoch)."""
        for metric in self.metrics:
            metric.reset_state()
        self._step_logs = {}

    def get_metrics_result(self) -> dict[str, float]:
        """Current value of every metric of :attr:`metrics`, keyed by name."""
        logs: dict[str, float] = {}
        for metric in self.metrics:
            result = metric.result()
            if isinstance(result, dict):
                logs.update(pythonify_logs(result))
            else:
                logs[metric.name] = float(np.asarray(getattr(result, "data", result)))
        return logs

    def _ordered_results(self, logs: dict[str, float]) -> Any:
        """Keras's ``evaluate`` list: the values in :attr:`metrics` order, then the rest."""
        names = [m.name for m in self.metrics]
        ordered = [logs[name] for name in names if name in logs]
        ordered += [value for key, value in logs.items() if key not in names]
        return ordered[0] if len(ordered) == 1 else ordered

    def _current_logs(self) -> dict[str, float]:
        """The logs after the last step: an overridden step's own, else the metrics'."""
        logs = getattr(self, "_step_logs", None)
        return dict(logs) if logs else self.get_metrics_result()


_NO_LOSS = (
    "No loss to compute: compile() was given no `loss` and the model adds none with add_loss(). "
    "Pass a loss to compile(), e.g. loss='mse', or override train_step()."
)
