"""Regression metrics: MSE, RMSE, MAE, MAPE, MSLE, log-cosh error, cosine similarity.

Most are the epoch mean of the matching loss function of
:mod:`descend.losses` (evaluated without a graph); ``_direction`` is ``"down"``
except for ``CosineSimilarity`` (``"up"``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from descend import losses
from descend.losses import squeeze_or_expand_to_same_rank
from descend.metrics.metric import Mean, MeanMetricWrapper, as_array


class MeanSquaredError(MeanMetricWrapper):
    """Mean of ``mean((y_true - y_pred)^2, axis=-1)`` over the samples.

    Parameters
    ----------
    name : str, default "mean_squared_error"
    dtype : str, optional

    Examples
    --------
    >>> m = MeanSquaredError()
    >>> m.update_state([[0.0], [1.0]], [[1.0], [1.0]]); m.result()
    0.5
    """

    _direction = "down"

    def __init__(self, name: str = "mean_squared_error", dtype: Any = None) -> None:
        super().__init__(losses.mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    """Mean of ``mean(|y_true - y_pred|, axis=-1)`` over the samples.

    Parameters
    ----------
    name : str, default "mean_absolute_error"
    dtype : str, optional

    Examples
    --------
    >>> m = MeanAbsoluteError()
    >>> m.update_state([[0.0], [1.0]], [[2.0], [1.0]]); m.result()
    1.0
    """

    _direction = "down"

    def __init__(self, name: str = "mean_absolute_error", dtype: Any = None) -> None:
        super().__init__(losses.mean_absolute_error, name=name, dtype=dtype)


class MeanAbsolutePercentageError(MeanMetricWrapper):
    """Mean absolute percentage error; see :func:`descend.losses.mean_absolute_percentage_error`.

    Parameters
    ----------
    name : str, default "mean_absolute_percentage_error"
    dtype : str, optional

    Examples
    --------
    >>> m = MeanAbsolutePercentageError()
    >>> m.update_state([[4.0]], [[3.0]]); m.result()
    25.0
    """

    _direction = "down"

    def __init__(self, name: str = "mean_absolute_percentage_error", dtype: Any = None) -> None:
        super().__init__(losses.mean_absolute_percentage_error, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(MeanMetricWrapper):
    """Mean squared logarithmic error; see :func:`descend.losses.mean_squared_logarithmic_error`.

    Parameters
    ----------
    name : str, default "mean_squared_logarithmic_error"
    dtype : str, optional

    Examples
    --------
    >>> m = MeanSquaredLogarithmicError()
    >>> m.update_state([[1.0]], [[1.0]]); m.result()
    0.0
    """

    _direction = "down"

    def __init__(self, name: str = "mean_squared_logarithmic_error", dtype: Any = None) -> None:
        super().__init__(losses.mean_squared_logarithmic_error, name=name, dtype=dtype)


class LogCoshError(MeanMetricWrapper):
    """Mean of ``log(cosh(y_pred - y_true))``; see :func:`descend.losses.log_cosh`.

    Parameters
    ----------
    name : str, default "logcosh"
    dtype : str, optional

    Examples
    --------
    >>> m = LogCoshError()
    >>> m.update_state([[0.0]], [[0.0]]); m.result()
    0.0
    """

    _direction = "down"

    def __init__(self, name: str = "logcosh", dtype: Any = None) -> None:
        super().__init__(losses.log_cosh, name=name, dtype=dtype)


class RootMeanSquaredError(Mean):
    """``sqrt`` of the mean squared error over all values seen.

    Parameters
    ----------
    name : str, default "root_mean_squared_error"
    dtype : str, optional

    Examples
    --------
    >>> m = RootMeanSquaredError()
    >>> m.update_state([[0.0], [0.0]], [[3.0], [4.0]]); round(m.result(), 4)
    3.5355
    """

    _direction = "down"

    def __init__(self, name: str = "root_mean_squared_error", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Add the squared errors of one batch."""
        t, p = squeeze_or_expand_to_same_rank(as_array(y_true), as_array(y_pred))
        error = np.asarray(p, dtype=np.float64) - t
        super().update_state(error * error, sample_weight=sample_weight)

    def result(self) -> float:
        return math.sqrt(super().result())


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> np.ndarray:
    """Cosine of the angle between label and prediction vectors along ``axis``.

    ``sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)`` (the metric is
    positive; the loss of the same name is its negative).

    Parameters
    ----------
    y_true, y_pred : array_like, shape (N, D)
    axis : int, default -1

    Returns
    -------
    ndarray, shape (N,)

    Examples
    --------
    >>> cosine_similarity([[1.0, 0.0]], [[1.0, 1.0]]).round(4)
    array([0.7071])
    """
    t, p = squeeze_or_expand_to_same_rank(as_array(y_true), as_array(y_pred))
    t, p = np.asarray(t, dtype=np.float64), np.asarray(p, dtype=np.float64)
    eps2 = 1e-14
    t = t / np.sqrt(np.maximum(np.sum(t * t, axis=axis, keepdims=True), eps2))
    p = p / np.sqrt(np.maximum(np.sum(p * p, axis=axis, keepdims=True), eps2))
    return np.sum(t * p, axis=axis)


class CosineSimilarity(MeanMetricWrapper):
    """Mean cosine similarity between labels and predictions; see :func:`cosine_similarity`.

    Parameters
    ----------
    name : str, default "cosine_similarity"
    dtype : str, optional
    axis : int, default -1

    Examples
    --------
    >>> m = CosineSimilarity()
    >>> m.update_state([[0.0, 1.0]], [[0.0, 2.0]]); m.result()
    1.0
    """

    _direction = "up"

    def __init__(self, name: str = "cosine_similarity", dtype: Any = None,
                 axis: int = -1) -> None:
        super().__init__(cosine_similarity, name=name, dtype=dtype, axis=axis)
