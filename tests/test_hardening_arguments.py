"""Bad arguments fail at once with a clear error and leave the model exactly as it was."""

from __future__ import annotations

import numpy as np
import pytest

import descend
from descend.layers import Dense, Input


def _compiled() -> descend.Sequential:
    descend.random.seed(0)
    model = descend.Sequential([Input((3,)), Dense(4, activation="relu"), Dense(2)])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    return rng.normal(size=(20, 3)).astype("float32"), rng.normal(size=(20, 2)).astype("float32")


def _snapshot(model: descend.Model) -> tuple:
    return (model.optimizer, model.compiled_loss, model.compiled_metrics,
            dict(model._compile_config), model.optimizer.get_state())


def _assert_unchanged(model: descend.Model, before: tuple) -> None:
    optimizer, loss, metrics, config, state = before
    assert model.optimizer is optimizer
    assert model.compiled_loss is loss
    assert model.compiled_metrics is metrics
    assert model._compile_config == config
    after = model.optimizer.get_state()
    assert sorted(after) == sorted(state)
    for key in state:
        np.testing.assert_array_equal(after[key], state[key])


@pytest.mark.parametrize("kwargs, error, words", [
    ({"optimizer": "sgd", "loss": "msee"}, ValueError, "msee"),
    ({"optimizer": "sgd", "loss": "mse", "metrics": ["acuracy"]}, ValueError, "acuracy"),
    ({"optimizer": "sgd", "loss": "mse", "metrics": "accuracy"}, TypeError, "metrics=['accuracy']"),
    ({"optimizer": "sgd", "loss": "mse", "weighted_metrics": "mae"}, TypeError,
     "weighted_metrics"),
    ({"optimizer": "sgd", "loss": 123}, TypeError, "123"),
    ({"optimizer": "sgd", "loss": ["mse", 4.5]}, TypeError, "4.5"),
    ({"optimizer": "sgd", "loss": "mse", "loss_weights": "x"}, TypeError, "loss_weights"),
    ({"optimizer": "sgd", "loss": "mse", "loss_weights": [float("nan")]}, ValueError, "nan"),
    ({"optimizer": "sgd", "loss": "mse", "loss_weights": [True]}, TypeError, "True"),
    ({"optimizer": "sgd", "loss": "mse", "loss_weights": {"out": "2"}}, TypeError, "'2'"),
    ({"optimizer": "sgd", "loss": "mse", "metrics": [object()]}, TypeError, "metric"),
])
def test_failed_compile_changes_nothing(kwargs: dict, error: type, words: str) -> None:
    model = _compiled()
    x, y = _data()
    model.fit(x, y, epochs=1, verbose=0)  # Adam now has moments worth keeping
    before = _snapshot(model)
    with pytest.raises(error, match=None) as info:
        model.compile(**kwargs)
    assert words in str(info.value)
    _assert_unchanged(model, before)
    # and the next fit still trains with the old optimizer and loss
    model.fit(x, y, epochs=1, verbose=0)
    assert type(model.optimizer).__name__ == "Adam"


def test_valid_loss_weights_are_accepted() -> None:
    model = _compiled()
    model.compile(optimizer="sgd", loss="mse", loss_weights=0.5)
    model.compile(optimizer="sgd", loss="mse", loss_weights=[np.float32(2.0)])
    x, y = _data()
    model.fit(x, y, epochs=1, verbose=0)


@pytest.mark.parametrize("weight", [float("nan"), float("inf"), -1.0, "2", None])
def test_class_weight_must_be_finite_and_non_negative(weight: object) -> None:
    descend.random.seed(0)
    model = descend.Sequential([Input((3,)), Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x = np.random.default_rng(0).normal(size=(8, 3)).astype("float32")
    y = np.array([0, 1] * 4)
    before = model.get_weights()
    with pytest.raises(ValueError, match="class_weight"):
        model.fit(x, y, class_weight={0: weight, 1: 1.0}, verbose=0)
    for got, want in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(got, want)


def test_class_weight_negative_class_id_is_refused_and_large_ids_cost_nothing() -> None:
    descend.random.seed(0)
    model = descend.Sequential([Input((3,)), Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x = np.ones((4, 3), "float32")
    y = np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match="keys from 0"):
        model.fit(x, y, class_weight={-1: 2.0}, verbose=0)
    # a class absent from y (however large its id) allocates nothing and changes nothing
    model.fit(x, y, class_weight={0: 1.0, 10**12: 3.0}, verbose=0)


@pytest.mark.parametrize("steps", [-1, 0, 1.5, True, "2"])
def test_steps_must_be_positive_integers(steps: object) -> None:
    model = _compiled()
    x, y = _data()
    with pytest.raises(ValueError, match="steps_per_epoch"):
        model.fit(x, y, steps_per_epoch=steps, verbose=0)
    assert model.optimizer.iterations == 0
    with pytest.raises(ValueError, match="steps"):
        model.evaluate(x, y, steps=steps, verbose=0)
    with pytest.raises(ValueError, match="steps"):
        model.predict(x, steps=steps, verbose=0)


def test_steps_per_epoch_limits_the_batches() -> None:
    model = _compiled()
    x, y = _data()
    model.fit(x, y, batch_size=4, epochs=2, steps_per_epoch=3, verbose=0)
    assert model.optimizer.iterations == 6


@pytest.mark.parametrize("bad", [np.ones((3, 4), np.complex64), np.full((3, 4), "a")])
def test_set_weights_refuses_complex_and_text(bad: np.ndarray) -> None:
    model = _compiled()
    layer = model.layers[0]
    before = layer.get_weights()
    with pytest.raises(TypeError, match="real numbers"):
        layer.set_weights([bad, np.zeros(4, "float32")])
    with pytest.raises(TypeError, match="real numbers"):
        layer.set_weights([np.zeros((3, 4), "float32"), np.zeros(4, np.complex128)])
    weights = model.get_weights()
    with pytest.raises(TypeError, match="real numbers"):  # the model's set_weights too
        model.set_weights([*weights[:-1], weights[-1].astype(np.complex128)])
    for got, want in zip(layer.get_weights(), before, strict=True):
        np.testing.assert_array_equal(got, want)
