"""Statistics and normalisations of ``keras.ops.nn``.

All are composite ops on the engine's primitives, so every argument that
Keras differentiates (the input, ``mean``/``variance`` of
``batch_normalization``, the scales and offsets) gets its gradient:

* ``moments``: mean and biased variance ``mean((x - mean)**2)`` over ``axes``;
* ``batch_normalization``: ``(x - mean) * rsqrt(variance + epsilon) * scale + offset``,
  ``mean``/``variance``/``offset``/``scale`` of the size of ``x.shape[axis]``;
* ``layer_normalization``: normalise by the moments over ``axis``
  (``epsilon`` defaults to ``config.epsilon()``, 1e-7);
* ``rms_normalization``: ``x * rsqrt(mean(x**2) + epsilon) * scale``;
* ``normalize``: ``x / max(norm_p(x), epsilon)`` along ``axis``.

Examples
--------
>>> import numpy as np
>>> from descend.ops import nn
>>> mean, var = nn.moments(np.array([[1.0, 3.0]]), axes=[1])
>>> mean.data, var.data
(array([2.]), array([1.]))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend import config
from descend.autograd import ops as _ops
from descend.autograd.tensor import Tensor
from descend.ops._dispatch import keras_op
from descend.ops._nn_common import normalize_axes, tensor

__all__ = [
    "batch_normalization", "layer_normalization", "moments", "normalize", "rms_normalization",
]


def _rsqrt(x: Tensor) -> Tensor:
    return 1.0 / _ops.sqrt(x)


@keras_op
def moments(x: Any, axes: Any, keepdims: bool = False,
            synchronized: bool = False) -> tuple[Tensor, Tensor]:
    """Mean and variance of ``x`` over ``axes``.

    Parameters
    ----------
    x : tensor-like, any shape
    axes : int or sequence of int
        The axes reduced.
    keepdims : bool, default False
        Keep the reduced axes with length 1.
    synchronized : bool, default False
        Keras's flag for statistics synchronised across devices; descend runs in one
        process, where both give the same result.

    Returns
    -------
    mean, variance : Tensor
        ``x.shape`` without ``axes`` (or with them of length 1); the variance is the
        biased ``mean((x - mean)**2)``.
    """
    x = tensor(x)
    reduced = normalize_axes(axes, x.ndim, "moments")
    mean = _ops.mean(x, axis=reduced, keepdims=True)
    variance = _ops.mean(_ops.square(x - mean), axis=reduced, keepdims=True)
    if not keepdims:
        mean, variance = _ops.squeeze(mean, reduced), _ops.squeeze(variance, reduced)
    return mean, variance


def _per_feature(value: Any, x: Tensor, shape: tuple[int, ...], name: str, op: str) -> Tensor:
    value = tensor(value, x)
    if value.size != int(np.prod(shape)):
        raise ValueError(
            f"{op}: {name} must have one value per feature along the normalised axis "
            f"({int(np.prod(shape))}), received shape {value.shape}."
        )
    return _ops.reshape(value, shape)


@keras_op
def batch_normalization(x: Any, mean: Any, variance: Any, axis: int, offset: Any = None,
                        scale: Any = None, epsilon: float = 1e-3) -> Tensor:
    """Normalise with given statistics: ``(x - mean) / sqrt(variance + eps) * scale + offset``.

    Parameters
    ----------
    x : tensor-like, any shape
    mean, variance : tensor-like, shape (x.shape[axis],)
    axis : int
        The feature axis.
    offset, scale : tensor-like, shape (x.shape[axis],), optional
        Default 0 and 1.
    epsilon : float, default 1e-3

    Returns
    -------
    Tensor, shape ``x.shape``
    """
    x = tensor(x)
    (axis,) = normalize_axes(axis, x.ndim, "batch_normalization")
    shape = tuple(x.shape[axis] if i == axis else 1 for i in range(x.ndim))
    mean = _per_feature(mean, x, shape, "mean", "batch_normalization")
    variance = _per_feature(variance, x, shape, "variance", "batch_normalization")
    factor = _rsqrt(variance + epsilon)
    if scale is not None:
        factor = factor * _per_feature(scale, x, shape, "scale", "batch_normalization")
    y = (x - mean) * factor
    if offset is not None:
        y = y + _per_feature(offset, x, shape, "offset", "batch_normalization")
    return y


def _broadcast_param(value: Any, x: Tensor, axes: tuple[int, ...], name: str, op: str) -> Tensor:
    value = tensor(value, x)
    if value.ndim == x.ndim or axes == (x.ndim - 1,):
        try:
            fits = np.broadcast_shapes(value.shape, x.shape) == x.shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(
                f"{op}: {name} of shape {value.shape} does not broadcast against the input of "
                f"shape {x.shape}; give it the shape of the normalised axes "
                f"{tuple(x.shape[i] for i in axes)}."
            )
        return value
    shape = tuple(x.shape[i] if i in axes else 1 for i in range(x.ndim))
    if value.size != int(np.prod(shape)):
        raise ValueError(
            f"{op}: {name} must have the shape of the normalised axes "
            f"{tuple(x.shape[i] for i in axes)}, received {value.shape}."
        )
    return _ops.reshape(value, shape)


@keras_op
def layer_normalization(x: Any, gamma: Any = None, beta: Any = None, axis: Any = -1,
                        epsilon: float | None = None, **kwargs: Any) -> Tensor:
    """Layer normalisation ``(x - mean) / sqrt(var + epsilon) * gamma + beta`` over ``axis``.

    Parameters
    ----------
    x : tensor-like, any shape
    gamma, beta : tensor-like, shape of the normalised axes, optional
    axis : int or sequence of int, default -1
    epsilon : float, optional
        Default ``config.epsilon()`` (1e-7).
    rms_scaling : bool, default False
        Keras's deprecated keyword: divide by ``sqrt(var + epsilon)`` without
        centring and without ``beta``.

    Returns
    -------
    Tensor, shape ``x.shape``
    """
    rms_scaling = kwargs.pop("rms_scaling", False)
    if kwargs:
        raise TypeError(f"layer_normalization: unexpected keyword arguments {sorted(kwargs)}.")
    x = tensor(x)
    epsilon = config.epsilon() if epsilon is None else epsilon
    axes = normalize_axes(axis, x.ndim, "layer_normalization")
    mean, variance = moments(x, axes, keepdims=True)
    inv = _rsqrt(variance + epsilon)
    if gamma is not None:
        inv = inv * _broadcast_param(gamma, x, axes, "gamma", "layer_normalization")
    if rms_scaling:
        return x * inv
    y = (x - mean) * inv
    if beta is not None:
        y = y + _broadcast_param(beta, x, axes, "beta", "layer_normalization")
    return y


@keras_op
def rms_normalization(x: Any, scale: Any = None, axis: Any = -1,
                      epsilon: float | None = None) -> Tensor:
    """Root-mean-square normalisation ``x * rsqrt(mean(x**2) + epsilon) * scale`` over ``axis``.

    Parameters
    ----------
    x : tensor-like, any shape
    scale : tensor-like, shape of the normalised axes, optional
    axis : int or sequence of int, default -1
    epsilon : float, optional
        Default ``config.epsilon()`` (1e-7).

    Returns
    -------
    Tensor, shape ``x.shape``
    """
    x = tensor(x)
    if x.ndim == 0:
        x = _ops.reshape(x, (1,))
    epsilon = config.epsilon() if epsilon is None else epsilon
    axes = normalize_axes(axis, x.ndim, "rms_normalization")
    y = x * _rsqrt(_ops.mean(_ops.square(x), axis=axes, keepdims=True) + epsilon)
    if scale is not None:
        y = y * _broadcast_param(scale, x, axes, "scale", "rms_normalization")
    return y


@keras_op
def normalize(x: Any, axis: int = -1, order: int = 2, epsilon: float | None = None) -> Tensor:
    """Scale ``x`` to unit ``order``-norm along ``axis``: ``x / max(norm(x), epsilon)``.

    Parameters
    ----------
    x : tensor-like, any shape
    axis : int, default -1
    order : int, default 2
        The norm's order, an int >= 1.
    epsilon : float, optional
        Lower bound of the norm; default ``config.epsilon()``.

    Returns
    -------
    Tensor, shape ``x.shape`` (a scalar becomes shape (1,), as in Keras)
    """
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 1:
        raise ValueError(f"normalize: order must be an int >= 1, received {order!r}.")
    x = tensor(x)
    if x.ndim == 0:
        x = _ops.reshape(x, (1,))
    epsilon = config.epsilon() if epsilon is None else epsilon
    if order == 2:
        # min(rsqrt(s), 1 / epsilon) written as rsqrt(max(s, epsilon**2)): no division by 0
        square_sum = _ops.sum(_ops.square(x), axis=axis, keepdims=True)
        return x * _rsqrt(_ops.maximum(square_sum, epsilon * epsilon))
    magnitude = _ops.abs(x)
    if order == 1:
        norm = _ops.sum(magnitude, axis=axis, keepdims=True)
    else:
        norm = _ops.sum(magnitude ** float(order), axis=axis, keepdims=True) ** (1.0 / order)
    return x / _ops.maximum(norm, epsilon)
