"""Focal cross-entropies (Lin et al., 2017): binary and categorical.

The focal factor ``(1 - p_t) ** gamma`` scales down the loss of examples the
model already gets right, so training concentrates on the hard ones. Both
follow Keras 3: probabilities are clipped to ``[eps, 1 - eps]`` with
``eps = descend.config.epsilon()`` (1e-7) inside the logarithm.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from descend import config
from descend.autograd import Tensor, ops
from descend.losses.loss import LossFunctionWrapper
from descend.losses.regression import prepare


def _check_smoothing(label_smoothing: float, who: str) -> float:
    if not isinstance(label_smoothing, (int, float, np.floating)) or not (
        0 <= label_smoothing <= 1
    ):
        raise ValueError(
            f"{who}: label_smoothing must be a number in [0, 1], received "
            f"label_smoothing={label_smoothing!r}."
        )
    return float(label_smoothing)


def _check_gamma(gamma: float, who: str) -> float:
    if not isinstance(gamma, (int, float, np.floating)) or isinstance(gamma, bool) or gamma < 0:
        raise ValueError(
            f"{who}: gamma must be a number >= 0 (the focusing strength), received "
            f"gamma={gamma!r}."
        )
    return float(gamma)


def _check_axis(axis: Any, who: str) -> int:
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise ValueError(f"{who}: `axis` must be of type `int`, received axis={axis!r}.")
    return int(axis)


def binary_focal_crossentropy(
    y_true: Any, y_pred: Any, apply_class_balancing: bool = False, alpha: float = 0.25,
    gamma: float = 2.0, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
) -> Tensor:
    """Binary focal cross-entropy, averaged over ``axis``.

    ``mean(w * (1 - p_t) ** gamma * bce(t, p), axis)`` with
    ``p_t = t * p + (1 - t) * (1 - p)``, ``bce`` the clipped binary
    cross-entropy and ``w = t * alpha + (1 - t) * (1 - alpha)`` when
    ``apply_class_balancing`` (else 1). Label smoothing: ``t * (1 - ls) + ls / 2``.

    Parameters
    ----------
    y_true : array_like, shape (N, D)
        Labels in [0, 1].
    y_pred : Tensor, shape (N, D)
        Probabilities, or logits when ``from_logits``.
    apply_class_balancing : bool, default False
    alpha : float, default 0.25
        Weight of the positive class when balancing.
    gamma : float, default 2.0
        Focusing strength; 0 gives the plain binary cross-entropy.
    from_logits : bool, default False
    label_smoothing : float, default 0.0
    axis : int, default -1

    Returns
    -------
    Tensor, shape (N,)

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> y = binary_focal_crossentropy(np.array([[1.0, 0.0]]), Tensor([[0.9, 0.2]]))
    >>> np.round(y.data, 5)
    array([0.00499], dtype=float32)
    """
    gamma = _check_gamma(gamma, "binary_focal_crossentropy")
    t, p = prepare(y_true, y_pred)
    if label_smoothing:
        ls = _check_smoothing(label_smoothing, "binary_focal_crossentropy")
        t = t * (1.0 - ls) + 0.5 * ls
    if from_logits:
        p = ops.sigmoid(p)
    eps = config.epsilon()
    clipped = ops.clip(p, eps, 1.0 - eps)
    bce = -(ops.log(clipped) * t + ops.log(1.0 - clipped) * (1.0 - t))
    p_t = p * t + (1.0 - p) * (1.0 - t)
    focal = ops.pow(1.0 - p_t, gamma) * bce
    if apply_class_balancing:
        focal = focal * (t * alpha + (1.0 - t) * (1.0 - alpha))
    return ops.mean(focal, axis=_check_axis(axis, "binary_focal_crossentropy"))


def categorical_focal_crossentropy(
    y_true: Any, y_pred: Any, alpha: float = 0.25, gamma: float = 2.0,
    from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
) -> Tensor:
    """Categorical focal cross-entropy against one-hot labels.

    ``sum(alpha * (1 - p) ** gamma * (-t * log(p)), axis)`` with ``p`` the
    renormalised (``p / sum(p)``) and clipped probabilities (softmax first when
    ``from_logits``). Label smoothing: ``t * (1 - ls) + ls / K``. Warns
    (``SyntaxWarning``, as Keras) for an output with one unit.

    Parameters
    ----------
    y_true : array_like, shape (N, K)
    y_pred : Tensor, shape (N, K)
    alpha : float, default 0.25
    gamma : float, default 2.0
    from_logits : bool, default False
    label_smoothing : float, default 0.0
    axis : int, default -1
        The class axis.

    Returns
    -------
    Tensor, shape (N,)

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> y = categorical_focal_crossentropy(np.array([[0.0, 1.0]]), Tensor([[0.5, 0.5]]))
    >>> np.round(y.data, 5)
    array([0.04332], dtype=float32)
    """
    axis = _check_axis(axis, "categorical_focal_crossentropy")
    gamma = _check_gamma(gamma, "categorical_focal_crossentropy")
    y_pred = ops.as_tensor(y_pred)
    t = np.asarray(y_true.data if isinstance(y_true, Tensor) else y_true, dtype=y_pred.dtype)
    if y_pred.shape and y_pred.shape[-1] == 1:
        warnings.warn(
            "In loss categorical_focal_crossentropy, expected y_pred.shape to be (batch_size, "
            f"num_classes) with num_classes > 1. Received: y_pred.shape={y_pred.shape}. "
            "Consider using 'binary_crossentropy' if you only have 2 classes.",
            SyntaxWarning, stacklevel=2,
        )
    if t.shape != y_pred.shape:
        raise ValueError(
            "categorical_focal_crossentropy: y_true and y_pred must have the same shape "
            f"(one-hot labels), received y_true.shape={t.shape}, y_pred.shape={y_pred.shape}. "
            "For integer class ids one-hot encode them first."
        )
    if label_smoothing:
        ls = _check_smoothing(label_smoothing, "categorical_focal_crossentropy")
        t = t * (1.0 - ls) + ls / t.shape[-1]
    p = ops.softmax(y_pred, axis=axis) if from_logits else y_pred
    p = p / ops.sum(p, axis=axis, keepdims=True)
    eps = config.epsilon()
    p = ops.clip(p, eps, 1.0 - eps)
    focal = ops.pow(1.0 - p, gamma) * (-ops.log(p) * t) * alpha
    return ops.sum(focal, axis=axis)


class BinaryFocalCrossentropy(LossFunctionWrapper):
    """Binary focal cross-entropy loss; see :func:`binary_focal_crossentropy`.

    Parameters
    ----------
    apply_class_balancing : bool, default False
    alpha : float, default 0.25
    gamma : float, default 2.0
    from_logits : bool, default False
    label_smoothing : float, default 0.0
    axis : int, default -1
    reduction : str or None, default "sum_over_batch_size"
    name : str, default "binary_focal_crossentropy"
    dtype : str, optional

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> loss = BinaryFocalCrossentropy(gamma=0.0)
    >>> round(loss(np.array([1.0, 0.0]), Tensor([[0.5], [0.5]])).item(), 4)
    0.6931
    """

    def __init__(self, apply_class_balancing: bool = False, alpha: float = 0.25,
                 gamma: float = 2.0, from_logits: bool = False, label_smoothing: float = 0.0,
                 axis: int = -1, reduction: str | None = "sum_over_batch_size",
                 name: str = "binary_focal_crossentropy", dtype: Any = None) -> None:
        _check_smoothing(label_smoothing, "BinaryFocalCrossentropy")
        _check_gamma(gamma, "BinaryFocalCrossentropy")
        _check_axis(axis, "BinaryFocalCrossentropy")
        super().__init__(binary_focal_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         apply_class_balancing=bool(apply_class_balancing), alpha=alpha,
                         gamma=gamma, from_logits=bool(from_logits),
                         label_smoothing=label_smoothing, axis=axis)
        self.apply_class_balancing, self.alpha, self.gamma = apply_class_balancing, alpha, gamma
        self.from_logits, self.label_smoothing, self.axis = bool(from_logits), label_smoothing, axis


class CategoricalFocalCrossentropy(LossFunctionWrapper):
    """Categorical focal cross-entropy loss; see :func:`categorical_focal_crossentropy`.

    Parameters
    ----------
    alpha : float, default 0.25
    gamma : float, default 2.0
    from_logits : bool, default False
    label_smoothing : float, default 0.0
    axis : int, default -1
    reduction : str or None, default "sum_over_batch_size"
    name : str, default "categorical_focal_crossentropy"
    dtype : str, optional

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> loss = CategoricalFocalCrossentropy()
    >>> round(loss(np.array([[0.0, 1.0]]), Tensor([[0.5, 0.5]])).item(), 5)
    0.04332
    """

    def __init__(self, alpha: float = 0.25, gamma: float = 2.0, from_logits: bool = False,
                 label_smoothing: float = 0.0, axis: int = -1,
                 reduction: str | None = "sum_over_batch_size",
                 name: str = "categorical_focal_crossentropy", dtype: Any = None) -> None:
        _check_smoothing(label_smoothing, "CategoricalFocalCrossentropy")
        _check_gamma(gamma, "CategoricalFocalCrossentropy")
        _check_axis(axis, "CategoricalFocalCrossentropy")
        super().__init__(categorical_focal_crossentropy, reduction=reduction, name=name,
                         dtype=dtype, alpha=alpha, gamma=gamma, from_logits=bool(from_logits),
                         label_smoothing=label_smoothing, axis=axis)
        self.alpha, self.gamma = alpha, gamma
        self.from_logits, self.label_smoothing, self.axis = bool(from_logits), label_smoothing, axis
