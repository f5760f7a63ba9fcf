"""Core layers: ``Dense`` (weighted sum plus bias, then an activation) and ``Activation``.

A dense layer is what the course "How a Neural Network Learns" draws: every
input connects to every unit by a weight; each unit adds its bias to the
weighted sum of its inputs and passes the result through an activation function:

    output = activation(inputs @ kernel + bias)

``Dropout`` and ``Flatten`` are re-exported here for code written against the
Keras 2 module layout (``from keras.layers.core import Dense, Dropout``).

Examples
--------
>>> import numpy as np
>>> from descend.layers import Dense
>>> layer = Dense(units=16, activation="relu")
>>> layer(np.zeros((2, 1), dtype="float32")).shape
(2, 16)
>>> layer.kernel.shape, layer.bias.shape
((1, 16), (16,))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend import activations, constraints, initializers, regularizers
from descend.autograd import Tensor
from descend.autograd.ops import nn as _nn
from descend.layers.dropout import Dropout
from descend.layers.flatten import Flatten
from descend.layers.fusion import FusionSpec, fused_activation_name
from descend.layers.layer import Layer

__all__ = ["Activation", "Dense", "Dropout", "Flatten"]


class Dense(Layer):
    """Densely connected layer: ``activation(inputs @ kernel + bias)``.

    Parameters
    ----------
    units : int
        Number of units (the size of the output's last axis); positive.
    activation : str or callable, optional
        Activation applied to the weighted sums (default None: linear).
    use_bias : bool, default True
    kernel_initializer : str or Initializer, default "glorot_uniform"
    bias_initializer : str or Initializer, default "zeros"
    kernel_regularizer, bias_regularizer, activity_regularizer : optional
        Penalties added to the training loss.
    kernel_constraint, bias_constraint : str, Constraint or callable, optional
        Applied to the weights after each optimizer step (``"non_neg"``,
        ``MaxNorm(3)``...; see :mod:`descend.constraints`).
    **kwargs
        Base-layer arguments (``name``, ``trainable``, ``dtype``, legacy
        ``input_shape``/``input_dim``).

    Notes
    -----
    Input shape ``(batch, ..., input_dim)``; output ``(batch, ..., units)``.
    Weights: ``kernel`` ``(input_dim, units)`` and ``bias`` ``(units,)``. With
    ``relu``, ``sigmoid``, ``tanh``, ``softmax`` or linear activation the layer
    runs as one fused primitive (one graph node).
    """

    #: Keras 3: the mask of the input passes through to the output
    supports_masking = True

    def __init__(
        self,
        units: int,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        for key in ("lora_rank", "lora_alpha", "quantization_config"):
            if kwargs.pop(key, None) is not None:
                raise ValueError(f"Dense: `{key}` is not supported by descend.")
        super().__init__(**kwargs)
        if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units <= 0:
            raise ValueError(
                "Received an invalid value for `units`, expected a positive integer. "
                f"Received: units={units!r} (layer '{self.name}')."
            )
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self._fused = fused_activation_name(self.activation)
        self.kernel: Any = None
        self.bias: Any = None

    def build(self, input_shape: tuple) -> None:
        """Create ``kernel`` (input_dim, units) and ``bias`` (units,)."""
        if len(input_shape) < 2 or input_shape[-1] is None:
            raise ValueError(
                f"Layer '{self.name}' (Dense) expects inputs of shape (batch, ..., features) "
                f"with a known last axis, received shape {tuple(input_shape)}. Add a Flatten "
                "layer before it for images, or reshape 1-D data with x.reshape(-1, 1)."
            )
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.units), initializer=self.kernel_initializer,
            name="kernel", regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.units,), initializer=self.bias_initializer, name="bias",
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
            )
        self.built = True

    def _check_input(self, inputs: Any) -> None:
        shape = inputs.shape
        if len(shape) < 2 or shape[-1] != self.kernel.shape[0]:
            raise ValueError(
                f"Input 0 of layer '{self.name}' is incompatible with the layer: expected axis "
                f"-1 of input shape to have value {self.kernel.shape[0]}, but received input "
                f"with shape {tuple(shape)}."
            )

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        """``activation(inputs @ kernel + bias)``."""
        fused = self._fused
        if self.bias is None:
            out = _nn.Dense.apply(inputs, self.kernel, activation=fused or "linear")
        else:
            out = _nn.Dense.apply(inputs, self.kernel, self.bias, activation=fused or "linear")
        if fused is None:
            out = self.activation(out)
        return out

    def fusion_spec(self) -> FusionSpec | None:
        """``FusionSpec("dense", activation)`` when the plan may fuse this layer, else None.

        None for an activation outside the fused list, an activity regularizer,
        or a subclass that overrides ``call`` (see :mod:`descend.layers.fusion`).
        """
        if self._fused is None or self.activity_regularizer is not None or \
                type(self).call is not Dense.call:
            return None
        return FusionSpec("dense", self._fused)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """``(*input_shape[:-1], units)``."""
        return (*tuple(input_shape)[:-1], self.units)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, Keras's keys."""
        config = super().get_config()
        config.update(
            units=self.units,
            activation=activations.serialize(self.activation),
            use_bias=self.use_bias,
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
            kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
            bias_regularizer=regularizers.serialize(self.bias_regularizer),
            activity_regularizer=regularizers.serialize(self.activity_regularizer),
            kernel_constraint=constraints.serialize(self.kernel_constraint),
            bias_constraint=constraints.serialize(self.bias_constraint),
        )
        return config


class Activation(Layer):
    """Apply an activation function to its input.

    Parameters
    ----------
    activation : str or callable
        E.g. ``"relu"`` or ``descend.activations.sigmoid``.
    **kwargs
        Base-layer arguments.

    Notes
    -----
    The output has the input's shape.
    """

    #: Keras 3: the mask of the input passes through to the output
    supports_masking = True

    def __init__(self, activation: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        """``activation(inputs)``."""
        return self.activation(inputs)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """The input shape, unchanged."""
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments."""
        config = super().get_config()
        config["activation"] = activations.serialize(self.activation)
        return config
