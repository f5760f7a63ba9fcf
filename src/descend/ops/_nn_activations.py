"""The activation functions of ``keras.ops.nn``, with Keras's signatures.

Each delegates to the differentiable implementation in
:mod:`descend.autograd.activations` (one formula in one place); the differences from the
activation-layer functions are Keras's ``ops.nn`` signatures, e.g.
``gelu(x, approximate=True)`` and ``softmax``/``log_softmax`` over a tuple of
axes.

Examples
--------
>>> from descend.ops import nn
>>> nn.relu6([-1.0, 3.0, 9.0]).data
array([0., 3., 6.], dtype=float32)
"""

from __future__ import annotations

from typing import Any

from descend.autograd import activations as _act
from descend.autograd import ops as _ops
from descend.autograd.tensor import Tensor
from descend.ops._dispatch import keras_op
from descend.ops._nn_common import normalize_axes, tensor

__all__ = [
    "celu", "elu", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu", "hard_swish",
    "hard_tanh", "leaky_relu", "log_sigmoid", "log_softmax", "relu", "relu6", "selu",
    "sigmoid", "silu", "soft_shrink", "softmax", "softplus", "softsign", "sparse_plus",
    "sparse_sigmoid", "sparsemax", "squareplus", "swish", "tanh_shrink", "threshold",
]


@keras_op
def relu(x: Any) -> Tensor:
    """Rectified linear unit ``max(x, 0)``; ``x`` any shape, result same shape."""
    return _ops.relu(tensor(x))


@keras_op
def relu6(x: Any) -> Tensor:
    """``min(max(x, 0), 6)``; same shape as ``x``."""
    return _act.relu6(tensor(x))


@keras_op
def sigmoid(x: Any) -> Tensor:
    """Logistic sigmoid ``1 / (1 + exp(-x))``; same shape as ``x``."""
    return _ops.sigmoid(tensor(x))


@keras_op
def sparse_sigmoid(x: Any) -> Tensor:
    """``0`` below -1, ``(x + 1) / 2`` in [-1, 1], ``1`` above; same shape as ``x``."""
    return _act.sparse_sigmoid(tensor(x))


@keras_op
def softplus(x: Any) -> Tensor:
    """``log(1 + exp(x))`` computed stably; same shape as ``x``."""
    return _act.softplus(tensor(x))


@keras_op
def softsign(x: Any) -> Tensor:
    """``x / (1 + |x|)``; same shape as ``x``."""
    return _act.softsign(tensor(x))


@keras_op
def soft_shrink(x: Any, threshold: float = 0.5) -> Tensor:
    """``x - threshold`` above ``threshold``, ``x + threshold`` below ``-threshold``, else 0.

    Parameters
    ----------
    x : tensor-like, any shape
    threshold : float, default 0.5
    """
    return _act.soft_shrink(tensor(x), threshold)


@keras_op
def sparse_plus(x: Any) -> Tensor:
    """0 below -1, ``(x + 1)**2 / 4`` in [-1, 1], ``x`` above; same shape as ``x``."""
    return _act.sparse_plus(tensor(x))


@keras_op
def silu(x: Any) -> Tensor:
    """Sigmoid linear unit (swish) ``x * sigmoid(x)``; same shape as ``x``."""
    return _act.silu(tensor(x))


swish = keras_op(silu.__wrapped_op__)
swish.__name__ = swish.__qualname__ = "swish"


@keras_op
def squareplus(x: Any, b: float = 4) -> Tensor:
    """``(x + sqrt(x**2 + b)) / 2``; same shape as ``x``.

    Parameters
    ----------
    x : tensor-like, any shape
    b : float, default 4
        Smoothness at 0 (non-negative).
    """
    return _act.squareplus(tensor(x), b)


@keras_op
def log_sigmoid(x: Any) -> Tensor:
    """``log(sigmoid(x)) = -softplus(-x)``; same shape as ``x``."""
    return _act.log_sigmoid(tensor(x))


@keras_op
def leaky_relu(x: Any, negative_slope: float = 0.2) -> Tensor:
    """``x`` for ``x >= 0``, else ``negative_slope * x``.

    Parameters
    ----------
    x : tensor-like, any shape
    negative_slope : float, default 0.2
    """
    return _act.leaky_relu(tensor(x), negative_slope)


@keras_op
def hard_sigmoid(x: Any) -> Tensor:
    """``relu6(x + 3) / 6``; same shape as ``x``."""
    return _act.hard_sigmoid(tensor(x))


@keras_op
def hard_silu(x: Any) -> Tensor:
    """Hard SiLU (hard swish) ``x * relu6(x + 3) / 6``; same shape as ``x``."""
    return _act.hard_silu(tensor(x))


hard_swish = keras_op(hard_silu.__wrapped_op__)
hard_swish.__name__ = hard_swish.__qualname__ = "hard_swish"


@keras_op
def elu(x: Any, alpha: float = 1.0) -> Tensor:
    """``x`` for ``x > 0``, else ``alpha * (exp(x) - 1)``.

    Parameters
    ----------
    x : tensor-like, any shape
    alpha : float, default 1.0
    """
    return _act.elu(tensor(x), alpha)


@keras_op
def selu(x: Any) -> Tensor:
    """Scaled ELU ``1.0507 * elu(x, 1.67326)``; same shape as ``x``."""
    return _act.selu(tensor(x))


@keras_op
def gelu(x: Any, approximate: bool = True) -> Tensor:
    """Gaussian error linear unit ``x * Phi(x)`` (tanh approximation by default, as Keras).

    Parameters
    ----------
    x : tensor-like, any shape
    approximate : bool, default True
        ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``; False gives the exact
        ``0.5 x (1 + erf(x / sqrt(2)))``.
    """
    return _act.gelu(tensor(x), approximate=approximate)


@keras_op
def celu(x: Any, alpha: float = 1.0) -> Tensor:
    """``max(x, 0) + min(alpha * (exp(x / alpha) - 1), 0)``.

    Parameters
    ----------
    x : tensor-like, any shape
    alpha : float, default 1.0
    """
    return _act.celu(tensor(x), alpha)


@keras_op
def glu(x: Any, axis: int = -1) -> Tensor:
    """Gated linear unit: halves ``a, b`` of ``x`` along ``axis`` give ``a * sigmoid(b)``.

    Parameters
    ----------
    x : tensor-like, shape (..., 2 * d, ...)
    axis : int, default -1

    Returns
    -------
    Tensor, the size of ``axis`` halved
    """
    return _act.glu(tensor(x), axis)


@keras_op
def hard_tanh(x: Any) -> Tensor:
    """``clip(x, -1, 1)``; same shape as ``x``."""
    return _act.hard_tanh(tensor(x))


@keras_op
def hard_shrink(x: Any, threshold: float = 0.5) -> Tensor:
    """``x`` where ``|x| > threshold``, else 0.

    Parameters
    ----------
    x : tensor-like, any shape
    threshold : float, default 0.5
    """
    return _act.hard_shrink(tensor(x), threshold)


@keras_op
def tanh_shrink(x: Any) -> Tensor:
    """``x - tanh(x)``; same shape as ``x``."""
    return _act.tanh_shrink(tensor(x))


@keras_op
def threshold(x: Any, threshold: float, default_value: float) -> Tensor:
    """``x`` where ``x > threshold``, else ``default_value``.

    Parameters
    ----------
    x : tensor-like, any shape
    threshold : float
    default_value : float
    """
    return _act.threshold(tensor(x), threshold, default_value)


def _multi_axis_softmax(x: Tensor, axes: tuple[int, ...], log: bool) -> Tensor:
    shifted = x - _ops.max(x, axis=axes, keepdims=True).data  # a constant shift: no gradient
    if log:
        return shifted - _ops.logsumexp(shifted, axis=axes, keepdims=True)
    e = _ops.exp(shifted)
    return e / _ops.sum(e, axis=axes, keepdims=True)


@keras_op
def softmax(x: Any, axis: Any = -1) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``axis`` (an int or a tuple of axes).

    Parameters
    ----------
    x : tensor-like, any shape
    axis : int or tuple of int, default -1

    Returns
    -------
    Tensor, same shape, summing to 1 over ``axis``
    """
    x = tensor(x)
    if isinstance(axis, (tuple, list)):
        axes = normalize_axes(axis, x.ndim, "softmax")
        if len(axes) > 1:
            return _multi_axis_softmax(x, axes, log=False)
        axis = axes[0]
    (axis,) = normalize_axes(axis, max(x.ndim, 1), "softmax")
    return _ops.softmax(x, axis=axis)


@keras_op
def log_softmax(x: Any, axis: Any = -1) -> Tensor:
    """``x - logsumexp(x)`` along ``axis`` (an int or a tuple of axes).

    Parameters
    ----------
    x : tensor-like, any shape
    axis : int or tuple of int, default -1

    Returns
    -------
    Tensor, same shape
    """
    x = tensor(x)
    if isinstance(axis, (tuple, list)):
        axes = normalize_axes(axis, x.ndim, "log_softmax")
        if len(axes) > 1:
            return _multi_axis_softmax(x, axes, log=True)
        axis = axes[0]
    (axis,) = normalize_axes(axis, max(x.ndim, 1), "log_softmax")
    return _ops.log_softmax(x, axis=axis)


@keras_op
def sparsemax(x: Any, axis: int = -1) -> Tensor:
    """Euclidean projection of ``x`` onto the probability simplex along ``axis``.

    Parameters
    ----------
    x : tensor-like, any shape
    axis : int, default -1

    Returns
    -------
    Tensor, same shape, non-negative, summing to 1 over ``axis``
    """
    return _act.sparsemax(tensor(x), axis)
