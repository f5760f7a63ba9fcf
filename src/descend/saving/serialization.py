"""Models to and from JSON configs, compile arguments included (Keras's schema).

A model's config is ``{"module", "class_name", "config", "registered_name",
"build_config", "compile_config"}``. Rebuilding it only ever instantiates
descend's own classes or the classes and functions the user made known
(``custom_objects``, which is made the active custom object scope while the model
is built and compiled, an enclosing scope, or registration); nothing named in a
file is imported, and with ``safe_mode=True`` (the default) Lambda-like configs
are refused outright.

Examples
--------
>>> import descend
>>> from descend.layers import Dense, Input
>>> model = descend.Sequential([Input((3,)), Dense(2, name="out")])
>>> model.compile(optimizer="sgd", loss="mse")
>>> config = serialize_model(model)
>>> config["class_name"], config["compile_config"]["loss"]
('Sequential', 'mse')
>>> clone = deserialize_model(config)
>>> [layer.name for layer in clone.layers], clone.compiled
(['out'], True)
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any

from descend import losses as losses_module
from descend import metrics as metrics_module
from descend import optimizers as optimizers_module
from descend.registry.object_registration import (
    custom_object_scope,
    get_registered_name,
    get_registered_object,
    visible_custom_objects,
)
from descend.saving.format import json_dumps, json_loads

#: Class names that stand for Python code (Keras's Lambda layers, serialized byte code).
LAMBDA_CLASS_NAMES = frozenset({"Lambda", "TFOpLambda", "SlicingOpLambda"})
BYTECODE_CLASS_NAMES = frozenset({"__lambda__", "__function__"})

#: Strings ``compile`` resolves from the shapes, so they cannot be looked up in advance.
_DEFERRED = frozenset({"accuracy", "acc", "crossentropy", "ce"})


# ------------------------------------------------------------------------- models
def model_classes() -> dict[str, type]:
    """descend's model classes by Keras class name (``Sequential``, ``Functional``, ``Model``)."""
    from descend.models import Model, Sequential

    table: dict[str, type] = {"Sequential": Sequential, "Model": Model}
    try:
        from descend.models.functional import Functional
    except ImportError:  # pragma: no cover - the functional API is optional
        pass
    else:
        table["Functional"] = Functional
    return table


def serialize_model(model: Any, include_compile: bool = True) -> dict[str, Any]:
    """Return the JSON-ready config of ``model`` (architecture and compile arguments).

    Parameters
    ----------
    model : Model
    include_compile : bool, default True
        Add ``"compile_config"`` (``None`` when the model is not compiled).

    Returns
    -------
    dict
        ``{"module", "class_name", "config", "registered_name", "build_config"}``
        plus ``"compile_config"``.

    Examples
    --------
    >>> import descend
    >>> from descend.layers import Dense, Input
    >>> config = serialize_model(descend.Sequential([Input((2,)), Dense(1)]))
    >>> config["class_name"], config["build_config"], config["compile_config"]
    ('Sequential', {'input_shape': [None, 2]}, None)
    """
    from descend.layers.serialization import serialize_layer
    from descend.models import Model

    if not isinstance(model, Model):
        raise TypeError(f"Expected a descend Model, received {model!r} of type "
                        f"{type(model).__name__}.")
    config = serialize_layer(model)
    if type(model).__module__.startswith("descend."):
        config["module"] = "descend.models"
    if include_compile:
        try:
            config["compile_config"] = serialize_compile_config(model)
        except (ValueError, TypeError) as exc:
            warnings.warn(
                f"The compile arguments of model '{model.name}' cannot be saved ({exc}); the "
                "model will be loaded uncompiled. Compile it again after loading; "
                "model.load_weights(path) then also restores the optimizer state.",
                stacklevel=3,
            )
            config["compile_config"] = None
    return config


def check_safe(config: Any, safe_mode: bool, source: str,
               custom_objects: Mapping[str, Any] | None = None) -> None:
    """Refuse configs that stand for Python code.

    Serialized byte code (``"__lambda__"``) is always refused: descend never runs
    code from a file. A ``Lambda`` layer is refused with ``safe_mode=True``; with
    ``safe_mode=False`` descend's ``Lambda`` is accepted (its function must then be a
    named one the loader can find, see :mod:`descend.layers.lambda_layer`), and other
    Lambda-like classes only if given in ``custom_objects``.

    Raises
    ------
    ValueError
        Naming ``source`` and the offending class.

    Examples
    --------
    >>> check_safe({"class_name": "Dense", "config": {"units": 2}}, True, "example")
    >>> check_safe({"class_name": "Lambda", "config": {}}, True, "example")
    Traceback (most recent call last):
    ...
    ValueError: example: requested the deserialization of a `Lambda` layer, ...
    """
    stack: list[Any] = [config]
    seen = 0
    lambda_name: str | None = None
    while stack:
        item = stack.pop()
        seen += 1
        if seen > 1_000_000:
            raise ValueError(f"{source}: the config is too large to be a model config.")
        if isinstance(item, Mapping):
            name = item.get("class_name")
            if name in BYTECODE_CLASS_NAMES or "function_type" in item:
                raise ValueError(
                    f"{source}: the config contains serialized Python code "
                    f"({_short(name or item.get('function_type'))}). descend never deserializes "
                    "or runs code from a file, so it cannot be loaded. Rebuild that piece as a "
                    "layer class and pass it in custom_objects."
                )
            if isinstance(name, str) and name in LAMBDA_CLASS_NAMES and (
                    safe_mode or (name != "Lambda" and name not in (custom_objects or {}))):
                lambda_name = lambda_name or name
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    if lambda_name is not None:
        raise ValueError(
            f"{source}: requested the deserialization of a `{lambda_name}` layer, whose "
            "behaviour is arbitrary Python code. This is refused with safe_mode=True (the "
            "default), because loading an untrusted file must never run code. If you trust the "
            "file, pass safe_mode=False and the Lambda's (named) function in custom_objects; "
            "for another Lambda-like class, pass the class in custom_objects as well."
        )


def deserialize_model(config: Any, custom_objects: Mapping[str, Any] | None = None,
                      compile: bool = True, safe_mode: bool = True,
                      source: str = "model config") -> Any:
    """Create a model from :func:`serialize_model` output.

    Parameters
    ----------
    config : dict
    custom_objects : dict, optional
        ``{name: class or function}`` for custom layers, activations,
        initializers, regularizers, losses, metrics, optimizers. Everything is
        created inside ``custom_object_scope(custom_objects)``; the active scopes
        and registered objects are searched too (see
        :mod:`descend.registry.object_registration`).
    compile : bool, default True
        Compile from ``"compile_config"`` when present.
    safe_mode : bool, default True
        Refuse Lambda-like configs (see :func:`check_safe`).
    source : str
        Where the config came from, for error messages.

    Returns
    -------
    Model
        Built when the config records an input shape; weights are freshly initialised.

    Raises
    ------
    ValueError
        For an unknown class (the message names it and ``custom_objects``), a
        Lambda-like config, or a malformed config.

    Examples
    --------
    >>> deserialize_model({"class_name": "MyNet", "config": {}})
    Traceback (most recent call last):
    ...
    ValueError: model config: unknown model class 'MyNet'. ... custom_objects={'MyNet': MyNet}, ...
    """
    from descend.layers.serialization import deserialize_layer
    from descend.models import Model

    if not isinstance(config, Mapping) or not isinstance(config.get("class_name"), str):
        raise ValueError(f"{source}: expected a model config, a dict with 'class_name' and "
                         f"'config', received {_short(config)}.")
    custom = _as_custom_dict(custom_objects, source)
    with custom_object_scope(custom):
        check_safe(config, safe_mode, source, visible_custom_objects(custom))
        classes = model_classes()
        class_name = config["class_name"]
        registered = config.get("registered_name")
        known = any(get_registered_object(n, custom) is not None
                    for n in (registered, class_name) if isinstance(n, str))
        if not known and class_name not in classes:
            module = config.get("module")
            short = class_name.split(">")[-1]
            raise ValueError(
                f"{source}: unknown model class {class_name!r}"
                + (f" (module {module!r})" if module else "")
                + ". descend only creates its own classes or those the user made known: if it "
                f"is a custom model class, pass custom_objects={{'{short}': {short}}}, load "
                "inside descend.saving.custom_object_scope, or register the class with "
                "@descend.saving.register_keras_serializable()."
            )
        try:
            model = deserialize_layer(dict(config), custom)
        except ValueError as exc:
            raise ValueError(f"{source}: {exc}") from exc
        except (KeyError, TypeError, AttributeError, IndexError) as exc:
            raise ValueError(f"{source}: the model config is malformed ({type(exc).__name__}: "
                             f"{exc}).") from exc
        if not isinstance(model, Model):
            raise ValueError(f"{source}: the config describes a {type(model).__name__}, not a "
                             "model; use descend.layers.serialization.deserialize_layer for "
                             "layers.")
        compile_config = config.get("compile_config")
        if compile and compile_config:
            compile_from_config(model, compile_config, custom, source)
    return model


def _as_custom_dict(custom_objects: Any, source: str) -> dict[str, Any]:
    if custom_objects is None:
        return {}
    if not isinstance(custom_objects, Mapping):
        raise TypeError(f"{source}: custom_objects must be a dict {{name: class or function}}, "
                        f"received {type(custom_objects).__name__}.")
    return dict(custom_objects)


def model_to_json(model: Any, **kwargs: Any) -> str:
    """The model's config (:func:`serialize_model`) as a JSON string.

    Parameters
    ----------
    model : Model
    **kwargs
        Passed to :func:`json.dumps` (e.g. ``indent=2``).

    Examples
    --------
    >>> import descend
    >>> from descend.layers import Dense, Input
    >>> model_to_json(descend.Sequential([Input((2,)), Dense(1)]))[:28]
    '{"module": "descend.models",'
    """
    return json_dumps(serialize_model(model), **kwargs)


def model_from_json(json_string: str, custom_objects: Mapping[str, Any] | None = None,
                    compile: bool = True, safe_mode: bool = True) -> Any:
    """Rebuild a model (with fresh weights) from :func:`model_to_json` output.

    As in Keras, the model is compiled when the JSON holds a compile config
    (pass ``compile=False`` to skip that).

    Parameters
    ----------
    json_string : str
    custom_objects : dict, optional
        ``{name: class or function}``, the active custom object scope while the
        model is rebuilt (see :func:`deserialize_model`).
    compile : bool, default True
    safe_mode : bool, default True

    Raises
    ------
    ValueError
        If the string is not JSON or not a model config.

    Examples
    --------
    >>> import descend
    >>> from descend.layers import Dense, Input
    >>> text = descend.Sequential([Input((2,)), Dense(1)]).to_json()
    >>> model_from_json(text).count_params()
    3
    """
    if not isinstance(json_string, (str, bytes)):
        raise TypeError(f"model_from_json: expected a JSON string, received "
                        f"{type(json_string).__name__}.")
    config = json_loads(json_string, "model_from_json", "the string")
    return deserialize_model(config, custom_objects, compile=compile, safe_mode=safe_mode,
                             source="model_from_json")


# ------------------------------------------------------------------ compile config
def serialize_compile_config(model: Any) -> dict[str, Any] | None:
    """What ``model.compile`` was given, as JSON-ready data (None if not compiled).

    The optimizer is serialised from the live instance (its current learning rate
    and settings); strings stay strings; losses and metrics that are objects become
    ``{"class_name", "config"}`` dicts and functions become their names.

    Raises
    ------
    ValueError
        If a loss or metric cannot be serialised (e.g. a lambda).

    Examples
    --------
    >>> import descend
    >>> from descend.layers import Dense, Input
    >>> model = descend.Sequential([Input((2,)), Dense(1)])
    >>> model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    >>> config = serialize_compile_config(model)
    >>> config["optimizer"]["class_name"], config["loss"], config["metrics"]
    ('SGD', 'mse', ['mae'])
    """
    given = getattr(model, "_compile_config", None)
    if not getattr(model, "compiled", False) or given is None:
        return None
    return {
        "optimizer": optimizers_module.serialize(model.optimizer),
        "loss": _serialize_spec(given.get("loss"), losses_module.serialize),
        "loss_weights": _plain(given.get("loss_weights")),
        "metrics": _serialize_spec(given.get("metrics"), metrics_module.serialize),
        "weighted_metrics": _serialize_spec(given.get("weighted_metrics"),
                                            metrics_module.serialize),
        "run_eagerly": False,
        "steps_per_execution": 1,
        "jit_compile": False,
    }


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()
    return value


def _serialize_spec(spec: Any, serialize: Callable[[Any], Any]) -> Any:
    if spec is None or isinstance(spec, str):
        return spec
    if isinstance(spec, Mapping):
        if "class_name" in spec:
            return dict(spec)
        return {str(k): _serialize_spec(v, serialize) for k, v in spec.items()}
    if isinstance(spec, (list, tuple)):
        return [_serialize_spec(v, serialize) for v in spec]
    if isinstance(spec, type):
        return get_registered_name(spec)
    return serialize(spec)


def compile_from_config(model: Any, compile_config: Mapping[str, Any],
                        custom_objects: Mapping[str, Any] | None = None,
                        source: str = "compile config") -> None:
    """Compile ``model`` from :func:`serialize_compile_config` output.

    Raises
    ------
    ValueError
        If a loss, metric or optimizer is unknown (the message suggests ``custom_objects``).

    Examples
    --------
    >>> import descend
    >>> from descend.layers import Dense, Input
    >>> model = descend.Sequential([Input((2,)), Dense(1)])
    >>> compile_from_config(model, {"optimizer": "adam", "loss": "mse"})
    >>> type(model.optimizer).__name__
    'Adam'
    """
    custom = _as_custom_dict(custom_objects, source)
    if not isinstance(compile_config, Mapping):
        raise ValueError(f"{source}: compile_config must be a dict, received "
                         f"{_short(compile_config)}.")
    try:
        with custom_object_scope(custom):
            optimizer = compile_config.get("optimizer", "rmsprop")
            if isinstance(optimizer, Mapping):
                optimizer = optimizers_module.deserialize(optimizer, custom)
            elif isinstance(optimizer, str):
                optimizer = optimizers_module.get(optimizer)
            loss = _deserialize_spec(compile_config.get("loss"), "loss", custom)
            metrics = _deserialize_spec(compile_config.get("metrics"), "metric", custom)
            weighted = _deserialize_spec(compile_config.get("weighted_metrics"), "metric",
                                         custom)
            model.compile(optimizer=optimizer, loss=loss,
                          loss_weights=compile_config.get("loss_weights"), metrics=metrics,
                          weighted_metrics=weighted)
    except (ValueError, TypeError, KeyError) as exc:
        raise ValueError(
            f"{source}: cannot compile the loaded model: {exc} If it was compiled with custom "
            "losses, metrics or optimizers, pass them in custom_objects={'name': object}; or "
            "load it with compile=False."
        ) from exc


def _deserialize_spec(spec: Any, kind: str, custom: Mapping[str, Any]) -> Any:
    module = losses_module if kind == "loss" else metrics_module
    if spec is None:
        return None
    if isinstance(spec, str):
        # a custom object is resolved now, while the loading scope is active (compile
        # resolves strings later, from the shapes of the first batch)
        found = get_registered_object(spec, custom)
        if found is not None:
            return found
        if spec.lower() not in _DEFERRED:
            module.get(spec)  # unknown names fail here, with the closest names suggested
        return spec
    if isinstance(spec, Mapping):
        if "class_name" in spec:
            return module.deserialize(spec, custom)
        return {k: _deserialize_spec(v, kind, custom) for k, v in spec.items()}
    if isinstance(spec, list):
        return [_deserialize_spec(v, kind, custom) for v in spec]
    raise ValueError(f"unexpected {kind} entry {_short(spec)}")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


__all__ = [
    "check_safe", "compile_from_config", "deserialize_model", "model_classes", "model_from_json",
    "model_to_json", "serialize_compile_config", "serialize_model",
]
