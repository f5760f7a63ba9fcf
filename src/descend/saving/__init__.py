"""Saving and loading models, weights and training checkpoints (no pickle, atomic writes).

- ``model.save("model.descend")`` / :func:`load_model`: architecture, weights and
  optimizer state in one zip of JSON and ``.npz`` members (format in ``docs/saving.md``);
- ``model.save_weights("m.weights.npz")`` / ``model.load_weights(...)``;
- ``model.to_json()`` / :func:`model_from_json`;
- :func:`save_checkpoint` / :func:`restore_checkpoint`: resume training bit-identically
  (what :class:`~descend.callbacks.BackupAndRestore` does for you).

Loading never runs code from a file: only descend's classes and the objects given
in ``custom_objects`` are created, arrays are read with ``allow_pickle=False``,
and malformed, truncated, oversized or foreign files raise ``ValueError``.

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

from descend.saving.checkpoint import restore_checkpoint, save_checkpoint
from descend.saving.model_file import load_model, save_model
from descend.saving.serialization import (
    compile_from_config,
    deserialize_model,
    model_from_json,
    model_to_json,
    serialize_compile_config,
    serialize_model,
)
from descend.saving.weights import load_weights, save_weights

__all__ = [
    "compile_from_config",
    "deserialize_model",
    "load_model",
    "load_weights",
    "model_from_json",
    "model_to_json",
    "restore_checkpoint",
    "save_checkpoint",
    "save_model",
    "save_weights",
    "serialize_compile_config",
    "serialize_model",
]
