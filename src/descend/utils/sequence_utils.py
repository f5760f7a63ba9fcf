"""``pad_sequences`` and ``timeseries_dataset_from_array`` (``keras.utils`` names).

descend has no ``tf.data``: :func:`timeseries_dataset_from_array` returns a
:class:`TimeseriesDataset`, a :class:`~descend.utils.PyDataset` whose batches are
NumPy arrays ``(x, y)`` (or ``x`` without targets); iterate it or pass it to
``Model.fit``/``evaluate``/``predict``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend import random as descend_random
from descend.utils.py_dataset import PyDataset

__all__ = ["TimeseriesDataset", "pad_sequences", "timeseries_dataset_from_array"]


def pad_sequences(sequences: Any, maxlen: int | None = None, dtype: Any = "int32",
                  padding: str = "pre", truncating: str = "pre", value: Any = 0.0) -> np.ndarray:
    """Pad (and truncate) sequences to the same length, as ``keras.utils.pad_sequences``.

    Parameters
    ----------
    sequences : list of sequences
        Each a list/array of scalars (or of equal-shaped arrays).
    maxlen : int, optional
        Output length; default the longest sequence's length.
    dtype : str or dtype, default "int32"
    padding : {"pre", "post"}, default "pre"
        Pad before or after each sequence.
    truncating : {"pre", "post"}, default "pre"
        Drop values from the start or the end of sequences longer than ``maxlen``.
    value : number or str, default 0.0
        Padding value.

    Returns
    -------
    ndarray, shape (len(sequences), maxlen, *sample_shape)

    Examples
    --------
    >>> pad_sequences([[1, 2, 3], [4]], maxlen=2).tolist()
    [[2, 3], [0, 4]]
    >>> pad_sequences([[1], [2, 3]], padding="post", value=-1).tolist()
    [[1, -1], [2, 3]]
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError("pad_sequences: `sequences` must be iterable (a list of sequences).")
    if padding not in ("pre", "post"):
        raise ValueError(f'pad_sequences: padding type "{padding}" not understood; use "pre" '
                         'or "post".')
    if truncating not in ("pre", "post"):
        raise ValueError(f'pad_sequences: truncating type "{truncating}" not understood; use '
                         '"pre" or "post".')
    if maxlen is not None and (isinstance(maxlen, bool) or int(maxlen) != maxlen or maxlen < 0):
        raise ValueError(f"pad_sequences: `maxlen` must be a non-negative int or None, "
                         f"received {maxlen!r}.")
    lengths, sample_shape, flag = [], (), True
    for x in sequences:
        try:
            lengths.append(len(x))
            if flag and len(x):
                sample_shape = np.asarray(x).shape[1:]
                flag = False
        except TypeError as error:
            raise ValueError("pad_sequences: `sequences` must be a list of iterables. Found "
                             f"non-iterable: {x!r}") from error
    if maxlen is None:
        maxlen = max(lengths, default=0)
    kind = np.dtype(dtype).kind
    if kind not in "SUO" and isinstance(value, str):
        raise ValueError(f"pad_sequences: `dtype` {dtype} is not compatible with `value`'s type "
                         f"{type(value)}. Use dtype=object for string padding values.")
    out = np.full((len(sequences), int(maxlen), *sample_shape), value, dtype=dtype)
    for i, s in enumerate(sequences):
        if not len(s) or not maxlen:
            continue
        kept = s[-maxlen:] if truncating == "pre" else s[:maxlen]
        try:
            trunc = np.asarray(kept, dtype=dtype)
        except (TypeError, ValueError):
            raise ValueError(
                f"pad_sequences: sequence at position {i} holds values that are not "
                f"{np.dtype(dtype).name} (first values {list(kept[:3])!r}). Map tokens to "
                "integer ids first (e.g. with TextVectorization or StringLookup), or pass "
                "dtype=object."
            ) from None
        if trunc.shape[1:] != sample_shape:
            raise ValueError(f"pad_sequences: shape of sample {trunc.shape[1:]} of sequence at "
                             f"position {i} is different from expected shape {sample_shape}.")
        if padding == "post":
            out[i, :len(trunc)] = trunc
        else:
            out[i, -len(trunc):] = trunc
    return out


class TimeseriesDataset(PyDataset):
    """Batches of sliding windows over an array (see :func:`timeseries_dataset_from_array`).

    ``len(dataset)`` is the number of batches; ``dataset[i]`` is batch ``i``: ``(x, y)``
    with ``x`` ``(batch, sequence_length, *data.shape[1:])``, or ``x`` alone without
    targets (with ``batch_size=None``, single windows).
    """

    def __init__(self, data: np.ndarray, targets: np.ndarray | None, windows: np.ndarray,
                 starts: np.ndarray, batch_size: int | None) -> None:
        super().__init__()
        self.data, self.targets = data, targets
        self.windows, self.starts, self.batch_size = windows, starts, batch_size

    def __len__(self) -> int:
        if self.batch_size is None:
            return len(self.starts)
        return -(-len(self.starts) // self.batch_size)

    def __getitem__(self, index: int) -> Any:
        if not -len(self) <= index < len(self):
            raise IndexError(f"TimeseriesDataset: batch {index} out of range ({len(self)}).")
        index %= len(self)
        if self.batch_size is None:
            pick = slice(index, index + 1)
        else:
            pick = slice(index * self.batch_size, (index + 1) * self.batch_size)
        x = self.data[self.windows[pick]]
        y = None if self.targets is None else self.targets[self.starts[pick]]
        if self.batch_size is None:
            x = x[0]
            y = None if y is None else y[0]
        return x if y is None else (x, y)


def timeseries_dataset_from_array(data: Any, targets: Any, sequence_length: int,
                                  sequence_stride: int = 1, sampling_rate: int = 1,
                                  batch_size: int | None = 128, shuffle: bool = False,
                                  seed: int | None = None, start_index: int | None = None,
                                  end_index: int | None = None) -> TimeseriesDataset:
    """Sliding windows over a time series, batched, as ``keras.utils`` computes them.

    Window ``i`` starts at ``start_index + p_i`` with ``p_i = i * sequence_stride`` and
    holds ``data[start + j * sampling_rate]`` for ``j < sequence_length``; its target is
    ``targets[start_index + p_i]``. The number of windows is
    ``end_index - start_index - (sequence_length - 1) * sampling_rate`` (at most
    ``len(targets)``) start positions stepped by ``sequence_stride``.

    Parameters
    ----------
    data : array-like, shape (steps, ...)
    targets : array-like or None
        One target per step; None yields ``x`` only.
    sequence_length : int
    sequence_stride : int, default 1
    sampling_rate : int, default 1
    batch_size : int or None, default 128
        None yields single windows.
    shuffle : bool, default False
        Shuffle the windows' order once (``np.random.RandomState(seed)``, Keras's first
        shuffle; Keras then also shuffles within a buffer with tf.data, which descend
        does not have).
    seed : int, optional
    start_index, end_index : int, optional
        Use ``data[start_index:end_index]`` only.

    Returns
    -------
    TimeseriesDataset
        Iterable of ``(x, y)`` NumPy batches (no ``tf.data``); accepted by ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> ds = timeseries_dataset_from_array(np.arange(10), np.arange(10), 3, batch_size=4)
    >>> x, y = ds[0]
    >>> x.tolist(), y.tolist()
    ([[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5]], [0, 1, 2, 3])
    """
    data = np.asarray(data)
    n = len(data)
    owner = "timeseries_dataset_from_array"
    if start_index:
        if start_index < 0 or start_index >= n:
            raise ValueError(f"{owner}: `start_index` must be in [0, {n}), received "
                             f"start_index={start_index}.")
    if end_index:
        if start_index and end_index <= start_index:
            raise ValueError(f"{owner}: `end_index` must be higher than `start_index`. "
                             f"Received: start_index={start_index}, end_index={end_index}.")
        if end_index >= n or end_index <= 0:
            raise ValueError(f"{owner}: `end_index` must be in (0, {n}), received "
                             f"end_index={end_index}.")
    for name, value in (("sampling_rate", sampling_rate), ("sequence_stride", sequence_stride)):
        if value <= 0 or value >= n:
            raise ValueError(f"{owner}: `{name}` must be in (0, {n}) for data of length {n}, "
                             f"received {name}={value}.")
    if sequence_length <= 0:
        raise ValueError(f"{owner}: `sequence_length` must be positive, received "
                         f"{sequence_length}.")
    if batch_size is not None and batch_size <= 0:
        raise ValueError(f"{owner}: `batch_size` must be positive or None, received "
                         f"{batch_size}.")
    start = start_index or 0
    end = n if end_index is None else end_index
    count = end - start - (sequence_length - 1) * sampling_rate
    target_array = None
    if targets is not None:
        target_array = np.asarray(targets)
        count = min(count, len(target_array))
    positions = np.arange(0, max(count, 0), sequence_stride)
    if shuffle:
        if seed is None:
            seed = int(descend_random.generator().integers(1_000_000))
        np.random.RandomState(seed).shuffle(positions)
    windows = start + positions[:, None] + np.arange(sequence_length)[None] * sampling_rate
    return TimeseriesDataset(data, target_array, windows, start + positions, batch_size)
