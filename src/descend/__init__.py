"""descend: how a neural network learns, from first principles.

A NumPy-only deep-learning library with its own reverse-mode automatic
differentiation behind the Keras 3 API: ``Sequential``, ``Dense``, ``compile``,
``fit``, ``evaluate``, ``predict``, callbacks. Keras code runs with
``import descend as keras``: the top level offers Keras's names (``Input``,
``Model``, ``Layer``, ``Variable``, ``ops``, ``layers``, ``backend``, ``tree``...)
with the same meaning; ``docs/keras-differences.md`` lists what is missing.

Submodules and classes are imported on first use, so ``import descend`` stays cheap.

Examples
--------
>>> import descend
>>> from descend.layers import Dense
>>> model = descend.Sequential([Dense(4, input_shape=(2,), activation="relu"), Dense(1)])
>>> model.count_params()
17
>>> inputs = descend.Input(shape=(3,))
>>> descend.Model(inputs, Dense(2)(inputs)).output_shape
(None, 2)
"""

from __future__ import annotations

import importlib
from typing import Any

from descend import _plugins
from descend import config as config
from descend._version import __version__ as __version__
from descend.autograd import Tensor as Tensor
from descend.autograd import Variable as Variable
from descend.autograd import gradcheck as gradcheck
from descend.autograd import no_grad as no_grad
from descend.autograd.name_scope import device as device
from descend.autograd.name_scope import name_scope as name_scope
from descend.autograd.variable import set_initializer_by_name as _set_initializer_by_name


def _initializer_by_name(name: str) -> Any:
    from descend import initializers

    return initializers.get(name)


# the engine's Variable resolves Keras names of initializers through the building floor
_set_initializer_by_name(_initializer_by_name)


def _serialize_keras_object(value: Any) -> Any:
    from descend.saving.serialization_lib import serialize_keras_object

    return serialize_keras_object(value)


def _deserialize_keras_object(config: Any, custom_objects: Any = None) -> Any:
    from descend.saving.serialization_lib import deserialize_keras_object

    return deserialize_keras_object(config, custom_objects=custom_objects)


def _model_classes() -> dict[str, type]:
    from descend import models

    return {"Model": models.Model, "Sequential": models.Sequential,
            "Functional": models.Functional}


# the building floor reaches the training floor only through these slots
_plugins.plug(serialize=_serialize_keras_object, deserialize=_deserialize_keras_object,
              model_classes=_model_classes)


def version() -> str:
    """descend's version string (``keras.version()``'s counterpart)."""
    return __version__


_SUBMODULES = {
    "activations", "backend", "callbacks", "constraints", "datasets", "distribution", "explain",
    "initializers",
    "layers", "losses", "metrics", "models", "ops", "optimizers", "random", "regularizers",
    "saving", "tree", "tune", "utils", "wrappers",
}
# Keras's top-level classes and functions: name -> the descend module that defines it.
_LAZY = {
    "Model": "descend.models", "Sequential": "descend.models", "load_model": "descend.models",
    "model_from_json": "descend.models",
    "Input": "descend.layers", "InputSpec": "descend.layers", "KerasTensor": "descend.layers",
    "Layer": "descend.layers",
    "Loss": "descend.losses", "Metric": "descend.metrics", "Optimizer": "descend.optimizers",
    "Initializer": "descend.initializers", "Regularizer": "descend.regularizers",
}

__all__ = sorted(
    {"Tensor", "Variable", "config", "device", "gradcheck", "name_scope", "no_grad", "version",
     "__version__"} | _SUBMODULES | set(_LAZY)
)


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        value = importlib.import_module(f"descend.{name}")
    elif name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    else:
        raise AttributeError(f"module 'descend' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
