"""``save_model`` and ``load_model``: a whole model in one ``.descend`` file.

Examples
--------
>>> import os, tempfile
>>> import numpy as np
>>> import descend
>>> from descend.layers import Dense, Input
>>> model = descend.Sequential([Input((3,)), Dense(2)])
>>> model.compile(optimizer="adam", loss="mse")
>>> path = os.path.join(tempfile.mkdtemp(), "model.descend")
>>> model.save(path)
>>> loaded = descend.models.load_model(path)
>>> x = np.ones((4, 3), dtype="float32")
>>> bool(np.array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0)))
True
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from descend import random as descend_random
from descend.saving import format as fmt
from descend.saving import serialization, weights


def model_members(model: Any, training_state: str | None = None) -> dict[str, bytes]:
    """The members of a ``.descend`` file for ``model``, in writing order."""
    from descend._version import __version__

    metadata = {
        "format": fmt.FORMAT_NAME,
        "format_version": fmt.FORMAT_VERSION,
        "descend_version": __version__,
        "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
    }
    try:
        config = fmt.json_dumps(serialization.serialize_model(model))
    except TypeError as exc:
        raise TypeError(f"save: the model's config cannot be written as JSON: {exc}") from exc
    members = {
        fmt.METADATA: fmt.json_dumps(metadata).encode(),
        fmt.CONFIG: config.encode(),
        fmt.WEIGHTS: fmt.arrays_to_bytes(weights.weight_arrays(model)),
    }
    optimizer = weights.optimizer_arrays(model)
    if optimizer:
        members[fmt.OPTIMIZER] = fmt.arrays_to_bytes(optimizer)
    if training_state is not None:
        members[fmt.TRAINING_STATE] = training_state.encode()
    return members


def save_model(model: Any, filepath: Any, overwrite: bool = True, **kwargs: Any) -> None:
    """Save a model's architecture, weights and optimizer state to one ``.descend`` file.

    The file is a zip of ``metadata.json``, ``config.json``, ``model.weights.npz``
    and (when compiled) ``optimizer.npz``; see ``docs/saving.md``. No pickle is
    used. The write is atomic: a crash mid-save leaves a previous file intact.

    Parameters
    ----------
    model : Model
    filepath : str or os.PathLike
        ``.descend`` (descend's format) or ``.keras`` (the Keras 3 format, which needs
        h5py: see :mod:`descend.saving.keras_format`).
    overwrite : bool, default True
        If False and the file exists, raise ``FileExistsError`` (Keras prompts instead).
    **kwargs
        Keras's ``save_format`` and ``zipped`` are not supported: passing them raises.

    Raises
    ------
    ValueError
        On a wrong extension.
    TypeError
        If a config cannot be written as JSON (a custom ``get_config`` returning objects).

    Examples
    --------
    >>> import os, tempfile
    >>> import descend
    >>> from descend.layers import Dense, Input
    >>> path = os.path.join(tempfile.mkdtemp(), "model.descend")
    >>> save_model(descend.Sequential([Input((2,)), Dense(1)]), path)
    """
    if kwargs:
        raise ValueError(f"save: unsupported arguments {sorted(kwargs)}; descend writes one "
                         "format, chosen by the `.descend` extension.")
    filepath = fmt.check_path(filepath, "save")
    if filepath.endswith(".keras"):  # the Keras 3 format (needs h5py)
        from descend.saving import keras_format
        keras_format.save_keras(model, filepath, overwrite=overwrite)
        return
    fmt.check_model_extension(filepath, "save")
    members = model_members(model)
    fmt.atomic_write(filepath, lambda f: fmt.write_archive(f, members), overwrite=overwrite)


def read_model_file(filepath: str) -> dict[str, bytes]:
    """Read and check a ``.descend`` file (metadata, config present)."""
    members = fmt.read_archive(filepath)
    fmt.read_metadata(members, filepath)
    for name in (fmt.CONFIG, fmt.WEIGHTS):
        if name not in members:
            raise ValueError(f"'{filepath}' is not a complete descend model file: it has no "
                             f"{name}.")
    return members


def load_model(filepath: Any, custom_objects: Mapping[str, Any] | None = None,
               compile: bool = True, safe_mode: bool = True) -> Any:
    """Load a model written by ``model.save``: architecture, weights and optimizer state.

    Loading never executes code from the file: only descend's classes and those the
    user made known are created: passed in ``custom_objects`` (which is the active
    :func:`~descend.saving.custom_object_scope` while the model is rebuilt), given
    in an enclosing scope, or registered with
    :func:`~descend.saving.register_keras_serializable`. The global random state is
    left as it was (so loading does not change what a later ``fit`` draws).

    Parameters
    ----------
    filepath : str or os.PathLike
        A ``.descend`` file, or a Keras 3 ``.keras`` file (needs h5py).
    custom_objects : dict, optional
        ``{name: class or function}`` for custom layers, activations, initializers,
        regularizers, losses, metrics and optimizers.
    compile : bool, default True
        Compile the model as it was saved and restore the optimizer state, so that
        ``fit`` continues exactly as uninterrupted training would.
    safe_mode : bool, default True
        Refuse Lambda-like configs.

    Returns
    -------
    Model

    Raises
    ------
    ValueError
        If the file is missing, not a descend file, corrupt, truncated, unsafe, or
        names classes or functions that are neither descend's nor made known.

    Examples
    --------
    >>> import os, tempfile
    >>> import descend
    >>> from descend.layers import Dense, Input
    >>> path = os.path.join(tempfile.mkdtemp(), "model.descend")
    >>> descend.Sequential([Input((2,)), Dense(1)]).save(path)
    >>> load_model(path).layers[0].units
    1
    >>> load_model(os.path.join(tempfile.mkdtemp(), "missing.descend"))
    Traceback (most recent call last):
    ...
    ValueError: File not found: filepath=... Please ensure the file is an accessible ...
    """
    filepath = fmt.check_path(filepath, "load_model")
    if filepath.endswith(".keras"):  # the Keras 3 format (needs h5py)
        from descend.saving import keras_format
        return keras_format.load_keras(filepath, custom_objects, compile=compile,
                                       safe_mode=safe_mode)
    if filepath.endswith(fmt.WEIGHTS_EXTENSION):
        raise ValueError(
            f"load_model: '{filepath}' is a weights file (no architecture). Build the model "
            "in code, then call model.load_weights(filepath)."
        )
    if not filepath.endswith(fmt.MODEL_EXTENSION):
        raise ValueError(f"load_model: expected a `.descend` file written by model.save(), "
                         f"received filepath={filepath}.")
    members = read_model_file(filepath)
    config = fmt.json_loads(members[fmt.CONFIG], filepath, fmt.CONFIG)
    # the arrays' headers are checked now; their data is read only once the model is
    # built and their shapes are known to match its variables (memory ~ the model's size)
    weights_archive = fmt.NpzArchive(members[fmt.WEIGHTS], filepath, fmt.WEIGHTS)
    optimizer_archive = None
    try:
        if compile and fmt.OPTIMIZER in members:
            optimizer_archive = fmt.NpzArchive(members[fmt.OPTIMIZER], filepath, fmt.OPTIMIZER)
        random_state = descend_random.get_state()
        try:
            model = serialization.deserialize_model(config, custom_objects, compile=compile,
                                                    safe_mode=safe_mode, source=f"'{filepath}'")
        except MemoryError:
            raise ValueError(f"'{filepath}': the model config asks for more memory than is "
                             "available; the file was rejected.") from None
        finally:
            descend_random.set_state(random_state)
        if model.built or weights_archive.headers:
            plan = weights.plan_weights(model, weights_archive.headers, filepath)
            for variable, key in plan:
                variable.assign(weights_archive.read(key))
        if compile and model.compiled and optimizer_archive is not None:
            state = weights.prepare_optimizer_state(model, optimizer_archive.headers,
                                                    optimizer_archive.read, filepath)
            weights.apply_optimizer_state(model, state)
    finally:
        weights_archive.close()
        if optimizer_archive is not None:
            optimizer_archive.close()
    return model


__all__ = ["load_model", "model_members", "read_model_file", "save_model"]
