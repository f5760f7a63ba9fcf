"""A model's execution plan (descend.models.plan) changes no number.

With fusion on, runs of Dense layers become one DenseStack node, a ReLU
convolution followed by max pooling runs as convolution, pooling, then ReLU, and
predict computes on plain arrays. With ``descend.config.set_fusion(False)`` every
layer runs through its own ``call`` (the reference path). Training and predicting
on both paths must give exactly the same losses, weights and outputs, for
Sequential and functional models alike.
"""

from __future__ import annotations

import numpy as np
import pytest
from tests._fusion import fusion

import descend
from descend import config, layers
from descend.autograd.ops import nn as _nn
from descend.models import Model, Sequential


def _kinds(model) -> list[str]:
    return [type(step).__name__.lstrip("_") for step in model._execution_plan().steps]


def _train_both(make, x, y, **fit_kwargs):
    """Train a fresh model on each path; return (fused, reference) models and histories."""
    out = []
    for on in (True, False):
        with fusion(on):
            model = make()
            descend.utils.set_random_seed(11)
            history = model.fit(x, y, verbose=0, **fit_kwargs)
            out.append((model, history.history["loss"], model.predict(x, verbose=0)))
    return out


def _assert_same(fused, reference):
    (m1, loss1, p1), (m2, loss2, p2) = fused, reference
    assert loss1 == loss2
    for a, b in zip(m1.get_weights(), m2.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(p1, p2)


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


@pytest.mark.parametrize("conv,pool,shape,conv_kw,pool_kw", CASES)
def test_relu_conv_then_pool_trains_identically(conv, pool, shape, conv_kw, pool_kw):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((12, *shape)).astype(np.float32)
    x[:, :2] = 0.0  # exact zeros: pooling windows of tied non-positive values
    y = rng.integers(0, 3, 12)

    def make():
        descend.utils.set_random_seed(3)
        model = Sequential([layers.Input(shape), conv(filters=4, activation="relu", **conv_kw),
                            pool(**pool_kw), layers.Flatten(),
                            layers.Dense(3, activation="softmax")])
        model.compile(descend.optimizers.Adam(0.05), "sparse_categorical_crossentropy")
        return model

    fused, reference = _train_both(make, x, y, batch_size=4, epochs=3, shuffle=False)
    with fusion(True):
        assert _kinds(fused[0]) == ["ConvReluPool", "Call", "Call"]
    with fusion(False):
        assert _kinds(fused[0]) == ["Call"] * 4
    _assert_same(fused, reference)


def _mlp_layers():
    return [layers.Dense(16, activation="relu"), layers.Dense(8, activation="tanh"),
            layers.Dropout(0.25), layers.Dense(6, activation="relu"),
            layers.Dense(3, activation="softmax")]


def _sequential_mlp():
    descend.utils.set_random_seed(7)
    model = Sequential([layers.Input((12,)), *_mlp_layers()])
    model.compile(descend.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    return model


def _functional_mlp():
    descend.utils.set_random_seed(7)
    inputs = layers.Input((12,))
    out = inputs
    for layer in _mlp_layers():
        out = layer(out)
    model = Model(inputs, out)
    model.compile(descend.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    return model


@pytest.mark.parametrize("make", [_sequential_mlp, _functional_mlp])
def test_dense_runs_stack_and_train_identically(make):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((64, 12)).astype(np.float32)
    y = rng.integers(0, 3, 64)
    fused, reference = _train_both(make, x, y, batch_size=16, epochs=3)
    with fusion(True):
        assert _kinds(fused[0]) == ["DenseChain", "Call", "DenseChain"]
        assert isinstance(fused[0]._forward([x], True)[0]._ctx, _nn.DenseStack)
    with fusion(False):
        assert not isinstance(fused[0]._forward([x], True)[0]._ctx, _nn.DenseStack)
    _assert_same(fused, reference)


def test_functional_and_sequential_of_the_same_layers_train_identically():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((32, 12)).astype(np.float32)
    y = rng.integers(0, 3, 32)
    with fusion(True):
        runs = []
        for make in (_sequential_mlp, _functional_mlp):
            model = make()
            descend.utils.set_random_seed(2)
            runs.append((model, model.fit(x, y, batch_size=8, epochs=2, verbose=0)
                         .history["loss"], model.predict(x, verbose=0)))
    _assert_same(*runs)


def test_functional_branches_fuse_only_private_chains():
    inputs = layers.Input((5,))
    a = layers.Dense(4, activation="relu", name="a")(inputs)
    b = layers.Dense(4, activation="relu", name="b")(a)  # a feeds b and the concatenation
    c = layers.Dense(3, activation="tanh", name="c")(b)
    d = layers.Dense(2, name="d")(c)  # c feeds only d: a chain
    merged = layers.Concatenate(name="merged")([a, d])
    model = Model(inputs, [merged, b])  # b is also an output: not fused into c
    with fusion(True):
        assert [repr(s) for s in model._execution_plan().steps] == [
            "Call(a)", "Call(b)", "DenseChain(c, d)", "Call(merged)"]
        x = np.random.default_rng(0).standard_normal((6, 5)).astype(np.float32)
        fused = model.predict(x, verbose=0)
        graph = [t.data for t in model._forward([x], False)]
    with fusion(False):
        reference = model.predict(x, verbose=0)
    for f, g, r in zip(fused, graph, reference, strict=True):
        np.testing.assert_array_equal(f, r)
        np.testing.assert_array_equal(g, r)


def test_plan_leaves_other_patterns_alone():
    relu_conv = layers.Conv2D(2, 3, activation="relu")
    tanh_conv = layers.Conv2D(2, 3, activation="tanh")
    model = Sequential([layers.Input((12, 12, 1)), tanh_conv, layers.MaxPooling2D(2),
                        relu_conv, layers.AveragePooling2D(2), layers.Flatten(),
                        layers.Dense(4, activation="relu"), layers.Dropout(0.5),
                        layers.Dense(4, activation="elu"), layers.Dense(2)])
    with fusion(True):
        assert _kinds(model) == ["Call"] * 9
        stacked = Sequential([layers.Input((3,)), layers.Dense(4, activation="relu"),
                              layers.Dense(4), layers.Dense(2, activation="softmax")])
        assert _kinds(stacked) == ["DenseChain"]


def test_subclass_overriding_call_and_activity_regularizer_are_not_fused():
    class Doubled(layers.Dense):
        def call(self, inputs, training=False):
            return super().call(inputs) * 2.0

    class Renamed(layers.Dense):  # same call: still described as a dense layer
        pass

    with fusion(True):
        conv = layers.Conv2D(2, 3, activation="relu", activity_regularizer="l2")
        model = Sequential([layers.Input((6, 6, 1)), conv, layers.MaxPooling2D(2)])
        assert _kinds(model) == ["Call", "Call"]
        model = Sequential([layers.Input((3,)), Doubled(4, activation="relu"), layers.Dense(2)])
        assert _kinds(model) == ["Call", "Call"]
        model = Sequential([layers.Input((3,)), Renamed(4, activation="relu"), layers.Dense(2)])
        assert _kinds(model) == ["DenseChain"]


def test_the_plan_is_cached_and_rebuilt_when_the_model_changes():
    with fusion(True):
        model = Sequential([layers.Input((3,)), layers.Dense(4, activation="relu")])
        plan = model._execution_plan()
        assert model._execution_plan() is plan
        model.add(layers.Dense(2))
        assert _kinds(model) == ["DenseChain"]
        plan = model._execution_plan()
        model.layers[0].trainable = False
        assert model._execution_plan() is not plan
        plan = model._execution_plan()
        model.compile("sgd", "mse")
        assert model._execution_plan() is not plan
        handle = model.layers[0].register_forward_hook(lambda *args: None)
        assert _kinds(model) == ["Call", "Call"]
        handle.remove()
        assert _kinds(model) == ["DenseChain"]
        descend.config.set_fusion(False)
        assert _kinds(model) == ["Call", "Call"]


def test_set_fusion_rejects_non_bool():
    with pytest.raises(TypeError, match="set_fusion"):
        descend.config.set_fusion("no")


def test_a_layer_applied_twice_in_a_row_is_not_stacked_with_itself():
    shared = layers.Dense(4, activation="tanh", name="shared")
    inputs = layers.Input((4,))
    model = Model(inputs, layers.Dense(2, name="head")(shared(shared(inputs))))
    model.compile(descend.optimizers.SGD(0.1), "mse")
    with fusion(True):
        assert [repr(s) for s in model._execution_plan().steps] == [
            "Call(shared)", "DenseChain(shared, head)"]
    rng = np.random.default_rng(6)
    x = rng.standard_normal((8, 4)).astype(np.float32)
    y = rng.standard_normal((8, 2)).astype(np.float32)
    initial = model.get_weights()
    results = []
    for on in (True, False):
        with fusion(on):
            model.set_weights(initial)
            model.compile(descend.optimizers.SGD(0.1), "mse")
            loss = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
            results.append((loss.history["loss"], model.get_weights()))
    assert results[0][0] == results[1][0]
    for a, b in zip(results[0][1], results[1][1], strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("fused", [True, False])
def test_training_given_at_symbolic_call_is_kept(fused):
    """``Dropout(0.5)(x, training=True)`` stays active in ``predict`` (Keras), on both paths."""
    previous = config.fusion()
    config.set_fusion(fused)
    try:
        x = descend.Input((64,))
        always = descend.layers.Dropout(0.5, seed=1)(x, training=True)
        never = descend.layers.Dropout(0.5, seed=1)(x, training=False)
        model = descend.Model(x, [always, never])
        ones = np.ones((4, 64), "float32")
        dropped, kept = model.predict(ones, verbose=0)
        assert (dropped == 0).any() and set(np.unique(dropped)) <= {0.0, 2.0}
        np.testing.assert_array_equal(kept, ones)
        model.compile(optimizer="sgd", loss="mse")
        model.fit(ones, [ones, ones], epochs=1, verbose=0)  # no duplicate `training`
    finally:
        config.set_fusion(previous)
