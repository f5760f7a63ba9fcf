"""A descend model as the bytes of a ``.descend`` file, for pickling estimators.

scikit-learn and joblib move estimators by pickling them (``GridSearchCV(n_jobs=2)``
sends them to worker processes, ``joblib.dump`` writes them to disk). The wrappers never
pickle descend objects: their ``__getstate__`` replaces every model by a
:class:`ModelBytes` holding the bytes of the model's ``.descend`` file (architecture as
JSON, weights and optimizer state as ``.npz``; see ``docs/saving.md``), and
``__setstate__`` rebuilds the model with :func:`descend.models.load_model`, which never
executes code from the file: only descend's classes and classes registered with
:func:`descend.saving.register_keras_serializable` are created.

Examples
--------
>>> import numpy as np
>>> import descend
>>> from descend.layers import Dense, Input
>>> model = descend.Sequential([Input((3,)), Dense(2)])
>>> model.compile(optimizer="adam", loss="mse")
>>> copy = model_from_bytes(model_to_bytes(model))
>>> x = np.ones((1, 3), "float32")
>>> bool(np.array_equal(copy.predict(x, verbose=0), model.predict(x, verbose=0)))
True
"""

from __future__ import annotations

import io
import os
import tempfile
from typing import Any


class ModelBytes:
    """The ``.descend`` file of a model, as it travels inside a pickled estimator.

    Parameters
    ----------
    data : bytes
        The complete content of a ``.descend`` file.
    """

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = bytes(data)

    def __getstate__(self) -> bytes:
        return self.data

    def __setstate__(self, state: bytes) -> None:
        if not isinstance(state, (bytes, bytearray)):
            raise TypeError(f"ModelBytes: expected the bytes of a .descend file, received "
                            f"{type(state).__name__}.")
        self.data = bytes(state)

    def __repr__(self) -> str:
        return f"ModelBytes({len(self.data)} bytes)"


def model_to_bytes(model: Any) -> bytes:
    """The bytes of ``model``'s ``.descend`` file (what ``model.save`` would write).

    Parameters
    ----------
    model : Model
        Built or not, compiled or not. Custom layers must be registered with
        :func:`descend.saving.register_keras_serializable` to be restored.

    Returns
    -------
    bytes

    Raises
    ------
    TypeError
        If the model's config cannot be written as JSON.
    """
    from descend.saving import format as fmt
    from descend.saving.model_file import model_members

    try:
        members = model_members(model)
    except (TypeError, ValueError, NotImplementedError) as exc:
        raise TypeError(
            f"Cannot pickle the estimator: its descend model cannot be written in the "
            f".descend format ({exc}). Give custom layers a get_config() and register them "
            "with descend.saving.register_keras_serializable()."
        ) from exc
    buffer = io.BytesIO()
    fmt.write_archive(buffer, members)
    return buffer.getvalue()


def model_from_bytes(data: bytes) -> Any:
    """Rebuild a model from the bytes of a ``.descend`` file (compiled, optimizer state too).

    The bytes go through :func:`descend.models.load_model` and all of its checks (member
    names and sizes, ``allow_pickle=False``, known classes only); nothing from them is
    executed.

    Parameters
    ----------
    data : bytes

    Returns
    -------
    Model

    Raises
    ------
    ValueError
        If the bytes are not a valid ``.descend`` file (the message says so).
    """
    from descend.saving.model_file import load_model

    handle, path = tempfile.mkstemp(suffix=".descend", prefix="descend-estimator-")
    try:
        with os.fdopen(handle, "wb") as fileobj:
            fileobj.write(data)
        return load_model(path)
    finally:
        os.remove(path)


def pack(value: Any) -> Any:
    """``value`` as it is pickled: a model becomes :class:`ModelBytes`, others unchanged."""
    from descend.models import Model

    return ModelBytes(model_to_bytes(value)) if isinstance(value, Model) else value


def unpack(value: Any) -> Any:
    """The inverse of :func:`pack`."""
    return model_from_bytes(value.data) if isinstance(value, ModelBytes) else value


__all__ = ["ModelBytes", "model_from_bytes", "model_to_bytes", "pack", "unpack"]
