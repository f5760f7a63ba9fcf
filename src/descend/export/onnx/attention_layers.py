"""Converters of the attention layers: MultiHeadAttention (with ``use_gate`` and
``sliding_window``), GroupQueryAttention, Attention (dot and concat scores) and
AdditiveAttention, with ``use_causal_mask`` and ``return_attention_scores``.

``MultiHeadAttention`` is written as descend computes it: its four EinsumDense
projections as ONNX ``Einsum`` s, the scaled query, the score and combine
equations, and a softmax over the attention axes. Masks given as tensors
(``attention_mask=``, ``query_mask=``...) are not exported; the causal mask is a
constant, so it needs the sequence lengths in the model's input shapes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend import layers as L
from descend.export.onnx import activations as act
from descend.export.onnx.builder import GraphBuilder, Value
from descend.export.onnx.core_layers import convert_einsum_dense, weight_array
from descend.export.onnx.registry import check_call, converts, refuse
from descend.layers.attention import causal_mask


def _causal(g: GraphBuilder, layer: Any, scores: str, tq: int | None, tv: int | None,
            rank: int, masked: Any) -> str:
    """Scores where the query step is before the key step replaced by ``masked(scores)``."""
    if tq is None or tv is None:
        raise refuse(layer, "use_causal_mask=True needs the query and value lengths in the "
                            "model's input shapes (the mask is written as a constant).")
    mask = causal_mask(tq, tv).reshape((1,) * (rank - 2) + (tq, tv))
    return g.op("Where", [g.const(mask, np.bool_), scores, masked(scores)])


def _project(g: GraphBuilder, parent: Any, dense: Any, x: Value, repeats: int = 1) -> str:
    """One EinsumDense projection; with ``repeats``, each head written ``repeats`` times
    (GroupQueryAttention's shared key/value heads: repeating the heads of the kernel and
    bias gives the repeated projection)."""
    with g.scope(f"{parent.name}/{dense.name}"):
        if repeats == 1:
            return convert_einsum_dense(g, dense, [x], {})[0]
        kernel = np.repeat(weight_array(dense.kernel), repeats, axis=-2)
        out = g.op("Einsum", [x.name, g.weight(kernel, "kernel")],
                   equation=dense.equation.replace(" ", ""))
        if dense.bias is not None:
            out = g.add(out, g.weight(np.repeat(weight_array(dense.bias), repeats, axis=0),
                                      "bias"))
        return out


def _position_mask(layer: Any, causal: bool, tq: int | None, tv: int | None,
                   rank: int) -> np.ndarray | None:
    """The causal and sliding-window masks as one constant ``(1, ..., T, S)``, or None."""
    windows = layer.sliding_window is not None
    if not causal and not windows:
        return None
    if tq is None or tv is None:
        raise refuse(layer, "use_causal_mask=True and sliding_window need the query and value "
                            "lengths in the model's input shapes (the mask is a constant).")
    mask = np.ones((tq, tv), bool)
    if causal:
        mask &= causal_mask(tq, tv).reshape(tq, tv)
    for band in layer._position_masks(tq, tv):
        mask &= band[0]
    return mask.reshape((1,) * (rank - 2) + (tq, tv))


@converts(L.MultiHeadAttention)
def convert_multi_head_attention(g: GraphBuilder, layer: Any, inputs: list[Value], call: dict
                                 ) -> list:
    """Projections, scaled dot-product scores, softmax, weighted values, output projection
    (and GroupQueryAttention, a MultiHeadAttention whose key/value heads are shared)."""
    check_call(layer, call, allowed=("use_causal_mask", "return_attention_scores"))
    query, value = inputs[0], inputs[1]
    key = inputs[2] if len(inputs) > 2 else value
    repeats = getattr(layer, "num_repeats", 1)
    q = _project(g, layer, layer._query_dense, query)
    k = _project(g, layer, layer._key_dense, key, repeats)
    v = _project(g, layer, layer._value_dense, value, repeats)
    q = g.scale(q, 1.0 / float(np.sqrt(layer.key_dim)))
    scores = g.op("Einsum", [k, q], equation=layer._dot_equation)
    axes = tuple(layer._softmax_axes)
    rank = len(layer._dot_equation.split("->")[1])
    causal = bool(call.get("use_causal_mask"))
    if (causal or layer.sliding_window is not None) and len(axes) != 1:
        raise refuse(layer, "use_causal_mask=True or sliding_window with several "
                            "attention_axes is not exported.")
    mask = _position_mask(layer, causal, query.shape[1], value.shape[1], rank)
    if mask is not None:
        allowed = g.const(mask, np.bool_)
        scores = g.op("Where", [allowed, scores, g.const(-1.0e9)])
    weights = act.softmax(g, scores, list(axes) if len(axes) > 1 else axes[0])
    if mask is not None:  # as the layer: a query with nothing to attend to gets zero weights
        weights = g.op("Where", [allowed, weights, g.const(0.0)])
    attended = g.op("Einsum", [weights, v], equation=layer._combine_equation)
    if layer.use_gate:
        attended = g.mul(attended, _project(g, layer, layer._gate_dense, query))
    rank = query.ndim
    shape = (*query.shape[:-1], layer.num_heads, layer.value_dim)
    out = _project(g, layer, layer._output_dense, Value(attended, shape[:rank + 1]))
    if call.get("return_attention_scores"):
        return [out, weights]
    return [out]


@converts(L.Attention, L.AdditiveAttention)
def convert_attention(g: GraphBuilder, layer: Any, inputs: list[Value], call: dict) -> list:
    """Luong (dot or concat scores) or Bahdanau attention of ``query`` over ``value``."""
    check_call(layer, call, allowed=("use_causal_mask", "return_attention_scores"))
    query, value = inputs[0], inputs[1]
    key = inputs[2] if len(inputs) > 2 else value
    scale = None if layer.scale is None else g.weight(weight_array(layer.scale), "scale")
    if isinstance(layer, L.AdditiveAttention):
        total = g.op("Tanh", [g.add(g.unsqueeze(query.name, [-2]), g.unsqueeze(key.name, [-3]))])
        if scale is not None:
            total = g.mul(scale, total)
        scores = g.reduce("ReduceSum", total, [-1], keepdims=False)
    elif layer.score_mode == "dot":
        scores = g.matmul(query.name, _swap_last(g, key))
        if scale is not None:
            scores = g.mul(scores, scale)
    else:
        total = g.add(g.unsqueeze(query.name, [-2]), g.unsqueeze(key.name, [-3]))
        if scale is not None:
            total = g.mul(scale, total)
        summed = g.reduce("ReduceSum", g.op("Tanh", [total]), [-1], keepdims=False)
        scores = g.mul(g.weight(weight_array(layer.concat_score_weight), "concat_score_weight"),
                       summed)
    if call.get("use_causal_mask"):
        scores = _causal(g, layer, scores, query.shape[-2], value.shape[-2], query.ndim,
                         lambda s: g.sub(s, g.const(1.0e9)))
    weights = g.op("Softmax", [scores], axis=-1)
    out = g.matmul(weights, value.name)
    if call.get("return_attention_scores"):
        return [out, weights]
    return [out]


def _swap_last(g: GraphBuilder, x: Value) -> str:
    perm = list(range(x.ndim))
    perm[-1], perm[-2] = perm[-2], perm[-1]
    return g.transpose(x.name, perm)


__all__: list[str] = []
