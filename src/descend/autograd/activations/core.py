"""The basic activations: identity, rectifiers and the squashing functions.

``linear``, ``relu``, ``sigmoid``, ``tanh`` and ``softmax`` are the five the
fused dense primitive knows; they stay plain functions with those names.
"""

from __future__ import annotations

from typing import Any

from descend.autograd import Tensor, ops
from descend.autograd.ops import as_tensor as _t


def linear(x: Any) -> Tensor:
    """Identity activation ``f(x) = x`` (what ``activation=None`` means).

    Parameters
    ----------
    x : Tensor, any shape

    Returns
    -------
    Tensor
        ``x`` itself.

    Examples
    --------
    >>> from descend.autograd import Tensor
    >>> linear(Tensor([-1.0, 2.0])).data
    array([-1.,  2.], dtype=float32)
    """
    return _t(x)


def relu(
    x: Any, negative_slope: float = 0.0, max_value: float | None = None, threshold: float = 0.0
) -> Tensor:
    """Rectified linear unit, Keras's generalised form.

    ``f(x) = min(x, max_value)`` for ``x > threshold``, else
    ``negative_slope * (x - threshold)``. With the defaults, ``max(x, 0)``.

    Parameters
    ----------
    x : Tensor, any shape
    negative_slope : float, default 0.0
        Slope below the threshold.
    max_value : float or None, default None
        Saturation value (None: unbounded).
    threshold : float, default 0.0
        Values at or below it are damped.

    Returns
    -------
    Tensor, same shape as ``x``

    Examples
    --------
    >>> from descend.autograd import Tensor
    >>> relu(Tensor([-2.0, 1.0, 8.0])).data
    array([0., 1., 8.], dtype=float32)
    >>> relu(Tensor([-2.0, 1.0, 8.0]), negative_slope=0.5, max_value=6.0).data
    array([-1.,  1.,  6.], dtype=float32)
    """
    x = _t(x)
    if negative_slope == 0 and max_value is None and threshold == 0:
        return ops.relu(x)
    if negative_slope < 0:
        raise ValueError(f"relu: negative_slope must be >= 0, received {negative_slope!r}.")
    if max_value is not None and max_value < 0:
        raise ValueError(f"relu: max_value must be >= 0 or None, received {max_value!r}.")
    above = x.data > threshold
    positive = x if max_value is None else ops.clip(x, 0.0, max_value)
    negative = (x - threshold) * negative_slope if negative_slope else 0.0
    return ops.where(above, positive, negative)


def sigmoid(x: Any) -> Tensor:
    """Logistic sigmoid ``f(x) = 1 / (1 + exp(-x))`` (stable for large ``|x|``).

    Parameters
    ----------
    x : Tensor, any shape

    Returns
    -------
    Tensor, values in (0, 1)

    Examples
    --------
    >>> from descend.autograd import Tensor
    >>> sigmoid(Tensor([0.0])).data
    array([0.5], dtype=float32)
    """
    return ops.sigmoid(_t(x))


def tanh(x: Any) -> Tensor:
    """Hyperbolic tangent ``f(x) = (e^x - e^-x) / (e^x + e^-x)``.

    Parameters
    ----------
    x : Tensor, any shape

    Returns
    -------
    Tensor, values in (-1, 1)

    Examples
    --------
    >>> from descend.autograd import Tensor
    >>> tanh(Tensor([0.0])).data
    array([0.], dtype=float32)
    """
    return ops.tanh(_t(x))


def softmax(x: Any, axis: int = -1) -> Tensor:
    """Softmax ``exp(x_i) / sum_j exp(x_j)`` along ``axis``.

    Parameters
    ----------
    x : Tensor, shape (..., classes)
    axis : int, default -1

    Returns
    -------
    Tensor, same shape; sums to 1 along ``axis``

    Examples
    --------
    >>> from descend.autograd import Tensor
    >>> softmax(Tensor([[0.0, 0.0]])).data
    array([[0.5, 0.5]], dtype=float32)
    """
    return ops.softmax(_t(x), axis=axis)


def log_softmax(x: Any, axis: int = -1) -> Tensor:
    """Logarithm of the softmax, ``x_i - logsumexp(x)`` along ``axis`` (stable).

    Parameters
    ----------
    x : Tensor, shape (..., classes)
    axis : int, default -1

    Returns
    -------
    Tensor, same shape

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> np.round(log_softmax(Tensor([[0.0, 0.0]])).data, 4)
    array([[-0.6931, -0.6931]], dtype=float32)
    """
    return ops.log_softmax(_t(x), axis=axis)


def exponential(x: Any) -> Tensor:
    """Exponential activation ``exp(x)``.

    Parameters
    ----------
    x : Tensor, any shape

    Returns
    -------
    Tensor, same shape

    Examples
    --------
    >>> from descend.autograd import Tensor
    >>> exponential(Tensor([0.0])).data
    array([1.], dtype=float32)
    """
    return ops.exp(_t(x))


def leaky_relu(x: Any, negative_slope: float = 0.2) -> Tensor:
    """Leaky ReLU: ``x`` for ``x > 0``, else ``negative_slope * x``.

    Parameters
    ----------
    x : Tensor, any shape
    negative_slope : float, default 0.2

    Returns
    -------
    Tensor, same shape

    Examples
    --------
    >>> from descend.autograd import Tensor
    >>> leaky_relu(Tensor([-1.0, 2.0])).data
    array([-0.2,  2. ], dtype=float32)
    """
    x = _t(x)
    return ops.where(x.data > 0, x, x * negative_slope)


def relu6(x: Any) -> Tensor:
    """ReLU capped at 6: ``min(max(x, 0), 6)``.

    Parameters
    ----------
    x : Tensor, any shape

    Returns
    -------
    Tensor, values in [0, 6]

    Examples
    --------
    >>> from descend.autograd import Tensor
    >>> relu6(Tensor([-1.0, 3.0, 9.0])).data
    array([0., 3., 6.], dtype=float32)
    """
    return ops.clip(_t(x), 0.0, 6.0)


def threshold(x: Any, threshold: float, default_value: float) -> Tensor:
    """``x`` where ``x > threshold``, else ``default_value``.

    Parameters
    ----------
    x : Tensor, any shape
    threshold : float
    default_value : float

    Returns
    -------
    Tensor, same shape

    Examples
    --------
    >>> from descend.autograd import Tensor
    >>> threshold(Tensor([-2.0, 3.0]), 0.0, -1.0).data
    array([-1.,  3.], dtype=float32)
    """
    x = _t(x)
    return ops.where(x.data > threshold, x, float(default_value))
