"""Optimizers: Keras update rules checked step by step against float64 formulas (see
optimizer_reference.py), dtypes, the learning-rate property, configuration, lookup and
argument errors. Buffers, state and subnormals are in test_optimizer_state.py."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from descend import optimizers
from descend.autograd import Variable
from descend.optimizers import (
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    Adamax,
    AdamW,
    Nadam,
    RMSprop,
    schedules,
)
from optimizer_reference import (
    EXPONENTIAL,
    make_grads,
    make_variables,
    reference,
    train,
)

CASES = {
    "sgd": (SGD, {}),
    "sgd-lr": (SGD, {"learning_rate": 0.1}),
    "sgd-momentum": (SGD, {"learning_rate": 0.1, "momentum": 0.9}),
    "sgd-nesterov": (SGD, {"learning_rate": 0.1, "momentum": 0.8, "nesterov": True}),
    "adam": (Adam, {}),
    "adam-custom": (Adam, {"learning_rate": 0.05, "beta_1": 0.8, "beta_2": 0.99,
                           "epsilon": 1e-3}),
    "adam-amsgrad": (Adam, {"learning_rate": 0.05, "amsgrad": True}),
    "adamw": (AdamW, {"learning_rate": 0.05}),
    "adamw-strong": (AdamW, {"learning_rate": 0.05, "weight_decay": 0.5}),
    "rmsprop": (RMSprop, {}),
    "rmsprop-momentum": (RMSprop, {"learning_rate": 0.01, "momentum": 0.9}),
    "rmsprop-centered": (RMSprop, {"learning_rate": 0.01, "centered": True, "rho": 0.8}),
    "rmsprop-centered-momentum": (RMSprop, {"learning_rate": 0.01, "centered": True,
                                            "momentum": 0.5}),
    "adagrad": (Adagrad, {"learning_rate": 0.1}),
    "adagrad-init": (Adagrad, {"learning_rate": 0.1, "initial_accumulator_value": 1.0}),
    "adadelta": (Adadelta, {"learning_rate": 1.0}),
    "adadelta-rho": (Adadelta, {"learning_rate": 0.5, "rho": 0.5, "epsilon": 1e-4}),
    "adamax": (Adamax, {"learning_rate": 0.05}),
    "nadam": (Nadam, {"learning_rate": 0.05}),
    "sgd-clipnorm": (SGD, {"learning_rate": 0.1, "clipnorm": 1.0}),
    "adam-clipnorm": (Adam, {"learning_rate": 0.05, "clipnorm": 0.5}),
    "sgd-global-clipnorm": (SGD, {"learning_rate": 0.1, "global_clipnorm": 2.0}),
    "rmsprop-global-clipnorm": (RMSprop, {"learning_rate": 0.01, "global_clipnorm": 1.0}),
    "sgd-clipvalue": (SGD, {"learning_rate": 0.1, "momentum": 0.5, "clipvalue": 0.5}),
    "adam-clipvalue": (Adam, {"learning_rate": 0.05, "clipvalue": 0.3}),
    "sgd-weight-decay": (SGD, {"learning_rate": 0.1, "weight_decay": 0.1}),
    "adagrad-weight-decay": (Adagrad, {"learning_rate": 0.1, "weight_decay": 0.05}),
    "sgd-schedule": (SGD, {"learning_rate": EXPONENTIAL, "momentum": 0.9}),
    "adam-schedule-wd": (Adam, {"learning_rate": EXPONENTIAL, "weight_decay": 0.1}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_update_rule_matches_float64_formula(case):
    cls, kwargs = CASES[case]
    variables = make_variables()
    initial = [v.numpy() for v in variables]
    grads = make_grads(6, scale=2.0)
    got = train(cls(**kwargs), variables, grads)
    expected = reference(cls, kwargs, initial, grads)
    for g, e in zip(got, expected, strict=True):
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, e, rtol=2e-6, atol=2e-6)
    # the update really moved the weights (the comparison is not vacuous)
    assert max(np.abs(g - i).max() for g, i in zip(got, initial, strict=True)) > 1e-4


@pytest.mark.parametrize("case", ["sgd-momentum", "adam-amsgrad", "rmsprop-centered", "nadam",
                                  "adadelta", "adamax", "adam-clipnorm"])
def test_float64_variables_stay_float64_and_match_closely(case):
    cls, kwargs = CASES[case]
    variables = make_variables(dtype="float64")
    initial = [v.numpy() for v in variables]
    grads = make_grads(5, dtype="float64")
    got = train(cls(**kwargs), variables, grads)
    expected = reference(cls, kwargs, initial, grads)
    for g, e in zip(got, expected, strict=True):
        assert g.dtype == np.float64
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-13)


def test_state_stays_float32_and_scalars_do_not_upcast():
    variables = make_variables()
    optimizer = Nadam(learning_rate=np.float64(0.01), weight_decay=np.float64(0.01),
                      clipnorm=np.float64(1.0))
    train(optimizer, variables, make_grads(3))
    group = optimizer._layout.groups[0]
    assert group.values.dtype == group.grads.dtype == np.float32
    assert all(a.dtype == np.float32 for a in group.slots.values())
    assert all(v.data.dtype == np.float32 for v in variables)


def test_mixed_dtypes_get_one_group_each():
    a = Variable(np.ones(3), dtype="float32")
    b = Variable(np.ones(2), dtype="float64")
    optimizer = Adam(learning_rate=0.1)
    optimizer.apply([np.ones(3), np.ones(2)], [a, b])
    assert sorted(g.dtype.name for g in optimizer._layout.groups) == ["float32", "float64"]
    np.testing.assert_allclose(a.numpy(), 0.9, rtol=1e-6)
    np.testing.assert_allclose(b.numpy(), 0.9 + 0.1 * 1e-7 / (math.sqrt(0.001) + 1e-7),
                               rtol=1e-12)
    assert a.dtype == np.float32 and b.dtype == np.float64


# --------------------------------------------------------------- learning rate
def test_learning_rate_property_float_and_schedule():
    optimizer = SGD(learning_rate=0.1)
    assert optimizer.learning_rate == 0.1
    optimizer.learning_rate = 0.05
    assert optimizer.learning_rate == 0.05
    w = Variable(np.zeros(1))
    optimizer.apply([np.ones(1)], [w])
    np.testing.assert_allclose(w.numpy(), [-0.05])
    optimizer.learning_rate = EXPONENTIAL  # installing a schedule is allowed
    assert optimizer.learning_rate == pytest.approx(EXPONENTIAL(1))
    with pytest.raises(TypeError, match="not settable"):
        optimizer.learning_rate = 0.3
    with pytest.raises(ValueError, match="learning_rate"):
        SGD().learning_rate = -1.0
    scheduled = SGD(learning_rate=EXPONENTIAL)
    seen = []
    for _ in range(4):
        seen.append(scheduled.learning_rate)
        scheduled.apply([np.ones(1)], [w])
    assert seen == pytest.approx([EXPONENTIAL(s) for s in range(4)])
    called = SGD(learning_rate=lambda: 0.25)
    assert called.learning_rate == 0.25


# ---------------------------------------------------------------- configuration
def test_keras_defaults():
    assert (SGD().learning_rate, SGD().momentum, SGD().nesterov) == (0.01, 0.0, False)
    adam = Adam()
    assert (adam.learning_rate, adam.beta_1, adam.beta_2, adam.epsilon, adam.amsgrad) == (
        0.001, 0.9, 0.999, 1e-7, False)
    assert AdamW().weight_decay == 0.004 and Adam().weight_decay is None
    rms = RMSprop()
    assert (rms.learning_rate, rms.rho, rms.momentum, rms.epsilon, rms.centered) == (
        0.001, 0.9, 0.0, 1e-7, False)
    assert (Adagrad().initial_accumulator_value, Adagrad().epsilon) == (0.1, 1e-7)
    assert (Adadelta().rho, Adadelta().epsilon, Adadelta().learning_rate) == (0.95, 1e-7, 0.001)
    assert [o.name for o in (SGD(), Adam(), AdamW(), RMSprop(), Adagrad(), Adadelta(),
                             Adamax(), Nadam())] == [
        "SGD", "adam", "adamw", "rmsprop", "adagrad", "adadelta", "adamax", "nadam"]


@pytest.mark.parametrize("name", ["sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta",
                                  "adamax", "nadam"])
def test_string_lookup(name):
    optimizer = optimizers.get(name)
    assert type(optimizer).__name__.lower() == name
    assert type(optimizers.get(name.upper())) is type(optimizer)


def test_get_accepts_instances_dicts_and_none_and_suggests_names():
    adam = Adam()
    assert optimizers.get(adam) is adam
    assert optimizers.get(None) is None
    assert isinstance(optimizers.get({"class_name": "RMSprop", "config": {"rho": 0.5}}), RMSprop)
    with pytest.raises(ValueError, match="Did you mean 'adam"):
        optimizers.get("adma")
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier"):
        optimizers.get(3)


CONFIG_CASES = [
    (SGD, {"momentum": 0.9, "nesterov": True, "clipvalue": 0.5}),
    (Adam, {"amsgrad": True, "global_clipnorm": 1.0}),
    (AdamW, {"learning_rate": EXPONENTIAL}),
    (RMSprop, {"centered": True, "momentum": 0.5, "clipnorm": 2.0}),
    (Adagrad, {"learning_rate": 0.1, "weight_decay": 0.01}),
    (Adadelta, {"learning_rate": 1.0}),
    (Adamax, {"loss_scale_factor": 4.0}),
    (Nadam, {"use_ema": True, "gradient_accumulation_steps": 2, "ema_overwrite_frequency": 3}),
]


@pytest.mark.parametrize("cls,kwargs", CONFIG_CASES, ids=[c[0].__name__ for c in CONFIG_CASES])
def test_config_round_trip(cls, kwargs):
    optimizer = cls(**kwargs)
    config = optimizer.get_config()
    json.dumps(config)
    clone = cls.from_config(config)
    assert clone.get_config() == config
    again = optimizers.deserialize(optimizers.serialize(optimizer))
    assert type(again) is cls and again.get_config() == config


def test_schedule_is_serialised_inside_the_config():
    config = Adam(learning_rate=EXPONENTIAL).get_config()
    assert config["learning_rate"]["class_name"] == "ExponentialDecay"
    restored = Adam.from_config(config)
    assert isinstance(restored._learning_rate, schedules.ExponentialDecay)


# -------------------------------------------------------------- argument errors
@pytest.mark.parametrize("kwargs,error,match", [
    ({"foo": 1}, ValueError, "Argument\\(s\\) not recognized"),
    ({"lr": 0.1}, ValueError, "learning_rate"),
    ({"learning_rate": -0.1}, ValueError, "learning_rate"),
    ({"learning_rate": 0.0}, ValueError, "learning_rate"),
    ({"learning_rate": float("nan")}, ValueError, "learning_rate"),
    ({"learning_rate": "fast"}, TypeError, "learning_rate"),
    ({"clipnorm": 1.0, "clipvalue": 1.0}, ValueError, "Only one of `clipnorm`"),
    ({"clipnorm": 1.0, "global_clipnorm": 1.0}, ValueError, "Only one of `clipnorm`"),
    ({"clipnorm": -1.0}, ValueError, "clipnorm"),
    ({"weight_decay": -0.1}, ValueError, "weight_decay"),
    ({"gradient_accumulation_steps": 1}, ValueError, "gradient_accumulation_steps"),
    ({"use_ema": True, "ema_momentum": 1.5}, ValueError, "ema_momentum"),
    ({"use_ema": True, "ema_overwrite_frequency": 0}, ValueError, "ema_overwrite_frequency"),
    ({"beta_1": 1.0}, ValueError, "beta_1"),
    ({"epsilon": -1e-7}, ValueError, "epsilon"),
    ({"amsgrad": "yes"}, TypeError, "amsgrad"),
])
def test_adam_argument_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        Adam(**kwargs)


def test_other_argument_errors():
    with pytest.raises(ValueError, match="momentum"):
        SGD(momentum=1.5)
    with pytest.raises(ValueError, match="rho"):
        RMSprop(rho=-0.1)
    with pytest.raises(ValueError, match="weight_decay"):
        AdamW(weight_decay=None)
    with pytest.raises(ValueError, match="initial_accumulator_value"):
        Adagrad(initial_accumulator_value=-1)
    with pytest.raises(TypeError, match="Variables"):
        Adam().build([np.zeros(3)])
    integer = Variable(np.zeros(3))
    integer.data = np.zeros(3, dtype=np.int32)
    with pytest.raises(TypeError, match="floating-point"):
        Adam().build([integer])


def test_legacy_decay_warns_and_is_ignored():
    with pytest.warns(UserWarning, match="`decay` is no longer supported"):
        optimizer = SGD(decay=0.01)
    assert "decay" not in optimizer.get_config()
