"""F-scores of multi-label or one-hot classification: ``FBetaScore`` and ``F1Score``.

Per class, ``F_beta = (1 + beta^2) * P * R / (beta^2 * P + R)`` from weighted
true-positive, false-positive and false-negative counts accumulated over all
batches (Keras 3 rules, with its ``epsilon`` in every division).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend import config
from descend.metrics.metric import Metric, as_array

_AVERAGES = (None, "micro", "macro", "weighted")


class FBetaScore(Metric):
    """The F-beta score, per class or averaged.

    A prediction counts as positive when it is above ``threshold``; with
    ``threshold=None`` only each row's highest score is positive (ties all
    count; scores within 1e-9 of 0 never do), which suits one-hot labels.

    Parameters
    ----------
    average : {None, "micro", "macro", "weighted"}, default None
        None returns one score per class (an array of shape (K,)); "micro"
        pools the counts of all classes; "macro" averages the per-class scores;
        "weighted" averages them weighted by each class's (weighted) number of
        true labels.
    beta : float, default 1.0
        Must be a Python float > 0; recall counts ``beta`` times as much as
        precision.
    threshold : float, optional
        In (0, 1].
    name : str, default "fbeta_score"
    dtype : str, optional

    Examples
    --------
    >>> import numpy as np
    >>> m = FBetaScore(average="micro", threshold=0.5)
    >>> m.update_state(np.array([[1, 0], [0, 1]]), np.array([[0.9, 0.2], [0.6, 0.7]]))
    >>> round(float(m.result()), 4)
    0.8
    """

    _direction = "up"

    def __init__(self, average: str | None = None, beta: float = 1.0,
                 threshold: float | None = None, name: str = "fbeta_score",
                 dtype: Any = None) -> None:
        who = type(self).__name__
        if average not in _AVERAGES:
            raise ValueError(
                f"{who}: invalid `average` argument value. Expected one of: {{None, 'micro', "
                f"'macro', 'weighted'}}. Received: average={average!r}"
            )
        if not isinstance(beta, float) or beta <= 0.0:
            raise ValueError(
                f"{who}: `beta` must be a Python float > 0, received beta={beta!r}. "
                "Write e.g. beta=2.0."
            )
        if threshold is not None and (
            not isinstance(threshold, float) or not 0.0 < threshold <= 1.0
        ):
            raise ValueError(
                f"{who}: `threshold` must be a Python float with 0 < threshold <= 1, or None; "
                f"received threshold={threshold!r}."
            )
        self.average, self.beta, self.threshold = average, beta, threshold
        self._axis = None if average == "micro" else 0
        super().__init__(name=name, dtype=dtype)

    def reset_state(self) -> None:
        # shaped (K,) (or scalars for "micro") on the first batch
        self.true_positives = self.false_positives = None
        self.false_negatives = self.intermediate_weights = None

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Add one batch: ``y_true`` and ``y_pred`` of shape (N, K), weights (N,)."""
        t = np.asarray(as_array(y_true), dtype=np.float64)
        p = np.asarray(as_array(y_pred), dtype=np.float64)
        if t.ndim != 2 or p.ndim != 2 or t.shape != p.shape:
            raise ValueError(
                f"{type(self).__name__} expects 2D inputs with shape (batch_size, output_dim). "
                f"Received input shapes: y_pred.shape={p.shape} and y_true.shape={t.shape}."
            )
        if self.threshold is None:
            predicted = (p >= p.max(axis=-1, keepdims=True)) & (np.abs(p) > 1e-9)
        else:
            predicted = p > self.threshold
        predicted = predicted.astype(np.float64)
        w = None
        if sample_weight is not None:
            w = np.asarray(as_array(sample_weight), dtype=np.float64).reshape(-1, 1)

        def weighted_sum(values: np.ndarray) -> np.ndarray:
            return np.sum(values if w is None else values * w, axis=self._axis)

        counts = (weighted_sum(predicted * t), weighted_sum(predicted * (1 - t)),
                  weighted_sum((1 - predicted) * t), weighted_sum(t))
        if self.true_positives is None:
            (self.true_positives, self.false_positives, self.false_negatives,
             self.intermediate_weights) = counts
        else:
            if np.shape(counts[0]) != np.shape(self.true_positives):
                raise ValueError(
                    f"{type(self).__name__}: this batch has {p.shape[-1]} classes but earlier "
                    f"batches had {np.shape(self.true_positives)[0]}."
                )
            self.true_positives = self.true_positives + counts[0]
            self.false_positives = self.false_positives + counts[1]
            self.false_negatives = self.false_negatives + counts[2]
            self.intermediate_weights = self.intermediate_weights + counts[3]

    def result(self) -> Any:
        """The score: a float, or an array of shape (K,) with ``average=None``."""
        if self.true_positives is None:
            return 0.0
        eps = config.epsilon()
        tp = self.true_positives
        precision = tp / (tp + self.false_positives + eps)
        recall = tp / (tp + self.false_negatives + eps)
        b2 = self.beta ** 2
        score = precision * recall / (b2 * precision + recall + eps) * (1 + b2)
        if self.average == "weighted":
            weights = self.intermediate_weights / (np.sum(self.intermediate_weights) + eps)
            return float(np.sum(score * weights))
        if self.average is not None:
            return float(np.mean(score))
        return np.asarray(score, dtype=self.dtype)

    def get_config(self) -> dict[str, Any]:
        out = super().get_config()
        out.update(average=self.average, beta=self.beta, threshold=self.threshold)
        return out


class F1Score(FBetaScore):
    """The F1 score: :class:`FBetaScore` with ``beta=1.0``.

    Parameters
    ----------
    average : {None, "micro", "macro", "weighted"}, default None
    threshold : float, optional
    name : str, default "f1_score"
    dtype : str, optional

    Examples
    --------
    >>> import numpy as np
    >>> m = F1Score(average="macro")
    >>> m.update_state(np.eye(2), np.array([[0.9, 0.1], [0.2, 0.8]]))
    >>> round(float(m.result()), 4)
    1.0
    """

    def __init__(self, average: str | None = None, threshold: float | None = None,
                 name: str = "f1_score", dtype: Any = None) -> None:
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self) -> dict[str, Any]:
        out = super().get_config()
        del out["beta"]
        return out
