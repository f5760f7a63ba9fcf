"""Confusion-matrix metrics: counts, precision, recall and the area under a curve.

A prediction is *positive* at threshold ``t`` when ``y_pred > t``; a label is
positive when nonzero. Counts are accumulated per threshold with one sort-free
pass (``searchsorted`` into the thresholds and a reverse cumulative sum), so a
batch costs a few NumPy calls whatever the number of thresholds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from descend.losses import squeeze_or_expand_to_same_rank
from descend.metrics.metric import Metric, as_array


def _thresholds(thresholds: Any, default: float, who: str) -> tuple[np.ndarray, bool]:
    """Validated thresholds as a sorted array, and whether a single value was given."""
    if thresholds is None:
        return np.array([default]), True
    single = np.ndim(thresholds) == 0
    values = np.atleast_1d(np.asarray(thresholds, dtype=np.float64))
    if values.size == 0 or not np.all(np.isfinite(values) | (values == -np.inf)):
        raise ValueError(f"{who}: thresholds must be finite numbers, received {thresholds!r}.")
    if np.any(np.diff(values) < 0):
        raise ValueError(f"{who}: thresholds must be sorted in increasing order.")
    return values, single


def _confusion(
    y_true: Any, y_pred: Any, thresholds: np.ndarray, sample_weight: Any,
    class_id: int | None = None, top_k: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Weighted (tp, fp, tn, fn) for each threshold."""
    t, p = squeeze_or_expand_to_same_rank(as_array(y_true), as_array(y_pred))
    p = np.asarray(p, dtype=np.float64)
    t = np.broadcast_to(np.asarray(t) != 0, p.shape)
    w = np.ones(p.shape) if sample_weight is None else np.asarray(
        as_array(sample_weight), dtype=np.float64)
    if w.ndim < p.ndim:
        w = w.reshape(w.shape + (1,) * (p.ndim - w.ndim))
    w = np.broadcast_to(w, p.shape)
    if top_k is not None:
        kth = np.partition(p, -top_k, axis=-1)[..., -top_k:-top_k + 1 or None]
        p = np.where(p >= kth, p, -np.inf)
    if class_id is not None:
        t, p, w = t[..., class_id], p[..., class_id], w[..., class_id]
    t, p, w = t.reshape(-1), p.reshape(-1), w.reshape(-1)
    bins = np.searchsorted(thresholds, p, side="left")  # thresholds strictly below p
    n_bins = thresholds.size + 1
    pos = np.bincount(bins, weights=w * t, minlength=n_bins)
    neg = np.bincount(bins, weights=w * ~t, minlength=n_bins)
    tp = pos.sum() - np.cumsum(pos)[:-1]
    fp = neg.sum() - np.cumsum(neg)[:-1]
    return tp, fp, neg.sum() - fp, pos.sum() - tp


class _ConfusionMetric(Metric):
    """Shared state: per-threshold weighted counts."""

    _default_threshold = 0.5

    def __init__(self, thresholds: Any = None, name: str | None = None, dtype: Any = None,
                 top_k: int | None = None, class_id: int | None = None) -> None:
        default = -np.inf if top_k is not None else self._default_threshold
        self._given_thresholds = thresholds
        self.thresholds, self._single = _thresholds(thresholds, default, type(self).__name__)
        if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int)
                                  or top_k < 1):
            raise ValueError(f"{type(self).__name__}: top_k must be a positive int or None, "
                             f"received top_k={top_k!r}.")
        self.top_k, self.class_id = top_k, class_id
        super().__init__(name=name, dtype=dtype)

    def reset_state(self) -> None:
        n = self.thresholds.size
        self.tp, self.fp, self.tn, self.fn = (np.zeros(n) for _ in range(4))

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Add one batch's counts."""
        tp, fp, tn, fn = _confusion(y_true, y_pred, self.thresholds, sample_weight,
                                    self.class_id, self.top_k)
        self.tp += tp
        self.fp += fp
        self.tn += tn
        self.fn += fn

    def _out(self, values: np.ndarray) -> Any:
        return float(values[0]) if self._single else [float(v) for v in values]

    def get_config(self) -> dict[str, Any]:
        out = super().get_config()
        given = self._given_thresholds
        out["thresholds"] = list(given) if isinstance(given, Sequence | np.ndarray) else given
        return out


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.divide(a, b, out=np.zeros_like(a), where=b != 0)


class Precision(_ConfusionMetric):
    """Precision ``tp / (tp + fp)`` (0 when nothing was predicted positive).

    Parameters
    ----------
    thresholds : float or list of float, optional
        Default 0.5 (or no threshold with ``top_k``); a list gives one result each.
    top_k : int, optional
        Count only each sample's ``top_k`` highest predictions as positive.
    class_id : int, optional
        Only this column of multi-label outputs.
    name : str, default "precision"
    dtype : str, optional

    Examples
    --------
    >>> m = Precision()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1]); round(m.result(), 4)
    0.6667
    """

    _direction = "up"

    def __init__(self, thresholds: Any = None, top_k: int | None = None,
                 class_id: int | None = None, name: str | None = None, dtype: Any = None) -> None:
        super().__init__(thresholds, name=name, dtype=dtype, top_k=top_k, class_id=class_id)

    def result(self) -> Any:
        return self._out(_ratio(self.tp, self.tp + self.fp))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "top_k": self.top_k, "class_id": self.class_id}


class Recall(_ConfusionMetric):
    """Recall ``tp / (tp + fn)`` (0 when there is no positive label).

    Parameters
    ----------
    thresholds : float or list of float, optional
        Default 0.5 (or no threshold with ``top_k``).
    top_k : int, optional
    class_id : int, optional
    name : str, default "recall"
    dtype : str, optional

    Examples
    --------
    >>> m = Recall()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1]); round(m.result(), 4)
    0.6667
    """

    _direction = "up"

    def __init__(self, thresholds: Any = None, top_k: int | None = None,
                 class_id: int | None = None, name: str | None = None, dtype: Any = None) -> None:
        super().__init__(thresholds, name=name, dtype=dtype, top_k=top_k, class_id=class_id)

    def result(self) -> Any:
        return self._out(_ratio(self.tp, self.tp + self.fn))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "top_k": self.top_k, "class_id": self.class_id}


class TruePositives(_ConfusionMetric):
    """Weighted count of positive labels predicted positive.

    Parameters
    ----------
    thresholds : float or list of float, default 0.5
    name : str, default "true_positives"
    dtype : str, optional

    Examples
    --------
    >>> m = TruePositives()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1]); m.result()
    2.0
    """

    def result(self) -> Any:
        return self._out(self.tp)


class FalsePositives(_ConfusionMetric):
    """Weighted count of negative labels predicted positive.

    Parameters
    ----------
    thresholds : float or list of float, default 0.5
    name : str, default "false_positives"
    dtype : str, optional

    Examples
    --------
    >>> m = FalsePositives()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1]); m.result()
    1.0
    """

    def result(self) -> Any:
        return self._out(self.fp)


class TrueNegatives(_ConfusionMetric):
    """Weighted count of negative labels predicted negative.

    Parameters
    ----------
    thresholds : float or list of float, default 0.5
    name : str, default "true_negatives"
    dtype : str, optional

    Examples
    --------
    >>> m = TrueNegatives()
    >>> m.update_state([0, 0, 1], [0, 1, 1]); m.result()
    1.0
    """

    def result(self) -> Any:
        return self._out(self.tn)


class FalseNegatives(_ConfusionMetric):
    """Weighted count of positive labels predicted negative.

    Parameters
    ----------
    thresholds : float or list of float, default 0.5
    name : str, default "false_negatives"
    dtype : str, optional

    Examples
    --------
    >>> m = FalseNegatives()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1]); m.result()
    1.0
    """

    def result(self) -> Any:
        return self._out(self.fn)


class AUC(_ConfusionMetric):
    """Area under the ROC or precision-recall curve, from counts at fixed thresholds.

    ``num_thresholds`` thresholds are spread evenly over [0, 1] (plus one just
    below 0 and one just above 1, as in Keras). ``summation_method``:
    ``"interpolation"`` (trapezoids), ``"minoring"`` (left Riemann sum of the
    lower value) or ``"majoring"`` (of the higher value). For the PR curve
    descend integrates precision over recall with trapezoids, a simpler rule than
    Keras's interpolation, so PR values can differ slightly.

    Parameters
    ----------
    num_thresholds : int, default 200
        At least 2.
    curve : {"ROC", "PR"}, default "ROC"
    summation_method : {"interpolation", "minoring", "majoring"}, default "interpolation"
    name : str, default "auc"
    dtype : str, optional
    thresholds : list of float, optional
        Explicit thresholds in (0, 1) instead of ``num_thresholds``.

    Examples
    --------
    >>> m = AUC()
    >>> m.update_state([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]); round(m.result(), 2)
    0.75
    """

    _direction = "up"

    def __init__(self, num_thresholds: int = 200, curve: str = "ROC",
                 summation_method: str = "interpolation", name: str | None = None,
                 dtype: Any = None, thresholds: Sequence[float] | None = None) -> None:
        if str(curve).upper() not in ("ROC", "PR"):
            raise ValueError(f"AUC: curve must be 'ROC' or 'PR', received curve={curve!r}.")
        if summation_method not in ("interpolation", "minoring", "majoring"):
            raise ValueError(
                "AUC: summation_method must be 'interpolation', 'minoring' or 'majoring', "
                f"received {summation_method!r}."
            )
        self.curve, self.summation_method = str(curve).upper(), summation_method
        if thresholds is not None:
            inner = sorted(float(t) for t in thresholds)
        else:
            if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, int) or \
                    num_thresholds < 2:
                raise ValueError(f"AUC: num_thresholds must be an int > 1, received "
                                 f"{num_thresholds!r}.")
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        self.num_thresholds = len(inner) + 2
        eps = 1e-7
        super().__init__([0.0 - eps, *inner, 1.0 + eps], name=name, dtype=dtype)
        self._given_thresholds = None if thresholds is None else list(thresholds)

    def result(self) -> float:
        tp, fp, tn, fn = self.tp, self.fp, self.tn, self.fn
        recall = _ratio(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _ratio(fp, fp + tn), recall
        else:
            x, y = recall, _ratio(tp, tp + fp)
        widths = x[:-1] - x[1:]  # thresholds increase, so x decreases
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2
        elif self.summation_method == "minoring":
            heights = np.minimum(y[:-1], y[1:])
        else:
            heights = np.maximum(y[:-1], y[1:])
        return float(np.sum(widths * heights))

    def get_config(self) -> dict[str, Any]:
        out = super().get_config()
        out.update(num_thresholds=self.num_thresholds, curve=self.curve,
                   summation_method=self.summation_method)
        return out
