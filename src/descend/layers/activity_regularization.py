"""``ActivityRegularization``: add an L1/L2 penalty on the activations passing through.

The layer is the identity on its input; when called it adds
``(l1 * sum(|x|) + l2 * sum(x ** 2)) / batch_size`` to the model's losses
(Keras's ``activity_regularizer``, as a layer).

Examples
--------
>>> import numpy as np
>>> from descend.layers import ActivityRegularization
>>> layer = ActivityRegularization(l1=0.5)
>>> _ = layer(np.array([[1.0, -2.0]], "float32"))
>>> float(layer.losses[0].data)
1.5
"""

from __future__ import annotations

from typing import Any

from descend import regularizers
from descend.autograd import Tensor
from descend.layers._spatial import describe
from descend.layers.layer import Layer

__all__ = ["ActivityRegularization"]


class ActivityRegularization(Layer):
    """Identity layer that penalises its activations (Keras's ``ActivityRegularization``).

    Parameters
    ----------
    l1 : float, default 0.0
    l2 : float, default 0.0
    **kwargs
        Base-layer arguments.

    Notes
    -----
    Input of any shape; output unchanged. After a call ``layer.losses`` holds
    the penalty summed over the batch and divided by the batch size (Keras 3's
    rule for every activity regularizer).
    """

    #: Keras 3: the mask of the input passes through to the output
    supports_masking = True

    def __init__(self, l1: float = 0.0, l2: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for name, value in (("l1", l1), ("l2", l2)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(
                    f"{describe(self)}: `{name}` must be a float >= 0, received "
                    f"{name}={value!r}."
                )
        self.l1 = float(l1)
        self.l2 = float(l2)
        self.activity_regularizer = regularizers.L1L2(l1=self.l1, l2=self.l2)

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        """Return ``inputs`` (``Layer.__call__`` records the penalty)."""
        return inputs

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """The input shape."""
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, Keras's keys."""
        config = super().get_config()
        config.update(l1=self.l1, l2=self.l2)
        return config
