"""``Bidirectional``: read a sequence forwards and backwards with two copies of an RNN.

Examples
--------
>>> import numpy as np
>>> from descend.layers import LSTM, Bidirectional
>>> layer = Bidirectional(LSTM(4, return_sequences=True))
>>> layer(np.ones((2, 5, 3), "float32")).shape  # both directions, concatenated
(2, 5, 8)
>>> layer.forward_layer.name.startswith("forward_"), layer.backward_layer.go_backwards
(True, True)
"""

from __future__ import annotations

from typing import Any

from descend.autograd import ops
from descend.layers import _masks
from descend.layers.layer import Layer
from descend.layers.serialization import deserialize_layer, serialize_layer

__all__ = ["Bidirectional"]

_MERGE_MODES = ("sum", "mul", "ave", "concat", None)


def _renamed_copy(layer: Layer, prefix: str, backwards: bool | None = None) -> Layer:
    config = serialize_layer(layer)
    config.pop("build_config", None)
    inner = config["config"]
    name = layer.name
    for p in ("forward_", "backward_"):
        if name.startswith(p):
            name = name[len(p):]
    inner["name"] = f"{prefix}{name}"
    if backwards is not None:
        inner["go_backwards"] = backwards
    return deserialize_layer(config)


class Bidirectional(Layer):
    """Run an RNN forwards and a copy backwards, and merge their outputs.

    Parameters
    ----------
    layer : RNN
        The forward layer (``LSTM``, ``GRU``, ``SimpleRNN``, ``RNN``); a copy
        named ``forward_<name>`` reads forwards and one named
        ``backward_<name>`` with ``go_backwards`` flipped reads backwards.
    merge_mode : {"concat", "sum", "mul", "ave", None}, default "concat"
        How the two outputs combine; ``None`` returns both as a list.
    weights : list of ndarray, optional
        Initial weights: the forward layer's, then the backward layer's.
    backward_layer : RNN, optional
        Use this layer for the backward direction (must have the opposite
        ``go_backwards`` and the same ``return_sequences``, ``return_state``,
        ``stateful``).
    **kwargs
        Base-layer arguments.

    Notes
    -----
    The backward output sequence is flipped back to the input's order before
    merging. Masks are passed to both directions; masked steps output zeros
    (``zero_output_for_mask`` is set to ``return_sequences``, as Keras does).
    With ``return_state`` the result is ``[output(s), *forward_states,
    *backward_states]``. ``initial_state`` gives the forward states, then the
    backward ones.
    """

    supports_masking = True

    def __init__(self, layer: Any, merge_mode: str | None = "concat", weights: Any = None,
                 backward_layer: Any = None, **kwargs: Any) -> None:
        if not isinstance(layer, Layer):
            raise ValueError("Please initialize `Bidirectional` layer with a Layer instance "
                             f"(an RNN such as LSTM(8)). Received: {layer!r}")
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError("`backward_layer` needs to be a Layer instance. "
                             f"Received: {backward_layer!r}")
        if merge_mode not in _MERGE_MODES:
            raise ValueError(f"Invalid merge mode. Received: {merge_mode!r}. Merge mode should "
                             'be one of {"sum", "mul", "ave", "concat", None}.')
        super().__init__(**kwargs)
        self.forward_layer = _renamed_copy(layer, "forward_")
        if backward_layer is None:
            backward_layer = _renamed_copy(layer, "backward_", not layer.go_backwards)
        self.backward_layer = backward_layer
        fwd, bwd = self.forward_layer, self.backward_layer
        if fwd.go_backwards == bwd.go_backwards:
            raise ValueError("Forward layer and backward layer should have different "
                             f"`go_backwards` values. Received {fwd.go_backwards} for both.")
        for attr in ("stateful", "return_sequences", "return_state"):
            if getattr(fwd, attr) != getattr(bwd, attr):
                raise ValueError(
                    f'Forward layer and backward layer are expected to have the same value '
                    f'for attribute "{attr}", got "{getattr(fwd, attr)}" for forward layer and '
                    f'"{getattr(bwd, attr)}" for backward layer.')
        for inner in (fwd, bwd):
            if hasattr(inner, "zero_output_for_mask"):
                inner.zero_output_for_mask = inner.return_sequences
        self.merge_mode = merge_mode
        self.stateful = fwd.stateful
        self.return_sequences = fwd.return_sequences
        self.return_state = fwd.return_state
        self._initial_weights = list(weights) if weights else None

    def build(self, input_shape: Any) -> None:
        """Build both directions."""
        for inner in (self.forward_layer, self.backward_layer):
            if not inner.built:
                try:
                    inner._maybe_build(input_shape)
                except ValueError as error:  # name the wrapper the user called
                    raise ValueError(f"Layer '{self.name}' (Bidirectional): {error}") from None
        if self._initial_weights:
            half = len(self._initial_weights) // 2
            self.forward_layer.set_weights(self._initial_weights[:half])
            self.backward_layer.set_weights(self._initial_weights[half:])
            self._initial_weights = None
        self.built = True

    def _check_input(self, inputs: Any) -> None:
        try:
            self.forward_layer._check_input(inputs)
        except ValueError as error:
            raise ValueError(f"Layer '{self.name}' (Bidirectional): {error}") from None

    def reset_states(self) -> None:
        """Reset both directions' carried states (stateful layers)."""
        self.forward_layer.reset_states()
        self.backward_layer.reset_states()

    reset_state = reset_states

    def call(self, sequences: Any, initial_state: Any = None, mask: Any = None,
             training: bool = False) -> Any:
        """Both directions, merged (see the class Notes)."""
        if isinstance(sequences, (list, tuple)):
            if initial_state is None and len(sequences) > 1:
                initial_state = list(sequences[1:])
            sequences = sequences[0]
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = list(initial_state[:half]), list(initial_state[half:])
        mask = _masks.check_mask(mask, sequences, self.name)
        y = self.forward_layer._invoke(sequences, training, initial_state=forward_state,
                                       mask=mask)
        y_rev = self.backward_layer._invoke(sequences, training, initial_state=backward_state,
                                            mask=mask)
        states: list = []
        if self.return_state:
            states = list(y[1:]) + list(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = y_rev[:, ::-1]
        mode = self.merge_mode
        if mode == "concat":
            output: Any = ops.concatenate([y, y_rev], axis=-1)
        elif mode == "sum":
            output = y + y_rev
        elif mode == "ave":
            output = (y + y_rev) * 0.5
        elif mode == "mul":
            output = y * y_rev
        else:
            output = [y, y_rev]
        if self.return_state:
            return (output if mode is None else [output]) + states
        return output

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        """The input mask for the output(s) if ``return_sequences``; None for the states."""
        if isinstance(previous_mask, (list, tuple)):
            previous_mask = previous_mask[0]
        out = previous_mask if self.return_sequences else None
        outputs = [out, out] if self.merge_mode is None else [out]
        if self.return_state:
            return outputs + [None] * (2 * len(self.forward_layer.state_size))
        return outputs if self.merge_mode is None else out

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The forward layer's shape, last axis doubled for ``concat``."""
        shape = self.forward_layer.compute_output_shape(input_shape)
        states: list = []
        if self.return_state:
            shape, states = shape[0], list(shape[1:])
        shape = tuple(shape)
        if self.merge_mode == "concat":
            shape = (*shape[:-1], shape[-1] * 2)
        outputs = [shape, shape] if self.merge_mode is None else [shape]
        if self.return_state:
            return outputs + states + states
        return outputs if self.merge_mode is None else shape

    def get_config(self) -> dict[str, Any]:
        """Keras's keys: ``merge_mode``, ``layer`` and ``backward_layer``."""
        config = super().get_config()
        config["merge_mode"] = self.merge_mode
        config["layer"] = serialize_layer(self.forward_layer)
        config["backward_layer"] = serialize_layer(self.backward_layer)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: dict | None = None
                    ) -> Bidirectional:
        """Recreate both directions, then the wrapper."""
        config = dict(config)
        config["layer"] = deserialize_layer(config["layer"], custom_objects)
        backward = config.pop("backward_layer", None)
        if backward is not None:
            config["backward_layer"] = deserialize_layer(backward, custom_objects)
        return cls(**config)


