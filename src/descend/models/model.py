"""``Model``: a layer that can be compiled, trained, evaluated and used to predict.

``Sequential`` and the functional ``Model(inputs, outputs)`` both build on this
class; it holds what ``compile`` chose (optimizer, loss, metrics) and exposes
Keras's training API. The loops themselves are in :mod:`descend.models.training`.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from descend import metrics as metrics_module
from descend import threads
from descend.autograd import Tensor, no_grad
from descend.callbacks import CallbackList
from descend.layers import tracking
from descend.layers.layer import Layer
from descend.models import data_adapter as data
from descend.models import data_sources, heap, training
from descend.models._stateful import kept_states as _kept_states
from descend.models.compile_utils import CompiledLoss, CompiledMetrics
from descend.models.plan import PlannedModel
from descend.models.py_dataset_adapter import (
    evaluate_py_dataset,
    fit_py_dataset,
    is_py_dataset,
    predict_py_dataset,
)
from descend.models.trainer import Trainer, _flatten_outputs, _overrides


def _verbose(verbose: Any) -> int:
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2) or isinstance(verbose, bool):
        raise ValueError(f"`verbose` must be 'auto', 0, 1 or 2, received {verbose!r}.")
    return int(verbose)


class Model(Trainer, PlannedModel, Layer):
    """Base class of trainable models (see ``Sequential`` and the functional API).

    Attributes
    ----------
    optimizer : Optimizer or None
        Set by :meth:`compile`.
    stop_training : bool
        Set to True (e.g. by a callback) to end ``fit`` after the current batch.
    history : History or None
        The record of the last ``fit``.
    """

    _is_model_class = True
    _TRACKING_EXEMPT = Layer._TRACKING_EXEMPT | {"_step_logs", "_compiled_for", "_plan",
                                                 "_compile_config", "history", "_input_keys"}

    def __new__(cls, *args: Any, **kwargs: Any) -> Model:
        # ``Model(inputs, outputs)`` builds a functional model, as in Keras.
        if cls is Model and (args or "inputs" in kwargs or "outputs" in kwargs):
            from descend.models.functional import Functional

            return Functional.__new__(Functional)
        return super().__new__(cls, *args, **kwargs)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from descend.models.functional import Functional

        if (args or "inputs" in kwargs or "outputs" in kwargs) and \
                not isinstance(self, Functional):
            # a subclass that calls ``super().__init__(inputs, outputs)`` is a
            # functional model: put Functional in its bases (as Keras does)
            cls = type(self)
            cls.__bases__ = tuple(Functional if base is Model else base
                                  for base in cls.__bases__)
            Functional.__init__(self, *args, **kwargs)
            return
        super().__init__(*args, **kwargs)
        self.optimizer: Any = None
        self.compiled_loss: CompiledLoss | None = None
        self.compiled_metrics: CompiledMetrics | None = None
        self._loss_tracker = metrics_module.Mean(name="loss")
        self._compile_config: dict[str, Any] | None = None
        self.stop_training = False
        self.history: Any = None

    # ------------------------------------------------------------ structure
    @property
    def output_names(self) -> list[str]:
        """Names of the outputs: a subclassed model's dict keys, else ``output_0``, ..."""
        names = getattr(self, "_output_names", None)
        return list(names) if names else ["output_0"]

    @property
    def layers(self) -> list[Layer]:
        """The layers this model holds directly (a subclass's tracked attributes, in order)."""
        return list(self._layers)

    def _prepare_x(self, x: Any) -> list[np.ndarray]:
        """Validated input arrays; a subclassed model remembers the keys of a dict ``x``."""
        if isinstance(x, dict) and type(self)._forward is Model._forward:
            self._input_keys = list(x)
        return data.prepare_inputs(x)

    def _input_structure(self, xs: list[Any]) -> Any:
        """``xs`` as the subclassed model's ``call`` receives it: one array, a list or a dict."""
        keys = getattr(self, "_input_keys", None)
        if keys and len(keys) == len(xs):
            return dict(zip(keys, xs, strict=True))
        return xs[0] if len(xs) == 1 else list(xs)

    def _forward(self, xs: list[Any], training: bool) -> list[Tensor]:
        """The forward pass on prepared arrays; returns one tensor per output.

        A subclassed model runs its own ``call`` (through ``__call__``, which
        builds it on the first batch); Sequential and functional models
        override this with their execution plans.
        """
        out = self(self._input_structure(xs), training=training)
        if isinstance(out, dict):
            self._output_names = sorted(out)
        elif isinstance(out, (list, tuple)) and not getattr(self, "_output_names", None):
            self._output_names = [f"output_{i}" for i in range(len(out))]
        return _flatten_outputs(out)

    def _ensure_built(self, xs: list[np.ndarray]) -> None:
        """A subclassed model builds itself on its first call (see ``Layer.__call__``)."""
        if type(self).call is Layer.call:
            raise NotImplementedError(
                f"Model '{self.name}' ({type(self).__name__}) has no call() method. A subclass "
                "of Model must implement call(self, inputs, training=None), or be built as "
                "Model(inputs, outputs) or Sequential([...])."
            )

    @property
    def metrics(self) -> list[Any]:
        """The loss tracker, the compiled metrics, then metrics held by the model and its layers.

        A subclass may override this property (Keras's custom ``train_step``
        pattern) to list the metrics that ``reset_metrics`` resets at the
        start of every epoch.
        """
        out = [self._loss_tracker]
        if self.compiled_loss is not None:  # "<output>_loss" when several outputs have a loss
            out += self.compiled_loss.metrics
        if self.compiled_metrics is not None:
            out += self.compiled_metrics.metrics
        if not tracking.HOLDING_METRICS:  # no layer anywhere holds a metric: nothing to walk
            return out
        seen = {id(m) for m in out}
        for layer in self._flatten_layers():
            for metric in layer._metrics:
                if id(metric) not in seen:
                    seen.add(id(metric))
                    out.append(metric)
        return out

    @property
    def metrics_names(self) -> list[str]:
        """Names of :attr:`metrics`, in order."""
        return [m.name for m in self.metrics]

    def get_layer(self, name: str | None = None, index: int | None = None) -> Any:
        """A layer of :attr:`layers` by ``name`` or ``index`` (see ``models.introspection``)."""
        from descend.models.introspection import get_layer

        return get_layer(self, name=name, index=index)

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: dict | None = None) -> Any:
        """Rebuild a model from ``get_config()`` output (functional configs as graphs)."""
        from descend.models.introspection import model_from_config

        return model_from_config(cls, config, custom_objects)

    def _prepare(self, xs: list[np.ndarray], ys: list[np.ndarray] | None,
                 training: bool) -> None:
        """Build the model, resolve loss and metrics from the shapes, validate labels."""
        self._ensure_built(xs)
        with no_grad(), _kept_states(self) as rows:
            probe = self._checked_forward([x[:rows] for x in xs])
        shapes = [(None, *t.shape[1:]) for t in probe]
        names = self.output_names
        key = None if ys is None else (tuple(y.shape[1:] for y in ys), tuple(shapes))
        if ys is None:
            pass  # an overridden train_step/test_step without targets
        elif getattr(self, "_compiled_for", None) != key:
            if self.compiled_loss is not None:
                self.compiled_loss.build(ys, shapes, names)
            self.compiled_metrics.build(ys, shapes, names)
            self._compiled_for = key
        elif self.compiled_loss is not None:
            for loss, y, shape in zip(self.compiled_loss.losses, ys, shapes, strict=True):
                validate = getattr(loss, "validate", None)
                if validate is not None:
                    validate(y, tuple(shape))
        if training:
            weights = self.trainable_weights
            if weights:
                self.optimizer.build(weights)
            else:
                warnings.warn(
                    f"Model '{self.name}' has no trainable weights: fit() will not change it. "
                    "If it holds layers, assign them to attributes in __init__ (self.dense = "
                    "Dense(...)), or unfreeze them (layer.trainable = True).", stacklevel=3)

    def _checked_forward(self, xs: list[np.ndarray]) -> list[Tensor]:
        if type(self)._forward is Model._forward:  # a subclassed model: its own call
            return self._forward(xs, False)
        out = self(xs[0] if len(xs) == 1 else xs, training=False)
        return list(out) if isinstance(out, (list, tuple)) else [out]

    def _infer_arrays(self, xs: list[np.ndarray]) -> list[np.ndarray]:
        """Outputs for one batch as arrays, every layer's input checked, no graph.

        ``predict``, ``predict_on_batch`` and the predict loop go through here:
        the execution plan's array path (:meth:`ExecutionPlan.infer`), or a
        subclassed model's own ``call``. An overridden ``predict_step`` takes
        its place.
        """
        if _overrides(self, "predict_step"):
            return self._predict_arrays(xs)
        self._clear_losses()  # a layer's add_loss values of the last call are replaced
        with no_grad():
            if self._execution_plan() is None:  # a subclassed model: its own call
                return [t.data for t in self._checked_forward(xs)]
            return self._plan_infer(xs)

    # ------------------------------------------------------------------ fit
    def fit(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        epochs: int = 1,
        verbose: Any = "auto",
        callbacks: Any = None,
        validation_split: float = 0.0,
        validation_data: Any = None,
        shuffle: Any = True,
        class_weight: dict | None = None,
        sample_weight: Any = None,
        initial_epoch: int = 0,
        steps_per_epoch: int | None = None,
        validation_steps: int | None = None,
        validation_batch_size: int | None = None,
        validation_freq: Any = 1,
    ) -> Any:
        """Train the model: ``epochs`` passes of mini-batch gradient descent over the data.

        Parameters
        ----------
        x : ndarray, shape (samples, ...), or list of arrays for several inputs
        y : ndarray, shape (samples, ...), or list of arrays for several outputs
        batch_size : int, default 32
            Samples per gradient step. ``len(x)``: full-batch gradient descent;
            1: stochastic gradient descent; anything else: mini-batch.
        epochs : int, default 1
            Index of the last epoch (training runs from ``initial_epoch``).
        verbose : {"auto", 0, 1, 2}, default "auto" (= 1)
            0 silent, 1 progress bar (one clean line per epoch when stdout is
            not a terminal), 2 one line per epoch.
        callbacks : list of Callback, optional
        validation_split : float, default 0.0
            Fraction of the data held out for validation: the LAST samples,
            taken before any shuffling (Keras's rule).
        validation_data : tuple, optional
            ``(x_val, y_val)`` or ``(x_val, y_val, sample_weight_val)``;
            overrides ``validation_split``.
        shuffle : bool or "batch", default True
            Reshuffle the training samples before every epoch.
        class_weight : dict, optional
            ``{class_id: weight}`` applied to the loss.
        sample_weight : ndarray, shape (samples,), optional
        initial_epoch : int, default 0
            Epoch at which to start (to resume training).
        steps_per_epoch : int, optional
            Limit the number of batches per epoch.
        validation_steps : int, optional
            Accepted for compatibility (arrays are always fully evaluated).
        validation_batch_size : int, optional
            Defaults to ``batch_size``.
        validation_freq : int or list of int, default 1

        Returns
        -------
        History
            ``history.history`` maps ``"loss"``, each metric and the ``val_``
            versions to a list with one value per epoch.
        """
        self._assert_compiled()
        verbose = _verbose(verbose)
        batch_size = data.check_batch_size(batch_size) or 32
        validation_batch_size = data.check_batch_size(validation_batch_size,
                                                      "validation_batch_size")
        epochs, initial_epoch = data.check_epochs(epochs, initial_epoch)
        steps_per_epoch = data.check_steps(steps_per_epoch, "steps_per_epoch")
        if is_py_dataset(x):
            return fit_py_dataset(self, x, y, epochs, initial_epoch, verbose, callbacks,
                                  validation_split, validation_data, shuffle, class_weight,
                                  sample_weight, steps_per_epoch, validation_freq, batch_size)
        if data_sources.is_batch_source(x):  # a generator or iterator: ready-made batches
            data_sources.refuse("fit", y=y, sample_weight=sample_weight,
                                validation_split=validation_split, class_weight=class_weight)
            return data_sources.fit(
                self, x, epochs=epochs, initial_epoch=initial_epoch, callbacks=callbacks,
                verbose=verbose, steps_per_epoch=steps_per_epoch, validation_data=validation_data,
                validation_steps=validation_steps, validation_freq=validation_freq)
        if y is None and not _overrides(self, "train_step") and self.compiled_loss is not None:
            raise ValueError("fit: `y` (the targets) is required, received None.")
        if shuffle not in (True, False, "batch"):
            raise ValueError(f"`shuffle` must be True, False or 'batch', received {shuffle!r}.")
        if not (isinstance(validation_freq, int) and validation_freq > 0) and not (
                isinstance(validation_freq, (list, tuple))):
            raise ValueError(f"`validation_freq` must be a positive int or a list of epochs, "
                             f"received {validation_freq!r}.")
        xs = self._prepare_x(x)
        ys = None if y is None else data.prepare_targets(y)
        n = data.check_lengths(xs, ys)
        sw = None if ys is None else self._sample_weights(ys, n, sample_weight, class_weight)
        validation = None
        if validation_data is not None:
            validation = self._validation_arrays(validation_data)
        elif validation_split:
            (xs, ys, sw), validation = data.train_validation_split(xs, ys, sw, validation_split)
            if class_weight is not None:  # Keras weights only the training part
                validation = (*validation[:2], None)
        self._prepare(xs, ys, training=True)
        if validation is not None:
            self._prepare(validation[0], validation[1], training=False)
        return training.fit_loop(
            self, xs, ys, sw, batch_size=batch_size, epochs=epochs,
            initial_epoch=initial_epoch, shuffle=shuffle, callbacks=callbacks, verbose=verbose,
            validation=validation, validation_freq=validation_freq,
            validation_batch_size=validation_batch_size, steps_per_epoch=steps_per_epoch,
        )

    def _sample_weights(self, ys: list[np.ndarray], n: int, sample_weight: Any,
                        class_weight: Any) -> np.ndarray | None:
        if sample_weight is not None and class_weight is not None:
            raise ValueError("You cannot `class_weight` and `sample_weight` at the same time.")
        if class_weight is not None:
            if len(ys) > 1:
                raise ValueError("`class_weight` is only supported for models with one output.")
            return data.class_weight_to_sample_weight(ys[0], class_weight)
        if sample_weight is not None:
            return data.prepare_sample_weight(sample_weight, n)
        return None

    def _validation_arrays(self, validation_data: Any) -> tuple:
        if not isinstance(validation_data, (list, tuple)) or len(validation_data) not in (2, 3):
            raise ValueError(
                "`validation_data` must be a tuple (x_val, y_val) or (x_val, y_val, "
                f"sample_weight_val), received {type(validation_data).__name__}"
                + (f" of length {len(validation_data)}" if hasattr(validation_data, "__len__")
                   else "") + "."
            )
        vx = data.prepare_inputs(validation_data[0], "validation_data x")
        vy = data.prepare_targets(validation_data[1], "validation_data y")
        n = data.check_lengths(vx, vy)
        vsw = None
        if len(validation_data) == 3 and validation_data[2] is not None:
            vsw = data.prepare_sample_weight(validation_data[2], n, "validation sample_weight")
        return vx, vy, vsw

    # ------------------------------------------------------------- evaluate
    def evaluate(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        verbose: Any = "auto",
        sample_weight: Any = None,
        steps: int | None = None,
        callbacks: Any = None,
        return_dict: bool = False,
    ) -> Any:
        """Loss and metrics of the model on ``(x, y)`` (inference mode, no dropout).

        Parameters
        ----------
        x, y : ndarray
        batch_size : int, default 32
        verbose : {"auto", 0, 1, 2}, default "auto"
        sample_weight : ndarray, shape (samples,), optional
        steps : int, optional
            Number of batches to evaluate (all by default).
        callbacks : list of Callback, optional
        return_dict : bool, default False

        Returns
        -------
        float, list or dict
            The loss alone when no metric was compiled, else ``[loss, *metrics]``
            in compile order, or a dict when ``return_dict``.
        """
        self._assert_compiled()
        verbose = _verbose(verbose)
        batch_size = data.check_batch_size(batch_size) or 32
        steps = data.check_steps(steps)
        if is_py_dataset(x):
            return evaluate_py_dataset(self, x, y, sample_weight, steps, batch_size, verbose,
                                       callbacks, return_dict)
        if data_sources.is_batch_source(x):
            data_sources.refuse("evaluate", y=y, sample_weight=sample_weight)
            logs = data_sources.evaluate(self, x, steps=steps, callbacks=callbacks,
                                         verbose=verbose)
            return logs if return_dict else self._ordered_results(logs)
        if y is None and not _overrides(self, "test_step") and self.compiled_loss is not None:
            raise ValueError("evaluate: `y` (the targets) is required, received None.")
        xs = self._prepare_x(x)
        ys = None if y is None else data.prepare_targets(y)
        n = data.check_lengths(xs, ys)
        sw = None if sample_weight is None else data.prepare_sample_weight(sample_weight, n)
        if steps is not None:
            limit = steps * batch_size
            xs = [a[:limit] for a in xs]
            ys = None if ys is None else [a[:limit] for a in ys]
            sw = None if sw is None else sw[:limit]
        self._prepare(xs, ys, training=False)
        cbs = CallbackList(callbacks, add_progbar=verbose != 0, model=self, verbose=verbose,
                           epochs=1, steps=training.steps_for(len(xs[0]), batch_size))
        logs = training.evaluate_loop(self, xs, ys, sw, batch_size=batch_size, callbacks=cbs)
        if return_dict:
            return logs
        return self._ordered_results(logs)

    # -------------------------------------------------------------- predict
    def predict(
        self,
        x: Any,
        batch_size: int | None = None,
        verbose: Any = "auto",
        steps: int | None = None,
        callbacks: Any = None,
    ) -> Any:
        """Outputs of the model for ``x``, computed in batches, as NumPy arrays.

        Parameters
        ----------
        x : ndarray, shape (samples, ...), or list of arrays for several inputs
        batch_size : int, default 32
        verbose : {"auto", 0, 1, 2}, default "auto"
            With one batch or fewer and no callbacks, nothing is printed, so
            ``predict`` on a few samples costs no more than a direct call.
        steps : int, optional
        callbacks : list of Callback, optional

        Returns
        -------
        ndarray, or list of arrays for several outputs
        """
        verbose = _verbose(verbose)
        batch_size = data.check_batch_size(batch_size) or 32
        steps = data.check_steps(steps)
        if is_py_dataset(x):
            return predict_py_dataset(self, x, steps, batch_size, verbose, callbacks)
        if data_sources.is_batch_source(x):
            outs = data_sources.predict(self, x, steps=steps, callbacks=callbacks,
                                        verbose=verbose)
            return outs[0] if len(outs) == 1 else outs
        xs = self._prepare_x(x)
        data.check_lengths(xs, None)
        if steps is not None:
            xs = [a[: steps * batch_size] for a in xs]
        self._ensure_built(xs)
        n = len(xs[0])
        if not callbacks and n <= batch_size:
            # one batch, no callbacks: a single checked forward pass, nothing else
            threads.use_for(self, n)
            outs = self._infer_arrays(xs)
            return outs[0] if len(outs) == 1 else outs
        with _kept_states(self) as rows:  # shape errors name the layer before any batch
            self._infer_arrays([a[:rows] for a in xs])
        cbs = None
        if callbacks or verbose:
            cbs = CallbackList(callbacks, add_progbar=verbose != 0, model=self, verbose=verbose,
                               epochs=1, steps=training.steps_for(n, batch_size))
        outs = training.predict_loop(self, xs, batch_size=batch_size, callbacks=cbs)
        return outs[0] if len(outs) == 1 else outs

    # ------------------------------------------------------ batch-level API
    def train_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None,
                       class_weight: dict | None = None, return_dict: bool = False) -> Any:
        """One gradient-descent step on one batch; returns the loss (and metrics).

        Metrics accumulate across calls until :meth:`reset_metrics` (Keras 3).
        """
        self._assert_compiled()
        xs, ys = self._prepare_x(x), data.prepare_targets(y)
        n = data.check_lengths(xs, ys)
        sw = self._sample_weights(ys, n, sample_weight, class_weight)
        self._prepare(xs, ys, training=True)
        heap.retain_freed_memory()
        threads.use_for(self, n)
        self.make_train_function()(xs, ys, sw)
        return self._batch_result(return_dict)

    def test_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None,
                      return_dict: bool = False) -> Any:
        """Loss (and metrics) on one batch, without updating the weights."""
        self._assert_compiled()
        xs, ys = self._prepare_x(x), data.prepare_targets(y)
        n = data.check_lengths(xs, ys)
        sw = None if sample_weight is None else data.prepare_sample_weight(sample_weight, n)
        self._prepare(xs, ys, training=False)
        self.reset_metrics()
        heap.retain_freed_memory()
        threads.use_for(self, n)
        self.make_test_function()(xs, ys, sw)
        return self._batch_result(return_dict)

    def predict_on_batch(self, x: Any) -> Any:
        """Outputs for one batch, as NumPy arrays (no batching, no callbacks)."""
        xs = self._prepare_x(x)
        self._ensure_built(xs)
        heap.retain_freed_memory()
        threads.use_for(self, len(xs[0]))
        outs = self._infer_arrays(xs)
        return outs[0] if len(outs) == 1 else outs

    def _batch_result(self, return_dict: bool) -> Any:
        logs = self._current_logs()
        if return_dict:
            return logs
        return self._ordered_results(logs)

    # -------------------------------------------------------------- summary
    def summary(self, line_length: int | None = None, positions: Any = None,
                print_fn: Any = None, expand_nested: bool = False,
                show_trainable: bool = False, layer_range: Any = None) -> None:
        """Print a table of the layers, their output shapes and parameter counts.

        Parameters
        ----------
        line_length : int, optional
            Total width (default 88).
        positions : list of float, optional
            Relative column boundaries (default [0.45, 0.80, 1.0]).
        print_fn : callable, optional
            Called with the whole table as one string (default ``print``).
        expand_nested, show_trainable, layer_range
            As in Keras (``show_trainable`` adds a "Trainable" column).
        """
        from descend.models.summary import print_summary

        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                      show_trainable=show_trainable)

    # ------------------------------------------------- saving (see descend.saving)
    def save(self, filepath: Any, overwrite: bool = True) -> None:
        """Save architecture, weights and optimizer state to one ``.descend`` file.

        A ``.keras`` name writes the Keras 3 format instead (needs h5py; see
        ``docs/interoperability.md``). See :func:`descend.saving.save_model`; the format
        is documented in ``docs/saving.md``. The write is atomic.
        """
        from descend import saving

        saving.save_model(self, filepath, overwrite=overwrite)

    def save_weights(self, filepath: Any, overwrite: bool = True) -> None:
        """Save the weights and optimizer state to ``.weights.npz`` (or ``.weights.h5``)."""
        from descend import saving

        saving.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath: Any, skip_mismatch: bool = False) -> None:
        """Load weights saved by :meth:`save_weights` or :meth:`save` (or Keras 3's files)."""
        from descend import saving

        saving.load_weights(self, filepath, skip_mismatch=skip_mismatch)

    def export(self, filepath: Any, format: str = "tf_saved_model", verbose: bool | None = None,
               input_signature: Any = None, **kwargs: Any) -> None:
        """Write ONNX for inference (``format="onnx"``); see :func:`descend.export.export_model`."""
        from descend.export import export_model

        export_model(self, filepath, format=format, verbose=verbose,
                     input_signature=input_signature, **kwargs)

    def to_json(self, **kwargs: Any) -> str:
        """The architecture as a JSON string (see :func:`descend.models.model_from_json`)."""
        from descend import saving

        return saving.model_to_json(self, **kwargs)

    def get_compile_config(self) -> dict[str, Any] | None:
        """What ``compile`` was given, serialised (None if not compiled)."""
        from descend import saving

        return saving.serialize_compile_config(self)

    # --------------------------------------------- looking inside (descend.explain)
    def check_gradients(self, x: Any, y: Any, **kwargs: Any) -> Any:
        """Verify backprop through the whole model against float64 central differences.

        See :func:`descend.explain.gradients.check_model_gradients`.
        """
        from descend.explain.gradients import check_model_gradients

        return check_model_gradients(self, x, y, **kwargs)
