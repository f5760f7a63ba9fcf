"""``serialize_keras_object`` / ``deserialize_keras_object``: any descend object to a dict and back.

The dict format is Keras 3's: ``{"module", "class_name", "config",
"registered_name"}`` (layers add ``"build_config"``, models ``"compile_config"``);
a function is ``{"class_name": "function", "config": name, ...}``; a NumPy array
is ``{"class_name": "__numpy__", "config": {"value", "dtype"}}``. Lists, tuples
and dicts are converted item by item, numbers and strings pass unchanged.

Deserialisation dispatches to the family that ``module`` names (layers, models,
losses, metrics, optimizers, learning-rate schedules, initializers,
regularizers, constraints, activations), so ``keras.losses.MeanSquaredError``
and ``keras.metrics.MeanSquaredError`` stay distinct; without a known module,
the custom objects and then descend's families are searched. Only classes and
functions descend provides or the user made known (``custom_objects``, a custom
object scope, registration) are ever created: a config never imports a module or
runs code (a serialised lambda is refused).

Examples
--------
>>> from descend import layers, losses
>>> config = serialize_keras_object(losses.MeanSquaredError())
>>> config["class_name"], config["module"]
('MeanSquaredError', 'keras.losses')
>>> type(deserialize_keras_object(config)).__name__
'MeanSquaredError'
>>> dense = deserialize_keras_object(serialize_keras_object(layers.Dense(2, name="d")))
>>> dense.name, dense.units
('d', 2)
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from descend.registry.object_registration import (
    custom_object_scope,
    function_config,
    retrieve_object,
)

__all__ = ["deserialize_keras_object", "serialize_keras_object"]


def _families() -> list[tuple[str, tuple[str, ...], Callable[[], Mapping[str, Any]],
                              Callable[..., Any], Callable[..., Any]]]:
    """(family, module prefixes, builtin table, serialize, deserialize), most specific first."""
    from descend import (
        activations,
        constraints,
        initializers,
        losses,
        metrics,
        optimizers,
        regularizers,
    )
    from descend.layers.serialization import deserialize_layer, layer_classes, serialize_layer
    from descend.optimizers import schedules
    from descend.optimizers.schedules.serialization import ALL_SCHEDULES
    from descend.optimizers.serialization import ALL_OPTIMIZERS
    from descend.saving.serialization import deserialize_model, model_classes, serialize_model

    def prefixes(name: str) -> tuple[str, ...]:
        return (f"keras.{name}", f"keras.src.{name}", f"descend.{name}")

    return [
        ("schedules", prefixes("optimizers.schedules"), lambda: ALL_SCHEDULES,
         schedules.serialize, schedules.deserialize),
        ("optimizers", prefixes("optimizers") + ("keras.src.backend",),
         lambda: ALL_OPTIMIZERS, optimizers.serialize, optimizers.deserialize),
        ("models", prefixes("models"), model_classes, serialize_model, deserialize_model),
        ("layers", prefixes("layers"), layer_classes, serialize_layer, deserialize_layer),
        ("losses", prefixes("losses"), lambda: losses._TABLE, losses.serialize,
         losses.deserialize),
        ("metrics", prefixes("metrics"), lambda: metrics._TABLE, metrics.serialize,
         metrics.deserialize),
        ("initializers", prefixes("initializers"), lambda: initializers._TABLE,
         initializers.serialize, initializers.deserialize),
        ("regularizers", prefixes("regularizers"), lambda: regularizers._TABLE,
         regularizers.serialize, regularizers.deserialize),
        ("constraints", prefixes("constraints"), lambda: constraints._TABLE,
         constraints.serialize, constraints.deserialize),
        ("activations", prefixes("activations"), lambda: activations._TABLE,
         activations.serialize, activations.deserialize),
    ]


def _family_of_instance(obj: Any) -> str | None:
    from descend.constraints import Constraint
    from descend.initializers import Initializer
    from descend.layers.layer import Layer
    from descend.losses import Loss
    from descend.metrics import Metric
    from descend.models import Model
    from descend.optimizers import Optimizer
    from descend.optimizers.schedules import LearningRateSchedule
    from descend.regularizers import Regularizer

    for family, base in (("models", Model), ("layers", Layer), ("losses", Loss),
                         ("metrics", Metric), ("optimizers", Optimizer),
                         ("schedules", LearningRateSchedule), ("initializers", Initializer),
                         ("regularizers", Regularizer), ("constraints", Constraint)):
        if isinstance(obj, base) or (isinstance(obj, type) and issubclass(obj, base)):
            return family
    return None


def serialize_keras_object(obj: Any) -> Any:
    """Return the JSON-ready Keras-format description of ``obj``.

    Parameters
    ----------
    obj : object
        A layer or model, loss, metric, optimizer, schedule, initializer,
        regularizer, constraint, named function, NumPy array or Tensor, number,
        string, None, or a list/tuple/dict of these.

    Returns
    -------
    object
        The same structure with every object replaced by its config dict.

    Raises
    ------
    ValueError
        For a lambda (loading never runs code, so it could not be restored).
    TypeError
        For an object without ``get_config``.
    """
    from descend.autograd import Tensor

    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, (np.ndarray, Tensor)):
        array = np.asarray(obj.data if isinstance(obj, Tensor) else obj)
        return {"class_name": "__numpy__",
                "config": {"value": array.tolist(), "dtype": array.dtype.name}}
    if isinstance(obj, list):
        return [serialize_keras_object(item) for item in obj]
    if isinstance(obj, tuple):
        return tuple(serialize_keras_object(item) for item in obj)
    if isinstance(obj, Mapping):
        return {key: serialize_keras_object(value) for key, value in obj.items()}
    if isinstance(obj, types.FunctionType) and obj.__name__ == "<lambda>":
        raise ValueError("serialize_keras_object: a lambda cannot be serialised (descend never "
                         "runs code when loading). Define a named function and register it "
                         "with @descend.saving.register_keras_serializable().")
    family = _family_of_instance(obj)
    if family is not None and not isinstance(obj, type):
        for name, _, _, serialize, _ in _families():
            if name == family:
                return serialize(obj)
    if isinstance(obj, (types.FunctionType, types.BuiltinFunctionType)):
        return function_config(obj)
    if hasattr(obj, "get_config") and not isinstance(obj, type):
        from descend.registry.object_registration import object_config

        return object_config(obj)
    raise TypeError(f"serialize_keras_object: cannot serialise {obj!r} of type "
                    f"{type(obj).__name__}: it has no get_config().")


def _family_by_module(module: Any) -> str | None:
    if not isinstance(module, str):
        return None
    for name, prefixes, *_ in _families():
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return name
    if module in ("keras", "descend"):  # Keras writes module "keras" for Sequential/Model
        return "models"
    return None


def deserialize_keras_object(config: Any, custom_objects: Mapping[str, Any] | None = None,
                             safe_mode: bool = True, **kwargs: Any) -> Any:
    """Rebuild an object from :func:`serialize_keras_object` output.

    Parameters
    ----------
    config : dict, list, tuple, str, number or None
        A config dict, or a structure of them; plain values pass unchanged.
    custom_objects : dict, optional
        ``{name: class or function}`` for user-defined objects.
    safe_mode : bool, default True
        Passed to model loading (refuses Lambda-like configs). A serialised
        lambda is refused whatever the value.
    **kwargs
        ``compile`` for models (default True).

    Returns
    -------
    object

    Raises
    ------
    ValueError
        For an unknown class or function (the message says how to make it
        known), a serialised lambda, or a malformed config.
    TypeError
        If ``config`` is not a dict, list, tuple, string, number or None.
    """
    if config is None or isinstance(config, (bool, int, float, str)):
        return config
    if isinstance(config, list):
        return [deserialize_keras_object(c, custom_objects, safe_mode, **kwargs) for c in config]
    if isinstance(config, tuple):
        return tuple(deserialize_keras_object(c, custom_objects, safe_mode, **kwargs)
                     for c in config)
    if not isinstance(config, Mapping):
        raise TypeError(f"deserialize_keras_object: expected a config dict, received {config!r} "
                        f"of type {type(config).__name__}.")
    class_name = config.get("class_name")
    if class_name is None:
        return {key: deserialize_keras_object(value, custom_objects, safe_mode, **kwargs)
                for key, value in config.items()}
    inner = config.get("config")
    if class_name == "__numpy__":
        if not isinstance(inner, Mapping) or "value" not in inner:
            raise ValueError(f"deserialize_keras_object: malformed array config {config!r}.")
        return np.array(inner["value"], dtype=np.dtype(inner.get("dtype") or "float32"))
    if class_name == "__tuple__":
        return tuple(deserialize_keras_object(inner.get("value", []), custom_objects, safe_mode,
                                              **kwargs))
    if class_name in ("__lambda__", "__bytes__", "__typespec__"):
        raise ValueError(f"deserialize_keras_object: refusing to load a {class_name} config: "
                         "descend never runs code from a file. Pass the object in "
                         "custom_objects and serialise it by name instead.")
    families = {name: rest for name, *rest in _families()}
    family = _family_by_module(config.get("module"))
    if family is None:
        family = _guess_family(config, custom_objects, families)
    if family is None:
        # not a known family: a user's class with get_config/from_config
        with custom_object_scope(custom_objects):
            cls = retrieve_object("object", class_name if class_name != "function" else inner,
                                  {}, custom_objects, config.get("registered_name"))
        if class_name == "function":
            return cls
        if not hasattr(cls, "from_config"):
            raise ValueError(f"deserialize_keras_object: {cls!r} has no from_config().")
        return cls.from_config(dict(inner or {}))
    _, _, _, deserialize = families[family]
    with custom_object_scope(custom_objects):
        if family == "models":
            return deserialize(dict(config), custom_objects, compile=kwargs.get("compile", True),
                               safe_mode=safe_mode)
        return deserialize(dict(config), custom_objects)


def _guess_family(config: Mapping[str, Any], custom_objects: Mapping[str, Any] | None,
                  families: Mapping[str, Any]) -> str | None:
    """The family of a config without a known ``module``: custom class first, then names."""
    class_name = config["class_name"]
    if class_name == "function":
        return "activations" if config.get("config") in families["activations"][1]() else None
    try:
        with custom_object_scope(custom_objects):
            cls = retrieve_object("object", class_name, {}, custom_objects,
                                  config.get("registered_name"))
    except ValueError:
        cls = None
    if cls is not None:
        return _family_of_instance(cls)
    for name, (_, table, _, _) in families.items():
        if class_name in table():
            return name
    return None
