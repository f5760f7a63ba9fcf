"""Layers to and from JSON-serialisable dicts (Keras's ``serialize_keras_object`` schema).

A layer becomes ``{"module", "class_name", "config", "registered_name",
"build_config"}``. Deserialisation only ever instantiates classes found in
descend's layer namespace or made known by the user (``custom_objects``, a
custom object scope, registration): a config can never name arbitrary code to run.

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

from descend import _plugins as plugins
from descend.layers.layer import Layer
from descend.registry.object_registration import (
    custom_object_scope,
    get_registered_name,
    retrieve_object,
)


def serialize_layer(layer: Layer) -> dict[str, Any]:
    """Return the JSON-serialisable description of ``layer``.

    Parameters
    ----------
    layer : Layer

    Returns
    -------
    dict
        ``{"module", "class_name", "config", "registered_name", "build_config"}``;
        ``registered_name`` is None for descend's classes, ``"package>Name"``
        for a class registered with
        :func:`~descend.saving.register_keras_serializable`, else the class name.

    Examples
    --------
    >>> from descend.layers import Dropout
    >>> config = serialize_layer(Dropout(0.5, name="drop"))
    >>> config["class_name"], config["registered_name"], config["config"]["rate"]
    ('Dropout', None, 0.5)
    """
    cls = type(layer)
    builtin = cls.__module__.startswith("descend.")
    config = layer.get_config()
    if not builtin:  # a custom get_config may return objects: describe them as Keras does
        config = _serialize_values(config)
    return {
        "module": "descend.layers" if builtin else cls.__module__,
        "class_name": cls.__name__,
        "config": config,
        "registered_name": None if builtin else get_registered_name(cls),
        "build_config": layer.get_build_config(),
    }


def _serialize_values(value: Any) -> Any:
    """``value`` with layers and other Keras objects inside it replaced by their configs."""
    if isinstance(value, Layer):
        return serialize_layer(value)
    if isinstance(value, dict):
        return {k: _serialize_values(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_serialize_values(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return plugins.serialize_keras_object(value)


def layer_classes() -> dict[str, type]:
    """Every layer class descend provides, by class name (models included).

    Examples
    --------
    >>> table = layer_classes()
    >>> table["Dense"].__name__, "Sequential" in table
    ('Dense', True)
    """
    import descend.layers as layers_module

    table = {name: obj for name, obj in vars(layers_module).items()
             if isinstance(obj, type) and issubclass(obj, Layer)}
    table.update(plugins.model_classes())
    return table


def deserialize_layer(config: dict[str, Any], custom_objects: dict[str, Any] | None = None
                      ) -> Layer:
    """Create a layer from :func:`serialize_layer` output.

    The class is looked up by its registered name, then its class name, in
    ``custom_objects``, the active :func:`~descend.saving.custom_object_scope` s,
    the registered objects and descend's layers, in that order; nothing else can
    be created. The layer is built inside ``custom_object_scope(custom_objects)``,
    so the custom activations, initializers and regularizers its config names by
    string are found too.

    Parameters
    ----------
    config : dict
        Output of :func:`serialize_layer`.
    custom_objects : dict, optional
        ``{name: class or function}``.

    Returns
    -------
    Layer
        Built when the config has a ``build_config``.

    Raises
    ------
    ValueError
        If the class is unknown (pass it in ``custom_objects``) or the config is malformed.

    Examples
    --------
    >>> deserialize_layer({"class_name": "Dense", "config": {"units": 2}}).units
    2
    >>> deserialize_layer({"class_name": "Linear", "config": {}})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: Unknown layer class: 'Linear'. ... pass custom_objects={'Linear': Linear}; ...
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Cannot deserialize a layer from {config!r}: expected a dict with "
                         "'class_name' and 'config'.")
    name = config["class_name"]
    with custom_object_scope(custom_objects):
        cls = retrieve_object("layer class", name, layer_classes(), custom_objects,
                              config.get("registered_name"))
        inner = dict(config.get("config") or {})
        if isinstance(inner.get("dtype"), dict):
            inner["dtype"] = _dtype_from_policy(inner["dtype"], name)
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


def _dtype_from_policy(policy: dict[str, Any], layer: str) -> str:
    """The dtype a Keras 3 ``DTypePolicy`` config names (``{"config": {"name": "float32"}}``).

    Raises
    ------
    ValueError
        For a mixed-precision or quantized policy, which descend does not implement.
    """
    name = (policy.get("config") or {}).get("name") if policy.get("class_name") in (
        "DTypePolicy", "FloatDTypePolicy") else None
    if name not in ("float16", "float32", "float64", "bfloat16"):
        raise ValueError(f"Cannot create layer {layer}: its dtype policy {policy!r} is not a "
                         "plain float type; descend computes in one float type (no mixed "
                         "precision or quantization).")
    return name


def _takes_custom(cls: type) -> bool:
    import inspect

    try:
        return "custom_objects" in inspect.signature(cls.from_config).parameters
    except (TypeError, ValueError):
        return False
