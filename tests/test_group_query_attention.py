"""GroupQueryAttention: Keras's layer (weights, outputs, masks, gate, window), gradients, saving."""

from __future__ import annotations

import numpy as np
import pytest
from tests.test_attention_layers import check_layer

import descend
from descend import layers

RNG = np.random.default_rng(7)


@pytest.fixture
def f64():
    descend.config.set_floatx("float64")


def reference(layer, q, v, mask=None, causal=False, window=None):
    """GQA written with NumPy from the layer's weights (repeat the key/value heads)."""
    w = {w.path.split("/", 1)[1]: w.numpy().astype(np.float64) for w in layer.weights}

    def project(x, name):
        y = np.einsum("btd,dnh->btnh", x, w[f"{name}/kernel"])
        return y + w[f"{name}/bias"] if layer.use_bias else y

    group = layer.num_query_heads // layer.num_key_value_heads
    qp = project(q, "query")
    kp = np.repeat(project(v, "key"), group, axis=2)
    vp = np.repeat(project(v, "value"), group, axis=2)
    scores = np.einsum("btnh,bsnh->bnts", qp / np.sqrt(layer.head_dim), kp)
    t, s = q.shape[1], v.shape[1]
    allowed = np.ones((1, t, s), bool)
    if mask is not None:
        allowed = allowed & mask[:, None, :]
    if causal:
        allowed = allowed & (np.arange(t)[:, None] >= np.arange(s)[None, :])
    if window is not None:
        allowed = allowed & (np.abs(np.arange(t)[:, None] - np.arange(s)[None, :]) < window)
    scores = np.where(allowed[:, None], scores, -1e9)
    e = np.exp(scores - scores.max(-1, keepdims=True))
    weights = np.where(allowed[:, None], e / e.sum(-1, keepdims=True), 0.0)
    o = np.einsum("bnts,bsnh->btnh", weights, vp)
    if layer.use_gate:
        o = o / (1 + np.exp(-project(q, "gate")))
    out = np.einsum("btnh,nhd->btd", o, w["attention_output/kernel"])
    return (out + w["attention_output/bias"] if layer.use_bias else out), weights


@pytest.mark.parametrize("kwargs", [
    {}, {"use_gate": True}, {"sliding_window": 2}, {"use_bias": False},
])
@pytest.mark.parametrize("causal", [False, True])
def test_matches_the_formula(kwargs, causal, f64):
    layer = layers.GroupQueryAttention(3, 4, 2, **kwargs)
    q, v = RNG.normal(size=(2, 5, 6)), RNG.normal(size=(2, 5, 6))
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)
    layer(q, v)
    out, scores = layer(q, v, value_mask=mask, use_causal_mask=causal,
                        return_attention_scores=True)
    want, want_scores = reference(layer, q, v, mask, causal, kwargs.get("sliding_window"))
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(scores.numpy(), want_scores, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kwargs", [{}, {"use_gate": True, "sliding_window": 3}])
def test_gradcheck(kwargs, f64):
    layer = layers.GroupQueryAttention(2, 4, 1, **kwargs)
    q, v = RNG.normal(size=(2, 4, 3)), RNG.normal(size=(2, 5, 3))
    layer(q, v)
    check_layer(layer, [q, v], lambda lyr, xs: lyr._invoke(list(xs), False,
                                                           use_causal_mask=True))


def test_weights_config_and_errors():
    layer = layers.GroupQueryAttention(head_dim=4, num_query_heads=6, num_key_value_heads=3,
                                       use_gate=True)
    layer(np.ones((1, 2, 8), "float32"), np.ones((1, 3, 8), "float32"))
    assert layer.name.startswith("grouped_query_attention")
    assert [(w.path.split("/", 1)[1], tuple(w.shape)) for w in layer.weights] == [
        ("query/kernel", (8, 6, 4)), ("query/bias", (6, 4)), ("key/kernel", (8, 3, 4)),
        ("key/bias", (3, 4)), ("gate/kernel", (8, 6, 4)), ("gate/bias", (6, 4)),
        ("value/kernel", (8, 3, 4)), ("value/bias", (3, 4)),
        ("attention_output/kernel", (6, 4, 8)), ("attention_output/bias", (8,))]
    config = layer.get_config()
    assert {k: config[k] for k in ("head_dim", "num_query_heads", "num_key_value_heads",
                                   "use_gate", "sliding_window")} == {
        "head_dim": 4, "num_query_heads": 6, "num_key_value_heads": 3, "use_gate": True,
        "sliding_window": None}
    assert "num_heads" not in config and "key_dim" not in config
    clone = layers.GroupQueryAttention.from_config(config)
    assert clone.num_repeats == 2 and clone.use_gate
    with pytest.raises(ValueError, match="divisible by `num_key_value_heads`"):
        layers.GroupQueryAttention(4, 6, 4)
    with pytest.raises(ValueError, match="`sliding_window` must be None or a positive integer"):
        layers.GroupQueryAttention(4, 4, 2, sliding_window=0)
    with pytest.raises(ValueError, match="same number of features"):
        layers.GroupQueryAttention(4, 4, 2)(np.ones((1, 2, 8)), np.ones((1, 2, 5)))
    with pytest.raises(ValueError, match=r"\(batch, steps, features\)"):
        layers.GroupQueryAttention(4, 4, 2)(np.ones((1, 2, 3, 8)), np.ones((1, 2, 3, 8)))


def test_trains_and_saves_in_a_functional_model(tmp_path):
    descend.utils.set_random_seed(0)
    inp = layers.Input((6, 8))
    x = layers.GroupQueryAttention(4, 4, 2, sliding_window=3, name="gqa")(inp, inp,
                                                                         use_causal_mask=True)
    out = layers.Dense(2, activation="softmax")(layers.GlobalAveragePooling1D()(x))
    model = descend.Model(inp, out)
    model.compile("adam", "sparse_categorical_crossentropy")
    x_data = RNG.normal(size=(64, 6, 8)).astype("float32")
    y_data = (x_data[:, :, 0].mean(1) > 0).astype("int64")
    history = model.fit(x_data, y_data, epochs=5, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    before = model.predict(x_data, verbose=0)
    model.save(tmp_path / "m.descend")
    loaded = descend.saving.load_model(tmp_path / "m.descend")
    np.testing.assert_allclose(loaded.predict(x_data, verbose=0), before, rtol=1e-6)
    assert loaded.get_layer("gqa").sliding_window == 3


@pytest.mark.parametrize("kwargs", [{}, {"use_gate": True, "sliding_window": 2}])
def test_equals_keras(kwargs):
    keras = pytest.importorskip("keras", reason="Keras 3 (torch backend) compares the outputs")
    q = RNG.normal(size=(2, 5, 6)).astype("float32")
    v = RNG.normal(size=(2, 4, 6)).astype("float32")
    mask = np.array([[1, 1, 1, 0], [1, 1, 1, 1]], bool)
    theirs = keras.layers.GroupQueryAttention(3, 4, 2, **kwargs)
    want, want_scores = theirs(q, v, value_mask=mask, use_causal_mask=True,
                               return_attention_scores=True)
    ours = layers.GroupQueryAttention(3, 4, 2, **kwargs)
    ours(q, v)
    ours.set_weights([np.asarray(w.numpy()) for w in theirs.weights])
    out, scores = ours(q, v, value_mask=mask, use_causal_mask=True,
                       return_attention_scores=True)
    np.testing.assert_allclose(out.numpy(), keras.ops.convert_to_numpy(want), atol=1e-5)
    np.testing.assert_allclose(scores.numpy(), keras.ops.convert_to_numpy(want_scores),
                               atol=1e-6)
    mine, keras_config = ours.get_config(), theirs.get_config()
    assert set(mine) == set(keras_config)
    for key in ("head_dim", "num_query_heads", "num_key_value_heads", "use_bias", "use_gate",
                "sliding_window", "dropout", "seed"):
        assert mine[key] == keras_config[key], key



def test_multi_head_attention_gate_and_window_equal_keras():
    keras = pytest.importorskip("keras", reason="Keras 3 (torch backend) compares the outputs")
    q = RNG.normal(size=(2, 5, 6)).astype("float32")
    v = RNG.normal(size=(2, 4, 6)).astype("float32")
    mask = np.array([[1, 1, 1, 0], [1, 1, 1, 1]], bool)
    theirs = keras.layers.MultiHeadAttention(2, 3, use_gate=True, sliding_window=2)
    want, want_scores = theirs(q, v, value_mask=mask, use_causal_mask=True,
                               return_attention_scores=True)
    ours = layers.MultiHeadAttention(2, 3, use_gate=True, sliding_window=2)
    ours(q, v)
    assert [w.path for w in ours.weights] == [w.path for w in theirs.weights]
    ours.set_weights([np.asarray(w.numpy()) for w in theirs.weights])
    out, scores = ours(q, v, value_mask=mask, use_causal_mask=True,
                       return_attention_scores=True)
    np.testing.assert_allclose(out.numpy(), keras.ops.convert_to_numpy(want), atol=1e-5)
    np.testing.assert_allclose(scores.numpy(), keras.ops.convert_to_numpy(want_scores),
                               atol=1e-6)
    assert set(ours.get_config()) == set(theirs.get_config())
