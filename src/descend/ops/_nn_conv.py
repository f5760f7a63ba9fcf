"""Convolutions of ``keras.ops.nn``: conv, depthwise, separable and transposed.

Layouts are Keras's: inputs ``(batch, *spatial, channels)`` (``channels_last``,
the default) or ``(batch, channels, *spatial)``; kernels ``(*kernel_size,
in_channels // groups, filters)`` for ``conv``, ``(*kernel_size, in_channels,
multiplier)`` for ``depthwise_conv`` and ``(*kernel_size, filters,
in_channels)`` for ``conv_transpose``. All run on the engine's im2col
convolution primitive (:mod:`descend.autograd.ops.conv`), so they are
differentiable in both the input and the kernel:

* a depthwise convolution (one input channel per group) is a sum over kernel
  offsets of strided input slices times per-channel weights (composite ops);
* any other grouped ``conv`` (``in_channels`` a multiple of the kernel's input
  channels) is one convolution with a block-diagonal kernel built from the
  grouped one (a composite op, so the gradient reaches the grouped kernel); it
  costs ``groups`` times the arithmetic of the grouped convolution, the price of
  one fast primitive instead of a loop over groups;
* ``conv_transpose`` inserts ``stride - 1`` zeros between input elements
  (:mod:`descend.autograd.ops.dilate`), pads, and convolves with the spatially
  flipped kernel, using Keras's (JAX's) padding rule, including
  ``output_padding``.

Examples
--------
>>> import numpy as np
>>> from descend.ops import nn
>>> nn.conv(np.ones((1, 4, 1)), np.ones((2, 1, 1))).data.ravel()
array([2., 2., 2.])
>>> nn.conv_transpose(np.ones((1, 2, 1)), np.ones((2, 1, 1)), strides=2).data.ravel()
array([1., 1., 1., 1.])
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from descend.autograd import ops as _ops
from descend.autograd.ops import conv as _conv
from descend.autograd.ops.dilate import dilate
from descend.autograd.tensor import Tensor
from descend.ops._dispatch import keras_op
from descend.ops._nn_common import (
    data_format,
    from_channels_last,
    per_axis,
    spatial_rank,
    tensor,
    to_channels_last,
)

__all__ = ["conv", "conv_transpose", "depthwise_conv", "separable_conv"]


def padding_mode(padding: Any, op: str) -> str:
    """``"valid"`` or ``"same"`` (any case), else a ValueError naming ``op``."""
    value = str(padding).lower()
    if value not in ("valid", "same"):
        raise ValueError(f"{op}: padding must be 'valid' or 'same', received {padding!r}.")
    return value


def pad_or_crop(x: Tensor, pads: tuple[tuple[int, int], ...], value: float = 0.0) -> Tensor:
    """Pad the spatial axes of a channels-last tensor; negative amounts crop."""
    if any(lo < 0 or hi < 0 for lo, hi in pads):
        index = (slice(None), *(slice(max(-lo, 0), n - max(-hi, 0))
                                for n, (lo, hi) in zip(x.shape[1:-1], pads, strict=True)),
                 slice(None))
        x = x[index]
        pads = tuple((max(lo, 0), max(hi, 0)) for lo, hi in pads)
    if any(lo or hi for lo, hi in pads):
        x = _conv.pad(x, pads, value)
    return x


def _block_diagonal(kernel: Tensor, groups: int) -> Tensor:
    """A grouped kernel ``(*k, cin / g, f)`` as the full ``(*k, cin, f)`` (zeros off-block)."""
    *window, cin_g, filters = kernel.shape
    f_g = filters // groups
    grouped = _ops.reshape(kernel, (*window, 1, cin_g, groups, f_g))
    mask = np.eye(groups, dtype=kernel.dtype).reshape(groups, 1, groups, 1)
    return _ops.reshape(grouped * mask, (*window, groups * cin_g, filters))


def _depthwise_last(x: Tensor, kernel: Tensor, strides: tuple[int, ...], padding: str,
                    dilation: tuple[int, ...]) -> Tensor:
    """Depthwise convolution as a sum over kernel offsets (kernel ``(*k, 1, cin * m)``).

    One strided slice of the padded input per kernel offset, times that offset's
    per-channel weights: ``prod(k)`` broadcast products, the arithmetic of the
    depthwise convolution itself (the block-diagonal kernel would cost ``cin``
    times more).
    """
    rank = x.ndim - 2
    window = kernel.shape[:rank]
    cin = x.shape[-1]
    multiplier = kernel.shape[-1] // cin
    pads = tuple(_conv.padding_amounts(n, k, s, d, padding)
                 for n, k, s, d in zip(x.shape[1:-1], window, strides, dilation, strict=True))
    out = tuple((n + lo + hi - d * (k - 1) - 1) // s + 1 for n, k, s, d, (lo, hi)
                in zip(x.shape[1:-1], window, strides, dilation, pads, strict=True))
    if any(o < 1 for o in out):
        raise ValueError(
            f"depthwise_conv: the kernel {window} (dilation {dilation}) is larger than the "
            f"padded input {x.shape[1:-1]}; use padding='same' or a smaller kernel."
        )
    xp = pad_or_crop(x, pads)
    expanded = _ops.reshape(xp, (*xp.shape, 1))  # (batch, *spatial, cin, 1)
    weights = _ops.reshape(kernel, (*window, cin, multiplier))
    total = None
    for offset in itertools.product(*(range(k) for k in window)):
        index = (slice(None), *(slice(o * d, o * d + (n - 1) * s + 1, s) for o, d, n, s
                                in zip(offset, dilation, out, strides, strict=True)))
        term = expanded[index] * weights[offset]
        total = term if total is None else total + term
    return _ops.reshape(total, (x.shape[0], *out, cin * multiplier))


def _conv_last(x: Tensor, kernel: Tensor, strides: Any, padding: str, dilation_rate: Any,
               op: str) -> Tensor:
    """Grouped N-d convolution of channels-last ``x``."""
    rank = spatial_rank(x, op)
    if kernel.ndim != rank + 2:
        raise ValueError(
            f"{op}: expected a kernel of shape (*kernel_size, in_channels, filters) with "
            f"{rank} spatial axes for an input of shape {x.shape}, received {kernel.shape}."
        )
    cin, kin, filters = x.shape[-1], kernel.shape[-2], kernel.shape[-1]
    if kin < 1 or cin % kin or filters % (cin // kin):
        raise ValueError(
            f"{op}: the input's {cin} channels must be a multiple of the kernel's {kin} input "
            f"channels, and the kernel's {filters} filters a multiple of the {cin // max(kin, 1)}"
            " groups this makes."
        )
    strides = per_axis(strides, rank, "strides", op)
    dilation = per_axis(dilation_rate, rank, "dilation_rate", op)
    groups = cin // kin
    if groups > 1 and kin == 1:
        return _depthwise_last(x, kernel, strides, padding, dilation)
    if groups > 1:
        kernel = _block_diagonal(kernel, groups)
    return _conv.conv(x, kernel, strides=strides, padding=padding, dilation_rate=dilation)


@keras_op
def conv(inputs: Any, kernel: Any, strides: Any = 1, padding: str = "valid",
         data_format: str | None = None, dilation_rate: Any = 1) -> Tensor:
    """N-d convolution (cross-correlation), 1 to 3 spatial axes.

    Parameters
    ----------
    inputs : tensor-like, shape (batch, *spatial, channels)
        (``(batch, channels, *spatial)`` for ``channels_first``.)
    kernel : tensor-like, shape (*kernel_size, channels // groups, filters)
        A kernel with fewer input channels than ``inputs`` makes a grouped
        convolution with ``groups = channels // kernel.shape[-2]``.
    strides : int or tuple of int, default 1
    padding : {"valid", "same"}, default "valid"
        ``"same"`` pads ``max((out - 1) * stride + dilated_kernel - size, 0)`` zeros,
        the smaller half before (TensorFlow's rule).
    data_format : {"channels_last", "channels_first"}, optional
        Default ``"channels_last"``.
    dilation_rate : int or tuple of int, default 1

    Returns
    -------
    Tensor, shape (batch, *out, filters)
        ``out = floor((size - dilated_kernel) / stride) + 1`` ("valid") or
        ``ceil(size / stride)`` ("same").
    """
    fmt = _data_format_arg(data_format, "conv")
    x = to_channels_last(tensor(inputs), fmt)
    y = _conv_last(x, tensor(kernel, x), strides, padding_mode(padding, "conv"), dilation_rate,
                   "conv")
    return from_channels_last(y, fmt)


def _data_format_arg(value: Any, op: str) -> str:
    return data_format(value, op)


@keras_op
def depthwise_conv(inputs: Any, kernel: Any, strides: Any = 1, padding: str = "valid",
                   data_format: str | None = None, dilation_rate: Any = 1) -> Tensor:
    """Depthwise convolution: each input channel convolved with its own ``multiplier`` filters.

    Parameters
    ----------
    inputs : tensor-like, shape (batch, *spatial, channels)
    kernel : tensor-like, shape (*kernel_size, channels, multiplier)
    strides, padding, data_format, dilation_rate
        As :func:`conv`.

    Returns
    -------
    Tensor, shape (batch, *out, channels * multiplier)
        Output channel ``c * multiplier + m`` is input channel ``c`` convolved with
        ``kernel[..., c, m]``.
    """
    fmt = _data_format_arg(data_format, "depthwise_conv")
    x = to_channels_last(tensor(inputs), fmt)
    kernel = tensor(kernel, x)
    spatial_rank(x, "depthwise_conv")
    if kernel.ndim != x.ndim or kernel.shape[-2] != x.shape[-1]:
        raise ValueError(
            f"depthwise_conv: expected a kernel of shape (*kernel_size, {x.shape[-1]}, "
            f"multiplier) for an input of shape {x.shape}, received {kernel.shape}."
        )
    kernel = _ops.reshape(kernel, (*kernel.shape[:-2], 1, kernel.shape[-2] * kernel.shape[-1]))
    y = _conv_last(x, kernel, strides, padding_mode(padding, "depthwise_conv"), dilation_rate,
                   "depthwise_conv")
    return from_channels_last(y, fmt)


@keras_op
def separable_conv(inputs: Any, depthwise_kernel: Any, pointwise_kernel: Any, strides: Any = 1,
                   padding: str = "valid", data_format: str | None = None,
                   dilation_rate: Any = 1) -> Tensor:
    """Depthwise convolution followed by a 1x1 ("pointwise") convolution.

    Parameters
    ----------
    inputs : tensor-like, shape (batch, *spatial, channels)
    depthwise_kernel : tensor-like, shape (*kernel_size, channels, multiplier)
    pointwise_kernel : tensor-like, shape (*ones, channels * multiplier, filters)
    strides, padding, data_format, dilation_rate
        As :func:`conv` (they apply to the depthwise step).

    Returns
    -------
    Tensor, shape (batch, *out, filters)
    """
    y = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    fmt = _data_format_arg(data_format, "separable_conv")
    y = to_channels_last(y, fmt)
    pointwise = tensor(pointwise_kernel, y)
    if pointwise.ndim != y.ndim or pointwise.shape[-2] != y.shape[-1]:
        raise ValueError(
            f"separable_conv: expected a pointwise_kernel of shape (*ones, {y.shape[-1]}, "
            f"filters), received {pointwise.shape}."
        )
    out = _conv_last(y, pointwise, 1, "valid", 1, "separable_conv")
    return from_channels_last(out, fmt)


def transpose_padding(kernel: int, stride: int, dilation: int, padding: str,
                      output_padding: int | None) -> tuple[int, int]:
    """Zeros added before/after the dilated input of a transposed convolution (Keras's rule)."""
    k = (kernel - 1) * dilation + 1
    if padding == "valid":
        extra = max(k, stride) - k if output_padding is None else output_padding
        return k - 1, k - 1 + extra
    total = stride + k - 2 if output_padding is None else k + k % 2 - 2 + output_padding
    before = min(total // 2 + total % 2, k - 1)
    return before, total - before


@keras_op
def conv_transpose(inputs: Any, kernel: Any, strides: Any = 1, padding: str = "valid",
                   output_padding: Any = None, data_format: str | None = None,
                   dilation_rate: Any = 1) -> Tensor:
    """Transposed convolution (the gradient of ``conv`` with respect to its input).

    Parameters
    ----------
    inputs : tensor-like, shape (batch, *spatial, in_channels)
    kernel : tensor-like, shape (*kernel_size, filters, in_channels)
    strides : int or tuple of int, default 1
    padding : {"valid", "same"}, default "valid"
    output_padding : int or tuple of int, optional
        Extra size added after each spatial axis; by default the output size is
        ``size * stride`` ("same") or ``(size - 1) * stride + max(dilated_kernel,
        stride)`` ("valid").
    data_format : {"channels_last", "channels_first"}, optional
    dilation_rate : int or tuple of int, default 1

    Returns
    -------
    Tensor, shape (batch, *out, filters)
    """
    fmt = _data_format_arg(data_format, "conv_transpose")
    x = to_channels_last(tensor(inputs), fmt)
    kernel = tensor(kernel, x)
    rank = spatial_rank(x, "conv_transpose")
    if kernel.ndim != rank + 2 or kernel.shape[-1] != x.shape[-1]:
        raise ValueError(
            f"conv_transpose: expected a kernel of shape (*kernel_size, filters, "
            f"{x.shape[-1]}) with {rank} spatial axes, received {kernel.shape}."
        )
    mode = padding_mode(padding, "conv_transpose")
    strides = per_axis(strides, rank, "strides", "conv_transpose")
    dilation = per_axis(dilation_rate, rank, "dilation_rate", "conv_transpose")
    extra = ((None,) * rank if output_padding is None
             else per_axis(output_padding, rank, "output_padding", "conv_transpose", minimum=0))
    pads = tuple(transpose_padding(k, s, d, mode, e) for k, s, d, e in
                 zip(kernel.shape[:rank], strides, dilation, extra, strict=True))
    xd = pad_or_crop(dilate(x, strides), pads)
    flipped = kernel[(slice(None, None, -1),) * rank]
    flipped = _ops.transpose(flipped, (*range(rank), rank + 1, rank))
    y = _conv.Conv.apply(xd, flipped, strides=(1,) * rank, dilation=dilation,
                         pads=((0, 0),) * rank, activation="linear")
    return from_channels_last(y, fmt)
