"""Synchronized batch statistics: batch normalisation over the whole global batch.

Under :class:`~descend.distribution.DataParallel`, ``BatchNormalization`` in training
normalises with the mean and variance of the **global** batch, as one process with
the whole batch would, and its backward pass uses the global sums it needs, so
N-process training equals one-process training and the moving statistics stay
identical on every process. Per feature, with ``M`` the global count:

* forward: ``mean = sum_p S_p / M`` (one ``Allreduce`` of the sums and counts),
  then ``variance = sum_p Q_p / M`` with ``Q_p = sum (x - mean)**2`` (a second one,
  exactly the one-process two-pass formula);
* backward: ``sum(dy)`` and ``sum(dy * x_hat)`` over the global batch (one
  ``Allreduce``). Each process backpropagates the mean loss of its own part,
  ``n_p / N`` of the global loss, so its sums are weighted by ``n_p / N`` before
  they are added and divided by it after: exact for uneven shares too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["SynchronizedMoments"]


def _layout(shape: tuple[int, ...], axis: Any) -> tuple[tuple[int, ...], tuple[int, ...]]:
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    features = {int(a) % len(shape) for a in axes}
    reduced = tuple(i for i in range(len(shape)) if i not in features)
    return reduced, tuple(shape[i] for i in sorted(features))


class SynchronizedMoments:
    """The global-batch statistics and backward sums of batch normalisation.

    Parameters
    ----------
    replicas : Replicas
        Gives the communicator (``allreduce``) and this process's share of the
        current global batch (``share``).
    """

    def __init__(self, replicas: Any) -> None:
        self.replicas = replicas

    def moments(self, x: Any, axis: Any = -1) -> tuple[np.ndarray, np.ndarray]:
        """Mean and biased variance over the global batch, per feature.

        Parameters
        ----------
        x : Tensor or ndarray, shape (local batch, ...)
        axis : int or tuple of int, default -1

        Returns
        -------
        mean, variance : ndarray, shape ``x.shape[axis]``
        """
        data = np.asarray(getattr(x, "data", x))
        reduced, features = _layout(data.shape, axis)
        count = data.size // max(1, int(np.prod(features)))
        local = np.empty(int(np.prod(features)) + 1, dtype=np.float64)
        local[:-1] = data.sum(axis=reduced, dtype=np.float64).ravel()
        local[-1] = count
        total = self.replicas.allreduce(local)
        mean = (total[:-1] / total[-1]).astype(data.dtype)
        keep = tuple(n if i not in reduced else 1 for i, n in enumerate(data.shape))
        centered = data - mean.reshape(keep)
        squares = np.sum(np.square(centered, out=centered), axis=reduced, dtype=np.float64)
        variance = (self.replicas.allreduce(squares.ravel()) / total[-1]).astype(data.dtype)
        return mean.reshape(features), variance.reshape(features)

    def global_sums(self, sums: np.ndarray, count: int) -> tuple[np.ndarray, int]:
        """The backward's per-feature sums over the global batch, in this process's scale.

        Parameters
        ----------
        sums : ndarray, shape (2, ...)
            ``sum(dy)`` and ``sum(dy * x_hat)`` over this process's part.
        count : int
            Values averaged per feature on this process.

        Returns
        -------
        sums : ndarray, shape of ``sums``
        count : int
            The global count ``M``.
        """
        weight = self.replicas.share()
        local = np.empty(sums.size + 1, dtype=np.float64)
        local[:-1] = sums.ravel()
        local[:-1] *= weight
        local[-1] = count
        total = self.replicas.allreduce(local)
        out = (total[:-1] / weight).astype(sums.dtype).reshape(sums.shape)
        return out, int(round(total[-1]))
