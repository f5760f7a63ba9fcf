"""explain's tools and ``check_gradients`` on recurrent and attention models (public API).

``model.check_gradients`` compares backprop with float64 central differences on
every layer of recurrent models (masks, stacked cells, wrappers, dropout,
stateful layers); ``explain.step`` reports a masked sequence loss as training
computes it; ``TrainingMonitor`` records recurrent layers.
"""

from __future__ import annotations

import numpy as np
import pytest

import descend
from descend import explain, layers
from descend.losses import SparseCategoricalCrossentropy

RNG = np.random.default_rng(0)
SEQ = RNG.normal(size=(4, 5, 3)).astype("float32")
SEQ[0, 3:] = 0.0  # padded steps for Masking
SEQ[2, 1:] = 0.0
LABELS = RNG.integers(0, 2, 4)
IDS = np.array([[3, 5, 9, 0, 0, 0], [2, 0, 0, 0, 0, 0], [1, 4, 6, 2, 7, 8], [7, 7, 0, 0, 0, 0]])
TAGS = RNG.integers(0, 3, IDS.shape)


def _sequential(*body, batch_size=None):
    return descend.Sequential([descend.Input((5, 3), batch_size=batch_size), *body,
                               layers.Dense(2)])


def _transformer():
    inputs = descend.Input((5, 3))
    h = layers.MultiHeadAttention(2, 2, dropout=0.2)(inputs, inputs)
    h = layers.LayerNormalization()(layers.Add()([inputs, h]))
    return descend.Model(inputs, layers.Dense(2)(layers.GlobalAveragePooling1D()(h)))


MODELS = {
    "lstm_gru": lambda: _sequential(layers.LSTM(4, return_sequences=True), layers.GRU(3)),
    "masked_bidirectional": lambda: _sequential(
        layers.Masking(0.0), layers.Bidirectional(layers.LSTM(3, return_sequences=True),
                                                  merge_mode="sum"),
        layers.Bidirectional(layers.GRU(2), merge_mode="concat")),
    "stacked_cells": lambda: _sequential(
        layers.RNN(layers.StackedRNNCells([layers.LSTMCell(3), layers.SimpleRNNCell(2)]))),
    "time_distributed": lambda: _sequential(layers.TimeDistributed(layers.Dense(3)),
                                            layers.SimpleRNN(4, activation="sigmoid")),
    "gru_v1_backwards": lambda: _sequential(layers.GRU(4, reset_after=False,
                                                       go_backwards=True)),
    "dropout": lambda: _sequential(layers.LSTM(4, dropout=0.3, recurrent_dropout=0.3)),
    "transformer": _transformer,
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_check_gradients_on_recurrent_models(name):
    descend.utils.set_random_seed(0)
    model = MODELS[name]()
    model.compile("adam", SparseCategoricalCrossentropy(from_logits=True))
    result = model.check_gradients(SEQ, LABELS)
    assert result.ok, str(result)
    assert {entry.layer for entry in result.layers} >= {
        layer.name for layer in model.layers if layer.trainable_weights}


def test_check_gradients_on_a_masked_sequence_output():
    descend.utils.set_random_seed(0)
    model = descend.Sequential([descend.Input((6,)), layers.Embedding(10, 4, mask_zero=True),
                                layers.LSTM(3, return_sequences=True), layers.Dense(3)])
    model.compile("adam", SparseCategoricalCrossentropy(from_logits=True))
    result = model.check_gradients(IDS, TAGS, n_samples=40)
    assert result.ok, str(result)


def test_check_gradients_leaves_stateful_states_alone():
    descend.utils.set_random_seed(0)
    model = _sequential(layers.Bidirectional(layers.GRU(3, stateful=True)), batch_size=4)
    model.compile("adam", SparseCategoricalCrossentropy(from_logits=True))
    model.fit(SEQ, LABELS, batch_size=4, epochs=1, verbose=0)  # non-zero carried states
    carried = [s.copy() for s in model.layers[0].forward_layer.states]
    assert any(np.abs(s).sum() > 0 for s in carried)
    result = model.check_gradients(SEQ, LABELS)
    assert result.ok, str(result)
    for kept, before in zip(model.layers[0].forward_layer.states, carried, strict=True):
        np.testing.assert_array_equal(kept, before)
    # the shape probes of evaluate/predict do not advance the states either: they end
    # where two plain calls on the two batches end
    x8, y8 = np.concatenate([SEQ, SEQ[::-1]]), np.concatenate([LABELS, LABELS])
    layer = model.layers[0]
    layer.reset_states()
    model(x8[:4])
    model(x8[4:])
    want = [s.copy() for s in layer.forward_layer.states + layer.backward_layer.states]
    for run in (lambda: model.predict(x8, batch_size=4, verbose=0),
                lambda: model.evaluate(x8, y8, batch_size=4, verbose=0)):
        layer.reset_states()
        run()
        got = layer.forward_layer.states + layer.backward_layer.states
        for a, b in zip(got, want, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-6)


def test_explain_step_reports_the_masked_loss():
    descend.utils.set_random_seed(0)
    model = descend.Sequential([descend.Input((6,)), layers.Embedding(10, 4, mask_zero=True),
                                layers.Bidirectional(layers.LSTM(3, return_sequences=True)),
                                layers.Dense(3)])
    model.compile("sgd", SparseCategoricalCrossentropy(from_logits=True))
    want = model.evaluate(IDS, TAGS, batch_size=len(IDS), verbose=0)
    record = explain.step(model, IDS, TAGS, print_fn=None, apply=False)
    np.testing.assert_allclose(record.loss, want, rtol=1e-6)
    mask = IDS != 0
    np.testing.assert_array_equal(record.output_masks[0], mask)
    assert np.all(record.sample_losses[~mask] == 0) and np.all(record.sample_losses[mask] > 0)
    np.testing.assert_allclose(record.sample_losses.sum() / mask.sum(), want, rtol=1e-5)
    assert np.all(record.output_gradients[0][~mask] == 0)
    assert f"mask: {mask.sum()} of {mask.size} steps are real" in record.text
    lstm = record.layer(model.layers[1].name)
    assert lstm.weights and all(np.isfinite(w.gradient).all() for w in lstm.weights)


def test_training_monitor_records_recurrent_layers():
    descend.utils.set_random_seed(0)
    model = MODELS["lstm_gru"]()
    model.compile("adam", SparseCategoricalCrossentropy(from_logits=True))
    monitor = explain.TrainingMonitor(SEQ, LABELS, warn=False)
    model.fit(SEQ, LABELS, epochs=2, verbose=0, callbacks=[monitor])
    assert len(monitor.records) == 2
    names = set(monitor.records[-1]["layers"])
    assert {layer.name for layer in model.layers} <= names
    assert all(np.isfinite(r["loss"]) for r in monitor.records)


def test_training_monitor_on_a_stateful_model():
    descend.utils.set_random_seed(0)
    model = _sequential(layers.LSTM(3, stateful=True), batch_size=4)
    model.compile("adam", SparseCategoricalCrossentropy(from_logits=True))
    monitor = explain.TrainingMonitor(SEQ, LABELS, warn=False)
    model.fit(SEQ, LABELS, batch_size=4, epochs=2, verbose=0, callbacks=[monitor])
    assert len(monitor.records) == 2
