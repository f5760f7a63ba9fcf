"""descend.tune.find_learning_rate: the range test, its suggestion, and that it leaves no trace."""

from __future__ import annotations

import numpy as np
import pytest

import descend
from descend.layers import Dense
from descend.optimizers import SGD, Adam
from descend.tune import centered_average, find_learning_rate, suggest_learning_rate
from descend.utils import set_random_seed


def regression(n: int = 256) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 3)).astype("float32")
    return x, (x @ np.array([[1.0], [-2.0], [0.5]]) + 0.3).astype("float32")


def model_with(optimizer) -> descend.Sequential:
    model = descend.Sequential([Dense(8, activation="tanh", input_shape=(3,)), Dense(1)])
    model.compile(optimizer=optimizer, loss="mse")
    return model


def test_learning_rates_grow_exponentially_and_the_test_stops_when_the_loss_diverges() -> None:
    x, y = regression()
    result = find_learning_rate(model_with(SGD(0.01)), x, y, start=1e-5, end=100.0, steps=50)
    lrs = result.learning_rates
    assert lrs[0] == pytest.approx(1e-5)
    np.testing.assert_allclose(lrs[1:] / lrs[:-1], (100.0 / 1e-5) ** (1 / 49), rtol=1e-9)
    assert len(lrs) < 50  # plain SGD on mse diverges well before a learning rate of 100
    assert len(result.losses) == len(result.smoothed) == len(lrs)
    assert 1e-4 < result.suggestion < 1.0


def test_model_weights_and_optimizer_are_left_as_they_were() -> None:
    x, y = regression()
    set_random_seed(0)
    tested = model_with(Adam(1e-3))
    tested.fit(x, y, epochs=1, verbose=0, shuffle=False)
    set_random_seed(0)
    twin = model_with(Adam(1e-3))
    twin.fit(x, y, epochs=1, verbose=0, shuffle=False)
    state = tested.optimizer.get_state()
    optimizer = tested.optimizer
    result = find_learning_rate(tested, x, y, steps=30)
    assert result.suggestion is None or 1e-7 <= result.suggestion <= 10
    assert tested.optimizer is optimizer and optimizer.learning_rate == pytest.approx(1e-3)
    for key, value in state.items():
        np.testing.assert_array_equal(optimizer.get_state()[key], value)
    for a, b in zip(tested.get_weights(), twin.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    # training continues exactly as if the test had never run
    for model in (tested, twin):
        set_random_seed(1)
        model.fit(x, y, epochs=2, verbose=0)
    for a, b in zip(tested.get_weights(), twin.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_suggestion_is_the_steepest_descent_of_the_smoothed_loss() -> None:
    lrs = np.logspace(-6, 0, 13)
    losses = np.array([2.0, 2.0, 2.0, 1.98, 1.9, 1.6, 1.0, 0.6, 0.5, 0.55, 0.9, 2.5, 9.0])
    suggestion, smoothed = suggest_learning_rate(lrs, losses, window=1)
    np.testing.assert_array_equal(smoothed, losses)
    assert suggestion == pytest.approx(lrs[6])  # slope (0.6 - 1.6) over one decade
    assert suggest_learning_rate(lrs, np.linspace(1, 2, 13))[0] is None  # never falls
    assert suggest_learning_rate(lrs[:3], losses[:3])[0] is None  # too few points
    np.testing.assert_allclose(centered_average([1.0, 2.0, 3.0, 10.0], 3), [1.5, 2, 5, 6.5])


def test_result_plots(tmp_path) -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    x, y = regression()
    result = find_learning_rate(model_with(SGD(0.01)), x, y, start=1e-4, end=10, steps=30)
    fig = result.plot(path=tmp_path / "lr.png")
    assert (tmp_path / "lr.png").stat().st_size > 1000
    assert fig.axes[0].get_xscale() == "log"
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.mark.parametrize("kwargs, match", [
    ({"start": 0.0}, "start"),
    ({"start": 1.0, "end": 0.5}, "end"),
    ({"steps": 1}, "steps"),
    ({"batch_size": 0}, "batch_size"),
    ({"smoothing": 1.0}, "smoothing"),
    ({"diverge": 1.0}, "diverge"),
])
def test_arguments_are_validated(kwargs, match) -> None:
    x, y = regression(16)
    with pytest.raises(ValueError, match=match):
        find_learning_rate(model_with(SGD(0.01)), x, y, **kwargs)


def test_uncompiled_model_is_rejected() -> None:
    x, y = regression(16)
    model = descend.Sequential([Dense(1, input_shape=(3,))])
    with pytest.raises(ValueError, match="compile"):
        find_learning_rate(model, x, y)
