"""``descend.backend``: the parts of ``keras.backend`` that mean something for descend.

descend has one backend, NumPy with its own autodiff, so :func:`backend` returns
``"numpy"``. The numeric settings are those of :mod:`descend.config`;
:func:`clear_session` restarts the automatic layer names (``dense``,
``dense_1``...) and the counters of :func:`get_uid`.

Examples
--------
>>> from descend import backend
>>> backend.backend(), backend.floatx(), backend.image_data_format()
('numpy', 'float32', 'channels_last')
>>> backend.standardize_dtype(float)
'float32'
"""

from __future__ import annotations

import collections
import gc
from typing import Any

import numpy as np

from descend.config import (
    backend,
    epsilon,
    floatx,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)

__all__ = [
    "backend", "clear_session", "epsilon", "floatx", "get_uid", "image_data_format",
    "is_float_dtype", "is_int_dtype", "is_keras_tensor", "set_epsilon", "set_floatx",
    "set_image_data_format", "standardize_dtype",
]

_UIDS: collections.Counter[str] = collections.Counter()


def get_uid(prefix: str = "") -> int:
    """A counter per ``prefix``: 1 on the first call, then 2, 3... (reset by :func:`clear_session`).

    Examples
    --------
    >>> clear_session(); get_uid("x"), get_uid("x"), get_uid("y")
    (1, 2, 1)
    """
    _UIDS[prefix] += 1
    return _UIDS[prefix]


def clear_session(free_memory: bool = True) -> None:
    """Forget global state: automatic layer names start again, :func:`get_uid` counters reset.

    Parameters
    ----------
    free_memory : bool, default True
        Also run the garbage collector.
    """
    from descend.layers.layer import reset_names

    reset_names()
    _UIDS.clear()
    if free_memory:
        gc.collect()


def is_keras_tensor(x: Any) -> bool:
    """Whether ``x`` is a symbolic tensor (``Input(...)`` or a layer's output on one)."""
    from descend.layers.input_layer import KerasTensor

    return isinstance(x, KerasTensor)


def standardize_dtype(dtype: Any = None) -> str:
    """A dtype's name as a string; ``None`` and Python ``float`` give :func:`floatx`.

    Raises
    ------
    ValueError
        If ``dtype`` is not a dtype NumPy knows.
    """
    if dtype is None or dtype is float or dtype == "float":
        return floatx()
    if dtype is int or dtype == "int":
        return "int32"
    if hasattr(dtype, "dtype") and not isinstance(dtype, (type, np.dtype)):
        dtype = dtype.dtype
    try:
        return np.dtype(dtype).name
    except TypeError:
        raise ValueError(f"standardize_dtype: invalid dtype {dtype!r}.") from None


def is_float_dtype(dtype: Any) -> bool:
    """Whether ``dtype`` is a floating-point type."""
    return standardize_dtype(dtype).startswith(("float", "bfloat"))


def is_int_dtype(dtype: Any) -> bool:
    """Whether ``dtype`` is a (signed or unsigned) integer type."""
    return standardize_dtype(dtype).startswith(("int", "uint"))
