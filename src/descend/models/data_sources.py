"""``fit``/``evaluate``/``predict`` on a batch source: a ``PyDataset``, a generator or an
iterator.

``Model.fit``/``evaluate``/``predict`` hand over to this module when ``x`` is a
source (see :func:`is_batch_source`). It refuses the arguments that only make sense
with arrays, builds the model from the first batch, and runs the same loops as
arrays do (:mod:`descend.models.training`) on the source's prepared batches
(:mod:`descend.models.py_dataset_adapter`, where the batch forms and the epochs of
each kind of source are described). ``validation_data`` may be arrays
``(x, y[, sample_weight])`` or a source (``validation_steps`` batches of it).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.callbacks import CallbackList
from descend.models import training
from descend.models.py_dataset_adapter import batches_of, is_batch_source, is_py_dataset

__all__ = ["evaluate", "fit", "is_batch_source", "predict", "refuse", "validation_of"]


def refuse(method: str, **arguments: Any) -> None:
    """Raise when arguments that only make sense with arrays come with a batch source."""
    given = [name for name, value in arguments.items()
             if value is not None and not (isinstance(value, float) and value == 0.0)]
    if given:
        raise ValueError(
            f"{method}: {', '.join(f'`{n}`' for n in given)} must not be given when `x` is a "
            "PyDataset or a generator: its batches carry the targets (and sample weights) as "
            "(x, y) or (x, y, sample_weight). For validation, pass `validation_data` (arrays "
            "or a source) instead of `validation_split`."
        )


def fit(model: Any, source: Any, *, y: Any, sample_weight: Any, validation_split: float,
        epochs: int, initial_epoch: int, callbacks: Any, verbose: int, shuffle: Any,
        class_weight: Any, steps_per_epoch: int | None, validation_data: Any,
        validation_steps: int | None, validation_freq: Any, batch_size: int) -> Any:
    """Train ``model`` on the batches of ``source``; returns the ``History``."""
    from descend.models.trainer import _overrides

    refuse("fit", y=y, sample_weight=sample_weight, validation_split=validation_split)
    batches = batches_of(source, shuffle=bool(shuffle), class_weight=class_weight)
    first_x, first_y, _ = batches.first()
    if first_y is None and not _overrides(model, "train_step") and \
            model.compiled_loss is not None:
        where = "__getitem__" if is_py_dataset(source) else "the generator"
        raise ValueError(f"fit: the source's batches have no targets; return (x, y) from "
                         f"{where}.")
    model._prepare(first_x, first_y, training=True)
    validation = validation_of(model, validation_data, validation_steps)
    return training.fit_loop(
        model, None, None, None, batch_size=batch_size, epochs=epochs,
        initial_epoch=initial_epoch, shuffle=shuffle, callbacks=callbacks,
        verbose=verbose, validation=validation, validation_freq=validation_freq,
        validation_batch_size=None, steps_per_epoch=steps_per_epoch, batches=batches)


def validation_of(model: Any, validation_data: Any, steps: int | None,
                  default: Any = None) -> Any:
    """What ``fit`` validates on: the batches of a source (at most ``steps`` per
    validation), or ``validation_data``'s arrays prepared for ``model``; ``default``
    when there is no ``validation_data``."""
    if validation_data is None:
        return default
    if is_batch_source(validation_data):
        return batches_of(validation_data, what="validation_data", method="evaluate",
                          steps=steps)
    arrays = model._validation_arrays(validation_data)
    model._prepare(arrays[0], arrays[1], training=False)
    return arrays


def evaluate(model: Any, source: Any, *, y: Any, sample_weight: Any, steps: int | None,
             batch_size: int, callbacks: Any, verbose: int) -> dict[str, float]:
    """Loss and metrics of ``model`` over (at most ``steps``) batches of ``source``."""
    refuse("evaluate", y=y, sample_weight=sample_weight)
    batches = batches_of(source, method="evaluate", steps=steps)
    model._prepare(*batches.first()[:2], training=False)
    cbs = CallbackList(callbacks, add_progbar=verbose != 0, model=model, verbose=verbose,
                       epochs=1, steps=batches.num_batches)
    return training.evaluate_loop(model, None, None, None, batch_size=batch_size,
                                  callbacks=cbs, batches=batches)


def predict(model: Any, source: Any, *, steps: int | None, batch_size: int, callbacks: Any,
            verbose: int) -> list[np.ndarray]:
    """Outputs of ``model`` for (at most ``steps``) batches of ``source``, one array per
    output (targets, if any, ignored)."""
    batches = batches_of(source, method="predict", steps=steps)
    model._ensure_built(batches.first()[0])
    cbs = CallbackList(callbacks, add_progbar=verbose != 0, model=model, verbose=verbose,
                       epochs=1, steps=batches.num_batches)
    return training.predict_loop(model, None, batch_size=batch_size, callbacks=cbs,
                                 batches=batches)
