"""RNN with custom cells, StackedRNNCells, Bidirectional and TimeDistributed."""

from __future__ import annotations

import numpy as np
import pytest

import descend
import rnn_reference as ref
from descend import layers, ops


class MinimalCell(layers.Layer):
    """Keras's documentation example: a cell is a layer with state_size and call."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units),
                                                initializer="orthogonal",
                                                name="recurrent_kernel")

    def call(self, inputs, states):
        prev = states[0]
        output = ops.matmul(inputs, self.kernel) + ops.matmul(prev, self.recurrent_kernel)
        return output, [output]

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def test_custom_cell_equals_its_formula(rng, tmp_path):
    layer = layers.RNN(MinimalCell(3, dtype="float64"), return_sequences=True,
                       dtype="float64", unroll=True)
    x = rng.normal(size=(2, 4, 5))
    out = layer(x).numpy()
    kernel, recurrent = (w.numpy() for w in layer.weights)
    h, want = np.zeros((2, 3)), []
    for t in range(4):
        h = x[:, t] @ kernel + h @ recurrent
        want.append(h)
    np.testing.assert_allclose(out, np.stack(want, axis=1), atol=1e-12)
    model = descend.Sequential([layers.Input((4, 5)), layers.RNN(MinimalCell(3)),
                                layers.Dense(1)])
    path = tmp_path / "custom.descend"
    model.save(path)
    loaded = descend.models.load_model(path, custom_objects={"MinimalCell": MinimalCell})
    xs = x.astype("float32")
    np.testing.assert_array_equal(loaded.predict(xs, verbose=0), model.predict(xs, verbose=0))


def test_bad_cell_is_refused():
    with pytest.raises(ValueError, match="state_size"):
        layers.RNN(layers.Dense(3))


def test_stacked_cells(rng):
    cells = [layers.LSTMCell(4, dtype="float64"), layers.GRUCell(3, dtype="float64")]
    layer = layers.RNN(layers.StackedRNNCells(cells), return_state=True, dtype="float64")
    x = rng.normal(size=(2, 5, 2))
    out, (h1, c1), (h2,) = layer(x)  # states nested per cell, as Keras
    assert layer.cell.state_size == [[4, 4], 3] and layer.cell.output_size == 3
    lw = [w.numpy() for w in cells[0].weights]
    gw = [w.numpy() for w in cells[1].weights]

    def step(xt, states):
        h, (h_a, c_a) = ref.lstm_step(xt, states[:2], *lw)
        h, (h_b,) = ref.gru_step(h, states[2:], *gw)
        return h, [h_a, c_a, h_b]

    last, _, states = ref.run_rnn(step, x, [np.zeros((2, 4)), np.zeros((2, 4)),
                                            np.zeros((2, 3))])
    np.testing.assert_allclose(out.numpy(), last, atol=1e-12)
    for got, want in zip((h1, c1, h2), states, strict=True):
        np.testing.assert_allclose(got.numpy(), want, atol=1e-12)
    # initial_state nested per cell (a flat list is accepted too): the same result
    init = [[np.ones((2, 4)), np.zeros((2, 4))], [np.full((2, 3), 0.5)]]
    a = layer(x, initial_state=init)
    b = layer(x, initial_state=[init[0][0], init[0][1], init[1][0]])
    np.testing.assert_array_equal(a[0].numpy(), b[0].numpy())
    assert [len(s) for s in layer.get_initial_state(2)] == [2, 1]
    with pytest.raises(ValueError, match="initial_state must be 3 array"):
        layer(x, initial_state=init[0])
    config = layers.serialize(layers.RNN([layers.LSTMCell(2), layers.SimpleRNNCell(2)]))
    back = layers.deserialize(config)
    assert [type(c).__name__ for c in back.cell.cells] == ["LSTMCell", "SimpleRNNCell"]


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
def test_bidirectional_merges(merge_mode, rng):
    x = rng.normal(size=(2, 5, 3))
    layer = layers.Bidirectional(layers.LSTM(4, return_sequences=True, dtype="float64"),
                                 merge_mode=merge_mode, dtype="float64")
    out = layer(x)
    fwd = layer.forward_layer(x).numpy()
    bwd = layer.backward_layer(x).numpy()[:, ::-1]
    want = {"concat": lambda: np.concatenate([fwd, bwd], -1), "sum": lambda: fwd + bwd,
            "mul": lambda: fwd * bwd, "ave": lambda: (fwd + bwd) / 2,
            None: lambda: None}[merge_mode]()
    if merge_mode is None:
        np.testing.assert_allclose(out[0].numpy(), fwd)
        np.testing.assert_allclose(out[1].numpy(), bwd)
    else:
        np.testing.assert_allclose(out.numpy(), want, atol=1e-12)
    assert layer.compute_output_shape((None, 5, 3)) == (
        [(None, 5, 4)] * 2 if merge_mode is None else
        (None, 5, 8 if merge_mode == "concat" else 4))
    # the backward direction equals the forward formula on the time-reversed input
    reversed_fwd = layers.LSTM(4, return_sequences=True, dtype="float64")
    reversed_fwd.build(x.shape)
    reversed_fwd.set_weights(layer.backward_layer.get_weights())
    np.testing.assert_allclose(reversed_fwd(x[:, ::-1]).numpy()[:, ::-1], bwd, atol=1e-12)


def test_bidirectional_names_weights_states_and_config(rng, tmp_path):
    layer = layers.Bidirectional(layers.GRU(3, return_state=True, name="gru"))
    out, fh, bh = layer(rng.normal(size=(2, 4, 2)).astype("float32"))
    assert out.shape == (2, 6) and fh.shape == bh.shape == (2, 3)
    assert layer.forward_layer.name == "forward_gru" and layer.backward_layer.name == "backward_gru"
    assert len(layer.weights) == 6
    assert [w.shape for w in layer.weights[:3]] == [w.shape for w in layer.weights[3:]]
    config = layer.get_config()
    assert sorted(config) == ["backward_layer", "dtype", "layer", "merge_mode", "name",
                              "trainable"]
    clone = layers.Bidirectional.from_config(config)
    assert clone.backward_layer.go_backwards and not clone.forward_layer.go_backwards
    with pytest.raises(ValueError, match="merge mode"):
        layers.Bidirectional(layers.LSTM(2), merge_mode="max")
    with pytest.raises(ValueError, match="go_backwards"):
        layers.Bidirectional(layers.LSTM(2), backward_layer=layers.LSTM(2))
    with pytest.raises(ValueError, match="return_sequences"):
        layers.Bidirectional(layers.LSTM(2), backward_layer=layers.LSTM(
            2, go_backwards=True, return_sequences=True))
    x = rng.normal(size=(4, 5, 2)).astype("float32")
    model = descend.Sequential([layers.Input((5, 2)),
                                layers.Bidirectional(layers.LSTM(3, return_sequences=True)),
                                layers.Bidirectional(layers.GRU(2), merge_mode="sum"),
                                layers.Dense(1)])
    model.compile("adam", "mse")
    model.fit(x, np.ones((4, 1)), epochs=1, verbose=0)
    path = tmp_path / "bi.descend"
    model.save(path)
    np.testing.assert_array_equal(descend.models.load_model(path).predict(x, verbose=0),
                                  model.predict(x, verbose=0))


def test_bidirectional_initial_state(rng):
    layer = layers.Bidirectional(layers.LSTM(3, dtype="float64"), dtype="float64")
    x = rng.normal(size=(2, 4, 2))
    states = [rng.normal(size=(2, 3)) for _ in range(4)]
    out = layer(x, initial_state=states).numpy()
    fwd = layer.forward_layer(x, initial_state=states[:2]).numpy()
    bwd = layer.backward_layer(x, initial_state=states[2:]).numpy()
    np.testing.assert_allclose(out, np.concatenate([fwd, bwd], -1), atol=1e-12)


def test_time_distributed(rng, tmp_path):
    x = rng.normal(size=(2, 5, 3))
    dense = layers.Dense(4, dtype="float64")
    layer = layers.TimeDistributed(dense, dtype="float64")
    out = layer(x).numpy()
    np.testing.assert_allclose(out, x @ dense.kernel.numpy() + dense.bias.numpy(), atol=1e-12)
    assert layer.compute_output_shape((None, 5, 3)) == (None, 5, 4)
    conv = layers.TimeDistributed(layers.Conv2D(2, 3))
    assert conv(np.zeros((2, 4, 8, 8, 1), "float32")).shape == (2, 4, 6, 6, 2)
    with pytest.raises(ValueError, match="at least 3 axes"):
        layers.TimeDistributed(layers.Dense(2))(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match="Layer instance"):
        layers.TimeDistributed("dense")
    config = layer.get_config()
    assert sorted(config) == ["dtype", "layer", "name", "trainable"]
    model = descend.Sequential([layers.Input((5, 3)), layers.TimeDistributed(layers.Dense(2)),
                                layers.Flatten(), layers.Dense(1)])
    path = tmp_path / "td.descend"
    model.save(path)
    xs = x.astype("float32")
    np.testing.assert_array_equal(descend.models.load_model(path).predict(xs, verbose=0),
                                  model.predict(xs, verbose=0))
