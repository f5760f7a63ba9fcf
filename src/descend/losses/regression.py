"""Regression losses: squared, absolute, percentage, log errors, Huber, log-cosh, cosine.

Each function takes labels ``y_true`` (array or Tensor, no gradient) and
predictions ``y_pred`` (Tensor) and returns per-sample losses, the mean over the
last axis (shape ``y_pred.shape[:-1]``), after Keras's rank fix-up. Each class
wraps its function in a :class:`~descend.losses.loss.LossFunctionWrapper`.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from descend import config
from descend.activations import softplus
from descend.autograd import Tensor, ops
from descend.autograd.ops import nn as _nn
from descend.losses import validation
from descend.losses.fusion import FUSED, LossSpec
from descend.losses.loss import VALIDATORS, LossFunctionWrapper, squeeze_or_expand_to_same_rank


def prepare(y_true: Any, y_pred: Any) -> tuple[np.ndarray, Tensor]:
    """Labels as an array of the predictions' float dtype, and the rank fix-up.

    Examples
    --------
    >>> t, p = prepare([1, 0], Tensor([[0.5], [0.5]]))
    >>> t.shape, t.dtype
    ((2, 1), dtype('float32'))"""
    y_pred = ops.as_tensor(y_pred)
    labels = y_true.data if isinstance(y_true, Tensor) else y_true
    labels = np.asarray(labels, dtype=y_pred.dtype)
    return squeeze_or_expand_to_same_rank(labels, y_pred)


def mean_squared_error(y_true: Any, y_pred: Any) -> Tensor:
    """Mean squared error ``mean((y_true - y_pred)^2, axis=-1)``.

    Parameters
    ----------
    y_true : array_like, shape (N, D) (or (N,) for D = 1)
    y_pred : Tensor, shape (N, D)

    Returns
    -------
    Tensor, shape (N,)

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> mean_squared_error(np.array([[1.0, 2.0]]), Tensor([[1.0, 4.0]])).data
    array([2.], dtype=float32)
    """
    t, p = prepare(y_true, y_pred)
    return ops.mean(ops.squared_error(p, t), axis=-1)


def mean_absolute_error(y_true: Any, y_pred: Any) -> Tensor:
    """Mean absolute error ``mean(|y_true - y_pred|, axis=-1)``.

    Parameters
    ----------
    y_true : array_like, shape (N, D)
    y_pred : Tensor, shape (N, D)

    Returns
    -------
    Tensor, shape (N,)

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> mean_absolute_error(np.array([[1.0, 2.0]]), Tensor([[1.0, 4.0]])).data
    array([1.], dtype=float32)
    """
    t, p = prepare(y_true, y_pred)
    return ops.mean(ops.abs(p - t), axis=-1)


def mean_absolute_percentage_error(y_true: Any, y_pred: Any) -> Tensor:
    """``100 * mean(|(y_true - y_pred) / max(|y_true|, epsilon)|, axis=-1)``.

    Parameters
    ----------
    y_true : array_like, shape (N, D)
    y_pred : Tensor, shape (N, D)

    Returns
    -------
    Tensor, shape (N,)

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> mean_absolute_percentage_error(np.array([[2.0]]), Tensor([[1.0]])).data
    array([50.], dtype=float32)
    """
    t, p = prepare(y_true, y_pred)
    scale = 100.0 / np.maximum(np.abs(t), config.epsilon())
    return ops.mean(ops.abs((p - t) * scale), axis=-1)


def mean_squared_logarithmic_error(y_true: Any, y_pred: Any) -> Tensor:
    """``mean((log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1))^2, axis=-1)``.

    Parameters
    ----------
    y_true : array_like, shape (N, D)
    y_pred : Tensor, shape (N, D)

    Returns
    -------
    Tensor, shape (N,)

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> np.round(mean_squared_logarithmic_error(np.array([[0.0]]), Tensor([[1.0]])).data, 4)
    array([0.4805], dtype=float32)
    """
    t, p = prepare(y_true, y_pred)
    eps = config.epsilon()
    log_true = np.log(np.maximum(t, eps) + 1.0)
    log_pred = ops.log(ops.clip(p, eps, None) + 1.0)
    return ops.mean(ops.square(log_pred - log_true), axis=-1)


def huber(y_true: Any, y_pred: Any, delta: float = 1.0) -> Tensor:
    """Huber loss, quadratic near 0 and linear beyond ``delta``, averaged over the last axis.

    ``0.5 * e^2`` where ``|e| <= delta``, else ``delta * |e| - 0.5 * delta^2``,
    with ``e = y_pred - y_true``.

    Parameters
    ----------
    y_true : array_like, shape (N, D)
    y_pred : Tensor, shape (N, D)
    delta : float, default 1.0

    Returns
    -------
    Tensor, shape (N,)

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> huber(np.array([[0.0, 0.0]]), Tensor([[0.5, 3.0]])).data
    array([1.3125], dtype=float32)
    """
    t, p = prepare(y_true, y_pred)
    error = p - t
    abs_error = ops.abs(error)
    quadratic = ops.square(error) * 0.5
    linear = abs_error * delta - 0.5 * delta * delta
    return ops.mean(ops.where(abs_error.data <= delta, quadratic, linear), axis=-1)


def log_cosh(y_true: Any, y_pred: Any) -> Tensor:
    """``mean(log(cosh(y_pred - y_true)), axis=-1)``, computed without overflow.

    ``log(cosh(x)) = x + softplus(-2x) - log(2)``.

    Parameters
    ----------
    y_true : array_like, shape (N, D)
    y_pred : Tensor, shape (N, D)

    Returns
    -------
    Tensor, shape (N,)

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> np.round(log_cosh(np.array([[0.0]]), Tensor([[1.0]])).data, 4)
    array([0.4338], dtype=float32)
    """
    t, p = prepare(y_true, y_pred)
    x = p - t
    return ops.mean(x + softplus(x * -2.0) - math.log(2.0), axis=-1)


def _l2_normalize(x: Any, axis: int) -> Any:
    """``x / max(||x||, epsilon)`` along ``axis`` (arrays stay arrays, tensors stay tensors)."""
    eps2 = config.epsilon() ** 2
    if isinstance(x, Tensor):
        return x / ops.sqrt(ops.clip(ops.sum(x * x, axis=axis, keepdims=True), eps2, None))
    return x / np.sqrt(np.maximum(np.sum(x * x, axis=axis, keepdims=True), eps2))


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> Tensor:
    """Negative cosine similarity ``-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)``.

    Values lie in [-1, 1]; -1 means the vectors point the same way.

    Parameters
    ----------
    y_true : array_like, shape (N, D)
    y_pred : Tensor, shape (N, D)
    axis : int, default -1

    Returns
    -------
    Tensor, shape (N,)

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> cosine_similarity(np.array([[1.0, 0.0]]), Tensor([[2.0, 0.0]])).data
    array([-1.], dtype=float32)
    """
    t, p = prepare(y_true, y_pred)
    return -ops.sum(_l2_normalize(p, axis) * _l2_normalize(t, axis), axis=axis)


class MeanSquaredError(LossFunctionWrapper):
    """Mean of squares of errors; see :func:`mean_squared_error`.

    Parameters
    ----------
    reduction : str or None, default "sum_over_batch_size"
    name : str, default "mean_squared_error"
    dtype : str, optional

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> MeanSquaredError()(np.array([[0.0], [1.0]]), Tensor([[1.0], [1.0]])).item()
    0.5
    """

    def __init__(self, reduction: str | None = "sum_over_batch_size",
                 name: str = "mean_squared_error", dtype: Any = None) -> None:
        super().__init__(mean_squared_error, reduction=reduction, name=name, dtype=dtype)


class MeanAbsoluteError(LossFunctionWrapper):
    """Mean of absolute errors; see :func:`mean_absolute_error`.

    Parameters
    ----------
    reduction : str or None, default "sum_over_batch_size"
    name : str, default "mean_absolute_error"
    dtype : str, optional

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> MeanAbsoluteError()(np.array([[0.0], [1.0]]), Tensor([[2.0], [1.0]])).item()
    1.0
    """

    def __init__(self, reduction: str | None = "sum_over_batch_size",
                 name: str = "mean_absolute_error", dtype: Any = None) -> None:
        super().__init__(mean_absolute_error, reduction=reduction, name=name, dtype=dtype)


class MeanAbsolutePercentageError(LossFunctionWrapper):
    """Mean absolute percentage error; see :func:`mean_absolute_percentage_error`.

    Parameters
    ----------
    reduction : str or None, default "sum_over_batch_size"
    name : str, default "mean_absolute_percentage_error"
    dtype : str, optional

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> MeanAbsolutePercentageError()(np.array([[4.0]]), Tensor([[3.0]])).item()
    25.0
    """

    def __init__(self, reduction: str | None = "sum_over_batch_size",
                 name: str = "mean_absolute_percentage_error", dtype: Any = None) -> None:
        super().__init__(mean_absolute_percentage_error, reduction=reduction, name=name,
                         dtype=dtype)


class MeanSquaredLogarithmicError(LossFunctionWrapper):
    """Mean squared logarithmic error; see :func:`mean_squared_logarithmic_error`.

    Parameters
    ----------
    reduction : str or None, default "sum_over_batch_size"
    name : str, default "mean_squared_logarithmic_error"
    dtype : str, optional

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> MeanSquaredLogarithmicError()(np.array([[1.0]]), Tensor([[1.0]])).item()
    0.0
    """

    def __init__(self, reduction: str | None = "sum_over_batch_size",
                 name: str = "mean_squared_logarithmic_error", dtype: Any = None) -> None:
        super().__init__(mean_squared_logarithmic_error, reduction=reduction, name=name,
                         dtype=dtype)


class Huber(LossFunctionWrapper):
    """Huber loss; see :func:`huber`.

    Parameters
    ----------
    delta : float, default 1.0
        Positive; where the loss turns from quadratic to linear.
    reduction : str or None, default "sum_over_batch_size"
    name : str, default "huber_loss"
    dtype : str, optional

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> Huber(delta=2.0)(np.array([[0.0]]), Tensor([[3.0]])).item()
    4.0
    """

    def __init__(self, delta: float = 1.0, reduction: str | None = "sum_over_batch_size",
                 name: str = "huber_loss", dtype: Any = None) -> None:
        if not isinstance(delta, (int, float)) or isinstance(delta, bool) or delta <= 0:
            raise ValueError(f"Huber: delta must be a positive float, received delta={delta!r}.")
        super().__init__(huber, reduction=reduction, name=name, dtype=dtype, delta=delta)


class LogCosh(LossFunctionWrapper):
    """Logarithm of the hyperbolic cosine of the error; see :func:`log_cosh`.

    Parameters
    ----------
    reduction : str or None, default "sum_over_batch_size"
    name : str, default "log_cosh"
    dtype : str, optional

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> LogCosh()(np.array([[0.0]]), Tensor([[0.0]])).item()
    0.0
    """

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "log_cosh",
                 dtype: Any = None) -> None:
        super().__init__(log_cosh, reduction=reduction, name=name, dtype=dtype)


class CosineSimilarity(LossFunctionWrapper):
    """Negative cosine similarity; see :func:`cosine_similarity`.

    Parameters
    ----------
    axis : int, default -1
    reduction : str or None, default "sum_over_batch_size"
    name : str, default "cosine_similarity"
    dtype : str, optional

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> CosineSimilarity()(np.array([[0.0, 1.0]]), Tensor([[0.0, 3.0]])).item()
    -1.0
    """

    def __init__(self, axis: int = -1, reduction: str | None = "sum_over_batch_size",
                 name: str = "cosine_similarity", dtype: Any = None) -> None:
        super().__init__(cosine_similarity, reduction=reduction, name=name, dtype=dtype,
                         axis=axis)


def _squared_error_spec(**other: Any) -> LossSpec | None:
    """The fused primitive behind the mean squared error (descend.losses.fusion)."""
    return None if other else LossSpec(_nn.SquaredError, sparse=False, per_sample_mean=True)


FUSED[mean_squared_error] = _squared_error_spec
for _fn in (mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
            mean_squared_logarithmic_error, huber, log_cosh, cosine_similarity):
    VALIDATORS[_fn] = functools.partial(validation.same_shape, _fn_name=_fn.__name__)
del _fn
