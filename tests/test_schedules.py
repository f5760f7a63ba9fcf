"""Learning-rate schedules: each against its Keras formula at several steps, argument
validation, config round trips, and evaluation per optimizer step."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from descend.autograd import Variable
from descend.optimizers import SGD, schedules
from descend.optimizers.schedules import (
    CosineDecay,
    CosineDecayRestarts,
    ExponentialDecay,
    InverseTimeDecay,
    LearningRateSchedule,
    PiecewiseConstantDecay,
    PolynomialDecay,
)

STEPS = [0, 1, 7, 10, 25, 99, 100, 101, 250, 1000]


def expo(step, lr0, d, r, staircase=False):
    p = step / d
    return lr0 * r ** (math.floor(p) if staircase else p)


def inverse(step, lr0, d, r, staircase=False):
    p = step / d
    return lr0 / (1 + r * (math.floor(p) if staircase else p))


def poly(step, lr0, d, end=0.0001, power=1.0, cycle=False):
    if cycle:
        d = d * (1 if step == 0 else math.ceil(step / d))
    else:
        step = min(step, d)
    return (lr0 - end) * (1 - step / d) ** power + end


def cosine(step, lr0, d, alpha=0.0, warmup_target=None, warmup_steps=0):
    def decay(s, start):
        return start * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * s / d)) + alpha)

    if warmup_target is None:
        return decay(min(step, d), lr0)
    step = min(step, d + warmup_steps)
    if step < warmup_steps:
        return (warmup_target - lr0) * step / warmup_steps + lr0
    return decay(step - warmup_steps, warmup_target)


def restarts(step, lr0, d0, t_mul=2.0, m_mul=1.0, alpha=0.0):
    f = step / d0
    if t_mul == 1.0:
        i = math.floor(f)
        f -= i
    else:
        i = math.floor(math.log(1 - f * (1 - t_mul)) / math.log(t_mul))
        f = (f - (1 - t_mul**i) / (1 - t_mul)) / t_mul**i
    return lr0 * ((1 - alpha) * 0.5 * m_mul**i * (1 + math.cos(math.pi * f)) + alpha)


CASES = [
    (ExponentialDecay(0.1, 100, 0.5), lambda s: expo(s, 0.1, 100, 0.5)),
    (ExponentialDecay(0.1, 100, 0.5, staircase=True), lambda s: expo(s, 0.1, 100, 0.5, True)),
    (InverseTimeDecay(0.2, 10, 0.5), lambda s: inverse(s, 0.2, 10, 0.5)),
    (InverseTimeDecay(0.2, 10, 0.5, staircase=True), lambda s: inverse(s, 0.2, 10, 0.5, True)),
    (PolynomialDecay(0.1, 100), lambda s: poly(s, 0.1, 100)),
    (PolynomialDecay(0.1, 100, 0.01, power=0.5), lambda s: poly(s, 0.1, 100, 0.01, 0.5)),
    (PolynomialDecay(0.1, 100, 0.01, power=2.0, cycle=True),
     lambda s: poly(s, 0.1, 100, 0.01, 2.0, True)),
    (CosineDecay(0.1, 100), lambda s: cosine(s, 0.1, 100)),
    (CosineDecay(0.1, 100, alpha=0.2), lambda s: cosine(s, 0.1, 100, 0.2)),
    (CosineDecay(0.0, 100, warmup_target=0.5, warmup_steps=50),
     lambda s: cosine(s, 0.0, 100, 0.0, 0.5, 50)),
    (CosineDecay(0.01, 100, alpha=0.1, warmup_target=0.5, warmup_steps=0),
     lambda s: cosine(s, 0.01, 100, 0.1, 0.5, 0)),
    (CosineDecayRestarts(0.1, 30), lambda s: restarts(s, 0.1, 30)),
    (CosineDecayRestarts(0.1, 30, t_mul=1.0, m_mul=0.5, alpha=0.1),
     lambda s: restarts(s, 0.1, 30, 1.0, 0.5, 0.1)),
    (CosineDecayRestarts(0.1, 20, t_mul=1.5, m_mul=0.8), lambda s: restarts(s, 0.1, 20, 1.5, 0.8)),
]
IDS = [f"{type(c[0]).__name__}{i}" for i, c in enumerate(CASES)]


@pytest.mark.parametrize("schedule,formula", CASES, ids=IDS)
def test_schedule_matches_formula(schedule, formula):
    for step in STEPS:
        value = schedule(step)
        assert isinstance(value, float)
        assert value == pytest.approx(formula(step), rel=1e-12, abs=1e-15), step


@pytest.mark.parametrize("schedule,formula", CASES, ids=IDS)
def test_schedule_accepts_arrays_of_steps(schedule, formula):
    values = schedule(np.array(STEPS))
    assert isinstance(values, np.ndarray) and values.shape == (len(STEPS),)
    np.testing.assert_allclose(values, [formula(s) for s in STEPS], rtol=1e-12, atol=1e-15)
    assert schedule(np.int64(7)) == pytest.approx(formula(7))


def test_known_values():
    assert ExponentialDecay(1.0, 10, 0.1)(20) == pytest.approx(0.01)
    assert PolynomialDecay(1.0, 10, end_learning_rate=0.0)(5) == pytest.approx(0.5)
    assert PolynomialDecay(1.0, 10, end_learning_rate=0.5)(50) == pytest.approx(0.5)
    assert CosineDecay(1.0, 10)(10) == pytest.approx(0.0)
    assert CosineDecay(1.0, 10, warmup_target=2.0, warmup_steps=10)(5) == pytest.approx(1.5)
    schedule = CosineDecayRestarts(1.0, 10, t_mul=2.0, m_mul=0.5)
    assert schedule(10) == pytest.approx(0.5)  # first restart
    assert schedule(30) == pytest.approx(0.25)  # second restart after a 20-step period


def test_piecewise_constant_boundaries_are_inclusive_on_the_left_interval():
    schedule = PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    assert [schedule(s) for s in (0, 10, 11, 20, 21, 1000)] == [1.0, 1.0, 0.5, 0.5, 0.1, 0.1]
    np.testing.assert_array_equal(schedule(np.array([9, 10, 11])), [1.0, 1.0, 0.5])


@pytest.mark.parametrize("make,match", [
    (lambda: ExponentialDecay(0.1, 0, 0.5), "decay_steps"),
    (lambda: InverseTimeDecay(0.1, -1, 0.5), "decay_steps"),
    (lambda: PolynomialDecay(0.1, 0), "decay_steps"),
    (lambda: CosineDecay(0.1, 0), "decay_steps"),
    (lambda: CosineDecay(0.1, 10, warmup_steps=-1), "warmup_steps"),
    (lambda: CosineDecayRestarts(0.1, 0), "first_decay_steps"),
    (lambda: PiecewiseConstantDecay([1, 2], [1.0, 0.5]), "1 less than the length"),
    (lambda: PiecewiseConstantDecay([2, 1], [1.0, 0.5, 0.1]), "strictly increasing"),
    (lambda: ExponentialDecay(float("nan"), 10, 0.5), "initial_learning_rate"),
])
def test_invalid_arguments_raise_value_error(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_wrong_types_raise_type_error():
    with pytest.raises(TypeError, match="decay_rate"):
        ExponentialDecay(0.1, 10, "fast")
    with pytest.raises(TypeError, match="staircase"):
        ExponentialDecay(0.1, 10, 0.5, staircase="yes")


@pytest.mark.parametrize("schedule,formula", CASES, ids=IDS)
def test_config_round_trip(schedule, formula):
    config = schedule.get_config()
    clone = type(schedule).from_config(config)
    assert clone.get_config() == config
    blob = json.loads(json.dumps(schedules.serialize(schedule)))
    assert blob["class_name"] == type(schedule).__name__
    again = schedules.deserialize(blob)
    assert [again(s) for s in STEPS] == [schedule(s) for s in STEPS]


def test_keras_config_keys_and_default_names():
    assert ExponentialDecay(0.1, 1, 0.5).get_config()["name"] == "ExponentialDecay"
    assert PiecewiseConstantDecay([1], [1.0, 0.5]).get_config()["name"] == "PiecewiseConstant"
    assert CosineDecayRestarts(0.1, 5).get_config() == {
        "initial_learning_rate": 0.1, "first_decay_steps": 5, "t_mul": 2.0, "m_mul": 1.0,
        "alpha": 0.0, "name": "SGDRDecay"}
    assert sorted(CosineDecay(0.1, 5).get_config()) == [
        "alpha", "decay_steps", "initial_learning_rate", "name", "warmup_steps",
        "warmup_target"]
    assert PolynomialDecay(0.1, 5).get_config()["end_learning_rate"] == 0.0001


def test_deserialize_unknown_and_custom_schedules():
    with pytest.raises(ValueError, match="Did you mean 'CosineDecay'"):
        schedules.deserialize({"class_name": "CosineDecy", "config": {}})

    class Halving(LearningRateSchedule):
        def __init__(self, rate):
            self.rate = rate

        def __call__(self, step):
            return self.rate / 2 ** step

        def get_config(self):
            return {"rate": self.rate}

    blob = schedules.serialize(Halving(1.0))
    assert schedules.deserialize(blob, {"Halving": Halving})(3) == 0.125


def test_base_class_must_be_subclassed():
    with pytest.raises(NotImplementedError, match="must override `__call__"):
        LearningRateSchedule()(0)
    with pytest.raises(NotImplementedError, match="get_config"):
        LearningRateSchedule().get_config()


def test_schedule_is_evaluated_at_every_optimizer_step():
    schedule = PiecewiseConstantDecay([1, 2], [1.0, 0.5, 0.25])
    optimizer = SGD(learning_rate=schedule)
    w = Variable(np.zeros(1))
    for _ in range(4):
        optimizer.apply([np.ones(1)], [w])
    # steps 0, 1, 2, 3 use 1.0, 1.0, 0.5, 0.25
    np.testing.assert_allclose(w.numpy(), [-2.75])
    assert optimizer.learning_rate == 0.25
