"""A functional model's config, read back: the layers, then their calls, in dependency order.

:meth:`Functional.from_config` creates every layer of the config (only known
classes or ``custom_objects``), then replays each layer's recorded calls
(``inbound_nodes``, Keras 3's ``{"args", "kwargs"}`` or Keras 2's lists) as soon
as the tensors they refer to exist, and finally connects the model's inputs and
outputs.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from descend.layers._templates import _Slot
from descend.layers.input_layer import InputLayer, KerasTensor
from descend.layers.layer import Layer

_TENSOR_TAG = "__keras_tensor__"


def templated_node_config(node: Any, tensor_config: Any) -> dict[str, Any]:
    """Keras 3's ``{"args", "kwargs"}`` of a call with tensors in several arguments."""

    def encode(item: Any) -> Any:
        if isinstance(item, _Slot):
            return tensor_config(node.inputs[item.index])
        if isinstance(item, (list, tuple)):
            return [encode(v) for v in item]
        if isinstance(item, dict):
            return {k: encode(v) for k, v in item.items()}
        return item

    args, kwargs = node.template
    return {"args": encode(list(args)), "kwargs": encode(kwargs)}


def _resolve_tagged(item: Any, resolve: Any) -> Any:
    """Keyword arguments with their tagged tensors (``__keras_tensor__``) resolved."""
    if isinstance(item, dict):
        if item.get("class_name") == _TENSOR_TAG:
            return resolve(item)
        return {k: _resolve_tagged(v, resolve) for k, v in item.items()}
    if isinstance(item, list):
        return [_resolve_tagged(v, resolve) for v in item]
    return item


def _flat_outputs(out: list) -> list:
    flat: list = []
    for item in out:
        flat.extend(_flat_outputs(item) if isinstance(item, list) else [item])
    return flat


def functional_from_config(cls: type, config: dict[str, Any],
                           custom_objects: dict | None = None) -> Any:
    """Rebuild a functional model of class ``cls`` from its config (see the module docstring).

    Raises
    ------
    ValueError
        If the config is malformed or refers to a tensor no layer produces.
    """
    from descend.layers.serialization import deserialize_layer
    from descend.models.functional import Functional

    for key in ("layers", "input_layers", "output_layers"):
        if key not in config:
            raise ValueError(f"Functional.from_config: the config has no '{key}' entry "
                             f"(keys: {sorted(config)}); it is not a functional model.")
    custom_objects = {"Functional": Functional, **(custom_objects or {})}
    created: dict[str, Layer] = {}
    produced: dict[str, list[list[KerasTensor]]] = {}
    pending: dict[str, list[Any]] = {}
    for entry in config["layers"]:
        layer = deserialize_layer(entry, custom_objects)
        name = entry.get("name") or layer.name
        created[name] = layer
        produced[name] = [[layer.output]] if isinstance(layer, InputLayer) else []
        pending[name] = deque(entry.get("inbound_nodes") or [])

    def resolve(item: Any) -> Any:
        if isinstance(item, dict) and item.get("class_name") == _TENSOR_TAG:
            item = item["config"]["keras_history"]
        if isinstance(item, (list, tuple)) and len(item) >= 3 and isinstance(item[0], str):
            name, node, index = item[0], int(item[1]), int(item[2])
            if name not in created:
                raise ValueError(f"Functional.from_config: a node refers to layer {name!r}, "
                                 "which is not in the config's layers.")
            if node >= len(produced[name]):
                raise LookupError(name)
            return produced[name][node][index]
        if isinstance(item, (list, tuple)):
            return [resolve(i) for i in item]
        if isinstance(item, dict):
            return {k: resolve(v) for k, v in item.items()}
        return item

    # Call each layer on its inbound nodes in order. A node whose input is not produced
    # yet waits on the layer that will produce it and is retried only when that layer
    # made a new call: every node is tried O(1) times whatever the order of the layers
    # in the config (a pass over all layers until nothing changes is quadratic).
    waiting: dict[str, list[str]] = {}
    ready = deque(name for name, nodes in pending.items() if nodes)
    while ready:
        name = ready.popleft()
        nodes = pending[name]
        while nodes:
            data = nodes[0]
            try:
                if isinstance(data, dict):  # Keras 3: {"args": [...], "kwargs": {...}}
                    args = resolve(data.get("args", []))
                    kwargs = _resolve_tagged(data.get("kwargs") or {}, resolve)
                    inputs, extra = args[0], args[1:]
                else:  # Keras 2: [[name, node, index, kwargs], ...]
                    inputs = [resolve(d[:3]) for d in data]
                    inputs = inputs[0] if len(inputs) == 1 else inputs
                    kwargs = data[0][3] if len(data[0]) > 3 else {}
                    extra = []
            except LookupError as missing:
                waiting.setdefault(str(missing.args[0]), []).append(name)
                break
            out = created[name](inputs, *extra, **(kwargs or {}))
            if isinstance(out, list) and any(isinstance(o, list) for o in out):
                out = _flat_outputs(out)  # nested (states per cell): numbered flat
            produced[name].append(out if isinstance(out, list) else [out])
            nodes.popleft()
            ready.extend(waiting.pop(name, ()))
    stuck = sorted(n for n, v in pending.items() if v)
    if stuck:
        raise ValueError(f"Functional.from_config: cannot connect the layers {stuck}: "
                         "their inbound nodes refer to tensors no layer produces.")

    def outputs_of(spec: Any) -> Any:
        if isinstance(spec, dict):
            return {k: resolve(v) for k, v in spec.items()}
        if spec and isinstance(spec[0], str):
            return resolve(spec)
        items = [resolve(s) for s in spec]
        return items[0] if len(items) == 1 else items

    try:
        inputs = outputs_of(config["input_layers"])
        outputs = outputs_of(config["output_layers"])
    except LookupError as exc:
        raise ValueError(f"Functional.from_config: the model's inputs/outputs refer to a "
                         f"call of layer {exc} that the config does not describe.") from None
    return cls(inputs, outputs, name=config.get("name"),
               trainable=config.get("trainable", True))
