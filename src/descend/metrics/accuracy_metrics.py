"""Accuracy metrics: exact match, binary, categorical, sparse categorical and top-k.

The functions return per-sample matches (1.0 or 0.0) as NumPy arrays, computed
with a few vectorised NumPy calls; the classes average them over an epoch.
All declare ``_direction = "up"``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend import config
from descend.losses import squeeze_or_expand_to_same_rank
from descend.metrics.metric import MeanMetricWrapper, as_array


def _matches(x: np.ndarray) -> np.ndarray:
    return x.astype(config.floatx())


def accuracy(y_true: Any, y_pred: Any) -> np.ndarray:
    """Elementwise exact equality ``y_true == y_pred`` as 1.0/0.0.

    Parameters
    ----------
    y_true, y_pred : array_like, same shape (up to a trailing 1)

    Returns
    -------
    ndarray

    Examples
    --------
    >>> accuracy([1, 2, 3], [1, 2, 4])
    array([1., 1., 0.], dtype=float32)
    """
    t, p = squeeze_or_expand_to_same_rank(as_array(y_true), as_array(y_pred))
    return _matches(t == p)


def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> np.ndarray:
    """Match of ``y_true`` with ``y_pred > threshold``, averaged over the last axis.

    The threshold is 0.5 even for a logits output (as in Keras); pass
    ``threshold=0.0`` for logits.

    Parameters
    ----------
    y_true : array_like, shape (N, D) or (N,)
        0/1 labels.
    y_pred : array_like, shape (N, D)
    threshold : float, default 0.5

    Returns
    -------
    ndarray, shape (N,)

    Examples
    --------
    >>> binary_accuracy([[1], [0], [1]], [[0.9], [0.2], [0.4]])
    array([1., 1., 0.], dtype=float32)
    """
    t, p = squeeze_or_expand_to_same_rank(as_array(y_true), as_array(y_pred))
    hits = _matches(t == (p > threshold))
    return hits.mean(axis=-1) if hits.ndim > 1 else hits


def categorical_accuracy(y_true: Any, y_pred: Any) -> np.ndarray:
    """Match of ``argmax(y_true)`` with ``argmax(y_pred)`` (one-hot labels).

    Parameters
    ----------
    y_true : array_like, shape (N, K)
    y_pred : array_like, shape (N, K)

    Returns
    -------
    ndarray, shape (N,)

    Examples
    --------
    >>> categorical_accuracy([[0, 1], [1, 0]], [[0.3, 0.7], [0.4, 0.6]])
    array([1., 0.], dtype=float32)
    """
    t, p = as_array(y_true), as_array(y_pred)
    ids = np.argmax(t, axis=-1)
    if ids.ndim == p.ndim and ids.ndim and ids.shape[-1] == 1:
        ids = ids[..., 0]
    return _matches(ids == np.argmax(p, axis=-1))


def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> np.ndarray:
    """Match of integer labels with ``argmax(y_pred)``.

    Parameters
    ----------
    y_true : array_like, shape (N,) or (N, 1)
        Class ids.
    y_pred : array_like, shape (N, K)

    Returns
    -------
    ndarray, shape (N,)

    Examples
    --------
    >>> sparse_categorical_accuracy([1, 0], [[0.3, 0.7], [0.4, 0.6]])
    array([1., 0.], dtype=float32)
    """
    t, p = as_array(y_true), as_array(y_pred)
    if t.ndim == p.ndim and t.ndim and t.shape[-1] == 1:
        t = t[..., 0]
    return _matches(t == np.argmax(p, axis=-1))


def _in_top_k(ids: np.ndarray, p: np.ndarray, k: int) -> np.ndarray:
    """Whether each id's score is at least the k-th largest score of its row (ties count)."""
    n_classes = p.shape[-1]
    rows = p.reshape(-1, n_classes)
    flat = ids.reshape(-1).astype(np.intp)
    if k >= n_classes:
        return _matches(np.ones(ids.shape, bool))
    kth = np.partition(rows, n_classes - k, axis=-1)[:, n_classes - k]
    target = rows[np.arange(rows.shape[0]), flat]
    return _matches(target >= kth).reshape(ids.shape)


def top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> np.ndarray:
    """Whether the true class (``argmax(y_true)``) is among the ``k`` highest scores.

    Parameters
    ----------
    y_true : array_like, shape (N, K)
        One-hot labels.
    y_pred : array_like, shape (N, K)
    k : int, default 5

    Returns
    -------
    ndarray, shape (N,)

    Examples
    --------
    >>> top_k_categorical_accuracy([[0, 0, 1], [0, 1, 0]], [[0.1, 0.5, 0.4], [0.5, 0.1, 0.4]], k=2)
    array([1., 0.], dtype=float32)
    """
    return _in_top_k(np.argmax(as_array(y_true), axis=-1), as_array(y_pred), k)


def sparse_top_k_categorical_accuracy(
    y_true: Any, y_pred: Any, k: int = 5, from_sorted_ids: bool = False
) -> np.ndarray:
    """Whether the integer label is among the ``k`` highest scores.

    Parameters
    ----------
    y_true : array_like, shape (N,) or (N, 1)
    y_pred : array_like, shape (N, K)
        Scores, or (with ``from_sorted_ids``) class ids sorted by decreasing score.
    k : int, default 5
    from_sorted_ids : bool, default False

    Returns
    -------
    ndarray, shape (N,)

    Examples
    --------
    >>> sparse_top_k_categorical_accuracy([2, 1], [[0.1, 0.5, 0.4], [0.5, 0.1, 0.4]], k=2)
    array([1., 0.], dtype=float32)
    """
    t, p = as_array(y_true), as_array(y_pred)
    if t.ndim == p.ndim and t.ndim and t.shape[-1] == 1:
        t = t[..., 0]
    if from_sorted_ids:
        return _matches(np.any(p[..., :k] == t[..., None], axis=-1))
    return _in_top_k(t, p, k)


class _AccuracyMetric(MeanMetricWrapper):
    _direction = "up"


class Accuracy(_AccuracyMetric):
    """How often predictions equal labels exactly; see :func:`accuracy`.

    Parameters
    ----------
    name : str, default "accuracy"
    dtype : str, optional

    Examples
    --------
    >>> m = Accuracy()
    >>> m.update_state([[1], [2]], [[1], [3]]); m.result()
    0.5
    """

    def __init__(self, name: str = "accuracy", dtype: Any = None) -> None:
        super().__init__(accuracy, name=name, dtype=dtype)


class BinaryAccuracy(_AccuracyMetric):
    """How often ``y_pred > threshold`` matches 0/1 labels; see :func:`binary_accuracy`.

    Parameters
    ----------
    name : str, default "binary_accuracy"
    dtype : str, optional
    threshold : float, default 0.5

    Examples
    --------
    >>> m = BinaryAccuracy()
    >>> m.update_state([0, 1, 1, 1], [[0.2], [0.8], [0.4], [0.9]]); m.result()
    0.75
    """

    def __init__(self, name: str = "binary_accuracy", dtype: Any = None,
                 threshold: float = 0.5) -> None:
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
            raise TypeError(f"BinaryAccuracy: threshold must be a float, received {threshold!r}.")
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Accumulate one batch (a fast path for one output unit)."""
        if (sample_weight is None and type(y_true) is np.ndarray and type(y_pred) is np.ndarray
                and y_pred.ndim == 2 and y_pred.shape[1] == 1
                and y_true.size == y_pred.shape[0]):
            hits = np.count_nonzero(y_true.reshape(-1) == (y_pred.reshape(-1) > self.threshold))
            self.total += float(hits)
            self.count += y_pred.shape[0]
            return
        super().update_state(y_true, y_pred, sample_weight=sample_weight)


class CategoricalAccuracy(_AccuracyMetric):
    """How often ``argmax(y_pred)`` matches one-hot labels; see :func:`categorical_accuracy`.

    Parameters
    ----------
    name : str, default "categorical_accuracy"
    dtype : str, optional

    Examples
    --------
    >>> m = CategoricalAccuracy()
    >>> m.update_state([[0, 1], [1, 0]], [[0.3, 0.7], [0.9, 0.1]]); m.result()
    1.0
    """

    def __init__(self, name: str = "categorical_accuracy", dtype: Any = None) -> None:
        super().__init__(categorical_accuracy, name=name, dtype=dtype)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Accumulate one batch (a fast path for (N, K) labels and predictions)."""
        if (sample_weight is None and type(y_true) is np.ndarray and type(y_pred) is np.ndarray
                and y_pred.ndim == 2 and y_true.shape == y_pred.shape):
            hits = np.count_nonzero(y_true.argmax(axis=-1) == y_pred.argmax(axis=-1))
            self.total += float(hits)
            self.count += y_pred.shape[0]
            return
        super().update_state(y_true, y_pred, sample_weight=sample_weight)


class SparseCategoricalAccuracy(_AccuracyMetric):
    """How often ``argmax(y_pred)`` matches integer labels.

    See :func:`sparse_categorical_accuracy`.

    Parameters
    ----------
    name : str, default "sparse_categorical_accuracy"
    dtype : str, optional

    Examples
    --------
    >>> m = SparseCategoricalAccuracy()
    >>> m.update_state([1, 1], [[0.3, 0.7], [0.9, 0.1]]); m.result()
    0.5
    """

    def __init__(self, name: str = "sparse_categorical_accuracy", dtype: Any = None) -> None:
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Accumulate one batch (a three-call fast path for the common layout)."""
        if (sample_weight is None and type(y_true) is np.ndarray and type(y_pred) is np.ndarray
                and y_pred.ndim == 2 and y_true.size == y_pred.shape[0]):
            hits = np.count_nonzero(y_true.reshape(-1) == y_pred.argmax(axis=-1))
            self.total += float(hits)
            self.count += y_pred.shape[0]
            return
        super().update_state(y_true, y_pred, sample_weight=sample_weight)


def _check_k(k: Any, who: str) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"{who}: k must be a positive int, received k={k!r}.")
    return int(k)


class TopKCategoricalAccuracy(_AccuracyMetric):
    """How often the true class is among the ``k`` top scores (one-hot labels).

    Parameters
    ----------
    k : int, default 5
    name : str, default "top_k_categorical_accuracy"
    dtype : str, optional

    Examples
    --------
    >>> m = TopKCategoricalAccuracy(k=1)
    >>> m.update_state([[0, 1], [1, 0]], [[0.3, 0.7], [0.4, 0.6]]); m.result()
    0.5
    """

    def __init__(self, k: int = 5, name: str = "top_k_categorical_accuracy",
                 dtype: Any = None) -> None:
        self.k = _check_k(k, "TopKCategoricalAccuracy")
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=self.k)


class SparseTopKCategoricalAccuracy(_AccuracyMetric):
    """How often the integer label is among the ``k`` top scores.

    Parameters
    ----------
    k : int, default 5
    name : str, default "sparse_top_k_categorical_accuracy"
    dtype : str, optional
    from_sorted_ids : bool, default False

    Examples
    --------
    >>> m = SparseTopKCategoricalAccuracy(k=1)
    >>> m.update_state([1, 1], [[0.3, 0.7], [0.4, 0.6]]); m.result()
    1.0
    """

    def __init__(self, k: int = 5, name: str = "sparse_top_k_categorical_accuracy",
                 dtype: Any = None, from_sorted_ids: bool = False) -> None:
        self.k = _check_k(k, "SparseTopKCategoricalAccuracy")
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=self.k,
                         from_sorted_ids=bool(from_sorted_ids))
