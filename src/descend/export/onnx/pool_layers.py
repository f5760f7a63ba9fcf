"""Converters of the pooling layers: max and average pooling in 1, 2 and 3 dimensions
(``valid``/``same``; ``same`` average pooling divides by the real elements, as ONNX's
``count_include_pad=0`` does) and global pooling (with ``keepdims``)."""

from __future__ import annotations

from typing import Any

from descend import layers as L
from descend.export.onnx.builder import GraphBuilder, Value
from descend.export.onnx.conv_layers import conv_pads, to_channels_first, to_channels_last
from descend.export.onnx.registry import check_call, converts, refuse
from descend.export.onnx.shape_layers import channels_last
from descend.layers.adaptive_pooling import adaptive_windows

_MAX = (L.MaxPooling1D, L.MaxPooling2D, L.MaxPooling3D)
_AVERAGE = (L.AveragePooling1D, L.AveragePooling2D, L.AveragePooling3D)


@converts(*_MAX, *_AVERAGE)
def convert_pooling(g: GraphBuilder, layer: Any, inputs: list[Value], call: dict) -> list:
    """``MaxPool``/``AveragePool`` between channels-first transposes."""
    check_call(layer, call)
    channels_last(layer)
    x = inputs[0]
    rank = layer.rank
    op_type = "MaxPool" if isinstance(layer, _MAX) else "AveragePool"
    attrs = conv_pads(tuple(x.shape[1:-1]), tuple(layer.pool_size), tuple(layer.strides),
                      (1,) * rank, layer.padding)
    if op_type == "AveragePool":
        attrs["count_include_pad"] = 0
    out = g.op(op_type, [to_channels_first(g, x.name, rank)],
               kernel_shape=[int(k) for k in layer.pool_size],
               strides=[int(s) for s in layer.strides], **attrs)
    return [to_channels_last(g, out, rank)]


_GLOBAL_MAX = (L.GlobalMaxPooling1D, L.GlobalMaxPooling2D, L.GlobalMaxPooling3D)


@converts(*_GLOBAL_MAX, L.GlobalAveragePooling1D, L.GlobalAveragePooling2D,
          L.GlobalAveragePooling3D)
def convert_global_pooling(g: GraphBuilder, layer: Any, inputs: list[Value], call: dict
                           ) -> list:
    """``ReduceMax``/``ReduceMean`` over the spatial axes."""
    check_call(layer, call)
    channels_last(layer)
    op_type = "ReduceMax" if isinstance(layer, _GLOBAL_MAX) else "ReduceMean"
    axes = list(range(1, layer.rank + 1))
    return [g.reduce(op_type, inputs[0].name, axes, keepdims=layer.keepdims)]


_ADAPTIVE_MAX = (L.AdaptiveMaxPooling1D, L.AdaptiveMaxPooling2D, L.AdaptiveMaxPooling3D)


@converts(*_ADAPTIVE_MAX, L.AdaptiveAveragePooling1D, L.AdaptiveAveragePooling2D,
          L.AdaptiveAveragePooling3D)
def convert_adaptive_pooling(g: GraphBuilder, layer: Any, inputs: list[Value], call: dict
                             ) -> list:
    """One axis at a time: each window ``floor(i n / out) .. ceil((i + 1) n / out)`` reduced,
    the windows concatenated (descend's computation; needs the spatial lengths)."""
    check_call(layer, call)
    channels_last(layer)
    x = inputs[0]
    op_type = "ReduceMax" if isinstance(layer, _ADAPTIVE_MAX) else "ReduceMean"
    out = x.name
    for axis, cells in enumerate(layer.output_size, start=1):
        length = x.shape[axis]
        if length is None:
            raise refuse(layer, f"adaptive pooling needs the spatial lengths of its input "
                                f"(received shape {x.shape}); give the Input a full shape.")
        if length == cells:
            continue
        parts = [g.reduce(op_type, g.slice(out, [start], [stop], [axis]), [axis])
                 for start, stop in adaptive_windows(length, cells)]
        out = g.concat(parts, axis)
    return [out]


__all__: list[str] = []
