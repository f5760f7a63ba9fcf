"""Probabilistic losses: binary, categorical and sparse categorical cross-entropy, KL, Poisson.

The cross-entropies use the engine's fused primitives (one graph node each):
``binary_crossentropy`` (clipped probabilities or stable logits),
``probability_crossentropy`` (Keras's renormalise-then-clip on probabilities) and
``softmax_crossentropy`` (from logits). Probabilities are clipped to
``[epsilon, 1 - epsilon]`` with ``epsilon = descend.config.epsilon()`` (1e-7).
"""

from __future__ import annotations

import functools
import warnings
from typing import Any

import numpy as np

from descend import config
from descend.autograd import Tensor, ops
from descend.autograd.ops import nn as _nn
from descend.losses import validation
from descend.losses.fusion import FUSED, LossSpec
from descend.losses.loss import VALIDATORS, LossFunctionWrapper
from descend.losses.regression import prepare


def _labels(y_true: Any, dtype: Any = None) -> np.ndarray:
    data = y_true.data if isinstance(y_true, Tensor) else y_true
    return np.asarray(data) if dtype is None else np.asarray(data, dtype=dtype)


def _same_shape(fn: str, target: np.ndarray, output: Tensor) -> None:
    if target.shape != output.shape:
        raise ValueError(
            f"{fn}: Arguments `target` and `output` must have the same shape. Received: "
            f"target.shape={target.shape}, output.shape={output.shape}."
        )


def _check_smoothing(label_smoothing: float, who: str) -> float:
    if not 0 <= label_smoothing <= 1:
        raise ValueError(
            f"{who}: label_smoothing must be in [0, 1], received {label_smoothing!r}."
        )
    return float(label_smoothing)


def _class_axis_last(y_pred: Tensor, axis: int) -> Tensor:
    axis = axis % y_pred.ndim
    if axis == y_pred.ndim - 1:
        return y_pred
    order = [i for i in range(y_pred.ndim) if i != axis] + [axis]
    return ops.transpose(y_pred, order)


def binary_crossentropy(
    y_true: Any, y_pred: Any, from_logits: bool = False, label_smoothing: float = 0.0,
    axis: int = -1,
) -> Tensor:
    """Binary cross-entropy, averaged over ``axis``.

    ``-mean(t * log(p) + (1 - t) * log(1 - p))`` with ``p`` clipped to
    ``[eps, 1 - eps]``, or computed stably from logits. Label smoothing:
    ``t * (1 - ls) + 0.5 * ls``.

    Parameters
    ----------
    y_true : array_like, shape (N, D)
        Labels in [0, 1].
    y_pred : Tensor, shape (N, D)
        Probabilities, or logits when ``from_logits``.
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
    >>> np.round(binary_crossentropy(np.array([[1.0]]), Tensor([[0.5]])).data, 4)
    array([0.6931], dtype=float32)
    """
    y_pred = ops.as_tensor(y_pred)
    t = _labels(y_true, y_pred.dtype)
    _same_shape("binary_crossentropy", t, y_pred)
    if label_smoothing:
        ls = _check_smoothing(label_smoothing, "binary_crossentropy")
        t = t * (1.0 - ls) + 0.5 * ls
    values = ops.binary_crossentropy(y_pred, t, from_logits=from_logits, eps=config.epsilon())
    return ops.mean(values, axis=axis)


def categorical_crossentropy(
    y_true: Any, y_pred: Any, from_logits: bool = False, label_smoothing: float = 0.0,
    axis: int = -1,
) -> Tensor:
    """Categorical cross-entropy ``-sum(t * log(p), axis)`` against one-hot labels.

    Probabilities are renormalised (``p / sum(p)``) and clipped to
    ``[eps, 1 - eps]`` (Keras); logits go through log-softmax. Label smoothing:
    ``t * (1 - ls) + ls / K``. Warns (``SyntaxWarning``, as Keras) for an output
    with one unit.

    Parameters
    ----------
    y_true : array_like, shape (N, K)
        One-hot (or probability) labels.
    y_pred : Tensor, shape (N, K)
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
    >>> np.round(categorical_crossentropy(np.array([[0, 1]]), Tensor([[0.5, 0.5]])).data, 4)
    array([0.6931], dtype=float32)
    """
    if isinstance(axis, bool):
        raise ValueError(f"categorical_crossentropy: axis must be an int, received {axis!r}.")
    y_pred = ops.as_tensor(y_pred)
    t = _labels(y_true, y_pred.dtype)
    if y_pred.shape and y_pred.shape[-1] == 1:
        warnings.warn(
            "In loss categorical_crossentropy, expected y_pred.shape to be (batch_size, "
            f"num_classes) with num_classes > 1. Received: y_pred.shape={y_pred.shape}. "
            "Consider using 'binary_crossentropy' if you only have 2 classes.",
            SyntaxWarning, stacklevel=2,
        )
    _same_shape("categorical_crossentropy", t, y_pred)
    if label_smoothing:
        ls = _check_smoothing(label_smoothing, "categorical_crossentropy")
        t = t * (1.0 - ls) + ls / t.shape[-1]
    if axis % y_pred.ndim != y_pred.ndim - 1:
        t = np.moveaxis(t, axis, -1)
        y_pred = _class_axis_last(y_pred, axis)
    if from_logits:
        return ops.softmax_crossentropy(y_pred, t, sparse=False)
    return ops.probability_crossentropy(y_pred, t, sparse=False, eps=config.epsilon())


def sparse_categorical_crossentropy(
    y_true: Any, y_pred: Any, from_logits: bool = False, ignore_class: int | None = None,
    axis: int = -1,
) -> Tensor:
    """Categorical cross-entropy against integer class ids: ``-log(p[label])``.

    Same clipping, renormalisation and logits handling as
    :func:`categorical_crossentropy`; labels of shape (N, 1) are squeezed.

    Parameters
    ----------
    y_true : array_like of int, shape (N,) or (N, 1)
        Class ids in ``[0, K)``.
    y_pred : Tensor, shape (N, K)
    from_logits : bool, default False
    ignore_class : int, optional
        Labels equal to it contribute 0 (and, in a loss object, leave the mean).
    axis : int, default -1
        The class axis.

    Returns
    -------
    Tensor, shape (N,)

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> probs = Tensor([[0.25, 0.75], [0.5, 0.5]])
    >>> np.round(sparse_categorical_crossentropy(np.array([1, 0]), probs).data, 4)
    array([0.2877, 0.6931], dtype=float32)
    """
    y_pred = ops.as_tensor(y_pred)
    t = _labels(y_true)
    if t.ndim == y_pred.ndim and t.ndim and t.shape[-1] == 1:
        t = t[..., 0]
    if y_pred.ndim < 1:
        raise ValueError(
            f"sparse_categorical_crossentropy: `output` must be at least rank 1, received "
            f"shape {y_pred.shape}."
        )
    y_pred = _class_axis_last(y_pred, axis)
    if t.shape != y_pred.shape[:-1]:
        raise ValueError(
            "sparse_categorical_crossentropy: Arguments `target` and `output` must have the "
            f"same shape up until the last dimension: target.shape={np.shape(y_true)}, "
            f"output.shape={y_pred.shape}. Pass integer class ids, one per sample (one-hot "
            "labels go with categorical_crossentropy)."
        )
    valid = None
    if ignore_class is not None:
        valid = t != ignore_class
        t = np.where(valid, t, 0)
    try:
        if from_logits:
            values = ops.softmax_crossentropy(y_pred, t, sparse=True)
        else:
            values = ops.probability_crossentropy(y_pred, t, sparse=True, eps=config.epsilon())
    except ValueError as exc:
        raise ValueError(f"sparse_categorical_crossentropy: {exc}") from None
    if valid is not None:
        values = ops.where(valid, values, 0.0)
    return values


def kl_divergence(y_true: Any, y_pred: Any) -> Tensor:
    """Kullback-Leibler divergence ``sum(t * log(t / p), axis=-1)``, both clipped to [eps, 1].

    Parameters
    ----------
    y_true : array_like, shape (N, K)
    y_pred : Tensor, shape (N, K)

    Returns
    -------
    Tensor, shape (N,)

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> np.round(kl_divergence(np.array([[0.5, 0.5]]), Tensor([[0.25, 0.75]])).data, 4)
    array([0.1438], dtype=float32)
    """
    t, p = prepare(y_true, y_pred)
    eps = config.epsilon()
    t = np.clip(t, eps, 1.0)
    return ops.sum((np.log(t) - ops.log(ops.clip(p, eps, 1.0))) * t, axis=-1)


def poisson(y_true: Any, y_pred: Any) -> Tensor:
    """Poisson loss ``mean(p - t * log(p + eps), axis=-1)``.

    Parameters
    ----------
    y_true : array_like, shape (N, D)
        Counts.
    y_pred : Tensor, shape (N, D)
        Predicted rates (positive).

    Returns
    -------
    Tensor, shape (N,)

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> np.round(poisson(np.array([[1.0]]), Tensor([[1.0]])).data, 4)
    array([1.], dtype=float32)
    """
    t, p = prepare(y_true, y_pred)
    return ops.mean(p - ops.log(p + config.epsilon()) * t, axis=-1)


class BinaryCrossentropy(LossFunctionWrapper):
    """Binary cross-entropy loss; see :func:`binary_crossentropy`.

    Parameters
    ----------
    from_logits : bool, default False
    label_smoothing : float, default 0.0
        In [0, 1].
    axis : int, default -1
    reduction : str or None, default "sum_over_batch_size"
    name : str, default "binary_crossentropy"
    dtype : str, optional

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> loss = BinaryCrossentropy()
    >>> round(loss(np.array([0.0, 1.0]), Tensor([[0.5], [0.5]])).item(), 4)
    0.6931
    """

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction: str | None = "sum_over_batch_size",
                 name: str = "binary_crossentropy", dtype: Any = None) -> None:
        _check_smoothing(label_smoothing, "BinaryCrossentropy")
        super().__init__(binary_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         from_logits=bool(from_logits), label_smoothing=label_smoothing,
                         axis=axis)
        self.from_logits, self.label_smoothing, self.axis = bool(from_logits), label_smoothing, axis


class CategoricalCrossentropy(LossFunctionWrapper):
    """Categorical cross-entropy loss (one-hot labels); see :func:`categorical_crossentropy`.

    Parameters
    ----------
    from_logits : bool, default False
    label_smoothing : float, default 0.0
        In [0, 1].
    axis : int, default -1
    reduction : str or None, default "sum_over_batch_size"
    name : str, default "categorical_crossentropy"
    dtype : str, optional

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> loss = CategoricalCrossentropy()
    >>> round(loss(np.array([[0.0, 1.0]]), Tensor([[0.5, 0.5]])).item(), 4)
    0.6931
    """

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction: str | None = "sum_over_batch_size",
                 name: str = "categorical_crossentropy", dtype: Any = None) -> None:
        _check_smoothing(label_smoothing, "CategoricalCrossentropy")
        super().__init__(categorical_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         from_logits=bool(from_logits), label_smoothing=label_smoothing,
                         axis=axis)
        self.from_logits, self.label_smoothing, self.axis = bool(from_logits), label_smoothing, axis


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy against integer class ids; see :func:`sparse_categorical_crossentropy`.

    With ``ignore_class``, labels equal to it are left out of the mean (Keras's
    mask rule).

    Parameters
    ----------
    from_logits : bool, default False
    ignore_class : int, optional
    reduction : str or None, default "sum_over_batch_size"
    name : str, default "sparse_categorical_crossentropy"
    dtype : str, optional
    axis : int, default -1

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> loss = SparseCategoricalCrossentropy(from_logits=True)
    >>> round(loss(np.array([0, 1]), Tensor([[0.0, 0.0], [0.0, 0.0]])).item(), 4)
    0.6931
    """

    def __init__(self, from_logits: bool = False, ignore_class: int | None = None,
                 reduction: str | None = "sum_over_batch_size",
                 name: str = "sparse_categorical_crossentropy", dtype: Any = None,
                 axis: int = -1) -> None:
        super().__init__(sparse_categorical_crossentropy, reduction=reduction, name=name,
                         dtype=dtype, from_logits=bool(from_logits), ignore_class=ignore_class,
                         axis=axis)
        self.from_logits, self.ignore_class, self.axis = bool(from_logits), ignore_class, axis

    def _label_mask(self, y_true: np.ndarray, y_pred: Tensor) -> np.ndarray | None:
        if self.ignore_class is None:
            return None
        ids = y_true
        if ids.ndim == y_pred.ndim and ids.ndim and ids.shape[-1] == 1:
            ids = ids[..., 0]
        return ids != self.ignore_class


class KLDivergence(LossFunctionWrapper):
    """Kullback-Leibler divergence loss; see :func:`kl_divergence`.

    Parameters
    ----------
    reduction : str or None, default "sum_over_batch_size"
    name : str, default "kl_divergence"
    dtype : str, optional

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> KLDivergence()(np.array([[0.5, 0.5]]), Tensor([[0.5, 0.5]])).item()
    0.0
    """

    def __init__(self, reduction: str | None = "sum_over_batch_size",
                 name: str = "kl_divergence", dtype: Any = None) -> None:
        super().__init__(kl_divergence, reduction=reduction, name=name, dtype=dtype)


class Poisson(LossFunctionWrapper):
    """Poisson loss; see :func:`poisson`.

    Parameters
    ----------
    reduction : str or None, default "sum_over_batch_size"
    name : str, default "poisson"
    dtype : str, optional

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> round(Poisson()(np.array([[0.0]]), Tensor([[2.0]])).item(), 4)
    2.0
    """

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "poisson",
                 dtype: Any = None) -> None:
        super().__init__(poisson, reduction=reduction, name=name, dtype=dtype)


def _crossentropy_spec(sparse: bool, from_logits: bool = False, axis: int = -1,
                       ignore_class: int | None = None,
                       label_smoothing: float = 0.0, **other: Any) -> LossSpec | None:
    """The fused primitive behind a categorical cross-entropy (descend.losses.fusion)."""
    if axis != -1 or ignore_class is not None or label_smoothing or other:
        return None
    if from_logits:
        return LossSpec(_nn.SoftmaxCrossEntropy, {"sparse": sparse}, sparse)
    return LossSpec(_nn.ProbabilityCrossEntropy, {"sparse": sparse}, sparse, epsilon=True)


def _binary_spec(from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 **other: Any) -> LossSpec | None:
    """The fused primitive behind the binary cross-entropy (descend.losses.fusion)."""
    if axis != -1 or label_smoothing or other:
        return None
    return LossSpec(_nn.BinaryCrossEntropy, {"from_logits": from_logits}, sparse=False,
                    epsilon=True, per_sample_mean=True)


FUSED[binary_crossentropy] = _binary_spec
FUSED[sparse_categorical_crossentropy] = functools.partial(_crossentropy_spec, True)
FUSED[categorical_crossentropy] = functools.partial(_crossentropy_spec, False)
VALIDATORS[binary_crossentropy] = validation.binary
VALIDATORS[categorical_crossentropy] = validation.categorical
VALIDATORS[sparse_categorical_crossentropy] = validation.sparse_categorical
for _fn in (kl_divergence, poisson):
    VALIDATORS[_fn] = functools.partial(validation.same_shape, _fn_name=_fn.__name__)
del _fn
