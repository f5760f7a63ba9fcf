"""Layers to and from JSON-serialisable dicts (Keras's ``serialize_keras_object`` schema).

A layer becomes ``{"module", "class_name", "config", "registered_name",
"build_config"}``. Deserialisation only ever instantiates classes found in
descend's layer namespace or passed explicitly in ``custom_objects``: a config
can never name arbitrary code to run.

Examples
--------
>>> from descend.layers import Dense
>>> from descend.layers.serialization import deserialize_layer, serialize_layer
>>> config = serialize_layer(Dense(3, activation="relu", name="d"))
>>> config["class_name"], config["config"]["units"]
('Dense', 3)
>>> deserialize_layer(config).units
3
"""

from __future__ import annotations

from typing import Any

from descend import _registry
from descend.layers.layer import Layer


def serialize_layer(layer: Layer) -> dict[str, Any]:
    """Return the JSON-serialisable description of ``layer``."""
    return {
        "module": type(layer).__module__.split(".")[0] + ".layers"
        if type(layer).__module__.startswith("descend.") else type(layer).__module__,
        "class_name": type(layer).__name__,
        "config": layer.get_config(),
        "registered_name": None if type(layer).__module__.startswith("descend.")
        else type(layer).__name__,
        "build_config": layer.get_build_config(),
    }


def layer_classes() -> dict[str, type]:
    """Every layer class descend provides, by class name."""
    import descend.layers as layers_module
    from descend import models

    table = {name: obj for name, obj in vars(layers_module).items()
             if isinstance(obj, type) and issubclass(obj, Layer)}
    for name in ("Sequential", "Model", "Functional"):
        if hasattr(models, name):
            table[name] = getattr(models, name)
    return table


def deserialize_layer(config: dict[str, Any], custom_objects: dict[str, Any] | None = None
                      ) -> Layer:
    """Create a layer from :func:`serialize_layer` output.

    Raises
    ------
    ValueError
        If the class is unknown (pass it in ``custom_objects``) or the config is malformed.
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Cannot deserialize a layer from {config!r}: expected a dict with "
                         "'class_name' and 'config'.")
    table = layer_classes()
    if custom_objects:
        table.update(custom_objects)
    name = config.get("registered_name") or config["class_name"]
    if name not in table and config["class_name"] in table:
        name = config["class_name"]
    try:
        cls = _registry.lookup("layer class", name, table)
    except ValueError as exc:
        raise ValueError(f"{exc} If it is a custom layer, pass it in "
                         f"custom_objects={{'{name}': {name}}}.") from None
    inner = dict(config.get("config") or {})
    if hasattr(cls, "from_config"):
        try:
            layer = cls.from_config(inner, custom_objects) if _takes_custom(cls) else \
                cls.from_config(inner)
        except TypeError as exc:
            raise ValueError(f"Cannot create layer {name} from its config: {exc}") from exc
    else:
        layer = cls(**inner)
    build_config = config.get("build_config")
    if build_config:
        layer.build_from_config(build_config)
    return layer


def _takes_custom(cls: type) -> bool:
    import inspect

    try:
        return "custom_objects" in inspect.signature(cls.from_config).parameters
    except (TypeError, ValueError):
        return False
