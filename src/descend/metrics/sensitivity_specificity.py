"""One rate at a required level of another: ``SensitivityAtSpecificity``,
``SpecificityAtSensitivity``, ``PrecisionAtRecall`` and ``RecallAtPrecision``.

Counts are accumulated at ``num_thresholds`` thresholds spread evenly over
[0, 1] (a prediction is positive when ``y_pred > threshold``); the result is
the best value of the dependent rate over the thresholds whose constrained rate
reaches the required value (0 when none does), as in Keras 3.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.metrics.confusion_metrics import _confusion, _ratio
from descend.metrics.metric import Metric


class _AtConstraint(Metric):
    """Shared state and the max-under-constraint rule."""

    _direction = "up"
    _value_arg = ""

    def __init__(self, value: float, num_thresholds: int = 200, class_id: int | None = None,
                 name: str | None = None, dtype: Any = None) -> None:
        who = type(self).__name__
        arg = self._value_arg
        if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) or \
                not 0 <= value <= 1:
            raise ValueError(f"{who}: argument `{arg}` must be in the range [0, 1]. "
                             f"Received: {arg}={value!r}")
        if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, int) or \
                num_thresholds <= 0:
            raise ValueError(f"{who}: argument `num_thresholds` must be an integer > 0. "
                             f"Received: num_thresholds={num_thresholds!r}")
        self.value, self.num_thresholds, self.class_id = value, num_thresholds, class_id
        setattr(self, arg, value)
        if num_thresholds == 1:
            self.thresholds = np.array([0.5])
        else:
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds = np.array([0.0, *inner, 1.0])
        super().__init__(name=name, dtype=dtype)

    def reset_state(self) -> None:
        n = self.thresholds.size
        self.true_positives, self.false_positives = np.zeros(n), np.zeros(n)
        self.true_negatives, self.false_negatives = np.zeros(n), np.zeros(n)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Add one batch: labels (nonzero = positive) and scores in [0, 1]."""
        tp, fp, tn, fn = _confusion(y_true, y_pred, self.thresholds, sample_weight,
                                    self.class_id)
        self.true_positives += tp
        self.false_positives += fp
        self.true_negatives += tn
        self.false_negatives += fn

    def _rates(self) -> dict[str, np.ndarray]:
        tp, fp = self.true_positives, self.false_positives
        tn, fn = self.true_negatives, self.false_negatives
        return {"sensitivity": _ratio(tp, tp + fn), "specificity": _ratio(tn, tn + fp),
                "precision": _ratio(tp, tp + fp)}

    def _max_under_constraint(self, constrained: np.ndarray, dependent: np.ndarray) -> float:
        feasible = constrained >= self.value
        return float(np.max(np.where(feasible, dependent, 0.0), initial=0.0))

    def get_config(self) -> dict[str, Any]:
        out = super().get_config()
        out.update({"class_id": self.class_id, "num_thresholds": self.num_thresholds,
                    self._value_arg: self.value})
        return out


_PARAMS = """
    Parameters
    ----------
    {arg} : float
        The required {arg}, in [0, 1].
    num_thresholds : int, default 200
        Thresholds spread over [0, 1]; 1 gives the single threshold 0.5.
    class_id : int, optional
        Only this column of multi-label outputs.
    name : str, optional
        Defaults to the class name in snake case.
    dtype : str, optional
"""


class SensitivityAtSpecificity(_AtConstraint):
    __doc__ = """The best sensitivity (recall) among thresholds with specificity >= ``specificity``.
    """ + _PARAMS.format(arg="specificity") + """
    Examples
    --------
    >>> m = SensitivityAtSpecificity(0.5)
    >>> m.update_state([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.8]); m.result()
    1.0
    """
    _value_arg = "specificity"

    def __init__(self, specificity: float, num_thresholds: int = 200,
                 class_id: int | None = None, name: str | None = None,
                 dtype: Any = None) -> None:
        super().__init__(specificity, num_thresholds, class_id, name, dtype)

    def result(self) -> float:
        r = self._rates()
        return self._max_under_constraint(r["specificity"], r["sensitivity"])


class SpecificityAtSensitivity(_AtConstraint):
    __doc__ = """The best specificity among thresholds with sensitivity >= ``sensitivity``.
    """ + _PARAMS.format(arg="sensitivity") + """
    Examples
    --------
    >>> m = SpecificityAtSensitivity(1.0)
    >>> m.update_state([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.8]); m.result()
    0.5
    """
    _value_arg = "sensitivity"

    def __init__(self, sensitivity: float, num_thresholds: int = 200,
                 class_id: int | None = None, name: str | None = None,
                 dtype: Any = None) -> None:
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)

    def result(self) -> float:
        r = self._rates()
        return self._max_under_constraint(r["sensitivity"], r["specificity"])


class PrecisionAtRecall(_AtConstraint):
    __doc__ = """The best precision among thresholds with recall >= ``recall``.
    """ + _PARAMS.format(arg="recall") + """
    Examples
    --------
    >>> m = PrecisionAtRecall(1.0)
    >>> m.update_state([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.8]); round(m.result(), 4)
    0.6667
    """
    _value_arg = "recall"

    def __init__(self, recall: float, num_thresholds: int = 200,
                 class_id: int | None = None, name: str | None = None,
                 dtype: Any = None) -> None:
        super().__init__(recall, num_thresholds, class_id, name, dtype)

    def result(self) -> float:
        r = self._rates()
        return self._max_under_constraint(r["sensitivity"], r["precision"])


class RecallAtPrecision(_AtConstraint):
    __doc__ = """The best recall among thresholds with precision >= ``precision``.
    """ + _PARAMS.format(arg="precision") + """
    Examples
    --------
    >>> m = RecallAtPrecision(1.0)
    >>> m.update_state([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.8]); m.result()
    0.5
    """
    _value_arg = "precision"

    def __init__(self, precision: float, num_thresholds: int = 200,
                 class_id: int | None = None, name: str | None = None,
                 dtype: Any = None) -> None:
        super().__init__(precision, num_thresholds, class_id, name, dtype)

    def result(self) -> float:
        r = self._rates()
        return self._max_under_constraint(r["precision"], r["sensitivity"])
