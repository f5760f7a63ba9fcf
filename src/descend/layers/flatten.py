"""``Flatten``: turn each sample into a vector, keeping the batch axis.

Examples
--------
>>> import numpy as np
>>> from descend.layers import Flatten
>>> Flatten()(np.zeros((2, 28, 28, 1), dtype="float32")).shape
(2, 784)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.autograd import Tensor
from descend.autograd.ops import movement as _mv
from descend.layers.layer import Layer


class Flatten(Layer):
    """Flatten the input to ``(batch, prod(other axes))``.

    Parameters
    ----------
    data_format : {"channels_last", "channels_first"}, optional
        With ``"channels_first"`` the input is first moved to channels-last, so
        that the flattened order matches Keras's.
    **kwargs
        Base-layer arguments.

    Notes
    -----
    An input of shape ``(batch,)`` becomes ``(batch, 1)``.
    """

    def __init__(self, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last", "channels_first"):
            raise ValueError(
                f"Flatten: data_format must be 'channels_last' or 'channels_first', received "
                f"{data_format!r}."
            )
        self.data_format = data_format or "channels_last"

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        """Reshape to ``(batch, -1)``."""
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = _mv.Transpose.apply(inputs, axes=(0, *range(2, inputs.ndim), 1))
        return _mv.Reshape.apply(inputs, shape=(inputs.shape[0], -1))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """``(batch, product of the other axes)`` (None if any is unknown)."""
        rest = tuple(input_shape)[1:]
        size = None if any(s is None for s in rest) else int(np.prod(rest, dtype=np.int64))
        return (input_shape[0], size)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments."""
        config = super().get_config()
        config["data_format"] = self.data_format
        return config
