"""``RNN``: run a recurrent cell over the time axis of a sequence.

The layer feeds the cell one time step after another, carrying the states;
backpropagation through time is the engine's ordinary backward pass over the
recorded steps (``LSTM`` and ``GRU`` use a whole-sequence primitive instead
when their activations are the default ones; same numbers).

Masks follow Keras's ``backend.rnn``: at a masked step of a sample, the states
keep their previous values and the output repeats the previous output (zeros
before the first real step); with ``zero_output_for_mask`` the outputs of
masked steps are zeros.

Examples
--------
>>> import numpy as np
>>> from descend.layers import RNN, SimpleRNNCell
>>> layer = RNN(SimpleRNNCell(4), return_sequences=True)
>>> layer(np.ones((2, 5, 3), "float32")).shape
(2, 5, 4)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.autograd import Tensor, ops
from descend.layers import _masks
from descend.layers.layer import Layer, call_accepts_training
from descend.layers.serialization import deserialize_layer, serialize_layer

__all__ = ["RNN"]


def _sizes(size: Any) -> list[int]:
    """Every state size, flat (a cell stack nests them per cell)."""
    if isinstance(size, (list, tuple)):
        return [n for s in size for n in _sizes(s)]
    return [int(size)]


def _along(mask: np.ndarray, ndim: int) -> np.ndarray:
    """A boolean mask ``(batch,)`` or ``(batch, steps)`` with axes added to broadcast
    against a tensor of ``ndim`` axes."""
    return mask.reshape(mask.shape + (1,) * (ndim - mask.ndim))


def _flatten(states: Any) -> list[Any]:
    if isinstance(states, (list, tuple)):
        return [leaf for s in states for leaf in _flatten(s)]
    return [states]


class RNN(Layer):
    """Recurrent layer over any cell.

    Parameters
    ----------
    cell : Layer or list of Layer
        A layer with ``state_size`` (int or list of int), optionally
        ``output_size``, and ``call(inputs, states, training=...) ->
        (output, new_states)`` on one step ``(batch, features)``. A list of
        cells becomes :class:`StackedRNNCells`.
    return_sequences : bool, default False
        Return the output of every step ``(batch, steps, units)`` instead of
        the last one ``(batch, units)``.
    return_state : bool, default False
        Also return the final states: ``[output, *states]``.
    go_backwards : bool, default False
        Read the sequence from the last step to the first; as in Keras, the
        returned sequence is in the order read (its first step is the input's
        last).
    stateful : bool, default False
        Start each batch from the final states of the previous batch (sample
        ``i`` continues sample ``i``); needs a fixed batch size. ``reset_states()``
        sets them back to zeros.
    unroll : bool, default False
        Accepted for Keras compatibility; descend always runs the same loop.
    zero_output_for_mask : bool, default False
        Output zeros (instead of the previous output) at masked steps.
    **kwargs
        Base-layer arguments.

    Notes
    -----
    ``call(sequences, initial_state=None, mask=None, training=False)``:
    ``sequences`` (batch, steps, features); ``initial_state`` a list of arrays
    (batch, state_size) (also accepted as ``layer([sequences, *states])``);
    ``mask`` (batch, steps) booleans, taken from the input's mask when omitted.
    """

    def __init__(self, cell: Any, return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, stateful: bool = False, unroll: bool = False,
                 zero_output_for_mask: bool = False, **kwargs: Any) -> None:
        if isinstance(cell, (list, tuple)):
            from descend.layers.rnn.stacked_rnn_cells import StackedRNNCells

            cell = StackedRNNCells(cell)
        if not hasattr(cell, "call") or not hasattr(cell, "state_size"):
            raise ValueError(
                "RNN: the cell must be a Layer with a `state_size` attribute and a "
                f"`call(inputs, states)` method, received {cell!r}."
            )
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self._states: list[np.ndarray] | None = None

    supports_masking = True

    @property
    def state_size(self) -> list[int]:
        """Every state's size, flat (the layer carries its states as a flat list)."""
        return _sizes(self.cell.state_size)

    def _nest(self, flat: list[Any]) -> list[Any]:
        """The states in the cell's structure (one list per cell for ``StackedRNNCells``)."""
        nest = getattr(self.cell, "nest_states", None)
        return nest(list(flat)) if nest is not None else list(flat)

    @property
    def _output_size(self) -> int:
        size = getattr(self.cell, "output_size", None)
        return _sizes(size)[0] if size is not None else self.state_size[0]

    # ----------------------------------------------------------------- build
    def _sequence_shape(self, input_shape: Any) -> tuple:
        if input_shape and isinstance(input_shape[0], (list, tuple)):
            input_shape = input_shape[0]
        shape = tuple(input_shape)
        if len(shape) < 3:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) expects sequences of shape "
                f"(batch, steps, features), received shape {shape}. Reshape a single "
                "sequence with x[None] or a series of numbers with x[..., None]."
            )
        return shape

    def build(self, input_shape: Any) -> None:
        """Build the cell for step inputs ``(batch,) + input_shape[2:]``."""
        shape = self._sequence_shape(input_shape)
        if not self.cell.built:
            self.cell.build((shape[0], *shape[2:]))
            self.cell.built = True
        self._step_shape = tuple(shape[2:])
        if self.stateful:
            if shape[0] is None:
                raise ValueError(
                    f"Layer '{self.name}': when using stateful=True the batch size must be "
                    f"static; received input shape {shape}. Give the Input a batch_size "
                    "(Input(shape, batch_size=32)) or pass batch_input_shape."
                )
            self._states = [np.zeros(state, self.dtype) for state in self._state_shapes(shape[0])]
        self.built = True

    def _state_shapes(self, batch: Any) -> list[tuple]:
        """The shape of every state for a batch, flat: ``(batch, size)`` (``ConvLSTM`` s'
        states are feature maps)."""
        return [(batch, s) for s in self.state_size]

    @property
    def states(self) -> list[Any] | None:
        """The carried states of a stateful layer (arrays (batch, size), nested per cell
        for ``StackedRNNCells``), else None."""
        return None if self._states is None else self._nest(self._states)

    def reset_states(self) -> None:
        """Set a stateful layer's carried states back to zeros."""
        self.reset_state()

    def reset_state(self) -> None:
        """Set a stateful layer's carried states back to zeros."""
        if self._states is not None:
            for state in self._states:
                state.fill(0)

    def get_initial_state(self, batch_size: int) -> list[Any]:
        """Zero states ``(batch_size, size)`` for each of the cell's state sizes (one
        list per cell for ``StackedRNNCells``, as Keras)."""
        return self._nest(self._zero_states(batch_size))

    def _zero_states(self, batch_size: int) -> list[Tensor]:
        own = getattr(self.cell, "get_initial_state", None)
        if own is not None:
            return _flatten(own(batch_size=batch_size))
        return [Tensor._make(np.zeros(shape, self.dtype), False, None)
                for shape in self._state_shapes(batch_size)]

    # ------------------------------------------------------------------ call
    def _check_input(self, inputs: Any) -> None:
        seq = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
        shape = self._sequence_shape(seq.shape)
        want = getattr(self, "_step_shape", None)
        if want is not None and any(w is not None and w != g
                                    for w, g in zip(want, shape[2:], strict=False)):
            raise ValueError(
                f"Input 0 of layer '{self.name}' is incompatible with the layer: expected "
                f"sequences of shape (batch, steps, {', '.join(map(str, want))}), received "
                f"shape {shape}."
            )

    def _initial_states(self, sequences: Tensor, initial_state: Any) -> list[Tensor]:
        batch = sequences.shape[0]
        if initial_state is None:
            if self.stateful:
                if self._states[0].shape[0] != batch:
                    raise ValueError(
                        f"Layer '{self.name}': a stateful RNN keeps the batch size it was built "
                        f"with ({self._states[0].shape[0]}), received a batch of {batch}. Use "
                        "that batch size (drop_remainder) or stateful=False."
                    )
                return [Tensor._make(s.copy(), False, None) for s in self._states]
            return self._zero_states(batch)
        states = _flatten(initial_state)  # nested per cell for StackedRNNCells, or flat
        states = [s if isinstance(s, Tensor) else Tensor(np.asarray(s, self.dtype))
                  for s in states]
        shapes = self._state_shapes(batch)
        if len(states) != len(shapes) or any(
                tuple(s.shape) != shape for s, shape in zip(states, shapes, strict=False)):
            raise ValueError(
                f"Layer '{self.name}': initial_state must be {len(shapes)} array(s) of shapes "
                f"{shapes}, received shapes {[tuple(s.shape) for s in states]}."
            )
        return states

    def call(self, sequences: Any, initial_state: Any = None, mask: Any = None,
             training: bool = False) -> Any:
        """Run the cell over the steps (see the class Notes)."""
        if isinstance(sequences, (list, tuple)):
            if initial_state is None and len(sequences) > 1:
                initial_state = list(sequences[1:])
            sequences = sequences[0]
        mask = _masks.check_mask(mask, sequences, self.name)
        states = self._initial_states(sequences, initial_state)
        x = sequences
        if self.go_backwards:
            x = x[:, ::-1]
            if mask is not None:
                mask = mask[:, ::-1]
        fused = self._fused_sequence(x, states, mask, training)
        if fused is not None:
            outputs, states = fused
            last = outputs[:, -1]
        else:
            outputs, last, states = self._loop(x, states, mask, training)
        if mask is not None and (self.zero_output_for_mask or fused is not None):
            keep = mask if self.zero_output_for_mask else np.logical_or.accumulate(mask, axis=1)
            zeros = Tensor._make(np.zeros((), outputs.dtype), False, None)
            if self.return_sequences:
                outputs = ops.where(_along(keep, outputs.ndim), outputs, zeros)
            last = ops.where(_along(keep[:, -1], last.ndim), last, zeros)
        self._reset_dropout_masks(self.cell)
        if self.stateful:
            for kept, new in zip(self._states, states, strict=True):
                kept[...] = new.data
        output = outputs if self.return_sequences else last
        if self.return_state:
            return [output, *self._nest(states)]
        return output

    def _fused_sequence(self, x: Tensor, states: list[Tensor], mask: Any,
                        training: bool) -> tuple | None:
        """A whole-sequence primitive for the cell, if a subclass has one (else None)."""
        return None

    def _loop(self, x: Tensor, states: list[Tensor], mask: Any, training: bool) -> tuple:
        cell = self.cell
        takes_training = call_accepts_training(cell)
        outputs: list[Tensor] = []
        prev: Any = None
        for t in range(x.shape[1]):
            step = x[:, t]
            if takes_training:  # the states always go as a list, as in Keras
                out, new = cell.call(step, list(states), training=training)
            else:
                out, new = cell.call(step, list(states))
            new = _flatten(new)
            if mask is not None:
                m = _along(mask[:, t], out.ndim)
                if prev is None:
                    prev = Tensor._make(np.zeros(out.shape, out.dtype), False, None)
                out = ops.where(m, out, prev)
                new = [ops.where(m, s_new, s_old) for s_new, s_old in zip(new, states,
                                                                          strict=True)]
            states = new
            prev = out
            if self.return_sequences:
                outputs.append(out)
        seq = ops.stack(outputs, axis=1) if self.return_sequences else None
        return seq, prev, states

    def _reset_dropout_masks(self, cell: Any) -> None:
        for inner in getattr(cell, "cells", [cell]):
            for name in ("reset_dropout_mask", "reset_recurrent_dropout_mask"):
                method = getattr(inner, name, None)
                if method is not None:
                    method()

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        """The input mask if ``return_sequences`` (None for the states)."""
        if isinstance(previous_mask, (list, tuple)):
            previous_mask = previous_mask[0]
        if previous_mask is not None:  # passed on unchanged (also with go_backwards, as Keras)
            previous_mask = np.asarray(getattr(previous_mask, "data", previous_mask), bool)
        out = previous_mask if self.return_sequences else None
        if self.return_state:
            return [out] + [None] * len(self._nest(self.state_size))
        return out

    def compute_output_shape(self, input_shape: Any) -> Any:
        """(batch, steps, units) or (batch, units), plus (batch, size) per state."""
        shape = self._sequence_shape(input_shape)
        step = self._step_output_shape(shape)
        out = (shape[0], shape[1], *step) if self.return_sequences else (shape[0], *step)
        if self.return_state:
            return [out] + self._nest(self._state_shapes(shape[0]))
        return out

    def _step_output_shape(self, sequence_shape: tuple) -> tuple:
        """The shape of one step's output without the batch axis: ``(units,)``."""
        return (self._output_size,)

    # --------------------------------------------------------- serialisation
    def _rnn_config(self) -> dict[str, Any]:
        return {
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
        }

    def get_config(self) -> dict[str, Any]:
        """Keras's keys: the RNN arguments and the serialized ``cell``."""
        config = super().get_config()
        config.update(self._rnn_config())
        config["cell"] = serialize_layer(self.cell)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: dict | None = None) -> RNN:
        """Recreate the layer, deserializing its ``cell``."""
        config = dict(config)
        cell = deserialize_layer(config.pop("cell"), custom_objects)
        return cls(cell, **config)
