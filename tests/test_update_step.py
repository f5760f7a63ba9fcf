"""Every optimizer's flat fast path (``_update_flat``, a few NumPy calls over all weights)
against its readable per-variable rule (``update_step``, run when ``flat_update`` is False),
with every option that changes the arithmetic, for several steps, in float64 and float32.

The rule itself is checked against Keras 3 in test_optimizers_keras.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from descend.optimizers import (
    SGD,
    Adadelta,
    Adafactor,
    Adagrad,
    Adam,
    Adamax,
    AdamW,
    Ftrl,
    Lamb,
    Lion,
    Muon,
    Nadam,
    RMSprop,
    ScheduleFreeAdamW,
)
from optimizer_reference import EXPONENTIAL, make_grads, make_variables, train

COMMON = {  # the pipeline around the rule
    "plain": {},
    "weight-decay": {"weight_decay": 0.05},
    "clipnorm": {"clipnorm": 0.5},
    "global-clipnorm": {"global_clipnorm": 1.0},
    "clipvalue": {"clipvalue": 0.3},
    "ema": {"use_ema": True, "ema_momentum": 0.8, "ema_overwrite_frequency": 3},
    "accumulation": {"gradient_accumulation_steps": 2},
    "loss-scale": {"loss_scale_factor": 4.0},
    "schedule": {"learning_rate": EXPONENTIAL},
}
RULES = {  # the options of each rule
    "sgd": (SGD, {"learning_rate": 0.1}),
    "sgd-momentum": (SGD, {"learning_rate": 0.1, "momentum": 0.9}),
    "sgd-nesterov": (SGD, {"learning_rate": 0.1, "momentum": 0.8, "nesterov": True}),
    "adam": (Adam, {"learning_rate": 0.05}),
    "adam-custom": (Adam, {"learning_rate": 0.05, "beta_1": 0.8, "beta_2": 0.99,
                           "epsilon": 1e-3}),
    "adam-amsgrad": (Adam, {"learning_rate": 0.05, "amsgrad": True}),
    "adamw": (AdamW, {"learning_rate": 0.05, "weight_decay": 0.1}),
    "adamax": (Adamax, {"learning_rate": 0.05}),
    "nadam": (Nadam, {"learning_rate": 0.05}),
    "rmsprop": (RMSprop, {"learning_rate": 0.01}),
    "rmsprop-momentum": (RMSprop, {"learning_rate": 0.01, "momentum": 0.9}),
    "rmsprop-centered": (RMSprop, {"learning_rate": 0.01, "centered": True, "momentum": 0.5}),
    "adagrad": (Adagrad, {"learning_rate": 0.1, "initial_accumulator_value": 0.5}),
    "adadelta": (Adadelta, {"learning_rate": 1.0, "rho": 0.8}),
    "ftrl": (Ftrl, {"learning_rate": 0.1}),
    "ftrl-regularized": (Ftrl, {
        "learning_rate": 0.1, "learning_rate_power": -0.7, "initial_accumulator_value": 0.5,
        "l1_regularization_strength": 0.3, "l2_regularization_strength": 0.2,
        "l2_shrinkage_regularization_strength": 0.1, "beta": 0.5}),
    "lion": (Lion, {"learning_rate": 0.01, "beta_1": 0.5}),
    "lamb": (Lamb, {"learning_rate": 0.01}),
    "schedule-free": (ScheduleFreeAdamW, {"learning_rate": 0.05, "warmup_steps": 2}),
}
# optimizers whose rule is per variable (no separate flat path): both paths are one code
PER_VARIABLE = {
    "adafactor": (Adafactor, {"learning_rate": 0.1}),
    "muon": (Muon, {"learning_rate": 0.02}),
}

CASES = [(rule, common) for rule in RULES for common in COMMON]
# a few combinations on top
CASES += [("adam-amsgrad", "clipnorm"), ("nadam", "accumulation"), ("adamw", "ema")]
TOLERANCE = {"float64": {"rtol": 1e-12, "atol": 1e-14}, "float32": {"rtol": 2e-5, "atol": 2e-6}}


def _run(cls, kwargs, dtype, flat, steps=6):
    variables = make_variables(dtype=dtype)
    optimizer = cls(**kwargs)
    optimizer.flat_update = flat
    weights = train(optimizer, variables, make_grads(steps, scale=2.0, dtype=dtype))
    return weights, optimizer.get_state()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("rule,common", CASES, ids=[f"{r}-{c}" for r, c in CASES])
def test_flat_path_equals_update_step(rule, common, dtype):
    cls, kwargs = RULES[rule]
    kwargs = {**kwargs, **COMMON[common]}
    fast, fast_state = _run(cls, kwargs, dtype, flat=True)
    slow, slow_state = _run(cls, kwargs, dtype, flat=False)
    initial = [v.numpy() for v in make_variables(dtype=dtype)]
    assert max(np.abs(s - i).max() for s, i in zip(slow, initial, strict=True)) > 1e-4
    for i, (a, b) in enumerate(zip(fast, slow, strict=True)):
        assert a.dtype == b.dtype == np.dtype(dtype)
        np.testing.assert_allclose(a, b, **TOLERANCE[dtype], err_msg=f"weight {i}")
    assert fast_state.keys() == slow_state.keys()
    for key in fast_state:
        np.testing.assert_allclose(fast_state[key], slow_state[key], **TOLERANCE[dtype],
                                   err_msg=key)


@pytest.mark.parametrize("rule", sorted(RULES))
def test_the_comparison_detects_a_different_rule(rule):
    cls, kwargs = RULES[rule]
    fast, _ = _run(cls, kwargs, "float64", flat=True)
    other, _ = _run(cls, {**kwargs, "learning_rate": kwargs["learning_rate"] * 1.01},
                    "float64", flat=False)
    assert not all(np.allclose(a, b, **TOLERANCE["float32"])
                   for a, b in zip(fast, other, strict=True))


@pytest.mark.parametrize("name", sorted(PER_VARIABLE))
def test_per_variable_rules_have_one_path(name):
    cls, kwargs = PER_VARIABLE[name]
    assert cls._update_flat is Adam.__mro__[-2]._update_flat  # the base: update_step per variable
    fast, _ = _run(cls, kwargs, "float32", flat=True)
    slow, _ = _run(cls, kwargs, "float32", flat=False)
    for a, b in zip(fast, slow, strict=True):
        np.testing.assert_array_equal(a, b)


def test_update_step_is_keras_shaped_and_updates_one_variable():
    variables = make_variables(dtype="float64")
    optimizer = Adam(learning_rate=0.1)
    optimizer.build(variables)
    before = [v.numpy() for v in variables]
    gradient = np.ones(variables[0].shape)
    optimizer.update_step(gradient, variables[0], 0.1)
    # the first Adam step moves every entry by about the learning rate
    np.testing.assert_allclose(variables[0].numpy(), before[0] - 0.1, atol=1e-6)
    for v, b in zip(variables[1:], before[1:], strict=True):
        np.testing.assert_array_equal(v.numpy(), b)
    np.testing.assert_allclose(optimizer._slot(variables[0], "momentum"), 0.1)
