"""Sequential's fused forward plan (descend.models._fusion) changes no number.

A ReLU convolution followed by max pooling runs as convolution, pooling, then
ReLU; runs of plain Dense layers run as one DenseStack. Training through the
plan must give exactly the weights and losses of training layer by layer
(subclasses of the layers are never fused, so they serve as the reference).
"""

from __future__ import annotations

import numpy as np
import pytest

import descend
from descend import layers
from descend.autograd.ops import nn as _nn
from descend.models import Sequential, _fusion


def _unfused(cls):
    return type(f"Unfused{cls.__name__}", (cls,), {})


CASES = [
    # (conv class, pool class, input shape, conv kwargs, pool kwargs)
    (layers.Conv1D, layers.MaxPooling1D, (11, 2), {"kernel_size": 3}, {"pool_size": 2}),
    (layers.Conv2D, layers.MaxPooling2D, (9, 8, 1), {"kernel_size": 3},
     {"pool_size": 2}),  # odd output: the last row is dropped by the pool
    (layers.Conv2D, layers.MaxPooling2D, (8, 8, 3), {"kernel_size": 3, "padding": "same"},
     {"pool_size": 3, "strides": 2, "padding": "same"}),
    (layers.Conv3D, layers.MaxPooling3D, (5, 6, 5, 1), {"kernel_size": 2},
     {"pool_size": 2}),
]


def _model(conv, pool, shape, conv_kw, pool_kw, fused: bool):
    descend.utils.set_random_seed(3)
    if not fused:
        conv, pool = _unfused(conv), _unfused(pool)
    model = Sequential([layers.Input(shape), conv(filters=4, activation="relu", **conv_kw),
                        pool(**pool_kw), layers.Flatten(), layers.Dense(3, activation="softmax")])
    model.compile(descend.optimizers.Adam(0.05), "sparse_categorical_crossentropy")
    return model


@pytest.mark.parametrize("conv,pool,shape,conv_kw,pool_kw", CASES)
def test_relu_conv_then_pool_trains_identically(conv, pool, shape, conv_kw, pool_kw):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((12, *shape)).astype(np.float32)
    x[:, :2] = 0.0  # exact zeros: pooling windows of tied non-positive values
    y = rng.integers(0, 3, 12)
    fused = _model(conv, pool, shape, conv_kw, pool_kw, fused=True)
    plain = _model(conv, pool, shape, conv_kw, pool_kw, fused=False)
    assert [s[0] for s in _fusion.plan(fused.layers)] == ["conv_pool", "layer", "layer"]
    assert [s[0] for s in _fusion.plan(plain.layers)] == ["layer"] * 4
    np.testing.assert_array_equal(fused._forward([x], True)[0].data,
                                  plain._forward([x], True)[0].data)
    h1 = fused.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0)
    h2 = plain.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0)
    assert h1.history["loss"] == h2.history["loss"]
    for a, b in zip(fused.get_weights(), plain.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_plan_leaves_other_patterns_alone():
    relu_conv = layers.Conv2D(2, 3, activation="relu")
    tanh_conv = layers.Conv2D(2, 3, activation="tanh")
    model = Sequential([layers.Input((12, 12, 1)), tanh_conv, layers.MaxPooling2D(2),
                        relu_conv, layers.AveragePooling2D(2), layers.Flatten(),
                        layers.Dense(4, activation="relu"), layers.Dropout(0.5),
                        layers.Dense(4, activation="elu"), layers.Dense(2)])
    assert [s[0] for s in _fusion.plan(model.layers)] == ["layer"] * 9
    stacked = Sequential([layers.Input((3,)), layers.Dense(4, activation="relu"),
                          layers.Dense(4), layers.Dense(2, activation="softmax")])
    assert _fusion.plan(stacked.layers) == [("dense", 0, 3)]
    out = stacked._forward([np.ones((2, 3), np.float32)], True)[0]
    assert isinstance(out._ctx, _nn.DenseStack)


def test_activity_regularizer_and_taps_disable_conv_pool_fusion():
    from descend.explain.taps import tap_layers

    conv = layers.Conv2D(2, 3, activation="relu", activity_regularizer="l2")
    model = Sequential([layers.Input((6, 6, 1)), conv, layers.MaxPooling2D(2)])
    assert _fusion.plan(model.layers) == [("layer", 0), ("layer", 1)]
    model = Sequential([layers.Input((6, 6, 1)), layers.Conv2D(2, 3, activation="relu"),
                        layers.MaxPooling2D(2)])
    with tap_layers(model.layers) as calls:
        assert _fusion.plan(model.layers) == [("layer", 0), ("layer", 1)]
        model._forward([np.ones((1, 6, 6, 1), np.float32)], True)
    assert len(calls) == 2
