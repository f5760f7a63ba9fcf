"""Converters of the convolutions: Conv1D/2D/3D (groups, dilation, causal padding), their
transposes, DepthwiseConv1D/2D and SeparableConv1D/2D.

descend's layers are channels-last, ONNX's ``Conv`` is channels-first: each
convolution is wrapped in two ``Transpose`` s, and the builder drops a transpose
that undoes the one before it, so a stack of convolutions stays channels-first
inside. Kernels are stored in ONNX's ``(out, in / groups, *kernel)`` layout.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend import layers as L
from descend.autograd.ops.conv_transpose import transpose_geometry
from descend.export.onnx.builder import GraphBuilder, Value
from descend.export.onnx.core_layers import activate, weight_array
from descend.export.onnx.registry import check_call, converts, refuse
from descend.export.onnx.shape_layers import channels_last


def to_channels_first(g: GraphBuilder, x: str, rank: int) -> str:
    """``(batch, *spatial, channels) -> (batch, channels, *spatial)``."""
    return g.transpose(x, [0, rank + 1, *range(1, rank + 1)])


def to_channels_last(g: GraphBuilder, x: str, rank: int) -> str:
    """``(batch, channels, *spatial) -> (batch, *spatial, channels)``."""
    return g.transpose(x, [0, *range(2, rank + 2), 1])


def conv_pads(sizes: tuple, kernel: tuple, strides: tuple, dilation: tuple,
              padding: str) -> dict[str, Any]:
    """ONNX padding attributes reproducing Keras's ``valid``/``same``/``causal``.

    ``same`` pads ``total // 2`` before and the rest after (``SAME_UPPER``),
    explicitly when the length is known; ``causal`` pads ``dilation * (k - 1)``
    before only.
    """
    rank = len(kernel)
    if padding == "valid":
        return {"pads": [0] * (2 * rank)}
    if padding == "causal":
        before = [d * (k - 1) for k, d in zip(kernel, dilation, strict=True)]
        return {"pads": before + [0] * rank}
    if any(n is None for n in sizes):
        return {"auto_pad": "SAME_UPPER"}
    begins, ends = [], []
    for n, k, s, d in zip(sizes, kernel, strides, dilation, strict=True):
        out = -(-n // s)
        total = max((out - 1) * s + d * (k - 1) + 1 - n, 0)
        begins.append(total // 2)
        ends.append(total - total // 2)
    return {"pads": begins + ends}


def conv(g: GraphBuilder, x: str, shape: tuple, kernel: np.ndarray, bias: Any,
         strides: tuple, padding: str, dilation: tuple, groups: int = 1) -> str:
    """A channels-last convolution with a Keras-layout kernel ``(*k, in / groups, out)``.

    Returns the channels-last result (bias added, no activation).
    """
    rank = kernel.ndim - 2
    w = np.transpose(kernel, (rank + 1, rank, *range(rank)))
    inputs = [to_channels_first(g, x, rank), g.weight(w, "kernel")]
    if bias is not None:
        inputs.append(g.weight(bias, "bias"))
    attrs = conv_pads(tuple(shape[1:-1]), kernel.shape[:rank], tuple(strides),
                      tuple(dilation), padding)
    out = g.op("Conv", inputs, kernel_shape=list(kernel.shape[:rank]),
               strides=[int(s) for s in strides], dilations=[int(d) for d in dilation],
               group=int(groups), **attrs)
    return to_channels_last(g, out, rank)


@converts(L.Conv1D, L.Conv2D, L.Conv3D)
def convert_conv(g: GraphBuilder, layer: Any, inputs: list[Value], call: dict) -> list:
    """``activation(conv(x, kernel) + bias)``."""
    check_call(layer, call)
    channels_last(layer)
    x = inputs[0]
    out = conv(g, x.name, x.shape, weight_array(layer.kernel),
               weight_array(layer.bias) if layer.use_bias else None, layer.strides,
               layer.padding, layer.dilation_rate, layer.groups)
    return [activate(g, layer, out, (layer.filters,))]


@converts(L.Conv1DTranspose, L.Conv2DTranspose, L.Conv3DTranspose)
def convert_conv_transpose(g: GraphBuilder, layer: Any, inputs: list[Value], call: dict
                           ) -> list:
    """``ConvTranspose`` with the crop and extra length of Keras's output size formula.

    The full scatter of one axis has length ``(n - 1) * stride + dilated_kernel``;
    Keras keeps ``full[crop : crop + length]`` (zeros past its end), which is
    ONNX's ``pads`` (begin ``crop``) and ``output_padding`` (when the kept part
    runs past the end).
    """
    check_call(layer, call)
    channels_last(layer)
    x = inputs[0]
    rank = layer.rank
    kernel = weight_array(layer.kernel)  # (*k, filters, channels)
    begins, ends, extras = [], [], []
    extra_padding = layer.output_padding or (None,) * rank
    for k, s, d, e in zip(layer.kernel_size, layer.strides, layer.dilation_rate,
                          extra_padding, strict=True):
        dilated = d * (k - 1) + 1
        probe = 5  # crop and the far-side overhang do not depend on the input length
        length, crop = transpose_geometry(probe, k, s, d, layer.padding, e)
        full = (probe - 1) * s + dilated
        end = full - (crop + length)
        begins.append(crop)
        ends.append(max(end, 0))
        extras.append(max(-end, 0))
    w = np.transpose(kernel, (rank + 1, rank, *range(rank)))  # (channels, filters, *k)
    names = [to_channels_first(g, x.name, rank), g.weight(w, "kernel")]
    if layer.use_bias:
        names.append(g.weight(weight_array(layer.bias), "bias"))
    attrs: dict[str, Any] = {"pads": begins + ends}
    if any(extras):
        if any(e >= max(s, d) for e, s, d in zip(extras, layer.strides, layer.dilation_rate,
                                                 strict=True)):
            raise refuse(layer, "its output size needs more trailing padding than ONNX's "
                                "ConvTranspose allows (output_padding < stride).")
        attrs["output_padding"] = extras
    out = g.op("ConvTranspose", names, kernel_shape=list(layer.kernel_size),
               strides=[int(s) for s in layer.strides],
               dilations=[int(d) for d in layer.dilation_rate], **attrs)
    out = to_channels_last(g, out, rank)
    return [activate(g, layer, out, (layer.filters,))]


def depthwise(g: GraphBuilder, layer: Any, x: Value, kernel: np.ndarray, bias: Any) -> str:
    """The depthwise step: a grouped convolution with one group per input channel."""
    rank = layer.rank
    channels, multiplier = kernel.shape[-2], kernel.shape[-1]
    flat = kernel.reshape(*kernel.shape[:rank], 1, channels * multiplier)
    return conv(g, x.name, x.shape, flat, bias, layer.strides, layer.padding,
                layer.dilation_rate, groups=channels)


@converts(L.DepthwiseConv1D, L.DepthwiseConv2D)
def convert_depthwise(g: GraphBuilder, layer: Any, inputs: list[Value], call: dict) -> list:
    """``activation(depthwise_conv(x) + bias)``."""
    check_call(layer, call)
    channels_last(layer)
    out = depthwise(g, layer, inputs[0], weight_array(layer.kernel),
                    weight_array(layer.bias) if layer.use_bias else None)
    return [activate(g, layer, out, (None,))]


@converts(L.SeparableConv1D, L.SeparableConv2D)
def convert_separable(g: GraphBuilder, layer: Any, inputs: list[Value], call: dict) -> list:
    """``activation(pointwise(depthwise(x)) + bias)``: two convolutions."""
    check_call(layer, call)
    channels_last(layer)
    x = inputs[0]
    mixed = depthwise(g, layer, x, weight_array(layer.depthwise_kernel), None)
    rank = layer.rank
    ones = (1,) * rank
    out = conv(g, mixed, (None,) * (rank + 2), weight_array(layer.pointwise_kernel),
               weight_array(layer.bias) if layer.use_bias else None, ones, "valid", ones)
    return [activate(g, layer, out, (layer.filters,))]


__all__ = ["conv", "conv_pads", "to_channels_first", "to_channels_last"]
