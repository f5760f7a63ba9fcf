"""Saving and loading models, weights and training checkpoints (no pickle, atomic writes).

- ``model.save("model.descend")`` / :func:`load_model`: architecture, weights and
  optimizer state in one zip of JSON and ``.npz`` members (format in ``docs/saving.md``);
- ``model.save_weights("m.weights.npz")`` / ``model.load_weights(...)``;
- the Keras 3 formats: ``model.save("m.keras")``, ``load_model("m.keras")``,
  ``.weights.h5`` weights (need h5py; modules ``keras_format``, ``keras_config``,
  ``keras_weights``, and ``docs/interoperability.md``);
- ``model.to_json()`` / :func:`model_from_json`;
- :func:`save_checkpoint` / :func:`restore_checkpoint`: resume training bit-identically
  (what :class:`~descend.callbacks.BackupAndRestore` does for you);
- :func:`register_keras_serializable`, :func:`custom_object_scope`,
  :func:`get_custom_objects`: make custom classes and functions loadable by name
  (they live on the building floor, in :mod:`descend.registry`, and are re-exported
  here under Keras's names).

Loading never runs code from a file: only descend's classes and the objects the
user made known (``custom_objects``, a custom object scope, registration) are
created, arrays are read with ``allow_pickle=False``, and malformed, truncated,
oversized or foreign files raise ``ValueError``.

Examples
--------
>>> import os, tempfile
>>> import descend
>>> from descend.layers import Dense, Input
>>> model = descend.Sequential([Input((4,)), Dense(3, activation="relu"), Dense(1)])
>>> model.compile(optimizer="adam", loss="mse")
>>> path = os.path.join(tempfile.mkdtemp(), "model.descend")
>>> model.save(path)
>>> descend.models.load_model(path).count_params() == model.count_params()
True
"""

from __future__ import annotations

import importlib
from typing import Any

from descend.registry import CustomObjectScope as CustomObjectScope
from descend.registry import custom_object_scope as custom_object_scope
from descend.registry import get_custom_objects as get_custom_objects
from descend.registry import get_registered_name as get_registered_name
from descend.registry import get_registered_object as get_registered_object
from descend.registry import object_registration as object_registration
from descend.registry import register_keras_serializable as register_keras_serializable

# Everything else is imported on first use, so that ``import descend.saving`` stays cheap.
_LAZY = {
    "restore_checkpoint": "checkpoint", "save_checkpoint": "checkpoint",
    "load_model": "model_file", "save_model": "model_file",
    "compile_from_config": "serialization", "deserialize_model": "serialization",
    "model_from_json": "serialization", "model_to_json": "serialization",
    "serialize_compile_config": "serialization", "serialize_model": "serialization",
    "load_weights": "weights", "save_weights": "weights",
    "deserialize_keras_object": "serialization_lib", "serialize_keras_object": "serialization_lib",
}
_SUBMODULES = {"atomic", "checkpoint", "format", "keras_config", "keras_format",
               "keras_weights", "model_file", "serialization", "serialization_lib", "weights"}

__all__ = sorted({
    "CustomObjectScope", "custom_object_scope", "get_custom_objects", "get_registered_name",
    "get_registered_object", "object_registration", "register_keras_serializable", *_LAZY,
})


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f"descend.saving.{_LAZY[name]}"), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"descend.saving.{name}")
    else:
        raise AttributeError(f"module 'descend.saving' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(__all__) | _SUBMODULES | set(globals()))
