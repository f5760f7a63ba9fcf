"""The coefficient of determination ``R2Score`` (optionally adjusted)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from descend.losses import squeeze_or_expand_to_same_rank
from descend.metrics.metric import Metric, as_array

_AGGREGATIONS = (None, "uniform_average", "variance_weighted_average")


class R2Score(Metric):
    """R^2 ``= 1 - SS_res / SS_tot`` per output column, accumulated over batches.

    ``SS_tot`` uses the weighted mean of all labels seen. A column whose labels
    are constant scores 0 (Keras). With ``num_regressors = p > 0`` the adjusted
    score ``1 - (1 - R^2) (n - 1) / (n - p - 1)`` is returned, ``n`` being the
    number of label entries seen (falls back to R^2 with a warning when
    ``p >= n - 1``).

    Parameters
    ----------
    class_aggregation : str or None, default "uniform_average"
        "uniform_average", "variance_weighted_average", or None for the per-column
        scores (shape (K,)).
    num_regressors : int, default 0
    name : str, default "r2_score"
    dtype : str, optional

    Examples
    --------
    >>> import numpy as np
    >>> m = R2Score()
    >>> m.update_state(np.array([[1.0], [2.0], [3.0]]), np.array([[1.0], [2.0], [4.0]]))
    >>> round(float(m.result()), 4)
    0.5
    """

    _direction = "up"

    def __init__(self, class_aggregation: str | None = "uniform_average",
                 num_regressors: int = 0, name: str = "r2_score", dtype: Any = None) -> None:
        if class_aggregation not in _AGGREGATIONS:
            raise ValueError(
                "R2Score: invalid value for argument `class_aggregation`. Expected one of "
                f"{_AGGREGATIONS}. Received: class_aggregation={class_aggregation!r}"
            )
        if isinstance(num_regressors, bool) or not isinstance(num_regressors, int) or \
                num_regressors < 0:
            raise ValueError(
                "R2Score: `num_regressors` must be an int >= 0, received "
                f"num_regressors={num_regressors!r}."
            )
        self.class_aggregation, self.num_regressors = class_aggregation, num_regressors
        super().__init__(name=name, dtype=dtype)

    def reset_state(self) -> None:
        self.num_samples = 0.0
        self.sum = self.squared_sum = self.total_mse = self.count = None

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Add one batch of labels and predictions of shape (N, K)."""
        t, p = squeeze_or_expand_to_same_rank(np.asarray(as_array(y_true), dtype=np.float64),
                                              np.asarray(as_array(y_pred), dtype=np.float64))
        if t.ndim != 2 or p.ndim != 2:
            raise ValueError(
                "R2Score expects 2D inputs with shape (batch_size, output_dim). Received input "
                f"shapes: y_pred.shape={p.shape} and y_true.shape={t.shape}."
            )
        w = np.ones(()) if sample_weight is None else np.asarray(as_array(sample_weight),
                                                                 dtype=np.float64)
        if w.ndim == 1:
            w = w[:, None]
        w = np.broadcast_to(w, t.shape)
        parts = (np.sum(t * w, axis=0), np.sum(t * t * w, axis=0),
                 np.sum((t - p) ** 2 * w, axis=0), np.sum(w, axis=0))
        if self.sum is None:
            self.sum, self.squared_sum, self.total_mse, self.count = parts
        else:
            if parts[0].shape != self.sum.shape:
                raise ValueError(f"R2Score: this batch has {t.shape[1]} outputs, earlier ones "
                                 f"had {self.sum.shape[0]}.")
            self.sum = self.sum + parts[0]
            self.squared_sum = self.squared_sum + parts[1]
            self.total_mse = self.total_mse + parts[2]
            self.count = self.count + parts[3]
        self.num_samples += t.size

    def result(self) -> Any:
        """The score: a float, or an array (K,) with ``class_aggregation=None``."""
        if self.sum is None:
            return 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = self.sum / self.count
            total = self.squared_sum - self.sum * mean
            raw = 1 - self.total_mse / total
        raw = np.where(np.isinf(raw), 0.0, raw)
        if self.class_aggregation == "uniform_average":
            score: Any = float(np.mean(raw))
        elif self.class_aggregation == "variance_weighted_average":
            score = float(np.sum(total * raw) / np.sum(total))
        else:
            score = raw
        if self.num_regressors:
            n, k = self.num_samples, self.num_regressors
            if k >= n - 1:
                warnings.warn(
                    "R2Score: more independent predictors than datapoints (or division by zero)"
                    " in the adjusted R2 score; falling back to the standard R2 score.",
                    stacklevel=2,
                )
            else:
                score = 1 - (1 - score) * (n - 1) / (n - k - 1)
        return score if np.ndim(score) == 0 else np.asarray(score, dtype=self.dtype)

    def get_config(self) -> dict[str, Any]:
        out = super().get_config()
        out.update(class_aggregation=self.class_aggregation,
                   num_regressors=self.num_regressors)
        return out
