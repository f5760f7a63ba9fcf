"""Custom objects by name: ``custom_objects=``, ``custom_object_scope`` and registration.

A custom activation, initializer, regularizer, layer, loss, metric or optimizer
must save and reload through any of the three ways Keras offers, lookups must
search explicit objects, scopes, the registry and the built-ins in that order,
and unknown names must still fail with suggestions, never by importing anything.
"""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

import descend
from descend import activations, initializers, layers, losses, metrics, optimizers, regularizers
from descend.autograd import ops
from descend.layers import Dense, Input
from descend.models import load_model, model_from_json
from descend.saving import (
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)


# ------------------------------------------------------------------ the pieces
def soft_step(x):
    return ops.tanh(x) * 0.5 + 0.5


def soft_step_v2(x):
    return ops.tanh(x) * 0.25


class HalfOnes(initializers.Initializer):
    def __init__(self, value: float = 0.5):
        self.value = value

    def __call__(self, shape, dtype=None):
        return np.full(shape, self.value, dtype=dtype or "float32")

    def get_config(self):
        return {"value": self.value}


def small_init(shape, dtype=None):
    return np.full(shape, 0.01, dtype=dtype or "float32")


class SumPenalty(regularizers.Regularizer):
    def __init__(self, factor: float = 0.1):
        self.factor = factor

    def __call__(self, x):
        return ops.sum(ops.abs(x)) * self.factor

    def get_config(self):
        return {"factor": self.factor}


def square_penalty(x):
    return ops.sum(ops.square(x)) * 0.01


class Shift(layers.Layer):
    def __init__(self, amount: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.amount = amount

    def call(self, inputs, training=False):
        return inputs + self.amount

    def get_config(self):
        return {**super().get_config(), "amount": self.amount}


def abs_error(y_true, y_pred):
    return ops.mean(ops.abs(y_pred - y_true), axis=-1)


def max_error(y_true, y_pred):
    return np.max(np.abs(np.asarray(y_pred) - np.asarray(y_true)), axis=-1)


class SlowSGD(optimizers.SGD):
    """An SGD whose learning rate defaults to 0.001."""

    def __init__(self, learning_rate=0.001, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)


@pytest.fixture(autouse=True)
def _clean_registry():
    """Every test starts and ends with the global dict as it was."""
    saved = dict(get_custom_objects())
    yield
    get_custom_objects().clear()
    get_custom_objects().update(saved)


def data(n: int = 16):
    rng = np.random.default_rng(0)
    return (rng.standard_normal((n, 3)).astype("float32"),
            rng.standard_normal((n, 2)).astype("float32"))


def assert_same_predictions(a, b) -> None:
    x, _ = data()
    np.testing.assert_array_equal(a.predict(x, verbose=0), b.predict(x, verbose=0))


# ------------------------------------------------------------------ the API
def test_registration_names_and_lookup_only_by_registered_name() -> None:
    assert register_keras_serializable(package="Tests")(soft_step) is soft_step
    assert get_registered_name(soft_step) == "Tests>soft_step"
    assert get_custom_objects()["Tests>soft_step"] is soft_step
    assert get_registered_object("Tests>soft_step") is soft_step
    assert get_registered_object("soft_step") is None
    assert activations.get("Tests>soft_step") is soft_step
    with pytest.raises(ValueError, match="Unknown activation: 'soft_step'"):
        activations.get("soft_step")
    register_keras_serializable("Tests", name="Step2")(soft_step_v2)
    assert get_registered_name(soft_step_v2) == "Tests>Step2"
    assert get_registered_object("soft_step_v2") is None
    assert get_registered_name(small_init) == "small_init"  # never registered


def test_register_validates_its_arguments() -> None:
    class NoConfig:
        pass

    with pytest.raises(ValueError, match="get_config"):
        register_keras_serializable()(NoConfig)
    with pytest.raises(TypeError, match="package"):
        register_keras_serializable(package="")
    with pytest.raises(ValueError, match="'>'"):
        register_keras_serializable(package="a>b")
    with pytest.raises(TypeError, match="class or a function"):
        register_keras_serializable()(3)
    with pytest.raises(TypeError, match="lambda"):
        register_keras_serializable()(lambda x: x)
    register_keras_serializable("Tests", name="step")(soft_step)
    register_keras_serializable("Tests", name="step")(soft_step)  # same object: fine
    with pytest.raises(ValueError, match="already registered"):
        register_keras_serializable("Tests", name="step")(soft_step_v2)


def test_plain_entries_in_the_global_dict_are_found_by_their_name() -> None:
    get_custom_objects()["soft_step"] = soft_step
    assert activations.get("soft_step") is soft_step
    assert get_registered_name(soft_step) == "soft_step"


def test_scopes_nest_restore_and_are_per_thread() -> None:
    with custom_object_scope({"step": soft_step}) as scope:
        assert scope.custom_objects == {"step": soft_step}
        assert activations.get("step") is soft_step
        with custom_object_scope({"step": soft_step_v2}, {"init": small_init}):
            assert activations.get("step") is soft_step_v2
            assert initializers.get("init") is small_init
            seen = {}
            worker = threading.Thread(
                target=lambda: seen.update(found=get_registered_object("step")))
            worker.start()
            worker.join()
            assert seen == {"found": None}  # another thread has its own (empty) stack
        assert activations.get("step") is soft_step
        with pytest.raises(RuntimeError), custom_object_scope({"step": soft_step_v2}):
            raise RuntimeError("leave the scope by an exception")
        assert activations.get("step") is soft_step
    assert get_registered_object("step") is None
    with pytest.raises(TypeError, match="custom_object_scope"):
        custom_object_scope(["step"])


def test_lookup_order_explicit_then_scopes_then_registry_then_builtins() -> None:
    get_custom_objects()["relu"] = soft_step_v2
    assert activations.get("relu") is soft_step_v2  # the registry before the built-ins
    with custom_object_scope({"relu": soft_step}):
        assert activations.get("relu") is soft_step  # a scope before the registry
        assert activations.deserialize("relu", custom_objects={"relu": small_init}) is \
            small_init  # the explicit argument first
    del get_custom_objects()["relu"]
    assert activations.get("relu") is activations.relu


def test_utils_exports_are_the_same_objects() -> None:
    from descend import utils

    assert utils.custom_object_scope is custom_object_scope
    assert utils.get_custom_objects is get_custom_objects
    assert utils.register_keras_serializable is register_keras_serializable
    assert utils.get_registered_object is get_registered_object


# ------------------------------------------------------------------ every family
@pytest.mark.parametrize("module, kind", [
    (activations, "activation"), (initializers, "initializer"), (regularizers, "regularizer"),
    (losses, "loss"), (metrics, "metric"), (optimizers, "optimizer"),
])
def test_every_get_finds_scoped_and_registered_objects(module, kind) -> None:
    obj = {"optimizer": SlowSGD, "initializer": HalfOnes, "regularizer": SumPenalty}.get(
        kind, soft_step)
    with custom_object_scope({"mine": obj}):
        found = module.get("mine")
    assert found is obj or isinstance(found, obj)
    with pytest.raises(ValueError, match=rf"Unknown {kind}: 'mine'\..*custom_objects="
                                         r".*register_keras_serializable"):
        module.get("mine")
    register_keras_serializable("Fam")(obj)
    found = module.get(f"Fam>{obj.__name__}")
    assert found is obj or isinstance(found, obj)


def test_serialization_records_the_registered_name() -> None:
    register_keras_serializable("Tests")(soft_step)
    register_keras_serializable("Tests")(HalfOnes)
    register_keras_serializable("Tests")(SumPenalty)
    register_keras_serializable("Tests")(abs_error)
    assert activations.serialize(soft_step) == {
        "module": __name__, "class_name": "function", "config": "soft_step",
        "registered_name": "Tests>soft_step"}
    assert activations.serialize(soft_step_v2) == "soft_step_v2"  # unregistered: its name
    assert activations.serialize(activations.relu) == "relu"
    assert initializers.serialize(HalfOnes(0.3))["registered_name"] == "Tests>HalfOnes"
    assert initializers.serialize(initializers.Zeros())["registered_name"] is None
    assert regularizers.serialize(SumPenalty())["registered_name"] == "Tests>SumPenalty"
    assert losses.serialize(abs_error)["registered_name"] == "Tests>abs_error"
    assert losses.get(losses.serialize(abs_error)) is abs_error
    assert initializers.get(initializers.serialize(HalfOnes(0.3))).value == 0.3
    assert regularizers.get(regularizers.serialize(SumPenalty(0.2))).factor == 0.2
    optimizer = register_keras_serializable("Tests")(SlowSGD)(momentum=0.5)
    config = optimizers.serialize(optimizer)
    assert config["registered_name"] == "Tests>SlowSGD"
    assert optimizers.deserialize(config).momentum == 0.5


# ------------------------------------------------------------------ save and load
def custom_activation_model() -> descend.Sequential:
    model = descend.Sequential([
        Input((3,)),
        Dense(4, activation=soft_step, kernel_initializer=HalfOnes(0.2),
              bias_initializer=small_init, kernel_regularizer=SumPenalty(0.05),
              bias_regularizer=square_penalty, name="hidden"),
        Dense(2, name="out"),
    ])
    model.compile(optimizer="adam", loss="mse")
    return model


def test_custom_activation_initializer_regularizer_with_custom_objects(tmp_path) -> None:
    model = custom_activation_model()
    np.testing.assert_array_equal(model.layers[0].kernel.numpy(),
                                  np.full((3, 4), 0.2, dtype="float32"))
    path = tmp_path / "m.descend"
    model.save(path)
    with pytest.raises(ValueError, match=r"soft_step.*custom_objects=\{'soft_step': soft_step\}"):
        load_model(path)
    objects = {"soft_step": soft_step, "HalfOnes": HalfOnes, "small_init": small_init,
               "SumPenalty": SumPenalty, "square_penalty": square_penalty}
    loaded = load_model(path, custom_objects=objects)
    hidden = loaded.layers[0]
    assert hidden.activation is soft_step and hidden.bias_initializer is small_init
    assert hidden.kernel_initializer.value == 0.2 and hidden.kernel_regularizer.factor == 0.05
    assert hidden.bias_regularizer is square_penalty
    assert_same_predictions(model, loaded)
    x, y = data()
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)  # penalties too
    with custom_object_scope(objects):  # the same through a scope
        assert_same_predictions(model, load_model(path))
        clone = model_from_json(model.to_json())
        clone.set_weights(model.get_weights())  # a JSON config carries no weights
        assert_same_predictions(model, clone)


def test_registered_custom_pieces_need_no_custom_objects(tmp_path) -> None:
    for obj in (soft_step, HalfOnes, small_init, SumPenalty, square_penalty, Shift):
        register_keras_serializable("Tests")(obj)
    model = descend.Sequential([Input((3,)), Shift(0.5, name="shift"),
                                *custom_activation_model().layers])
    model.compile(optimizer="adam", loss="mse")
    config = json.loads(model.to_json())
    by_name = {entry["config"]["name"]: entry for entry in config["config"]["layers"]}
    shift, hidden = by_name["shift"], by_name["hidden"]
    assert shift["registered_name"] == "Tests>Shift"
    assert hidden["config"]["activation"]["registered_name"] == "Tests>soft_step"
    assert hidden["config"]["kernel_initializer"]["registered_name"] == "Tests>HalfOnes"
    assert hidden["config"]["bias_regularizer"]["registered_name"] == "Tests>square_penalty"
    path = tmp_path / "m.descend"
    model.save(path)
    loaded = load_model(path)
    assert isinstance(loaded.layers[0], Shift) and loaded.layers[0].amount == 0.5
    assert loaded.layers[1].activation is soft_step
    assert_same_predictions(model, loaded)


def test_a_registered_object_missing_at_load_time_is_named(tmp_path) -> None:
    register_keras_serializable("Tests")(Shift)
    model = descend.Sequential([Input((3,)), Shift(name="shift"), Dense(2)])
    path = tmp_path / "m.descend"
    model.save(path)
    del get_custom_objects()["Tests>Shift"]  # as in a fresh process that did not import it
    with pytest.raises(ValueError, match=r"Shift.*registered name 'Tests>Shift'"):
        load_model(path)
    assert isinstance(load_model(path, custom_objects={"Shift": Shift}).layers[0], Shift)


def test_custom_loss_metric_and_optimizer_via_scope(tmp_path) -> None:
    x, y = data()
    model = descend.Sequential([Input((3,)), Dense(2)])
    model.compile(optimizer=SlowSGD(momentum=0.9), loss=abs_error, metrics=[max_error])
    model.fit(x, y, epochs=2, verbose=0)
    path = tmp_path / "m.descend"
    model.save(path)
    with pytest.raises(ValueError, match="SlowSGD"):
        load_model(path)
    with custom_object_scope({"abs_error": abs_error, "max_error": max_error,
                              "SlowSGD": SlowSGD}):
        loaded = load_model(path)
    assert isinstance(loaded.optimizer, SlowSGD) and loaded.optimizer.momentum == 0.9
    # the custom functions were resolved while loading: training goes on outside the scope
    expected = model.fit(x, y, epochs=1, shuffle=False, verbose=0).history
    history = loaded.fit(x, y, epochs=1, shuffle=False, verbose=0).history
    assert history == expected and "max_error" in history
    for a, b in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_registered_loss_and_metric_functions_reload_without_custom_objects(tmp_path) -> None:
    register_keras_serializable("Tests")(abs_error)
    register_keras_serializable("Tests")(max_error)
    x, y = data()
    model = descend.Sequential([Input((3,)), Dense(2)])
    model.compile(optimizer="sgd", loss=abs_error, metrics=[max_error])
    path = tmp_path / "m.descend"
    model.save(path)
    loaded = load_model(path)
    assert loaded.evaluate(x, y, verbose=0, return_dict=True) == \
        model.evaluate(x, y, verbose=0, return_dict=True)


def test_deserialize_layer_scope_reaches_nested_strings() -> None:
    from descend.layers.serialization import deserialize_layer

    config = {"class_name": "Dense", "config": {"units": 2, "activation": "soft_step",
                                                "kernel_initializer": "HalfOnes"}}
    with pytest.raises(ValueError, match="Unknown activation: 'soft_step'"):
        deserialize_layer(config)
    layer = deserialize_layer(config, {"soft_step": soft_step, "HalfOnes": HalfOnes})
    assert layer.activation is soft_step and isinstance(layer.kernel_initializer, HalfOnes)
    assert get_registered_object("soft_step") is None  # the scope was left


# ------------------------------------------------------------------ errors and safety
def test_unknown_names_keep_their_suggestions() -> None:
    with pytest.raises(ValueError, match=r"Did you mean 'sigmoid'.*custom_objects="
                                         r"\{'sigmiod': sigmiod\}.*register_keras_serializable"):
        activations.get("sigmiod")
    with custom_object_scope({"soft_step": soft_step}):
        with pytest.raises(ValueError, match="Did you mean 'soft_step'"):
            activations.get("soft_stepp")
    with pytest.raises(ValueError, match="Did you mean 'he_normal'"):
        initializers.get("he_normall")
    with pytest.raises(ValueError, match="Did you mean 'mean_squared_error'"):
        losses.get("mean_sqared_error")
    with pytest.raises(ValueError, match="Unknown layer class: 'Dence'. Did you mean 'Dense'"):
        from descend.layers.serialization import deserialize_layer

        deserialize_layer({"class_name": "Dence", "config": {}})


def test_configs_never_import_by_module_path(tmp_path) -> None:
    import sys

    attack = {"module": "os", "class_name": "function", "config": "system",
              "registered_name": "os>system"}
    with pytest.raises(ValueError, match="Unknown activation: 'system'"):
        activations.deserialize(attack)
    sys.modules.pop("antigravity", None)
    layer = {"module": "antigravity", "class_name": "Fly", "registered_name": "antigravity>Fly",
             "config": {}}
    with pytest.raises(ValueError, match="Fly"):
        from descend.layers.serialization import deserialize_layer

        deserialize_layer(layer)
    assert "antigravity" not in sys.modules
    # a registered object is found by its registered name whatever module a file claims
    register_keras_serializable("Tests")(soft_step)
    assert activations.deserialize({**attack, "config": "soft_step",
                                    "registered_name": "Tests>soft_step"}) is soft_step
