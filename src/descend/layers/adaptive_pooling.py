"""Adaptive pooling: ``AdaptiveAveragePooling1D/2D/3D`` and ``AdaptiveMaxPooling1D/2D/3D``.

Adaptive pooling fixes the *output* size instead of the window: along an axis
of length ``n`` pooled to ``out`` cells, cell ``i`` covers the input positions
``floor(i * n / out)`` to ``ceil((i + 1) * n / out) - 1`` (windows may overlap
and differ in length by one). The average (or maximum) of each box is taken
one axis after the other, which gives the same result as over the whole box.

Examples
--------
>>> import numpy as np
>>> from descend.layers import AdaptiveAveragePooling1D
>>> x = np.arange(5.0, dtype="float32").reshape(1, 5, 1)
>>> AdaptiveAveragePooling1D(2)(x).data[0, :, 0]
array([1., 3.], dtype=float32)
"""

from __future__ import annotations

import math
from typing import Any

from descend.autograd import Tensor, ops
from descend.layers._spatial import check_data_format, check_input_rank, describe, normalize_tuple
from descend.layers.layer import Layer

__all__ = [
    "AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D",
    "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D",
]


def adaptive_windows(length: int, out: int) -> list[tuple[int, int]]:
    """``(start, stop)`` of each of the ``out`` windows over an axis of ``length``.

    Examples
    --------
    >>> adaptive_windows(5, 3)
    [(0, 2), (1, 4), (3, 5)]
    """
    return [(math.floor(i * length / out), math.ceil((i + 1) * length / out))
            for i in range(out)]


class BaseAdaptivePooling(Layer):
    """Shared implementation; ``reduce`` is ``"mean"`` or ``"max"``."""

    reduce = "mean"

    def __init__(self, rank: int, output_size: Any, data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        owner = describe(self)
        self.rank = rank
        self.output_size = normalize_tuple(output_size, rank, "output_size", owner)
        self.data_format = check_data_format(data_format, owner, rank)

    def build(self, input_shape: tuple) -> None:
        """Check the input rank (no weights)."""
        check_input_rank(tuple(input_shape), self.rank, describe(self), warn=True)
        self.built = True

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """``(batch, *output_size, channels)``."""
        input_shape = tuple(input_shape)
        check_input_rank(input_shape, self.rank, describe(self))
        return (input_shape[0], *self.output_size, input_shape[-1])

    def _check_input(self, inputs: Any) -> None:
        check_input_rank(tuple(inputs.shape), self.rank, describe(self))

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        """Average (or maximum) over each adaptive window, one axis at a time."""
        reducer = ops.mean if self.reduce == "mean" else ops.max
        out = inputs
        for axis, cells in enumerate(self.output_size, start=1):
            length = out.shape[axis]
            if length == cells:
                continue
            parts = []
            for start, stop in adaptive_windows(length, cells):
                index = (slice(None),) * axis + (slice(start, stop),)
                parts.append(reducer(ops.getitem(out, index), axis=axis, keepdims=True))
            out = ops.concatenate(parts, axis=axis)
        return out

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, Keras's keys."""
        config = super().get_config()
        config.update(output_size=self.output_size, data_format=self.data_format)
        return config


_DOC = """Adaptive {what} pooling to a fixed output size (Keras's ``{name}``).

    Parameters
    ----------
    output_size : int or tuple of {rank} ints
        Number of output cells along each spatial axis.
    data_format : {{None, "channels_last"}}, optional
        Only channels-last, ``{layout}``, is supported.
    **kwargs
        Base-layer arguments.

    Notes
    -----
    Output ``(batch, *output_size, channels)``; windows as in the module docstring.
    """
_LAYOUTS = {1: "(batch, steps, channels)", 2: "(batch, height, width, channels)",
            3: "(batch, depth, height, width, channels)"}


class AdaptiveAveragePooling1D(BaseAdaptivePooling):
    __doc__ = _DOC.format(what="average", name="AdaptiveAveragePooling1D", rank=1,
                          layout=_LAYOUTS[1])

    def __init__(self, output_size: Any, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(1, output_size, data_format, **kwargs)


class AdaptiveAveragePooling2D(BaseAdaptivePooling):
    __doc__ = _DOC.format(what="average", name="AdaptiveAveragePooling2D", rank=2,
                          layout=_LAYOUTS[2])

    def __init__(self, output_size: Any, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(2, output_size, data_format, **kwargs)


class AdaptiveAveragePooling3D(BaseAdaptivePooling):
    __doc__ = _DOC.format(what="average", name="AdaptiveAveragePooling3D", rank=3,
                          layout=_LAYOUTS[3])

    def __init__(self, output_size: Any, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(3, output_size, data_format, **kwargs)


class AdaptiveMaxPooling1D(BaseAdaptivePooling):
    __doc__ = _DOC.format(what="max", name="AdaptiveMaxPooling1D", rank=1, layout=_LAYOUTS[1])
    reduce = "max"

    def __init__(self, output_size: Any, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(1, output_size, data_format, **kwargs)


class AdaptiveMaxPooling2D(BaseAdaptivePooling):
    __doc__ = _DOC.format(what="max", name="AdaptiveMaxPooling2D", rank=2, layout=_LAYOUTS[2])
    reduce = "max"

    def __init__(self, output_size: Any, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(2, output_size, data_format, **kwargs)


class AdaptiveMaxPooling3D(BaseAdaptivePooling):
    __doc__ = _DOC.format(what="max", name="AdaptiveMaxPooling3D", rank=3, layout=_LAYOUTS[3])
    reduce = "max"

    def __init__(self, output_size: Any, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(3, output_size, data_format, **kwargs)
