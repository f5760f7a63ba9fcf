"""``fit``/``evaluate``/``predict`` on batch sources: a ``PyDataset``, a generator or an iterator.

Keras accepts, instead of arrays, a source that yields whole batches: ``x``,
``(x, y)`` or ``(x, y, sample_weight)``. This module turns such a source into
batches for the model's compiled train/test step (the same functions the array loop
in :mod:`descend.models.training` calls); ``Model.fit``/``evaluate``/``predict``
hand over to it when ``x`` is a source (see :func:`is_batch_source`).

Epochs, as in Keras:

* a :class:`~descend.utils.PyDataset` gives ``len(dataset)`` batches per epoch
  (at most ``steps_per_epoch``), read by index in the main thread; its
  ``on_epoch_begin``/``on_epoch_end`` are called around each epoch of ``fit``;
* a generator or iterator is consumed across epochs: ``steps_per_epoch`` batches
  per epoch when given, else until it is exhausted (the first epoch), after which
  training stops with a warning that the input ran out of data.

``validation_data`` may be arrays ``(x, y[, sample_weight])`` or a source.
"""

from __future__ import annotations

import itertools
import types
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

from descend import _distributed
from descend.autograd import no_grad
from descend.callbacks import CallbackList
from descend.models import data_adapter as data
from descend.models import training
from descend.utils.py_dataset import PyDataset

__all__ = ["evaluate", "fit", "is_batch_source", "predict", "refuse"]


def is_batch_source(x: Any) -> bool:
    """Whether ``x`` is a ``PyDataset``, a generator or an iterator (not arrays)."""
    return isinstance(x, (PyDataset, types.GeneratorType)) or (
        isinstance(x, Iterator) and not isinstance(x, (np.ndarray, list, tuple, dict)))


def refuse(method: str, **arguments: Any) -> None:
    """Raise when arguments that only make sense with arrays come with a batch source."""
    given = [name for name, value in arguments.items()
             if value is not None and not (isinstance(value, float) and value == 0.0)]
    if given:
        raise ValueError(
            f"{method}: {', '.join(f'`{n}`' for n in given)} cannot be used when `x` is a "
            "PyDataset or a generator: its batches must carry the targets (and sample "
            "weights) as (x, y) or (x, y, sample_weight); split validation data yourself."
        )


def _unpack(batch: Any, what: str) -> tuple[list, list | None, np.ndarray | None]:
    if isinstance(batch, tuple) and 1 <= len(batch) <= 3:
        x, y, sw = (*batch, None, None)[:3]
    elif isinstance(batch, list) and len(batch) in (2, 3) and not isinstance(batch[0], list):
        x, y, sw = (*batch, None)[:3]
    else:
        x, y, sw = batch, None, None
    xs = data.prepare_inputs(x, f"{what} x")
    ys = None if y is None else data.prepare_targets(y, f"{what} y")
    n = data.check_lengths(xs, ys)
    weights = None if sw is None else data.prepare_sample_weight(sw, n, f"{what} sample_weight")
    return xs, ys, weights


class _Batches:
    """Batches of one epoch from a source, with the source's epoch hooks."""

    def __init__(self, source: Any, steps: int | None) -> None:
        self.source, self.steps = source, steps
        self.iterator = None if isinstance(source, PyDataset) else iter(source)
        self.exhausted = False

    def count(self) -> int | None:
        if isinstance(self.source, PyDataset):
            n = len(self.source)
            return n if self.steps is None else min(n, self.steps)
        return self.steps

    def epoch(self) -> Any:
        if isinstance(self.source, PyDataset):
            for i in range(self.count() or 0):
                yield self.source[i]
            return
        taken = itertools.islice(self.iterator, self.steps) if self.steps else self.iterator
        produced = 0
        for batch in taken:
            produced += 1
            yield batch
        if self.steps is None or produced < self.steps:
            self.exhausted = True


def fit(model: Any, source: Any, *, epochs: int, initial_epoch: int, callbacks: Any,
        verbose: int, steps_per_epoch: int | None, validation_data: Any,
        validation_steps: int | None, validation_freq: Any) -> Any:
    """Train ``model`` on the batches of ``source``; returns the ``History``."""
    batches = _Batches(source, steps_per_epoch)
    cbs = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, model=model,
                       verbose=verbose, epochs=epochs, steps=batches.count())
    train_step = None
    model.stop_training = False
    logs: dict[str, float] = {}
    cbs.on_train_begin()
    replicas = _distributed.replicas()
    if replicas is not None:  # data-parallel (not sharded here): process 0's weights for all
        replicas.begin_fit(model)
    for epoch in range(initial_epoch, epochs):
        if batches.exhausted:
            warnings.warn("fit: your input ran out of data; interrupting training. Pass "
                          "steps_per_epoch (and a generator that repeats) to train for "
                          f"{epochs} epochs.", stacklevel=3)
            break
        model.reset_metrics()
        if isinstance(source, PyDataset):
            source.on_epoch_begin()
        cbs.on_epoch_begin(epoch)
        for step, batch in enumerate(batches.epoch()):
            xs, ys, sw = _unpack(batch, "fit")
            if train_step is None:
                model._prepare(xs, ys, training=True)
                train_step = model.make_train_function()
            cbs.on_train_batch_begin(step)
            train_step(xs, ys, sw)
            cbs.on_train_batch_end(step, model._current_logs())
            if model.stop_training:
                break
        if train_step is None:
            raise ValueError("fit: the data source gave no batch in the first epoch.")
        logs = model._current_logs()
        if isinstance(source, PyDataset):
            source.on_epoch_end()
        if validation_data is not None and training.should_validate(epoch, validation_freq):
            val_logs = _validate(model, validation_data, validation_steps, cbs)
            logs.update({f"val_{k}": v for k, v in val_logs.items()})
        cbs.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    cbs.on_train_end(logs)
    return model.history


def _validate(model: Any, validation_data: Any, steps: int | None,
              cbs: CallbackList) -> dict[str, float]:
    if is_batch_source(validation_data):
        return _evaluate_batches(model, validation_data, steps, cbs)
    vx, vy, vsw = model._validation_arrays(validation_data)
    return training.evaluate_loop(model, vx, vy, vsw, batch_size=32, callbacks=cbs)


def _evaluate_batches(model: Any, source: Any, steps: int | None,
                      cbs: CallbackList) -> dict[str, float]:
    test_step = None
    model.reset_metrics()
    cbs.on_test_begin()
    for step, batch in enumerate(_Batches(source, steps).epoch()):
        xs, ys, sw = _unpack(batch, "evaluate")
        if test_step is None:
            model._prepare(xs, ys, training=False)
            test_step = model.make_test_function()
        cbs.on_test_batch_begin(step)
        test_step(xs, ys, sw)
        cbs.on_test_batch_end(step, model._current_logs())
    if test_step is None:
        raise ValueError("evaluate: the data source gave no batch.")
    logs = model._current_logs()
    cbs.on_test_end(logs)
    return logs


def evaluate(model: Any, source: Any, *, steps: int | None, callbacks: Any,
             verbose: int) -> dict[str, float]:
    """Loss and metrics of ``model`` over the batches of ``source``."""
    cbs = CallbackList(callbacks, add_progbar=verbose != 0, model=model, verbose=verbose,
                       epochs=1, steps=_Batches(source, steps).count())
    return _evaluate_batches(model, source, steps, cbs)


def predict(model: Any, source: Any, *, steps: int | None, callbacks: Any,
            verbose: int) -> list[np.ndarray]:
    """Outputs of ``model`` for every batch of ``source`` (targets, if any, ignored)."""
    batches = _Batches(source, steps)
    cbs = CallbackList(callbacks, add_progbar=verbose != 0, model=model, verbose=verbose,
                       epochs=1, steps=batches.count())
    chunks: list[list[np.ndarray]] = []
    cbs.on_predict_begin()
    with no_grad():
        for step, batch in enumerate(batches.epoch()):
            xs, _, _ = _unpack(batch, "predict")
            if not chunks:
                model._ensure_built(xs)
            cbs.on_predict_batch_begin(step)
            out = model._infer_arrays(xs)
            chunks.append(out)
            cbs.on_predict_batch_end(step, {"outputs": out})
    cbs.on_predict_end()
    if not chunks:
        raise ValueError("predict: the data source gave no batch.")
    return [np.concatenate([c[i] for c in chunks]) for i in range(len(chunks[0]))]
