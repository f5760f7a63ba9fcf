"""The activations that fused primitives apply in place, and their derivatives.

A fused primitive (dense, convolution) computes ``z = x @ kernel + bias`` into a
fresh array and then applies its activation to ``z`` in place, so the
pre-activation is never kept. Its backward needs only the saved *output*: the
derivative of each of these activations is a function of it (relu: ``out > 0``,
sigmoid: ``out * (1 - out)``, tanh: ``1 - out**2``, softmax: its Jacobian-vector
product). Both the dense and the convolution primitives use the functions here,
and so does inference on plain arrays (``descend.models.plan``).

Examples
--------
>>> import numpy as np
>>> z = np.array([[-1.0, 0.5, 2.0]])
>>> activate_(z, "relu")
array([[0. , 0.5, 2. ]])
>>> activation_backward(np.ones((1, 3)), z, "relu")
array([[0., 1., 1.]])
"""

from __future__ import annotations

import numpy as np

FUSED_ACTIVATIONS = ("linear", "relu", "sigmoid", "tanh", "softmax")
"""Activations a fused primitive applies itself (anything else runs as its own node).

The one list: dense and convolution primitives, the layers' fusion descriptions
(:mod:`descend.layers.fusion`) and the tests read it from here."""

_ZERO_BLOCK = 1 << 16
_SMALL = 2048
"""Up to this size the scalar form is faster (measured crossover about 4096 float32)."""
_ZEROS: dict[np.dtype, np.ndarray] = {}
"""Read-only blocks of ``_ZERO_BLOCK`` zeros, one per dtype, shared by every in-place ReLU."""


def stable_sigmoid(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``1 / (1 + exp(-x))`` without overflow, as ``exp(-log(1 + exp(-x)))``.

    Writes into ``out`` when given (``out`` may be ``x`` itself).
    """
    out = np.negative(x, out=out)
    np.logaddexp(0, out, out=out)
    np.negative(out, out=out)
    return np.exp(out, out=out)


def _zeros(dtype: np.dtype) -> np.ndarray:
    zeros = _ZEROS.get(dtype)
    if zeros is None:
        zeros = _ZEROS[dtype] = np.zeros(_ZERO_BLOCK, dtype)
        zeros.flags.writeable = False
    return zeros


def _relu_into(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``max(x, 0)`` into ``out`` (``x`` itself or a new C-contiguous array like it)."""
    if x.size <= _SMALL or not x.flags.c_contiguous or x.dtype.kind != "f":
        return np.maximum(x, 0, out=out)  # small arrays: the fixed cost decides
    zeros = _zeros(x.dtype)
    flat, dest = x.reshape(-1), out.reshape(-1)
    size = flat.size
    for start in range(0, size, _ZERO_BLOCK):
        stop = min(start + _ZERO_BLOCK, size)
        np.maximum(flat[start:stop], zeros[:stop - start], out=dest[start:stop])
    return out


def relu(x: np.ndarray) -> np.ndarray:
    """``max(x, 0)`` into a new array (the out-of-place form of :func:`relu_`).

    Examples
    --------
    >>> relu(np.array([-2.0, 3.0]))
    array([0., 3.])
    """
    return _relu_into(x, np.empty_like(x, order="C"))


def relu_(z: np.ndarray) -> np.ndarray:
    """``max(z, 0)`` in place; returns ``z`` (same shape and dtype).

    ``np.maximum(z, 0)`` against a scalar runs a slow broadcasting loop in
    NumPy 2.x (slower than against an array of zeros: docs/benchmarks.md), so a
    C-contiguous float array is processed block by block against a cached
    block of zeros that stays in cache. NaN propagates as in ``np.maximum``.

    Examples
    --------
    >>> relu_(np.array([-1.0, 0.5, np.nan]))
    array([0. , 0.5, nan])
    """
    return _relu_into(z, z)


def _exp_normalize_(z: np.ndarray, axis: int) -> np.ndarray:
    np.exp(z, out=z)
    z /= np.add.reduce(z, axis=axis, keepdims=True)
    return z


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis`` into a new array (shifted by the maximum for stability)."""
    return _exp_normalize_(x - np.maximum.reduce(x, axis=axis, keepdims=True), axis)


def softmax_(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis``, in place (shifted by the maximum); returns ``z``."""
    z -= np.maximum.reduce(z, axis=axis, keepdims=True)
    return _exp_normalize_(z, axis)


def activate_(z: np.ndarray, activation: str) -> np.ndarray:
    """Apply one of ``FUSED_ACTIVATIONS`` to ``z`` in place; return ``z``.

    Parameters
    ----------
    z : ndarray, shape (..., units)
        A pre-activation the caller owns (it is overwritten).
    activation : {"linear", "relu", "sigmoid", "tanh", "softmax"}
        Softmax is taken along the last axis.
    """
    if activation == "relu":
        relu_(z)
    elif activation == "sigmoid":
        stable_sigmoid(z, out=z)
    elif activation == "tanh":
        np.tanh(z, out=z)
    elif activation == "softmax":
        softmax_(z)
    return z


def activation_backward(grad: np.ndarray, out: np.ndarray, activation: str) -> np.ndarray:
    """Gradient with respect to the pre-activation, from the saved output.

    Parameters
    ----------
    grad : ndarray
        Gradient with respect to the activation's output, shape of ``out``. Not
        modified.
    out : ndarray
        The activation's output.
    activation : {"linear", "relu", "sigmoid", "tanh", "softmax"}

    Returns
    -------
    ndarray
        A new array, except for ``"linear"``, which returns ``grad`` itself.
    """
    if activation == "relu":
        return np.multiply(grad, out > 0)
    if activation == "sigmoid":
        return grad * out * (1 - out)
    if activation == "tanh":
        return grad * (1 - out * out)
    if activation == "softmax":
        return out * (grad - np.add.reduce(grad * out, axis=-1, keepdims=True))
    return grad


__all__ = ["FUSED_ACTIVATIONS", "activate_", "activation_backward", "relu", "relu_", "softmax",
           "softmax_", "stable_sigmoid"]
