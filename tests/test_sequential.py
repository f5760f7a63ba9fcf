"""Sequential: construction, building, weights, summary, and its errors."""

from __future__ import annotations

import numpy as np
import pytest

import descend
from descend import layers
from descend.layers import Dense, Dropout, Flatten, Input


def seed_model() -> descend.Sequential:
    return descend.Sequential([
        Dense(units=16, input_shape=(1,), activation="relu"),
        Dense(units=32, activation="relu"),
        Dense(units=2, activation="sigmoid"),
    ])


def test_input_shape_builds_at_once_and_counts_parameters() -> None:
    model = seed_model()
    assert model.built
    assert [w.shape for w in model.weights] == [(1, 16), (16,), (16, 32), (32,), (32, 2), (2,)]
    assert model.count_params() == 32 + 544 + 66
    assert [layer.name for layer in model.layers] == ["dense", "dense_1", "dense_2"]


def test_input_first_builds_as_layers_are_added() -> None:
    model = descend.Sequential()
    model.add(Input(shape=(16,)))
    model.add(Dense(8))
    assert len(model.weights) == 2


def test_lazy_build_on_first_data() -> None:
    model = descend.Sequential([Dense(4), Dense(1)])
    assert not model.built and model.weights == []
    out = model.predict(np.zeros((3, 7), "float32"), verbose=0)
    assert out.shape == (3, 1) and model.built
    assert model.layers[0].kernel.shape == (7, 4)


def test_model_build_with_explicit_shape() -> None:
    model = descend.Sequential([Flatten(), Dense(3)])
    model.build((None, 4, 5))
    assert model.layers[1].kernel.shape == (20, 3)


def test_duplicate_names_rejected() -> None:
    with pytest.raises(ValueError, match="unique names"):
        descend.Sequential([Dense(2, name="a"), Dense(2, name="a")])


def test_second_input_rejected() -> None:
    model = descend.Sequential([Input(shape=(3,)), Dense(2)])
    with pytest.raises(ValueError, match="already been configured"):
        model.add(Input(shape=(4,)))


def test_adding_a_class_instead_of_an_instance_is_explained() -> None:
    with pytest.raises(TypeError, match="parentheses"):
        descend.Sequential([Dense])


def test_get_set_weights_round_trip_and_errors() -> None:
    model = seed_model()
    weights = [np.full(w.shape, 0.5, "float32") for w in model.weights]
    model.set_weights(weights)
    assert all((w == 0.5).all() for w in model.get_weights())
    with pytest.raises(ValueError, match="expected a list of 6 arrays"):
        model.set_weights(weights[:-1])
    weights[0] = np.zeros((2, 16))
    with pytest.raises(ValueError, match=r"dense/kernel.*\(1, 16\).*\(2, 16\)"):
        model.set_weights(weights)


def test_summary_matches_keras_layout() -> None:
    lines: list[str] = []
    model = descend.Sequential([Input(shape=(44,)), Dense(30), Dense(15), Dense(1)])
    model.summary(print_fn=lines.append)
    text = lines[0]
    assert text.splitlines()[0] == 'Model: "sequential"'
    assert "┃ Layer (type)" in text and "Output Shape" in text and "Param #" in text
    assert "│ dense (Dense)" in text and "(None, 30)" in text and "1,350" in text
    assert " Total params: 1,831 (7.15 KB)" in text
    assert " Trainable params: 1,831 (7.15 KB)" in text
    assert " Non-trainable params: 0 (0.00 B)" in text


def test_summary_of_unbuilt_model() -> None:
    lines: list[str] = []
    descend.Sequential([Dense(3)]).summary(print_fn=lines.append)
    assert "0 (unbuilt)" in lines[0] and "?" in lines[0]


def test_trainable_flag_freezes_weights() -> None:
    model = seed_model()
    model.layers[0].trainable = False
    assert len(model.trainable_weights) == 4 and len(model.non_trainable_weights) == 2
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    before = model.layers[0].get_weights()
    rng = np.random.default_rng(0)
    model.fit(rng.random((20, 1)), rng.integers(0, 2, 20), epochs=2, verbose=0)
    after = model.layers[0].get_weights()
    assert all((a == b).all() for a, b in zip(before, after, strict=True))


def test_layers_importable_from_core_module() -> None:
    from descend.layers.core import Dense as CoreDense

    assert CoreDense is layers.Dense


def test_dense_arguments_are_validated() -> None:
    with pytest.raises(ValueError, match="units=0"):
        Dense(0)
    with pytest.raises(ValueError, match=r"Unrecognized keyword arguments passed to Dense"):
        Dense(3, unitz=4)
    with pytest.raises(ValueError, match="rate"):
        Dropout(1.5)


def test_get_config_round_trip() -> None:
    model = seed_model()
    clone = descend.Sequential.from_config(model.get_config())
    assert [type(layer).__name__ for layer in clone.layers] == ["Dense"] * 3
    assert clone.count_params() == model.count_params()
