"""The batches of one epoch from a :class:`~descend.utils.PyDataset`.

``fit(x=py_dataset)`` trains on the batches the data set returns instead of slicing
arrays. Keras's rules, which this module follows:

- a batch is ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)`` (a list counts
  as a tuple; a dict is the inputs of a multi-input model, no targets);
- with ``shuffle=True`` (``fit``'s default) the ORDER of the batches is shuffled at
  every epoch, never the samples inside a batch;
- ``on_epoch_begin()`` runs before the first batch and ``on_epoch_end()`` after the
  last one, so a data set can reshuffle or regenerate itself between epochs;
- ``class_weight`` becomes per-sample weights of each batch, and cannot be combined
  with batches that carry their own sample weights.

Each batch is validated like arrays passed to ``fit`` (numeric, finite, floats
converted to floatx, integer labels kept), naming the batch index in errors.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from descend import random as descend_random
from descend.models import data_adapter as data
from descend.utils.py_dataset import PyDataset

Batch = tuple[list[np.ndarray], "list[np.ndarray] | None", "np.ndarray | None"]


def is_py_dataset(x: Any) -> bool:
    """True when ``x`` is a :class:`~descend.utils.PyDataset`."""
    return isinstance(x, PyDataset)


def unpack_batch(batch: Any, index: int) -> tuple[Any, Any, Any]:
    """Split one batch into ``(x, y, sample_weight)`` (``y``/``sample_weight`` may be None).

    Raises
    ------
    ValueError
        When the batch is a tuple/list of length other than 1, 2 or 3.
    """
    if isinstance(batch, dict) or isinstance(batch, np.ndarray):
        return batch, None, None
    if isinstance(batch, list):
        batch = tuple(batch)
    if not isinstance(batch, tuple) or len(batch) not in (1, 2, 3):
        shown = f"a tuple of length {len(batch)}" if isinstance(batch, tuple) else \
            type(batch).__name__
        raise ValueError(
            f"PyDataset.__getitem__({index}) must return one batch: x, (x,), (x, y) or "
            f"(x, y, sample_weight) (a tuple or list), or a dict of inputs. Received {shown}."
        )
    return batch + (None,) * (3 - len(batch))


class PyDatasetBatches:
    """Iterable over the prepared batches of one epoch of a ``PyDataset``.

    Parameters
    ----------
    dataset : PyDataset
        Must have a finite ``num_batches`` (``__len__``).
    shuffle : bool, default False
        Visit the batches in a new random order every epoch (descend's seeded
        generator, so ``descend.utils.set_random_seed`` makes it reproducible).
    class_weight : dict, optional
        ``{class_id: weight}``, turned into each batch's sample weights.
    what : str, default "x"
        Argument name used in error messages (``"validation_data"`` for validation).

    Examples
    --------
    >>> import numpy as np
    >>> from descend.utils import PyDataset
    >>> class Two(PyDataset):
    ...     def __len__(self):
    ...         return 2
    ...     def __getitem__(self, i):
    ...         return np.full((3, 1), i), np.array([0, 1, 1])
    >>> batches = PyDatasetBatches(Two(), class_weight={1: 2.0})
    >>> [(xs[0][:, 0].tolist(), sw.tolist()) for xs, ys, sw in batches]
    [([0.0, 0.0, 0.0], [1.0, 2.0, 2.0]), ([1.0, 1.0, 1.0], [1.0, 2.0, 2.0])]
    """

    def __init__(self, dataset: PyDataset, shuffle: bool = False,
                 class_weight: dict | None = None, what: str = "x") -> None:
        if not is_py_dataset(dataset):
            raise TypeError(f"`{what}` must be a PyDataset, received {type(dataset).__name__}.")
        try:
            count = dataset.num_batches
        except NotImplementedError as exc:
            raise ValueError(f"`{what}`: {exc}") from None
        if count is None:
            raise ValueError(
                f"`{what}`: {type(dataset).__name__} is endless (num_batches is None); give "
                "it a __len__, or limit each epoch with `steps_per_epoch`."
            )
        if not isinstance(count, (int, np.integer)) or count < 1:
            raise ValueError(f"`{what}`: {type(dataset).__name__} must have at least one batch, "
                             f"len() returned {count!r}.")
        self.dataset = dataset
        self.shuffle = bool(shuffle)
        self.class_weight = class_weight
        self.what = what
        self.num_batches = int(count)

    def __len__(self) -> int:
        return self.num_batches

    def prepare(self, batch: Any, index: int) -> Batch:
        """Validate one raw batch and return ``(inputs, targets or None, weights or None)``."""
        x, y, sw = unpack_batch(batch, index)
        label = f"{self.what} batch {index}"
        xs = data.prepare_inputs(x, f"{label} x")
        ys = None if y is None else data.prepare_targets(y, f"{label} y")
        n = data.check_lengths(xs, ys)
        if self.class_weight is not None:
            if sw is not None:
                raise ValueError("You cannot specify `class_weight` and `sample_weight` at the "
                                 f"same time: {label} returned sample weights.")
            if ys is None:
                raise ValueError(f"`class_weight` needs targets, but {label} has no y.")
            if len(ys) > 1:
                raise ValueError("`class_weight` is only supported for models with one output.")
            weights = data.class_weight_to_sample_weight(ys[0], self.class_weight)
        else:
            weights = None if sw is None else data.prepare_sample_weight(
                sw, n, f"{label} sample_weight")
        return xs, ys, weights

    def first(self) -> Batch:
        """The first batch, prepared (to build the model before training)."""
        return self.prepare(self.dataset[0], 0)

    def __iter__(self) -> Iterator[Batch]:
        """One epoch: ``on_epoch_begin``, every batch once, then ``on_epoch_end``."""
        order = range(self.num_batches)
        if self.shuffle:
            order = descend_random.generator().permutation(self.num_batches).tolist()
        self.dataset.on_epoch_begin()
        try:
            for index in order:
                yield self.prepare(self.dataset[index], index)
        finally:  # also when the loop stops early (steps_per_epoch, stop_training)
            self.dataset.on_epoch_end()


__all__ = ["PyDatasetBatches", "is_py_dataset", "unpack_batch"]


# ------------------------------------------------- fit / evaluate / predict on a PyDataset
def fit_py_dataset(model: Any, x: Any, y: Any, epochs: int, initial_epoch: int, verbose: int,
                   callbacks: Any, validation_split: float, validation_data: Any,
                   shuffle: Any, class_weight: Any, sample_weight: Any,
                   steps_per_epoch: Any, validation_freq: Any, batch_size: int) -> Any:
    """``model.fit(x=py_dataset)``: train on the batches the data set returns (Keras's rules)."""
    from descend.models import training
    from descend.models.trainer import _overrides

    for name, value in (("y", y), ("sample_weight", sample_weight)):
        if value is not None:
            raise ValueError(f"fit: `{name}` must not be given when `x` is a PyDataset "
                             "(its batches carry the targets and sample weights).")
    if validation_split:
        raise ValueError("fit: `validation_split` is only supported for arrays, not for "
                         "a PyDataset. Pass `validation_data` instead.")
    batches = PyDatasetBatches(x, shuffle=bool(shuffle), class_weight=class_weight)
    first_x, first_y, _ = batches.first()
    if first_y is None and not _overrides(model, "train_step") and \
            model.compiled_loss is not None:
        raise ValueError("fit: the PyDataset's batches have no targets; return (x, y) "
                         "from __getitem__.")
    model._prepare(first_x, first_y, training=True)
    validation = None
    if is_py_dataset(validation_data):
        validation = PyDatasetBatches(validation_data, what="validation_data")
    elif validation_data is not None:
        validation = model._validation_arrays(validation_data)
        model._prepare(validation[0], validation[1], training=False)
    return training.fit_loop(
        model, None, None, None, batch_size=batch_size, epochs=epochs,
        initial_epoch=initial_epoch, shuffle=shuffle, callbacks=callbacks,
        verbose=verbose, validation=validation, validation_freq=validation_freq,
        validation_batch_size=None, steps_per_epoch=steps_per_epoch, batches=batches)


def evaluate_py_dataset(model: Any, x: Any, batch_size: int, verbose: int, callbacks: Any,
                        return_dict: bool) -> Any:
    """``model.evaluate(x=py_dataset)``."""
    from descend.callbacks import CallbackList
    from descend.models import training

    batches = PyDatasetBatches(x)
    model._prepare(*batches.first()[:2], training=False)
    cbs = CallbackList(callbacks, add_progbar=verbose != 0, model=model, verbose=verbose,
                       epochs=1, steps=len(batches))
    logs = training.evaluate_loop(model, None, None, None, batch_size=batch_size,
                                  callbacks=cbs, batches=batches)
    return logs if return_dict else model._ordered_results(logs)


def predict_py_dataset(model: Any, x: Any, batch_size: int, verbose: int,
                       callbacks: Any) -> Any:
    """``model.predict(x=py_dataset)``."""
    from descend.callbacks import CallbackList
    from descend.models import training

    batches = PyDatasetBatches(x)
    model._ensure_built(batches.first()[0])
    cbs = CallbackList(callbacks, add_progbar=verbose != 0, model=model, verbose=verbose,
                       epochs=1, steps=len(batches))
    outs = training.predict_loop(model, None, batch_size=batch_size, callbacks=cbs,
                                 batches=batches)
    return outs[0] if len(outs) == 1 else outs
