"""Piecewise-linear and piecewise-quadratic activations (hard sigmoid, shrinkage...)."""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.autograd import Tensor, ops
from descend.autograd.ops import as_tensor as _t


def hard_sigmoid(x: Any) -> Tensor:
    """Piecewise-linear sigmoid (Keras 3): ``relu6(x + 3) / 6``.

    0 for ``x <= -3``, 1 for ``x >= 3``, ``x / 6 + 0.5`` in between.

    Parameters
    ----------
    x : Tensor, any shape

    Returns
    -------
    Tensor, values in [0, 1]

    Examples
    --------
    >>> from descend.autograd import Tensor
    >>> hard_sigmoid(Tensor([-4.0, 0.0, 4.0])).data
    array([0. , 0.5, 1. ], dtype=float32)
    """
    return ops.clip(_t(x) + 3.0, 0.0, 6.0) * (1.0 / 6.0)


def hard_silu(x: Any) -> Tensor:
    """Hard SiLU (hard swish) ``x * hard_sigmoid(x)``.

    Parameters
    ----------
    x : Tensor, any shape

    Returns
    -------
    Tensor, same shape

    Examples
    --------
    >>> from descend.autograd import Tensor
    >>> hard_silu(Tensor([0.0, 4.0])).data
    array([0., 4.], dtype=float32)
    """
    x = _t(x)
    return x * hard_sigmoid(x)


hard_swish = hard_silu


def hard_tanh(x: Any) -> Tensor:
    """Hard tanh ``clip(x, -1, 1)``.

    Parameters
    ----------
    x : Tensor, any shape

    Returns
    -------
    Tensor, values in [-1, 1]

    Examples
    --------
    >>> from descend.autograd import Tensor
    >>> hard_tanh(Tensor([-3.0, 0.5])).data
    array([-1. ,  0.5], dtype=float32)
    """
    return ops.clip(_t(x), -1.0, 1.0)


def soft_shrink(x: Any, threshold: float = 0.5) -> Tensor:
    """Soft shrinkage: ``x - threshold`` above it, ``x + threshold`` below ``-threshold``, else 0.

    Parameters
    ----------
    x : Tensor, any shape
    threshold : float, default 0.5

    Returns
    -------
    Tensor, same shape

    Examples
    --------
    >>> from descend.autograd import Tensor
    >>> soft_shrink(Tensor([-2.0, 0.1, 2.0])).data
    array([-1.5,  0. ,  1.5], dtype=float32)
    """
    x = _t(x)
    shrunk = ops.where(x.data > 0, x - threshold, x + threshold)
    return ops.where(np.abs(x.data) > threshold, shrunk, 0.0)


def hard_shrink(x: Any, threshold: float = 0.5) -> Tensor:
    """Hard shrinkage: ``x`` where ``|x| > threshold``, else 0.

    Parameters
    ----------
    x : Tensor, any shape
    threshold : float, default 0.5

    Returns
    -------
    Tensor, same shape

    Examples
    --------
    >>> from descend.autograd import Tensor
    >>> hard_shrink(Tensor([-2.0, 0.1])).data
    array([-2.,  0.], dtype=float32)
    """
    x = _t(x)
    return ops.where(np.abs(x.data) > threshold, x, 0.0)


def sparse_plus(x: Any) -> Tensor:
    """SparsePlus: 0 for ``x <= -1``, ``(x + 1)^2 / 4`` for ``-1 < x < 1``, ``x`` for ``x >= 1``.

    Parameters
    ----------
    x : Tensor, any shape

    Returns
    -------
    Tensor, same shape

    Examples
    --------
    >>> from descend.autograd import Tensor
    >>> sparse_plus(Tensor([-2.0, 0.0, 2.0])).data
    array([0.  , 0.25, 2.  ], dtype=float32)
    """
    x = _t(x)
    middle = ops.clip(x, -1.0, 1.0) + 1.0
    return ops.where(x.data >= 1, x, middle * middle * 0.25)


def sparse_sigmoid(x: Any) -> Tensor:
    """SparseSigmoid: 0 for ``x <= -1``, 1 for ``x >= 1``, ``(x + 1) / 2`` in between.

    Parameters
    ----------
    x : Tensor, any shape

    Returns
    -------
    Tensor, values in [0, 1]

    Examples
    --------
    >>> from descend.autograd import Tensor
    >>> sparse_sigmoid(Tensor([-2.0, 0.0, 2.0])).data
    array([0. , 0.5, 1. ], dtype=float32)
    """
    return (ops.clip(_t(x), -1.0, 1.0) + 1.0) * 0.5
