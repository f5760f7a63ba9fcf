"""Packing a batch as ``(x, y, sample_weight)``, as Keras hands it to ``train_step``.

Examples
--------
>>> from descend.utils import pack_x_y_sample_weight, unpack_x_y_sample_weight
>>> unpack_x_y_sample_weight(pack_x_y_sample_weight([1, 2], [0, 1]))
([1, 2], [0, 1], None)
>>> pack_x_y_sample_weight([1, 2])
[1, 2]
"""

from __future__ import annotations

from typing import Any


def pack_x_y_sample_weight(x: Any, y: Any = None, sample_weight: Any = None) -> Any:
    """Pack one batch the way ``fit`` passes it to ``Model.train_step``.

    Parameters
    ----------
    x : array, list or dict of arrays
    y : array, list or dict of arrays, optional
    sample_weight : array, optional

    Returns
    -------
    object
        ``x`` alone when there is neither ``y`` nor ``sample_weight`` (a tuple
        ``x`` is wrapped as ``(x,)``), else ``(x, y)`` or ``(x, y, sample_weight)``.
    """
    if y is None and sample_weight is None:
        return (x,) if isinstance(x, tuple) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def unpack_x_y_sample_weight(data: Any) -> tuple[Any, Any, Any]:
    """Unpack what :func:`pack_x_y_sample_weight` packed.

    Parameters
    ----------
    data : object
        ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``.

    Returns
    -------
    tuple
        ``(x, y, sample_weight)``, with None for what is missing.

    Raises
    ------
    ValueError
        If ``data`` is a tuple of more than three elements.
    """
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data[0], data[1], data[2]
    raise ValueError(
        "Data is expected to be in the format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`, "
        f"found a tuple of {len(data)} elements."
    )
