"""One helper serves get/serialize/deserialize of every family named by strings (Keras 3)."""

from __future__ import annotations

import numpy as np
import pytest

import descend
from descend import (
    activations,
    constraints,
    initializers,
    losses,
    metrics,
    registry,
    regularizers,
    saving,
    utils,
)
from descend.registry import Family, IdentifierError

FAMILIES = {
    "activation function": activations, "initializer": initializers,
    "regularizer": regularizers, "constraint": constraints, "loss": losses, "metric": metrics,
}


@pytest.mark.parametrize("kind", list(FAMILIES))
def test_every_family_is_one_family_object(kind: str) -> None:
    module = FAMILIES[kind]
    assert isinstance(module._FAMILY, Family)
    assert module._FAMILY.identifier_kind == kind


@pytest.mark.parametrize("kind", list(FAMILIES))
def test_an_uninterpretable_identifier_is_keras_value_error_and_a_type_error(kind: str) -> None:
    module = FAMILIES[kind]
    for bad in (3, 2.5, [1]):
        with pytest.raises(ValueError, match=f"Could not interpret {kind} identifier: "):
            module.get(bad)
        with pytest.raises(TypeError):
            module.get(bad)
    with pytest.raises(IdentifierError, match="Pass"):  # the message says what to pass
        module.deserialize(7)


@pytest.mark.parametrize("kind", list(FAMILIES))
def test_unknown_names_suggest_the_closest(kind: str) -> None:
    module = FAMILIES[kind]
    name = {"activation function": "reluu", "initializer": "zeross", "regularizer": "l22",
            "constraint": "non_negg", "loss": "msee", "metric": "maee"}[kind]
    with pytest.raises(ValueError, match="Did you mean"):
        module.get(name)


def test_defaults_for_none() -> None:
    assert activations.get(None) is activations.linear
    for module in (initializers, regularizers, constraints, losses, metrics):
        assert module.get(None) is None
    for module in (initializers, regularizers, constraints, losses, metrics):
        assert module.serialize(None) is None


def test_a_class_is_instantiated_as_keras_does() -> None:
    class Halve:  # not an Initializer subclass: Keras instantiates any class
        def __call__(self, shape, dtype=None):
            return np.full(shape, 0.5, dtype or "float32")

    assert isinstance(initializers.get(Halve), Halve)
    assert isinstance(regularizers.get(regularizers.L2), regularizers.L2)
    assert isinstance(constraints.get(constraints.NonNeg), constraints.NonNeg)
    assert isinstance(losses.get(losses.Huber), losses.Huber)
    assert isinstance(metrics.get(metrics.Mean), metrics.Mean)


@pytest.mark.parametrize("obj", [
    initializers.GlorotUniform(seed=4), regularizers.L1L2(l1=0.1, l2=0.2),
    constraints.MaxNorm(2.0), losses.Huber(delta=2.0), metrics.BinaryAccuracy(threshold=0.3),
])
def test_serialize_and_deserialize_round_trip(obj) -> None:
    module = {initializers.Initializer: initializers, regularizers.Regularizer: regularizers,
              constraints.Constraint: constraints, losses.Loss: losses,
              metrics.Metric: metrics}
    family = next(m for base, m in module.items() if isinstance(obj, base))
    config = family.serialize(obj)
    assert config["class_name"] == type(obj).__name__
    assert config["module"].startswith("keras.") and config["registered_name"] is None
    again = family.deserialize(config)
    assert type(again) is type(obj) and again.get_config() == obj.get_config()
    assert type(family.get(config)) is type(obj)


def test_strings_functions_and_special_names() -> None:
    assert activations.serialize(activations.swish) == "silu"
    assert activations.deserialize({"class_name": "function", "config": "tanh"}) \
        is activations.tanh
    assert losses.deserialize("mse") is losses.mean_squared_error
    assert regularizers.get("l1_l2").get_config() == {"l1": 0.01, "l2": 0.01}
    assert type(initializers.get("HeNormal")).__name__ == "HeNormal"
    with pytest.raises(ValueError, match="cannot serialize the loss"):
        losses.serialize(lambda y, p: y)


def test_registered_objects_serialize_by_their_registered_name() -> None:
    saved = dict(registry.get_custom_objects())
    try:
        @registry.register_keras_serializable(package="FamilyTest")
        def bump(x):
            return x + 1.0

        @registry.register_keras_serializable(package="FamilyTest")
        class Scaled:
            def __init__(self, factor=2.0):
                self.factor = factor

            def __call__(self, x):
                return x * self.factor

            def get_config(self):
                return {"factor": self.factor}

        assert activations.serialize(bump)["registered_name"] == "FamilyTest>bump"
        assert activations.get("FamilyTest>bump") is bump
        config = activations.serialize(Scaled(3.0))
        assert config["registered_name"] == "FamilyTest>Scaled"
        assert activations.deserialize(config).factor == 3.0
    finally:
        registry.get_custom_objects().clear()
        registry.get_custom_objects().update(saved)


def test_the_registry_is_reexported_under_keras_names() -> None:
    for name in ("register_keras_serializable", "custom_object_scope", "get_custom_objects",
                 "get_registered_name", "get_registered_object", "CustomObjectScope"):
        assert getattr(saving, name) is getattr(registry, name)
        assert getattr(utils, name) is getattr(registry, name)
    assert saving.object_registration is registry.object_registration
    assert descend.saving.register_keras_serializable is registry.register_keras_serializable
