"""Converters of the merging layers: Add, Subtract, Multiply, Average, Maximum, Minimum,
Concatenate and Dot (with ``normalize``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from descend import layers as L
from descend.export.onnx.builder import GraphBuilder, Value
from descend.export.onnx.registry import check_call, converts, refuse


def _aligned(g: GraphBuilder, inputs: list[Value]) -> list[str]:
    """Inputs of lower rank get length-1 axes after the batch axis, as descend aligns them."""
    rank = max(v.ndim for v in inputs)
    return [v.name if v.ndim == rank else g.unsqueeze(v.name, list(range(1, 1 + rank - v.ndim)))
            for v in inputs]


def _fold(g: GraphBuilder, op_type: str, names: list[str]) -> str:
    out = names[0]
    for name in names[1:]:
        out = g.op(op_type, [out, name])
    return out


@converts(L.Add, L.Subtract, L.Multiply, L.Average, L.Maximum, L.Minimum)
def convert_elementwise(g: GraphBuilder, layer: Any, inputs: list[Value], call: dict) -> list:
    """Elementwise merges, folded left to right as descend computes them."""
    check_call(layer, call)
    names = _aligned(g, inputs)
    if isinstance(layer, L.Subtract):
        return [g.sub(names[0], names[1])]
    op_type = {L.Add: "Add", L.Average: "Add", L.Multiply: "Mul", L.Maximum: "Max",
               L.Minimum: "Min"}[next(c for c in (L.Add, L.Average, L.Multiply, L.Maximum,
                                                  L.Minimum) if isinstance(layer, c))]
    out = _fold(g, op_type, names)
    if isinstance(layer, L.Average):
        out = g.scale(out, 1.0 / len(names))
    return [out]


@converts(L.Concatenate)
def convert_concatenate(g: GraphBuilder, layer: Any, inputs: list[Value], call: dict) -> list:
    """``Concat`` along ``axis``."""
    check_call(layer, call)
    return [g.op("Concat", [v.name for v in inputs], axis=int(layer.axis))]


def _l2_normalize(g: GraphBuilder, x: str, axis: int) -> str:
    total = g.reduce("ReduceSum", g.mul(x, x), [axis], keepdims=True)
    return g.div(x, g.op("Sqrt", [g.op("Max", [total, g.const(1e-12)])]))


@converts(L.Dot)
def convert_dot(g: GraphBuilder, layer: Any, inputs: list[Value], call: dict) -> list:
    """The batched contraction along ``axes``: transposes, reshapes and one ``MatMul``."""
    check_call(layer, call)
    x, y = inputs
    a0, a1 = layer._resolved_axes([x.shape, y.shape])
    xn, yn = x.name, y.name
    if layer.normalize:
        xn, yn = _l2_normalize(g, xn, a0), _l2_normalize(g, yn, a1)
    x_rest = [i for i in range(1, x.ndim) if i != a0]
    y_rest = [i for i in range(1, y.ndim) if i != a1]
    x_dims = [x.shape[i] for i in x_rest]
    y_dims = [y.shape[i] for i in y_rest]
    k = x.shape[a0] if x.shape[a0] is not None else y.shape[a1]
    if k is None or any(d is None for d in x_dims + y_dims):
        raise refuse(layer, f"its input shapes {x.shape} and {y.shape} must be fully known "
                            "(but for the batch axis) to export the contraction.")
    xt = g.reshape(g.transpose(xn, [0, *x_rest, a0]), [0, int(np.prod(x_dims, dtype=int)), k])
    yt = g.reshape(g.transpose(yn, [0, a1, *y_rest]), [0, k, int(np.prod(y_dims, dtype=int))])
    out = g.matmul(xt, yt)
    shape = [*x_dims, *y_dims]
    return [g.reshape(out, [0, *shape] if shape else [0, 1])]


__all__: list[str] = []
