"""Activity regularizers against real Keras 3 (the ``interop`` test extra).

Keras 3 adds, after every layer call, the regularizer's penalty of each output
tensor divided by the batch size (``Layer.__call__``). The same weights in both
libraries must give the same ``layer.losses``, the same ``evaluate`` loss at any
batch size and the same weights after training. Skipped, with the reason shown,
without Keras 3 (torch backend).
"""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras", reason="needs real Keras 3: pip install '.[interop]'")

import descend  # noqa: E402

RNG = np.random.default_rng(0)


def _np(x):
    if isinstance(x, descend.autograd.Tensor):
        return x.data
    return keras.ops.convert_to_numpy(x)


def _losses(layer):
    return [float(_np(loss)) for loss in layer.losses]


def _same_weights(k, d):
    d.set_weights([_np(w) for w in k.get_weights()])


LAYERS = {
    "dense": (lambda lib: lib.layers.Dense(3, activation="tanh", activity_regularizer="l2"),
              (5, 4)),
    "conv2d": (lambda lib: lib.layers.Conv2D(2, 3, activity_regularizer=lib.regularizers.L1(0.1)),
               (3, 6, 6, 2)),
    "separable": (lambda lib: lib.layers.SeparableConv1D(
        2, 3, activity_regularizer=lib.regularizers.L1L2(0.1, 0.2)), (3, 7, 2)),
    "conv_transpose": (lambda lib: lib.layers.Conv2DTranspose(
        2, 2, activity_regularizer="l1"), (2, 3, 3, 2)),
    "embedding": (lambda lib: lib.layers.Embedding(7, 3, activity_regularizer="l2"), (4, 5)),
    "einsum_dense": (lambda lib: lib.layers.EinsumDense(
        "ab,bc->ac", output_shape=3, bias_axes="c", activity_regularizer="l2"), (6, 4)),
    "activity_regularization": (lambda lib: lib.layers.ActivityRegularization(l1=0.1, l2=0.01),
                                (4, 3)),
    # every output is penalised: the sequence output and both states
    "lstm_states": (lambda lib: lib.layers.LSTM(
        3, return_state=True, activity_regularizer=lib.regularizers.L1(0.1)), (4, 5, 3)),
    "gru_sequences": (lambda lib: lib.layers.GRU(
        2, return_sequences=True, activity_regularizer="l2"), (3, 4, 2)),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_losses_match_keras(name):
    make, shape = LAYERS[name]
    x = (RNG.integers(0, 7, size=shape) if name == "embedding"
         else RNG.normal(size=shape)).astype("float32")
    k, d = make(keras), make(descend)
    k.build(x.shape)
    d.build(x.shape)
    _same_weights(k, d)
    k(x)
    d(x)
    assert len(_losses(d)) == len(_losses(k)) >= 1
    np.testing.assert_allclose(_losses(d), _losses(k), rtol=1e-5, atol=1e-7)
    # a second call replaces the penalties of the first (the outermost call clears them)
    d(x[:2])
    k(x[:2])
    np.testing.assert_allclose(_losses(d), _losses(k), rtol=1e-5, atol=1e-7)


def test_penalty_does_not_depend_on_the_batch_size():
    layer = descend.layers.Dense(2, activity_regularizer="l1")
    x = RNG.normal(size=(3, 4)).astype("float32")
    layer(x)
    one = _losses(layer)
    layer(np.concatenate([x, x, x, x]))
    np.testing.assert_allclose(_losses(layer), one, rtol=1e-6)


def test_multi_head_attention_penalises_its_projections_not_its_output():
    q = RNG.normal(size=(2, 4, 3)).astype("float32")
    # named: Keras's automatic names are global, and other tests compare them
    k = keras.layers.MultiHeadAttention(2, 3, activity_regularizer="l2", name="mha")
    d = descend.layers.MultiHeadAttention(2, 3, activity_regularizer="l2", name="mha")
    k(q, q)
    d(q, q)
    _same_weights(k, d)
    k(q, q)
    d(q, q)
    assert k.activity_regularizer is None and d.activity_regularizer is None
    assert len(_losses(d)) == len(_losses(k)) == 4
    np.testing.assert_allclose(sorted(_losses(d)), sorted(_losses(k)), rtol=1e-5)
    config = d.get_config()
    assert config["activity_regularizer"] == descend.regularizers.serialize(
        descend.regularizers.get("l2"))


def test_group_query_attention_penalises_its_projections_and_its_output():
    # Keras's GroupedQueryAttention, unlike MultiHeadAttention, keeps the argument public
    q = RNG.normal(size=(2, 4, 8)).astype("float32")
    kwargs = dict(head_dim=2, num_query_heads=4, num_key_value_heads=2,
                  activity_regularizer="l2", name="gqa")
    k = keras.layers.GroupQueryAttention(**kwargs)
    d = descend.layers.GroupQueryAttention(**kwargs)
    k(q, q)
    d(q, q)
    _same_weights(k, d)
    k(q, q)
    d(q, q)
    assert d.activity_regularizer is not None
    assert len(_losses(d)) == len(_losses(k)) == 5
    np.testing.assert_allclose(sorted(_losses(d)), sorted(_losses(k)), rtol=1e-5)


def _model(lib):
    L = lib.layers
    inputs = L.Input((4,))
    shared = L.Dense(4, activation="relu", activity_regularizer="l2")
    h = shared(L.Dense(4, activity_regularizer=lib.regularizers.L1(0.05))(inputs))
    h = shared(h)  # a shared layer: one penalty per call
    outputs = L.Dense(1, activity_regularizer="l1")(h)
    return lib.Model(inputs, outputs)


def _pair_of_models():
    k, d = _model(keras), _model(descend)
    _same_weights(k, d)
    for model, lib in ((k, keras), (d, descend)):
        model.compile(optimizer=lib.optimizers.SGD(0.05), loss="mse")
    return k, d


X = RNG.normal(size=(32, 4)).astype("float32")
Y = RNG.normal(size=(32, 1)).astype("float32")


def test_model_losses_and_evaluate_match_keras_at_every_batch_size():
    k, d = _pair_of_models()
    k(X[:8])
    d(X[:8])
    assert len(_losses(d)) == len(_losses(k)) == 4
    np.testing.assert_allclose(_losses(d), _losses(k), rtol=1e-5)
    for batch_size in (4, 32):
        want = k.evaluate(X, Y, batch_size=batch_size, verbose=0)
        got = d.evaluate(X, Y, batch_size=batch_size, verbose=0)
        assert got == pytest.approx(want, rel=1e-5)


def test_training_with_activity_penalties_matches_keras():
    k, d = _pair_of_models()
    hk = k.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    hd = d.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(hd.history["loss"], hk.history["loss"], rtol=1e-4)
    for got, want in zip(d.get_weights(), k.get_weights(), strict=True):
        np.testing.assert_allclose(got, _np(want), rtol=1e-4, atol=1e-5)
