"""``UnitNormalization``: scale each sample to unit L2 norm along an axis.

    output = x / max(sqrt(sum(x ** 2, axis)), 1e-12)

Examples
--------
>>> import numpy as np
>>> from descend.layers import UnitNormalization
>>> UnitNormalization()(np.array([[3.0, 4.0]], "float32")).data
array([[0.6, 0.8]], dtype=float32)
"""

from __future__ import annotations

from typing import Any

from descend.autograd import Tensor, ops
from descend.layers._spatial import describe
from descend.layers.layer import Layer

__all__ = ["UnitNormalization"]


def _axes(axis: Any, owner: str) -> int | tuple[int, ...]:
    if isinstance(axis, (list, tuple)):
        if not all(isinstance(a, int) and not isinstance(a, bool) for a in axis):
            raise TypeError(f"{owner}: `axis` must be an int or a tuple of ints, received "
                            f"axis={axis!r}.")
        return tuple(axis)
    if isinstance(axis, int) and not isinstance(axis, bool):
        return axis
    raise TypeError(f"{owner}: `axis` must be an int or a tuple of ints, received axis={axis!r}.")


class UnitNormalization(Layer):
    """Unit-norm normalization (Keras's ``UnitNormalization``).

    Parameters
    ----------
    axis : int or tuple of int, default -1
        Axis (or axes) over which each norm is taken.
    **kwargs
        Base-layer arguments.

    Notes
    -----
    Input of any shape; output of the same shape. The norm is floored at 1e-12.
    """

    #: Keras 3: the mask of the input passes through to the output
    supports_masking = True

    def __init__(self, axis: Any = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = _axes(axis, describe(self))

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        """``x / max(||x||, 1e-12)`` along ``axis``."""
        square_sum = ops.sum(inputs * inputs, axis=self.axis, keepdims=True)
        return inputs / ops.sqrt(ops.maximum(square_sum, 1e-24))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """The input shape."""
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, Keras's keys."""
        config = super().get_config()
        config["axis"] = self.axis
        return config
