"""Read the CIFAR "python version" batches, which are pickles, without running code.

The CIFAR-10/100 archives store each batch as a pickled dict (written by Python 2's
``cPickle``): ``{b"data": uint8 array (n, 3072), b"labels": [int, ...], ...}``. A normal
``pickle.load`` can call any importable function named in the file, so a tampered file could
run code. :func:`load_restricted` uses an unpickler whose ``find_class`` only hands out what
rebuilding a NumPy array needs (``numpy.ndarray``, ``numpy.dtype`` and NumPy's array
reconstruction function, under its old and new module names, and ``_codecs.encode``, which
turns text into bytes in pickles that Python 3 writes with protocol 2); any other global -
``os.system``, ``builtins.eval``, a class - raises :class:`pickle.UnpicklingError`
before anything runs.
Dicts, lists, bytes, strings and numbers are built by the pickle machine itself without
globals. (The files are also SHA-256-checked before they are read.)

Examples
--------
>>> import io, pickle
>>> import numpy as np
>>> blob = pickle.dumps({b"labels": [1, 2], b"data": np.arange(3, dtype=np.uint8)}, protocol=2)
>>> load_restricted(io.BytesIO(blob))[b"data"]
array([0, 1, 2], dtype=uint8)
>>> load_restricted(io.BytesIO(pickle.dumps(print)))  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
_pickle.UnpicklingError: Refusing to load builtins.print from a data set file: ...
"""

from __future__ import annotations

import pickle
from typing import Any, BinaryIO

ALLOWED_GLOBALS = frozenset({
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("_codecs", "encode"),
})
"""The only ``(module, name)`` pairs the unpickler resolves."""


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that resolves only :data:`ALLOWED_GLOBALS`."""

    def find_class(self, module: str, name: str) -> Any:
        """Return the allowed NumPy global, or refuse."""
        if (module, name) in ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"Refusing to load {module}.{name} from a data set file: only NumPy arrays, "
            "dicts, lists, bytes and numbers are allowed. The file is corrupted or was "
            "tampered with."
        )


def load_restricted(stream: BinaryIO) -> Any:
    """Unpickle ``stream`` with :class:`RestrictedUnpickler` (bytes kept as bytes)."""
    return RestrictedUnpickler(stream, encoding="bytes").load()
