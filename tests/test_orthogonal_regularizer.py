"""OrthogonalRegularizer: Keras's penalty, its gradient, config, use in a layer."""

from __future__ import annotations

import numpy as np
import pytest

import descend
from descend import regularizers
from descend.autograd import Tensor

RNG = np.random.default_rng(5)


@pytest.mark.parametrize("mode", ["rows", "columns"])
def test_value_and_gradient(mode):
    w = RNG.normal(size=(4, 3))
    unit = w / np.linalg.norm(w, axis=1 if mode == "rows" else 0, keepdims=True)
    product = unit @ unit.T if mode == "rows" else unit.T @ unit
    n = product.shape[0]
    want = 0.3 * 0.5 * np.abs(product - np.diag(np.diag(product))).sum() / (n * (n - 1) / 2)
    penalty = regularizers.OrthogonalRegularizer(0.3, mode=mode)
    assert penalty(Tensor(w)).item() == pytest.approx(want, rel=1e-12)
    assert descend.gradcheck(penalty, w)


def test_equals_keras():
    keras = pytest.importorskip("keras", reason="Keras 3 (torch backend) compares the values")
    w = RNG.normal(size=(5, 3)).astype("float32")
    for mode in ("rows", "columns"):
        theirs = keras.regularizers.OrthogonalRegularizer(0.2, mode=mode)(
            keras.ops.convert_to_tensor(w))
        ours = regularizers.OrthogonalRegularizer(0.2, mode=mode)(Tensor(w))
        assert ours.item() == pytest.approx(float(keras.ops.convert_to_numpy(theirs)), rel=1e-5)


def test_config_names_errors_and_training():
    penalty = regularizers.get({"class_name": "OrthogonalRegularizer",
                                "config": {"factor": 0.1, "mode": "columns"}})
    assert isinstance(penalty, regularizers.OrthogonalRegularizer) and penalty.mode == "columns"
    assert regularizers.serialize(penalty)["config"] == {"factor": 0.1, "mode": "columns"}
    assert regularizers.orthogonal_regularizer is regularizers.OrthogonalRegularizer
    with pytest.raises(ValueError, match="mode"):
        regularizers.OrthogonalRegularizer(mode="diagonal")
    with pytest.raises(ValueError, match="rank 2"):
        regularizers.OrthogonalRegularizer()(Tensor(np.ones((2, 2, 2))))
    descend.utils.set_random_seed(0)
    model = descend.Sequential([
        descend.layers.Input((6,)),
        descend.layers.Dense(6, kernel_regularizer=regularizers.OrthogonalRegularizer(1.0))])
    model.compile("sgd", "mse")
    before = model.losses[0].item()
    model.fit(np.zeros((8, 6), "float32"), np.zeros((8, 6), "float32"), epochs=20, verbose=0)
    assert model.losses[0].item() < before  # training decorrelates the kernel's rows
