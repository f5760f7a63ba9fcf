"""Overlap losses for segmentation: Dice and Tversky (Keras 3 formulas).

Both measure how much the predicted mask ``p`` and the true mask ``t`` overlap
and return ``1 - overlap``. With the default ``axis=None`` the sums run over the
whole batch and the loss is one scalar; ``axis=1`` (or a tuple of axes) gives
one value per sample that the reduction then averages.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend import config
from descend.autograd import Tensor, ops
from descend.losses.loss import LossFunctionWrapper


def _inputs(who: str, y_true: Any, y_pred: Any) -> tuple[np.ndarray, Tensor]:
    y_pred = ops.as_tensor(y_pred)
    t = np.asarray(y_true.data if isinstance(y_true, Tensor) else y_true, dtype=y_pred.dtype)
    try:
        np.broadcast_shapes(t.shape, y_pred.shape)
    except ValueError:
        raise ValueError(
            f"{who}: y_true of shape {t.shape} does not match y_pred of shape {y_pred.shape}; "
            "pass masks of the same shape."
        ) from None
    return t, y_pred


def _check_axis(who: str, axis: Any) -> Any:
    if axis is None:
        return None
    if isinstance(axis, (list, tuple)) and all(
        isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axis
    ):
        return tuple(int(a) for a in axis)
    if isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
        return int(axis)
    raise ValueError(f"{who}: axis must be None, an int or a tuple of ints, received {axis!r}.")


def dice(y_true: Any, y_pred: Any, axis: Any = None) -> Tensor:
    """Dice loss ``1 - 2 * sum(t * p) / (sum(t) + sum(p) + eps)``.

    Parameters
    ----------
    y_true : array_like, shape (N, ...)
        True mask (0/1 or soft).
    y_pred : Tensor, same shape
        Predicted mask (probabilities).
    axis : int, tuple of int or None, default None
        Axes summed over; None sums everything (one scalar).

    Returns
    -------
    Tensor
        Scalar for ``axis=None``, otherwise the remaining axes.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> round(dice(np.array([[1.0, 0.0]]), Tensor([[1.0, 0.0]])).item(), 5)
    0.0
    """
    t, p = _inputs("dice", y_true, y_pred)
    axis = _check_axis("dice", axis)
    intersection = ops.sum(p * t, axis=axis)
    total = ops.sum(p, axis=axis) + np.sum(t, axis=axis)
    return 1.0 - (2.0 * intersection) / (total + config.epsilon())


def tversky(y_true: Any, y_pred: Any, alpha: float = 0.5, beta: float = 0.5,
            axis: Any = None) -> Tensor:
    """Tversky loss ``1 - TP / (TP + alpha * A + beta * B + eps)``.

    As in Keras 3, ``TP = sum(t * p)``, ``A = sum(t * (1 - p))`` (missed
    foreground) and ``B = sum((1 - t) * p)`` (false foreground). With
    ``alpha = beta = 0.5`` it equals the Dice loss.

    Parameters
    ----------
    y_true : array_like, shape (N, ...)
    y_pred : Tensor, same shape
    alpha : float, default 0.5
    beta : float, default 0.5
    axis : int, tuple of int or None, default None

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> round(tversky(np.array([[1.0, 0.0]]), Tensor([[0.5, 0.5]])).item(), 5)
    0.5
    """
    t, p = _inputs("tversky", y_true, y_pred)
    axis = _check_axis("tversky", axis)
    intersection = ops.sum(p * t, axis=axis)
    missed = ops.sum((1.0 - p) * t, axis=axis)
    extra = ops.sum(p * (1.0 - t), axis=axis)
    return 1.0 - intersection / (intersection + missed * alpha + extra * beta
                                 + config.epsilon())


class Dice(LossFunctionWrapper):
    """Dice loss; see :func:`dice`.

    Parameters
    ----------
    reduction : str or None, default "sum_over_batch_size"
    name : str, default "dice"
    axis : int, tuple of int or None, default None
    dtype : str, optional

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> round(Dice()(np.array([[1.0, 0.0]]), Tensor([[0.5, 0.5]])).item(), 5)
    0.5
    """

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "dice",
                 axis: Any = None, dtype: Any = None) -> None:
        axis = _check_axis("Dice", axis)
        super().__init__(dice, reduction=reduction, name=name, dtype=dtype, axis=axis)
        self.axis = axis


class Tversky(LossFunctionWrapper):
    """Tversky loss; see :func:`tversky`.

    Parameters
    ----------
    alpha : float, default 0.5
    beta : float, default 0.5
    reduction : str or None, default "sum_over_batch_size"
    name : str, default "tversky"
    axis : int, tuple of int or None, default None
    dtype : str, optional

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> round(Tversky(alpha=1.0, beta=0.0)(np.array([[1.0, 0.0]]), Tensor([[0.5, 0.5]])).item(), 5)
    0.5
    """

    def __init__(self, alpha: float = 0.5, beta: float = 0.5,
                 reduction: str | None = "sum_over_batch_size", name: str = "tversky",
                 axis: Any = None, dtype: Any = None) -> None:
        axis = _check_axis("Tversky", axis)
        for arg, value in (("alpha", alpha), ("beta", beta)):
            if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)):
                raise ValueError(f"Tversky: {arg} must be a number, received {arg}={value!r}.")
        super().__init__(tversky, reduction=reduction, name=name, dtype=dtype, alpha=alpha,
                         beta=beta, axis=axis)
        self.alpha, self.beta, self.axis = alpha, beta, axis
