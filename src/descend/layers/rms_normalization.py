"""``RMSNormalization``: divide by the root mean square, then scale.

    output = x / sqrt(mean(x ** 2, axis) + epsilon) * scale

Examples
--------
>>> import numpy as np
>>> from descend.layers import RMSNormalization
>>> RMSNormalization(epsilon=0.0)(np.array([[1.0, 7.0]], "float32")).data
array([[0.2, 1.4]], dtype=float32)
"""

from __future__ import annotations

from typing import Any

from descend.autograd import Tensor, ops
from descend.layers._spatial import describe
from descend.layers.layer import Layer
from descend.layers.unit_normalization import _axes

__all__ = ["RMSNormalization"]


class RMSNormalization(Layer):
    """Root-mean-square normalization (Keras's ``RMSNormalization``).

    Parameters
    ----------
    axis : int or tuple of int, default -1
        Axis (or axes) of the mean; ``scale`` has their sizes.
    epsilon : float, default 1e-6
        Added to the mean square.
    **kwargs
        Base-layer arguments.

    Notes
    -----
    Input of any shape; output of the same shape. Weight ``scale`` (ones at
    first) of shape ``input_shape[axis]``.
    """

    def __init__(self, axis: Any = -1, epsilon: float = 1e-6, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = _axes(axis, describe(self))
        self.epsilon = float(epsilon)
        self.scale: Any = None

    def build(self, input_shape: tuple) -> None:
        """Create ``scale`` of the shape of the normalised axes."""
        input_shape = tuple(input_shape)
        axes = self.axis if isinstance(self.axis, tuple) else (self.axis,)
        rank = len(input_shape)
        if any(not -rank <= a < rank or a % rank == 0 for a in axes):
            raise ValueError(f"{describe(self)}: `axis`={self.axis} is not a feature axis of "
                             f"input shape {input_shape}.")
        shape = tuple(input_shape[a] for a in sorted(a % rank for a in axes))
        if any(s is None for s in shape):
            raise ValueError(f"{describe(self)}: the normalised axes must have known sizes, "
                             f"received input shape {input_shape}.")
        self._broadcast = tuple(input_shape[a] if a in {b % rank for b in axes} else 1
                                for a in range(1, rank))
        self.scale = self.add_weight(shape=shape, initializer="ones", name="scale")
        self.built = True

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        """``x * rsqrt(mean(x ** 2) + epsilon) * scale``."""
        mean_square = ops.mean(inputs * inputs, axis=self.axis, keepdims=True)
        scale = ops.reshape(self.scale, self._broadcast)
        return inputs / ops.sqrt(mean_square + self.epsilon) * scale

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """The input shape."""
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, Keras's keys."""
        config = super().get_config()
        config.update(axis=self.axis, epsilon=self.epsilon)
        return config
