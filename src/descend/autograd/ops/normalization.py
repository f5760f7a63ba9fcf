"""Batch normalisation as one fused primitive with its own backward.

With statistics ``mean`` and ``variance`` of the normalised axes (one value per
feature along ``axis``)::

    x_hat = (x - mean) / sqrt(variance + epsilon)
    y     = gamma * x_hat + beta

In training mode (``batch_statistics=True``) ``mean`` and ``variance`` are the
batch's own (biased) statistics, so they depend on ``x`` and the gradient is,
with ``m`` the number of values averaged per feature,

    dx = gamma / sqrt(variance + epsilon) * (dy - sum(dy) / m - x_hat * sum(dy * x_hat) / m)

When the batch is split among processes (data-parallel training), the sums above
run over the whole global batch: ``global_sums(sums, m)`` (given by
:mod:`descend.distribution`) turns this process's ``sum(dy)`` and
``sum(dy * x_hat)`` and its ``m`` into the global ones.

In inference mode they are constants (the moving averages) and
``dx = dy * gamma / sqrt(variance + epsilon)``. In both, ``d beta = sum(dy)`` and
``d gamma = sum(dy * x_hat)`` over every axis but ``axis``.

Examples
--------
>>> import numpy as np
>>> from descend.autograd.ops import normalization as norm
>>> x = np.array([[1.0, 10.0], [3.0, 30.0]])
>>> mean, variance = norm.moments(x, axis=-1)
>>> mean, variance
(array([ 2., 20.]), array([  1., 100.]))
>>> y = norm.batch_norm(x, np.ones(2), np.zeros(2), mean, variance, epsilon=0.0,
...                     batch_statistics=True)
>>> y.data
array([[-1., -1.],
       [ 1.,  1.]])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.autograd.function import Function
from descend.autograd.ops._convert import as_tensor
from descend.autograd.tensor import Tensor

__all__ = ["BatchNorm", "batch_norm", "moments"]


def _feature_axes(ndim: int, axis: Any) -> tuple[int, ...]:
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= int(a) < ndim:
            raise ValueError(
                f"batch_norm: axis {a} is out of range for an input with {ndim} dimensions."
            )
        out.append(int(a) % ndim)
    return tuple(sorted(set(out)))


def _layout(shape: tuple[int, ...], axis: Any):
    """Reduced axes, and the broadcast shape of per-feature values, for ``axis``."""
    features = _feature_axes(len(shape), axis)
    reduced = tuple(i for i in range(len(shape)) if i not in features)
    broadcast = tuple(n if i in features else 1 for i, n in enumerate(shape))
    return reduced, broadcast


def moments(x: Any, axis: Any = -1) -> tuple[np.ndarray, np.ndarray]:
    """Mean and biased variance of ``x`` over every axis but ``axis``.

    Parameters
    ----------
    x : array_like or Tensor
    axis : int or tuple of int, default -1
        The feature axis (or axes) kept.

    Returns
    -------
    mean, variance : ndarray
        Shape ``x.shape[axis]``; ``variance = mean((x - mean)**2)``.

    Examples
    --------
    >>> moments(np.array([[0.0], [2.0]]))
    (array([1.]), array([1.]))
    """
    data = np.asarray(x.data if isinstance(x, Tensor) else x)
    reduced, _ = _layout(data.shape, axis)
    mean = data.mean(axis=reduced, keepdims=True)
    centered = data - mean
    variance = np.mean(np.square(centered, out=centered), axis=reduced, keepdims=True)
    shape = tuple(data.shape[i] for i in _feature_axes(data.ndim, axis))
    return mean.reshape(shape), variance.reshape(shape)


class BatchNorm(Function):
    """Fused ``gamma * (x - mean) / sqrt(variance + epsilon) + beta`` (see the module docstring).

    Inputs ``x``, ``gamma`` and ``beta`` (the latter two of the feature shape);
    options ``mean`` and ``variance`` (arrays of the feature shape), ``epsilon``,
    ``axis``, ``batch_statistics`` and ``global_sums``.
    """

    def forward(self, x, gamma, beta, mean: Any = None, variance: Any = None,
                epsilon: float = 1e-3, axis: Any = -1, batch_statistics: bool = False,
                global_sums: Any = None):
        reduced, broadcast = _layout(x.shape, axis)
        dtype = x.dtype
        inv_std = 1.0 / np.sqrt(np.asarray(variance, dtype).reshape(broadcast) + dtype.type(
            epsilon))
        x_hat = x - np.asarray(mean, dtype).reshape(broadcast)
        x_hat *= inv_std
        y = x_hat * gamma.reshape(broadcast)
        y += beta.reshape(broadcast)
        if self.needs_grad is not None:
            self.x_hat, self.inv_std, self.gamma = x_hat, inv_std, gamma
            self.reduced, self.broadcast, self.batch = reduced, broadcast, batch_statistics
            self.global_sums = global_sums
        return y

    def backward(self, grad):
        needs = self.needs_grad
        x_hat, reduced, broadcast = self.x_hat, self.reduced, self.broadcast
        param_shape = self.gamma.shape
        g_beta = grad.sum(axis=reduced, keepdims=True)
        g_gamma = np.sum(grad * x_hat, axis=reduced, keepdims=True)
        gx = None
        if needs[0]:
            scale = self.gamma.reshape(broadcast) * self.inv_std
            if self.batch:
                count = grad.size // int(np.prod(broadcast))
                sum_beta, sum_gamma = g_beta, g_gamma
                if self.global_sums is not None:  # the whole global batch's sums
                    both, count = self.global_sums(np.stack([g_beta, g_gamma]), count)
                    sum_beta, sum_gamma = both[0], both[1]
                gx = grad - sum_beta / count
                gx -= x_hat * (sum_gamma / count)
                gx *= scale
            else:
                gx = grad * scale
        return (
            gx,
            g_gamma.reshape(param_shape) if needs[1] else None,
            g_beta.reshape(param_shape) if needs[2] else None,
        )


def batch_norm(x: Any, gamma: Any, beta: Any, mean: Any, variance: Any, axis: Any = -1,
               epsilon: float = 1e-3, batch_statistics: bool = False,
               global_sums: Any = None) -> Tensor:
    """Fused batch normalisation ``gamma * (x - mean) / sqrt(variance + epsilon) + beta``.

    Parameters
    ----------
    x : Tensor, shape (..., features, ...)
    gamma, beta : Tensor, shape ``x.shape[axis]``
        Scale and offset (pass constant ones/zeros for ``scale=False``/``center=False``).
    mean, variance : ndarray, shape ``x.shape[axis]``
        Statistics; no gradient flows *into* them.
    axis : int or tuple of int, default -1
        The feature axis (or axes).
    epsilon : float, default 1e-3
    batch_statistics : bool, default False
        True when ``mean``/``variance`` are ``moments(x, axis)`` (training mode):
        the backward then differentiates through them.
    global_sums : callable, optional
        Data-parallel training with global-batch statistics:
        ``global_sums(sums, count) -> (sums, count)`` maps this process's
        ``[sum(dy), sum(dy * x_hat)]`` (shape ``(2, *broadcast)``) and count to
        those of the global batch (see the module docstring).

    Returns
    -------
    Tensor, shape ``x.shape``

    Examples
    --------
    >>> import numpy as np
    >>> batch_norm(np.array([[4.0]]), np.array([2.0]), np.array([1.0]), np.array([3.0]),
    ...            np.array([1.0]), epsilon=0.0).data
    array([[3.]])
    """
    x = as_tensor(x)
    gamma, beta = as_tensor(gamma, x), as_tensor(beta, x)
    mean = np.asarray(mean.data if isinstance(mean, Tensor) else mean)
    variance = np.asarray(variance.data if isinstance(variance, Tensor) else variance)
    shape = tuple(x.shape[i] for i in _feature_axes(x.ndim, axis))
    for name, value in (("gamma", gamma), ("beta", beta), ("mean", mean),
                        ("variance", variance)):
        if tuple(value.shape) != shape:
            raise ValueError(
                f"batch_norm: {name} must have the shape of the feature axis {axis} of the "
                f"input, {shape}, received {tuple(value.shape)}."
            )
    return BatchNorm.apply(x, gamma, beta, mean=mean, variance=variance, epsilon=epsilon,
                           axis=axis, batch_statistics=batch_statistics,
                           global_sums=global_sums)
