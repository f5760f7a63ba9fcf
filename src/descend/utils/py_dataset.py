"""``PyDataset``: a data set that hands ``fit``/``evaluate``/``predict`` whole batches.

Arrays are batched by the training loop; a ``PyDataset`` batches itself. A
subclass implements ``__len__`` (the number of batches) and ``__getitem__(index)``
(one complete batch: ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``),
and may implement ``on_epoch_begin``/``on_epoch_end`` to change the data between
epochs. This is how data that does not fit in memory, or that is generated or
augmented on the fly, is fed to a model. :class:`descend.models.data_adapter.PyDatasetBatches`
turns one into the batches of an epoch.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Iterator
from typing import Any


class PyDataset:
    """Base class for data sets that produce whole batches (Keras's ``keras.utils.PyDataset``).

    Parameters
    ----------
    workers : int, default 1
        Number of workers Keras would use to fetch batches in parallel. descend
        fetches batches in the training loop's thread; the value is kept so that
        Keras code that passes it runs unchanged.
    use_multiprocessing : bool, default False
        Whether Keras would fetch batches in separate processes (kept, see ``workers``).
    max_queue_size : int, default 10
        How many batches Keras would prefetch (kept, see ``workers``).

    Notes
    -----
    Subclasses must call ``super().__init__(**kwargs)``; otherwise reading
    ``workers`` warns (as in Keras) and the defaults are used.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.utils import PyDataset
    >>> class Batches(PyDataset):
    ...     def __init__(self, x, y, batch_size, **kwargs):
    ...         super().__init__(**kwargs)
    ...         self.x, self.y, self.batch_size = x, y, batch_size
    ...     def __len__(self):
    ...         return -(-len(self.x) // self.batch_size)
    ...     def __getitem__(self, idx):
    ...         s = slice(idx * self.batch_size, (idx + 1) * self.batch_size)
    ...         return self.x[s], self.y[s]
    >>> ds = Batches(np.zeros((10, 3)), np.zeros(10), batch_size=4)
    >>> ds.num_batches, [len(bx) for bx, _ in ds]
    (3, [4, 4, 2])
    """

    def __init__(self, workers: int = 1, use_multiprocessing: bool = False,
                 max_queue_size: int = 10) -> None:
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size

    def _warn_if_super_not_called(self) -> None:
        missing = [name for name in ("_workers", "_use_multiprocessing", "_max_queue_size")
                   if not hasattr(self, name)]
        if not missing:
            return
        self._workers = getattr(self, "_workers", 1)
        self._use_multiprocessing = getattr(self, "_use_multiprocessing", False)
        self._max_queue_size = getattr(self, "_max_queue_size", 10)
        warnings.warn(
            f"{type(self).__name__}: a PyDataset subclass should call "
            "`super().__init__(**kwargs)` in its constructor (kwargs may include `workers`, "
            "`use_multiprocessing`, `max_queue_size`); using the defaults.",
            stacklevel=3,
        )

    @property
    def workers(self) -> int:
        """Number of parallel workers requested (``workers`` argument)."""
        self._warn_if_super_not_called()
        return self._workers

    @workers.setter
    def workers(self, value: int) -> None:
        self._workers = value

    @property
    def use_multiprocessing(self) -> bool:
        """Whether process-based workers were requested."""
        self._warn_if_super_not_called()
        return self._use_multiprocessing

    @use_multiprocessing.setter
    def use_multiprocessing(self, value: bool) -> None:
        self._use_multiprocessing = value

    @property
    def max_queue_size(self) -> int:
        """Number of batches to prefetch requested."""
        self._warn_if_super_not_called()
        return self._max_queue_size

    @max_queue_size.setter
    def max_queue_size(self, value: int) -> None:
        self._max_queue_size = value

    def __getitem__(self, index: int) -> Any:
        """Return the batch at position ``index`` (subclasses implement this)."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement __getitem__(self, index), returning one "
            "batch: x, (x,), (x, y) or (x, y, sample_weight)."
        )

    @property
    def num_batches(self) -> int | None:
        """Number of batches per epoch: ``len(self)``; ``None`` means endless."""
        if hasattr(self, "__len__"):
            return len(self)  # type: ignore[arg-type]
        raise NotImplementedError(
            f"{type(self).__name__} must implement __len__ (the number of batches) or the "
            "`num_batches` property."
        )

    def __iter__(self) -> Iterator[Any]:
        """Yield the batches in order (endlessly when ``num_batches`` is None)."""
        try:
            count = self.num_batches
        except NotImplementedError:
            count = None
        indices = itertools.count() if count is None else range(count)
        for index in indices:
            yield self[index]

    def on_epoch_begin(self) -> None:
        """Called by the training loop before the first batch of every epoch."""

    def on_epoch_end(self) -> None:
        """Called by the training loop after the last batch of every epoch."""


__all__ = ["PyDataset"]
