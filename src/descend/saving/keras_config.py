"""Translate model configs between descend and the Keras 3 ``.keras`` format.

descend's configs already follow Keras's schema (``module``, ``class_name``,
``config``, ``registered_name``, ``build_config``). What differs:

- **Keras → descend** (:func:`from_keras`): Keras 3.15 writes keys for features
  descend lacks (``quantization_config``, LoRA ranks, ``renorm``, ragged or sparse
  inputs, initializer ``input_axes``/``output_axes``...). A key at its "off" value
  is dropped; one that switches the feature on is refused, naming the layer. A
  ``shared_object_id`` (Keras's way to share a dtype policy) is dropped. Classes
  that are neither descend's nor made known by the user are collected and
  refused in one message by :func:`check_classes`.
- **descend → Keras** (:func:`to_keras`): modules become Keras's
  (``descend.layers`` → ``keras.layers``; Sequential lives in ``keras``,
  Functional in ``keras.src.models.functional``), and the built-in optimizers get
  their ``registered_name`` as Keras writes it.

Examples
--------
>>> cfg = {"module": "keras.layers", "class_name": "Dense", "registered_name": None,
...        "config": {"units": 2, "quantization_config": None, "kernel_initializer": {
...            "module": "keras.initializers", "class_name": "GlorotUniform",
...            "config": {"seed": None, "input_axes": None, "output_axes": None}}}}
>>> out = from_keras(cfg, "m.keras")
>>> sorted(out["config"]), out["config"]["kernel_initializer"]["config"]
(['kernel_initializer', 'units'], {'seed': None})
>>> to_keras({"module": "descend.layers", "class_name": "Dense", "config": {}})["module"]
'keras.layers'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_ANY = object()

#: Keys Keras 3.15 writes for features descend does not have, with the value that
#: means "off" (``_ANY``: meaningless once the feature is off, always dropped).
DROPPED_WHEN_OFF: dict[str, Any] = {
    "quantization_config": None,
    "lora_rank": None,
    "lora_alpha": None,
    "input_axes": None,
    "output_axes": None,
    "sparse": False,
    "ragged": False,
    "optional": False,
    "renorm": False,
    "renorm_clipping": None,
    "renorm_momentum": _ANY,
}

#: Module prefixes: descend's on the left, what Keras writes on the right.
_MODULES = {
    "descend.layers": "keras.layers",
    "descend.optimizers": "keras.optimizers",
    "descend.losses": "keras.losses",
    "descend.metrics": "keras.metrics",
    "descend.initializers": "keras.initializers",
    "descend.regularizers": "keras.regularizers",
    "descend.constraints": "keras.constraints",
    "descend.activations": "keras.activations",
    "descend.optimizers.schedules": "keras.optimizers.schedules",
}
_MODEL_MODULES = {"Sequential": "keras", "Functional": "keras.src.models.functional"}

#: Keys descend writes that a Keras 3.15 constructor does not accept (Keras's own
#: ``get_config`` leaves them out), by class.
_KERAS_OMITS: dict[str, frozenset[str]] = {
    name: frozenset({"trainable"})
    for name in ("SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D")
}

#: Keras names the layers descend may be asked to build but lacks get a hint.
_CODE_CLASSES = frozenset({"Lambda", "TFOpLambda", "SlicingOpLambda"})


def _is_object(value: Any) -> bool:
    return isinstance(value, Mapping) and isinstance(value.get("class_name"), str) \
        and "config" in value


def _strip(config: Mapping[str, Any], owner: str, source: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in config.items():
        if key == "shared_object_id":
            continue
        off = DROPPED_WHEN_OFF.get(key, _MISSING)
        if off is not _MISSING:
            if off is _ANY or value == off:
                continue
            raise ValueError(
                f"{source}: {owner} uses the Keras feature {key}={value!r}, which descend does "
                f"not have. Re-save the model in Keras without it ({key}={off!r})."
            )
        out[key] = from_keras(value, source)
    return out


_MISSING = object()


def _node(node: Any, source: str) -> Any:
    """A functional node without Keras's ``mask=None`` (descend has no masking)."""
    node = from_keras(node, source)
    kwargs = node.get("kwargs") if isinstance(node, Mapping) else None
    if isinstance(kwargs, Mapping) and "mask" in kwargs:
        if kwargs["mask"] is not None:
            raise ValueError(f"{source}: a layer of this Keras model is called with a mask; "
                             "descend has no masking.")
        node = {**node, "kwargs": {k: v for k, v in kwargs.items() if k != "mask"}}
    return node


def from_keras(config: Any, source: str) -> Any:
    """A descend config from a Keras 3 config (recursively; the input is not changed).

    Parameters
    ----------
    config : any JSON value
        From a ``.keras`` file's ``config.json``.
    source : str
        The file, for messages.

    Returns
    -------
    any JSON value

    Raises
    ------
    ValueError
        If a layer uses a Keras feature descend lacks, naming the layer and the key.
    """
    if isinstance(config, list):
        return [from_keras(value, source) for value in config]
    if not isinstance(config, Mapping):
        return config
    if _is_object(config):
        out = {key: value for key, value in config.items() if key != "shared_object_id"}
        inner = config.get("config")
        if config["class_name"] in ("DTypePolicy", "FloatDTypePolicy") and isinstance(
                inner, Mapping):
            return inner.get("name", "float32")
        if isinstance(inner, Mapping):
            name = inner.get("name")
            owner = config["class_name"] + (f" {name!r}" if isinstance(name, str) else "")
            out["config"] = _strip(inner, owner, source)
        for key in ("build_config", "compile_config"):
            if key in out:
                out[key] = from_keras(out[key], source)
        if isinstance(out.get("inbound_nodes"), list):
            out["inbound_nodes"] = [_node(node, source) for node in out["inbound_nodes"]]
        if out.get("compile_config") == {}:
            out.pop("compile_config")
        return out
    return {key: from_keras(value, source) for key, value in config.items()
            if key != "shared_object_id"}


def to_keras(config: Any) -> Any:
    """A Keras 3 config from a descend config (recursively; the input is not changed).

    Parameters
    ----------
    config : any JSON value
        From :func:`descend.saving.serialize_model`.

    Returns
    -------
    any JSON value
        What ``keras.saving.load_model`` reads: Keras module names and the
        ``registered_name`` Keras writes for its optimizers.
    """
    if isinstance(config, list):
        return [to_keras(value) for value in config]
    if not isinstance(config, Mapping):
        return config
    out = {key: to_keras(value) for key, value in config.items()}
    if _is_object(config):
        omit = _KERAS_OMITS.get(config["class_name"])
        if omit and isinstance(out["config"], Mapping):
            out["config"] = {k: v for k, v in out["config"].items() if k not in omit}
        module = config.get("module")
        name = config["class_name"]
        if name in _MODEL_MODULES and isinstance(module, str) and module.startswith("descend"):
            out["module"] = _MODEL_MODULES[name]
            if name == "Functional":
                out["registered_name"] = "Functional"
        elif isinstance(module, str):
            for ours, theirs in sorted(_MODULES.items(), key=lambda kv: -len(kv[0])):
                if module == ours or module.startswith(ours + "."):
                    out["module"] = theirs + module[len(ours):]
                    if ours == "descend.optimizers":
                        out["registered_name"] = name
                    break
    return out


def check_writable(config: Any) -> None:
    """Refuse, before anything is written, a model Keras could not read back.

    Raises
    ------
    ValueError
        If the model applies ops between layers (descend's ``OpLayer``), naming them.
    """
    ops = sorted({layer.get("config", {}).get("op", "?") for layer in _objects(config)
                  if layer["class_name"] == "OpLayer"})
    if ops:
        raise ValueError(
            f"save: this model applies descend.ops between its layers ({', '.join(ops)}); "
            "descend does not translate them to Keras ops yet. Replace them by layers (for "
            "example Activation('relu'), Add()) or save as `.descend`."
        )


def _objects(config: Any) -> list[Mapping[str, Any]]:
    found: list[Mapping[str, Any]] = []
    stack = [config]
    while stack:
        value = stack.pop()
        if isinstance(value, Mapping):
            if _is_object(value):
                found.append(value)
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return found


def class_names(config: Any) -> set[str]:
    """Every ``class_name`` in a config (layers, initializers, optimizers...)."""
    found: set[str] = set()
    stack = [config]
    while stack:
        value = stack.pop()
        if isinstance(value, Mapping):
            if isinstance(value.get("class_name"), str) and "config" in value:
                found.add(value["class_name"])
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return found


def check_layer_classes(config: Any, source: str, custom: Mapping[str, Any]) -> None:
    """Refuse, in one message, every layer class of ``config`` descend cannot build.

    Parameters
    ----------
    config : dict
        A translated model config.
    source : str
        The file, for messages.
    custom : mapping
        Objects the user made known (``custom_objects``, scopes, registration).

    Raises
    ------
    ValueError
        Naming the missing layer classes.
    """
    import descend.layers as layers_module
    from descend.registry.object_registration import get_registered_object
    from descend.saving.serialization import model_classes

    known = {name for name, obj in vars(layers_module).items() if isinstance(obj, type)}
    known |= set(model_classes())
    missing: set[str] = set()
    ops: set[str] = set()

    def visit(layer: Any) -> None:
        if not _is_object(layer):
            return
        name = layer["class_name"]
        module = layer.get("module")
        if isinstance(module, str) and module.startswith("keras.src.ops"):
            ops.add(name)
            return
        registered = layer.get("registered_name")
        made_known = any(get_registered_object(n, custom) is not None
                         for n in (registered, name) if isinstance(n, str))
        if name not in known and not made_known:
            missing.add(name)
        inner = layer.get("config")
        if isinstance(inner, Mapping):
            for child in inner.get("layers") or ():
                visit(child)
            for key in ("layer", "backward_layer"):
                if _is_object(inner.get(key)):
                    visit(inner[key])

    visit(config)
    if ops:
        raise ValueError(
            f"{source}: this Keras model applies Keras ops between its layers "
            f"({', '.join(sorted(ops))}); descend does not translate Keras ops in a file yet. In "
            "Keras, replace them by layers (for example Activation('relu'), Add()) and save "
            "again."
        )
    if missing:
        code = sorted(missing & _CODE_CLASSES)
        hint = (" Lambda layers hold Python code, which descend never runs from a file."
                if code else "")
        raise ValueError(
            f"{source}: descend cannot build the layer classes {sorted(missing)} of this Keras "
            "model: descend does not have them." + hint + " If they are your own classes, "
            "pass them in custom_objects or register them with "
            "@descend.saving.register_keras_serializable()."
        )


__all__ = ["DROPPED_WHEN_OFF", "check_layer_classes", "check_writable", "class_names",
           "from_keras", "to_keras"]
