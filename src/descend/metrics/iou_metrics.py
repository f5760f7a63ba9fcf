"""Intersection-over-union metrics for segmentation and classification.

All accumulate a ``(num_classes, num_classes)`` confusion matrix (rows: true
class, columns: predicted class). For class ``c``:
``IoU_c = TP_c / (TP_c + FP_c + FN_c)``; classes that never occur in the labels
or the predictions are left out of the mean (Keras 3 rules).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from descend import config
from descend.metrics.metric import Metric, as_array


def _check_int(who: str, arg: str, value: Any, low: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{who}: `{arg}` must be an int >= {low}, received {arg}={value!r}.")
    return int(value)


class IoU(Metric):
    """The mean IoU over ``target_class_ids``.

    Parameters
    ----------
    num_classes : int
        Number of classes (>= 1).
    target_class_ids : sequence of int
        The classes whose IoU is averaged.
    name : str, optional
        Default: the class name in snake case (``"io_u"``).
    dtype : str, optional
    ignore_class : int, optional
        Labels equal to it are left out.
    sparse_y_true : bool, default True
        Labels are class ids; False: one-hot/probabilities (argmax over ``axis``).
    sparse_y_pred : bool, default True
        Predictions are class ids; False: scores (argmax over ``axis``).
    axis : int, default -1
        The class axis of non-sparse inputs.

    Notes
    -----
    Entries whose label or prediction is outside ``[0, num_classes)`` are
    skipped, as in Keras. Keras keeps the confusion matrix in integers and
    truncates float sample weights; descend keeps float weights as given.

    Examples
    --------
    >>> m = IoU(num_classes=2, target_class_ids=[0])
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1]); round(float(m.result()), 4)
    0.3333
    """

    _direction = "up"

    def __init__(self, num_classes: int, target_class_ids: Sequence[int],
                 name: str | None = None, dtype: Any = None, ignore_class: int | None = None,
                 sparse_y_true: bool = True, sparse_y_pred: bool = True,
                 axis: int = -1) -> None:
        who = type(self).__name__
        self.num_classes = _check_int(who, "num_classes", num_classes, 1)
        ids = list(target_class_ids) if isinstance(target_class_ids, (Sequence, np.ndarray)) \
            and not isinstance(target_class_ids, str) else None
        if not ids or any(isinstance(i, bool) or not isinstance(i, (int, np.integer))
                          for i in ids):
            raise ValueError(f"{who}: `target_class_ids` must be a non-empty list of ints, "
                             f"received target_class_ids={target_class_ids!r}.")
        if max(ids) >= num_classes or min(ids) < 0:
            raise ValueError(f"{who}: target class id {max(ids)} is out of range, which is "
                             f"[0, {num_classes}).")
        self.target_class_ids = [int(i) for i in ids]
        self.ignore_class = ignore_class
        self.sparse_y_true, self.sparse_y_pred = bool(sparse_y_true), bool(sparse_y_pred)
        self.axis = axis
        super().__init__(name=name, dtype=dtype)

    def reset_state(self) -> None:
        self.total_cm = np.zeros((self.num_classes, self.num_classes))

    def _ids(self, values: Any, sparse: bool) -> np.ndarray:
        arr = np.asarray(as_array(values))
        if not sparse:
            arr = np.argmax(arr, axis=self.axis)
        return arr.reshape(-1)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Add one batch of class ids (or one-hot/score arrays, see ``sparse_*``)."""
        t = self._ids(y_true, self.sparse_y_true)
        p = self._ids(y_pred, self.sparse_y_pred)
        if t.size != p.size:
            raise ValueError(
                f"{type(self).__name__}: y_true has {t.size} entries but y_pred has {p.size}; "
                "pass one predicted class per label."
            )
        w = np.ones(t.shape) if sample_weight is None else np.broadcast_to(
            np.asarray(as_array(sample_weight), dtype=np.float64).reshape(-1), t.shape)
        t = t.astype(np.int64)
        p = p.astype(np.int64)
        keep = (t >= 0) & (t < self.num_classes) & (p >= 0) & (p < self.num_classes)
        if self.ignore_class is not None:
            keep &= t != self.ignore_class
        flat = t[keep] * self.num_classes + p[keep]
        self.total_cm += np.bincount(flat, weights=w[keep],
                                     minlength=self.num_classes ** 2).reshape(
            self.num_classes, self.num_classes)

    def result(self) -> float:
        cm = self.total_cm
        tp = np.diag(cm)
        denominator = (cm.sum(axis=0) + cm.sum(axis=1) - tp)[self.target_class_ids]
        tp = tp[self.target_class_ids]
        valid = denominator > 1e-9
        iou = np.where(valid, tp / (denominator + config.epsilon()), 0.0)
        return float(np.sum(iou) / (np.sum(valid) + config.epsilon()))

    def get_config(self) -> dict[str, Any]:
        out = super().get_config()
        out.update(num_classes=self.num_classes, target_class_ids=self.target_class_ids,
                   ignore_class=self.ignore_class, sparse_y_true=self.sparse_y_true,
                   sparse_y_pred=self.sparse_y_pred, axis=self.axis)
        return out


class BinaryIoU(IoU):
    """IoU of a binary task: predictions ``>= threshold`` are class 1.

    Parameters
    ----------
    target_class_ids : sequence of int, default (0, 1)
    threshold : float, default 0.5
    name : str, optional
    dtype : str, optional

    Examples
    --------
    >>> m = BinaryIoU(target_class_ids=[1])
    >>> m.update_state([0, 1, 1], [0.2, 0.7, 0.4]); round(float(m.result()), 4)
    0.5
    """

    def __init__(self, target_class_ids: Sequence[int] = (0, 1), threshold: float = 0.5,
                 name: str | None = None, dtype: Any = None) -> None:
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float, np.floating)):
            raise ValueError(f"BinaryIoU: `threshold` must be a number, received "
                             f"threshold={threshold!r}.")
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name,
                         dtype=dtype)
        self.threshold = float(threshold)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Add one batch of 0/1 labels and scores."""
        scores = np.asarray(as_array(y_pred), dtype=np.float64)
        super().update_state(y_true, (scores >= self.threshold).astype(np.int64), sample_weight)

    def get_config(self) -> dict[str, Any]:
        return {"target_class_ids": self.target_class_ids, "threshold": self.threshold,
                "name": self.name, "dtype": self.dtype}


class MeanIoU(IoU):
    """The IoU averaged over all ``num_classes`` classes.

    Parameters
    ----------
    num_classes : int
    name : str, optional
    dtype : str, optional
    ignore_class : int, optional
    sparse_y_true : bool, default True
    sparse_y_pred : bool, default True
    axis : int, default -1

    Examples
    --------
    >>> m = MeanIoU(num_classes=2)
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1]); round(float(m.result()), 4)
    0.3333
    """

    def __init__(self, num_classes: int, name: str | None = None, dtype: Any = None,
                 ignore_class: int | None = None, sparse_y_true: bool = True,
                 sparse_y_pred: bool = True, axis: int = -1) -> None:
        n = _check_int(type(self).__name__, "num_classes", num_classes, 1)
        super().__init__(num_classes=n, target_class_ids=list(range(n)), name=name,
                         dtype=dtype, ignore_class=ignore_class, sparse_y_true=sparse_y_true,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self) -> dict[str, Any]:
        return {"num_classes": self.num_classes, "name": self.name, "dtype": self.dtype,
                "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class OneHotIoU(IoU):
    """:class:`IoU` for one-hot labels (and, by default, score predictions).

    Parameters
    ----------
    num_classes : int
    target_class_ids : sequence of int
    name : str, optional
    dtype : str, optional
    ignore_class : int, optional
    sparse_y_pred : bool, default False
    axis : int, default -1

    Examples
    --------
    >>> import numpy as np
    >>> m = OneHotIoU(num_classes=2, target_class_ids=[1])
    >>> m.update_state(np.eye(2), np.array([[0.3, 0.7], [0.2, 0.8]]))
    >>> round(float(m.result()), 4)
    0.5
    """

    def __init__(self, num_classes: int, target_class_ids: Sequence[int],
                 name: str | None = None, dtype: Any = None, ignore_class: int | None = None,
                 sparse_y_pred: bool = False, axis: int = -1) -> None:
        super().__init__(num_classes=num_classes, target_class_ids=target_class_ids, name=name,
                         dtype=dtype, ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self) -> dict[str, Any]:
        return {"num_classes": self.num_classes, "target_class_ids": self.target_class_ids,
                "name": self.name, "dtype": self.dtype, "ignore_class": self.ignore_class,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class OneHotMeanIoU(MeanIoU):
    """:class:`MeanIoU` for one-hot labels (and, by default, score predictions).

    Parameters
    ----------
    num_classes : int
    name : str, optional
    dtype : str, optional
    ignore_class : int, optional
    sparse_y_pred : bool, default False
    axis : int, default -1

    Examples
    --------
    >>> import numpy as np
    >>> m = OneHotMeanIoU(num_classes=2)
    >>> m.update_state(np.eye(2), np.array([[0.7, 0.3], [0.2, 0.8]]))
    >>> round(float(m.result()), 4)
    1.0
    """

    def __init__(self, num_classes: int, name: str | None = None, dtype: Any = None,
                 ignore_class: int | None = None, sparse_y_pred: bool = False,
                 axis: int = -1) -> None:
        super().__init__(num_classes=num_classes, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self) -> dict[str, Any]:
        return {"num_classes": self.num_classes, "name": self.name, "dtype": self.dtype,
                "ignore_class": self.ignore_class, "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis}
