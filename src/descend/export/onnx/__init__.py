"""ONNX export of descend models (the optional ``onnx`` package, imported only when used).

``model.export("m.onnx", format="onnx")`` calls :func:`export_onnx`. The package
is one concept per module: :mod:`.exporter` walks the model and writes the file,
:mod:`.builder` assembles the ONNX graph, :mod:`.registry` maps layer classes to
converters, and the converters live by family (:mod:`.core_layers`,
:mod:`.activations`, :mod:`.shape_layers`, :mod:`.conv_layers`,
:mod:`.pool_layers`, :mod:`.norm_layers`, :mod:`.merge_layers`,
:mod:`.rnn_layers`, :mod:`.attention_layers`, :mod:`.encoding_layers`,
:mod:`.image_layers`, :mod:`.op_layers`).
"""

from descend.export.onnx.exporter import (
    DEFAULT_OPSET,
    SUPPORTED_OPSETS,
    build_onnx_model,
    export_onnx,
)

__all__ = ["DEFAULT_OPSET", "SUPPORTED_OPSETS", "build_onnx_model", "export_onnx"]
