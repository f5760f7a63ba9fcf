"""Smooth activations: the ELU family, GELU, softplus and relatives."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from descend.autograd import Tensor, ops
from descend.autograd.ops import as_tensor as _t
from descend.autograd.ops.special import Gelu

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _exp_minus_one_negative(x: Tensor, positive: np.ndarray) -> Tensor:
    """``exp(x) - 1`` evaluated only where ``x <= 0`` (0 elsewhere), so nothing overflows."""
    return ops.exp(ops.where(positive, 0.0, x)) - 1.0


def elu(x: Any, alpha: float = 1.0) -> Tensor:
    """Exponential linear unit: ``x`` for ``x > 0``, else ``alpha * (exp(x) - 1)``.

    Parameters
    ----------
    x : Tensor, any shape
    alpha : float, default 1.0

    Returns
    -------
    Tensor, same shape

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> np.round(elu(Tensor([-1.0, 2.0])).data, 4)
    array([-0.6321,  2.    ], dtype=float32)
    """
    x = _t(x)
    positive = x.data > 0
    return ops.where(positive, x, _exp_minus_one_negative(x, positive) * alpha)


def selu(x: Any) -> Tensor:
    """Scaled ELU: ``scale * elu(x, alpha)`` with ``alpha ~ 1.6733``, ``scale ~ 1.0507``.

    Parameters
    ----------
    x : Tensor, any shape

    Returns
    -------
    Tensor, same shape

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> np.round(selu(Tensor([-1.0, 1.0])).data, 4)
    array([-1.1113,  1.0507], dtype=float32)
    """
    x = _t(x)
    positive = x.data > 0
    negative = _exp_minus_one_negative(x, positive) * (_SELU_ALPHA * _SELU_SCALE)
    return ops.where(positive, x * _SELU_SCALE, negative)


def celu(x: Any, alpha: float = 1.0) -> Tensor:
    """Continuously differentiable ELU: ``max(x, 0) + min(0, alpha * (exp(x / alpha) - 1))``.

    Parameters
    ----------
    x : Tensor, any shape
    alpha : float, default 1.0

    Returns
    -------
    Tensor, same shape

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> np.round(celu(Tensor([-1.0, 2.0])).data, 4)
    array([-0.6321,  2.    ], dtype=float32)
    """
    x = _t(x)
    positive = x.data > 0
    return ops.where(positive, x, _exp_minus_one_negative(x * (1.0 / alpha), positive) * alpha)


def gelu(x: Any, approximate: bool = False) -> Tensor:
    """Gaussian error linear unit ``x * Phi(x)``, ``Phi`` the standard normal CDF.

    Exact: ``0.5 * x * (1 + erf(x / sqrt(2)))``. Approximate:
    ``0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))``.

    Parameters
    ----------
    x : Tensor, any shape
    approximate : bool, default False
        Use the tanh approximation.

    Returns
    -------
    Tensor, same shape

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> np.round(gelu(Tensor([-1.0, 1.0])).data, 4)
    array([-0.1587,  0.8413], dtype=float32)
    """
    x = _t(x)
    if not approximate:
        return Gelu.apply(x)
    inner = (x + x * x * x * 0.044715) * math.sqrt(2.0 / math.pi)
    return x * 0.5 * (ops.tanh(inner) + 1.0)


def softplus(x: Any) -> Tensor:
    """Softplus ``log(1 + exp(x))``, computed as ``max(x, 0) + log(1 + exp(-|x|))``.

    Parameters
    ----------
    x : Tensor, any shape

    Returns
    -------
    Tensor, same shape, positive

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> np.round(softplus(Tensor([0.0, 100.0])).data, 4)
    array([  0.6931, 100.    ], dtype=float32)
    """
    x = _t(x)
    return ops.relu(x) + ops.log(ops.exp(-ops.abs(x)) + 1.0)


def softsign(x: Any) -> Tensor:
    """Softsign ``x / (|x| + 1)``.

    Parameters
    ----------
    x : Tensor, any shape

    Returns
    -------
    Tensor, values in (-1, 1)

    Examples
    --------
    >>> from descend.autograd import Tensor
    >>> softsign(Tensor([1.0, -3.0])).data
    array([ 0.5 , -0.75], dtype=float32)
    """
    x = _t(x)
    return x / (ops.abs(x) + 1.0)


def silu(x: Any) -> Tensor:
    """Sigmoid linear unit (swish) ``x * sigmoid(x)``.

    Parameters
    ----------
    x : Tensor, any shape

    Returns
    -------
    Tensor, same shape

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> np.round(silu(Tensor([1.0])).data, 4)
    array([0.7311], dtype=float32)
    """
    x = _t(x)
    return x * ops.sigmoid(x)


swish = silu


def mish(x: Any) -> Tensor:
    """Mish ``x * tanh(softplus(x))``.

    Parameters
    ----------
    x : Tensor, any shape

    Returns
    -------
    Tensor, same shape

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> np.round(mish(Tensor([1.0])).data, 4)
    array([0.8651], dtype=float32)
    """
    x = _t(x)
    return x * ops.tanh(softplus(x))


def log_sigmoid(x: Any) -> Tensor:
    """Logarithm of the sigmoid, ``-softplus(-x)`` (stable).

    Parameters
    ----------
    x : Tensor, any shape

    Returns
    -------
    Tensor, same shape, negative

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> np.round(log_sigmoid(Tensor([0.0])).data, 4)
    array([-0.6931], dtype=float32)
    """
    return -softplus(-_t(x))


def squareplus(x: Any, b: float = 4) -> Tensor:
    """Squareplus ``(x + sqrt(x^2 + b)) / 2``.

    Parameters
    ----------
    x : Tensor, any shape
    b : float, default 4
        Smoothness near 0 (must be >= 0).

    Returns
    -------
    Tensor, same shape

    Examples
    --------
    >>> from descend.autograd import Tensor
    >>> squareplus(Tensor([0.0])).data
    array([1.], dtype=float32)
    """
    if b < 0:
        raise ValueError(f"squareplus: b must be >= 0, received {b!r}.")
    x = _t(x)
    return (x + ops.sqrt(x * x + float(b))) * 0.5


def tanh_shrink(x: Any) -> Tensor:
    """Tanh shrink ``x - tanh(x)``.

    Parameters
    ----------
    x : Tensor, any shape

    Returns
    -------
    Tensor, same shape

    Examples
    --------
    >>> from descend.autograd import Tensor
    >>> tanh_shrink(Tensor([0.0])).data
    array([0.], dtype=float32)
    """
    x = _t(x)
    return x - ops.tanh(x)
