"""Converters of the core layers: Dense, EinsumDense, activations, Embedding, preprocessing,
and the layers that are the identity at inference (dropout, noise, augmentation).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend import layers as L
from descend.export.onnx import activations as act
from descend.export.onnx.builder import GraphBuilder, Value
from descend.export.onnx.registry import check_call, converts, find, refuse
from descend.layers.activity_regularization import ActivityRegularization


def weight_array(variable: Any) -> np.ndarray:
    """The NumPy value of a descend variable (or None)."""
    return None if variable is None else np.asarray(getattr(variable, "data", variable))


def activate(g: GraphBuilder, layer: Any, x: str, shape: tuple) -> str:
    """``layer.activation`` applied to ``x`` (whose static shape is ``shape``)."""
    return act.apply(g, layer.activation, x, layer, last_axis=shape[-1] if shape else None)


# ------------------------------------------------------------------ identity at inference
@converts(L.Dropout, L.SpatialDropout1D, L.SpatialDropout2D, L.SpatialDropout3D,
          L.GaussianNoise, L.GaussianDropout, L.AlphaDropout, L.Identity,
          ActivityRegularization, L.RandomFlip, L.RandomRotation, L.RandomZoom,
          L.RandomTranslation, L.RandomContrast, L.RandomBrightness, L.RandomCrop)
def convert_identity(g: GraphBuilder, layer: Any, inputs: list[Value], call: dict) -> list:
    """Layers that change nothing at inference (dropout, noise, augmentation)."""
    check_call(layer, call)
    return [inputs[0].name]


@converts(L.SpectralNormalization)
def convert_spectral_normalization(g: GraphBuilder, layer: Any, inputs: list[Value],
                                   call: dict) -> list:
    """At inference, the wrapped layer with its (already normalised) kernel."""
    check_call(layer, call)
    inner = layer.layer
    with g.scope(f"{layer.name}/{inner.name}"):
        return list(find(inner)(g, inner, inputs, {}))


# ------------------------------------------------------------------------ dense layers
@converts(L.Dense)
def convert_dense(g: GraphBuilder, layer: Any, inputs: list[Value], call: dict) -> list:
    """``activation(x @ kernel + bias)`` (any rank: MatMul broadcasts)."""
    check_call(layer, call)
    (x,) = inputs
    out = g.matmul(x.name, g.weight(weight_array(layer.kernel), "kernel"))
    if layer.use_bias:
        out = g.add(out, g.weight(weight_array(layer.bias), "bias"))
    return [activate(g, layer, out, (layer.units,))]


@converts(L.EinsumDense)
def convert_einsum_dense(g: GraphBuilder, layer: Any, inputs: list[Value], call: dict) -> list:
    """``activation(einsum(equation, x, kernel) + bias)`` with ONNX's ``Einsum``."""
    check_call(layer, call)
    (x,) = inputs
    equation = layer.equation.replace(" ", "")
    out = g.op("Einsum", [x.name, g.weight(weight_array(layer.kernel), "kernel")],
               equation=equation)
    if layer.bias is not None:
        out = g.add(out, g.weight(weight_array(layer.bias), "bias"))
    return [activate(g, layer, out, tuple(layer.full_output_shape or ()))]


# ------------------------------------------------------------------- activation layers
@converts(L.Activation)
def convert_activation(g: GraphBuilder, layer: Any, inputs: list[Value], call: dict) -> list:
    """``Activation(fn)``."""
    check_call(layer, call)
    return [activate(g, layer, inputs[0].name, inputs[0].shape)]


@converts(L.ReLU)
def convert_relu(g: GraphBuilder, layer: Any, inputs: list[Value], call: dict) -> list:
    """Keras's generalised ReLU (``max_value``, ``negative_slope``, ``threshold``)."""
    check_call(layer, call)
    return [act.relu(g, inputs[0].name, layer.negative_slope, layer.max_value,
                     layer.threshold)]


@converts(L.LeakyReLU)
def convert_leaky_relu(g: GraphBuilder, layer: Any, inputs: list[Value], call: dict) -> list:
    """``LeakyRelu`` with ``alpha = negative_slope``."""
    check_call(layer, call)
    return [g.op("LeakyRelu", [inputs[0].name], alpha=float(layer.negative_slope))]


@converts(L.ELU)
def convert_elu(g: GraphBuilder, layer: Any, inputs: list[Value], call: dict) -> list:
    """``Elu`` with the layer's ``alpha``."""
    check_call(layer, call)
    return [act.elu(g, inputs[0].name, layer.alpha)]


@converts(L.PReLU)
def convert_prelu(g: GraphBuilder, layer: Any, inputs: list[Value], call: dict) -> list:
    """``relu(x) - alpha * relu(-x)`` with the learned ``alpha`` (broadcast on the batch)."""
    check_call(layer, call)
    x = inputs[0].name
    alpha = g.weight(weight_array(layer.alpha), "alpha")
    negative = g.mul(alpha, g.op("Relu", [g.op("Neg", [x])]))
    return [g.sub(g.op("Relu", [x]), negative)]


@converts(L.Softmax)
def convert_softmax(g: GraphBuilder, layer: Any, inputs: list[Value], call: dict) -> list:
    """Softmax along ``axis`` (one or several axes)."""
    check_call(layer, call)
    return [act.softmax(g, inputs[0].name, layer.axis)]


# ------------------------------------------------------------------------ embeddings
@converts(L.Embedding)
def convert_embedding(g: GraphBuilder, layer: Any, inputs: list[Value], call: dict) -> list:
    """``Gather(embeddings, ids)``; float ids are cast to int64 as descend does."""
    check_call(layer, call)
    if layer.mask_zero:
        raise refuse(layer, "mask_zero=True makes a mask, which ONNX export does not carry; "
                            "export a model built with mask_zero=False.")
    if getattr(layer, "embeddings", None) is None:
        raise refuse(layer, "its embeddings are not a plain matrix (quantized or LoRA).")
    ids = g.op("Cast", [inputs[0].name], to=7)  # 7: INT64
    return [g.op("Gather", [g.weight(weight_array(layer.embeddings), "embeddings"), ids],
                 axis=0)]


# ------------------------------------------------------------------- preprocessing
@converts(L.Rescaling)
def convert_rescaling(g: GraphBuilder, layer: Any, inputs: list[Value], call: dict) -> list:
    """``x * scale + offset`` (the input cast to the layer's dtype)."""
    check_call(layer, call)
    x = g.op("Cast", [inputs[0].name], to=_onnx_type(layer.dtype))
    return [g.add(g.mul(x, g.const(np.asarray(layer.scale, layer.dtype), layer.dtype)),
                  g.const(np.asarray(layer.offset, layer.dtype), layer.dtype))]


@converts(L.Normalization)
def convert_normalization(g: GraphBuilder, layer: Any, inputs: list[Value], call: dict) -> list:
    """``(x - mean) / std`` (or ``mean + x * std`` with ``invert``), the layer's statistics."""
    check_call(layer, call)
    mean, std = (np.asarray(t.data) for t in layer._stats())
    x = g.op("Cast", [inputs[0].name], to=_onnx_type(layer.dtype))
    m, s = g.weight(mean, "mean", layer.dtype), g.weight(std, "std", layer.dtype)
    if layer.invert:
        return [g.add(m, g.mul(x, s))]
    return [g.div(g.sub(x, m), s)]


def _onnx_type(dtype: Any) -> int:
    from onnx import helper

    return helper.np_dtype_to_tensor_dtype(np.dtype(dtype))


__all__ = ["activate", "weight_array"]
