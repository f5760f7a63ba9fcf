"""Building models is linear in the number of layers (Sequential, functional, from a config)."""

from __future__ import annotations

import gc
import time

import numpy as np
import pytest

import descend
from descend.layers import Activation, Dense, Input
from descend.models import Sequential
from descend.saving import serialization

SMALL, LARGE = 1500, 6000  # 4x the layers: linear costs ~4x, quadratic ~16x
# The bound sits between the two: 10x leaves room for cache effects on a busy machine
# (6x to 9x seen at 6,000 layers under load) and still fails a quadratic build.
BOUND = 10


def _cpu_seconds(build) -> float:
    """Best of three CPU times, with the cyclic garbage collector paused (its full passes
    cost in proportion to every live object, which is not the algorithm under test)."""
    best = float("inf")
    for _ in range(3):
        gc.collect()
        gc.disable()
        try:
            start = time.process_time()
            build()
            best = min(best, time.process_time() - start)
        finally:
            gc.enable()
    return best


def _assert_linear(make_args, build, scale: int = 1) -> None:
    small_args, large_args = make_args(SMALL // scale), make_args(LARGE // scale)
    small = _cpu_seconds(lambda: build(small_args))
    large = _cpu_seconds(lambda: build(large_args))
    assert large < BOUND * max(small, 1e-3), (small, large)


def _sequential_layers(n: int) -> list:
    return [Input((4,))] + [Activation("relu") for _ in range(n)]


def _chain(n: int) -> tuple:
    x = Input((4,))
    y = x
    for _ in range(n):
        y = Activation("relu")(y)
    return x, y


def test_sequential_add_is_linear() -> None:
    _assert_linear(_sequential_layers, lambda layers: Sequential(list(layers)))


def test_functional_model_is_linear() -> None:
    _assert_linear(_chain, lambda xy: descend.Model(*xy))


def test_sequential_from_config_is_linear() -> None:
    def config(n: int) -> dict:
        return serialization.serialize_model(Sequential(_sequential_layers(n)))

    _assert_linear(config, lambda c: serialization.deserialize_model(c, compile=False), 3)


def test_functional_from_config_is_linear_in_any_layer_order() -> None:
    def config(n: int) -> dict:
        config = serialization.serialize_model(descend.Model(*_chain(n)))
        config["config"]["layers"].reverse()  # every layer listed before its input
        return config

    _assert_linear(config, lambda c: serialization.deserialize_model(c, compile=False), 3)
    model = serialization.deserialize_model(config(5), compile=False)
    x = np.array([[-1.0, 2.0, -3.0, 4.0]], "float32")
    np.testing.assert_array_equal(model.predict(x, verbose=0), np.maximum(x, 0))


def test_names_stay_unique_through_add_and_pop() -> None:
    model = Sequential([Input((3,)), Dense(2, name="a"), Dense(2, name="b")])
    with pytest.raises(ValueError, match="unique names"):
        model.add(Dense(2, name="a"))
    with pytest.raises(ValueError, match="unique names"):
        model.add(Dense(2, name=model.layers[1].name))
    popped = model.pop()
    assert popped.name == "b"
    model.add(Dense(3, name="b"))  # the popped layer's name is free again
    assert [layer.name for layer in model.layers] == ["a", "b"]
    model.pop()
    model.pop()
    model.add(Dense(1, name="a"))
    assert model.predict(np.ones((2, 3), "float32"), verbose=0).shape == (2, 1)


def test_layers_given_with_input_shape_keep_names_unique() -> None:
    model = Sequential([Dense(2, input_shape=(3,), name="first")])
    with pytest.raises(ValueError, match="unique names"):
        model.add(Dense(2, name="first"))
    model.add(Dense(2, name="second"))
    assert [layer.name for layer in model.layers] == ["first", "second"]


def test_functional_duplicate_names_are_still_refused() -> None:
    x = Input((3,))
    y = Dense(2, name="same")(Dense(2, name="same")(x))
    with pytest.raises(ValueError, match='"same" is used 2 times'):
        descend.Model(x, y)
