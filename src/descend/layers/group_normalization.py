"""``GroupNormalization``: normalise each sample over groups of channels.

The channels are split into ``groups`` consecutive blocks; for every sample and
block, the values of all positions and channels of the block are standardised
by their own mean and variance, then each channel is scaled by ``gamma`` and
shifted by ``beta``:

    output = (x - mean_group) / sqrt(var_group + epsilon) * gamma + beta

Unlike batch normalization it does not depend on the batch (so training and
inference compute the same thing). ``groups=1`` normalises over all channels;
``groups=channels`` is instance normalization.

Examples
--------
>>> import numpy as np
>>> from descend.layers import GroupNormalization
>>> x = np.array([[[1.0, 3.0, 10.0, 30.0]]], "float32")
>>> GroupNormalization(groups=2, epsilon=0.0)(x).data.round(3)
array([[[-1.,  1., -1.,  1.]]], dtype=float32)
"""

from __future__ import annotations

from typing import Any

from descend import constraints, initializers, regularizers
from descend.autograd import Tensor, ops
from descend.layers._spatial import describe
from descend.layers.layer import Layer

__all__ = ["GroupNormalization"]


class GroupNormalization(Layer):
    """Group normalization (Keras's ``GroupNormalization``).

    Parameters
    ----------
    groups : int, default 32
        Number of channel groups; must divide the number of channels. -1 means
        one group per channel (instance normalization).
    axis : int, default -1
        The channel axis.
    epsilon : float, default 1e-3
        Added to the variance.
    center : bool, default True
        Learn the offset ``beta``.
    scale : bool, default True
        Learn the factor ``gamma``.
    beta_initializer, gamma_initializer : default "zeros" and "ones"
    beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint : optional
    **kwargs
        Base-layer arguments.

    Notes
    -----
    Input of any shape with at least 2 axes; output of the same shape. Weights
    ``gamma`` then ``beta``, each ``(channels,)``.
    """

    #: Keras 3: the mask of the input passes through to the output
    supports_masking = True

    def __init__(self, groups: int = 32, axis: int = -1, epsilon: float = 1e-3,
                 center: bool = True, scale: bool = True, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", beta_regularizer: Any = None,
                 gamma_regularizer: Any = None, beta_constraint: Any = None,
                 gamma_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(groups, bool) or not isinstance(groups, int) or (groups < 1 and
                                                                       groups != -1):
            raise ValueError(
                f"{describe(self)}: `groups` must be a positive int (or -1 for one group per "
                f"channel), received groups={groups!r}."
            )
        self.groups = groups
        self.axis = int(axis)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.gamma: Any = None
        self.beta: Any = None

    def build(self, input_shape: tuple) -> None:
        """Check the groups divide the channels; create ``gamma`` and ``beta``."""
        input_shape = tuple(input_shape)
        rank = len(input_shape)
        if not -rank <= self.axis < rank or self.axis % rank == 0:
            raise ValueError(
                f"{describe(self)}: `axis`={self.axis} is not a feature axis of input shape "
                f"{input_shape}."
            )
        channels = input_shape[self.axis]
        if channels is None:
            raise ValueError(
                f"{describe(self)}: axis {self.axis} of the input must have a known size, "
                f"received input shape {input_shape}."
            )
        if self.groups == -1:
            self.groups = channels
        if channels < self.groups:
            raise ValueError(
                f"{describe(self)}: the number of groups ({self.groups}) cannot be more than the "
                f"number of channels ({channels}); pass groups <= {channels}."
            )
        if channels % self.groups:
            raise ValueError(
                f"{describe(self)}: the number of groups ({self.groups}) must be a divisor of "
                f"the number of channels ({channels})."
            )
        if self.scale:
            self.gamma = self.add_weight(shape=(channels,), initializer=self.gamma_initializer,
                                         name="gamma", regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight(shape=(channels,), initializer=self.beta_initializer,
                                        name="beta", regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint)
        self.built = True

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        """Standardise per sample and group, then scale and shift per channel."""
        rank = inputs.ndim
        axis = self.axis % rank
        x = inputs if axis == rank - 1 else ops.transpose(
            inputs, (*[a for a in range(rank) if a != axis], axis))
        channels = x.shape[-1]
        grouped = ops.reshape(x, (*x.shape[:-1], self.groups, channels // self.groups))
        reduce_axes = (*range(1, rank - 1), rank)
        mean = ops.mean(grouped, axis=reduce_axes, keepdims=True)
        centred = grouped - mean
        variance = ops.mean(centred * centred, axis=reduce_axes, keepdims=True)
        out = ops.reshape(centred / ops.sqrt(variance + self.epsilon), x.shape)
        if self.scale:
            out = out * self.gamma
        if self.center:
            out = out + self.beta
        if axis != rank - 1:
            order = list(range(rank - 1))
            order.insert(axis, rank - 1)
            out = ops.transpose(out, tuple(order))
        return out

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """The input shape."""
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, Keras's keys."""
        config = super().get_config()
        config.update(
            groups=self.groups, axis=self.axis, epsilon=self.epsilon, center=self.center,
            scale=self.scale, beta_initializer=initializers.serialize(self.beta_initializer),
            gamma_initializer=initializers.serialize(self.gamma_initializer),
            beta_regularizer=regularizers.serialize(self.beta_regularizer),
            gamma_regularizer=regularizers.serialize(self.gamma_regularizer),
            beta_constraint=constraints.serialize(self.beta_constraint),
            gamma_constraint=constraints.serialize(self.gamma_constraint),
        )
        return config
