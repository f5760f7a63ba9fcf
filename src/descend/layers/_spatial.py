"""Arguments and input shapes of layers over spatial, channels-last data.

Convolution, pooling, padding, cropping and spatial-dropout layers share the
same vocabulary: per-axis sizes given as an int or a tuple (``kernel_size=3``
means ``(3, 3)`` in 2-D), ``padding`` strings, ``data_format``, and inputs of
shape ``(batch, *spatial, channels)``. This module validates them once, with
messages that name the layer and say how to fix the call or the data.

Examples
--------
>>> normalize_tuple(3, 2, "kernel_size", "Conv2D")
(3, 3)
>>> spatial_names(2)
('height', 'width')
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

_AXIS_NAMES = {1: ("steps",), 2: ("height", "width"), 3: ("depth", "height", "width")}


def spatial_names(rank: int) -> tuple[str, ...]:
    """Names of the spatial axes of a ``rank``-D layer (``("height", "width")`` for 2-D)."""
    return _AXIS_NAMES.get(rank, tuple(f"axis {i + 1}" for i in range(rank)))


def layout(rank: int) -> str:
    """The expected input layout, e.g. ``"(batch, height, width, channels)"``."""
    return "(" + ", ".join(("batch", *spatial_names(rank), "channels")) + ")"


def normalize_tuple(value: Any, rank: int, name: str, owner: str,
                    allow_zero: bool = False) -> tuple[int, ...]:
    """Turn an int or a sequence of ``rank`` ints into a tuple, checking each is positive.

    Parameters
    ----------
    value : int or sequence of int
    rank : int
        Number of entries wanted.
    name : str
        Argument name for the error message (``"strides"``).
    owner : str
        Layer description for the error message (``"Conv2D"``).
    allow_zero : bool, default False
        Accept 0 (paddings and croppings).

    Returns
    -------
    tuple of int

    Raises
    ------
    ValueError
        If ``value`` has the wrong length or a non-positive (negative) entry.
    """
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        values: tuple = (int(value),) * rank
    else:
        try:
            values = tuple(value)
        except TypeError:
            values = ()
        if len(values) != rank or not all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values
        ):
            raise ValueError(
                f"{owner}: the `{name}` argument must be an int or a tuple of {rank} ints, "
                f"received {name}={value!r}."
            )
    low = 0 if allow_zero else 1
    if any(v < low for v in values):
        what = "non-negative" if allow_zero else "strictly positive"
        raise ValueError(
            f"{owner}: the `{name}` argument must be {what}, received {name}={value!r}."
        )
    return tuple(int(v) for v in values)


def normalize_padding(value: Any, owner: str, allowed: tuple[str, ...] = ("valid", "same")
                      ) -> str:
    """Lower-case ``padding`` and check it is one of ``allowed``."""
    padding = value.lower() if isinstance(value, str) else value
    if padding not in allowed:
        raise ValueError(
            f"{owner}: the `padding` argument must be one of {allowed} (case-insensitive), "
            f"received padding={value!r}."
        )
    return padding


def check_data_format(value: Any, owner: str, rank: int) -> str:
    """Accept ``None``/``"channels_last"``; explain how to convert channels-first data."""
    if value in (None, "channels_last"):
        return "channels_last"
    if value == "channels_first":
        order = tuple(range(rank + 2))
        moved = (0, *order[2:], 1)
        raise ValueError(
            f"{owner}: descend supports only data_format='channels_last', inputs of shape "
            f"{layout(rank)}. Transpose channels-first data once, before training, with "
            f"x = np.transpose(x, {moved}) (or np.moveaxis(x, 1, -1)) and drop the "
            "data_format argument."
        )
    raise ValueError(
        f"{owner}: the `data_format` argument must be 'channels_last' or 'channels_first', "
        f"received data_format={value!r}."
    )


def looks_channels_first(shape: tuple, rank: int) -> bool:
    """Heuristic: axis 1 has size 1 or 3 (grey or RGB) while every later axis has 8 or more."""
    if len(shape) != rank + 2 or shape[1] not in (1, 3):
        return False
    rest = shape[2:]
    return all(s is not None and s >= 8 for s in rest)


def channels_first_hint(shape: tuple, rank: int) -> str:
    """A sentence suggesting a transpose when ``shape`` looks channels-first, else ``""``."""
    if not looks_channels_first(shape, rank):
        return ""
    return (
        f" The input looks channels-first (axis 1 has size {shape[1]}): descend expects "
        f"{layout(rank)}; transpose it with np.moveaxis(x, 1, -1)."
    )


def check_input_rank(shape: tuple, rank: int, owner: str, warn: bool = False) -> None:
    """Raise a clear error unless ``shape`` is ``(batch, *spatial, channels)`` with ``rank`` axes.

    A missing channel axis (one axis short) gets the exact fix; with ``warn``, a
    channels-first looking shape gets a warning suggesting a transpose (layers
    warn once, when they are built).
    """
    shape = tuple(shape)
    expected = rank + 2
    if len(shape) == expected:
        if warn and looks_channels_first(shape, rank):
            warnings.warn(
                f"{owner} received an input of shape {shape}.{channels_first_hint(shape, rank)} "
                "(Ignore this warning if the data really is channels-last.)",
                stacklevel=4,
            )
        return
    if len(shape) == expected - 1:
        rest = ", ".join(str(-1 if s is None else s) for s in shape[1:])
        raise ValueError(
            f"{owner} expected a {expected}-D input {layout(rank)}, received shape {shape}: "
            f"add a channel axis with x[..., None] or x.reshape(-1, {rest}, 1)."
        )
    raise ValueError(
        f"{owner} expected a {expected}-D input {layout(rank)}, received shape {shape} "
        f"({len(shape)}-D)."
    )


def describe(layer: Any) -> str:
    """``"Layer 'conv2d' (Conv2D)"``, for error messages."""
    return f"Layer '{layer.name}' ({type(layer).__name__})"
