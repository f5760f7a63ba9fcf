"""``Identity``: a placeholder layer that returns its input unchanged.

Examples
--------
>>> import numpy as np
>>> from descend.layers import Identity
>>> Identity()(np.array([[1.0, 2.0]], "float32")).data
array([[1., 2.]], dtype=float32)
"""

from __future__ import annotations

from typing import Any

from descend.autograd import Tensor
from descend.layers.layer import Layer

__all__ = ["Identity"]


class Identity(Layer):
    """Return the input unchanged (Keras's ``Identity``).

    Parameters
    ----------
    **kwargs
        Base-layer arguments.
    """

    #: Keras 3: the mask of the input passes through to the output
    supports_masking = True

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        """``inputs``."""
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The input shape."""
        return input_shape
