"""Converters of the category-encoding preprocessing layers: ``CategoryEncoding``
(``one_hot``, ``multi_hot``, ``count``) and ``Discretization`` (bin indices, or those
indices encoded the same ways).

One-hot rows are ``Equal(indices[..., None], arange(depth))``; ``multi_hot`` takes
their maximum and ``count`` their sum over the values of a sample, as descend's
``encode`` does. Inputs out of range are not checked in the exported graph (descend
raises on them; the ONNX model gives rows of zeros).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend import layers as L
from descend.export.onnx.builder import GraphBuilder, Value
from descend.export.onnx.registry import check_call, converts, refuse

_INT64, _INT32 = 7, 6  # onnx.TensorProto.INT64 / INT32


def _float_type(dtype: Any) -> int:
    from onnx import helper

    return helper.np_dtype_to_tensor_dtype(np.dtype(dtype))


def encode(g: GraphBuilder, layer: Any, indices: str, shape: tuple, mode: str,
           depth: int) -> str:
    """Integer ``indices`` of static ``shape`` encoded as ``mode`` (``depth`` categories)."""
    if mode == "one_hot" and len(shape) > 1 and shape[-1] == 1:
        indices, shape = g.squeeze(indices, [len(shape) - 1]), shape[:-1]
    if mode != "one_hot" and len(shape) != 2:
        raise refuse(layer, f"output_mode={mode!r} is exported for inputs of shape (batch, "
                            f"values); received {shape}.")
    hot = g.op("Equal", [g.unsqueeze(indices, [len(shape)]),
                         g.const(np.arange(depth, dtype=np.int64), np.int64)])
    hot = g.op("Cast", [hot], to=_float_type(layer.dtype))
    if mode == "one_hot":
        return hot
    reduction = "ReduceMax" if mode == "multi_hot" else "ReduceSum"
    return g.reduce(reduction, hot, [1], keepdims=False)


@converts(L.CategoryEncoding)
def convert_category_encoding(g: GraphBuilder, layer: Any, inputs: list[Value], call: dict
                              ) -> list:
    """``one_hot``/``multi_hot``/``count`` rows of ``num_tokens`` columns."""
    check_call(layer, call)
    x = inputs[0]
    indices = g.op("Cast", [x.name], to=_INT64)
    return [encode(g, layer, indices, x.shape, layer.output_mode, int(layer.num_tokens))]


@converts(L.Discretization)
def convert_discretization(g: GraphBuilder, layer: Any, inputs: list[Value], call: dict
                           ) -> list:
    """The bin index ``sum(x >= boundaries)`` (NumPy's ``digitize``), then its encoding."""
    check_call(layer, call)
    if layer.bin_boundaries is None:
        raise refuse(layer, "it has no bin boundaries yet (call adapt() first).")
    x = inputs[0]
    boundaries = np.asarray(layer.bin_boundaries, dtype=np.float64)
    values = g.unsqueeze(x.name, [x.ndim])
    reached = g.op("GreaterOrEqual", [values, g.const(boundaries, g.dtype)])
    indices = g.reduce("ReduceSum", g.op("Cast", [reached], to=_INT64), [-1], keepdims=False)
    if layer.output_mode == "int":
        return [g.op("Cast", [indices], to=_INT32)]
    return [encode(g, layer, indices, x.shape, layer.output_mode, len(boundaries) + 1)]


__all__ = ["encode"]
