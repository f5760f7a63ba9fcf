"""Transposed convolution layers: ``Conv1DTranspose``, ``Conv2DTranspose``, ``Conv3DTranspose``.

A transposed convolution (sometimes called a deconvolution) runs a convolution
backwards: every input position spreads its channels, weighted by the kernel,
over a window of the output, ``stride`` positions apart, and overlapping windows
add up:

    output[b, i * stride + k * dilation - crop, f] += sum_c input[b, i, c] * kernel[k, f, c]

then the bias and the activation are applied. With ``strides=2`` it doubles the
spatial size, which is how decoders and autoencoders upsample with learned
weights. The layer is one engine primitive
(:class:`descend.autograd.ops.conv_transpose.ConvTranspose`).

Output sizes (Keras): with ``dilated = dilation * (kernel - 1) + 1`` and no
``output_padding``, ``size * stride + max(dilated - stride, 0)`` for
``"valid"`` and ``size * stride`` for ``"same"``; with ``output_padding``,
``(size - 1) * stride + dilated - 2 * pad + output_padding`` where ``pad`` is 0
(``"valid"``) or ``dilated // 2`` (``"same"``).

Examples
--------
>>> import numpy as np
>>> from descend.layers import Conv2DTranspose
>>> layer = Conv2DTranspose(8, 3, strides=2, padding="same")
>>> layer(np.zeros((2, 7, 7, 16), "float32")).shape
(2, 14, 14, 8)
>>> layer.kernel.shape
(3, 3, 8, 16)
"""

from __future__ import annotations

from typing import Any

from descend import activations
from descend.autograd import Tensor
from descend.autograd.ops import conv_transpose as _ct
from descend.layers._spatial import check_input_rank, describe, normalize_tuple
from descend.layers.convolutional import BaseConv

__all__ = ["Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose"]


class BaseConvTranspose(BaseConv):
    """Shared implementation of the transposed convolutions (``rank`` spatial axes)."""

    def __init__(self, rank: int, filters: int, kernel_size: Any, strides: Any = 1,
                 padding: str = "valid", output_padding: Any = None,
                 data_format: str | None = None, dilation_rate: Any = 1, **kwargs: Any
                 ) -> None:
        if isinstance(padding, str) and padding.lower() == "causal":
            raise ValueError(
                f"{type(self).__name__}: the `padding` argument must be one of ('valid', "
                f"'same') (case-insensitive), received padding={padding!r}."
            )
        super().__init__(rank, filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, **kwargs)
        owner = describe(self)
        if output_padding is None:
            self.output_padding = None
        else:
            self.output_padding = normalize_tuple(output_padding, rank, "output_padding",
                                                  owner, allow_zero=True)
            for axis, (extra, stride) in enumerate(zip(self.output_padding, self.strides,
                                                       strict=True)):
                if extra >= stride:
                    raise ValueError(
                        f"{owner}: `output_padding` must be strictly less than `strides` for "
                        f"all dimensions. At dimension {axis}, `output_padding` is {extra} but "
                        f"`strides` is {stride}. Received: output_padding="
                        f"{self.output_padding}, strides={self.strides}."
                    )

    def _output_spatial(self, shape: tuple) -> tuple[int | None, ...]:
        extras = self.output_padding or (None,) * self.rank
        return tuple(
            _ct.transpose_geometry(n, k, s, d, self.padding, e)[0]
            for n, k, s, d, e in zip(tuple(shape)[1:-1], self.kernel_size, self.strides,
                                     self.dilation_rate, extras, strict=True)
        )

    def build(self, input_shape: tuple) -> None:
        """Create ``kernel`` ``(*kernel_size, filters, channels)`` and ``bias`` ``(filters,)``."""
        input_shape = tuple(input_shape)
        check_input_rank(input_shape, self.rank, describe(self), warn=True)
        channels = input_shape[-1]
        if channels is None:
            raise ValueError(
                f"{describe(self)}: the channel axis (last) of the input must be known, "
                f"received input shape {input_shape}."
            )
        self.kernel = self.add_weight(
            shape=(*self.kernel_size, self.filters, channels),
            initializer=self.kernel_initializer, name="kernel",
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.filters,), initializer=self.bias_initializer, name="bias",
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
            )
        self.built = True

    def _check_input(self, inputs: Any) -> None:
        shape = tuple(inputs.shape)
        check_input_rank(shape, self.rank, describe(self))
        channels = self.kernel.shape[-1]
        if shape[-1] != channels:
            raise ValueError(
                f"Input 0 of layer '{self.name}' is incompatible with the layer: expected axis "
                f"-1 of input shape to have value {channels}, but received input with shape "
                f"{shape}."
            )

    def convolve(self, inputs: Tensor, activation: str = "linear") -> Tensor:
        """``activation(conv_transpose(inputs, kernel) + bias)``."""
        out = _ct.conv_transpose(
            inputs, self.kernel, self.bias, strides=self.strides, padding=self.padding,
            output_padding=self.output_padding, dilation_rate=self.dilation_rate,
        )
        if activation != "linear":
            out = activations.get(activation)(out)
        return out

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, Keras's keys."""
        config = super().get_config()
        config.pop("groups", None)
        config["output_padding"] = self.output_padding
        return config


_PARAMETERS = """
    Parameters
    ----------
    filters : int
        Number of output channels; strictly positive.
    kernel_size : int or tuple of {rank} ints
    strides : int or tuple of {rank} ints, default 1
        Spacing of the input positions in the output (the upsampling factor).
    padding : {{"valid", "same"}}, default "valid"
        Case-insensitive; sets the output size (see the module docstring).
    output_padding : int, tuple of {rank} ints or None, default None
        Extra length at the end of each axis; each must be smaller than the
        stride. None: Keras's default sizes.
    data_format : {{None, "channels_last"}}, optional
        Only channels-last, ``{layout}``, is supported.
    dilation_rate : int or tuple of {rank} ints, default 1
        Cannot be combined with strides > 1.
    activation : str or callable, optional
        Default None (linear).
    use_bias : bool, default True
    kernel_initializer : str or Initializer, default "glorot_uniform"
    bias_initializer : str or Initializer, default "zeros"
    kernel_regularizer, bias_regularizer, activity_regularizer : optional
    kernel_constraint, bias_constraint : optional
    **kwargs
        Base-layer arguments.

    Notes
    -----
    Input ``{layout}``; output with the same layout and ``filters`` channels.
    Weights (Keras's layout): ``kernel`` ``(*kernel_size, filters, channels)``
    and ``bias`` ``(filters,)``.
"""


class Conv1DTranspose(BaseConvTranspose):
    """1-D transposed convolution (Keras's ``Conv1DTranspose``)."""

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1,
                 padding: str = "valid", output_padding: Any = None,
                 data_format: str | None = None, dilation_rate: Any = 1,
                 activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(
            1, filters, kernel_size, strides=strides, padding=padding,
            output_padding=output_padding, data_format=data_format,
            dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint, **kwargs)


class Conv2DTranspose(BaseConvTranspose):
    """2-D transposed convolution (Keras's ``Conv2DTranspose``)."""

    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1),
                 padding: str = "valid", output_padding: Any = None,
                 data_format: str | None = None, dilation_rate: Any = (1, 1),
                 activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(
            2, filters, kernel_size, strides=strides, padding=padding,
            output_padding=output_padding, data_format=data_format,
            dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint, **kwargs)


class Conv3DTranspose(BaseConvTranspose):
    """3-D transposed convolution (Keras's ``Conv3DTranspose``)."""

    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1, 1),
                 padding: str = "valid", output_padding: Any = None,
                 data_format: str | None = None, dilation_rate: Any = (1, 1, 1),
                 activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(
            3, filters, kernel_size, strides=strides, padding=padding,
            output_padding=output_padding, data_format=data_format,
            dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint, **kwargs)


Conv1DTranspose.__doc__ = (Conv1DTranspose.__doc__ or "") + _PARAMETERS.format(
    rank=1, layout="(batch, steps, channels)")

Conv2DTranspose.__doc__ = (Conv2DTranspose.__doc__ or "") + _PARAMETERS.format(
    rank=2, layout="(batch, height, width, channels)")

Conv3DTranspose.__doc__ = (Conv3DTranspose.__doc__ or "") + _PARAMETERS.format(
    rank=3, layout="(batch, depth, height, width, channels)")
