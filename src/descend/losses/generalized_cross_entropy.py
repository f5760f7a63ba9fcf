"""Generalized cross-entropy (Zhang & Sabuncu, 2018), robust to noisy labels.

``(1 - p_y ** q) / q`` interpolates between the cross-entropy (``q -> 0``) and
the mean absolute error of the probabilities (``q = 1``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.autograd import Tensor, ops
from descend.losses.loss import LossFunctionWrapper


def _check_q(who: str, q: Any) -> float:
    if isinstance(q, bool) or not isinstance(q, (int, float, np.floating)) or not 0 < q < 1:
        raise ValueError(f"{who}: q must be in the interval (0, 1), received q={q!r}.")
    return float(q)


def categorical_generalized_cross_entropy(y_true: Any, y_pred: Any, q: float) -> Tensor:
    """Per-sample ``(1 - p_y ** q) / q`` with ``p_y`` the probability of the true class.

    Parameters
    ----------
    y_true : array_like of int, shape (N,) or (N, 1)
        Class ids.
    y_pred : Tensor, shape (N, K)
        Probabilities.
    q : float
        In (0, 1).

    Returns
    -------
    Tensor, shape (N,)

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> y = categorical_generalized_cross_entropy(np.array([0]), Tensor([[0.25, 0.75]]), q=0.5)
    >>> y.data.tolist()
    [1.0]
    """
    q = _check_q("categorical_generalized_cross_entropy", q)
    y_pred = ops.as_tensor(y_pred)
    ids = np.asarray(y_true.data if isinstance(y_true, Tensor) else y_true)
    if ids.ndim == y_pred.ndim and ids.shape[-1:] == (1,):
        ids = ids[..., 0]
    k = y_pred.shape[-1]
    if ids.shape != y_pred.shape[:-1] or ids.dtype.kind not in "biuf" or (
        ids.size and (ids.min() < 0 or ids.max() >= k or np.any(ids != np.round(ids)))
    ):
        raise ValueError(
            "categorical_generalized_cross_entropy: y_true must hold integer class ids in "
            f"[0, {k}) of shape {y_pred.shape[:-1]}, received shape {ids.shape}."
        )
    one_hot = np.eye(k, dtype=y_pred.dtype)[ids.astype(np.int64)]
    p = ops.sum(y_pred * one_hot, axis=-1)
    return (1.0 - ops.pow(p, q)) * (1.0 / q)


class CategoricalGeneralizedCrossEntropy(LossFunctionWrapper):
    """Generalized cross-entropy loss; see :func:`categorical_generalized_cross_entropy`.

    Parameters
    ----------
    q : float, default 0.5
        In (0, 1).
    reduction : str or None, default "sum_over_batch_size"
    name : str, default "categorical_generalized_cross_entropy"
    dtype : str, optional

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> CategoricalGeneralizedCrossEntropy()(np.array([1]), Tensor([[0.0, 1.0]])).item()
    0.0
    """

    def __init__(self, q: float = 0.5, reduction: str | None = "sum_over_batch_size",
                 name: str = "categorical_generalized_cross_entropy", dtype: Any = None) -> None:
        q = _check_q("CategoricalGeneralizedCrossEntropy", q)
        super().__init__(categorical_generalized_cross_entropy, reduction=reduction, name=name,
                         dtype=dtype, q=q)
        self.q = q
        self._raw_labels = True  # integer class ids stay integers

    def call(self, y_true: Any, y_pred: Tensor) -> Tensor:
        return categorical_generalized_cross_entropy(y_true, y_pred, **self._fn_kwargs)
