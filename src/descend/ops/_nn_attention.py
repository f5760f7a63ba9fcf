"""Attention and signal measures of ``keras.ops.nn``: dot-product attention, PSNR, polar.

``dot_product_attention`` is the scaled dot-product attention of Keras 3 (and
of ``jax.nn.dot_product_attention``) on ``(batch, length, heads, head_dim)``
tensors, composed of the engine's matmul and softmax (differentiable in query,
key, value and bias):

    logits = scale * Q K^T + bias      (per batch and head; scale = 1/sqrt(head_dim))
    logits = where(mask, logits, -0.7 * float32_max)   (mask and is_causal)
    out = softmax(logits) V

Grouped-query attention: ``heads`` query heads share ``kv_heads`` key/value
heads when ``heads`` is a multiple of ``kv_heads`` (one shared head broadcasts).

Examples
--------
>>> import numpy as np
>>> from descend.ops import nn
>>> q = k = v = np.ones((1, 2, 1, 4))
>>> nn.dot_product_attention(q, k, v).shape
(1, 2, 1, 4)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from descend.autograd import ops as _ops
from descend.autograd.tensor import Tensor
from descend.ops._dispatch import keras_op
from descend.ops._nn_common import array, constant, tensor

__all__ = ["dot_product_attention", "polar", "psnr"]

_LARGE_NEGATIVE = -0.7 * 3.38953e38  # Keras's masked-logit value for float32 and wider


@keras_op
def dot_product_attention(query: Any, key: Any, value: Any, bias: Any = None, mask: Any = None,
                          scale: float | None = None, is_causal: bool = False,
                          flash_attention: bool | None = None,
                          attn_logits_soft_cap: float | None = None) -> Tensor:
    """Scaled dot-product attention (see the module docstring for the formula).

    Parameters
    ----------
    query : tensor-like, shape (B, T, N, H)
    key : tensor-like, shape (B, S, K, H)
        ``N`` a multiple of ``K``.
    value : tensor-like, shape (B, S, K, H)
    bias : tensor-like, broadcastable to (B, N, T, S), optional
        Added to the logits.
    mask : bool tensor-like, broadcastable to (B, N, T, S), optional
        False hides a key from a query.
    scale : float, optional
        Default ``1 / sqrt(H)``.
    is_causal : bool, default False
        Query ``t`` sees keys ``s <= t`` only (combined with ``mask``).
    flash_attention : bool, optional
        Accepted for compatibility; NumPy has no fused kernel, the result is the same.
    attn_logits_soft_cap : float, optional
        Cap ``c``: logits become ``c * tanh(logits / c)`` before masking (as JAX does).

    Returns
    -------
    Tensor, shape (B, T, N, H)
    """
    query = tensor(query)
    key, value = tensor(key, query), tensor(value, query)
    if query.ndim != 4 or key.ndim != 4 or value.ndim != 4:
        raise ValueError(
            "dot_product_attention: query, key and value must be 4-D (batch, length, heads, "
            f"head_dim), received {query.shape}, {key.shape} and {value.shape}."
        )
    heads, kv_heads = query.shape[2], key.shape[2]
    if key.shape != value.shape[:3] + (key.shape[3],) or heads % kv_heads \
            or query.shape[3] != key.shape[3] or query.shape[0] != key.shape[0]:
        raise ValueError(
            "dot_product_attention: expected key and value of shape (B, S, K, H) with the "
            "query's batch and head_dim and K dividing the query's heads, received query "
            f"{query.shape}, key {key.shape}, value {value.shape}."
        )
    q = _ops.transpose(query, (0, 2, 1, 3))  # (B, N, T, H)
    k = _ops.transpose(key, (0, 2, 3, 1))  # (B, K, H, S)
    v = _ops.transpose(value, (0, 2, 1, 3))  # (B, K, S, H)
    if 1 < kv_heads < heads:  # grouped-query attention: repeat each key/value head
        index = np.repeat(np.arange(kv_heads), heads // kv_heads)
        k, v = k[:, index], v[:, index]
    scale = 1.0 / math.sqrt(query.shape[3]) if scale is None else float(scale)
    logits = _ops.matmul(q, k) * scale  # (B, N, T, S)
    if bias is not None:
        logits = logits + tensor(bias, logits)
    if attn_logits_soft_cap is not None:
        cap = float(attn_logits_soft_cap)
        logits = _ops.tanh(logits * (1.0 / cap)) * cap
    keep = None if mask is None else array(mask).astype(bool)
    if is_causal:
        causal = np.tril(np.ones((query.shape[1], key.shape[1]), bool))
        keep = causal if keep is None else keep & causal
    if keep is not None:
        keep = np.broadcast_to(keep, logits.shape)
        logits = _ops.where(keep, logits, _LARGE_NEGATIVE)
    weights = _ops.softmax(logits, axis=-1)
    return _ops.transpose(_ops.matmul(weights, v), (0, 2, 1, 3))


@keras_op
def psnr(x1: Any, x2: Any, max_val: Any) -> Tensor:
    """Peak signal-to-noise ratio ``20 log10(max_val) - 10 log10(mean((x1 - x2)**2))``.

    Parameters
    ----------
    x1, x2 : tensor-like, same shape
    max_val : float
        The largest possible signal value (e.g. 1.0 or 255).

    Returns
    -------
    Tensor, shape ()
        In decibels; ``inf`` for identical signals.
    """
    x1 = tensor(x1)
    x2 = tensor(x2, x1)
    if x1.shape != x2.shape:
        raise ValueError(f"psnr: x1 and x2 must have the same shape, received {x1.shape} and "
                         f"{x2.shape}.")
    mse = _ops.mean(_ops.square(x1 - x2))
    peak = 20.0 * math.log10(float(array(max_val)))
    return peak - _ops.log(mse) * (10.0 / math.log(10.0))


@keras_op
def polar(abs_: Any, angle: Any) -> Tensor:
    """Complex numbers from magnitude and angle: ``abs_ * (cos(angle) + 1j * sin(angle))``.

    Parameters
    ----------
    abs_ : tensor-like
        Magnitudes.
    angle : tensor-like, broadcastable with ``abs_``
        Angles in radians.

    Returns
    -------
    Tensor of complex64 (complex128 for float64 inputs), no gradient
        descend's engine has no complex gradients.
    """
    magnitude, theta = array(abs_), array(angle)
    if magnitude.dtype.kind not in "iuf" or theta.dtype.kind not in "iuf":
        raise TypeError(
            f"polar: abs_ and angle must be real numbers, received dtypes {magnitude.dtype} and "
            f"{theta.dtype}."
        )
    wide = np.float64 in (magnitude.dtype, theta.dtype)
    dtype = np.complex128 if wide else np.complex64
    return constant((magnitude * (np.cos(theta) + 1j * np.sin(theta))).astype(dtype))
