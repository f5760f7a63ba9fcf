"""descend.ops functions and tensor operators on symbolic tensors (functional models)."""

from __future__ import annotations

import os

import numpy as np
import pytest

import descend
from descend import gradcheck, layers, ops


def _model():
    inputs = layers.Input(shape=(4,))
    hidden = layers.Dense(3, kernel_initializer="ones", bias_initializer="zeros")(inputs)
    mixed = ops.concatenate([ops.relu(hidden) * 2.0 + 1.0, -hidden[:, :1]], axis=-1)
    scaled = ops.nn.softmax(mixed / ops.sum(ops.abs(mixed), axis=-1, keepdims=True))
    return descend.Model(inputs, scaled)


def test_ops_and_operators_build_a_functional_model_with_the_right_values():
    model = _model()
    x = np.arange(8, dtype="float32").reshape(2, 4) - 3.0
    h = x.sum(axis=1, keepdims=True) * np.ones((1, 3), "float32")
    mixed = np.concatenate([np.maximum(h, 0) * 2 + 1, -h[:, :1]], axis=-1)
    mixed = mixed / np.abs(mixed).sum(axis=-1, keepdims=True)
    expected = np.exp(mixed) / np.exp(mixed).sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-6)
    # relu, mul, add, getitem, neg, concatenate, abs, sum, div, softmax
    assert [type(layer).__name__ for layer in model.layers].count("OpLayer") == 10


def test_gradients_flow_through_op_layers():
    inputs = layers.Input(shape=(3,))
    outputs = ops.sum(ops.tanh(layers.Dense(2)(inputs)) ** 2, axis=-1, keepdims=True)
    model = descend.Model(inputs, outputs)
    x = np.random.default_rng(0).normal(size=(5, 3))
    model.compile(optimizer="sgd", loss="mse")
    report = model.check_gradients(x, np.zeros((5, 1)))
    assert report.ok


def test_a_model_with_op_layers_saves_and_loads(tmp_path):
    model = _model()
    path = os.fspath(tmp_path / "ops.descend")
    model.save(path)
    loaded = descend.models.load_model(path)
    x = np.ones((3, 4), "float32")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_an_op_outside_descend_ops_cannot_be_saved(tmp_path):
    from descend.layers.op_layer import symbolic_op_call

    inputs = layers.Input(shape=(2,))
    outputs = symbolic_op_call(lambda t: t * 3.0, (inputs,), {})
    model = descend.Model(inputs, outputs)
    assert model.predict(np.ones((1, 2), "float32"), verbose=0).tolist() == [[3.0, 3.0]]
    with pytest.raises(NotImplementedError, match="descend.ops"):
        model.save(os.fspath(tmp_path / "bad.descend"))


def test_a_config_can_only_name_descend_ops():
    from descend.layers.op_layer import OpLayer

    with pytest.raises(ValueError, match="unknown op"):
        OpLayer.from_config({"op": "__import__", "args": [], "kwargs": {}})
    with pytest.raises(ValueError, match="unknown op"):
        OpLayer.from_config({"op": "_dispatch", "args": [], "kwargs": {}})


def test_every_public_op_accepts_symbolic_tensors():
    names = [n for n in ops.__all__ if callable(getattr(ops, n))]
    assert len(names) >= 341
    assert all(hasattr(getattr(ops, n), "__wrapped_op__") for n in names)


def test_op_layer_gradcheck_through_a_model_call():
    inputs = layers.Input(shape=(3,))
    outputs = ops.exp(inputs) * inputs
    model = descend.Model(inputs, outputs)
    assert gradcheck(lambda t: model(t).sum(), np.random.default_rng(1).normal(size=(2, 3)))
