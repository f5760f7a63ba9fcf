"""Helpers shared by the ``descend.ops.nn`` and ``descend.ops.image`` modules.

Operand conversion (tensors, arrays and numbers all become tensors), the
non-differentiable result wrapper, data-format handling (every op computes in
``channels_last`` and moves the channel axis for ``channels_first``) and the
per-axis argument checks.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.autograd import ops as _ops
from descend.autograd.tensor import Tensor

DATA_FORMATS = ("channels_last", "channels_first")


def tensor(x: Any, like: Any = None) -> Tensor:
    """``x`` as a :class:`Tensor` (numbers take the float dtype of ``like``)."""
    if isinstance(x, Tensor):
        return x
    if like is not None:
        return _ops.as_tensor(x, like)
    return Tensor(x)  # floats keep an array's dtype; numbers, lists and ints become floatx


def array(x: Any, dtype: Any = None) -> np.ndarray:
    """The data of ``x`` (tensor, array or number) as a NumPy array."""
    data = x.data if isinstance(x, Tensor) else x
    return np.asarray(data, dtype=dtype)


def constant(data: np.ndarray) -> Tensor:
    """A result without gradient, keeping its dtype (ints, bools)."""
    return Tensor._make(np.asarray(data), False, None)


def float_dtype(x: Any) -> np.dtype:
    """The float dtype a result computed from ``x`` has (float32 for ints)."""
    dtype = np.asarray(x.data if isinstance(x, Tensor) else x).dtype
    return dtype if dtype.kind == "f" else np.dtype(np.float32)


def data_format(value: str | None, op: str) -> str:
    """Validate ``data_format`` (``None`` means ``"channels_last"``, Keras's default)."""
    if value is None:
        return "channels_last"
    value = str(value).lower()
    if value not in DATA_FORMATS:
        raise ValueError(
            f"{op}: data_format must be 'channels_last' or 'channels_first', received {value!r}."
        )
    return value


def to_channels_last(x: Tensor, fmt: str) -> Tensor:
    """Move the channel axis of a ``channels_first`` tensor to the end."""
    if fmt == "channels_last":
        return x
    return _ops.transpose(x, (0, *range(2, x.ndim), 1))


def from_channels_last(x: Tensor, fmt: str) -> Tensor:
    """Undo :func:`to_channels_last`."""
    if fmt == "channels_last":
        return x
    return _ops.transpose(x, (0, x.ndim - 1, *range(1, x.ndim - 1)))


def per_axis(value: Any, rank: int, name: str, op: str, minimum: int = 1) -> tuple[int, ...]:
    """An int or a sequence of ``rank`` ints, each ``>= minimum``, as a tuple."""
    values = (value,) * rank if isinstance(value, (int, np.integer)) else tuple(value)
    if len(values) != rank or any(int(v) < minimum for v in values):
        raise ValueError(
            f"{op}: {name} must be an int or a tuple of {rank} ints, each >= {minimum}, "
            f"received {value!r}."
        )
    return tuple(int(v) for v in values)


def spatial_rank(x: Tensor, op: str, ranks: tuple[int, ...] = (1, 2, 3)) -> int:
    """Number of spatial axes of a ``(batch, *spatial, channels)`` input, checked."""
    rank = x.ndim - 2
    if rank not in ranks:
        raise ValueError(
            f"{op}: expected an input with {', '.join(str(r + 2) for r in ranks)} dimensions "
            f"(batch, *spatial, channels), received shape {x.shape}."
        )
    return rank


def normalize_axes(axis: Any, ndim: int, op: str) -> tuple[int, ...]:
    """Non-negative, sorted, unique axes for ``axis`` (an int or a sequence)."""
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= int(a) < ndim:
            raise ValueError(
                f"{op}: axis {a} is out of range for an input with {ndim} dimensions."
            )
        out.append(int(a) % ndim)
    return tuple(sorted(set(out)))
