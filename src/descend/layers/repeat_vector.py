"""``RepeatVector``: repeat each input vector ``n`` times along a new time axis.

Examples
--------
>>> import numpy as np
>>> from descend.layers import RepeatVector
>>> RepeatVector(3)(np.array([[1.0, 2.0]], "float32")).data
array([[[1., 2.],
        [1., 2.],
        [1., 2.]]], dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.autograd import Tensor, ops
from descend.layers._spatial import describe
from descend.layers.layer import Layer

__all__ = ["RepeatVector"]


class RepeatVector(Layer):
    """Repeat the input ``n`` times (Keras's ``RepeatVector``).

    Parameters
    ----------
    n : int
        Number of repetitions; positive.
    **kwargs
        Base-layer arguments.

    Notes
    -----
    Input ``(batch, features)``; output ``(batch, n, features)``. The gradient
    sums over the repetitions.
    """

    def __init__(self, n: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise TypeError(
                f"{describe(self)}: expected an integer value for `n` (>= 1), received "
                f"n={n!r} of type {type(n).__name__}."
            )
        self.n = int(n)

    def _check_rank(self, shape: tuple) -> None:
        if len(shape) != 2:
            raise ValueError(
                f"{describe(self)} expects a 2-D input (batch, features), received shape "
                f"{shape}; flatten it first (Flatten() or Reshape)."
            )

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """``(batch, n, features)``."""
        input_shape = tuple(input_shape)
        self._check_rank(input_shape)
        return (input_shape[0], self.n, input_shape[1])

    def _check_input(self, inputs: Any) -> None:
        self._check_rank(tuple(inputs.shape))

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        """Broadcast ``(batch, 1, features)`` to ``(batch, n, features)``."""
        expanded = ops.expand_dims(inputs, 1)
        return ops.broadcast_to(expanded, (inputs.shape[0], self.n, inputs.shape[1]))

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, Keras's keys."""
        config = super().get_config()
        config["n"] = self.n
        return config
