"""Exporting models for inference elsewhere: ``model.export(filepath, format=...)``.

descend writes ONNX (``format="onnx"``, the optional ``onnx`` package; see
:mod:`descend.export.onnx` and ``docs/interoperability.md``). Keras 3's other
formats need TensorFlow, OpenVINO, LiteRT or PyTorch models and are refused
with a message that says so.
"""

from __future__ import annotations

from typing import Any

FORMATS = ("onnx",)
"""The formats :func:`export_model` writes."""

_KERAS_ONLY = ("tf_saved_model", "openvino", "litert", "torch")


def export_model(model: Any, filepath: Any, format: str = "tf_saved_model",
                 verbose: bool | None = None, input_signature: Any = None,
                 **kwargs: Any) -> None:
    """Export ``model`` for inference (Keras 3's ``Model.export``).

    Parameters
    ----------
    model : Sequential or functional Model
    filepath : str or path-like
        Destination file.
    format : str, default "tf_saved_model"
        Keras's default, which descend cannot write; pass ``"onnx"``.
    verbose : bool, optional
        Print where the file was written.
    input_signature : optional
        Shapes fixing the model's unknown input lengths (see
        :func:`descend.export.onnx.build_onnx_model`).
    **kwargs
        ``opset`` (or Keras's ``opset_version``): the ONNX opset, 13 to 21,
        default 17; ``overwrite`` (default True).

    Raises
    ------
    ValueError
        For a format descend does not write, an unknown keyword, or a layer
        ONNX export cannot write (naming it; nothing is written).

    Examples
    --------
    >>> import descend
    >>> model = descend.Sequential([descend.Input((3,)), descend.layers.Dense(2)])
    >>> model.export("m.onnx")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: descend cannot export format='tf_saved_model' ...
    """
    if format in _KERAS_ONLY:
        raise ValueError(
            f"descend cannot export format={format!r} (Keras writes it from TensorFlow, "
            "OpenVINO, LiteRT or PyTorch models). descend writes ONNX: "
            "model.export(filepath, format='onnx'), which onnxruntime, OpenVINO and TensorRT "
            "run."
        )
    if format not in FORMATS:
        raise ValueError(f"Unrecognized format={format!r}. descend exports to {list(FORMATS)}.")
    allowed = {"opset", "opset_version", "overwrite"}
    unknown = sorted(set(kwargs) - allowed)
    if unknown:
        raise ValueError(f"model.export(format='onnx'): unknown keyword argument(s) {unknown}; "
                         f"accepted: {sorted(allowed)}.")
    from descend.export.onnx import export_onnx

    export_onnx(model, filepath, verbose=verbose, input_signature=input_signature, **kwargs)


__all__ = ["FORMATS", "export_model"]
