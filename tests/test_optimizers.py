"""Optimizers: Keras update rules checked step by step against float64 formulas, the flat
buffer layout, state round trips, subnormal flushing, argument checking and lookup."""

from __future__ import annotations

import json
import math
import tracemalloc
import warnings

import numpy as np
import pytest

from descend import optimizers
from descend.autograd import Tensor, Variable
from descend.optimizers import (
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    Adamax,
    AdamW,
    Nadam,
    RMSprop,
    _update_pipeline,
    schedules,
)

SHAPES = [(3, 4), (4,), (), (2, 1, 3)]


def make_variables(dtype="float32", seed=0, shapes=SHAPES):
    rng = np.random.default_rng(seed)
    return [Variable(rng.standard_normal(s), dtype=dtype, name=f"v{i}")
            for i, s in enumerate(shapes)]


def make_grads(steps, seed=1, scale=1.0, shapes=SHAPES, dtype="float32"):
    rng = np.random.default_rng(seed)
    return [[(scale * rng.standard_normal(s)).astype(dtype) for s in shapes] for _ in range(steps)]


def backward(variables, grads):
    """Run the engine so that each variable's gradient is exactly ``grads[i]``."""
    loss = None
    for v, g in zip(variables, grads, strict=True):
        term = (v * Tensor(g)).sum()
        loss = term if loss is None else loss + term
    loss.backward()


def train(optimizer, variables, grads_seq):
    optimizer.build(variables)
    for grads in grads_seq:
        backward(variables, grads)
        optimizer.step()
    return [v.numpy() for v in variables]


# ------------------------------------------------------------ float64 references
def ref_sgd(w, g, s, t, lr, glob, momentum=0.0, nesterov=False):
    if momentum == 0:
        return w - lr * g
    s["m"] = momentum * s.get("m", 0.0) - lr * g
    return w + momentum * s["m"] - lr * g if nesterov else w + s["m"]


def ref_adam(w, g, s, t, lr, glob, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False):
    alpha = lr * math.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    s["m"] = s.get("m", 0.0) + (g - s.get("m", 0.0)) * (1 - beta_1)
    s["v"] = s.get("v", 0.0) + (g * g - s.get("v", 0.0)) * (1 - beta_2)
    v = s["v"]
    if amsgrad:
        s["vh"] = np.maximum(s.get("vh", 0.0), v)
        v = s["vh"]
    return w - alpha * s["m"] / (np.sqrt(v) + epsilon)


def ref_rmsprop(w, g, s, t, lr, glob, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
    s["v"] = rho * s.get("v", 0.0) + (1 - rho) * g * g
    if centered:
        s["a"] = rho * s.get("a", 0.0) + (1 - rho) * g
        denominator = s["v"] - s["a"] ** 2 + epsilon
    else:
        denominator = s["v"] + epsilon
    increment = lr * g / np.sqrt(denominator)
    if momentum > 0:
        s["b"] = momentum * s.get("b", 0.0) + increment
        return w - s["b"]
    return w - increment


def ref_adagrad(w, g, s, t, lr, glob, initial_accumulator_value=0.1, epsilon=1e-7):
    s["a"] = s.get("a", initial_accumulator_value) + g * g
    return w - lr * g / np.sqrt(s["a"] + epsilon)


def ref_adadelta(w, g, s, t, lr, glob, rho=0.95, epsilon=1e-7):
    s["G"] = rho * s.get("G", 0.0) + (1 - rho) * g * g
    delta = -np.sqrt(s.get("D", 0.0) + epsilon) * g / np.sqrt(s["G"] + epsilon)
    s["D"] = rho * s.get("D", 0.0) + (1 - rho) * delta * delta
    return w + lr * delta


def ref_adamax(w, g, s, t, lr, glob, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    s["m"] = s.get("m", 0.0) + (g - s.get("m", 0.0)) * (1 - beta_1)
    s["u"] = np.maximum(beta_2 * s.get("u", 0.0), np.abs(g))
    return w - lr * s["m"] / ((1 - beta_1**t) * (s["u"] + epsilon))


def ref_nadam(w, g, s, t, lr, glob, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    mu_t = beta_1 * (1 - 0.5 * 0.96**t)
    mu_next = beta_1 * (1 - 0.5 * 0.96 ** (t + 1))
    product = glob["P"]  # already multiplied by mu_t for this step
    s["m"] = s.get("m", 0.0) + (g - s.get("m", 0.0)) * (1 - beta_1)
    s["v"] = s.get("v", 0.0) + (g * g - s.get("v", 0.0)) * (1 - beta_2)
    m_hat = mu_next * s["m"] / (1 - product * mu_next) + (1 - mu_t) * g / (1 - product)
    v_hat = s["v"] / (1 - beta_2**t)
    return w - lr * m_hat / (np.sqrt(v_hat) + epsilon)


def nadam_prestep(glob, t, beta_1=0.9, **_):
    glob["P"] = glob.get("P", 1.0) * beta_1 * (1 - 0.5 * 0.96**t)


def reference(update, params, grads_seq, lr=0.01, clipnorm=None, clipvalue=None,
              global_clipnorm=None, weight_decay=None, prestep=None, **hyper):
    """Keras's pipeline (clip, decoupled weight decay, update) in float64."""
    params = [np.array(p, dtype=np.float64) for p in params]
    states = [{} for _ in params]
    glob: dict = {}
    for it, grads in enumerate(grads_seq):
        t = it + 1
        rate = lr(it) if callable(lr) else lr
        grads = [np.asarray(g, dtype=np.float64) for g in grads]
        if clipnorm:
            grads = [g * clipnorm / max(np.sqrt((g * g).sum()), clipnorm) for g in grads]
        elif global_clipnorm:
            norm = math.sqrt(sum((g * g).sum() for g in grads))
            grads = [g * global_clipnorm / max(norm, global_clipnorm) for g in grads]
        elif clipvalue:
            grads = [np.clip(g, -clipvalue, clipvalue) for g in grads]
        if weight_decay:
            params = [p - p * weight_decay * rate for p in params]
        if prestep:
            prestep(glob, t, **hyper)
        params = [update(p, g, s, t, rate, glob, **hyper)
                  for p, g, s in zip(params, grads, states, strict=True)]
    return params


EXPONENTIAL = schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)

CASES = {
    "sgd": (SGD, {}, ref_sgd, {}),
    "sgd-lr": (SGD, {"learning_rate": 0.1}, ref_sgd, {"lr": 0.1}),
    "sgd-momentum": (SGD, {"learning_rate": 0.1, "momentum": 0.9}, ref_sgd,
                     {"lr": 0.1, "momentum": 0.9}),
    "sgd-nesterov": (SGD, {"learning_rate": 0.1, "momentum": 0.8, "nesterov": True}, ref_sgd,
                     {"lr": 0.1, "momentum": 0.8, "nesterov": True}),
    "adam": (Adam, {}, ref_adam, {"lr": 0.001}),
    "adam-custom": (Adam, {"learning_rate": 0.05, "beta_1": 0.8, "beta_2": 0.99,
                           "epsilon": 1e-3}, ref_adam,
                    {"lr": 0.05, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-3}),
    "adam-amsgrad": (Adam, {"learning_rate": 0.05, "amsgrad": True}, ref_adam,
                     {"lr": 0.05, "amsgrad": True}),
    "adamw": (AdamW, {"learning_rate": 0.05}, ref_adam, {"lr": 0.05, "weight_decay": 0.004}),
    "adamw-strong": (AdamW, {"learning_rate": 0.05, "weight_decay": 0.5}, ref_adam,
                     {"lr": 0.05, "weight_decay": 0.5}),
    "rmsprop": (RMSprop, {}, ref_rmsprop, {"lr": 0.001}),
    "rmsprop-momentum": (RMSprop, {"learning_rate": 0.01, "momentum": 0.9}, ref_rmsprop,
                         {"lr": 0.01, "momentum": 0.9}),
    "rmsprop-centered": (RMSprop, {"learning_rate": 0.01, "centered": True, "rho": 0.8},
                         ref_rmsprop, {"lr": 0.01, "centered": True, "rho": 0.8}),
    "rmsprop-centered-momentum": (RMSprop, {"learning_rate": 0.01, "centered": True,
                                            "momentum": 0.5}, ref_rmsprop,
                                  {"lr": 0.01, "centered": True, "momentum": 0.5}),
    "adagrad": (Adagrad, {"learning_rate": 0.1}, ref_adagrad, {"lr": 0.1}),
    "adagrad-init": (Adagrad, {"learning_rate": 0.1, "initial_accumulator_value": 1.0},
                     ref_adagrad, {"lr": 0.1, "initial_accumulator_value": 1.0}),
    "adadelta": (Adadelta, {"learning_rate": 1.0}, ref_adadelta, {"lr": 1.0}),
    "adadelta-rho": (Adadelta, {"learning_rate": 0.5, "rho": 0.5, "epsilon": 1e-4},
                     ref_adadelta, {"lr": 0.5, "rho": 0.5, "epsilon": 1e-4}),
    "adamax": (Adamax, {"learning_rate": 0.05}, ref_adamax, {"lr": 0.05}),
    "nadam": (Nadam, {"learning_rate": 0.05}, ref_nadam, {"lr": 0.05, "prestep": nadam_prestep}),
    "sgd-clipnorm": (SGD, {"learning_rate": 0.1, "clipnorm": 1.0}, ref_sgd,
                     {"lr": 0.1, "clipnorm": 1.0}),
    "adam-clipnorm": (Adam, {"learning_rate": 0.05, "clipnorm": 0.5}, ref_adam,
                      {"lr": 0.05, "clipnorm": 0.5}),
    "sgd-global-clipnorm": (SGD, {"learning_rate": 0.1, "global_clipnorm": 2.0}, ref_sgd,
                            {"lr": 0.1, "global_clipnorm": 2.0}),
    "rmsprop-global-clipnorm": (RMSprop, {"learning_rate": 0.01, "global_clipnorm": 1.0},
                                ref_rmsprop, {"lr": 0.01, "global_clipnorm": 1.0}),
    "sgd-clipvalue": (SGD, {"learning_rate": 0.1, "momentum": 0.5, "clipvalue": 0.5}, ref_sgd,
                      {"lr": 0.1, "momentum": 0.5, "clipvalue": 0.5}),
    "adam-clipvalue": (Adam, {"learning_rate": 0.05, "clipvalue": 0.3}, ref_adam,
                       {"lr": 0.05, "clipvalue": 0.3}),
    "sgd-weight-decay": (SGD, {"learning_rate": 0.1, "weight_decay": 0.1}, ref_sgd,
                         {"lr": 0.1, "weight_decay": 0.1}),
    "adagrad-weight-decay": (Adagrad, {"learning_rate": 0.1, "weight_decay": 0.05},
                             ref_adagrad, {"lr": 0.1, "weight_decay": 0.05}),
    "sgd-schedule": (SGD, {"learning_rate": EXPONENTIAL, "momentum": 0.9}, ref_sgd,
                     {"lr": EXPONENTIAL, "momentum": 0.9}),
    "adam-schedule-wd": (Adam, {"learning_rate": EXPONENTIAL, "weight_decay": 0.1}, ref_adam,
                         {"lr": EXPONENTIAL, "weight_decay": 0.1}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_update_rule_matches_float64_formula(case):
    cls, kwargs, update, hyper = CASES[case]
    variables = make_variables()
    initial = [v.numpy() for v in variables]
    grads = make_grads(6, scale=2.0)
    got = train(cls(**kwargs), variables, grads)
    hyper = dict(hyper)
    expected = reference(update, initial, grads, **hyper)
    for g, e in zip(got, expected, strict=True):
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, e, rtol=2e-6, atol=2e-6)
    # the update really moved the weights (the comparison is not vacuous)
    assert max(np.abs(g - i).max() for g, i in zip(got, initial, strict=True)) > 1e-4


@pytest.mark.parametrize("case", ["sgd-momentum", "adam-amsgrad", "rmsprop-centered", "nadam",
                                  "adadelta", "adamax", "adam-clipnorm"])
def test_float64_variables_stay_float64_and_match_closely(case):
    cls, kwargs, update, hyper = CASES[case]
    variables = make_variables(dtype="float64")
    initial = [v.numpy() for v in variables]
    grads = make_grads(5, dtype="float64")
    got = train(cls(**kwargs), variables, grads)
    expected = reference(update, initial, grads, **dict(hyper))
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


# ------------------------------------------------------------------ flat buffer
def test_variables_become_views_of_one_buffer_and_assign_writes_through():
    variables = make_variables()
    before = [v.numpy() for v in variables]
    optimizer = SGD(learning_rate=0.5)
    optimizer.build(variables)
    group = optimizer._layout.groups[0]
    assert group.values.size == sum(v.size for v in variables)
    for v, b in zip(variables, before, strict=True):
        assert np.shares_memory(v.data, group.values)
        np.testing.assert_array_equal(v.numpy(), b)  # values preserved by relocation
    variables[0].assign(np.full((3, 4), 2.0))
    assert group.values[:12].tolist() == [2.0] * 12
    grads = [np.ones(s, dtype="float32") for s in SHAPES]
    backward(variables, grads)
    assert variables[0].grad is not None and np.shares_memory(variables[0].grad, group.grads)
    optimizer.step()
    np.testing.assert_allclose(variables[0].numpy(), 1.5)
    assert all(v.grad is None for v in variables)


def test_build_is_idempotent_for_the_same_list():
    variables = make_variables()
    optimizer = Adam()
    optimizer.build(variables)
    layout = optimizer._layout
    optimizer.build(list(variables))
    assert optimizer._layout is layout


def test_step_accepts_plain_grad_arrays_and_rebound_data():
    variables = make_variables()
    optimizer = SGD(learning_rate=1.0)
    optimizer.build(variables)
    variables[1].data = np.zeros(4, dtype="float32")  # rebinding instead of assign()
    for v in variables:
        v.grad = np.ones(v.shape, dtype="float32")
    optimizer.step()
    np.testing.assert_array_equal(variables[1].numpy(), -np.ones(4))
    assert np.shares_memory(variables[1].data, optimizer._layout.groups[0].values)


def test_variable_without_gradient_is_left_alone_with_a_warning():
    variables = make_variables()
    optimizer = Adam(learning_rate=0.1, weight_decay=0.1)
    train(optimizer, variables, make_grads(2))
    frozen_value = variables[1].numpy()
    frozen_state = [optimizer._layout.segments[1].slot(n).copy() for n in ("momentum", "velocity")]
    others = [v for i, v in enumerate(variables) if i != 1]
    before = [v.numpy() for v in others]
    backward(others, [np.ones(v.shape, dtype="float32") for v in others])
    with pytest.warns(UserWarning, match="Gradients do not exist for variables"):
        optimizer.step()
    np.testing.assert_array_equal(variables[1].numpy(), frozen_value)
    for name, old in zip(("momentum", "velocity"), frozen_state, strict=True):
        np.testing.assert_array_equal(optimizer._layout.segments[1].slot(name), old)
    assert all(not np.array_equal(v.numpy(), b) for v, b in zip(others, before, strict=True))
    assert optimizer.iterations == 3


def test_no_gradient_at_all_raises():
    optimizer = SGD()
    optimizer.build(make_variables())
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        optimizer.step()


def test_step_before_build_raises():
    with pytest.raises(ValueError, match=r"optimizer.build"):
        Adam().step()


def test_rebuild_keeps_state_of_shared_variables_and_releases_dropped_ones():
    a, b, c = make_variables(shapes=[(3,), (2, 2), (5,)])
    grads = make_grads(4, shapes=[(3,)])
    optimizer = Adam(learning_rate=0.1)
    optimizer.build([a, b])
    for g in grads[:2]:
        optimizer.apply([g[0], np.ones((2, 2))], [a, b])
    old_buffer = optimizer._layout.groups[0].values
    b_value = b.numpy()
    optimizer.build([a, c])
    assert not np.shares_memory(b.data, optimizer._layout.groups[0].values)
    assert not np.shares_memory(b.data, old_buffer)
    b_before = b.numpy()
    np.testing.assert_array_equal(b_before, b_value)
    c_start = c.numpy()
    for g in grads[2:]:
        optimizer.apply([g[0], np.ones(5)], [a, c])
    np.testing.assert_array_equal(b.numpy(), b_before)
    # a continued as if nothing happened; c started from fresh state at step 3
    reference_a = Adam(learning_rate=0.1)
    a2 = Variable(make_variables(shapes=[(3,)])[0])
    for g in grads:
        reference_a.apply([g[0]], [a2])
    np.testing.assert_array_equal(a.numpy(), a2.numpy())
    t3, t4 = 3, 4
    m3, v3 = 0.1, 0.001
    m4, v4 = m3 + (1 - m3) * 0.1, v3 + (1 - v3) * 0.001
    expected_c = c_start - 0.1 * math.sqrt(1 - 0.999**t3) / (1 - 0.9**t3) * m3 / (
        math.sqrt(v3) + 1e-7)
    expected_c = expected_c - 0.1 * math.sqrt(1 - 0.999**t4) / (1 - 0.9**t4) * m4 / (
        math.sqrt(v4) + 1e-7)
    np.testing.assert_allclose(c.numpy(), expected_c, rtol=1e-6)


def test_apply_gradients_and_apply_api():
    variables = make_variables()
    optimizer = SGD(learning_rate=0.1)
    grads = [np.ones(v.shape) for v in variables]
    assert optimizer.apply_gradients(zip(grads, variables, strict=True)) == 1
    optimizer.apply([Tensor(np.ones(v.shape)) for v in variables])  # built order, Tensor grads
    np.testing.assert_allclose(variables[2].numpy(), make_variables()[2].numpy() - 0.2,
                               rtol=1e-6)
    with pytest.raises(ValueError, match="received 1 gradients"):
        optimizer.apply([np.ones((3, 4))])
    with pytest.raises(ValueError, match="Unknown variable"):
        optimizer.apply([np.ones(2)], [Variable(np.zeros(2))])
    with pytest.raises(ValueError, match="has shape"):
        optimizer.apply([np.ones(5)], [variables[1]])
    with pytest.raises(ValueError, match="must be built"):
        SGD().apply([np.ones(2)])
    with pytest.raises(ValueError, match="No gradients provided"):
        optimizer.apply([None], [variables[0]])
    assert optimizer.apply_gradients([]) == 2


def test_apply_with_a_subset_skips_the_others_silently():
    variables = make_variables()
    optimizer = SGD(learning_rate=0.1)
    optimizer.build(variables)
    before = [v.numpy() for v in variables]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        optimizer.apply([np.ones(4)], [variables[1]])
    np.testing.assert_allclose(variables[1].numpy(), before[1] - 0.1, rtol=1e-6)
    for i in (0, 2, 3):
        np.testing.assert_array_equal(variables[i].numpy(), before[i])


def test_exclude_from_weight_decay():
    w = Variable(np.ones(3), name="kernel")
    b = Variable(np.ones(2), name="bias")
    optimizer = SGD(learning_rate=0.1, weight_decay=0.5)
    optimizer.exclude_from_weight_decay(var_names=["bias"])
    optimizer.apply([np.zeros(3), np.zeros(2)], [w, b])
    np.testing.assert_allclose(w.numpy(), 0.95)
    np.testing.assert_array_equal(b.numpy(), 1.0)
    optimizer.exclude_from_weight_decay(var_list=[w])
    optimizer.apply([np.zeros(3), np.zeros(2)], [w, b])
    np.testing.assert_allclose(w.numpy(), 0.95)
    np.testing.assert_allclose(b.numpy(), 0.95)


def test_loss_scale_factor_divides_gradients():
    w = Variable(np.ones(2))
    optimizer = SGD(learning_rate=0.1, loss_scale_factor=8.0)
    assert optimizer.scale_loss(2.0) == 16.0
    optimizer.apply([np.full(2, 8.0)], [w])
    np.testing.assert_allclose(w.numpy(), 0.9)


def test_gradient_accumulation_updates_every_k_steps_with_the_mean():
    variables = make_variables()
    initial = [v.numpy() for v in variables]
    grads = make_grads(6)
    optimizer = Adam(learning_rate=0.05, gradient_accumulation_steps=3)
    optimizer.build(variables)
    for i, g in enumerate(grads):
        backward(variables, g)
        optimizer.step()
        if i % 3 != 2:
            assert optimizer.iterations == i // 3
    assert optimizer.iterations == 2
    means = [[sum(grads[k][j].astype(np.float64) for k in range(s, s + 3)) / 3
              for j in range(len(SHAPES))] for s in (0, 3)]
    expected = reference(ref_adam, initial, means, lr=0.05)
    for v, e in zip(variables, expected, strict=True):
        np.testing.assert_allclose(v.numpy(), e, rtol=2e-6, atol=2e-6)


def test_ema_tracks_weights_and_finalize_copies_the_average():
    variables = make_variables()
    initial = [v.numpy().astype(np.float64) for v in variables]
    grads = make_grads(5)
    optimizer = SGD(learning_rate=0.1, use_ema=True, ema_momentum=0.9)
    train(optimizer, variables, grads)
    weights, averages = [w.copy() for w in initial], [None] * len(initial)
    for step, g in enumerate(grads):
        weights = [w - 0.1 * x for w, x in zip(weights, g, strict=True)]
        m = 0.9 if step else 0.0
        averages = [w if a is None else m * a + (1 - m) * w
                    for a, w in zip(averages, weights, strict=True)]
    for v, w in zip(variables, weights, strict=True):
        np.testing.assert_allclose(v.numpy(), w, rtol=1e-5, atol=1e-6)
    optimizer.finalize_variable_values()
    for v, a in zip(variables, averages, strict=True):
        np.testing.assert_allclose(v.numpy(), a, rtol=1e-5, atol=1e-6)


def test_ema_overwrite_frequency():
    w = Variable(np.zeros(1))
    optimizer = SGD(learning_rate=1.0, use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=2)
    optimizer.apply([np.array([-1.0])], [w])  # w = 1, average = 1 (first step)
    optimizer.apply([np.array([-1.0])], [w])  # w = 2, average = 1.5, overwritten
    np.testing.assert_allclose(w.numpy(), [1.5])


def test_one_step_does_not_allocate_model_sized_arrays():
    variables = [Variable(np.ones((300, 300))), Variable(np.ones(300))]
    for cls, kwargs in [(Adam, {"amsgrad": True}), (Nadam, {}), (Adadelta, {}),
                        (RMSprop, {"centered": True, "momentum": 0.9}),
                        (SGD, {"momentum": 0.9, "nesterov": True, "global_clipnorm": 1.0})]:
        optimizer = cls(**kwargs)
        optimizer.build(variables)
        for _ in range(2):  # warm up the scratch buffers
            for v in variables:
                v.grad = np.ones(v.shape, dtype="float32")
            optimizer.step()
        for v in variables:
            v.grad = np.ones(v.shape, dtype="float32")
        tracemalloc.start()
        optimizer.step()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert peak < 90_000 * 4 // 10, (cls.__name__, peak)


# ------------------------------------------------------------------ subnormals
def _subnormal_count(array):
    tiny = np.finfo(array.dtype).tiny
    return int(np.count_nonzero((array != 0) & (np.abs(array) < tiny)))


SUBNORMAL_CASES = [
    (Adam, {"learning_rate": 0.01, "beta_2": 0.99}, ref_adam, {"lr": 0.01, "beta_2": 0.99}),
    (Adam, {"learning_rate": 0.01, "beta_2": 0.99, "amsgrad": True}, ref_adam,
     {"lr": 0.01, "beta_2": 0.99, "amsgrad": True}),
    (RMSprop, {"learning_rate": 0.01, "momentum": 0.9, "centered": True}, ref_rmsprop,
     {"lr": 0.01, "momentum": 0.9, "centered": True}),
    (SGD, {"learning_rate": 0.01, "momentum": 0.9}, ref_sgd, {"lr": 0.01, "momentum": 0.9}),
    (Adamax, {"learning_rate": 0.01, "beta_2": 0.99}, ref_adamax,
     {"lr": 0.01, "beta_2": 0.99}),
    (Nadam, {"learning_rate": 0.01, "beta_2": 0.99}, ref_nadam,
     {"lr": 0.01, "beta_2": 0.99, "prestep": nadam_prestep}),
    (Adadelta, {"learning_rate": 1.0, "rho": 0.9}, ref_adadelta, {"lr": 1.0, "rho": 0.9}),
]


@pytest.mark.parametrize("cls,kwargs,update,hyper", SUBNORMAL_CASES,
                         ids=[f"{c[0].__name__}{i}" for i, c in enumerate(SUBNORMAL_CASES)])
def test_state_never_goes_subnormal_and_results_are_unchanged(cls, kwargs, update, hyper,
                                                              monkeypatch):
    """Small gradients, then a long run of zero gradients (a dead unit), then gradients again."""
    shapes = [(4, 5), (5,)]
    grads = (make_grads(5, scale=1e-12, shapes=shapes)
             + [[np.zeros(s, dtype="float32") for s in shapes]] * 3000
             + make_grads(5, seed=3, shapes=shapes))

    def run(flush):
        monkeypatch.setattr(_update_pipeline, "FLUSH_INTERVAL", 16 if flush else 10**9)
        variables = make_variables(shapes=shapes)
        optimizer = cls(**kwargs)
        optimizer.build(variables)
        worst: dict[str, int] = {}
        for i, g in enumerate(grads):
            for v, x in zip(variables, g, strict=True):
                v.grad = x
            optimizer.step()
            if i % 50 == 49:
                for name, array in optimizer._layout.groups[0].slots.items():
                    worst[name] = max(worst.get(name, 0), _subnormal_count(array))
        return [v.numpy() for v in variables], worst

    flushed, worst_flushed = run(True)
    plain, worst_plain = run(False)
    assert max(worst_plain.values()) > 0, "the scenario should produce subnormals"
    assert max(worst_flushed.values()) == 0
    for f, p in zip(flushed, plain, strict=True):
        np.testing.assert_array_equal(f, p)
    expected = reference(update, [v.numpy() for v in make_variables(shapes=shapes)], grads,
                         **dict(hyper))
    for f, e in zip(flushed, expected, strict=True):
        np.testing.assert_allclose(f, e, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------ state and resume
RESUME_CASES = [
    (SGD, {"momentum": 0.9, "nesterov": True}),
    (Adam, {"amsgrad": True, "global_clipnorm": 1.0}),
    (AdamW, {"learning_rate": EXPONENTIAL}),
    (RMSprop, {"centered": True, "momentum": 0.5}),
    (Adagrad, {"learning_rate": 0.1}),
    (Adadelta, {"learning_rate": 1.0}),
    (Adamax, {}),
    (Nadam, {"use_ema": True, "gradient_accumulation_steps": 2}),
]


@pytest.mark.parametrize("cls,kwargs", RESUME_CASES, ids=[c[0].__name__ for c in RESUME_CASES])
def test_get_state_set_state_continues_bit_identically(cls, kwargs):
    grads = make_grads(40, seed=5)
    variables = make_variables()
    optimizer = cls(**kwargs)
    train(optimizer, variables, grads[:21])
    if type(optimizer._learning_rate) is float:
        optimizer.learning_rate = 0.0123  # as ReduceLROnPlateau would
    weights = [v.numpy() for v in variables]
    state = {k: np.array(v) for k, v in optimizer.get_state().items()}
    config = json.loads(json.dumps(optimizers.serialize(optimizer)))
    train(optimizer, variables, grads[21:])

    restored = [Variable(w) for w in weights]
    resumed = optimizers.deserialize(config)
    resumed.set_state(state, restored)
    train(resumed, restored, grads[21:])
    for a, b in zip(variables, restored, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert resumed.iterations == optimizer.iterations
    assert resumed.learning_rate == optimizer.learning_rate


def test_state_keys_and_variables_order():
    variables = make_variables()
    optimizer = Adam(amsgrad=True)
    train(optimizer, variables, make_grads(1))
    state = optimizer.get_state()
    assert sorted(state) == ["iterations", "learning_rate", "momentum/float32",
                             "velocity/float32", "velocity_hat/float32"]
    assert state["iterations"].dtype == np.int64 and int(state["iterations"]) == 1
    values = optimizer.variables
    assert len(values) == 2 + 3 * len(variables)
    assert int(values[0]) == 1 and float(values[1]) == pytest.approx(0.001)
    seg = optimizer._layout.segments
    assert values[2] is not None and np.shares_memory(values[2], seg[0].slot("momentum"))
    assert np.shares_memory(values[3], seg[0].slot("velocity"))  # interleaved, as Keras
    assert np.shares_memory(values[4], seg[1].slot("momentum"))
    assert np.shares_memory(values[2 + 2 * len(variables)], seg[0].slot("velocity_hat"))
    assert [v.shape for v in values[2:4]] == [(3, 4), (3, 4)]
    nadam = Nadam(learning_rate=EXPONENTIAL)
    train(nadam, variables, make_grads(1))
    assert "u_product" in nadam.get_state() and "learning_rate" not in nadam.get_state()
    assert len(nadam.variables) == 1 + 2 * len(variables) + 1


def test_set_weights_and_own_variables_round_trip():
    variables = make_variables()
    optimizer = RMSprop(momentum=0.9)
    train(optimizer, variables, make_grads(3))
    store: dict = {}
    optimizer.save_own_variables(store)
    other = RMSprop(momentum=0.9)
    other.build(variables)
    other.load_own_variables(store)
    for a, b in zip(optimizer.variables, other.variables, strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="expected"):
        other.set_weights(optimizer.variables[:-1])
    with pytest.raises(ValueError, match="not been built"):
        RMSprop().set_weights([])


def test_set_state_rejects_mismatches():
    variables = make_variables()
    optimizer = Adam()
    train(optimizer, variables, make_grads(1))
    state = optimizer.get_state()
    with pytest.raises(ValueError, match="not built"):
        Adam().set_state(state)
    Adam().set_state(state, make_variables())
    with pytest.raises(ValueError, match="unexpected keys"):
        Adam().set_state({**state, "extra": np.zeros(1)}, make_variables())
    with pytest.raises(ValueError, match="missing keys"):
        Adam(amsgrad=True).set_state(state, make_variables())
    with pytest.raises(ValueError, match="shape"):
        Adam().set_state(state, make_variables(shapes=[(2,)]))


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


@pytest.mark.parametrize("cls,kwargs", RESUME_CASES + [(SGD, {"clipvalue": 0.5})],
                         ids=[c[0].__name__ for c in RESUME_CASES] + ["SGD-clip"])
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
