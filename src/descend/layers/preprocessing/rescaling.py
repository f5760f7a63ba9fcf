"""``Rescaling``: ``output = inputs * scale + offset`` inside the model.

Typical use: ``Rescaling(1 / 255)`` maps pixels 0..255 to [0, 1]; ``Rescaling(1 / 127.5,
offset=-1)`` to [-1, 1]. ``scale`` and ``offset`` may be numbers or sequences that broadcast
against the last axis (one value per channel). Gradients pass through (it is an engine
multiply and add).

Examples
--------
>>> import numpy as np
>>> from descend.layers import Rescaling
>>> Rescaling(1 / 255)(np.array([[0.0, 255.0]])).data
array([[0., 1.]], dtype=float32)
>>> Rescaling(2.0, offset=-1.0)(np.array([[0.5, 1.0]])).data
array([[0., 1.]], dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.autograd import Tensor
from descend.autograd import ops as E
from descend.layers.layer import Layer
from descend.layers.preprocessing._base import bad_value


def _as_number_or_list(layer: Layer, argument: str, value: Any) -> float | list:
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise bad_value(layer, argument, "a number or a sequence of numbers", value) from None
    if array.ndim > 1 or array.size == 0:
        raise bad_value(layer, argument, "a number or a 1-D sequence of numbers", value)
    return float(array) if array.ndim == 0 else array.tolist()


class Rescaling(Layer):
    """Multiply by ``scale`` and add ``offset``.

    Parameters
    ----------
    scale : float or sequence of float
        Multiplier (one per channel if a sequence, broadcast against the last axis).
    offset : float or sequence of float, default 0.0
        Added after scaling.
    **kwargs
        Base-layer arguments (``name``, ``dtype``...).

    Notes
    -----
    Input shape: any; output shape: the same, dtype the layer's (``float32`` by default).
    """

    #: Keras 3: the mask of the input passes through to the output
    supports_masking = True

    def __init__(self, scale: Any, offset: Any = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scale = _as_number_or_list(self, "scale", scale)
        self.offset = _as_number_or_list(self, "offset", offset)

    def call(self, inputs: Tensor) -> Tensor:
        """``inputs * scale + offset``."""
        dtype = np.dtype(self.dtype)
        scale = Tensor(np.asarray(self.scale, dtype))
        offset = Tensor(np.asarray(self.offset, dtype))
        x = inputs if inputs.dtype == dtype else E.cast(inputs, dtype)
        return E.add(E.mul(x, scale), offset)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """The input shape."""
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Base keys plus ``scale`` and ``offset``."""
        config = super().get_config()
        config.update(scale=self.scale, offset=self.offset)
        return config
