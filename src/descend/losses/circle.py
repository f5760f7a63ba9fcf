"""Circle loss (Sun et al., 2020) for metric learning on L2-normalised embeddings.

Pairs of the batch with the same label are pulled together, pairs with
different labels pushed apart; each pair is weighted by how far it is from its
optimum, so the loss concentrates on the pairs that are most wrong. As in Keras
3, samples whose loss is 0 (e.g. no positive partner) are left out of the
``"sum_over_batch_size"`` mean.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.autograd import Tensor, ops
from descend.losses.loss import LossFunctionWrapper, reduce_weighted_values

# stands in for -inf inside logsumexp: finite, so the masked terms get zero gradient
_NEG = -1e30


def _labels_1d(who: str, labels: Any, n: int) -> np.ndarray:
    arr = np.asarray(labels.data if isinstance(labels, Tensor) else labels)
    arr = arr.reshape(-1)
    if arr.size != n:
        raise ValueError(
            f"{who}: expected one integer label per embedding ({n}), received labels of "
            f"shape {np.shape(labels)}."
        )
    if arr.dtype.kind == "f" and not np.all(arr == np.round(arr)):
        raise ValueError(f"{who}: labels must be integer class ids, received {arr[:5]!r}...")
    return arr.astype(np.int64)


def _softplus(x: Tensor) -> Tensor:
    return ops.maximum(x, 0.0) + ops.log(1.0 + ops.exp(-ops.abs(x)))


def circle(y_true: Any, y_pred: Any, ref_labels: Any = None, ref_embeddings: Any = None,
           remove_diagonal: bool = True, gamma: float = 80.0, margin: float = 0.4) -> Tensor:
    """Per-sample circle loss.

    With cosine distances ``d = max(1 - y_pred @ ref.T, 0)``, positives
    (same label, the diagonal removed when ``remove_diagonal``) and negatives:
    ``softplus(logsumexp(-gamma * max(margin + d, 0) * (margin - d) over positives)
    + logsumexp(gamma * max(1 + margin - d, 0) * (1 - margin - d) over negatives))``.

    Parameters
    ----------
    y_true : array_like of int, shape (N,)
        Labels of the embeddings.
    y_pred : Tensor, shape (N, D)
        Embeddings, expected L2-normalised.
    ref_labels : array_like of int, shape (M,), optional
        Labels of ``ref_embeddings``; defaults to ``y_true``.
    ref_embeddings : array_like, shape (M, D), optional
        Defaults to ``y_pred`` (all pairs inside the batch).
    remove_diagonal : bool, default True
        Do not count a sample as its own positive.
    gamma : float, default 80.0
        Scale.
    margin : float, default 0.4
        Relaxation margin.

    Returns
    -------
    Tensor, shape (N,)

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> emb = Tensor(np.eye(2, dtype="float32"))
    >>> circle(np.array([0, 1]), emb).data.tolist()
    [0.0, 0.0]
    """
    y_pred = ops.as_tensor(y_pred)
    if y_pred.ndim != 2:
        raise ValueError(
            f"circle: y_pred must be embeddings of shape (N, D), received shape {y_pred.shape}."
        )
    labels = _labels_1d("circle", y_true, y_pred.shape[0])
    ref = y_pred if ref_embeddings is None else ops.as_tensor(ref_embeddings)
    ref_ids = labels if ref_labels is None else _labels_1d("circle", ref_labels, ref.shape[0])
    distances = ops.maximum(1.0 - ops.matmul(y_pred, ops.transpose(ref)), 0.0)
    positive = labels[:, None] == ref_ids[None, :]
    negative = ~positive
    if remove_diagonal:
        positive = positive & ~np.eye(labels.size, ref_ids.size, dtype=bool)
    pos_f, neg_f = positive.astype(y_pred.dtype), negative.astype(y_pred.dtype)
    pos_weights = ops.maximum((margin + distances) * pos_f, 0.0)
    neg_weights = ops.maximum((1.0 + margin - distances) * neg_f, 0.0)
    pos_terms = pos_weights * (margin - distances) * (-gamma)
    neg_terms = neg_weights * (1.0 - margin - distances) * gamma
    p_loss = ops.logsumexp(ops.where(positive, pos_terms, _NEG), axis=1)
    n_loss = ops.logsumexp(ops.where(negative, neg_terms, _NEG), axis=1)
    return _softplus(p_loss + n_loss)


class Circle(LossFunctionWrapper):
    """Circle loss; see :func:`circle`.

    Labels are integer ids of shape (N,), predictions the embeddings (N, D).
    Samples whose loss is 0 are masked out of the reduction (Keras).

    Parameters
    ----------
    gamma : float, default 80.0
    margin : float, default 0.4
    remove_diagonal : bool, default True
    reduction : str or None, default "sum_over_batch_size"
    name : str, default "circle"
    dtype : str, optional

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> emb = Tensor(np.eye(2, dtype="float32"))
    >>> Circle()(np.array([0, 1]), emb).item()
    0.0
    """

    def __init__(self, gamma: float = 80.0, margin: float = 0.4, remove_diagonal: bool = True,
                 reduction: str | None = "sum_over_batch_size", name: str = "circle",
                 dtype: Any = None) -> None:
        for arg, value in (("gamma", gamma), ("margin", margin)):
            if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)):
                raise ValueError(f"Circle: {arg} must be a number, received {arg}={value!r}.")
        super().__init__(circle, reduction=reduction, name=name, dtype=dtype, gamma=gamma,
                         margin=margin, remove_diagonal=bool(remove_diagonal))
        self.gamma, self.margin, self.remove_diagonal = gamma, margin, bool(remove_diagonal)

    def call(self, y_true: Any, y_pred: Tensor) -> Tensor:
        return circle(y_true, y_pred, **self._fn_kwargs)

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor:
        y_pred = ops.as_tensor(y_pred)
        if self.dtype is not None and y_pred.dtype != self.dtype:
            y_pred = ops.cast(y_pred, self.dtype)
        values = self.call(y_true, y_pred)
        return reduce_weighted_values(values, sample_weight, self.reduction, values.data > 0)
