"""Turning operands (Python numbers, arrays, tensors) into tensors for an operation."""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.autograd.tensor import Tensor


def as_tensor(x: Any, like: Any = None) -> Tensor:
    """Return ``x`` as a :class:`Tensor`; plain numbers take the dtype of ``like``.

    Python scalars adopt the float dtype of the other operand so that
    ``float32_tensor * 0.5`` stays float32 (no silent upcast).
    """
    if isinstance(x, Tensor):
        return x
    if isinstance(like, Tensor) and (np.isscalar(x) or isinstance(x, (int, float))):
        return Tensor._make(np.asarray(x, dtype=like.data.dtype), False, None)
    if isinstance(x, np.ndarray) and x.dtype.kind == "f":
        return Tensor._make(x, False, None)
    return Tensor(x)


def pair(a: Any, b: Any) -> tuple[Tensor, Tensor]:
    """Convert two operands, each taking the other's dtype when it is a number."""
    if not isinstance(a, Tensor):
        a = as_tensor(a, b)
    if not isinstance(b, Tensor):
        b = as_tensor(b, a)
    return a, b
