"""Walk a descend model's graph of layer calls and write it as one ONNX model.

A ``Sequential`` or functional model records, when it is built, the symbolic
tensors (:class:`~descend.layers.KerasTensor`) of every layer call. The exporter
orders those calls topologically (an iterative depth-first walk, as the
functional model itself does), hands each to the converter of its layer class
(:mod:`~descend.export.onnx.registry`) and wires the returned values; a model
used as a layer is inlined. The graph's inputs are the model's ``Input`` s (named
after their layers, batch axis ``"batch"``), its outputs are named as
``model.output_names``. Every layer is converted before anything is written,
and the model passes ``onnx.checker`` first, so a refusal leaves no file.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.export.onnx import registry
from descend.export.onnx.builder import GraphBuilder, Value

DEFAULT_OPSET = 17
"""The ONNX opset written when none is asked for (onnxruntime >= 1.14 runs it)."""

SUPPORTED_OPSETS = range(13, 22)
"""The opsets descend writes: 13 to 21."""


def check_opset(opset: Any) -> int:
    """Return ``opset`` as an int, or raise ``ValueError`` saying which opsets are written."""
    low, high = SUPPORTED_OPSETS[0], SUPPORTED_OPSETS[-1]
    if isinstance(opset, bool) or not isinstance(opset, (int, np.integer)) \
            or int(opset) not in SUPPORTED_OPSETS:
        raise ValueError(
            f"ONNX export: opset={opset!r} is not supported; descend writes the ONNX opsets "
            f"{low} to {high} (default {DEFAULT_OPSET}). Pass an int in that range."
        )
    import onnx

    newest = onnx.defs.onnx_opset_version()
    if int(opset) > newest:
        raise ValueError(
            f"ONNX export: opset={opset} is newer than the installed onnx {onnx.__version__} "
            f"knows (up to {newest}); upgrade onnx or pass a lower opset."
        )
    return int(opset)


def model_graph(model: Any) -> tuple[list, list]:
    """The symbolic inputs and outputs of a Sequential or functional model.

    Raises
    ------
    ValueError
        For a subclassed model (its ``call`` is Python code, not a recorded graph)
        and for a Sequential model that was never built.
    """
    from descend.models.functional import Functional
    from descend.models.sequential import Sequential

    kind = type(model).__name__
    if isinstance(model, Sequential) and _keeps(model, Sequential):
        if not model.built:
            raise ValueError(
                f"ONNX export: Sequential model '{model.name}' is not built, so its input "
                "shape is unknown. Start it with descend.Input(shape=...), call "
                "model.build(input_shape), or fit/predict once before exporting."
            )
        return list(model.inputs), list(model.outputs)
    if isinstance(model, Functional) and _keeps(model, Functional):
        return list(model.inputs), list(model.outputs)
    raise ValueError(
        f"ONNX export: model '{model.name}' ({kind}) cannot be exported: its forward pass is "
        "the Python code of a subclassed call(), which ONNX export cannot read. Build the "
        "same network as a Sequential or functional model (descend.Model(inputs, outputs)) "
        "and copy the weights (set_weights) to export it."
    )


def _keeps(model: Any, base: type) -> bool:
    return all(getattr(type(model), name) is getattr(base, name)
               for name in ("call", "_forward", "_infer_arrays"))


def _call_order(inputs: list, outputs: list) -> list:
    """The layer calls between ``inputs`` and ``outputs``, each after those it reads.

    Returns one representative output tensor per call (its ``layer``, ``inputs``
    and ``call_kwargs`` describe the call).
    """
    given = {id(t.inputs) for t in inputs}
    done: set[int] = set()
    order: list = []
    stack: list[tuple[Any, bool]] = [(t, False) for t in reversed(outputs)]
    while stack:
        tensor, expanded = stack.pop()
        key = id(tensor.inputs)
        if key in given or key in done:
            continue
        if expanded:
            done.add(key)
            order.append(tensor)
            continue
        stack.append((tensor, True))
        for parent in reversed(tensor.inputs):
            if id(parent.inputs) not in given and id(parent.inputs) not in done:
                stack.append((parent, False))
    return order


def emit_model(g: GraphBuilder, model: Any, input_values: list[Value]) -> list[str]:
    """Write the nodes of ``model`` reading ``input_values``; return its output names."""
    inputs, outputs = model_graph(model)
    if len(inputs) != len(input_values):
        raise ValueError(f"ONNX export: model '{model.name}' has {len(inputs)} inputs but is "
                         f"called on {len(input_values)} tensors.")
    names: dict[tuple[int, int], str] = {
        (id(t.inputs), 0): v.name for t, v in zip(inputs, input_values, strict=True)}
    for tensor in _call_order(inputs, outputs):
        layer = tensor.layer
        args = [Value(names[(id(t.inputs), t.index)], tuple(t.shape)) for t in tensor.inputs]
        produced = _emit_call(g, layer, args, tensor)
        for index, name in enumerate(produced):
            names[(id(tensor.inputs), index)] = name
    try:
        return [names[(id(t.inputs), t.index)] for t in outputs]
    except KeyError:  # pragma: no cover - a converter returned too few outputs
        raise RuntimeError(f"ONNX export: a layer of model '{model.name}' gave fewer outputs "
                           "than the model uses.") from None


def _emit_call(g: GraphBuilder, layer: Any, args: list[Value], tensor: Any) -> list[str]:
    from descend.models.model import Model

    if getattr(tensor, "call_template", None) is not None:
        raise registry.refuse(
            layer, "it is called with symbolic tensors in several arguments (such as "
                   "initial_state= or a mask), which ONNX export does not translate.")
    with g.scope(layer.name):
        if isinstance(layer, Model):
            return emit_model(g, layer, args)
        convert = registry.find(layer)
        return list(convert(g, layer, args, dict(tensor.call_kwargs)))


def _dims(shape: tuple, input_name: str) -> list:
    dims: list = []
    for axis, size in enumerate(shape):
        if axis == 0:
            dims.append("batch" if size is None else int(size))
        else:
            dims.append(f"{input_name}_dim{axis}" if size is None else int(size))
    return dims


def _signature_shapes(model: Any, inputs: list, input_signature: Any) -> list[tuple]:
    """The declared input shapes: the model's, with the lengths ``input_signature`` fixes."""
    shapes = [tuple(t.shape) for t in inputs]
    if input_signature is None:
        return shapes
    if isinstance(input_signature, dict):  # keyed by input name
        names = [t.layer.name for t in inputs]
        if sorted(input_signature) != sorted(names):
            raise ValueError(f"ONNX export: input_signature has the keys "
                             f"{sorted(input_signature)}; model '{model.name}' has the inputs "
                             f"{names}.")
        input_signature = [input_signature[n] for n in names]
    items = input_signature if isinstance(input_signature, (list, tuple)) and not (
        input_signature and all(isinstance(s, (int, type(None))) for s in input_signature)
    ) else [input_signature]
    if len(items) != len(shapes):
        raise ValueError(
            f"ONNX export: input_signature gives {len(items)} input(s) but model '{model.name}' "
            f"has {len(shapes)}; pass one shape (or InputSpec/array) per input, in order."
        )
    fixed = []
    for i, (item, shape) in enumerate(zip(items, shapes, strict=True)):
        wanted = getattr(item, "shape", item)
        wanted = tuple(None if s is None else int(s) for s in wanted)
        if len(wanted) != len(shape) or any(
                m is not None and w is not None and m != w for m, w in zip(shape, wanted,
                                                                            strict=True)):
            raise ValueError(
                f"ONNX export: input_signature[{i}] has shape {wanted}, which does not fit the "
                f"model's input {i} of shape {shape}."
            )
        fixed.append(tuple(m if w is None else w for m, w in zip(shape, wanted, strict=True)))
    return fixed


def build_onnx_model(model: Any, opset: int = DEFAULT_OPSET, input_signature: Any = None
                     ) -> Any:
    """The ``onnx.ModelProto`` of a descend model, checked, not written anywhere.

    Parameters
    ----------
    model : Sequential or functional Model
        Built (its input shapes known).
    opset : int, default 17
        The ONNX opset (13 to 21).
    input_signature : shape, InputSpec or array, or a list of them, optional
        Fixes lengths the model leaves open (``None``) in the declared inputs.

    Returns
    -------
    onnx.ModelProto

    Raises
    ------
    ValueError
        For a layer (or a setting) ONNX export cannot write, naming it.
    ImportError
        Without the ``onnx`` package.
    """
    onnx = _import_onnx()
    from onnx import helper

    opset = check_opset(opset)
    inputs, outputs = model_graph(model)
    dtype = np.dtype(getattr(model, "dtype", None) or "float32")
    g = GraphBuilder(opset, dtype if dtype.kind == "f" else np.float32)
    declared = _signature_shapes(model, inputs, input_signature)
    graph_inputs, values = [], []
    for tensor, shape in zip(inputs, declared, strict=True):
        name = g.reserve(tensor.layer.name)
        elem = helper.np_dtype_to_tensor_dtype(np.dtype(tensor.dtype or g.dtype))
        graph_inputs.append(helper.make_tensor_value_info(name, elem, _dims(shape, name)))
        values.append(Value(name, tuple(tensor.shape)))
    output_names = [g.reserve(n) for n in _output_names(model, [v.name for v in values])]
    produced = emit_model(g, model, values)
    graph_outputs = []
    for name, value in zip(output_names, produced, strict=True):
        g.identity(value, name)
        # dtype and shape: ONNX's inference below (0: undefined until then)
        graph_outputs.append(helper.make_tensor_value_info(name, 0, None))
    g.prune(output_names)
    graph = helper.make_graph(g.nodes, model.name, graph_inputs, graph_outputs,
                              initializer=g.initializers)
    opsets = [helper.make_opsetid("", opset)]
    from descend import __version__

    proto = helper.make_model(graph, opset_imports=opsets, producer_name="descend",
                              producer_version=str(__version__),
                              ir_version=helper.find_min_ir_version_for(opsets))
    proto.doc_string = f"Exported by descend {__version__} from model '{model.name}'."
    # the output shapes are ONNX's own inference from the graph (batch axis "batch")
    inferred = onnx.shape_inference.infer_shapes(proto, strict_mode=True)
    for declared, found, tensor in zip(proto.graph.output, inferred.graph.output, outputs,
                                       strict=True):
        if found.type.tensor_type.HasField("shape") and found.type.tensor_type.elem_type:
            declared.CopyFrom(found)
        else:  # not inferred: the dtype, rank and lengths the functional graph recorded
            elem = found.type.tensor_type.elem_type or helper.np_dtype_to_tensor_dtype(
                np.dtype(tensor.dtype or g.dtype))
            declared.CopyFrom(helper.make_tensor_value_info(
                declared.name, elem,
                ["batch" if i == 0 else (f"{declared.name}_dim{i}" if s is None else int(s))
                 for i, s in enumerate(tensor.shape)]))
    onnx.checker.check_model(proto, full_check=True)
    return proto


def _output_names(model: Any, taken: list[str]) -> list[str]:
    names = list(model.output_names)
    out: list[str] = []
    for name in names:
        candidate, i = str(name), 1
        while candidate in taken or candidate in out:
            candidate = f"{name}_{i}"
            i += 1
        out.append(candidate)
    return out


def _import_onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise ImportError(
            "ONNX export needs the onnx package, which is not installed. From a clone of "
            "descend: pip install '.[onnx]' (or pip install onnx)."
        ) from None
    _load_converters()
    return onnx


def _load_converters() -> None:
    # importing the converter modules registers them
    from descend.export.onnx import (  # noqa: F401
        attention_layers,
        conv_layers,
        core_layers,
        encoding_layers,
        image_layers,
        merge_layers,
        norm_layers,
        op_layers,
        pool_layers,
        rnn_layers,
        shape_layers,
    )


def export_onnx(model: Any, filepath: Any, verbose: bool | None = None,
                input_signature: Any = None, opset: int | None = None,
                opset_version: int | None = None, overwrite: bool = True) -> None:
    """Write ``model`` as an ONNX file (atomically: nothing is written on failure).

    Parameters
    ----------
    model : Sequential or functional Model
    filepath : str or path-like
        Destination, conventionally ``*.onnx``.
    verbose : bool, optional
        Print where the file was written (default: silent).
    input_signature : optional
        See :func:`build_onnx_model`.
    opset, opset_version : int, optional
        The ONNX opset (13 to 21, default 17). ``opset_version`` is Keras's name;
        give one of the two.
    overwrite : bool, default True
        If False and the file exists, raise ``FileExistsError``.

    Raises
    ------
    ValueError
        For a layer or setting that cannot be exported, or an unsupported opset.
    ImportError
        Without the ``onnx`` package.
    """
    import os

    from descend.saving.atomic import atomic_write

    if opset is not None and opset_version is not None and opset != opset_version:
        raise ValueError(f"ONNX export: opset={opset} and opset_version={opset_version} "
                         "disagree; give one of them.")
    chosen = opset if opset is not None else opset_version
    proto = build_onnx_model(model, DEFAULT_OPSET if chosen is None else chosen,
                             input_signature)
    data = proto.SerializeToString()
    path = os.fspath(filepath)
    atomic_write(path, lambda f: f.write(data), overwrite=overwrite)
    if verbose:
        print(f"Saved the ONNX model (opset {proto.opset_import[0].version}) to: {path}")


__all__ = ["DEFAULT_OPSET", "SUPPORTED_OPSETS", "build_onnx_model", "check_opset",
           "emit_model", "export_onnx", "model_graph"]
