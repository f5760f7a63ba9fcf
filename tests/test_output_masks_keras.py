"""Masked losses and metrics against real Keras 3 (the ``interop`` test extra).

The same weights in both libraries; ``evaluate``, ``train_on_batch`` and ``fit``
of models whose output carries a mask give the same losses, metrics and
trained weights. Skipped, with the reason shown, without Keras 3 (torch backend).
"""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras", reason="needs real Keras 3: pip install '.[interop]'")

import descend  # noqa: E402

X_IDS = np.array([[3, 5, 0, 0], [2, 0, 0, 0], [1, 4, 6, 2], [7, 0, 0, 0]])


def _pair(build):
    k, d = build(keras), build(descend)
    d.set_weights(k.get_weights())
    return k, d


def _ids_model(lib):
    L = lib.layers
    return lib.Sequential([lib.Input((4,)), L.Embedding(8, 5, mask_zero=True),
                           L.LSTM(6, return_sequences=True), L.Dropout(0.0), L.Dense(3)])


def _float_model(lib):
    L = lib.layers
    return lib.Sequential([lib.Input((5, 2)), L.Masking(0.0),
                           L.GRU(4, return_sequences=True), L.LayerNormalization(),
                           L.Dense(1)])


def _compile(lib, model, kind):
    if kind == "ids":
        model.compile(optimizer=lib.optimizers.Adam(0.01),
                      loss=lib.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy", lib.metrics.SparseTopKCategoricalAccuracy(k=2)],
                      weighted_metrics=["accuracy"])
    else:
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse", metrics=["mae"])


def _data(kind):
    rng = np.random.default_rng(0)
    if kind == "ids":
        return X_IDS, rng.integers(0, 3, X_IDS.shape)
    x = rng.normal(size=(4, 5, 2)).astype("float32")
    x[0, 3:] = 0.0
    x[2, 1:] = 0.0
    x[3, :2] = 0.0
    return x, rng.normal(size=(4, 5, 1)).astype("float32")


@pytest.mark.parametrize("kind", ["ids", "float"])
def test_masked_evaluate_train_on_batch_and_fit_match_keras(kind):
    k, d = _pair(_ids_model if kind == "ids" else _float_model)
    x, y = _data(kind)
    for lib, model in ((keras, k), (descend, d)):
        _compile(lib, model, kind)
    want = k.evaluate(x, y, batch_size=4, verbose=0, return_dict=True)
    got = d.evaluate(x, y, batch_size=4, verbose=0, return_dict=True)
    assert set(want) == set(got)
    for name in want:
        np.testing.assert_allclose(got[name], want[name], rtol=2e-5, atol=1e-6, err_msg=name)
    want = k.train_on_batch(x, y, return_dict=True)
    got = d.train_on_batch(x, y, return_dict=True)
    for name in want:
        np.testing.assert_allclose(got[name], want[name], rtol=2e-5, atol=1e-6, err_msg=name)
    want = k.fit(x, y, epochs=3, batch_size=2, shuffle=False, verbose=0).history
    got = d.fit(x, y, epochs=3, batch_size=2, shuffle=False, verbose=0).history
    for name in want:
        np.testing.assert_allclose(got[name], want[name], rtol=1e-4, atol=1e-6, err_msg=name)
    for a, b in zip(d.get_weights(), k.get_weights(), strict=True):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-4, atol=1e-5)


def test_masked_loss_object_matches_keras():
    """A loss called directly on a masked layer output (custom training loops)."""
    k, d = _pair(_ids_model)
    y = np.random.default_rng(1).integers(0, 3, X_IDS.shape)
    out_k, out_d = k(X_IDS), d(X_IDS)
    for name in ("sum_over_batch_size", "sum", "mean_with_sample_weight"):
        want = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=name)
        got = descend.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=name)
        np.testing.assert_allclose(float(got(y, out_d).data),
                                   float(want(y, out_k).detach()), rtol=1e-5, err_msg=name)
