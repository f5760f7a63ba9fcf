"""Read and write Keras 3 files: ``.keras`` models and ``.weights.h5`` weights.

A ``.keras`` file is a zip of ``metadata.json`` (``keras_version``,
``date_saved``), ``config.json`` (the model config with ``compile_config``) and
``model.weights.h5`` (see :mod:`descend.saving.keras_weights`). descend writes
what ``keras.saving.load_model`` reads and reads what Keras 3 writes, for the
layers descend has. ``.descend`` stays descend's own format; this module is what
``model.save("m.keras")``, ``descend.models.load_model("m.keras")``,
``model.save_weights("w.weights.h5")`` and ``model.load_weights("w.weights.h5")``
call. h5py is needed (``pip install '.[keras]'`` from a clone of descend).

Loading never executes code from the file: Lambda layers and unknown classes are
refused unless the user made them known and, for Lambda, passed ``safe_mode=False``.
"""

from __future__ import annotations

import datetime
import io
import zipfile
from collections.abc import Mapping
from typing import Any

import numpy as np

from descend import random as descend_random
from descend.saving import format as fmt
from descend.saving import keras_config, keras_weights, serialization

KERAS_EXTENSION = ".keras"
H5_WEIGHTS_EXTENSION = ".weights.h5"
KERAS_VERSION = "3.15.1"
"""The Keras version whose format descend writes (``metadata.json``)."""
_METADATA, _CONFIG, _WEIGHTS = "metadata.json", "config.json", "model.weights.h5"
_ALLOWED = {_METADATA, _CONFIG, _WEIGHTS}


def is_keras_file(filepath: str) -> bool:
    """Whether ``filepath`` names a Keras 3 model (``.keras``)."""
    return filepath.endswith(KERAS_EXTENSION)


def is_h5_weights(filepath: str) -> bool:
    """Whether ``filepath`` names a Keras 3 weights file (``.weights.h5``)."""
    return filepath.endswith(H5_WEIGHTS_EXTENSION)


# -------------------------------------------------------------------------- write
def keras_members(model: Any, include_optimizer: bool = True) -> dict[str, bytes]:
    """The members of a ``.keras`` file for ``model``."""
    from descend._version import __version__

    metadata = {"keras_version": KERAS_VERSION,
                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
                "descend_version": __version__}
    try:
        config = serialization.serialize_model(model)
    except TypeError as exc:
        raise TypeError(f"save: the model's config cannot be written as JSON: {exc}") from exc
    keras_config.check_writable(config)
    config = keras_config.to_keras(config)
    return {_METADATA: fmt.json_dumps(metadata).encode(),
            _CONFIG: fmt.json_dumps(config).encode(),
            _WEIGHTS: keras_weights.weights_h5_bytes(model, include_optimizer)}


def _write_zip(fileobj: Any, members: Mapping[str, bytes]) -> None:
    with zipfile.ZipFile(fileobj, "w") as archive:
        for name, content in members.items():
            method = zipfile.ZIP_DEFLATED if name.endswith(".json") else zipfile.ZIP_STORED
            archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), content,
                             compress_type=method)


def save_keras(model: Any, filepath: str, overwrite: bool = True) -> None:
    """Write ``model`` as a Keras 3 ``.keras`` file, atomically.

    Parameters
    ----------
    model : Model
    filepath : str
        Ends in ``.keras``.
    overwrite : bool, default True

    Raises
    ------
    ImportError
        If h5py is not installed (the message says how to install it).
    """
    keras_weights.require_h5py("save")
    members = keras_members(model)
    fmt.atomic_write(filepath, lambda f: _write_zip(f, members), overwrite=overwrite)


def save_weights_h5(model: Any, filepath: str, overwrite: bool = True) -> None:
    """Write ``model``'s weights and optimizer variables as a Keras 3 ``.weights.h5``."""
    keras_weights.require_h5py("save_weights")
    data = keras_weights.weights_h5_bytes(model)
    fmt.atomic_write(filepath, lambda f: f.write(data), overwrite=overwrite)


# --------------------------------------------------------------------------- read
def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int,
                 filepath: str, why: str) -> bytes:
    if info.file_size > limit:
        raise ValueError(f"'{filepath}': member '{info.filename}' declares {info.file_size} "
                         f"bytes, more than {why} ({limit} bytes); the file was rejected.")
    try:
        with archive.open(info) as handle:
            data = handle.read(limit + 1)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ValueError(f"'{filepath}': member '{info.filename}' is damaged ({exc}).") from None
    if len(data) > limit:
        raise ValueError(f"'{filepath}': member '{info.filename}' is larger than it declares.")
    return data


def read_keras_archive(filepath: str, weights_limit: Any = None) -> dict[str, bytes]:
    """The checked members of a ``.keras`` zip (sizes checked before reading).

    Parameters
    ----------
    filepath : str
    weights_limit : callable, optional
        ``weights_limit() -> int``, called after the JSON members are read: the most
        bytes ``model.weights.h5`` may hold (see :func:`weights_budget`); without it
        the weights are not read.
    """
    import os

    if not os.path.isfile(filepath):
        raise ValueError(f"File not found: filepath={filepath}. Please ensure the file is an "
                         "accessible `.keras` zip file.")
    try:
        archive = zipfile.ZipFile(filepath)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ValueError(f"'{filepath}' is not a valid `.keras` file: it is not a zip archive "
                         f"({exc}).") from None
    members: dict[str, bytes] = {}
    with archive:
        infos: dict[str, zipfile.ZipInfo] = {}
        for info in archive.infolist():
            if info.is_dir():
                continue
            if info.filename.startswith("assets/"):
                raise ValueError(f"'{filepath}': the model has assets ('{info.filename}'), "
                                 "which descend's layers never use.")
            if info.filename not in _ALLOWED:
                raise ValueError(f"'{filepath}': unexpected member '{info.filename}' in a "
                                 "`.keras` file.")
            infos[info.filename] = info
        for name in (_CONFIG, _WEIGHTS):
            if name not in infos:
                raise ValueError(f"'{filepath}' is not a complete `.keras` file: it has no "
                                 f"{name}.")
        for name in (_METADATA, _CONFIG):
            if name in infos:
                members[name] = _read_member(archive, infos[name], fmt.MAX_JSON_BYTES,
                                             filepath, "descend accepts for JSON")
        if weights_limit is not None:
            members[_WEIGHTS] = _read_member(archive, infos[_WEIGHTS], weights_limit(),
                                             filepath, "this model's weights can take")
    return members


def weights_budget(model: Any) -> int:
    """The most bytes a ``model.weights.h5`` for ``model`` may sensibly hold.

    Its variables, up to four optimizer slots per trainable one, and HDF5's
    overhead (64 KiB per layer, 16 MiB in all): a file declaring more is refused
    before anything is read, so memory stays proportional to the model.
    """
    from descend.saving.weights import saveable_layers

    size = sum(np.asarray(v.data).nbytes for v in model.weights)
    trainable = sum(np.asarray(v.data).nbytes for v in model.trainable_weights)
    return size + 4 * trainable + 2**16 * len(saveable_layers(model)) + 2**24


def load_keras(filepath: str, custom_objects: Mapping[str, Any] | None = None,
               compile: bool = True, safe_mode: bool = True) -> Any:
    """Load a Keras 3 ``.keras`` file into a descend model.

    Parameters
    ----------
    filepath : str
    custom_objects : dict, optional
        Your own classes and functions, by name.
    compile : bool, default True
        Compile as saved and restore the optimizer state when its layout fits.
    safe_mode : bool, default True
        Refuse Lambda layers (as Keras's ``safe_mode``).

    Returns
    -------
    Model

    Raises
    ------
    ImportError
        If h5py is not installed.
    ValueError
        On a damaged file (naming the file and the part), unsafe content, or layer
        classes descend lacks (naming them).
    """
    keras_weights.require_h5py("load_model")
    members = read_keras_archive(filepath)
    raw = fmt.json_loads(members[_CONFIG], filepath, _CONFIG)
    if _METADATA in members:
        metadata = fmt.json_loads(members[_METADATA], filepath, _METADATA)
        if not isinstance(metadata, Mapping):
            raise ValueError(f"'{filepath}': {_METADATA} is not a JSON object.")
    source = f"'{filepath}'"
    config = keras_config.from_keras(raw, source)
    if isinstance(config, Mapping):
        from descend.registry.object_registration import custom_object_scope
        from descend.saving.serialization import check_safe
        custom = dict(custom_objects or {})
        with custom_object_scope(custom):
            check_safe(config, safe_mode, source, custom)
            keras_config.check_layer_classes(config, source, custom)
    random_state = descend_random.get_state()
    try:
        model = serialization.deserialize_model(config, custom_objects, compile=compile,
                                                safe_mode=safe_mode, source=source)
    except MemoryError:
        raise ValueError(f"{source}: the model config asks for more memory than is "
                         "available; the file was rejected.") from None
    finally:
        descend_random.set_state(random_state)
    data = read_keras_archive(filepath, lambda: weights_budget(model))[_WEIGHTS]
    keras_weights.load_h5(model, io.BytesIO(data), f"{filepath}: {_WEIGHTS}",
                          load_optimizer=compile)
    return model


def load_weights_h5(model: Any, filepath: str, skip_mismatch: bool = False) -> None:
    """Load a Keras 3 ``.weights.h5`` (or a ``.keras`` file's weights) into ``model``."""
    import os

    keras_weights.require_h5py("load_weights")
    if not os.path.isfile(filepath):
        raise ValueError(f"File not found: filepath={filepath}.")
    if is_keras_file(filepath):
        members = read_keras_archive(filepath, lambda: weights_budget(model))
        keras_weights.load_h5(model, io.BytesIO(members[_WEIGHTS]), f"{filepath}: {_WEIGHTS}",
                              skip_mismatch=skip_mismatch)
        return
    keras_weights.load_h5(model, filepath, filepath, skip_mismatch=skip_mismatch)


__all__ = ["H5_WEIGHTS_EXTENSION", "KERAS_EXTENSION", "KERAS_VERSION", "is_h5_weights",
           "is_keras_file", "keras_members", "load_keras", "load_weights_h5",
           "read_keras_archive", "save_keras", "save_weights_h5", "weights_budget"]
