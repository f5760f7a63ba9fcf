"""Every plot runs headless (Agg), returns its Figure and writes a non-empty PNG."""

from __future__ import annotations

import numpy as np
import pytest

try:
    import matplotlib
except ImportError:  # pragma: no cover - CI installs the test extra, which has matplotlib
    pytest.skip("matplotlib is not installed (pip install \".[plot]\" from the clone); the "
                "plot tests need it", allow_module_level=True)
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import descend  # noqa: E402
from descend.explain import (  # noqa: E402
    WeightSnapshots,
    draw_network,
    plot_decision_boundary,
    plot_history,
    plot_loss_curve,
    plot_weight_histograms,
)
from descend.explain.demo_plots import write_demo_plots  # noqa: E402
from descend.explain.network_drawing import shown_units  # noqa: E402
from descend.explain.probe import loss_and_gradients, prepare_batch  # noqa: E402
from descend.layers import Conv1D, Dense, Flatten  # noqa: E402
from descend.optimizers import SGD  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def png_written(path) -> bool:
    data = path.read_bytes()
    return len(data) > 1000 and data[:8] == b"\x89PNG\r\n\x1a\n"


def blobs(n: int = 60) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 2)).astype("float32")
    return x, (x[:, 0] + 0.5 * x[:, 1] > 0).astype("int64")


def classifier(units: int = 4, outputs: int = 2) -> descend.Sequential:
    model = descend.Sequential([Dense(units, activation="relu", input_shape=(2,), name="hidden"),
                                Dense(outputs, activation="softmax" if outputs > 1 else "sigmoid",
                                      name="out")])
    model.compile(optimizer=SGD(0.1), loss="sparse_categorical_crossentropy" if outputs > 1
                  else "binary_crossentropy", metrics=["accuracy"])
    return model


def test_plot_history_and_history_plot(tmp_path) -> None:
    x, y = blobs()
    history = classifier().fit(x, y, epochs=3, verbose=0, validation_split=0.25)
    fig = plot_history(history, path=tmp_path / "curves.png")
    assert png_written(tmp_path / "curves.png")
    assert [ax.get_ylabel() for ax in fig.axes] == ["loss", "accuracy"]
    assert len(fig.axes[0].lines) == 2  # training and validation
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), history.history["loss"])
    fig2 = history.plot(metrics=["accuracy"], path=tmp_path / "acc.png")
    assert len(fig2.axes) == 1 and png_written(tmp_path / "acc.png")
    assert len(plot_history({"loss": [1.0, 0.5]}).axes) == 1
    with pytest.raises(ValueError, match="no \\['auc'\\]"):
        plot_history(history, metrics=["auc"])
    with pytest.raises(ValueError, match="empty"):
        plot_history({})
    with pytest.raises(TypeError, match="History"):
        plot_history([1, 2])


def test_loss_curve_tangent_has_the_backprop_slope(tmp_path) -> None:
    descend.config.set_floatx("float64")
    x, y = blobs()
    model = classifier()
    before = model.get_weights()
    fig = plot_loss_curve(model, x, y, layer="out", index=(1, 0), path=tmp_path / "u.png")
    assert png_written(tmp_path / "u.png")
    for a, b in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(a, b)  # the weight was put back
    xs, ys, sw = prepare_batch(model, x, y)
    probe = loss_and_gradients(model, xs, ys, sw, tap=False)
    gradient = probe.gradients[2][1, 0]
    lines = {line.get_label(): line for line in fig.axes[0].lines}
    tangent = next(line for label, line in lines.items() if label.startswith("tangent"))
    tx, ty = tangent.get_xdata(), tangent.get_ydata()
    assert (ty[1] - ty[0]) / (tx[1] - tx[0]) == pytest.approx(gradient, rel=1e-9)
    current = next(line for label, line in lines.items() if label.startswith("current"))
    assert current.get_xdata()[0] == pytest.approx(before[2][1, 0])
    assert current.get_ydata()[0] == pytest.approx(probe.loss, rel=1e-12)
    # the step is drawn in the magnified right panel, as a change of the weight
    zoom = {line.get_label(): line for line in fig.axes[1].lines}
    step = next(line for label, line in zoom.items() if label.startswith("after one SGD step"))
    assert step.get_xdata()[0] == pytest.approx(-0.1 * gradient, rel=1e-9)
    assert "w <- w - learning_rate * g" in fig.axes[1].get_title()
    curve = lines["loss as this weight varies"]
    assert np.min(curve.get_ydata()) <= probe.loss + 1e-12


def _seed_network():
    from descend.cli import build_seed_model
    from descend.datasets import side_effects
    from descend.utils import set_random_seed

    set_random_seed(0)
    (x, y), _ = side_effects.load_data(seed=0)
    return build_seed_model(), x, y


def test_loss_curve_shows_adams_step_and_its_rule(tmp_path) -> None:
    """Regression: the step was invisible, 'current -0.345' and 'next -0.345' printed alike,
    and the title said 'learning rate x gradient' for Adam's step."""
    model, x, y = _seed_network()
    model.fit(x, y, batch_size=10, epochs=2, verbose=0)
    fig = plot_loss_curve(model, x, y, path=tmp_path / "u.png")
    zoom = fig.axes[1]
    labels = [line.get_label() for line in zoom.lines]
    before = next(label for label in labels if label.startswith("before"))
    after = next(label for label in labels if label.startswith("after one Adam step"))
    assert before.split("= ")[-1] != after.split("= ")[-1]       # the two values differ
    assert "alpha_t * m / (sqrt(v) + epsilon)" in zoom.get_title()
    assert "learning rate x gradient" not in zoom.get_title()
    assert any(label.startswith("plain gradient step") for label in labels)
    step = next(line for line in zoom.lines if line.get_label() == after).get_xdata()[0]
    low, high = zoom.get_xlim()
    assert low < step < high and abs(step) > 0.1 * (high - low)   # visible, not a dot
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert not any("too small to see" in t for t in texts)


def test_a_fresh_models_loss_curve_shows_the_bottom_of_the_u() -> None:
    """Regression: a freshly built model's curve was a slope running off the plot."""
    model, x, y = _seed_network()
    fig = plot_loss_curve(model, x, y)
    curve = next(line for line in fig.axes[0].lines
                 if line.get_label() == "loss as this weight varies")
    losses = np.asarray(curve.get_ydata())
    lowest = int(np.argmin(losses))
    assert 0 < lowest < len(losses) - 1                            # the U turns up on both sides
    assert losses.max() - losses.min() > 0.01 * losses.min()      # not a flat line


def test_weight_histograms_say_what_they_show() -> None:
    x, y = blobs()
    fig = plot_weight_histograms(classifier(), x, y)
    assert fig._suptitle is not None and "weights" in fig._suptitle.get_text()
    for ax in fig.axes:
        assert ax.get_xlabel() in ("weight value", "gradient dLoss/dw")
        assert ax.get_ylabel() == "number of weights"


def test_learning_curves_tick_at_whole_epochs() -> None:
    fig = plot_history({"loss": [0.9, 0.6, 0.5], "accuracy": [0.5, 0.7, 0.8]})
    for ax in fig.axes:
        fig.canvas.draw()
        ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
        assert ticks and all(float(t).is_integer() for t in ticks)


def test_decision_boundary_names_the_feature(tmp_path) -> None:
    model, x, y = _seed_network()
    fig = plot_decision_boundary(model, x, y, resolution=20, feature_names=["age"])
    assert fig.axes[0].get_xlabel() == "age"
    with pytest.raises(ValueError, match="feature_names"):
        plot_decision_boundary(model, x, y, feature_names=["age", "weight"])


def test_loss_curve_argument_errors() -> None:
    x, y = blobs()
    model = classifier()
    with pytest.raises(ValueError, match="no layer named"):
        plot_loss_curve(model, x, y, layer="nope")
    with pytest.raises(ValueError, match="no trainable weight"):
        plot_loss_curve(model, x, y, weight="gamma")
    with pytest.raises(ValueError, match="out of range"):
        plot_loss_curve(model, x, y, layer=5)


def test_decision_boundary_in_2d_across_epochs(tmp_path) -> None:
    x, y = blobs()
    model = classifier()
    snapshots = WeightSnapshots()
    model.fit(x, y, epochs=3, verbose=0, callbacks=[snapshots])
    assert snapshots.epochs == [0, 1, 2, 3]
    weights = model.get_weights()
    fig = plot_decision_boundary(model, x, y, history_of_weights=snapshots, resolution=40,
                                 path=tmp_path / "boundary.png")
    assert png_written(tmp_path / "boundary.png") and fig.axes[0].get_xlabel() == "input 1"
    for a, b in zip(model.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(a, b)
    binary = classifier(outputs=1)
    binary.fit(x, y.astype("float32"), epochs=1, verbose=0)
    plot_decision_boundary(binary, x, y, resolution=30, path=tmp_path / "binary.png")
    assert png_written(tmp_path / "binary.png")


def test_decision_boundary_in_1d(tmp_path) -> None:
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, (50, 1)).astype("float32")
    y = (x[:, 0] > 0.6).astype("int64")
    model = descend.Sequential([Dense(3, activation="relu", input_shape=(1,)),
                                Dense(2, activation="sigmoid")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    snapshots = WeightSnapshots()
    model.fit(x, y, epochs=2, verbose=0, callbacks=[snapshots])
    fig = plot_decision_boundary(model, x, y, snapshots, path=tmp_path / "1d.png")
    assert png_written(tmp_path / "1d.png")
    assert fig.axes[0].get_ylabel() == "predicted probability of class 1"
    with pytest.raises(ValueError, match="1 or 2 features"):
        plot_decision_boundary(model, np.zeros((4, 3)), np.zeros(4))


def test_weight_histograms(tmp_path) -> None:
    x, y = blobs()
    model = classifier()
    fig = plot_weight_histograms(model, path=tmp_path / "w.png")
    assert len(fig.axes) == 2 and png_written(tmp_path / "w.png")
    fig = plot_weight_histograms(model, x, y, path=tmp_path / "wg.png")
    assert len(fig.axes) == 4 and png_written(tmp_path / "wg.png")
    assert fig.axes[1].get_title() == "hidden: gradients"


def test_draw_network(tmp_path) -> None:
    model = classifier(units=20)
    fig = draw_network(model, max_units=6, path=tmp_path / "net.png")
    assert png_written(tmp_path / "net.png")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "... 15 more ..." in texts  # 20 units: 5 drawn, the rest summarised
    assert any(t.startswith("hidden layer 'hidden'\n20 units, relu") for t in texts)
    assert any(t.startswith("output layer 'out'") for t in texts)
    assert shown_units(20, 6) == [0, 1, 2, None, 18, 19]
    conv = descend.Sequential([Conv1D(2, 3, input_shape=(8, 1)), Flatten(), Dense(1)])
    with pytest.raises(ValueError, match="not a dense layer"):
        draw_network(conv)
    with pytest.raises(ValueError, match="max_units"):
        draw_network(model, max_units=2)


def test_write_demo_plots(tmp_path) -> None:
    from descend.cli import build_seed_model
    from descend.datasets import side_effects

    (x, y), _ = side_effects.load_data(seed=0)
    x, y = x[:200], y[:200]
    model = build_seed_model()
    history = model.fit(x, y, batch_size=20, epochs=2, verbose=0)
    paths = write_demo_plots(model, history, x, y, tmp_path / "out")
    assert [p.name for p in paths] == ["learning_curves.png", "loss_curve.png", "network.png",
                                       "decision_boundary.png", "weights.png"]
    assert all(png_written(p) for p in paths)
