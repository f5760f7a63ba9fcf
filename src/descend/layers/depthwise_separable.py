"""Depthwise and separable convolutions: ``DepthwiseConv1D/2D``, ``SeparableConv1D/2D``.

A *depthwise* convolution convolves every input channel with its own
``depth_multiplier`` kernels, never mixing channels:

    output[b, o, c * depth_multiplier + m] =
        sum_k input[b, o * stride + k * dilation, c] * depthwise_kernel[k, c, m] + bias[...]

A *separable* convolution is a depthwise convolution (no bias) followed by a
pointwise (1x1) convolution that mixes the channels, plus the bias and the
activation: far fewer weights than a full convolution of the same window.
Both run on the grouped-convolution primitive
(:mod:`descend.autograd.ops.grouped_conv`, one group per channel) and the
fused convolution primitive (pointwise step).

Examples
--------
>>> import numpy as np
>>> from descend.layers import DepthwiseConv2D, SeparableConv2D
>>> layer = DepthwiseConv2D(3, depth_multiplier=2)
>>> layer(np.zeros((1, 5, 5, 3), "float32")).shape, layer.kernel.shape
((1, 3, 3, 6), (3, 3, 3, 2))
>>> layer = SeparableConv2D(4, 3, padding="same")
>>> layer(np.zeros((1, 5, 5, 3), "float32")).shape
(1, 5, 5, 4)
>>> layer.depthwise_kernel.shape, layer.pointwise_kernel.shape
((3, 3, 3, 1), (1, 1, 3, 4))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend import activations, constraints, initializers, regularizers
from descend.autograd import Tensor
from descend.autograd.ops import conv as _conv
from descend.autograd.ops import grouped_conv as _grouped
from descend.autograd.ops import movement as _mv
from descend.layers._spatial import (
    check_data_format,
    check_input_rank,
    describe,
    normalize_padding,
    normalize_tuple,
    spatial_names,
)
from descend.layers.layer import Layer

__all__ = ["DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D"]


def _positive_int(value: Any, name: str, owner: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(
            f"{owner}: invalid value for argument `{name}`, expected a strictly positive "
            f"integer, received {name}={value!r}."
        )
    return int(value)


class BaseDepthwiseConv(Layer):
    """Shared geometry and depthwise step of the depthwise and separable convolutions."""

    def __init__(self, rank: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 depth_multiplier: int = 1, data_format: str | None = None,
                 dilation_rate: Any = 1, activation: Any = None, use_bias: bool = True,
                 depthwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 depthwise_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, depthwise_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        owner = describe(self)
        self.rank = rank
        self.depth_multiplier = _positive_int(depth_multiplier, "depth_multiplier", owner)
        self.kernel_size = normalize_tuple(kernel_size, rank, "kernel_size", owner)
        self.strides = normalize_tuple(strides, rank, "strides", owner)
        self.dilation_rate = normalize_tuple(dilation_rate, rank, "dilation_rate", owner)
        self.padding = normalize_padding(padding, owner, ("valid", "same"))
        self.data_format = check_data_format(data_format, owner, rank)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{owner}: `strides > 1` not supported in conjunction with `dilation_rate > 1`. "
                f"Received: strides={self.strides} and dilation_rate={self.dilation_rate}."
            )
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.bias: Any = None

    def _output_spatial(self, shape: tuple) -> tuple[int | None, ...]:
        out = []
        for axis, (n, k, s, d) in enumerate(zip(tuple(shape)[1:-1], self.kernel_size,
                                                self.strides, self.dilation_rate, strict=True)):
            size = _conv.output_size(n, k, s, d, self.padding)
            if size is not None and size < 1:
                raise ValueError(
                    f"{describe(self)}: the kernel size {k} (dilation {d}) is larger than the "
                    f"input along {spatial_names(self.rank)[axis]} (size {n}) of input shape "
                    f"{tuple(shape)}; use padding='same' or a smaller kernel_size."
                )
            out.append(size)
        return tuple(out)

    def _channels(self, input_shape: tuple) -> int:
        input_shape = tuple(input_shape)
        check_input_rank(input_shape, self.rank, describe(self), warn=True)
        if input_shape[-1] is None:
            raise ValueError(
                f"{describe(self)}: the channel axis (last) of the input must be known, "
                f"received input shape {input_shape}."
            )
        self._output_spatial(input_shape)
        return int(input_shape[-1])

    def _add_depthwise(self, channels: int, name: str) -> Any:
        return self.add_weight(
            shape=(*self.kernel_size, channels, self.depth_multiplier),
            initializer=self.depthwise_initializer, name=name,
            regularizer=self.depthwise_regularizer, constraint=self.depthwise_constraint)

    def _check_input(self, inputs: Any) -> None:
        shape = tuple(inputs.shape)
        check_input_rank(shape, self.rank, describe(self))
        channels = self._depthwise.shape[-2]
        if shape[-1] != channels:
            raise ValueError(
                f"Input 0 of layer '{self.name}' is incompatible with the layer: expected axis "
                f"-1 of input shape to have value {channels}, but received input with shape "
                f"{shape}."
            )
        self._output_spatial(shape)

    def depthwise(self, inputs: Tensor, bias: Any = None) -> Tensor:
        """Depthwise step: one group per channel, ``depth_multiplier`` filters each."""
        kernel = self._depthwise
        channels = kernel.shape[-2]
        flat = _mv.Reshape.apply(kernel, shape=(*self.kernel_size, 1,
                                                channels * self.depth_multiplier))
        return _grouped.grouped_conv(inputs, flat, bias, groups=channels, strides=self.strides,
                                     padding=self.padding, dilation_rate=self.dilation_rate)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, Keras's keys."""
        config = super().get_config()
        config.update(
            depth_multiplier=self.depth_multiplier, kernel_size=self.kernel_size,
            strides=self.strides, padding=self.padding, data_format=self.data_format,
            dilation_rate=self.dilation_rate, activation=activations.serialize(self.activation),
            use_bias=self.use_bias,
            depthwise_initializer=initializers.serialize(self.depthwise_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
            depthwise_regularizer=regularizers.serialize(self.depthwise_regularizer),
            bias_regularizer=regularizers.serialize(self.bias_regularizer),
            activity_regularizer=regularizers.serialize(self.activity_regularizer),
            depthwise_constraint=constraints.serialize(self.depthwise_constraint),
            bias_constraint=constraints.serialize(self.bias_constraint),
        )
        return config


class BaseDepthwiseOnly(BaseDepthwiseConv):
    """``DepthwiseConv1D``/``DepthwiseConv2D``: weights ``kernel`` and ``bias``."""

    def build(self, input_shape: tuple) -> None:
        """Create ``kernel`` ``(*kernel_size, channels, depth_multiplier)`` and ``bias``."""
        channels = self._channels(input_shape)
        self.kernel = self._add_depthwise(channels, "kernel")
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(channels * self.depth_multiplier,), initializer=self.bias_initializer,
                name="bias", regularizer=self.bias_regularizer,
                constraint=self.bias_constraint)
        self.built = True

    @property
    def _depthwise(self) -> Any:
        return self.kernel

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """``(batch, *out, channels * depth_multiplier)``."""
        input_shape = tuple(input_shape)
        check_input_rank(input_shape, self.rank, describe(self))
        channels = None if input_shape[-1] is None else input_shape[-1] * self.depth_multiplier
        return (input_shape[0], *self._output_spatial(input_shape), channels)

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        """``activation(depthwise_conv(inputs, kernel) + bias)``."""
        return self.activation(self.depthwise(inputs, self.bias))


class BaseSeparableConv(BaseDepthwiseConv):
    """``SeparableConv1D``/``SeparableConv2D``: depthwise, then pointwise, bias, activation."""

    def __init__(self, rank: int, filters: int, kernel_size: Any,
                 pointwise_initializer: Any = "glorot_uniform",
                 pointwise_regularizer: Any = None, pointwise_constraint: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(rank, kernel_size, **kwargs)
        self.filters = _positive_int(filters, "filters", describe(self))
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def build(self, input_shape: tuple) -> None:
        """Create ``depthwise_kernel``, ``pointwise_kernel`` ``(1, ..., channels * m, filters)``
        and ``bias`` ``(filters,)``."""
        channels = self._channels(input_shape)
        self.depthwise_kernel = self._add_depthwise(channels, "depthwise_kernel")
        self.pointwise_kernel = self.add_weight(
            shape=(*(1,) * self.rank, channels * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer, name="pointwise_kernel",
            regularizer=self.pointwise_regularizer, constraint=self.pointwise_constraint)
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.filters,), initializer=self.bias_initializer, name="bias",
                regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self.built = True

    @property
    def _depthwise(self) -> Any:
        return self.depthwise_kernel

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """``(batch, *out, filters)``."""
        input_shape = tuple(input_shape)
        check_input_rank(input_shape, self.rank, describe(self))
        return (input_shape[0], *self._output_spatial(input_shape), self.filters)

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        """``activation(pointwise(depthwise(inputs)) + bias)``."""
        mixed = _conv.conv(self.depthwise(inputs), self.pointwise_kernel, self.bias)
        return self.activation(mixed)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, Keras's keys."""
        config = super().get_config()
        config.update(
            filters=self.filters,
            pointwise_initializer=initializers.serialize(self.pointwise_initializer),
            pointwise_regularizer=regularizers.serialize(self.pointwise_regularizer),
            pointwise_constraint=constraints.serialize(self.pointwise_constraint),
        )
        return config


_COMMON = """
    kernel_size : int or tuple of {rank} ints
    strides : int or tuple of {rank} ints, default 1
    padding : {{{paddings}}}, default "valid"
    depth_multiplier : int, default 1
        Output channels per input channel of the depthwise step.
    data_format : {{None, "channels_last"}}, optional
        Only channels-last, ``{layout}``, is supported.
    dilation_rate : int or tuple of {rank} ints, default 1
    activation : str or callable, optional
    use_bias : bool, default True
    depthwise_initializer : default "glorot_uniform"
    bias_initializer : default "zeros"
    depthwise_regularizer, bias_regularizer, activity_regularizer : optional
    depthwise_constraint, bias_constraint : optional
    **kwargs
        Base-layer arguments.
"""


class DepthwiseConv1D(BaseDepthwiseOnly):
    __doc__ = ("1-D depthwise convolution (Keras's ``DepthwiseConv1D``).\n\n    Parameters\n"
               "    ----------" + _COMMON.format(rank=1, paddings='"valid", "same"',
                                                 layout="(batch, steps, channels)") +
               "\n    Notes\n    -----\n    Weights ``kernel`` ``(kernel_size, channels, "
               "depth_multiplier)`` and ``bias`` ``(channels * depth_multiplier,)``.\n")

    def __init__(self, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 depth_multiplier: int = 1, data_format: str | None = None,
                 dilation_rate: Any = 1, activation: Any = None, use_bias: bool = True,
                 depthwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 depthwise_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, depthwise_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(1, kernel_size, strides, padding, depth_multiplier, data_format,
                         dilation_rate, activation, use_bias, depthwise_initializer,
                         bias_initializer, depthwise_regularizer, bias_regularizer,
                         activity_regularizer, depthwise_constraint, bias_constraint, **kwargs)


class DepthwiseConv2D(BaseDepthwiseOnly):
    __doc__ = ("2-D depthwise convolution (Keras's ``DepthwiseConv2D``).\n\n    Parameters\n"
               "    ----------" + _COMMON.format(rank=2, paddings='"valid", "same"',
                                                 layout="(batch, height, width, channels)") +
               "\n    Notes\n    -----\n    Weights ``kernel`` ``(*kernel_size, channels, "
               "depth_multiplier)`` and ``bias`` ``(channels * depth_multiplier,)``.\n")

    def __init__(self, kernel_size: Any, strides: Any = (1, 1), padding: str = "valid",
                 depth_multiplier: int = 1, data_format: str | None = None,
                 dilation_rate: Any = (1, 1), activation: Any = None, use_bias: bool = True,
                 depthwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 depthwise_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, depthwise_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(2, kernel_size, strides, padding, depth_multiplier, data_format,
                         dilation_rate, activation, use_bias, depthwise_initializer,
                         bias_initializer, depthwise_regularizer, bias_regularizer,
                         activity_regularizer, depthwise_constraint, bias_constraint, **kwargs)


_SEPARABLE = """
    filters : int
        Output channels of the pointwise step."""


class SeparableConv1D(BaseSeparableConv):
    __doc__ = ("1-D separable convolution (Keras's ``SeparableConv1D``).\n\n    Parameters\n"
               "    ----------" + _SEPARABLE + _COMMON.format(
                   rank=1, paddings='"valid", "same"',
                   layout="(batch, steps, channels)") +
               "    pointwise_initializer, pointwise_regularizer, pointwise_constraint\n"
               "        Of ``pointwise_kernel`` ``(1, channels * depth_multiplier, filters)``.\n")

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1,
                 padding: str = "valid", data_format: str | None = None,
                 dilation_rate: Any = 1, depth_multiplier: int = 1, activation: Any = None,
                 use_bias: bool = True, depthwise_initializer: Any = "glorot_uniform",
                 pointwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 depthwise_regularizer: Any = None, pointwise_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 depthwise_constraint: Any = None, pointwise_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(
            1, filters, kernel_size, pointwise_initializer=pointwise_initializer,
            pointwise_regularizer=pointwise_regularizer,
            pointwise_constraint=pointwise_constraint, strides=strides, padding=padding,
            depth_multiplier=depth_multiplier, data_format=data_format,
            dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
            depthwise_initializer=depthwise_initializer, bias_initializer=bias_initializer,
            depthwise_regularizer=depthwise_regularizer, bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer, depthwise_constraint=depthwise_constraint,
            bias_constraint=bias_constraint, **kwargs)


class SeparableConv2D(BaseSeparableConv):
    __doc__ = ("2-D separable convolution (Keras's ``SeparableConv2D``).\n\n    Parameters\n"
               "    ----------" + _SEPARABLE + _COMMON.format(
                   rank=2, paddings='"valid", "same"',
                   layout="(batch, height, width, channels)") +
               "    pointwise_initializer, pointwise_regularizer, pointwise_constraint\n"
               "        Of ``pointwise_kernel``\n"
               "        ``(1, 1, channels * depth_multiplier, filters)``.\n")

    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1),
                 padding: str = "valid", data_format: str | None = None,
                 dilation_rate: Any = (1, 1), depth_multiplier: int = 1, activation: Any = None,
                 use_bias: bool = True, depthwise_initializer: Any = "glorot_uniform",
                 pointwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 depthwise_regularizer: Any = None, pointwise_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 depthwise_constraint: Any = None, pointwise_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(
            2, filters, kernel_size, pointwise_initializer=pointwise_initializer,
            pointwise_regularizer=pointwise_regularizer,
            pointwise_constraint=pointwise_constraint, strides=strides, padding=padding,
            depth_multiplier=depth_multiplier, data_format=data_format,
            dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
            depthwise_initializer=depthwise_initializer, bias_initializer=bias_initializer,
            depthwise_regularizer=depthwise_regularizer, bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer, depthwise_constraint=depthwise_constraint,
            bias_constraint=bias_constraint, **kwargs)
