"""Converters of the normalization layers, in inference form.

``BatchNormalization`` becomes one multiply-add with its moving statistics
folded in (``scale = gamma / sqrt(var + eps)``, ``shift = beta - mean * scale``,
computed in float64). ``LayerNormalization``, ``GroupNormalization``,
``RMSNormalization`` and ``UnitNormalization`` are written with the elementary
ops of descend's formulas (reductions, ``Sqrt``, ``Div``), which every opset
from 13 has.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend import layers as L
from descend.export.onnx.builder import GraphBuilder, Value
from descend.export.onnx.core_layers import weight_array
from descend.export.onnx.registry import check_call, converts, refuse


def _axes(axis: Any, rank: int) -> list[int]:
    items = axis if isinstance(axis, (list, tuple)) else [axis]
    return sorted(int(a) % rank for a in items)


def _broadcast(g: GraphBuilder, array: np.ndarray, shape: tuple, axes: list[int], hint: str,
               layer: Any) -> str:
    """A weight over ``axes`` reshaped to broadcast against an input of ``shape``."""
    target = [shape[a] if a in axes else 1 for a in range(len(shape))]
    if any(t is None for t in target) or int(np.prod(target)) != array.size:
        raise refuse(layer, f"its {hint} of shape {array.shape} does not match the input "
                            f"shape {shape} on axes {axes}.")
    return g.weight(array.reshape(target), hint)


@converts(L.BatchNormalization)
def convert_batch_norm(g: GraphBuilder, layer: Any, inputs: list[Value], call: dict) -> list:
    """``x * scale + shift`` with the moving mean and variance."""
    check_call(layer, call)
    x = inputs[0]
    axes = _axes(layer.axis, x.ndim)
    mean = weight_array(layer.moving_mean).astype(np.float64)
    variance = weight_array(layer.moving_variance).astype(np.float64)
    gamma = (weight_array(layer.gamma).astype(np.float64) if layer.gamma is not None
             else np.ones_like(mean))
    beta = (weight_array(layer.beta).astype(np.float64) if layer.beta is not None
            else np.zeros_like(mean))
    scale = gamma / np.sqrt(variance + layer.epsilon)
    shift = beta - mean * scale
    out = g.mul(x.name, _broadcast(g, scale, x.shape, axes, "scale", layer))
    return [g.add(out, _broadcast(g, shift, x.shape, axes, "shift", layer))]


def _moments(g: GraphBuilder, x: str, axes: list[int]) -> tuple[str, str, str]:
    """Mean, centred input and biased variance over ``axes`` (kept as length 1)."""
    mean = g.reduce("ReduceMean", x, axes, keepdims=True)
    centred = g.sub(x, mean)
    variance = g.reduce("ReduceMean", g.mul(centred, centred), axes, keepdims=True)
    return mean, centred, variance


def _inverse_std(g: GraphBuilder, variance: str, epsilon: float) -> str:
    return g.div(g.const(1.0), g.op("Sqrt", [g.add(variance, g.const(epsilon))]))


@converts(L.LayerNormalization)
def convert_layer_norm(g: GraphBuilder, layer: Any, inputs: list[Value], call: dict) -> list:
    """``(x - mean) / sqrt(var + eps) * gamma + beta`` over the layer's axes."""
    check_call(layer, call)
    x = inputs[0]
    axes = _axes(layer._axes, x.ndim)
    _, centred, variance = _moments(g, x.name, axes)
    inv = _inverse_std(g, variance, layer.epsilon)
    if layer.gamma is not None:
        inv = g.mul(inv, _broadcast(g, weight_array(layer.gamma), x.shape, axes, "gamma",
                                    layer))
    if layer.rms_scaling:
        return [g.mul(x.name, inv)]
    out = g.mul(centred, inv)
    if layer.beta is not None:
        out = g.add(out, _broadcast(g, weight_array(layer.beta), x.shape, axes, "beta", layer))
    return [out]


@converts(L.GroupNormalization)
def convert_group_norm(g: GraphBuilder, layer: Any, inputs: list[Value], call: dict) -> list:
    """Normalise each group of channels over the spatial axes and the group's channels."""
    check_call(layer, call)
    x = inputs[0]
    rank = x.ndim
    axis = layer.axis % rank
    order = [a for a in range(rank) if a != axis] + [axis]
    moved = g.transpose(x.name, order)
    channels = int(x.shape[axis])
    groups = int(layer.groups)
    grouped = g.reshape(moved, [0] * (rank - 1) + [groups, channels // groups])
    _, centred, variance = _moments(g, grouped, [*range(1, rank - 1), rank])
    normed = g.reshape(g.div(centred, g.op("Sqrt", [g.add(variance, g.const(layer.epsilon))])),
                       [0] * (rank - 1) + [channels])
    if layer.scale:
        normed = g.mul(normed, g.weight(weight_array(layer.gamma), "gamma"))
    if layer.center:
        normed = g.add(normed, g.weight(weight_array(layer.beta), "beta"))
    back = list(range(rank - 1))
    back.insert(axis, rank - 1)
    return [g.transpose(normed, back)]


@converts(L.RMSNormalization)
def convert_rms_norm(g: GraphBuilder, layer: Any, inputs: list[Value], call: dict) -> list:
    """``x / sqrt(mean(x ** 2) + eps) * scale``."""
    check_call(layer, call)
    x = inputs[0]
    axes = _axes(layer.axis, x.ndim)
    square = g.reduce("ReduceMean", g.mul(x.name, x.name), axes, keepdims=True)
    out = g.div(x.name, g.op("Sqrt", [g.add(square, g.const(layer.epsilon))]))
    scale = weight_array(layer.scale).reshape((1, *layer._broadcast))
    return [g.mul(out, g.weight(scale, "scale"))]


@converts(L.UnitNormalization)
def convert_unit_norm(g: GraphBuilder, layer: Any, inputs: list[Value], call: dict) -> list:
    """``x / sqrt(max(sum(x ** 2), 1e-24))`` along the layer's axes."""
    check_call(layer, call)
    x = inputs[0]
    axes = _axes(layer.axis, x.ndim)
    total = g.reduce("ReduceSum", g.mul(x.name, x.name), axes, keepdims=True)
    return [g.div(x.name, g.op("Sqrt", [g.op("Max", [total, g.const(1e-24)])]))]


__all__: list[str] = []
