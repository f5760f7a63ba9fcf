"""Optimizers added for issue 16 (Lion, Lamb, Ftrl, Adafactor, Muon, LossScaleOptimizer).

The flat fast path is checked step by step against the per-variable float64
references of optimizer_reference.py, and a few steps against values Keras 3.15
gives on the same variables and gradients (hard-coded below).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import descend
from descend import layers, optimizers
from descend.autograd import Variable
from descend.optimizers import (
    SGD,
    Adafactor,
    Adam,
    Ftrl,
    Lamb,
    Lion,
    LossScaleOptimizer,
    MultiOptimizer,
    Muon,
    OptimizerMap,
    ScheduleFreeAdamW,
)
from optimizer_reference import (
    EXPONENTIAL,
    make_grads,
    make_variables,
    reference,
    train,
)

CASES = {
    "schedule-free": (ScheduleFreeAdamW, {"learning_rate": 0.05}),
    "schedule-free-warmup-decay": (
        ScheduleFreeAdamW, {"learning_rate": 0.05, "warmup_steps": 3, "beta_1": 0.8,
                            "weight_decay": 0.1}),
    "lion": (Lion, {"learning_rate": 0.01}),
    "lion-betas-decay": (Lion, {"learning_rate": 0.05, "beta_1": 0.5, "beta_2": 0.9,
                                "weight_decay": 0.1}),
    "lamb": (Lamb, {"learning_rate": 0.01}),
    "lamb-custom-clip": (Lamb, {"learning_rate": 0.05, "beta_1": 0.8, "epsilon": 1e-4,
                                "clipnorm": 1.0}),
    "ftrl": (Ftrl, {"learning_rate": 0.1}),
    "ftrl-regularized": (
        Ftrl, {"learning_rate": 0.1, "learning_rate_power": -0.7,
               "initial_accumulator_value": 0.5, "l1_regularization_strength": 0.3,
               "l2_regularization_strength": 0.2, "l2_shrinkage_regularization_strength": 0.1,
               "beta": 0.5}),
    "ftrl-schedule": (Ftrl, {"learning_rate": EXPONENTIAL}),
    "adafactor": (Adafactor, {"learning_rate": 0.1}),
    "adafactor-absolute": (
        Adafactor, {"learning_rate": 0.01, "beta_2_decay": -0.5, "epsilon_2": 0.01,
                    "clip_threshold": 0.5, "relative_step": False}),
    "adafactor-schedule": (Adafactor, {"learning_rate": EXPONENTIAL}),
    "muon": (Muon, {"learning_rate": 0.02}),
    "muon-plain": (
        Muon, {"learning_rate": 0.02, "nesterov": False, "rms_rate": None, "momentum": 0.9,
               "adam_lr_ratio": 0.5, "weight_decay": 0.1, "adam_weight_decay": 0.01,
               "ns_steps": 3}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_flat_path_matches_per_variable_reference(case):
    cls, kwargs = CASES[case]
    variables = make_variables()
    initial = [v.numpy() for v in variables]
    grads = make_grads(6, scale=2.0)
    got = train(cls(**kwargs), variables, grads)
    expected = reference(cls, kwargs, initial, grads)
    for g, e in zip(got, expected, strict=True):
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=3e-6)
    assert max(np.abs(g - i).max() for g, i in zip(got, initial, strict=True)) > 1e-4


@pytest.mark.parametrize("case", ["lamb", "ftrl-regularized", "adafactor", "muon"])
def test_float64_variables(case):
    cls, kwargs = CASES[case]
    variables = make_variables(dtype="float64")
    initial = [v.numpy() for v in variables]
    grads = make_grads(4, dtype="float64")
    got = train(cls(**kwargs), variables, grads)
    for g, e in zip(got, reference(cls, kwargs, initial, grads), strict=True):
        assert g.dtype == np.float64
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-12)


# Keras 3.15 (torch backend), 5 steps of apply() on the variables and gradients below:
# the first entry of each variable after the steps.
KERAS_FIRST = {
    "lion": [0.09573022, -2.33503079, -0.554259, -0.28630018, 0.32151011],
    "lamb": [0.08546454, -2.2849195, -0.53870875, -0.27420768, 0.32885569],
    "ftrl": [-0.12400702, -1.81072974, -0.06742246, 0.05662819, 0.1358138],
    "adafactor": [0.00926241, -2.40582252, -0.61376435, -0.05021129, 0.27409542],
    "muon": [0.10817324, -2.27750492, -0.56758481, -0.2567862, 0.34064999],
}
SHAPES = [(3, 4), (4,), (), (2, 1, 3), (5, 2)]


@pytest.mark.parametrize("name", sorted(KERAS_FIRST))
def test_matches_keras_values(name):
    rng = np.random.default_rng(0)
    variables = [Variable(rng.standard_normal(s).astype("float32"), name=f"v{i}")
                 for i, s in enumerate(SHAPES)]
    rng = np.random.default_rng(1)
    grads = [[(2.0 * rng.standard_normal(s)).astype("float32") for s in SHAPES]
             for _ in range(5)]
    optimizer = {"lion": Lion(learning_rate=0.01), "lamb": Lamb(learning_rate=0.01),
                 "ftrl": Ftrl(learning_rate=0.1), "adafactor": Adafactor(learning_rate=0.1),
                 "muon": Muon(learning_rate=0.02)}[name]
    for g in grads:
        optimizer.apply(g, variables)
    first = [float(np.asarray(v.numpy()).reshape(-1)[0]) for v in variables]
    np.testing.assert_allclose(first, KERAS_FIRST[name], rtol=1e-5, atol=1e-6)


def test_muon_uses_adamw_for_embeddings_and_excluded_layers():
    optimizer = Muon(exclude_layers=["head"])
    assert optimizer.should_use_adamw(Variable(np.zeros((3, 3)), name="embeddings"))
    assert optimizer.should_use_adamw(Variable(np.zeros((3, 3)), name="head_kernel"))
    assert optimizer.should_use_adamw(Variable(np.zeros(3), name="bias"))
    assert not optimizer.should_use_adamw(Variable(np.zeros((3, 3)), name="kernel"))


def test_loss_scale_optimizer_dynamics():
    w = Variable(np.array([1.0, 2.0]))
    optimizer = LossScaleOptimizer(SGD(learning_rate=0.1), initial_scale=4.0,
                                   dynamic_growth_steps=2)
    optimizer.apply([np.array([4.0, -8.0])], [w])  # unscaled gradient [1, -2]
    np.testing.assert_allclose(w.numpy(), [0.9, 2.2], rtol=1e-6)
    assert (optimizer.dynamic_scale, optimizer.step_counter) == (4.0, 1)
    optimizer.apply([np.array([4.0, 4.0])], [w])  # second finite step: the scale doubles
    assert (optimizer.dynamic_scale, optimizer.step_counter, optimizer.iterations) == (8.0, 0, 2)
    before = w.numpy().copy()
    optimizer.apply([np.array([np.nan, 1.0])], [w])  # skipped, the scale halves
    np.testing.assert_array_equal(w.numpy(), before)
    assert (optimizer.dynamic_scale, optimizer.iterations) == (4.0, 2)


def test_loss_scale_optimizer_in_fit_and_saved_state(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 3)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5], dtype="float32"))[:, None]

    def build():
        descend.utils.set_random_seed(1)
        model = descend.Sequential([layers.Input((3,)), layers.Dense(1)])
        model.compile(optimizer=LossScaleOptimizer(Adam(0.05), initial_scale=64.0,
                                                   dynamic_growth_steps=3), loss="mse")
        return model

    model = build()
    history = model.fit(x, y, epochs=5, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.optimizer.iterations == 20
    assert model.optimizer.dynamic_scale > 64.0  # grew every 3 finite steps
    path = tmp_path / "m.descend"
    model.save(path)
    loaded = descend.saving.load_model(path)
    assert isinstance(loaded.optimizer, LossScaleOptimizer)
    assert isinstance(loaded.optimizer.inner_optimizer, Adam)
    assert loaded.optimizer.dynamic_scale == model.optimizer.dynamic_scale
    assert loaded.optimizer.iterations == 20
    for a, b in zip(model.optimizer.variables, loaded.optimizer.variables, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", ["lion", "lamb", "adafactor", "ftrl", "muon",
                                  "schedulefreeadamw"])
def test_in_fit_and_state_round_trip(name, tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5, 0.0], dtype="float32"))[:, None]
    descend.utils.set_random_seed(0)
    model = descend.Sequential([layers.Input((4,)), layers.Dense(3, activation="tanh"),
                                layers.Dense(1)])
    model.compile(optimizer=name, loss="mse")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert type(model.optimizer).__name__.lower() == name
    path = tmp_path / "m.descend"
    model.save(path)
    loaded = descend.saving.load_model(path)
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    saved, restored = model.optimizer.get_state(), loaded.optimizer.get_state()
    assert saved.keys() == restored.keys()
    for key in saved:
        np.testing.assert_array_equal(saved[key], restored[key])
    # both continue identically
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    loaded.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    for a, b in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("optimizer", [
    Lion(beta_1=0.5), Lamb(epsilon=1e-5), Ftrl(l1_regularization_strength=0.1),
    Adafactor(relative_step=False), Muon(exclude_layers=["head"], rms_rate=None),
    LossScaleOptimizer(Lion(), initial_scale=16.0), ScheduleFreeAdamW(warmup_steps=10),
], ids=lambda o: type(o).__name__)
def test_config_round_trip(optimizer):
    config = json.loads(json.dumps(optimizers.serialize(optimizer)))
    again = optimizers.deserialize(config)
    assert type(again) is type(optimizer)
    assert again.get_config() == optimizer.get_config()


@pytest.mark.parametrize("name, cls", [("lion", Lion), ("Lamb", Lamb), ("adafactor", Adafactor),
                                       ("ftrl", Ftrl), ("muon", Muon)])
def test_strings_resolve(name, cls):
    assert type(optimizers.get(name)) is cls


def test_bad_arguments_name_the_optimizer_and_argument():
    with pytest.raises(ValueError, match="Lion.*beta_1"):
        Lion(beta_1=0.0)
    with pytest.raises(ValueError, match="Ftrl.*learning_rate_power"):
        Ftrl(learning_rate_power=0.5)
    with pytest.raises(ValueError, match="Ftrl.*initial_accumulator_value"):
        Ftrl(initial_accumulator_value=-1.0)
    with pytest.raises(ValueError, match="Adafactor.*clip_threshold"):
        Adafactor(clip_threshold=0.0)
    with pytest.raises((ValueError, TypeError), match="Muon.*ns_steps"):
        Muon(ns_steps=-1)
    with pytest.raises(TypeError, match="Muon.*exclude_layers"):
        Muon(exclude_layers="head")
    with pytest.raises(ValueError, match="LossScaleOptimizer does not support `clipnorm`"):
        LossScaleOptimizer(Adam(), clipnorm=1.0)
    with pytest.raises(TypeError, match="LossScaleOptimizer.*inner_optimizer"):
        LossScaleOptimizer("adam")


def test_ema_matches_keras_formula():
    """use_ema: average = m * average + (1 - m) * w after each step (m = 0 at the first)."""
    w = Variable(np.array([1.0, -1.0]))
    optimizer = SGD(learning_rate=0.1, use_ema=True, ema_momentum=0.9)
    values, average = [], None
    for g in ([1.0, 2.0], [0.5, -1.0], [2.0, 0.0]):
        optimizer.apply([np.array(g)], [w])
        values.append(w.numpy().astype(np.float64))
        average = values[-1] if average is None else 0.9 * average + 0.1 * values[-1]
    np.testing.assert_allclose(optimizer._layout.segments[0].slot("average"), average,
                               rtol=1e-6)


# ------------------------------------------------------------ MultiOptimizer
def test_multi_optimizer_matches_separate_optimizers():
    rng = np.random.default_rng(2)
    values = [rng.normal(size=(3, 2)), rng.normal(size=(2,))]
    variables = [Variable(v, name=n) for v, n in zip(values, ["kernel", "bias"], strict=True)]
    variables[0].path, variables[1].path = "dense/kernel", "dense/bias"
    alone = [Variable(v) for v in values]
    sgd, adam = SGD(0.1, momentum=0.9), Adam(0.05)
    multi = MultiOptimizer(OptimizerMap(SGD(0.1, momentum=0.9), {".*bias": Adam(0.05)}))
    for _ in range(4):
        grads = [rng.normal(size=(3, 2)), rng.normal(size=(2,))]
        multi.apply(grads, variables)
        sgd.apply([grads[0]], [alone[0]])
        adam.apply([grads[1]], [alone[1]])
    for a, b in zip(variables, alone, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert multi.iterations == 4 and [o.iterations for o in multi.optimizers] == [4, 4]
    with pytest.raises(AttributeError, match="MultiOptimizer"):
        _ = multi.learning_rate


def test_multi_optimizer_in_fit_saved_and_resumed(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5, 0.0], dtype="float32"))[:, None]
    descend.utils.set_random_seed(0)
    model = descend.Sequential([layers.Input((4,)), layers.Dense(3, activation="tanh"),
                                layers.Dense(1, name="head")])
    model.compile(optimizer=MultiOptimizer(OptimizerMap(Adam(0.01), {"head/.*": Lion(0.001)})),
                  loss="mse")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert model.optimizer.iterations == 8
    assert [type(o).__name__ for o in model.optimizer.optimizers] == ["Lion", "Adam"]
    path = tmp_path / "m.descend"
    model.save(path)
    loaded = descend.saving.load_model(path)
    assert isinstance(loaded.optimizer, MultiOptimizer)
    saved, restored = model.optimizer.get_state(), loaded.optimizer.get_state()
    assert saved.keys() == restored.keys()
    for key in saved:
        np.testing.assert_array_equal(saved[key], restored[key])
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    loaded.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    for a, b in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_optimizer_map_rules_and_errors():
    mapping = OptimizerMap(SGD(), {"a/.*": Adam(), ".*/b": Lion()})
    assert type(mapping["a/x"]).__name__ == "Adam" and type(mapping["z"]).__name__ == "SGD"
    with pytest.raises(ValueError, match="multiple optimizers"):
        mapping["a/b"]
    with pytest.raises(ValueError, match="already exists"):
        mapping["a/.*"] = SGD()
    with pytest.raises(ValueError, match="LossScaleOptimizer cannot be used inside"):
        mapping["c"] = LossScaleOptimizer(SGD())
    with pytest.raises(TypeError, match="OptimizerMap: default_optimizer"):
        OptimizerMap("sgd")
    config = json.loads(json.dumps(optimizers.serialize(MultiOptimizer(mapping))))
    again = optimizers.deserialize(config)
    assert isinstance(again, MultiOptimizer)
    assert again.get_config() == MultiOptimizer(mapping).get_config()
