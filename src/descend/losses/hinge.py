"""Hinge losses for maximum-margin classifiers: hinge, squared hinge, categorical hinge.

Binary labels given as 0/1 are converted to -1/+1 first (Keras's rule: only
when every label is 0 or 1).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from descend.autograd import Tensor, ops
from descend.losses import validation
from descend.losses.loss import VALIDATORS, LossFunctionWrapper
from descend.losses.regression import prepare


def _signed(t: np.ndarray) -> np.ndarray:
    """Map 0/1 labels to -1/+1; any other labels are returned unchanged."""
    if np.all((t == 0) | (t == 1)):
        return 2.0 * t - 1.0
    return t


def hinge(y_true: Any, y_pred: Any) -> Tensor:
    """Hinge loss ``mean(max(1 - t * p, 0), axis=-1)`` with labels ``t`` in {-1, +1}.

    Parameters
    ----------
    y_true : array_like, shape (N, D)
        -1/+1 labels (0/1 labels are converted).
    y_pred : Tensor, shape (N, D)
        Scores.

    Returns
    -------
    Tensor, shape (N,)

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> hinge(np.array([[1.0], [0.0]]), Tensor([[0.5], [0.5]])).data
    array([0.5, 1.5], dtype=float32)
    """
    t, p = prepare(y_true, y_pred)
    return ops.mean(ops.relu(1.0 - p * _signed(t)), axis=-1)


def squared_hinge(y_true: Any, y_pred: Any) -> Tensor:
    """Squared hinge loss ``mean(max(1 - t * p, 0)^2, axis=-1)``.

    Parameters
    ----------
    y_true : array_like, shape (N, D)
        -1/+1 labels (0/1 labels are converted).
    y_pred : Tensor, shape (N, D)

    Returns
    -------
    Tensor, shape (N,)

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> squared_hinge(np.array([[1.0], [0.0]]), Tensor([[0.5], [0.5]])).data
    array([0.25, 2.25], dtype=float32)
    """
    t, p = prepare(y_true, y_pred)
    return ops.mean(ops.square(ops.relu(1.0 - p * _signed(t))), axis=-1)


def categorical_hinge(y_true: Any, y_pred: Any) -> Tensor:
    """Categorical hinge ``max(max((1 - t) * p) - sum(t * p) + 1, 0)`` over the last axis.

    Parameters
    ----------
    y_true : array_like, shape (N, K)
        One-hot labels.
    y_pred : Tensor, shape (N, K)

    Returns
    -------
    Tensor, shape (N,)

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> categorical_hinge(np.array([[0.0, 1.0]]), Tensor([[0.2, 0.9]])).data
    array([0.3], dtype=float32)
    """
    t, p = prepare(y_true, y_pred)
    positive = ops.sum(p * t, axis=-1)
    negative = ops.max(p * (1.0 - t), axis=-1)
    return ops.relu(negative - positive + 1.0)


class Hinge(LossFunctionWrapper):
    """Hinge loss; see :func:`hinge`.

    Parameters
    ----------
    reduction : str or None, default "sum_over_batch_size"
    name : str, default "hinge"
    dtype : str, optional

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> Hinge()(np.array([[1.0], [0.0]]), Tensor([[0.5], [0.5]])).item()
    1.0
    """

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "hinge",
                 dtype: Any = None) -> None:
        super().__init__(hinge, reduction=reduction, name=name, dtype=dtype)


class SquaredHinge(LossFunctionWrapper):
    """Squared hinge loss; see :func:`squared_hinge`.

    Parameters
    ----------
    reduction : str or None, default "sum_over_batch_size"
    name : str, default "squared_hinge"
    dtype : str, optional

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> SquaredHinge()(np.array([[1.0], [0.0]]), Tensor([[0.5], [0.5]])).item()
    1.25
    """

    def __init__(self, reduction: str | None = "sum_over_batch_size",
                 name: str = "squared_hinge", dtype: Any = None) -> None:
        super().__init__(squared_hinge, reduction=reduction, name=name, dtype=dtype)


class CategoricalHinge(LossFunctionWrapper):
    """Categorical hinge loss; see :func:`categorical_hinge`.

    Parameters
    ----------
    reduction : str or None, default "sum_over_batch_size"
    name : str, default "categorical_hinge"
    dtype : str, optional

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> CategoricalHinge()(np.array([[1.0, 0.0]]), Tensor([[2.0, 0.0]])).item()
    0.0
    """

    def __init__(self, reduction: str | None = "sum_over_batch_size",
                 name: str = "categorical_hinge", dtype: Any = None) -> None:
        super().__init__(categorical_hinge, reduction=reduction, name=name, dtype=dtype)


for _fn in (hinge, squared_hinge, categorical_hinge):
    VALIDATORS[_fn] = functools.partial(validation.same_shape, _fn_name=_fn.__name__)
del _fn
