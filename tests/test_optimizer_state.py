"""Optimizers: the flat buffer layout, variables without gradients, rebuilds, the Keras
apply API, EMA, gradient accumulation, allocation-free steps, subnormal flushing and
bit-identical resume from get_state/set_state."""

from __future__ import annotations

import json
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
)
from optimizer_reference import (
    EXPONENTIAL,
    SHAPES,
    backward,
    make_grads,
    make_variables,
    reference,
    train,
)


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
    fresh = Adam(learning_rate=0.1)  # a new optimizer's state, at step 3
    fresh.flat_update = False
    c2 = Variable(c_start.astype(np.float64))
    fresh.build([c2])
    fresh.iterations = 2
    for _ in grads[2:]:
        fresh.apply([np.ones(5)], [c2])
    expected_c = c2.numpy()
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
    expected = reference(Adam, {"learning_rate": 0.05}, initial, means)
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
    (Adam, {"learning_rate": 0.01, "beta_2": 0.99}),
    (Adam, {"learning_rate": 0.01, "beta_2": 0.99, "amsgrad": True}),
    (RMSprop, {"learning_rate": 0.01, "momentum": 0.9, "centered": True}),
    (SGD, {"learning_rate": 0.01, "momentum": 0.9}),
    (Adamax, {"learning_rate": 0.01, "beta_2": 0.99}),
    (Nadam, {"learning_rate": 0.01, "beta_2": 0.99}),
    (Adadelta, {"learning_rate": 1.0, "rho": 0.9}),
]


@pytest.mark.parametrize("cls,kwargs", SUBNORMAL_CASES,
                         ids=[f"{c[0].__name__}{i}" for i, c in enumerate(SUBNORMAL_CASES)])
def test_state_never_goes_subnormal_and_results_are_unchanged(cls, kwargs, monkeypatch):
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
    expected = reference(cls, kwargs, [v.numpy() for v in make_variables(shapes=shapes)], grads)
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


