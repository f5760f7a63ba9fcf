"""The prepared batches of a batch source: a :class:`~descend.utils.PyDataset`, a
generator or an iterator.

``fit``, ``evaluate`` and ``predict`` accept, instead of arrays, a source that
returns whole batches. This module turns a source into the batches of each epoch,
validated like arrays passed to ``fit`` (numeric, finite, floats converted to
floatx, integer labels kept) and named by their index in errors; the loops of
:mod:`descend.models.training` run on them, and :mod:`descend.models.data_sources`
hands the sources over. Keras's rules, which this module follows:

- a batch is ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)`` (a list counts
  as a tuple; a dict is the inputs of a multi-input model, no targets);
- a ``PyDataset`` gives ``len(dataset)`` batches per epoch, read by index. With
  ``shuffle=True`` (``fit``'s default) the ORDER of the batches is shuffled at every
  epoch, never the samples inside a batch; ``on_epoch_begin()`` runs before the first
  batch and ``on_epoch_end()`` after the last one, so a data set can reshuffle or
  regenerate itself between epochs;
- a generator or iterator is consumed across epochs: ``steps`` batches per epoch
  when given, else until it is exhausted (the first epoch); ``fit`` then stops with
  a warning that the input ran out of data;
- ``class_weight`` becomes per-sample weights of each batch, and cannot be combined
  with batches that carry their own sample weights.
"""

from __future__ import annotations

import itertools
import types
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


def is_batch_source(x: Any) -> bool:
    """Whether ``x`` is a ``PyDataset``, a generator or an iterator (not arrays)."""
    return isinstance(x, (PyDataset, types.GeneratorType)) or (
        isinstance(x, Iterator) and not isinstance(x, (np.ndarray, list, tuple, dict)))


def unpack_batch(batch: Any, index: int,
                 source: str = "PyDataset.__getitem__({index}) must return") -> tuple:
    """Split one batch into ``(x, y, sample_weight)`` (``y``/``sample_weight`` may be None).

    Parameters
    ----------
    batch : array, dict, tuple or list
        What the source returned.
    index : int
        The batch's index, for the error message.
    source : str, default "PyDataset.__getitem__({index}) must return"
        What returned the batch, for the error message (``{index}`` is filled in).

    Raises
    ------
    ValueError
        When the batch is a tuple/list of length other than 1, 2 or 3, or no
        array-like at all.
    """
    if isinstance(batch, (dict, np.ndarray)) or (
            not isinstance(batch, (tuple, list, str, bytes)) and
            (hasattr(batch, "__array__") or hasattr(batch, "shape"))):
        return batch, None, None
    if isinstance(batch, list):
        batch = tuple(batch)
    if not isinstance(batch, tuple) or len(batch) not in (1, 2, 3):
        shown = f"a tuple of length {len(batch)}" if isinstance(batch, tuple) else \
            type(batch).__name__
        raise ValueError(
            f"{source.format(index=index)} one batch: x, (x,), (x, y) or "
            f"(x, y, sample_weight) (a tuple or list), or a dict of inputs. Received {shown}."
        )
    return batch + (None,) * (3 - len(batch))


class _SourceBatches:
    """What the batches of every kind of source share: preparing one batch."""

    #: a ``PyDataset`` is the same on every process of data-parallel training, so each
    #: process takes its part of every batch; a generator is each process's own
    shardable = True
    num_batches: int | None

    def __init__(self, class_weight: dict | None, what: str, source: str) -> None:
        self.class_weight = class_weight
        self.what = what
        self.source = source

    def prepare(self, batch: Any, index: int) -> Batch:
        """Validate one raw batch and return ``(inputs, targets or None, weights or None)``."""
        x, y, sw = unpack_batch(batch, index, self.source)
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

    @property
    def exhausted(self) -> bool:
        """Whether the source has no batch left for another epoch."""
        return False


class PyDatasetBatches(_SourceBatches):
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
    steps : int, optional
        Use only the first ``steps`` batches (``evaluate``/``predict``'s ``steps``).

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
                 class_weight: dict | None = None, what: str = "x",
                 steps: int | None = None) -> None:
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
        super().__init__(class_weight, what, "PyDataset.__getitem__({index}) must return")
        self.dataset = dataset
        self.shuffle = bool(shuffle)
        self.num_batches = int(count) if steps is None else min(int(count), int(steps))

    def __len__(self) -> int:
        return self.num_batches

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


class IteratorBatches(_SourceBatches):
    """Iterable over the prepared batches of a generator or iterator, epoch after epoch.

    Each pass (epoch) takes the next ``steps`` batches of the one iterator, or all
    that are left when ``steps`` is None; the iterator is never restarted.

    Parameters
    ----------
    source : iterator or generator
        Yields batches (see the module's forms).
    steps : int, optional
        Batches per pass; None: until the iterator is exhausted.
    class_weight : dict, optional
        ``{class_id: weight}``, turned into each batch's sample weights.
    what : str, default "x"
        Argument name used in error messages.
    method : str, default "fit"
        The caller, named when a pass that must give a batch gives none.

    Examples
    --------
    >>> import numpy as np
    >>> batches = IteratorBatches((np.full((2, 1), i) for i in range(3)), steps=2)
    >>> def firsts():
    ...     return [float(xs[0][0, 0]) for xs, _, _ in batches]
    >>> firsts(), firsts()
    ([0.0, 1.0], [2.0])
    >>> batches.exhausted
    True
    """

    #: data-parallel training: every process trains on the batches its own iterator gives
    shardable = False

    def __init__(self, source: Any, steps: int | None = None,
                 class_weight: dict | None = None, what: str = "x",
                 method: str = "fit") -> None:
        super().__init__(class_weight, what, "batch {index} of the generator must be")
        self.iterator = iter(source)
        self.num_batches = steps
        self.method = method
        self._pending: list[Any] = []  # a batch read ahead (first(), exhausted), not yet used
        self._index = 0
        self._done = False

    def _next(self) -> Any:
        """The next raw batch, or raise StopIteration (and remember it)."""
        if self._pending:
            return self._pending.pop()
        try:
            return next(self.iterator)
        except StopIteration:
            self._done = True
            raise

    def first(self) -> Batch:
        """The first batch, prepared (read ahead: the first pass still yields it)."""
        try:
            batch = self._next()
        except StopIteration:
            raise ValueError(f"{self.method}: the data source gave no batch.") from None
        self._pending.append(batch)
        return self.prepare(batch, self._index)

    @property
    def exhausted(self) -> bool:
        """Whether the iterator has no batch left (reads one ahead to find out)."""
        if not self._pending and not self._done:
            try:
                self._pending.append(next(self.iterator))
            except StopIteration:
                self._done = True
        return not self._pending and self._done

    def __iter__(self) -> Iterator[Batch]:
        """One pass: the next ``steps`` batches, or every batch left."""
        given = 0
        for _ in itertools.count() if self.num_batches is None else range(self.num_batches):
            try:
                batch = self._next()
            except StopIteration:
                break
            index, self._index = self._index, self._index + 1
            given += 1
            yield self.prepare(batch, index)
        if not given and self.method != "fit":
            raise ValueError(f"{self.method}: the data source gave no batch.")


def batches_of(source: Any, *, what: str = "x", method: str = "fit", steps: int | None = None,
               shuffle: bool = False, class_weight: dict | None = None) -> Any:
    """The prepared batches of any batch source (:func:`is_batch_source`)."""
    if is_py_dataset(source):
        return PyDatasetBatches(source, shuffle=shuffle, class_weight=class_weight, what=what,
                                steps=steps)
    return IteratorBatches(source, steps=steps, class_weight=class_weight, what=what,
                           method=method)


__all__ = ["IteratorBatches", "PyDatasetBatches", "batches_of", "is_batch_source",
           "is_py_dataset", "unpack_batch"]
