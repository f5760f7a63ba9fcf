"""``Wrapper``: the base class of layers that wrap another layer.

A wrapper holds one inner layer as ``self.layer``, builds it on the same input,
owns its weights (they appear in the wrapper's ``weights``), and saves it as a
nested config under the ``"layer"`` key. ``SpectralNormalization`` is one.

Examples
--------
>>> import numpy as np
>>> from descend.layers import Dense, Wrapper
>>> class Twice(Wrapper):
...     def call(self, inputs, training=False):
...         return self.layer(inputs) * 2.0
>>> twice = Twice(Dense(3))
>>> twice(np.ones((2, 4), "float32")).shape, len(twice.weights)
((2, 3), 2)
"""

from __future__ import annotations

from typing import Any

from descend.layers.layer import Layer

__all__ = ["Wrapper"]


class Wrapper(Layer):
    """Abstract wrapper around a layer (Keras's ``Wrapper``).

    Parameters
    ----------
    layer : Layer
        The wrapped layer.
    **kwargs
        Base-layer arguments.

    Notes
    -----
    Subclasses implement ``call``; ``build`` builds the inner layer on the
    wrapper's input shape, and ``compute_output_shape`` is the inner layer's.
    """

    def __init__(self, layer: Layer, **kwargs: Any) -> None:
        if not isinstance(layer, Layer):
            raise ValueError(
                f"{type(self).__name__}: the `layer` argument must be a Layer instance, "
                f"received layer={layer!r} (of type {type(layer).__name__})."
            )
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape: Any = None) -> None:
        """Build the wrapped layer on ``input_shape``."""
        if not self.layer.built:
            self.layer._maybe_build(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The wrapped layer's output shape."""
        return self.layer.compute_output_shape(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Base arguments plus the wrapped layer's full config under ``"layer"``."""
        from descend.layers.serialization import serialize_layer

        config = super().get_config()
        config["layer"] = serialize_layer(self.layer)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Wrapper:
        """Create the wrapper, deserialising the wrapped layer first."""
        from descend.layers.serialization import deserialize_layer

        config = dict(config)
        config["layer"] = deserialize_layer(config["layer"], custom_objects)
        return cls(**config)
