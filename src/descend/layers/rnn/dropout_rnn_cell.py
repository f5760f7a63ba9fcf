"""Shared pieces of the built-in recurrent cells: dropout masks and weight arguments.

Keras draws one dropout mask per sequence (the same units are dropped at every
time step): a cell creates its masks on first use in a sequence and the
``RNN`` layer forgets them when the sequence ends (``reset_dropout_mask``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend import activations, constraints, initializers, regularizers
from descend import random as descend_random
from descend.autograd import Tensor
from descend.layers.layer import Layer


def _rate(value: Any, what: str, layer: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(f"Layer '{layer}': `{what}` must be a float in [0, 1], "
                         f"received {what}={value!r}.")
    return float(min(1.0, max(0.0, value)))


class DropoutRNNCell(Layer):
    """Base of the built-in cells: weight arguments, dropout masks, config.

    Parameters
    ----------
    units : int
        Positive number of units.
    activation : str or callable, default "tanh"
    use_bias : bool, default True
    kernel_initializer : default "glorot_uniform"
    recurrent_initializer : default "orthogonal"
    bias_initializer : default "zeros"
    kernel_regularizer, recurrent_regularizer, bias_regularizer : optional
    kernel_constraint, recurrent_constraint, bias_constraint : optional
    dropout : float, default 0.0
        Fraction of the inputs dropped (one mask per sequence).
    recurrent_dropout : float, default 0.0
        Fraction of the previous state dropped (one mask per sequence).
    seed : int, optional
        Seed of the dropout masks.
    """

    def __init__(self, units: int, activation: Any = "tanh", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, kernel_constraint: Any = None,
                 recurrent_constraint: Any = None, bias_constraint: Any = None,
                 dropout: float = 0.0, recurrent_dropout: float = 0.0, seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units <= 0:
            raise ValueError(f"Received an invalid value for argument `units`, expected a "
                             f"positive integer, got {units!r} (layer '{self.name}').")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = _rate(dropout, "dropout", self.name)
        self.recurrent_dropout = _rate(recurrent_dropout, "recurrent_dropout", self.name)
        self.seed = seed
        self._generator = None if seed is None else np.random.default_rng(seed)
        self._dropout_mask: list[Tensor] | None = None
        self._recurrent_dropout_mask: list[Tensor] | None = None
        self.kernel: Any = None
        self.recurrent_kernel: Any = None
        self.bias: Any = None

    # ------------------------------------------------------------- dropout
    def _draw(self, shape: tuple, rate: float, dtype: Any) -> Tensor:
        generator = self._generator or descend_random.generator()
        keep = generator.random(shape, dtype=np.float32) >= rate
        scale = np.asarray(1.0 / (1.0 - rate) if rate < 1 else 0.0, dtype)
        return Tensor._make(keep.astype(dtype) * scale, False, None)

    #: number of gates; with ``recurrent_dropout`` Keras draws one mask per gate
    _gates = 1

    def _mask_count(self) -> int:
        return self._gates if self.recurrent_dropout > 0 else 1

    def _draw_masks(self, shape: tuple, rate: float, dtype: Any) -> list[Tensor]:
        return [self._draw(shape, rate, dtype) for _ in range(self._mask_count())]

    def get_dropout_mask(self, step_input: Any) -> list[Tensor] | None:
        """The input dropout masks of this sequence (drawn on first use), or None.

        One mask, or one per gate when ``recurrent_dropout > 0`` (Keras's
        ``implementation=1``).
        """
        if self.dropout == 0:
            return None
        if self._dropout_mask is None or self._dropout_mask[0].shape != step_input.shape:
            self._dropout_mask = self._draw_masks(step_input.shape, self.dropout,
                                                  step_input.dtype)
        return self._dropout_mask

    def get_recurrent_dropout_mask(self, step_state: Any) -> list[Tensor] | None:
        """The recurrent dropout masks (one per gate) of this sequence, or None."""
        if self.recurrent_dropout == 0:
            return None
        if self._recurrent_dropout_mask is None or \
                self._recurrent_dropout_mask[0].shape != step_state.shape:
            self._recurrent_dropout_mask = self._draw_masks(
                step_state.shape, self.recurrent_dropout, step_state.dtype)
        return self._recurrent_dropout_mask

    def _gate_inputs(self, inputs: Any, h_prev: Any, training: bool) -> tuple[list, list]:
        """Per-gate dropped inputs and previous states (all the same tensor without dropout)."""
        count = self._mask_count()
        xs, hs = [inputs] * count, [h_prev] * count
        if training and 0.0 < self.dropout < 1.0:
            xs = [inputs * m for m in self.get_dropout_mask(inputs)]
        if training and 0.0 < self.recurrent_dropout < 1.0:
            hs = [h_prev * m for m in self.get_recurrent_dropout_mask(h_prev)]
        return xs, hs

    def reset_dropout_mask(self) -> None:
        """Forget the input dropout mask (a new one is drawn for the next sequence)."""
        self._dropout_mask = None

    def reset_recurrent_dropout_mask(self) -> None:
        """Forget the recurrent dropout mask."""
        self._recurrent_dropout_mask = None

    # ------------------------------------------------------------- weights
    def _check_step_input(self, input_shape: Any) -> int:
        if len(input_shape) != 2 or input_shape[-1] is None:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) expects step inputs of shape "
                f"(batch, features), received {tuple(input_shape)}. Wrap the cell in RNN(...) "
                "to run it over sequences of shape (batch, steps, features)."
            )
        return int(input_shape[-1])

    def _add_kernels(self, input_dim: int, gates: int) -> None:
        self.kernel = self.add_weight(
            shape=(input_dim, gates * self.units), name="kernel",
            initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, gates * self.units), name="recurrent_kernel",
            initializer=self.recurrent_initializer, regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint)

    def _add_bias(self, shape: tuple, initializer: Any) -> None:
        self.bias = self.add_weight(
            shape=shape, name="bias", initializer=initializer,
            regularizer=self.bias_regularizer, constraint=self.bias_constraint)

    def get_config(self) -> dict[str, Any]:
        """Keras's keys of the built-in cells."""
        config = super().get_config()
        config.update(
            units=self.units,
            activation=activations.serialize(self.activation),
            use_bias=self.use_bias,
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            recurrent_initializer=initializers.serialize(self.recurrent_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
            kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
            recurrent_regularizer=regularizers.serialize(self.recurrent_regularizer),
            bias_regularizer=regularizers.serialize(self.bias_regularizer),
            kernel_constraint=constraints.serialize(self.kernel_constraint),
            recurrent_constraint=constraints.serialize(self.recurrent_constraint),
            bias_constraint=constraints.serialize(self.bias_constraint),
            dropout=self.dropout,
            recurrent_dropout=self.recurrent_dropout,
            seed=self.seed,
        )
        return config


def unit_forget_bias(base: Any, units: int) -> Any:
    """Keras's ``unit_forget_bias`` initializer of an LSTM bias ``(4 units,)``: ``base`` for
    the input, candidate and output gates, ones for the forget gate (gates i, f, c, o)."""

    def initializer(shape: Any, dtype: Any = None) -> np.ndarray:
        return np.concatenate([
            np.asarray(base((units,), dtype=dtype)), np.ones((units,), dtype),
            np.asarray(base((2 * units,), dtype=dtype))]).astype(dtype)

    return initializer


def is_builtin(fn: Any, name: str) -> bool:
    """Whether ``fn`` is descend's built-in activation ``name`` (the fused paths need it)."""
    return getattr(fn, "__name__", None) == name and \
        getattr(fn, "__module__", "") == activations.__name__
