"""ConvLSTM1D/2D/3D: Keras's outputs and weights, gradients, masks, states, training, files."""

from __future__ import annotations

import numpy as np
import pytest

import descend
from descend import layers

RNG = np.random.default_rng(3)
SHAPES = {1: (2, 3, 7, 2), 2: (2, 3, 5, 4, 2), 3: (2, 2, 4, 3, 3, 2)}


@pytest.fixture
def f64():
    descend.config.set_floatx("float64")


def lstm_reference(layer, x, mask=None):
    """The convolutional LSTM written step by step with NumPy (channels last)."""
    cell = layer.cell
    kernel, recurrent = cell.kernel.numpy(), cell.recurrent_kernel.numpy()
    bias = cell.bias.numpy() if cell.bias is not None else 0.0
    f = cell.filters

    def conv(v, k, strides, padding):
        return descend.ops.conv(v, k, strides=strides, padding=padding).numpy()

    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

    steps = range(x.shape[1])[::-1] if layer.go_backwards else range(x.shape[1])
    h = c = None
    outputs = []
    for t in steps:
        z = conv(x[:, t], kernel, cell.strides, cell.padding) + bias
        if h is None:
            h = c = np.zeros(z.shape[:-1] + (f,))
        z = z + conv(h, recurrent, 1, "same")
        i, g_f, g_c, o = (z[..., k * f:(k + 1) * f] for k in range(4))
        c_new = sigmoid(g_f) * c + sigmoid(i) * np.tanh(g_c)
        h_new = sigmoid(o) * np.tanh(c_new)
        if mask is not None:
            keep = mask[:, t].reshape((-1,) + (1,) * (h.ndim - 1))
            h_new, c_new = np.where(keep, h_new, h), np.where(keep, c_new, c)
        h, c = h_new, c_new
        outputs.append(h)
    return np.stack(outputs, axis=1), h, c


@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("kwargs", [{}, {"padding": "same", "go_backwards": True},
                                    {"strides": 2, "use_bias": False}])
def test_matches_the_formula(rank, kwargs, f64):
    layer = getattr(layers, f"ConvLSTM{rank}D")(3, 2, return_sequences=True,
                                                return_state=True, **kwargs)
    x = RNG.normal(size=SHAPES[rank])
    layer(x)
    layer.set_weights([RNG.normal(scale=0.5, size=w.shape) for w in layer.weights])
    seq, h, c = layer(x)
    want_seq, want_h, want_c = lstm_reference(layer, x)
    np.testing.assert_allclose(seq.numpy(), want_seq, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h.numpy(), want_h, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(c.numpy(), want_c, rtol=1e-10, atol=1e-12)
    assert layer.compute_output_shape(x.shape) == [seq.shape, h.shape, c.shape]


def test_masked_steps_keep_the_states(f64):
    layer = layers.ConvLSTM1D(2, 3, padding="same", return_sequences=True, return_state=True)
    x = RNG.normal(size=(2, 4, 5, 2))
    mask = np.array([[1, 1, 0, 0], [1, 0, 1, 1]], bool)
    layer(x)
    seq, h, c = layer(x, mask=mask)
    _, want_h, want_c = lstm_reference(layer, x, mask)
    np.testing.assert_allclose(h.numpy(), want_h, atol=1e-12)
    np.testing.assert_allclose(c.numpy(), want_c, atol=1e-12)
    # masked steps repeat the last output (zero_output_for_mask=False, Keras's default)
    np.testing.assert_array_equal(seq.numpy()[0, 2], seq.numpy()[0, 1])
    np.testing.assert_array_equal(seq.numpy()[0, 3], seq.numpy()[0, 1])


@pytest.mark.parametrize("recurrent_dropout", [0.0, 0.3])
def test_gradcheck(recurrent_dropout, f64):
    """d(outputs)/d(inputs, kernel, recurrent_kernel, bias) against central differences; with
    recurrent dropout in training, through the per-gate path (masks kept fixed)."""
    layer = layers.ConvLSTM2D(2, 2, padding="same", return_sequences=True,
                              dropout=recurrent_dropout, recurrent_dropout=recurrent_dropout)
    x = RNG.normal(size=(2, 3, 3, 3, 1))
    layer(x)
    cell = layer.cell
    names = ("kernel", "recurrent_kernel", "bias")
    weights = [getattr(cell, n) for n in names]
    training = recurrent_dropout > 0
    if training:  # draw the masks once and keep them for every evaluation
        cell.reset_dropout_mask = cell.reset_recurrent_dropout_mask = lambda: None

    def fn(inputs, *values):
        for name, value in zip(names, values, strict=True):
            setattr(cell, name, value)
        try:
            return layer._invoke(inputs, training)
        finally:
            for name, weight in zip(names, weights, strict=True):
                setattr(cell, name, weight)

    assert descend.gradcheck(fn, x, *[w.numpy() for w in weights])
    if training:
        assert cell._recurrent_dropout_mask is not None and len(cell._dropout_mask) == 4


def test_dropout_only_in_training():
    layer = layers.ConvLSTM2D(2, 3, padding="same", dropout=0.5, recurrent_dropout=0.5, seed=1)
    x = RNG.normal(size=(2, 3, 4, 4, 2)).astype("float32")
    inference = layer(x).numpy()
    np.testing.assert_array_equal(layer(x).numpy(), inference)
    assert not np.allclose(layer(x, training=True).numpy(), inference)


def test_stateful_carries_the_states():
    layer = layers.ConvLSTM2D(2, 3, padding="same", stateful=True)
    x = RNG.normal(size=(2, 4, 5, 5, 1)).astype("float32")
    whole = layers.ConvLSTM2D(2, 3, padding="same")
    whole(x)
    layer(x[:, :2])
    layer.set_weights(whole.get_weights())
    layer.reset_states()
    layer(x[:, :2])
    np.testing.assert_allclose(layer(x[:, 2:]).numpy(), whole(x).numpy(), atol=1e-6)
    assert [s.shape for s in layer.states] == [(2, 5, 5, 2), (2, 5, 5, 2)]
    layer.reset_states()
    assert all(not s.any() for s in layer.states)


def test_initial_state_and_errors():
    layer = layers.ConvLSTM2D(2, 3)
    x = RNG.normal(size=(2, 3, 6, 6, 1)).astype("float32")
    start = [np.ones((2, 4, 4, 2), "float32")] * 2
    assert not np.allclose(layer(x, initial_state=start).numpy(), layer(x).numpy())
    with pytest.raises(ValueError, match=r"initial_state must be 2 array\(s\) of shapes"):
        layer(x, initial_state=[np.ones((2, 2), "float32")] * 2)
    with pytest.raises(ValueError, match=r"expects sequences of shape \(batch, steps, height"):
        layers.ConvLSTM2D(2, 3)(np.ones((2, 3, 6, 1), "float32"))
    with pytest.raises(ValueError, match="channels_last"):
        layers.ConvLSTM2D(2, 3, data_format="channels_first")
    with pytest.raises(ValueError, match="kernel_size"):
        layers.ConvLSTM3D(2, (3, 3))


def test_trains_saves_and_reloads(tmp_path):
    descend.utils.set_random_seed(0)
    x = RNG.normal(size=(48, 4, 6, 6, 1)).astype("float32")
    y = (x[:, -1, :3].mean(axis=(1, 2, 3)) > x[:, -1, 3:].mean(axis=(1, 2, 3))).astype("int64")
    model = descend.Sequential([
        layers.Input((4, 6, 6, 1)), layers.ConvLSTM2D(4, 3, padding="same"),
        layers.Flatten(), layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=8, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    before = model.predict(x, verbose=0)
    model.save(tmp_path / "m.descend")
    loaded = descend.saving.load_model(tmp_path / "m.descend")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), before, rtol=1e-5)
    config = loaded.layers[0].get_config()
    assert config["filters"] == 4 and tuple(config["kernel_size"]) == (3, 3)
    assert "rank" not in config and "cell" not in config


def test_onnx_export_refuses_with_the_reason(tmp_path):
    pytest.importorskip("onnx", reason="ONNX export needs the onnx package")
    model = descend.Sequential([layers.Input((3, 4, 4, 1)), layers.ConvLSTM2D(2, 3)])
    with pytest.raises(ValueError, match=r"'conv_lstm2d' \(ConvLSTM2D\) cannot be exported"):
        model.export(tmp_path / "m.onnx", format="onnx")
    assert not (tmp_path / "m.onnx").exists()


@pytest.mark.parametrize("rank,kwargs", [
    (1, {"strides": 2, "return_state": True}),
    (2, {"padding": "same", "go_backwards": True}),
    (2, {"dilation_rate": 2, "unit_forget_bias": False}),
    (3, {"kernel_size": 2}),
])
def test_equals_keras(rank, kwargs):
    keras = pytest.importorskip("keras", reason="Keras 3 (torch backend) compares the outputs")
    kwargs = dict(kwargs)
    size = kwargs.pop("kernel_size", 3)
    x = RNG.normal(size=SHAPES[rank][:2] + (7,) * rank + (2,)).astype("float32")
    theirs = getattr(keras.layers, f"ConvLSTM{rank}D")(4, size, return_sequences=True, **kwargs)
    ours = getattr(layers, f"ConvLSTM{rank}D")(4, size, return_sequences=True, **kwargs)
    want = theirs(x)
    ours(x)
    assert [(w.path.split("/")[-1], tuple(w.shape)) for w in ours.weights] == [
        (w.path.split("/")[-1], tuple(w.shape)) for w in theirs.weights]
    ours.set_weights([np.asarray(w.numpy()) for w in theirs.weights])
    got = ours(x)
    want = want if isinstance(want, (list, tuple)) else [want]
    got = got if isinstance(got, list) else [got]
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a.numpy(), keras.ops.convert_to_numpy(b), atol=1e-5)
    assert set(ours.get_config()) == set(theirs.get_config())


def test_keras_file_round_trip(tmp_path):
    keras = pytest.importorskip("keras", reason="needs real Keras 3 to read the file")
    pytest.importorskip("h5py", reason="Keras files need h5py")
    x = RNG.normal(size=(3, 4, 5, 5, 1)).astype("float32")
    model = descend.Sequential([layers.Input((4, 5, 5, 1)),
                                layers.ConvLSTM2D(2, 3, padding="same", return_sequences=True)])
    path = tmp_path / "m.keras"
    model.save(path)
    theirs = keras.saving.load_model(path)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(theirs(x)),
                               model.predict(x, verbose=0), atol=1e-5)
