"""Gradients of the recurrent primitives, cells, layers and wrappers against central differences.

Every argument that changes the computation is covered: masks, go_backwards,
return_sequences/return_state, initial states, reset_after, no bias, non-default
activations (the stepped cell path), dropout (fixed masks), stacked cells and the
wrappers' merge modes.
"""

from __future__ import annotations

import numpy as np
import pytest

from descend import gradcheck, layers, ops
from descend.autograd.ops.recurrent import EmbeddingLookup, GRUSequence, LSTMSequence

MASK = np.array([[1, 1, 0, 1], [0, 1, 1, 1], [1, 1, 1, 0]], bool)


def _arr(rng, *shape, scale=0.5):
    return rng.normal(size=shape) * scale


@pytest.mark.parametrize("masked", [False, True])
def test_lstm_sequence_primitive(masked, rng):
    b, t, i, u = 3, 4, 2, 3
    mask = MASK if masked else None
    gradcheck(lambda *a: LSTMSequence.apply(*a, mask=mask), _arr(rng, b, t, i),
              _arr(rng, b, u), _arr(rng, b, u), _arr(rng, i, 4 * u), _arr(rng, u, 4 * u),
              _arr(rng, 4 * u))


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_sequence_primitive(masked, reset_after, rng):
    b, t, i, u = 3, 4, 2, 3
    mask = MASK if masked else None
    bias = _arr(rng, 2, 3 * u) if reset_after else _arr(rng, 3 * u)
    gradcheck(lambda *a: GRUSequence.apply(*a, reset_after=reset_after, mask=mask),
              _arr(rng, b, t, i), _arr(rng, b, u), _arr(rng, i, 3 * u), _arr(rng, u, 3 * u),
              bias)


def test_embedding_lookup_primitive(rng):
    ids = np.array([[0, 3, 3, 1], [4, 4, 4, 0]])
    gradcheck(lambda table: EmbeddingLookup.apply(table, ids=ids), _arr(rng, 6, 3))


def _layer_check(layer, x, *extra, mask=None, training=False, call_kwargs=None):
    """Gradcheck the layer output with respect to its input and every weight."""
    layer.build(x.shape) if not layer.built else None
    weights = layer.trainable_weights
    values = [w.numpy().astype("float64") for w in weights]
    call_kwargs = call_kwargs or {}

    def fn(inputs, *args):
        n_extra = len(extra)
        extra_now, weight_values = args[:n_extra], args[n_extra:]
        out = _call_with_tensors(layer, weights, weight_values, inputs, extra_now, mask,
                                 training, call_kwargs)
        if isinstance(out, (list, tuple)):
            out = ops.concatenate([o.reshape(o.shape[0], -1) for o in out], axis=-1)
        return out

    gradcheck(fn, x, *extra, *values)


def _call_with_tensors(layer, weights, weight_values, inputs, extra, mask, training, kwargs):
    """Call ``layer`` with its weights replaced by the gradcheck tensors."""
    originals = {}
    for owner in layer._flatten_layers():
        for name, value in list(vars(owner).items()):
            for w, v in zip(weights, weight_values, strict=True):
                if value is w:
                    originals[(id(owner), name)] = (owner, name, value)
                    object.__setattr__(owner, name, v)
    assert len(originals) == len(weights)  # every weight is replaced, so its gradient is checked
    try:
        if extra:
            kwargs = {**kwargs, "initial_state": list(extra)}
        return layer(inputs, mask=mask, training=training, **kwargs)
    finally:
        for owner, name, value in originals.values():
            object.__setattr__(owner, name, value)


CASES = [
    ("lstm", lambda: layers.LSTM(3, dtype="float64")),
    ("lstm-seq-back-state", lambda: layers.LSTM(3, return_sequences=True, go_backwards=True,
                                                return_state=True, dtype="float64")),
    ("lstm-nobias", lambda: layers.LSTM(3, use_bias=False, return_sequences=True,
                                        dtype="float64")),
    ("lstm-cell-path", lambda: layers.LSTM(3, activation="softsign",
                                           recurrent_activation="tanh", dtype="float64",
                                           return_sequences=True)),
    ("gru", lambda: layers.GRU(3, return_sequences=True, dtype="float64")),
    ("gru-before", lambda: layers.GRU(3, reset_after=False, return_state=True,
                                      dtype="float64")),
    ("gru-cell-path", lambda: layers.GRU(3, activation="softsign", dtype="float64",
                                         go_backwards=True)),
    ("gru-before-cell-path", lambda: layers.GRU(3, activation="softsign", reset_after=False,
                                                use_bias=False, dtype="float64")),
    ("simple", lambda: layers.SimpleRNN(3, return_sequences=True, dtype="float64")),
    ("simple-relu-back", lambda: layers.SimpleRNN(3, activation="softsign", go_backwards=True,
                                                  dtype="float64")),
    ("rnn-zero-output", lambda: layers.RNN(layers.LSTMCell(3, dtype="float64"),
                                           return_sequences=True, zero_output_for_mask=True,
                                           dtype="float64")),
    ("stacked", lambda: layers.RNN([layers.LSTMCell(3, dtype="float64"),
                                    layers.GRUCell(2, dtype="float64"),
                                    layers.SimpleRNNCell(2, dtype="float64")],
                                   return_sequences=True, dtype="float64")),
]


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("name,make", CASES, ids=[c[0] for c in CASES])
def test_layers(name, make, masked, rng):
    layer = make()
    x = _arr(rng, 3, 4, 2)
    _layer_check(layer, x, mask=MASK if masked else None)


@pytest.mark.parametrize("cls,n_states", [(layers.LSTM, 2), (layers.GRU, 1),
                                          (layers.SimpleRNN, 1)])
def test_initial_state_gradients(cls, n_states, rng):
    layer = cls(3, return_sequences=True, dtype="float64")
    x = _arr(rng, 3, 4, 2)
    states = [_arr(rng, 3, 3) for _ in range(n_states)]
    _layer_check(layer, x, *states, mask=MASK)


@pytest.mark.parametrize("cls", [layers.LSTM, layers.GRU, layers.SimpleRNN])
@pytest.mark.parametrize("which", ["dropout", "recurrent_dropout", "both"])
def test_dropout_gradients(cls, which, rng):
    """Training-mode dropout with masks fixed by a reseeded generator at every call."""
    rates = {"dropout": 0.3, "recurrent_dropout": 0.3} if which == "both" else {which: 0.3}
    layer = cls(3, dtype="float64", return_sequences=True, **rates)
    x = _arr(rng, 3, 4, 2)
    layer.build(x.shape)
    cell = layer.cell

    class Fixed:
        def random(self, shape, dtype=None):
            return np.random.default_rng(5).random(shape, dtype=dtype)

    cell._generator = Fixed()
    _layer_check(layer, x, training=True)


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
def test_bidirectional(merge_mode, rng):
    layer = layers.Bidirectional(layers.LSTM(3, return_sequences=True, dtype="float64"),
                                 merge_mode=merge_mode, dtype="float64")
    _layer_check(layer, _arr(rng, 3, 4, 2), mask=MASK)


def test_bidirectional_last_output_with_states(rng):
    layer = layers.Bidirectional(layers.GRU(3, return_state=True, dtype="float64"),
                                 dtype="float64")
    _layer_check(layer, _arr(rng, 3, 4, 2), mask=MASK)


def test_time_distributed(rng):
    layer = layers.TimeDistributed(layers.Dense(3, activation="tanh", dtype="float64"),
                                   dtype="float64")
    _layer_check(layer, _arr(rng, 3, 4, 2))


def test_cells_alone(rng):
    x, h, c = _arr(rng, 2, 3), _arr(rng, 2, 4), _arr(rng, 2, 4)
    for cell, states in [(layers.LSTMCell(4, dtype="float64"), [h, c]),
                         (layers.GRUCell(4, dtype="float64"), [h]),
                         (layers.GRUCell(4, reset_after=False, dtype="float64"), [h]),
                         (layers.SimpleRNNCell(4, dtype="float64"), [h])]:
        cell.build(x.shape)
        kernel, recurrent = cell.kernel, cell.recurrent_kernel

        def fn(inputs, *s, cell=cell):
            out, new = cell(inputs, list(s))
            return ops.concatenate([out, *new], axis=-1)

        gradcheck(fn, x, *states)
        assert cell.kernel is kernel and cell.recurrent_kernel is recurrent
