"""TrainingMonitor: statistics equal direct computations; warnings fire only when due."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import descend
from descend.explain import TrainingMonitor, TrainingWarning
from descend.layers import Dense
from descend.optimizers import SGD
from descend.utils import set_random_seed


def relu_net(lr: float = 0.02, hidden_bias: float | None = None) -> descend.Sequential:
    model = descend.Sequential([
        Dense(5, activation="relu", input_shape=(3,), name="hidden"),
        Dense(1, name="out"),
    ])
    model.compile(optimizer=SGD(learning_rate=lr), loss="mse")
    if hidden_bias is not None:
        weights = model.get_weights()
        weights[1][:] = hidden_bias
        model.set_weights(weights)
    return model


def data(n: int = 40, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3))
    return x, x @ np.array([[1.0], [-2.0], [0.5]]) + 0.1


def test_statistics_equal_direct_computation() -> None:
    descend.config.set_floatx("float64")
    x, y = data()
    model = relu_net()
    w1, b1, w2, b2 = model.get_weights()
    monitor = TrainingMonitor(x, y, warn=False)
    history = model.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0,
                        callbacks=[monitor])
    after = model.get_weights()
    # directly: one full-batch step, then the probe pass (all 40 samples) on the new weights
    v1, c1, v2, c2 = after
    z = x @ v1 + c1
    h = np.maximum(z, 0)
    out = h @ v2 + c2
    d_out = 2 * (out - y) / y.size
    grad_v2, grad_c2 = h.T @ d_out, d_out.sum(axis=0)
    delta = (d_out @ v2.T) * (z > 0)
    grad_v1, grad_c1 = x.T @ delta, delta.sum(axis=0)

    def norm(*arrays: np.ndarray) -> float:
        return float(np.sqrt(sum(np.sum(a * a) for a in arrays)))

    hidden = monitor.records[0]["layers"]["hidden"]
    assert hidden["weight_norm"] == pytest.approx(norm(v1, c1), rel=1e-12)
    assert hidden["grad_norm"] == pytest.approx(norm(grad_v1, grad_c1), rel=1e-10)
    assert hidden["update_ratio"] == pytest.approx(norm(v1 - w1, c1 - b1) / norm(w1, b1),
                                                   rel=1e-10)
    assert hidden["update_ratio_max"] == hidden["update_ratio"]  # one step in the epoch
    assert hidden["dead_fraction"] == pytest.approx(np.mean(np.all(h <= 0, axis=0)))
    assert hidden["activation_mean"] == pytest.approx(h.mean(), rel=1e-12)
    assert hidden["activation_std"] == pytest.approx(h.std(), rel=1e-12)
    output = monitor.records[0]["layers"]["out"]
    assert output["grad_norm"] == pytest.approx(norm(grad_v2, grad_c2), rel=1e-10)
    assert output["update_ratio"] == pytest.approx(norm(v2 - w2, c2 - b2) / norm(w2, b2),
                                                   rel=1e-10)
    assert "dead_fraction" not in output  # a linear layer has no dead units
    assert monitor.records[0]["loss"] == pytest.approx(np.mean((out - y) ** 2), rel=1e-12)
    # the same numbers are in the History, one value per epoch
    assert history.history["monitor/hidden/grad_norm"] == [hidden["grad_norm"]]
    assert history.history["monitor/out/weight_norm"] == [output["weight_norm"]]
    assert monitor.messages == []


def test_monitor_does_not_change_training() -> None:
    x, y = data(64)
    results = []
    for callbacks in ([], [TrainingMonitor(x, y, warn=False, every=3)]):
        set_random_seed(3)
        model = relu_net()
        history = model.fit(x, y, batch_size=8, epochs=3, verbose=0, callbacks=callbacks)
        results.append((model.get_weights(), history.history["loss"],
                        model.optimizer.iterations))
    (w_plain, loss_plain, it_plain), (w_mon, loss_mon, it_mon) = results
    for a, b in zip(w_plain, w_mon, strict=True):
        np.testing.assert_array_equal(a, b)
    assert loss_plain == loss_mon and it_plain == it_mon


def test_every_n_steps_and_history_alignment() -> None:
    x, y = data(40)
    monitor = TrainingMonitor(x, y, every=2, warn=False)
    history = relu_net().fit(x, y, batch_size=10, epochs=3, verbose=0, callbacks=[monitor])
    assert [r["step"] for r in monitor.records] == [2, 4, 6, 8, 10, 12]
    assert [r["epoch"] for r in monitor.records] == [0, 0, 1, 1, 2, 2]
    key = "monitor/hidden/weight_norm"
    assert len(history.history[key]) == len(history.history["loss"]) == 3
    assert history.history[key][1] == monitor.records[3]["layers"]["hidden"]["weight_norm"]
    # averaged over the 2 steps since the previous record, the largest at least the mean
    ratio = monitor.records[1]["layers"]["hidden"]
    assert ratio["update_ratio_max"] >= ratio["update_ratio"] > 0


def test_without_probe_data_only_weights_and_updates_are_recorded() -> None:
    x, y = data()
    monitor = TrainingMonitor(warn=False)
    relu_net().fit(x, y, epochs=1, verbose=0, callbacks=[monitor])
    stats = monitor.records[0]["layers"]["hidden"]
    assert set(stats) == {"weight_norm", "update_ratio", "update_ratio_max"}


def test_table_lists_every_layer() -> None:
    x, y = data()
    monitor = TrainingMonitor(x, y, warn=False)
    relu_net().fit(x, y, epochs=2, verbose=0, callbacks=[monitor])
    text = monitor.table(print_fn=None)
    lines = text.splitlines()
    assert lines[0].split()[:5] == ["epoch", "step", "layer", "weight_norm", "grad_norm"]
    assert len(lines) == 2 + 2 * 2
    assert f"{monitor.records[1]['layers']['hidden']['grad_norm']:.3g}" in lines[4]


def test_huge_learning_rate_is_reported() -> None:
    x, y = data(64)
    y_class = (y[:, 0] > 0).astype("int64")
    model = descend.Sequential([Dense(16, activation="relu", input_shape=(3,), name="hidden"),
                                Dense(2, activation="softmax", name="out")])
    model.compile(optimizer=SGD(learning_rate=50.0), loss="sparse_categorical_crossentropy")
    monitor = TrainingMonitor(x, y_class)
    with pytest.warns(TrainingWarning, match="far too high"):
        model.fit(x, y_class, batch_size=16, epochs=2, verbose=0, callbacks=[monitor])
    high = [m for m in monitor.messages if "far too high" in m]
    assert any("layer 'hidden'" in m for m in high) and "(it is 50)" in high[0]
    assert not any("far too low" in m for m in monitor.messages)


def test_dead_relu_layer_is_reported() -> None:
    x, y = data()
    model = relu_net(lr=0.01, hidden_bias=-100.0)
    monitor = TrainingMonitor(x, y)
    with pytest.warns(TrainingWarning):
        model.fit(x, y, epochs=2, verbose=0, callbacks=[monitor])
    assert monitor.records[-1]["layers"]["hidden"]["dead_fraction"] == 1.0
    dead = [m for m in monitor.messages if m.startswith("Dead units")]
    assert len(dead) == 1 and "layer 'hidden'" in dead[0] and "100%" in dead[0]
    assert any(m.startswith("Vanishing gradients in layer 'hidden'") for m in monitor.messages)


def test_nan_loss_names_the_layer_where_it_appears() -> None:
    x, y = data()
    model = relu_net(lr=1e6)
    monitor = TrainingMonitor(x, 1e3 * y, warn=False)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(x, 1e3 * y, epochs=2, verbose=0, callbacks=[monitor])
    nan = [m for m in monitor.messages if m.startswith("The loss became")]
    assert len(nan) == 1
    assert "layer 'hidden'" in nan[0] or "layer 'out'" in nan[0]
    assert "lower the learning rate" in nan[0]


def test_quiet_on_the_seed_example() -> None:
    from descend.cli import build_seed_model
    from descend.datasets import side_effects

    set_random_seed(0)
    (x, y), _ = side_effects.load_data(seed=0)
    model = build_seed_model()
    monitor = TrainingMonitor(x, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", TrainingWarning)
        history = model.fit(x, y, batch_size=10, epochs=20, verbose=0, callbacks=[monitor])
    assert monitor.messages == []
    assert history.history["accuracy"][-1] > 0.85
    assert len(history.history["monitor/dense/dead_fraction"]) == 20


@pytest.mark.parametrize("kwargs, match", [
    ({"x": np.zeros((2, 1))}, "both"),
    ({"every": 0}, "every"),
    ({"probe_size": 0}, "probe_size"),
    ({"update_ratio_range": (0.1, 0.01)}, "update_ratio_range"),
    ({"dead_fraction": 0.0}, "dead_fraction"),
])
def test_arguments_are_validated(kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        TrainingMonitor(**kwargs)


def test_history_lists_stay_aligned_with_epochs_when_records_are_sparse() -> None:
    x, y = data(40)
    monitor = TrainingMonitor(x, y, every=6, warn=False)  # 4 steps per epoch: records at 6, 12
    history = relu_net().fit(x, y, batch_size=10, epochs=3, verbose=0, callbacks=[monitor])
    values = history.history["monitor/hidden/weight_norm"]
    assert len(values) == 3
    assert np.isnan(values[0]) and not np.isnan(values[1]) and not np.isnan(values[2])
