"""Convolution layers: ``Conv1D``, ``Conv2D`` and ``Conv3D`` (channels-last).

A convolution slides a small kernel over the input's spatial axes; at every
position each filter takes the weighted sum of the window it covers, across all
input channels, adds its bias and applies the activation:

    output[b, o, f] = activation(sum_{k, c} input[b, o * stride + k * dilation, c]
                                 * kernel[k, c, f] + bias[f])

(``o`` and ``k`` run over the spatial axes; ``"same"``/``"causal"`` padding
adds zeros first). The whole layer is one fused engine primitive
(:class:`descend.autograd.ops.conv.Conv`: im2col and one matrix product).

Output sizes (Keras): ``floor((size - dilation * (kernel - 1) - 1) / stride) + 1``
with ``padding="valid"``, ``ceil(size / stride)`` with ``"same"`` (and
``"causal"``, Conv1D only).

Examples
--------
>>> import numpy as np
>>> from descend.layers.convolutional import Conv2D
>>> layer = Conv2D(8, 3, activation="relu")
>>> layer(np.zeros((2, 28, 28, 1), dtype="float32")).shape
(2, 26, 26, 8)
>>> layer.kernel.shape, layer.bias.shape
((3, 3, 1, 8), (8,))
>>> layer.compute_output_shape((None, 28, 28, 1))
(None, 26, 26, 8)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend import activations, constraints, initializers, regularizers
from descend.autograd import Tensor
from descend.autograd.ops import conv as _conv
from descend.autograd.ops import grouped_conv as _grouped
from descend.layers._spatial import (
    channels_first_hint,
    check_data_format,
    check_input_rank,
    describe,
    normalize_padding,
    normalize_tuple,
    spatial_names,
)
from descend.layers.fusion import FusionSpec, fused_activation_name
from descend.layers.layer import Layer

__all__ = ["Conv1D", "Conv2D", "Conv3D"]


class BaseConv(Layer):
    """Shared implementation of ``Conv1D``/``Conv2D``/``Conv3D`` (``rank`` spatial axes).

    Parameters are those of :class:`Conv2D`, plus ``rank``.
    """

    def __init__(
        self,
        rank: int,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = 1,
        groups: int = 1,
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
        super().__init__(**kwargs)
        owner = describe(self)
        self.rank = rank
        if isinstance(filters, bool) or not isinstance(filters, (int, np.integer)) \
                or filters <= 0:
            raise ValueError(
                f"{owner}: invalid value for argument `filters`, expected a strictly positive "
                f"integer (the number of output channels), received filters={filters!r}."
            )
        if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
            raise ValueError(
                f"{owner}: invalid value for argument `groups`, expected a positive integer, "
                f"received groups={groups!r}."
            )
        if filters % groups:
            raise ValueError(
                f"{owner}: the number of filters must be evenly divisible by the number of "
                f"groups, received groups={groups}, filters={filters}."
            )
        self.filters = int(filters)
        self.groups = int(groups)
        self.kernel_size = normalize_tuple(kernel_size, rank, "kernel_size", owner)
        self.strides = normalize_tuple(strides, rank, "strides", owner)
        self.dilation_rate = normalize_tuple(dilation_rate, rank, "dilation_rate", owner)
        allowed = ("valid", "same", "causal") if rank == 1 else ("valid", "same")
        self.padding = normalize_padding(padding, owner, allowed)
        self.data_format = check_data_format(data_format, owner, rank)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{owner}: `strides > 1` not supported in conjunction with `dilation_rate > 1`. "
                f"Received: strides={self.strides} and dilation_rate={self.dilation_rate}."
            )
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

    # ------------------------------------------------------------- shapes
    def _output_spatial(self, shape: tuple) -> tuple[int | None, ...]:
        """Output sizes of the spatial axes of ``shape``; raises when the kernel does not fit."""
        out = []
        for axis, (n, k, s, d) in enumerate(zip(shape[1:-1], self.kernel_size, self.strides,
                                                self.dilation_rate, strict=True)):
            size = _conv.output_size(n, k, s, d, self.padding)
            if size is not None and size < 1:
                dilated = d * (k - 1) + 1
                extent = f"{k} (dilated to {dilated})" if d > 1 else f"{k}"
                raise ValueError(
                    f"{describe(self)}: the kernel size {extent} is larger than the input "
                    f"along {spatial_names(self.rank)[axis]} (size {n}) of input shape "
                    f"{tuple(shape)}; use padding='same' or a smaller kernel_size (or remove a "
                    f"pooling layer before it).{channels_first_hint(tuple(shape), self.rank)}"
                )
            out.append(size)
        return tuple(out)

    def build(self, input_shape: tuple) -> None:
        """Create ``kernel`` ``(*kernel_size, channels, filters)`` and ``bias`` ``(filters,)``."""
        input_shape = tuple(input_shape)
        check_input_rank(input_shape, self.rank, describe(self), warn=True)
        channels = input_shape[-1]
        if channels is None:
            raise ValueError(
                f"{describe(self)}: the channel axis (last) of the input must be known, "
                f"received input shape {input_shape}."
            )
        if channels % self.groups:
            raise ValueError(
                f"{describe(self)}: the number of input channels must be evenly divisible by "
                f"the number of groups, received groups={self.groups}, but the input has "
                f"{channels} channels (input shape {input_shape})."
            )
        self._output_spatial(input_shape)
        self.kernel = self.add_weight(
            shape=(*self.kernel_size, channels // self.groups, self.filters),
            initializer=self.kernel_initializer, name="kernel",
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.filters,), initializer=self.bias_initializer, name="bias",
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
            )
        self.built = True

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """``(batch, *out, filters)`` with Keras's output-size formulas."""
        input_shape = tuple(input_shape)
        check_input_rank(input_shape, self.rank, describe(self))
        return (input_shape[0], *self._output_spatial(input_shape), self.filters)

    def _check_input(self, inputs: Any) -> None:
        shape = tuple(inputs.shape)
        check_input_rank(shape, self.rank, describe(self))
        channels = self.kernel.shape[-2] * self.groups
        if shape[-1] != channels:
            raise ValueError(
                f"Input 0 of layer '{self.name}' is incompatible with the layer: expected axis "
                f"-1 of input shape to have value {channels}, but received input with shape "
                f"{shape}.{channels_first_hint(shape, self.rank)}"
            )
        self._output_spatial(shape)

    # ----------------------------------------------------------- compute
    def convolve(self, inputs: Tensor, activation: str = "linear") -> Tensor:
        """``activation(conv(inputs, kernel) + bias)`` with one of the fused activations."""
        if self.groups > 1:
            out = _grouped.grouped_conv(
                inputs, self.kernel, self.bias, groups=self.groups, strides=self.strides,
                padding=self.padding, dilation_rate=self.dilation_rate)
            return out if activation == "linear" else activations.get(activation)(out)
        return _conv.conv(
            inputs, self.kernel, self.bias, strides=self.strides, padding=self.padding,
            dilation_rate=self.dilation_rate, activation=activation,
        )

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        """``activation(conv(inputs, kernel) + bias)``."""
        fused = self._fused
        out = self.convolve(inputs, fused or "linear")
        if fused is None:
            out = self.activation(out)
        return out

    def fusion_spec(self) -> FusionSpec | None:
        """``FusionSpec("conv", activation)`` when the plan may fuse this layer, else None."""
        if self._fused is None or self.activity_regularizer is not None or \
                type(self).call is not BaseConv.call:
            return None
        return FusionSpec("conv", self._fused)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, Keras's keys."""
        config = super().get_config()
        config.update(
            filters=self.filters,
            kernel_size=self.kernel_size,
            strides=self.strides,
            padding=self.padding,
            data_format=self.data_format,
            dilation_rate=self.dilation_rate,
            groups=self.groups,
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


_PARAMETERS = """
    Parameters
    ----------
    filters : int
        Number of output channels (filters); strictly positive.
    kernel_size : int or tuple of {rank} ints
        Size of the convolution window.
    strides : int or tuple of {rank} ints, default 1
        Step between windows.
    padding : {{{paddings}}}, default "valid"
        Case-insensitive. ``"valid"``: no padding; ``"same"``: zeros so that
        the output size is ``ceil(size / stride)``.{causal}
    data_format : {{None, "channels_last"}}, optional
        Only channels-last, ``{layout}``, is supported; ``"channels_first"``
        raises an error explaining how to transpose the data.
    dilation_rate : int or tuple of {rank} ints, default 1
        Spacing between kernel elements; cannot be combined with strides > 1.
    groups : int, default 1
        Split the channels and the filters into ``groups`` blocks; filter block
        ``g`` sees only channel block ``g`` (both counts divisible by ``groups``).
    activation : str or callable, optional
        Default None (linear). relu, sigmoid, tanh, softmax and linear run fused.
    use_bias : bool, default True
    kernel_initializer : str or Initializer, default "glorot_uniform"
    bias_initializer : str or Initializer, default "zeros"
    kernel_regularizer, bias_regularizer, activity_regularizer : optional
    kernel_constraint, bias_constraint : str, Constraint or callable, optional
    **kwargs
        Base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``).

    Notes
    -----
    Input ``{layout}``; output ``{out_layout}``. Weights: ``kernel`` of shape
    ``(*kernel_size, channels // groups, filters)`` and ``bias`` of shape ``(filters,)``.
"""


class Conv1D(BaseConv):
    """1-D convolution over time steps (Keras's ``Conv1D``)."""

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1,
                 padding: str = "valid", data_format: str | None = None,
                 dilation_rate: Any = 1, groups: int = 1, activation: Any = None,
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(
            1, filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
            dilation_rate=dilation_rate, groups=groups, activation=activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, **kwargs,
        )


class Conv2D(BaseConv):
    """2-D convolution over images (Keras's ``Conv2D``)."""

    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1),
                 padding: str = "valid", data_format: str | None = None,
                 dilation_rate: Any = (1, 1), groups: int = 1, activation: Any = None,
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(
            2, filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
            dilation_rate=dilation_rate, groups=groups, activation=activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, **kwargs,
        )


class Conv3D(BaseConv):
    """3-D convolution over volumes (Keras's ``Conv3D``)."""

    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1, 1),
                 padding: str = "valid", data_format: str | None = None,
                 dilation_rate: Any = (1, 1, 1), groups: int = 1, activation: Any = None,
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(
            3, filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
            dilation_rate=dilation_rate, groups=groups, activation=activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, **kwargs,
        )


Conv1D.__doc__ = (Conv1D.__doc__ or "") + _PARAMETERS.format(
    rank=1, paddings='"valid", "same", "causal"', layout="(batch, steps, channels)",
    out_layout="(batch, new_steps, filters)",
    causal=(' ``"causal"``: zeros on the left only, so that output ``t`` sees inputs '
            "up to ``t`` (for autoregressive models)."),
) + """
    Examples
    --------
    >>> import numpy as np
    >>> Conv1D(4, 3, padding="causal")(np.zeros((2, 10, 1), dtype="float32")).shape
    (2, 10, 4)
"""
Conv2D.__doc__ = (Conv2D.__doc__ or "") + _PARAMETERS.format(
    rank=2, paddings='"valid", "same"', layout="(batch, height, width, channels)",
    out_layout="(batch, new_height, new_width, filters)", causal="",
) + """
    Examples
    --------
    >>> import numpy as np
    >>> Conv2D(4, (3, 3), strides=2, padding="same")(np.zeros((1, 7, 5, 3), "float32")).shape
    (1, 4, 3, 4)
"""
Conv3D.__doc__ = (Conv3D.__doc__ or "") + _PARAMETERS.format(
    rank=3, paddings='"valid", "same"', layout="(batch, depth, height, width, channels)",
    out_layout="(batch, new_depth, new_height, new_width, filters)", causal="",
) + """
    Examples
    --------
    >>> import numpy as np
    >>> Conv3D(2, 2)(np.zeros((1, 4, 4, 4, 1), dtype="float32")).shape
    (1, 3, 3, 3, 2)
"""
