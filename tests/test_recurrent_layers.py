"""SimpleRNN, LSTM, GRU and their cells: outputs equal Keras's formulas for given weights.

The reference is a NumPy transcription of Keras's equations (tests/rnn_reference.py); the
weights are random, set with ``set_weights`` in Keras's layout, so a weight layout that
differs from Keras's (gate order, bias shape) fails here.
"""

from __future__ import annotations

import numpy as np
import pytest

import descend
import rnn_reference as ref
from descend import layers

KINDS = {
    "lstm": (layers.LSTM, ref.lstm_step, 4, 2),
    "gru": (layers.GRU, ref.gru_step, 3, 1),
    "simple": (layers.SimpleRNN, ref.simple_step, 1, 1),
}
MASK = np.array([[1, 1, 1, 0, 0], [0, 1, 1, 0, 1], [1, 1, 1, 1, 1]], bool)


def _layer_and_weights(kind, rng, units=4, features=3, **kwargs):
    cls, _, gates, _ = KINDS[kind]
    layer = cls(units, dtype="float64", **kwargs)
    layer.build((None, 5, features))
    weights = [rng.normal(size=w.shape) * 0.5 for w in layer.weights]
    layer.set_weights(weights)
    return layer, weights


def _reference(kind, weights, x, mask=None, go_backwards=False, zero=False, reset_after=True,
               states=None):
    _, step, _, n_states = KINDS[kind]
    kernel, recurrent = weights[0], weights[1]
    bias = weights[2] if len(weights) > 2 else None
    if kind == "gru":
        def fn(xt, s):
            return step(xt, s, kernel, recurrent, bias, reset_after)
    else:
        def fn(xt, s):
            return step(xt, s, kernel, recurrent, bias)
    units = kernel.shape[1] // KINDS[kind][2]
    if states is None:
        states = [np.zeros((x.shape[0], units))] * n_states
    return ref.run_rnn(fn, x, states, mask, go_backwards, zero)


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_outputs_equal_keras_formulas(kind, return_sequences, go_backwards, masked, rng):
    layer, weights = _layer_and_weights(kind, rng, return_sequences=return_sequences,
                                        go_backwards=go_backwards, return_state=True)
    x = rng.normal(size=(3, 5, 3))
    mask = MASK if masked else None
    out = layer(x, mask=mask)
    rmask = mask[:, ::-1] if (masked and go_backwards) else mask
    xr = x[:, ::-1] if go_backwards else x
    last, seq, states = _reference(kind, weights, xr, rmask)
    want = seq if return_sequences else last
    np.testing.assert_allclose(out[0].numpy(), want, atol=1e-12)
    for got, expected in zip(out[1:], states, strict=True):
        np.testing.assert_allclose(got.numpy(), expected, atol=1e-12)


@pytest.mark.parametrize("use_bias", [True, False])
def test_gru_reset_before(use_bias, rng):
    layer, weights = _layer_and_weights("gru", rng, reset_after=False, use_bias=use_bias,
                                        return_sequences=True)
    assert layer.cell.recurrent_kernel.shape == (4, 12)
    if use_bias:
        assert layer.cell.bias.shape == (12,)
    x = rng.normal(size=(3, 5, 3))
    _, seq, _ = _reference("gru", weights, x, MASK, reset_after=False)
    np.testing.assert_allclose(layer(x, mask=MASK).numpy(), seq, atol=1e-12)


def test_weight_layouts_and_names():
    lstm, gru, simple = layers.LSTM(4), layers.GRU(4), layers.SimpleRNN(4)
    for layer in (lstm, gru, simple):
        layer.build((None, 7, 3))
    assert [w.shape for w in lstm.weights] == [(3, 16), (4, 16), (16,)]
    assert [w.shape for w in gru.weights] == [(3, 12), (4, 12), (2, 12)]
    assert [w.shape for w in simple.weights] == [(3, 4), (4, 4), (4,)]
    assert [w.path for w in gru.weights] == ["gru_cell/kernel", "gru_cell/recurrent_kernel",
                                            "gru_cell/bias"]
    # unit_forget_bias: forget gate's bias starts at 1, the others at 0
    np.testing.assert_array_equal(lstm.cell.bias.numpy(), np.r_[np.zeros(4), np.ones(4),
                                                                np.zeros(8)])
    # orthogonal recurrent kernel (Keras's default): for GRU each gate block, square
    rk = gru.cell.recurrent_kernel.numpy()
    assert abs(np.linalg.svd(rk, compute_uv=False) - 1).max() < 1e-5


def test_fused_path_equals_cell_path(rng):
    """LSTM/GRU run a whole-sequence primitive; RNN(cell) steps the cell: same numbers."""
    x = rng.normal(size=(3, 5, 3))
    for cls, cell_cls, kwargs in [(layers.LSTM, layers.LSTMCell, {}),
                                  (layers.GRU, layers.GRUCell, {"reset_after": True}),
                                  (layers.GRU, layers.GRUCell, {"reset_after": False})]:
        fused = cls(4, return_sequences=True, dtype="float64", **kwargs)
        stepped = layers.RNN(cell_cls(4, dtype="float64", **kwargs), return_sequences=True,
                             dtype="float64")
        fused.build(x.shape)
        stepped.build(x.shape)
        stepped.set_weights(fused.get_weights())
        for mask in (None, MASK):
            np.testing.assert_allclose(fused(x, mask=mask).numpy(), stepped(x, mask=mask).numpy(),
                                       atol=1e-12)


def test_initial_state_and_first_masked_step(rng):
    """A masked first step outputs zeros (Keras), although the state starts from initial_state."""
    layer, weights = _layer_and_weights("lstm", rng, return_sequences=True)
    x = rng.normal(size=(3, 5, 3))
    h0, c0 = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    got = layer(x, initial_state=[h0, c0], mask=MASK).numpy()
    _, seq, _ = _reference("lstm", weights, x, MASK, states=[h0, c0])
    np.testing.assert_allclose(got, seq, atol=1e-12)
    assert np.all(got[1, 0] == 0)
    # also as a list input, the Keras 2 form
    np.testing.assert_allclose(layer([x, h0, c0], mask=MASK).numpy(), got)


def test_zero_output_for_mask(rng):
    layer = layers.RNN(layers.SimpleRNNCell(4, dtype="float64"), return_sequences=True,
                       zero_output_for_mask=True, dtype="float64")
    x = rng.normal(size=(3, 5, 3))
    layer.build(x.shape)
    weights = layer.get_weights()
    _, seq, _ = _reference("simple", weights, x, MASK, zero=True)
    out = layer(x, mask=MASK).numpy()
    np.testing.assert_allclose(out, seq, atol=1e-12)
    assert np.all(out[~MASK] == 0)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_other_activations_use_the_cell(kind, rng):
    cls = KINDS[kind][0]
    layer = cls(4, activation="relu", recurrent_activation="hard_sigmoid", dtype="float64")
    x = rng.normal(size=(2, 4, 3))
    out = layer(x).numpy()
    # the same weights with the default activations give a different result
    default = cls(4, dtype="float64")
    default.build(x.shape)
    default.set_weights(layer.get_weights())
    assert not np.allclose(out, default(x).numpy())


def test_stateful_carries_states_and_resets(rng):
    layer = layers.LSTM(4, stateful=True, dtype="float64")
    x = rng.normal(size=(2, 6, 3))
    layer.build((2, 6, 3))
    whole = layers.LSTM(4, dtype="float64")
    whole.build((2, 6, 3))
    whole.set_weights(layer.get_weights())
    layer(x[:, :3])
    second = layer(x[:, 3:]).numpy()
    np.testing.assert_allclose(second, whole(x).numpy(), atol=1e-12)
    layer.reset_states()
    np.testing.assert_allclose(layer(x[:, :3]).numpy(), whole(x[:, :3]).numpy(), atol=1e-12)
    with pytest.raises(ValueError, match="batch"):
        layer(x[:1])
    with pytest.raises(ValueError, match="static"):
        layers.GRU(2, stateful=True).build((None, 4, 3))


def test_dropout_in_training_only_and_same_mask_every_step(rng):
    x = np.ones((4, 6, 5))
    layer = layers.SimpleRNN(3, dropout=0.5, seed=1, dtype="float64", return_sequences=True,
                             activation=None, recurrent_initializer="zeros")
    inference = layer(x).numpy()
    trained = layer(x, training=True).numpy()
    assert not np.allclose(inference, trained)
    # zero recurrent kernel, linear activation: each step sees the same dropped input
    np.testing.assert_allclose(trained[:, 0], trained[:, -1])
    for cls in (layers.LSTM, layers.GRU):
        for kwargs in ({"dropout": 0.3}, {"recurrent_dropout": 0.3},
                       {"dropout": 0.2, "recurrent_dropout": 0.2}):
            net = cls(3, seed=2, **kwargs)
            a = net(x.astype("float32"), training=True).numpy()
            b = net(x.astype("float32")).numpy()
            assert a.shape == b.shape == (4, 3) and not np.allclose(a, b)


def test_get_config_keys_and_round_trip():
    layer = layers.LSTM(5, return_sequences=True, go_backwards=True, dropout=0.1,
                        recurrent_activation="hard_sigmoid", name="enc")
    config = layer.get_config()
    assert sorted(config) == sorted([
        "activation", "activity_regularizer", "bias_constraint", "bias_initializer",
        "bias_regularizer", "dropout", "dtype", "go_backwards", "kernel_constraint",
        "kernel_initializer", "kernel_regularizer", "name", "recurrent_activation",
        "recurrent_constraint", "recurrent_dropout", "recurrent_initializer",
        "recurrent_regularizer", "return_sequences", "return_state", "seed", "stateful",
        "trainable", "unit_forget_bias", "units", "unroll", "use_bias",
        "zero_output_for_mask"])
    clone = layers.LSTM.from_config(config)
    assert clone.get_config() == config
    gru = layers.GRU(3, reset_after=False)
    assert layers.GRU.from_config(gru.get_config()).reset_after is False
    rnn = layers.RNN(layers.GRUCell(3), return_state=True)
    back = layers.deserialize(layers.serialize(rnn))
    assert isinstance(back.cell, layers.GRUCell) and back.return_state


@pytest.mark.parametrize("cls", [layers.SimpleRNN, layers.LSTM, layers.GRU])
def test_model_save_and_load(cls, rng, tmp_path):
    model = descend.Sequential([layers.Input((5, 3)), cls(4, return_sequences=True),
                                cls(2, go_backwards=True), layers.Dense(1)])
    model.compile("adam", "mse")
    x, y = rng.normal(size=(8, 5, 3)).astype("float32"), rng.normal(size=(8, 1))
    model.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / "model.descend"
    model.save(path)
    loaded = descend.models.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_bad_input_names_the_layer(rng):
    layer = layers.LSTM(3, name="reader")
    with pytest.raises(ValueError, match="reader.*steps, features"):
        layer(np.zeros((2, 3), "float32"))
    layer(np.zeros((2, 4, 3), "float32"))
    with pytest.raises(ValueError, match="reader"):
        layer(np.zeros((2, 4, 5), "float32"))
    with pytest.raises(ValueError, match="reader.*mask"):
        layer(np.zeros((2, 4, 3), "float32"), mask=np.ones((2, 5), bool))
    with pytest.raises(ValueError, match="initial_state"):
        layer(np.zeros((2, 4, 3), "float32"), initial_state=[np.zeros((2, 3))])
    with pytest.raises(ValueError, match="units"):
        layers.GRU(0)
    with pytest.raises(ValueError, match="dropout"):
        layers.LSTM(2, dropout=1.5)
    with pytest.raises(ValueError, match="step inputs"):
        layers.LSTMCell(2).build((None, 4, 3))


def test_cells_step_by_step(rng):
    x, h, c = rng.normal(size=(2, 3)), rng.normal(size=(2, 4)), rng.normal(size=(2, 4))
    cell = layers.LSTMCell(4, dtype="float64")
    out, (h1, c1) = cell(x, [h, c])
    weights = [w.numpy() for w in cell.weights]
    want_h, (_, want_c) = ref.lstm_step(x, [h, c], *weights)
    np.testing.assert_allclose(out.numpy(), want_h, atol=1e-12)
    np.testing.assert_allclose(c1.numpy(), want_c, atol=1e-12)
    gru = layers.GRUCell(4, dtype="float64")
    out, new = gru(x, h)
    assert not isinstance(new, list)
    np.testing.assert_allclose(out.numpy(), ref.gru_step(x, [h], *[w.numpy() for w in
                                                                gru.weights])[0], atol=1e-12)
    assert layers.SimpleRNNCell(3).state_size == 3
    assert layers.LSTMCell(3).state_size == [3, 3]


def test_check_gradients_on_recurrent_models(rng):
    """model.check_gradients (descend.explain) verifies BPTT through every recurrent layer."""
    model = descend.Sequential([
        layers.Input((5, 3)), layers.Masking(),
        layers.Bidirectional(layers.LSTM(3, return_sequences=True)),
        layers.GRU(3, return_sequences=True), layers.SimpleRNN(2), layers.Dense(1)])
    model.compile("adam", "mse")
    x = rng.normal(size=(4, 5, 3))
    x[1, 3:] = 0.0
    result = model.check_gradients(x, rng.normal(size=(4, 1)))
    assert result.ok, str(result)
    assert {check.layer for check in result.layers} >= {"bidirectional", "gru", "simple_rnn"}
