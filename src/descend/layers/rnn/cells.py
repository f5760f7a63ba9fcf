"""The built-in recurrent cells: ``SimpleRNNCell``, ``LSTMCell``, ``GRUCell`` (Keras 3 formulas).

A cell computes one time step: ``call(inputs, states) -> (output, new_states)``
with ``inputs`` of shape (batch, features) and states of shape (batch, units);
``RNN`` runs it over a sequence. Weight layouts are Keras's: the gates sit side
by side along the last axis of ``kernel`` (features, k * units) and
``recurrent_kernel`` (units, k * units), in the order i, f, c, o for LSTM and
z, r, h for GRU.

Examples
--------
>>> import numpy as np
>>> from descend.layers import LSTMCell
>>> cell = LSTMCell(4)
>>> x, h, c = np.ones((2, 3), "float32"), np.zeros((2, 4), "float32"), np.zeros((2, 4), "float32")
>>> out, (h1, c1) = cell(x, [h, c])
>>> out.shape, cell.kernel.shape, cell.recurrent_kernel.shape, cell.bias.shape
((2, 4), (3, 16), (4, 16), (16,))
"""

from __future__ import annotations

from typing import Any

from descend import activations
from descend.autograd import Tensor, ops
from descend.layers.rnn.dropout_rnn_cell import DropoutRNNCell, unit_forget_bias

__all__ = ["GRUCell", "LSTMCell", "SimpleRNNCell"]


def _states(states: Any) -> list:
    return list(states) if isinstance(states, (list, tuple)) else [states]


def _gate(weight: Any, k: int, units: int) -> Any:
    return weight[..., k * units:(k + 1) * units]


class SimpleRNNCell(DropoutRNNCell):
    """One step of a fully connected RNN: ``h_t = activation(x_t W + b + h U)``.

    Parameters
    ----------
    units : int
    activation : default "tanh"
    use_bias, kernel_initializer, recurrent_initializer ("orthogonal"),
    bias_initializer, regularizers, constraints, dropout, recurrent_dropout, seed
        See :class:`~descend.layers.rnn.dropout_rnn_cell.DropoutRNNCell`.

    Notes
    -----
    Weights: ``kernel`` (features, units), ``recurrent_kernel`` (units, units),
    ``bias`` (units,). ``state_size = output_size = units``.
    """

    @property
    def state_size(self) -> int:
        return self.units

    @property
    def output_size(self) -> int:
        return self.units

    def build(self, input_shape: Any) -> None:
        """Create the weights for step inputs of shape (batch, features)."""
        self._add_kernels(self._check_step_input(input_shape), 1)
        if self.use_bias:
            self._add_bias((self.units,), self.bias_initializer)
        self.built = True

    def call(self, inputs: Tensor, states: Any, training: bool = False) -> tuple:
        """``(h_t, [h_t])``; dropout masks multiply the input and the previous state."""
        nested = isinstance(states, (list, tuple))
        prev = _states(states)[0]
        (x,), (prev,) = self._gate_inputs(inputs, prev, training)
        h = ops.matmul(x, self.kernel)
        if self.bias is not None:
            h = h + self.bias
        out = h + ops.matmul(prev, self.recurrent_kernel)
        out = self.activation(out)
        return out, ([out] if nested else out)


class LSTMCell(DropoutRNNCell):
    """One step of a long short-term memory (Hochreiter and Schmidhuber, 1997).

    With ``z = x_t @ kernel + h @ recurrent_kernel + bias`` split into four
    (gate order i, f, c, o)::

        i = recurrent_activation(z_i);  f = recurrent_activation(z_f)
        c_t = f * c + i * activation(z_c);  o = recurrent_activation(z_o)
        h_t = o * activation(c_t)

    Parameters
    ----------
    units : int
    activation : default "tanh"
    recurrent_activation : default "sigmoid"
    unit_forget_bias : bool, default True
        Initialise the forget gate's bias to 1 (the others with
        ``bias_initializer``), as Jozefowicz et al. (2015) advise.
    use_bias, initializers, regularizers, constraints, dropout, recurrent_dropout, seed
        See :class:`~descend.layers.rnn.dropout_rnn_cell.DropoutRNNCell`.

    Notes
    -----
    Weights: ``kernel`` (features, 4 units), ``recurrent_kernel`` (units, 4
    units), ``bias`` (4 units,). ``state_size = [units, units]`` (h, c).
    """

    _gates = 4

    def __init__(self, units: int, activation: Any = "tanh",
                 recurrent_activation: Any = "sigmoid", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 unit_forget_bias: bool = True, **kwargs: Any) -> None:
        super().__init__(units, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)

    @property
    def state_size(self) -> list[int]:
        return [self.units, self.units]

    @property
    def output_size(self) -> int:
        return self.units

    def build(self, input_shape: Any) -> None:
        """Create the weights for step inputs of shape (batch, features)."""
        self._add_kernels(self._check_step_input(input_shape), 4)
        if self.use_bias:
            initializer = (unit_forget_bias(self.bias_initializer, self.units)
                           if self.unit_forget_bias else self.bias_initializer)
            self._add_bias((4 * self.units,), initializer)
        self.built = True

    def call(self, inputs: Tensor, states: Any, training: bool = False) -> tuple:
        """``(h_t, [h_t, c_t])``."""
        h_prev, c_prev = _states(states)[:2]
        xs, hs = self._gate_inputs(inputs, h_prev, training)
        u = self.units
        if len(xs) == 1:
            z = ops.matmul(xs[0], self.kernel) + ops.matmul(hs[0], self.recurrent_kernel)
            if self.bias is not None:
                z = z + self.bias
            parts = [_gate(z, k, u) for k in range(4)]
        else:
            parts = []
            for k in range(4):
                part = ops.matmul(xs[k], _gate(self.kernel, k, u)) + \
                    ops.matmul(hs[k], _gate(self.recurrent_kernel, k, u))
                if self.bias is not None:
                    part = part + _gate(self.bias, k, u)
                parts.append(part)
        act, rec = self.activation, self.recurrent_activation
        i, f, o = rec(parts[0]), rec(parts[1]), rec(parts[3])
        c = f * c_prev + i * act(parts[2])
        h = o * act(c)
        return h, [h, c]

    def get_config(self) -> dict[str, Any]:
        """Keras's keys."""
        config = super().get_config()
        config.update(recurrent_activation=activations.serialize(self.recurrent_activation),
                      unit_forget_bias=self.unit_forget_bias)
        return config


class GRUCell(DropoutRNNCell):
    """One step of a gated recurrent unit (Cho et al., 2014), Keras's formulas.

    Gate order z (update), r (reset), h (candidate). With ``reset_after=True``
    (``bias`` of shape (2, 3 units): input bias, recurrent bias)::

        x_z, x_r, x_h = split(x_t @ kernel + bias[0])
        h_z, h_r, h_h = split(h @ recurrent_kernel + bias[1])
        z = recurrent_activation(x_z + h_z);  r = recurrent_activation(x_r + h_r)
        hh = activation(x_h + r * h_h)
        h_t = z * h + (1 - z) * hh

    With ``reset_after=False`` (``bias`` (3 units,), added to the input part)
    the reset gate applies before the product:
    ``hh = activation(x_h + (r * h) @ recurrent_kernel[:, 2u:])``.

    Parameters
    ----------
    units : int
    activation : default "tanh"
    recurrent_activation : default "sigmoid"
    reset_after : bool, default True
    use_bias, initializers, regularizers, constraints, dropout, recurrent_dropout, seed
        See :class:`~descend.layers.rnn.dropout_rnn_cell.DropoutRNNCell`.

    Notes
    -----
    Weights: ``kernel`` (features, 3 units), ``recurrent_kernel`` (units, 3
    units), ``bias`` (2, 3 units) or (3 units,). ``state_size = units``.
    """

    _gates = 3

    def __init__(self, units: int, activation: Any = "tanh",
                 recurrent_activation: Any = "sigmoid", use_bias: bool = True,
                 reset_after: bool = True, **kwargs: Any) -> None:
        super().__init__(units, activation=activation, use_bias=use_bias, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = bool(reset_after)

    @property
    def state_size(self) -> int:
        return self.units

    @property
    def output_size(self) -> int:
        return self.units

    def build(self, input_shape: Any) -> None:
        """Create the weights for step inputs of shape (batch, features)."""
        self._add_kernels(self._check_step_input(input_shape), 3)
        if self.use_bias:
            shape = (2, 3 * self.units) if self.reset_after else (3 * self.units,)
            self._add_bias(shape, self.bias_initializer)
        self.built = True

    def call(self, inputs: Tensor, states: Any, training: bool = False) -> tuple:
        """``(h_t, [h_t])``."""
        nested = isinstance(states, (list, tuple))
        h_prev = _states(states)[0]
        xs, hs = self._gate_inputs(inputs, h_prev, training)
        u = self.units
        input_bias = recurrent_bias = None
        if self.bias is not None:
            input_bias, recurrent_bias = (self.bias[0], self.bias[1]) if self.reset_after \
                else (self.bias, None)
        if len(xs) == 1:
            matrix_x = ops.matmul(xs[0], self.kernel)
            x_parts = [_gate(matrix_x, k, u) for k in range(3)]
        else:
            x_parts = [ops.matmul(xs[k], _gate(self.kernel, k, u)) for k in range(3)]
        if input_bias is not None:
            x_parts = [x_parts[k] + _gate(input_bias, k, u) for k in range(3)]
        rk = self.recurrent_kernel
        if len(hs) == 1 and self.reset_after:
            inner = ops.matmul(hs[0], rk)
            h_parts = [_gate(inner, k, u) for k in range(3)]
        else:
            count = 3 if self.reset_after else 2
            h_parts = [ops.matmul(hs[min(k, len(hs) - 1)], _gate(rk, k, u))
                       for k in range(count)]
        if recurrent_bias is not None:
            h_parts = [h_parts[k] + _gate(recurrent_bias, k, u) for k in range(len(h_parts))]
        rec = self.recurrent_activation
        z = rec(x_parts[0] + h_parts[0])
        r = rec(x_parts[1] + h_parts[1])
        if self.reset_after:
            recurrent_h = r * h_parts[2]
        else:
            recurrent_h = ops.matmul(r * hs[-1], _gate(rk, 2, u))
        hh = self.activation(x_parts[2] + recurrent_h)
        h = z * h_prev + (1.0 - z) * hh
        return h, ([h] if nested else h)

    def get_config(self) -> dict[str, Any]:
        """Keras's keys."""
        config = super().get_config()
        config.update(recurrent_activation=activations.serialize(self.recurrent_activation),
                      reset_after=self.reset_after)
        return config

