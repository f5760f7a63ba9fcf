"""The ``.descend`` file format: a zip of JSON and ``.npz`` members, written atomically.

A model file is a zip archive holding exactly these members (see ``docs/saving.md``)::

    metadata.json        {"format": "descend", "format_version": 1, "descend_version", "date_saved"}
    config.json          the architecture and compile arguments (Keras's schema)
    model.weights.npz    the weights, keyed by stable paths such as "layers/dense/vars/0"
    optimizer.npz        the optimizer state (iterations, moments...), when compiled
    training_state.json  epoch and random-generator states (checkpoints only)

Reading never unpickles and never extracts anything to disk: members are read
into memory after their names, count, compression and sizes have been checked;
arrays are read by :class:`NpzArchive`, which checks every ``.npy`` header first
(no object dtypes, sizes consistent) so that callers compare shapes and dtypes
with the model before any data is unpacked; JSON is parsed with the standard
library after its number of values has been bounded. Any problem becomes a
``ValueError`` naming the file and what is wrong.

Writing goes to a temporary file in the target's directory, which is flushed,
fsynced and then renamed over the target with :func:`os.replace`, so a crash
mid-save leaves the previous file untouched.

Examples
--------
>>> import io
>>> import numpy as np
>>> data = arrays_to_bytes({"layers/dense/vars/0": np.ones((2, 3), dtype="float32")})
>>> arrays = arrays_from_bytes(data, "example.npz")
>>> arrays["layers/dense/vars/0"].shape
(2, 3)
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Mapping
from typing import IO, Any

import numpy as np

from descend.saving.atomic import STALE_AGE as STALE_AGE
from descend.saving.atomic import atomic_write as atomic_write
from descend.saving.atomic import remove_stale_temporaries as remove_stale_temporaries

FORMAT_NAME = "descend"
FORMAT_VERSION = 1
"""Version of the archive layout; a file with a larger version is refused."""

MODEL_EXTENSION = ".descend"
WEIGHTS_EXTENSION = ".weights.npz"

METADATA = "metadata.json"
CONFIG = "config.json"
WEIGHTS = "model.weights.npz"
OPTIMIZER = "optimizer.npz"
TRAINING_STATE = "training_state.json"
MEMBERS = (METADATA, CONFIG, WEIGHTS, OPTIMIZER, TRAINING_STATE)
JSON_MEMBERS = (METADATA, CONFIG, TRAINING_STATE)

MAX_JSON_BYTES = 64 * 2**20
"""Largest ``config.json`` accepted (64 MiB)."""
MAX_SMALL_JSON_BYTES = 4 * 2**20
"""Largest ``metadata.json`` and ``training_state.json`` accepted (4 MiB: a training state
holds a few hundred bytes per seeded layer)."""
MAX_ARRAY_BYTES = 16 * 2**30
"""Largest total size of the arrays of one ``.npz`` accepted (16 GiB)."""
MAX_ARRAYS = 100_000
"""Most arrays one ``.npz`` may hold."""
MAX_DEFLATE_RATIO = 1100
"""DEFLATE cannot expand data more than ~1032 times: a larger claimed ratio is forged."""
MAX_JSON_VALUES = 1_200_000
"""Most values (counted before parsing as separators and brackets) one JSON member may hold.

Parsing costs memory per value, not per byte: 64 MiB of ``[{},{},...]`` would become
22 million dictionaries (1.7 GB). A model config holds about 50 values per layer, and
a config of more than a million values is refused after parsing anyway."""
UNCHECKED_EXPANSION = 4
"""Arrays read without a model to compare them with may hold at most this many times
the bytes they take in the file (plus 1 MiB): their memory stays proportional to the
file's size whatever the headers declare."""

_MAX_NPY_HEADER = 10_000  # NumPy's own default limit for a .npy header
_CHUNK = 16 * 2**20  # read arrays in pieces: a zip stream's readinto copies through bytes
_ALLOWED_KINDS = "biufcU"  # bool, integers, floats, complex, unicode text; never objects



# ----------------------------------------------------------------------------- paths
def check_path(filepath: Any, what: str) -> str:
    """Return ``filepath`` as a ``str`` or raise ``TypeError`` naming ``what``."""
    try:
        return os.fspath(filepath)
    except TypeError:
        raise TypeError(
            f"{what}: `filepath` must be a str or os.PathLike, received {filepath!r} of type "
            f"{type(filepath).__name__}."
        ) from None


def check_model_extension(filepath: str, what: str) -> None:
    """Require the ``.descend`` extension (``.keras`` is reserved for the Keras format)."""
    if filepath.endswith(MODEL_EXTENSION):
        return
    if filepath.endswith(".keras"):
        raise ValueError(
            f"{what}: the `.keras` extension is reserved for the Keras file format, which "
            f"descend does not read or write. descend saves whole models in its own format with "
            f"the `.descend` extension: use filepath='{_swap(filepath, '.keras')}'. "
            f"Received: filepath={filepath}"
        )
    if filepath.endswith(WEIGHTS_EXTENSION):
        raise ValueError(
            f"{what}: '{filepath}' is a weights file name. Use model.save_weights() / "
            "model.load_weights() for `.weights.npz` files, or give model.save() a "
            f"`.descend` filepath. Received: filepath={filepath}"
        )
    raise ValueError(
        "Invalid filepath extension for saving. Please add a `.descend` extension (descend's "
        f"model format), e.g. filepath='{_swap(filepath, None)}'. Received: filepath={filepath}"
    )


def check_weights_extension(filepath: str, what: str) -> None:
    """Require the ``.weights.npz`` extension (Keras's ``.weights.h5`` analogue)."""
    if filepath.endswith(WEIGHTS_EXTENSION):
        return
    hint = ""
    if filepath.endswith(".weights.h5") or filepath.endswith(".h5"):
        hint = " descend stores weights as NumPy .npz, not HDF5."
    raise ValueError(
        f"{what}: the filename must end in `.weights.npz` (descend's analogue of Keras's "
        f"`.weights.h5`).{hint} Received: filepath={filepath}"
    )


def _swap(filepath: str, old: str | None) -> str:
    if old and filepath.endswith(old):
        base = filepath[: -len(old)]
    else:
        base = os.path.splitext(filepath)[0]
    return (base or "model") + MODEL_EXTENSION


# -------------------------------------------------------------------------- JSON
def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (tuple, set, frozenset)):
        return list(value)
    raise TypeError(
        f"a value of type {type(value).__name__} ({value!r}) is not JSON-serialisable. "
        "get_config() must return plain Python values (numbers, strings, lists, dicts, None)."
    )


def json_dumps(obj: Any, **kwargs: Any) -> str:
    """``json.dumps`` that also accepts NumPy scalars and arrays (as numbers and lists)."""
    return json.dumps(obj, default=_json_default, **kwargs)


def json_loads(data: bytes | str, source: str, member: str) -> Any:
    """Parse JSON, turning any failure into a ``ValueError`` naming ``source`` and ``member``.

    The number of values is bounded before parsing (:data:`MAX_JSON_VALUES`), so that
    the memory parsing takes stays proportional to a real config's.
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    values = raw.count(b",") + raw.count(b"[") + raw.count(b"{") + 1
    if values > MAX_JSON_VALUES:
        raise ValueError(f"'{source}': {member} holds about {values} JSON values, more than the "
                         f"{MAX_JSON_VALUES} a descend file may hold; the file was rejected.")
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ValueError(f"'{source}': {member} is not valid JSON ({exc}).") from None


# ------------------------------------------------------------------------ arrays
def arrays_to_bytes(arrays: Mapping[str, Any]) -> bytes:
    """Serialise named arrays with :func:`numpy.savez` (uncompressed, no pickle).

    Raises
    ------
    TypeError
        If an array holds Python objects (they would need pickle).
    """
    clean = {}
    for key, value in arrays.items():
        array = np.asarray(value)
        if array.dtype.hasobject:
            raise TypeError(f"Cannot save '{key}': arrays of Python objects would need pickle, "
                            "which descend never uses.")
        clean[key] = array
    buffer = io.BytesIO()
    np.savez(buffer, **clean)
    return buffer.getvalue()


def write_arrays(fileobj: IO[bytes], arrays: Mapping[str, Any]) -> None:
    """Write :func:`arrays_to_bytes` output to ``fileobj``."""
    fileobj.write(arrays_to_bytes(arrays))


def _check_member_name(name: str, source: str) -> None:
    bad = (not name or name.startswith(("/", "\\")) or "\\" in name or "\x00" in name
           or ".." in name.split("/") or ":" in name.split("/")[0])
    if bad:
        raise ValueError(f"'{source}': unsafe member name {name!r} in the archive (absolute path "
                         "or path traversal); the file was rejected.")


def _check_sizes(info: zipfile.ZipInfo, limit: int, source: str, what: str) -> None:
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise ValueError(f"'{source}': {what} uses an unsupported compression method "
                         f"({info.compress_type}); only stored or deflated members are read.")
    if info.file_size > limit:
        raise ValueError(f"'{source}': {what} claims {info.file_size} bytes uncompressed, more "
                         f"than the {limit} allowed; the file was rejected (zip bomb?).")
    if info.compress_type == zipfile.ZIP_DEFLATED and \
            info.file_size > MAX_DEFLATE_RATIO * max(info.compress_size, 1) + 1024:
        raise ValueError(f"'{source}': {what} claims a compression ratio above "
                         f"{MAX_DEFLATE_RATIO}:1, which DEFLATE cannot produce; the file was "
                         "rejected (zip bomb?).")


def _read_npy_header(fileobj: IO[bytes]) -> tuple[tuple[int, ...], bool, np.dtype]:
    # The header's length is checked before the header is read: NumPy reads all the bytes
    # a length field declares (up to 4 GiB) before it checks them.
    start = fileobj.read(8)
    if len(start) != 8 or start[:6] != b"\x93NUMPY" or start[6] not in (1, 2):
        raise ValueError("not a .npy array of format version 1.0 or 2.0")
    field = fileobj.read(2 if start[6] == 1 else 4)
    length = int.from_bytes(field, "little")
    if length > _MAX_NPY_HEADER:
        raise ValueError(f"the header claims {length} bytes, more than {_MAX_NPY_HEADER}")
    fileobj = io.BytesIO(start + field + fileobj.read(length))
    version = np.lib.format.read_magic(fileobj)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(fileobj)
    elif version == (2, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(fileobj)
    else:
        raise ValueError(f"unsupported .npy format version {version}")
    return shape, bool(fortran), dtype


def _open_zip(file: str | bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(file) if isinstance(file, bytes) else file)


class ArrayHeader:
    """What a ``.npy`` member's header declares, checked against the member's size.

    Attributes
    ----------
    key : str
        The array's name (the member name without ``.npy``).
    shape : tuple of int
    dtype : numpy.dtype
    nbytes : int
        Bytes of data the header declares (what reading it will allocate).
    """

    __slots__ = ("key", "shape", "dtype", "fortran", "nbytes", "info")

    def __init__(self, key: str, shape: tuple[int, ...], dtype: np.dtype, fortran: bool,
                 nbytes: int, info: zipfile.ZipInfo) -> None:
        self.key, self.shape, self.dtype, self.fortran = key, shape, dtype, fortran
        self.nbytes, self.info = nbytes, info


class NpzArchive:
    """An ``.npz`` opened for reading: every header checked at once, data read on demand.

    Opening reads the zip directory and the ``.npy`` header of every member (a few
    hundred bytes each, even for deflated members), never the data. The caller
    compares :attr:`headers` (shapes and dtypes) with what it expects, e.g. the
    model's variables, and then reads only the arrays it needs with :meth:`read`,
    which allocates exactly the bytes a checked header declares. So loading costs
    memory proportional to the model, never to what a file claims.

    Parameters
    ----------
    file : str or bytes
        A path (the file is read lazily, not into memory) or the ``.npz`` content.
    source : str
        File name, for error messages.
    member : str, optional
        Which part of ``source`` this is (``model.weights.npz``), for messages.

    Raises
    ------
    ValueError
        If the content is not a valid, safe ``.npz``; the message names ``source``.

    Examples
    --------
    >>> data = arrays_to_bytes({"w": np.ones((2, 3), "float32")})
    >>> with NpzArchive(data, "example.npz") as archive:
    ...     header = archive.headers["w"]
    ...     header.shape, str(header.dtype), archive.read("w").sum()
    ((2, 3), 'float32', np.float32(6.0))
    """

    def __init__(self, file: str | bytes, source: str, member: str | None = None) -> None:
        self.source = source
        self.where = f"'{source}'" + ("" if member is None else f" ({member})")
        self.file_size = len(file) if isinstance(file, bytes) else os.path.getsize(file)
        try:
            self._zip = _open_zip(file)
        except FileNotFoundError:
            raise ValueError(f"File not found: filepath={source}.") from None
        except Exception as exc:  # noqa: BLE001 - BadZipFile, NotImplementedError, struct...
            raise ValueError(f"{self.where} is not a NumPy .npz archive (corrupt, truncated or "
                             f"unsupported zip: {type(exc).__name__}: {exc}).") from None
        try:
            self.headers = self._check_members()
        except BaseException:
            self._zip.close()
            raise

    def __enter__(self) -> NpzArchive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the underlying zip file."""
        self._zip.close()

    def _check_members(self) -> dict[str, ArrayHeader]:
        where = self.where
        infos = self._zip.infolist()
        if len(infos) > MAX_ARRAYS:
            raise ValueError(f"{where} holds {len(infos)} arrays, more than {MAX_ARRAYS}.")
        names = [info.filename for info in infos]
        if len(set(names)) != len(names):
            raise ValueError(f"{where} has duplicate member names; the file was rejected.")
        headers: dict[str, ArrayHeader] = {}
        total = 0
        for info in infos:
            _check_member_name(info.filename, self.source)
            if not info.filename.endswith(".npy"):
                raise ValueError(f"{where}: member {info.filename!r} is not a .npy array.")
            _check_sizes(info, MAX_ARRAY_BYTES, self.source, f"array {info.filename!r}")
            total += info.file_size
            if total > MAX_ARRAY_BYTES:
                raise ValueError(f"{where}: the arrays claim more than {MAX_ARRAY_BYTES} bytes "
                                 "in total; the file was rejected (zip bomb?).")
            header = self._check_npy(info)
            headers[header.key] = header
        return headers

    def _check_npy(self, info: zipfile.ZipInfo) -> ArrayHeader:
        where, key = self.where, info.filename[:-4]
        try:
            with self._zip.open(info) as fileobj:
                shape, fortran, dtype = _read_npy_header(fileobj)
                header_size = fileobj.tell()
        except Exception as exc:  # noqa: BLE001 - malformed header or stream
            raise ValueError(f"{where}: array {key!r} has an invalid .npy header "
                             f"({type(exc).__name__}: {exc}).") from None
        if dtype.hasobject or dtype.kind not in _ALLOWED_KINDS or dtype.names is not None:
            raise ValueError(
                f"{where}: array {key!r} has dtype {dtype} (Python objects, which need pickle); "
                "descend never unpickles, so the file was rejected."
            )
        if any(s < 0 for s in shape):
            raise ValueError(f"{where}: array {key!r} declares a negative shape {shape}.")
        nbytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
        if header_size + nbytes != info.file_size:
            raise ValueError(f"{where}: array {key!r} is truncated or inconsistent (its header "
                             f"declares shape {shape} and dtype {dtype}, i.e. {nbytes} bytes, but "
                             f"the member holds {info.file_size - header_size}).")
        return ArrayHeader(key, tuple(int(s) for s in shape), dtype, fortran, nbytes, info)

    def read(self, key: str) -> np.ndarray:
        """Read one array: exactly the bytes its (already checked) header declares.

        Raises
        ------
        ValueError
            If the member's data cannot be read (CRC mismatch, corrupt stream).
        """
        header = self.headers[key]
        array = np.empty(header.shape, dtype=header.dtype, order="F" if header.fortran else "C")
        view = memoryview(array.reshape(-1, order="A").view(np.uint8)) if array.size else None
        try:
            with self._zip.open(header.info) as fileobj:
                _read_npy_header(fileobj)
                done = 0
                while view is not None and done < header.nbytes:
                    count = fileobj.readinto(view[done:done + _CHUNK])
                    if not count:
                        raise EOFError("the data ends early")
                    done += count
                if fileobj.read(1):
                    raise ValueError("more data than the header declares")
        except Exception as exc:  # noqa: BLE001 - CRC errors, bad streams, truncation
            raise ValueError(f"{self.where}: array {key!r} could not be read "
                             f"({type(exc).__name__}: {exc}).") from None
        return array

    def read_all(self) -> dict[str, np.ndarray]:
        """Every array, when nothing says what to expect.

        The arrays may then take at most :data:`UNCHECKED_EXPANSION` times the bytes
        they occupy in the file (plus 1 MiB), so a small file whose deflated members
        declare gigabytes is refused before anything is unpacked.
        """
        declared = sum(h.nbytes for h in self.headers.values())
        allowed = UNCHECKED_EXPANSION * self.file_size + 2**20
        if declared > allowed:
            raise ValueError(f"{self.where}: the arrays declare {declared} bytes, more than "
                             f"{UNCHECKED_EXPANSION} times the file's {self.file_size}; the file "
                             "was rejected (zip bomb?).")
        return {key: self.read(key) for key in self.headers}


def arrays_from_bytes(data: bytes, source: str, member: str = "the arrays"
                      ) -> dict[str, np.ndarray]:
    """Read an ``.npz`` held in memory safely (see :class:`NpzArchive`).

    Every member must be a ``.npy`` array of numbers, booleans or text (never Python
    objects), with a consistent header and a bounded size.

    Parameters
    ----------
    data : bytes
        The ``.npz`` content.
    source : str
        File name, for error messages.
    member : str, optional
        Which part of ``source`` this is, for error messages.

    Returns
    -------
    dict of str to ndarray

    Raises
    ------
    ValueError
        If the content is not a valid, safe ``.npz``; the message names ``source``.
    """
    with NpzArchive(data, source, None if member == "the arrays" else member) as archive:
        return archive.read_all()


# ----------------------------------------------------------------------- archive
def write_archive(fileobj: IO[bytes], members: Mapping[str, bytes]) -> None:
    """Write a ``.descend`` zip: JSON members deflated, array members stored as they are."""
    with zipfile.ZipFile(fileobj, "w") as archive:
        for name, content in members.items():
            method = zipfile.ZIP_DEFLATED if name.endswith(".json") else zipfile.ZIP_STORED
            archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), content,
                             compress_type=method)


def read_archive(filepath: str) -> dict[str, bytes]:
    """Read the members of a ``.descend`` file into memory, after checking them.

    Returns
    -------
    dict of str to bytes
        Member name -> content, for the members present.

    Raises
    ------
    ValueError
        If the file is missing, not a zip, truncated, corrupt, holds unknown or unsafe
        members, or members whose sizes exceed the limits (the message names the file).
    """
    if not os.path.isfile(filepath):
        raise ValueError(f"File not found: filepath={filepath}. Please ensure the file is an "
                         "accessible `.descend` file.")
    try:
        archive = zipfile.ZipFile(filepath)
    except Exception as exc:  # noqa: BLE001 - BadZipFile, NotImplementedError, struct.error...
        raise ValueError(f"'{filepath}' is not a valid descend model file: it is not a zip "
                         f"archive, or it is truncated, corrupt or uses unsupported zip "
                         f"features ({type(exc).__name__}: {exc}).") from None
    with archive:
        infos = archive.infolist()
        names = [info.filename for info in infos]
        for name in names:
            _check_member_name(name, filepath)
        unknown = sorted(set(names) - set(MEMBERS))
        if unknown or len(set(names)) != len(names):
            problem = (f"unexpected members {unknown}" if unknown else "duplicate members")
            raise ValueError(
                f"'{filepath}' is not a descend model file: {problem}. A descend file holds "
                f"only {list(MEMBERS)}."
            )
        members: dict[str, bytes] = {}
        for info in infos:
            is_json = info.filename in JSON_MEMBERS
            if not is_json and info.compress_type != zipfile.ZIP_STORED:
                raise ValueError(f"'{filepath}': {info.filename} is compressed; descend stores "
                                 "arrays uncompressed, so the file was rejected.")
            limit = MAX_ARRAY_BYTES if not is_json else \
                MAX_JSON_BYTES if info.filename == CONFIG else MAX_SMALL_JSON_BYTES
            _check_sizes(info, limit, filepath, info.filename)
            try:
                with archive.open(info) as member:
                    content = member.read(info.file_size + 1)
            except Exception as exc:  # noqa: BLE001 - CRC errors, bad streams, truncation
                raise ValueError(f"'{filepath}' is corrupt or truncated: cannot read "
                                 f"{info.filename} ({type(exc).__name__}: {exc}).") from None
            if len(content) != info.file_size:
                raise ValueError(f"'{filepath}' is corrupt: {info.filename} does not have the "
                                 "size its header declares.")
            members[info.filename] = content
    if METADATA not in members:
        raise ValueError(f"'{filepath}' is not a descend model file: it has no {METADATA}.")
    return members


def read_metadata(members: Mapping[str, bytes], filepath: str) -> dict[str, Any]:
    """Parse and check ``metadata.json`` (format name and version)."""
    metadata = json_loads(members[METADATA], filepath, METADATA)
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT_NAME:
        raise ValueError(f"'{filepath}' is not a descend model file: {METADATA} does not say "
                         f"format='{FORMAT_NAME}'.")
    version = metadata.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ValueError(f"'{filepath}': {METADATA} has an invalid format_version {version!r}.")
    if version > FORMAT_VERSION:
        raise ValueError(
            f"'{filepath}' was written by descend {metadata.get('descend_version')} in format "
            f"version {version}; this descend reads versions up to {FORMAT_VERSION}. Upgrade "
            "descend to load it."
        )
    return metadata


def read_file_bytes(filepath: str, limit: int) -> bytes:
    """Read a whole file of at most ``limit`` bytes (``ValueError`` if missing or larger)."""
    if not os.path.isfile(filepath):
        raise ValueError(f"File not found: filepath={filepath}.")
    size = os.path.getsize(filepath)
    if size > limit:
        raise ValueError(f"'{filepath}' is {size} bytes, more than the {limit} allowed.")
    with open(filepath, "rb") as fileobj:
        data = fileobj.read(size)  # the size found, not the limit: read() allocates it first
        if len(data) != size or fileobj.read(1):
            raise ValueError(f"'{filepath}' changed while it was read; try again.")
    return data


__all__ = [
    "FORMAT_VERSION", "MODEL_EXTENSION", "WEIGHTS_EXTENSION", "ArrayHeader", "NpzArchive",
    "arrays_from_bytes",
    "arrays_to_bytes", "atomic_write", "check_model_extension", "check_path",
    "check_weights_extension", "json_dumps", "json_loads", "read_archive", "read_file_bytes",
    "read_metadata", "remove_stale_temporaries", "write_archive", "write_arrays",
]
