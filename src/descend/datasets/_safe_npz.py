"""Read ``.npz`` archives whose object arrays hold lists of integers, without running code.

Keras's IMDB and Reuters files store ragged sequences as NumPy *object* arrays; NumPy
writes those as pickle streams and reading them with ``np.load(allow_pickle=True)``
would let a crafted file execute arbitrary code. :func:`load_npz` reads each ``.npy``
member itself:

* numeric arrays go through :func:`numpy.lib.format.read_array` with
  ``allow_pickle=False``;
* object arrays are unpickled by :class:`RestrictedUnpickler`, whose ``find_class``
  allows exactly the three globals NumPy's array pickles use (``ndarray``, ``dtype``
  and ``multiarray._reconstruct``) and refuses every other import (``os.system``,
  ``builtins.eval``...), so no code can run. The result is then checked: a 1-D object
  array whose items are lists (or integer arrays) of Python/NumPy integers, returned as
  an object array of ``list``\\s of ``int``.
"""

from __future__ import annotations

import io
import os
import pickle
import zipfile
from typing import Any

import numpy as np

__all__ = ["RestrictedUnpickler", "load_npz", "save_npz_object"]

_ALLOWED = {
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
}


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that can rebuild NumPy arrays and nothing else.

    ``find_class`` raises :class:`pickle.UnpicklingError` for any global other than
    NumPy's ``ndarray``, ``dtype``, ``_reconstruct`` and ``scalar``.
    """

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED:
            import importlib

            return getattr(importlib.import_module(module), name)
        raise pickle.UnpicklingError(
            f"refusing to load '{module}.{name}': only NumPy arrays of integer lists may be "
            "stored in this data set file."
        )


def _check_sequences(array: Any, member: str) -> np.ndarray:
    if not isinstance(array, np.ndarray) or array.ndim != 1 or array.dtype != object:
        raise ValueError(f"{member}: expected a 1-D object array of integer lists.")
    out = np.empty(len(array), dtype=object)
    for i, item in enumerate(array):
        values = item.tolist() if isinstance(item, np.ndarray) else item
        if not isinstance(values, list) or not all(
                isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
            raise ValueError(f"{member}: item {i} is not a list of integers.")
        out[i] = [int(v) for v in values]
    return out


def _read_member(raw: bytes, member: str) -> np.ndarray:
    stream = io.BytesIO(raw)
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
    else:
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
    if not dtype.hasobject:
        stream.seek(0)
        return np.lib.format.read_array(stream, allow_pickle=False)
    array = RestrictedUnpickler(stream).load()
    return _check_sequences(array, member)


def load_npz(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Every ``.npy`` member of the archive at ``path``, object arrays read safely.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    dict of str to ndarray
        Member name (without ``.npy``) to array; object arrays hold lists of ints.

    Raises
    ------
    ValueError
        If a member is not a valid ``.npy`` array, or an object array holds anything
        other than lists of integers.
    pickle.UnpicklingError
        If an object array's pickle names a global other than NumPy's array rebuilders.
    """
    arrays: dict[str, np.ndarray] = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if member.endswith(".npy"):
                arrays[member[:-4]] = _read_member(archive.read(member), member)
    return arrays


def save_npz_object(path: str | os.PathLike[str], **arrays: Any) -> None:
    """Write arrays (ragged lists become object arrays) as Keras's data set files do.

    For tests and for building small files of the same format; uses NumPy's writer.
    """
    prepared = {}
    for name, value in arrays.items():
        if isinstance(value, np.ndarray) and value.dtype != object:
            prepared[name] = value
        else:
            obj = np.empty(len(value), dtype=object)
            for i, item in enumerate(value):
                obj[i] = list(item)
            prepared[name] = obj
    np.savez(path, **prepared)
