"""``ConvLSTM1D``/``2D``/``3D``: an LSTM whose products are convolutions (Shi et al., 2015).

Each step is a feature map ``(batch, *spatial, channels)`` instead of a vector, and so are the
states ``h`` and ``c`` ``(batch, *spatial_out, filters)``. The LSTM's gates (Keras's order
``i, f, c, o``) come from two convolutions::

    z = conv(x_t, kernel, strides, padding, dilation_rate) + bias
        + conv(h, recurrent_kernel, strides=1, padding="same")
    i = recurrent_activation(z_i);  f = recurrent_activation(z_f)
    c_t = f * c + i * activation(z_c);  o = recurrent_activation(z_o);  h_t = o * activation(c_t)

Weights (Keras's shapes): ``kernel`` ``(*kernel_size, channels, 4 filters)``,
``recurrent_kernel`` ``(*kernel_size, filters, 4 filters)``, ``bias`` ``(4 filters,)`` (the
forget gate's quarter starts at 1 with ``unit_forget_bias``).

Examples
--------
>>> import numpy as np
>>> from descend.layers import ConvLSTM2D
>>> layer = ConvLSTM2D(3, 3, padding="same", return_sequences=True)
>>> layer(np.zeros((2, 4, 5, 6, 2), "float32")).shape
(2, 4, 5, 6, 3)
>>> [(w.path, tuple(w.shape)) for w in layer.weights][:2]
[('conv_lstm_cell/kernel', (3, 3, 2, 12)), ('conv_lstm_cell/recurrent_kernel', (3, 3, 3, 12))]
"""

from __future__ import annotations

from typing import Any

from descend import activations, ops
from descend.autograd.ops.conv import output_size
from descend.layers import _spatial
from descend.layers.rnn.dropout_rnn_cell import DropoutRNNCell, unit_forget_bias
from descend.layers.rnn.recurrent import _CellRNN

__all__ = ["ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "ConvLSTMCell"]


class ConvLSTMCell(DropoutRNNCell):
    """One step of a convolutional LSTM (see the module docstring).

    Parameters
    ----------
    filters : int
        Channels of the output and of both states.
    kernel_size : int or tuple of int
        Window of both convolutions (``rank`` entries).
    rank : {1, 2, 3}, default 2
        Spatial axes of a step.
    strides : int or tuple of int, default 1
        Of the input convolution (the recurrent one has stride 1).
    padding : {"valid", "same"}, default "valid"
        Of the input convolution (the recurrent one is ``"same"``).
    data_format : {"channels_last"}, optional
    dilation_rate : int or tuple of int, default 1
        Of the input convolution.
    activation : default "tanh"
    recurrent_activation : default "sigmoid"
    use_bias : bool, default True
    kernel_initializer : default "glorot_uniform"
    recurrent_initializer : default "orthogonal"
    bias_initializer : default "zeros"
    unit_forget_bias : bool, default True
    kernel_regularizer, recurrent_regularizer, bias_regularizer : optional
    kernel_constraint, recurrent_constraint, bias_constraint : optional
    dropout, recurrent_dropout : float, default 0.0
        Fractions of the step input / previous ``h`` dropped (one mask per sequence, one per
        gate).
    seed : int, optional
    """

    _gates = 4

    def __init__(self, filters: int, kernel_size: Any, rank: int = 2, strides: Any = 1,
                 padding: str = "valid", data_format: str | None = None,
                 dilation_rate: Any = 1, activation: Any = "tanh",
                 recurrent_activation: Any = "sigmoid", unit_forget_bias: bool = True,
                 **kwargs: Any) -> None:
        super().__init__(filters, activation=activation, **kwargs)
        owner = f"Layer '{self.name}' (ConvLSTM{rank}D)"
        if rank not in (1, 2, 3):
            raise ValueError(f"{owner}: `rank` must be 1, 2 or 3, received rank={rank!r}.")
        self.rank = int(rank)
        self.filters = self.units
        self.kernel_size = _spatial.normalize_tuple(kernel_size, rank, "kernel_size", owner)
        self.strides = _spatial.normalize_tuple(strides, rank, "strides", owner)
        self.dilation_rate = _spatial.normalize_tuple(dilation_rate, rank, "dilation_rate",
                                                      owner)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{owner}: strides > 1 and dilation_rate > 1 cannot be combined, "
                             f"received strides={strides!r}, dilation_rate={dilation_rate!r}.")
        self.padding = _spatial.normalize_padding(padding, owner)
        self.data_format = _spatial.check_data_format(data_format, owner, rank)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)

    @property
    def state_size(self) -> list[int]:
        """``[filters, filters]``: ``h`` and ``c`` (feature maps of ``filters`` channels)."""
        return [self.filters, self.filters]

    @property
    def output_size(self) -> int:
        """``filters``."""
        return self.filters

    def output_spatial(self, spatial: tuple) -> tuple:
        """The spatial shape of the states for steps of spatial shape ``spatial``."""
        return tuple(output_size(n, k, s, d, self.padding) for n, k, s, d in zip(
            spatial, self.kernel_size, self.strides, self.dilation_rate, strict=True))

    def build(self, input_shape: Any) -> None:
        """Create the weights for steps of shape ``(batch, *spatial, channels)``."""
        shape = tuple(input_shape)
        if len(shape) != self.rank + 2 or shape[-1] is None:
            raise ValueError(
                f"Layer '{self.name}' (ConvLSTM{self.rank}D) expects steps of shape "
                f"{_spatial.layout(self.rank)}, received {shape}."
            )
        channels, gates = int(shape[-1]), 4 * self.filters
        self.kernel = self.add_weight(
            shape=(*self.kernel_size, channels, gates), name="kernel",
            initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(
            shape=(*self.kernel_size, self.filters, gates), name="recurrent_kernel",
            initializer=self.recurrent_initializer, regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint)
        if self.use_bias:
            initializer = (unit_forget_bias(self.bias_initializer, self.filters)
                           if self.unit_forget_bias else self.bias_initializer)
            self._add_bias((gates,), initializer)
        self.built = True

    def _conv(self, x: Any, kernel: Any, recurrent: bool) -> Any:
        if recurrent:
            return ops.conv(x, kernel, strides=1, padding="same")
        return ops.conv(x, kernel, strides=self.strides, padding=self.padding,
                        dilation_rate=self.dilation_rate)

    def call(self, inputs: Any, states: Any, training: bool = False) -> tuple:
        """``(h_t, [h_t, c_t])`` for one step ``(batch, *spatial, channels)``."""
        h_prev, c_prev = states[0], states[1]
        xs, hs = self._gate_inputs(inputs, h_prev, training)
        f = self.filters
        if len(xs) == 1:
            z = self._conv(xs[0], self.kernel, False) + self._conv(hs[0], self.recurrent_kernel,
                                                                  True)
            if self.bias is not None:
                z = z + self.bias
            parts = [z[..., k * f:(k + 1) * f] for k in range(4)]
        else:  # one dropout mask per gate
            parts = []
            for k in range(4):
                gate = slice(k * f, (k + 1) * f)
                part = self._conv(xs[k], self.kernel[..., gate], False) + \
                    self._conv(hs[k], self.recurrent_kernel[..., gate], True)
                if self.bias is not None:
                    part = part + self.bias[gate]
                parts.append(part)
        act, rec = self.activation, self.recurrent_activation
        i, forget, o = rec(parts[0]), rec(parts[1]), rec(parts[3])
        c = forget * c_prev + i * act(parts[2])
        h = o * act(c)
        return h, [h, c]

    def get_config(self) -> dict[str, Any]:
        """Keras's keys (``filters`` rather than ``units``)."""
        config = super().get_config()
        config.pop("units")
        config.update(
            filters=self.filters, kernel_size=self.kernel_size, rank=self.rank,
            strides=self.strides, padding=self.padding, data_format=self.data_format,
            dilation_rate=self.dilation_rate,
            recurrent_activation=activations.serialize(self.recurrent_activation),
            unit_forget_bias=self.unit_forget_bias,
        )
        return config


class _ConvLSTM(_CellRNN):
    """An ``RNN`` around a :class:`ConvLSTMCell` (the public classes fix ``rank``)."""

    _cell_class = ConvLSTMCell
    _cell_name = "conv_lstm_cell"
    _rank = 2

    def __init__(self, filters: int, kernel_size: Any, **kwargs: Any) -> None:
        kwargs.pop("rank", None)
        super().__init__(filters, kernel_size=kernel_size, rank=self._rank, **kwargs)

    def _sequence_shape(self, input_shape: Any) -> tuple:
        if input_shape and isinstance(input_shape[0], (list, tuple)):
            input_shape = input_shape[0]
        shape = tuple(input_shape)
        if len(shape) != self._rank + 3:
            steps = _spatial.layout(self._rank).replace("(batch, ", "(batch, steps, ")
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) expects sequences of shape "
                f"{steps}, received shape {shape} ({len(shape)} axes)."
            )
        return shape

    def _spatial_out(self) -> tuple:
        return self.cell.output_spatial(self._step_shape[:-1])

    def _state_shapes(self, batch: Any) -> list[tuple]:
        return [(batch, *self._spatial_out(), self.cell.filters)] * 2

    def _step_output_shape(self, sequence_shape: tuple) -> tuple:
        spatial = self.cell.output_spatial(tuple(sequence_shape[2:-1]))
        return (*spatial, self.cell.filters)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """``(batch, [steps,] *spatial_out, filters)``, plus ``h`` and ``c`` with
        ``return_state``."""
        shape = self._sequence_shape(input_shape)
        step = self._step_output_shape(shape)
        out = (shape[0], shape[1], *step) if self.return_sequences else (shape[0], *step)
        if self.return_state:
            return [out, (shape[0], *step), (shape[0], *step)]
        return out

    def get_config(self) -> dict[str, Any]:
        """Keras's keys: the cell's arguments and the RNN's, flat (no ``rank``)."""
        config = super().get_config()
        config.pop("rank", None)
        return config


_DOC = """Convolutional LSTM over sequences of {what} (Keras's ``ConvLSTM{rank}D``).

    Parameters
    ----------
    filters : int
    kernel_size : int or tuple of {rank} int
    strides, padding, data_format, dilation_rate
        Of the input convolution, as ``Conv{rank}D`` (``"valid"`` by default).
    activation, recurrent_activation, use_bias, kernel_initializer, recurrent_initializer,
    bias_initializer, unit_forget_bias, regularizers, constraints, dropout,
    recurrent_dropout, seed
        As :class:`ConvLSTMCell` (Keras's defaults).
    activity_regularizer : optional
    return_sequences, return_state, go_backwards, stateful, unroll
        As :class:`~descend.layers.RNN`.

    Notes
    -----
    Input ``(batch, steps, {layout})``; output ``(batch, [steps,] {out}, filters)``; with
    ``return_state``, also ``h`` and ``c`` ``(batch, {out}, filters)``.
    """


class ConvLSTM1D(_ConvLSTM):
    __doc__ = _DOC.format(what="1-D feature maps", rank=1, layout="length, channels",
                          out="new_length")
    _rank = 1


class ConvLSTM2D(_ConvLSTM):
    __doc__ = _DOC.format(what="images", rank=2, layout="rows, cols, channels",
                          out="new_rows, new_cols")
    _rank = 2


class ConvLSTM3D(_ConvLSTM):
    __doc__ = _DOC.format(what="volumes", rank=3, layout="dim1, dim2, dim3, channels",
                          out="new_dim1, new_dim2, new_dim3")
    _rank = 3
