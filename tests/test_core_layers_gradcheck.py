"""Every core layer's gradients (inputs and weights) against float64 central differences."""

from __future__ import annotations

import numpy as np
import pytest

import descend
from descend import layers
from descend.autograd import Tensor, gradcheck


@pytest.fixture(autouse=True)
def _float64() -> None:
    descend.config.set_floatx("float64")


def check_layer(layer, x: np.ndarray, training: bool = False) -> None:
    """gradcheck with respect to the input and to every weight of the layer.

    The layer's weight attributes (``kernel``, ``bias``) are swapped for the
    gradcheck's own tensors during each call, so the graph reaches them.
    """
    layer(Tensor(x))  # build
    weights = layer.weights
    names = [w.path.split("/")[-1] for w in weights]

    def fn(inp, *values):
        for name, value in zip(names, values, strict=True):
            setattr(layer, name, value)
        try:
            return layer._invoke(inp, training)
        finally:
            for name, weight in zip(names, weights, strict=True):
                setattr(layer, name, weight)

    assert gradcheck(fn, x, *[w.numpy() for w in weights])


RNG = np.random.default_rng(0)


@pytest.mark.parametrize("activation", [None, "relu", "sigmoid", "tanh", "softmax", "elu",
                                        "gelu", "swish", "softplus", "leaky_relu"])
@pytest.mark.parametrize("use_bias", [True, False])
def test_dense(activation, use_bias) -> None:
    x = RNG.standard_normal((4, 3)) + 0.05
    check_layer(layers.Dense(5, activation=activation, use_bias=use_bias), x)


def test_dense_rank3_input() -> None:
    check_layer(layers.Dense(2, activation="tanh"), RNG.standard_normal((2, 3, 4)))


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh", "softmax", "selu", "mish"])
def test_activation_layer(activation) -> None:
    check_layer(layers.Activation(activation), RNG.standard_normal((3, 4)) + 0.05)


def test_flatten() -> None:
    check_layer(layers.Flatten(), RNG.standard_normal((2, 3, 4, 2)))


def test_dropout_in_training_is_a_fixed_mask_times_scale() -> None:
    layer = layers.Dropout(0.4, seed=3)
    x = RNG.standard_normal((5, 6))
    out = layer(Tensor(x), training=True).data
    kept = out != 0
    np.testing.assert_allclose(out[kept], x[kept] / 0.6)
    # the gradient is the same mask and scale: check it with a reseeded layer each call
    assert gradcheck(lambda t: layers.Dropout(0.4, seed=3)(t, training=True), x)
