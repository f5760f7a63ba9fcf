"""Converters of the image preprocessing layers that are fixed functions of the image:
``Resizing`` (every interpolation, ``crop_to_aspect_ratio``, ``pad_to_aspect_ratio``) and
``CenterCrop``.

descend resizes an image by two matrix products, one per axis, with the resampling
matrices of :func:`descend.layers.preprocessing._image_ops.interpolation_matrix`; the
export stores the same matrices, so every interpolation (nearest, bilinear, bicubic,
area, Lanczos, antialiased) is reproduced. The matrices depend on the image size, which
must therefore be known (``Input(shape=(height, width, channels))``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend import layers as L
from descend.export.onnx.builder import GraphBuilder, Value
from descend.export.onnx.registry import check_call, converts, refuse
from descend.layers.preprocessing._image_ops import interpolation_matrix
from descend.layers.preprocessing.resizing import crop_box


def _image_size(layer: Any, x: Value) -> tuple[int, int]:
    fmt = getattr(layer, "data_format", None)
    if fmt not in (None, "channels_last"):
        raise refuse(layer, f"data_format={fmt!r}; ONNX export writes channels-last layers.")
    if x.ndim != 4 or x.shape[1] is None or x.shape[2] is None:
        raise refuse(layer, f"ONNX export needs batches of images (batch, height, width, "
                            f"channels) of known height and width; received shape {x.shape}.")
    return int(x.shape[1]), int(x.shape[2])


def _as_float(g: GraphBuilder, layer: Any, x: str) -> str:
    from onnx import helper

    return g.op("Cast", [x], to=helper.np_dtype_to_tensor_dtype(np.dtype(layer.dtype)))


def resize(g: GraphBuilder, x: str, size: tuple[int, int], target: tuple[int, int],
           interpolation: str, antialias: bool = False) -> str:
    """``m_h @ image @ m_w`` on each channel, as descend's resize computes it."""
    m_h = interpolation_matrix(size[0], target[0], interpolation, antialias)
    m_w = interpolation_matrix(size[1], target[1], interpolation, antialias).T
    planes = g.transpose(x, [0, 3, 1, 2])
    mixed = g.matmul(g.matmul(g.weight(m_h, "resize_rows"), planes),
                     g.weight(m_w, "resize_columns"))
    return g.transpose(mixed, [0, 2, 3, 1])


@converts(L.Resizing)
def convert_resizing(g: GraphBuilder, layer: Any, inputs: list[Value], call: dict) -> list:
    """Optional crop or pad to the target aspect ratio, then the two resampling products."""
    check_call(layer, call)
    x = inputs[0]
    height, width = _image_size(layer, x)
    out = _as_float(g, layer, x.name)
    target = (int(layer.height), int(layer.width))
    if layer.crop_to_aspect_ratio:
        top, left, crop_h, crop_w = crop_box(height, width, *target)
        out = g.slice(out, [top, left], [top + crop_h, left + crop_w], [1, 2])
        height, width = crop_h, crop_w
    elif layer.pad_to_aspect_ratio:
        pad_h = max(height, int(float(width * target[0]) / target[1]))
        pad_w = max(width, int(float(height * target[1]) / target[0]))
        top, left = int(float(pad_h - height) / 2), int(float(pad_w - width) / 2)
        if top or left:
            out = g.pad(out, [0, top, left, 0], [0, top, left, 0], layer.fill_value)
            height, width = height + 2 * top, width + 2 * left
    return [resize(g, out, (height, width), target, layer.interpolation, layer.antialias)]


@converts(L.CenterCrop)
def convert_center_crop(g: GraphBuilder, layer: Any, inputs: list[Value], call: dict) -> list:
    """The central ``height x width`` window; a smaller image is cropped to the target
    aspect ratio and resized (bilinear), as descend does."""
    check_call(layer, call)
    x = inputs[0]
    height, width = _image_size(layer, x)
    out = _as_float(g, layer, x.name)
    if height >= layer.height and width >= layer.width:
        top, left = (height - layer.height) // 2, (width - layer.width) // 2
        return [g.slice(out, [top, left], [top + layer.height, left + layer.width], [1, 2])]
    top, left, crop_h, crop_w = crop_box(height, width, layer.height, layer.width)
    out = g.slice(out, [top, left], [top + crop_h, left + crop_w], [1, 2])
    return [resize(g, out, (crop_h, crop_w), (layer.height, layer.width), "bilinear")]


__all__ = ["resize"]
