"""Correlation metrics: Pearson's and Lin's concordance correlation coefficient.

Both are computed per sample over ``axis`` (the features of one sample, by
default) and averaged over the samples seen, as in Keras 3.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend import config
from descend.losses import squeeze_or_expand_to_same_rank
from descend.metrics.metric import MeanMetricWrapper, as_array


def _pair(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(as_array(y_pred), dtype=np.float64)
    t = np.asarray(as_array(y_true), dtype=np.float64)
    return squeeze_or_expand_to_same_rank(t, p)


def pearson_correlation(y_true: Any, y_pred: Any, axis: int = -1) -> np.ndarray:
    """Pearson correlation of ``y_true`` and ``y_pred`` along ``axis``.

    Parameters
    ----------
    y_true, y_pred : array_like, shape (N, D)
    axis : int, default -1

    Returns
    -------
    ndarray, shape (N,)

    Examples
    --------
    >>> pearson_correlation([[1.0, 2.0, 3.0]], [[2.0, 4.0, 7.0]]).round(4).tolist()
    [0.9934]
    """
    t, p = _pair(y_true, y_pred)
    t = t - t.mean(axis=axis, keepdims=True)
    p = p - p.mean(axis=axis, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = t / t.std(axis=axis, keepdims=True)
        p = p / p.std(axis=axis, keepdims=True)
    return np.mean(t * p, axis=axis)


def concordance_correlation(y_true: Any, y_pred: Any, axis: int = -1) -> np.ndarray:
    """Concordance correlation along ``axis``, with Keras 3's formula.

    ``mean(2 (t - mean(p)) (p - mean(p))) / (var(t) + var(p) + (mean(t) - mean(p))^2 + eps)``.
    Keras centres ``y_true`` on the mean of ``y_pred`` in the covariance term
    (Lin's coefficient uses the mean of ``y_true``); descend follows Keras so that
    values agree.

    Parameters
    ----------
    y_true, y_pred : array_like, shape (N, D)
    axis : int, default -1

    Returns
    -------
    ndarray, shape (N,)

    Examples
    --------
    >>> concordance_correlation([[1.0, 2.0, 3.0]], [[1.0, 2.0, 3.0]]).round(4).tolist()
    [1.0]
    """
    t, p = _pair(y_true, y_pred)
    t_mean = t.mean(axis=axis, keepdims=True)
    p_mean = p.mean(axis=axis, keepdims=True)
    norm = t.var(axis=axis, keepdims=True) + p.var(axis=axis, keepdims=True) + \
        (t_mean - p_mean) ** 2
    covar = (t - p_mean) * (p - p_mean)
    return np.mean(2 * covar / (norm + config.epsilon()), axis=axis)


class PearsonCorrelation(MeanMetricWrapper):
    """Mean of :func:`pearson_correlation` over the samples seen.

    Parameters
    ----------
    name : str, default "pearson_correlation"
    dtype : str, optional
    axis : int, default -1

    Examples
    --------
    >>> m = PearsonCorrelation()
    >>> m.update_state([[1.0, 2.0, 3.0]], [[3.0, 2.0, 1.0]]); round(m.result(), 4)
    -1.0
    """

    _direction = "up"

    def __init__(self, name: str = "pearson_correlation", dtype: Any = None,
                 axis: int = -1) -> None:
        super().__init__(pearson_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}


class ConcordanceCorrelation(MeanMetricWrapper):
    """Mean of :func:`concordance_correlation` over the samples seen.

    Parameters
    ----------
    name : str, default "concordance_correlation"
    dtype : str, optional
    axis : int, default -1

    Examples
    --------
    >>> m = ConcordanceCorrelation()
    >>> m.update_state([[1.0, 2.0, 3.0]], [[1.0, 2.0, 3.0]]); round(m.result(), 4)
    1.0
    """

    _direction = "up"

    def __init__(self, name: str = "concordance_correlation", dtype: Any = None,
                 axis: int = -1) -> None:
        super().__init__(concordance_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}
