"""Models: ``Sequential``, ``Model`` (base and functional API), saving and loading."""

from __future__ import annotations

from typing import Any

from descend.models.functional import Functional
from descend.models.introspection import clone_model
from descend.models.model import Model
from descend.models.sequential import Sequential

__all__ = ["Functional", "Model", "Sequential", "clone_model", "load_model", "model_from_json",
           "save_model"]


def load_model(filepath: Any, custom_objects: dict | None = None, compile: bool = True,
               safe_mode: bool = True) -> Model:
    """Load a model saved by ``model.save``; see :func:`descend.saving.load_model`."""
    from descend import saving

    return saving.load_model(filepath, custom_objects=custom_objects, compile=compile,
                             safe_mode=safe_mode)


def model_from_json(json_string: str, custom_objects: dict | None = None) -> Model:
    """Rebuild an (untrained) model from ``model.to_json()`` output."""
    from descend import saving

    return saving.model_from_json(json_string, custom_objects=custom_objects)


def save_model(model: Model, filepath: Any, overwrite: bool = True, **kwargs: Any) -> None:
    """Save ``model`` to ``filepath``; the same as ``model.save(filepath, overwrite)``."""
    from descend import saving

    saving.save_model(model, filepath, overwrite=overwrite, **kwargs)
