"""``PyDataset``: Keras's base class for a data source that returns whole batches.

Subclass it, implement ``__len__`` (the number of batches) and ``__getitem__(index)``
(batch ``index`` as ``x``, ``(x, y)`` or ``(x, y, sample_weight)`` of NumPy arrays),
optionally ``on_epoch_begin``/``on_epoch_end``, and pass an instance to
``Model.fit``/``evaluate``/``predict`` (without ``y`` and ``batch_size``).

``workers``, ``use_multiprocessing`` and ``max_queue_size``: Keras uses them to load
batches in parallel threads or processes. descend accepts and stores them, and
always reads batches **in the main thread, one after the other, in index order**
(single-process iteration): the results equal Keras's with ``workers=1``, and a
``__getitem__`` that is slow makes training slow rather than being hidden behind a
queue. Shuffling between epochs is the dataset's own business (reorder in
``on_epoch_end``), as in Keras.
"""

from __future__ import annotations

from typing import Any

__all__ = ["PyDataset"]


class PyDataset:
    """Base class for batch-returning data sets (see the module docstring).

    Parameters
    ----------
    workers : int, default 1
        Accepted for Keras compatibility; batches are read in the main thread.
    use_multiprocessing : bool, default False
        Accepted for Keras compatibility; no process is started.
    max_queue_size : int, default 10
        Accepted for Keras compatibility; there is no queue.

    Examples
    --------
    >>> import numpy as np
    >>> class Batches(PyDataset):
    ...     def __init__(self, x, y, batch_size, **kwargs):
    ...         super().__init__(**kwargs)
    ...         self.x, self.y, self.batch_size = x, y, batch_size
    ...     def __len__(self):
    ...         return -(-len(self.x) // self.batch_size)
    ...     def __getitem__(self, i):
    ...         s = slice(i * self.batch_size, (i + 1) * self.batch_size)
    ...         return self.x[s], self.y[s]
    >>> ds = Batches(np.zeros((10, 2)), np.zeros(10), batch_size=4)
    >>> len(ds), ds[2][0].shape
    (3, (2, 2))
    """

    def __init__(self, workers: int = 1, use_multiprocessing: bool = False,
                 max_queue_size: int = 10) -> None:
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size

    @property
    def workers(self) -> int:
        """The ``workers`` argument (batches are still read in the main thread)."""
        return self._workers

    @property
    def use_multiprocessing(self) -> bool:
        """The ``use_multiprocessing`` argument (no process is started)."""
        return self._use_multiprocessing

    @property
    def max_queue_size(self) -> int:
        """The ``max_queue_size`` argument (there is no queue)."""
        return self._max_queue_size

    def __getitem__(self, index: int) -> Any:
        """Batch ``index``: ``x``, ``(x, y)`` or ``(x, y, sample_weight)``."""
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__(index).")

    def __len__(self) -> int:
        """Number of batches in an epoch."""
        raise NotImplementedError(f"{type(self).__name__} must implement __len__().")

    @property
    def num_batches(self) -> int | None:
        """``len(self)`` (Keras's property; None when the length is not defined)."""
        try:
            return len(self)
        except (NotImplementedError, TypeError):
            return None

    def on_epoch_begin(self) -> None:
        """Called before each epoch of ``fit``."""

    def on_epoch_end(self) -> None:
        """Called after each epoch of ``fit`` (reshuffle here)."""

    def __iter__(self) -> Any:
        for i in range(len(self)):
            yield self[i]
