"""Packing and unpacking ``(x, y, sample_weight)`` batches, as custom ``train_step`` code does.

Examples
--------
>>> pack_x_y_sample_weight([1], [2])
([1], [2])
>>> unpack_x_y_sample_weight(([1], [2]))
([1], [2], None)
"""

from __future__ import annotations

from typing import Any

__all__ = ["pack_x_y_sample_weight", "unpack_x_y_sample_weight"]


def pack_x_y_sample_weight(x: Any, y: Any = None, sample_weight: Any = None) -> Any:
    """Pack a batch as ``fit`` gives it to ``train_step``: x, (x,), (x, y) or (x, y, w).

    ``x`` alone stays ``x``, unless it is itself a tuple or list, which is
    wrapped as ``(x,)`` so that it is not mistaken for ``(x, y)``.
    """
    if y is None:
        return (x,) if isinstance(x, (tuple, list)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def unpack_x_y_sample_weight(data: Any) -> tuple[Any, Any, Any]:
    """Split a batch into ``(x, y, sample_weight)``, missing parts None.

    Raises
    ------
    ValueError
        If ``data`` is a tuple or list of more than three items.
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return (data, None, None)
    if len(data) == 1:
        return (data[0], None, None)
    if len(data) == 2:
        return (data[0], data[1], None)
    if len(data) == 3:
        return (data[0], data[1], data[2])
    raise ValueError("unpack_x_y_sample_weight: data is expected to be `x`, `(x,)`, `(x, y)` or "
                     f"`(x, y, sample_weight)`; received a tuple of {len(data)} items.")
