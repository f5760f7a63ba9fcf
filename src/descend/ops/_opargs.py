"""Argument conversion shared by ``descend.ops.core``, ``math`` and ``linalg``.

Keras's ops accept backend tensors, NumPy arrays and Python numbers; these
helpers turn each into what descend's engine needs and give uniform error
messages naming the op and the argument.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend import config
from descend.autograd.tensor import Tensor


def array_of(x: Any) -> np.ndarray:
    """The data of ``x`` as an ndarray (a tensor's own array; no copy when possible)."""
    if isinstance(x, Tensor):
        return x.data
    return np.asarray(x)


def constant(data: Any) -> Tensor:
    """A non-differentiable tensor holding ``data`` (int/bool/complex dtypes kept)."""
    return Tensor._make(np.asarray(data), False, None)


def float_tensor(x: Any, op: str, name: str = "x") -> Tensor:
    """``x`` as a floating tensor: float tensors and arrays keep their dtype, the rest floatx.

    Raises
    ------
    TypeError
        If ``x`` is not numeric.
    """
    if isinstance(x, Tensor) and x.data.dtype.kind == "f":
        return x
    data = array_of(x)
    if data.dtype.kind == "f":
        if not isinstance(x, (np.ndarray, np.generic)):  # Python floats and lists: floatx
            data = data.astype(config.floatx())
        return Tensor._make(data, False, None)
    if data.dtype.kind not in "biu":
        raise TypeError(
            f"{op}: {name} must be a tensor, array or number of real values, received "
            f"dtype {data.dtype}. Convert it with descend.ops.convert_to_tensor first."
        )
    return Tensor._make(data.astype(config.floatx()), False, None)


def int_array(x: Any, op: str, name: str) -> np.ndarray:
    """``x`` as an integer ndarray; TypeError if it holds non-integer values."""
    data = array_of(x)
    if data.dtype.kind not in "iub":
        if data.dtype.kind == "f" and np.all(np.isfinite(data)) and np.all(data == np.round(data)):
            return data.astype(np.int64)
        raise TypeError(
            f"{op}: {name} must hold integers, received dtype {data.dtype}"
            f"{' with fractional values' if data.dtype.kind == 'f' else ''}."
        )
    return data.astype(np.int64, copy=False)


def check_matrix(x: Tensor, op: str, name: str = "x", square: bool = False) -> None:
    """Raise ValueError unless ``x`` is a (stack of) matrices, square when asked."""
    if x.ndim < 2:
        raise ValueError(
            f"{op}: {name} must have at least 2 dimensions (..., rows, columns), received "
            f"shape {x.shape}."
        )
    if square and x.shape[-1] != x.shape[-2]:
        raise ValueError(
            f"{op}: {name} must be square in its last two dimensions, received shape {x.shape}."
        )
