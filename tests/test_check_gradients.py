"""model.check_gradients: float64 central differences over every layer catch a wrong backward."""

from __future__ import annotations

import numpy as np
import pytest

import descend
from descend.autograd import Function
from descend.explain.gradients import check_model_gradients
from descend.layers import Dense, Layer


class CubeWrong(Function):
    """x^3 with a deliberately wrong derivative (2x instead of 3x^2)."""

    def forward(self, x):
        self.x = x
        return x**3

    def backward(self, grad):
        return (grad * 2 * self.x,)


class CubeRight(CubeWrong):
    def backward(self, grad):
        return (grad * 3 * self.x**2,)


class ScaledCube(Layer):
    """A custom layer: (inputs * scale)^3 through a custom Function."""

    function = CubeRight

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")

    def call(self, inputs, training=False):
        return self.function.apply(inputs * self.scale)


class WrongScaledCube(ScaledCube):
    function = CubeWrong


def batch(n: int = 12) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 3))
    return x, rng.integers(0, 3, n)


def classifier(middle: Layer | None = None) -> descend.Sequential:
    layers = [Dense(6, activation="tanh", input_shape=(3,), name="first",
                    kernel_regularizer="l2")]
    if middle is not None:
        layers.append(middle)
    layers += [Dense(4, activation="relu", name="hidden"),
               Dense(3, activation="softmax", name="out")]
    model = descend.Sequential(layers)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def test_passes_on_a_normal_model() -> None:
    x, y = batch()
    model = classifier()
    result = model.check_gradients(x, y)
    assert result.ok
    assert [c.layer for c in result.layers] == ["first", "hidden", "out"]
    assert [c.checked for c in result.layers] == [20, 20, 15]  # 24, 28 and 15 weights
    assert result.max_relative_error < 1e-5
    text = str(result)
    assert "gradients OK" in text and "first" in text and "max rel. error" in text


def test_passes_through_a_correct_custom_layer() -> None:
    x, y = batch()
    result = classifier(ScaledCube(name="cube")).check_gradients(x, y, n_samples=50)
    assert result.ok, str(result)


def test_fails_on_a_custom_layer_with_a_wrong_backward() -> None:
    x, y = batch()
    model = classifier(WrongScaledCube(name="cube"))
    result = check_model_gradients(model, x, y, n_samples=50)
    assert not result.ok
    by_name = {c.layer: c for c in result.layers}
    assert not by_name["cube"].ok and by_name["cube"].max_relative_error > 0.1
    assert not by_name["first"].ok  # the wrong derivative also corrupts the layers before it
    assert by_name["hidden"].ok and by_name["out"].ok  # layers after it are unaffected
    assert "GRADIENTS WRONG in 'first', 'cube'" in str(result)
    assert by_name["cube"].worst.startswith("cube/scale[")


def test_the_model_itself_is_not_touched() -> None:
    x, y = batch()
    model = classifier()
    before = model.get_weights()
    model.check_gradients(x, y)
    for a, b in zip(model.get_weights(), before, strict=True):
        assert a.dtype == np.float32
        np.testing.assert_array_equal(a, b)


def test_arguments_are_checked() -> None:
    x, y = batch()
    model = descend.Sequential([Dense(1, input_shape=(3,))])
    with pytest.raises(ValueError, match="compile"):
        model.check_gradients(x, y)
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="n_samples"):
        model.check_gradients(x, y.reshape(-1, 1), n_samples=0)
    with pytest.raises(ValueError, match="eps"):
        model.check_gradients(x, y.reshape(-1, 1), eps=0.0)
