"""``SimpleRNN``, ``LSTM`` and ``GRU``: an ``RNN`` around the matching built-in cell.

The arguments are the cell's (units, activations, initializers, dropout...)
plus the ``RNN``'s (``return_sequences``, ``return_state``, ``go_backwards``,
``stateful``, ``unroll``). ``LSTM`` and ``GRU`` with Keras's default
activations (tanh and sigmoid) and no recurrent dropout while training run the
whole sequence as one primitive
(:mod:`descend.autograd.ops.recurrent`); otherwise the cell steps through time.
Both give the same numbers.

Examples
--------
>>> import numpy as np
>>> from descend.layers import LSTM
>>> layer = LSTM(8, return_sequences=True, return_state=True)
>>> seq, h, c = layer(np.zeros((2, 5, 3), "float32"))
>>> seq.shape, h.shape, c.shape
((2, 5, 8), (2, 8), (2, 8))
>>> [w.path for w in layer.weights]
['lstm_cell/kernel', 'lstm_cell/recurrent_kernel', 'lstm_cell/bias']
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend import regularizers
from descend.autograd import Tensor
from descend.autograd.ops.recurrent import GRUSequence, LSTMSequence
from descend.layers.rnn.cells import GRUCell, LSTMCell, SimpleRNNCell
from descend.layers.rnn.dropout_rnn_cell import is_builtin
from descend.layers.rnn.rnn import RNN

__all__ = ["GRU", "LSTM", "SimpleRNN"]

_RNN_KEYS = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll",
             "zero_output_for_mask")
_BASE_KEYS = ("name", "trainable", "dtype", "input_shape", "input_dim", "batch_input_shape",
              "batch_size")


class _CellRNN(RNN):
    """An ``RNN`` that builds its own cell from the layer's arguments."""

    _cell_class: type = SimpleRNNCell
    _cell_name = "simple_rnn_cell"

    def __init__(self, units: int, **kwargs: Any) -> None:
        kwargs.pop("use_cudnn", None)
        kwargs.pop("implementation", None)
        activity = kwargs.pop("activity_regularizer", None)
        rnn_args = {k: kwargs.pop(k) for k in _RNN_KEYS if k in kwargs}
        base = {k: kwargs.pop(k) for k in _BASE_KEYS if k in kwargs}
        cell = self._cell_class(units, name=self._cell_name, dtype=base.get("dtype"),
                                trainable=base.get("trainable", True), **kwargs)
        super().__init__(cell, **rnn_args, **base)
        self.activity_regularizer = regularizers.get(activity)

    def _sequence_shape(self, input_shape: Any) -> tuple:
        shape = super()._sequence_shape(input_shape)
        if len(shape) != 3:  # the built-in cells read (batch, features) steps
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) expects sequences of shape "
                f"(batch, steps, features), received shape {shape} ({len(shape)} axes). "
                "Flatten the features of each step first, e.g. TimeDistributed(Flatten()) "
                "or Reshape((steps, -1))."
            )
        return shape

    def __getattr__(self, name: str) -> Any:
        # Keras exposes the cell's arguments on the layer (layer.units, layer.dropout...)
        if name.startswith("_") or name == "cell":
            raise AttributeError(name)
        cell = self.__dict__.get("cell")
        if cell is None:
            raise AttributeError(name)
        return getattr(cell, name)

    def _dropped_inputs(self, x: Tensor, training: bool) -> Tensor | None:
        """``x`` with the cell's input dropout mask (the same at every step), or None."""
        cell = self.cell
        if training and cell.recurrent_dropout > 0:
            return None
        if training and 0.0 < cell.dropout < 1.0:
            (mask,) = cell.get_dropout_mask(x[:, 0])
            return x * Tensor._make(mask.data[:, None, :], False, None)
        return x

    def _bias_or_zeros(self, shape: tuple) -> Any:
        if self.cell.bias is not None:
            return self.cell.bias
        return Tensor._make(np.zeros(shape, self.cell.kernel.dtype), False, None)

    def get_config(self) -> dict[str, Any]:
        """Keras's keys: the cell's arguments and the RNN's, flat (no ``cell`` key)."""
        config = RNN.get_config(self)
        config.pop("cell")
        cell_config = self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            cell_config.pop(key, None)
        config.update(cell_config)
        config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: dict | None = None) -> Any:
        """Recreate the layer from :meth:`get_config`."""
        return cls(**config)


class SimpleRNN(_CellRNN):
    """Fully connected RNN whose output is fed back: ``h_t = tanh(x_t W + h_{t-1} U + b)``.

    Parameters
    ----------
    units : int
    activation : default "tanh"
    use_bias : default True
    kernel_initializer : default "glorot_uniform"
    recurrent_initializer : default "orthogonal"
    bias_initializer : default "zeros"
    kernel_regularizer, recurrent_regularizer, bias_regularizer, activity_regularizer
    kernel_constraint, recurrent_constraint, bias_constraint
    dropout, recurrent_dropout : float, default 0.0
    seed : int, optional
    return_sequences, return_state, go_backwards, stateful, unroll : bool, default False
        See :class:`~descend.layers.RNN`.
    **kwargs
        Base-layer arguments.

    Notes
    -----
    Input (batch, steps, features); output (batch, units) or (batch, steps,
    units). Weights as :class:`~descend.layers.SimpleRNNCell`.
    """

    _cell_class = SimpleRNNCell
    _cell_name = "simple_rnn_cell"

    def get_config(self) -> dict[str, Any]:
        """Keras's keys (Keras's ``SimpleRNN`` config leaves out ``seed``)."""
        config = super().get_config()
        config.pop("seed", None)
        return config


class LSTM(_CellRNN):
    """Long short-term memory layer (Hochreiter and Schmidhuber, 1997).

    Parameters
    ----------
    units : int
    activation : default "tanh"
    recurrent_activation : default "sigmoid"
    use_bias : default True
    kernel_initializer : default "glorot_uniform"
    recurrent_initializer : default "orthogonal"
    bias_initializer : default "zeros"
    unit_forget_bias : default True
    kernel_regularizer, recurrent_regularizer, bias_regularizer, activity_regularizer
    kernel_constraint, recurrent_constraint, bias_constraint
    dropout, recurrent_dropout : float, default 0.0
    seed : int, optional
    return_sequences, return_state, go_backwards, stateful, unroll : bool, default False
        See :class:`~descend.layers.RNN`.
    use_cudnn : accepted and ignored (descend runs on the CPU).
    **kwargs
        Base-layer arguments.

    Notes
    -----
    Input (batch, steps, features); output (batch, units) or (batch, steps,
    units); with ``return_state`` also the final ``h`` and ``c``. Weights as
    :class:`~descend.layers.LSTMCell` (gate order i, f, c, o), so weights
    copied from Keras give the same outputs.
    """

    _cell_class = LSTMCell
    _cell_name = "lstm_cell"

    def _fused_sequence(self, x: Tensor, states: list[Tensor], mask: Any,
                        training: bool) -> tuple | None:
        cell = self.cell
        if not (is_builtin(cell.activation, "tanh")
                and is_builtin(cell.recurrent_activation, "sigmoid")):
            return None
        x = self._dropped_inputs(x, training)
        if x is None:
            return None
        bias = self._bias_or_zeros((4 * cell.units,))
        out = LSTMSequence.apply(x, states[0], states[1], cell.kernel, cell.recurrent_kernel,
                                 bias, mask=mask)
        steps = x.shape[1]
        return out[:, :steps], [out[:, steps - 1], out[:, steps]]


class GRU(_CellRNN):
    """Gated recurrent unit layer (Cho et al., 2014), Keras's ``reset_after=True`` by default.

    Parameters
    ----------
    units : int
    activation : default "tanh"
    recurrent_activation : default "sigmoid"
    use_bias : default True
    kernel_initializer : default "glorot_uniform"
    recurrent_initializer : default "orthogonal"
    bias_initializer : default "zeros"
    kernel_regularizer, recurrent_regularizer, bias_regularizer, activity_regularizer
    kernel_constraint, recurrent_constraint, bias_constraint
    dropout, recurrent_dropout : float, default 0.0
    seed : int, optional
    return_sequences, return_state, go_backwards, stateful, unroll : bool, default False
        See :class:`~descend.layers.RNN`.
    reset_after : bool, default True
        Apply the reset gate after the recurrent product (bias (2, 3 units)).
    use_cudnn : accepted and ignored.
    **kwargs
        Base-layer arguments.

    Notes
    -----
    Weights as :class:`~descend.layers.GRUCell` (gate order z, r, h).
    """

    _cell_class = GRUCell
    _cell_name = "gru_cell"

    def _fused_sequence(self, x: Tensor, states: list[Tensor], mask: Any,
                        training: bool) -> tuple | None:
        cell = self.cell
        if not (is_builtin(cell.activation, "tanh")
                and is_builtin(cell.recurrent_activation, "sigmoid")):
            return None
        x = self._dropped_inputs(x, training)
        if x is None:
            return None
        shape = (2, 3 * cell.units) if cell.reset_after else (3 * cell.units,)
        out = GRUSequence.apply(x, states[0], cell.kernel, cell.recurrent_kernel,
                                self._bias_or_zeros(shape), reset_after=cell.reset_after,
                                mask=mask)
        return out, [out[:, -1]]
