"""Converters of the layers that move values without arithmetic: Flatten, Reshape, Permute,
RepeatVector, Cropping, ZeroPadding and UpSampling (channels-last, as descend's layers)."""

from __future__ import annotations

from typing import Any

from descend import layers as L
from descend.autograd.ops.upsampling import linear_resize_matrix
from descend.export.onnx.builder import INT64_MAX, GraphBuilder, Value
from descend.export.onnx.registry import check_call, converts, refuse


def channels_last(layer: Any) -> None:
    """Refuse a layer whose ``data_format`` is not channels-last."""
    fmt = getattr(layer, "data_format", None)
    if fmt not in (None, "channels_last"):
        raise refuse(layer, f"data_format={fmt!r}; ONNX export writes channels-last layers.")


@converts(L.Flatten)
def convert_flatten(g: GraphBuilder, layer: Any, inputs: list[Value], call: dict) -> list:
    """``Reshape(x, [batch, -1])`` (channels-first inputs are moved to channels-last first)."""
    check_call(layer, call)
    x = inputs[0]
    name = x.name
    if layer.data_format == "channels_first" and x.ndim > 2:
        name = g.transpose(name, [0, *range(2, x.ndim), 1])
    return [g.reshape(name, [0, -1])]


@converts(L.Reshape)
def convert_reshape(g: GraphBuilder, layer: Any, inputs: list[Value], call: dict) -> list:
    """``Reshape(x, [batch, *target_shape])`` (one ``-1`` allowed, as in descend)."""
    check_call(layer, call)
    return [g.reshape(inputs[0].name, [0, *[int(s) for s in layer.target_shape]])]


@converts(L.Permute)
def convert_permute(g: GraphBuilder, layer: Any, inputs: list[Value], call: dict) -> list:
    """``Transpose(x, [0, *dims])``."""
    check_call(layer, call)
    return [g.transpose(inputs[0].name, [0, *[int(d) for d in layer.dims]])]


@converts(L.RepeatVector)
def convert_repeat_vector(g: GraphBuilder, layer: Any, inputs: list[Value], call: dict) -> list:
    """``(batch, features) -> (batch, n, features)`` by Unsqueeze and Tile."""
    check_call(layer, call)
    expanded = g.unsqueeze(inputs[0].name, [1])
    return [g.op("Tile", [expanded, g.ints([1, layer.n, 1])])]


@converts(L.ZeroPadding1D, L.ZeroPadding2D, L.ZeroPadding3D)
def convert_zero_padding(g: GraphBuilder, layer: Any, inputs: list[Value], call: dict) -> list:
    """``Pad`` with zeros on the spatial axes."""
    check_call(layer, call)
    channels_last(layer)
    amounts = [(int(lo), int(hi)) for lo, hi in layer._amounts]
    begins = [0, *(lo for lo, _ in amounts), 0]
    ends = [0, *(hi for _, hi in amounts), 0]
    return [g.pad(inputs[0].name, begins, ends)]


@converts(L.Cropping1D, L.Cropping2D, L.Cropping3D)
def convert_cropping(g: GraphBuilder, layer: Any, inputs: list[Value], call: dict) -> list:
    """``Slice`` of the spatial axes."""
    check_call(layer, call)
    channels_last(layer)
    amounts = [(int(lo), int(hi)) for lo, hi in layer._amounts]
    starts = [lo for lo, _ in amounts]
    ends = [-hi if hi else INT64_MAX for _, hi in amounts]
    return [g.slice(inputs[0].name, starts, ends, list(range(1, len(amounts) + 1)))]


def repeat_axis(g: GraphBuilder, x: str, shape: tuple, axis: int, factor: int,
                layer: Any) -> tuple[str, tuple]:
    """Repeat every element ``factor`` times along ``axis`` (nearest upsampling).

    Returns the new value and its static shape; the axes after ``axis`` must
    have known lengths.
    """
    tail = shape[axis + 1:]
    if any(s is None for s in tail):
        raise refuse(layer, f"the axes after axis {axis} of its input {shape} must have known "
                            "lengths to upsample; give the Input a full shape.")
    tiled = g.op("Tile", [g.unsqueeze(x, [axis + 1]),
                          g.ints([1] * (axis + 1) + [factor] + [1] * len(tail))])
    merged = g.reshape(tiled, [0] * axis + [-1] + [int(s) for s in tail])
    size = None if shape[axis] is None else shape[axis] * factor
    return merged, (*shape[:axis], size, *tail)


def linear_axis(g: GraphBuilder, x: str, shape: tuple, axis: int, factor: int,
                layer: Any) -> tuple[str, tuple]:
    """Linear interpolation along ``axis`` by descend's own resize matrix (half-pixel)."""
    length = shape[axis]
    if length is None:
        raise refuse(layer, f"bilinear upsampling needs a known length of axis {axis} (input "
                            f"shape {shape}); give the Input a full shape.")
    matrix = linear_resize_matrix(length, length * factor)  # (new, old)
    rank = len(shape)
    moved = g.transpose(x, [a for a in range(rank) if a != axis] + [axis])
    mixed = g.matmul(moved, g.weight(matrix.T, "resize_matrix"))
    back = list(range(rank - 1))
    back.insert(axis, rank - 1)
    out_shape = (*shape[:axis], length * factor, *shape[axis + 1:])
    return g.transpose(mixed, back), out_shape


@converts(L.UpSampling1D, L.UpSampling2D, L.UpSampling3D)
def convert_upsampling(g: GraphBuilder, layer: Any, inputs: list[Value], call: dict) -> list:
    """Nearest (repeat) or bilinear upsampling, one spatial axis after the other."""
    check_call(layer, call)
    channels_last(layer)
    x, shape = inputs[0].name, inputs[0].shape
    interpolation = getattr(layer, "interpolation", "nearest")
    if interpolation not in ("nearest", "bilinear"):
        raise refuse(layer, f"interpolation={interpolation!r} is not exported.")
    for axis, factor in enumerate(layer.size, start=1):
        if factor == 1:
            continue
        step = repeat_axis if interpolation == "nearest" else linear_axis
        x, shape = step(g, x, shape, axis, int(factor), layer)
    return [x]


__all__ = ["channels_last", "linear_axis", "repeat_axis"]
