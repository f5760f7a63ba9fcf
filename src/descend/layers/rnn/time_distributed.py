"""``TimeDistributed``: apply one layer to every time step of a sequence.

Examples
--------
>>> import numpy as np
>>> from descend.layers import Dense, TimeDistributed
>>> layer = TimeDistributed(Dense(4))
>>> layer(np.ones((2, 5, 3), "float32")).shape
(2, 5, 4)
>>> layer.layer.kernel.shape  # one set of weights, shared by the steps
(3, 4)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.autograd import Tensor, ops
from descend.layers import _masks
from descend.layers.layer import Layer, call_accepts_training
from descend.layers.serialization import deserialize_layer, serialize_layer
from descend.layers.wrapper import Wrapper

__all__ = ["TimeDistributed"]


class TimeDistributed(Wrapper):
    """Apply ``layer`` to each step ``inputs[:, t]`` with the same weights.

    Parameters
    ----------
    layer : Layer
        Applied to inputs of shape ``(batch,) + inputs.shape[2:]``.
    **kwargs
        Base-layer arguments.

    Notes
    -----
    Input ``(batch, steps, ...)``; output ``(batch, steps) + layer's output
    shape[1:]``. As in Keras the layer is called once per step (so a
    ``BatchNormalization`` inside sees per-step batches). A mask (batch, steps)
    is passed on unchanged, and to the inner layer (``mask[:, t]``) if its
    ``call`` takes one.
    """

    supports_masking = True

    def __init__(self, layer: Layer, **kwargs: Any) -> None:
        super().__init__(layer, **kwargs)

    def _step_shape(self, input_shape: Any) -> tuple:
        shape = tuple(input_shape)
        if len(shape) < 3:
            raise ValueError(
                f"Layer '{self.name}' (TimeDistributed) expects inputs of shape (batch, steps, "
                f"...) with at least 3 axes, received shape {shape}."
            )
        return (shape[0], *shape[2:])

    def build(self, input_shape: Any) -> None:
        """Build the inner layer for one step."""
        if not self.layer.built:
            self.layer._maybe_build(self._step_shape(input_shape))
        self.built = True

    def _check_input(self, inputs: Any) -> None:
        self._step_shape(inputs.shape)

    def call(self, inputs: Tensor, training: bool = False, mask: Any = None) -> Tensor:
        """Stack of ``layer(inputs[:, t])`` over the steps, shape (batch, steps, ...)."""
        if mask is not None:
            mask = np.asarray(getattr(mask, "data", mask))
            if mask.ndim < 2 or mask.shape[:2] != tuple(inputs.shape[:2]):
                raise ValueError(
                    f"The `mask` passed to the `TimeDistributed` layer '{self.name}' has a "
                    f"shape {mask.shape} that is incompatible with the input shape "
                    f"{tuple(inputs.shape)}: its first two dimensions must be (batch, steps) "
                    f"= {tuple(inputs.shape[:2])}."
                )
        inner = self.layer
        takes_mask = _masks.mask_aware(inner)[0]
        takes_training = call_accepts_training(inner)
        outputs = []
        for t in range(inputs.shape[1]):
            kwargs: dict[str, Any] = {}
            if takes_mask and mask is not None:
                kwargs["mask"] = mask[:, t]
            if takes_training:
                kwargs["training"] = training
            outputs.append(inner.call(inputs[:, t], **kwargs))
        return ops.stack(outputs, axis=1)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        """``(batch, steps) + layer.compute_output_shape(step shape)[1:]``."""
        step = tuple(self.layer.compute_output_shape(self._step_shape(input_shape)))
        return (tuple(input_shape)[0], tuple(input_shape)[1], *step[1:])

    def get_config(self) -> dict[str, Any]:
        """Keras's keys: the serialized ``layer``."""
        config = super().get_config()
        config["layer"] = serialize_layer(self.layer)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: dict | None = None
                    ) -> TimeDistributed:
        """Recreate the inner layer, then the wrapper."""
        config = dict(config)
        layer = deserialize_layer(config.pop("layer"), custom_objects)
        return cls(layer, **config)
