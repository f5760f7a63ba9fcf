"""Custom pieces a Keras user writes: layers, losses, metrics and callbacks.

Each must work in ``fit`` with gradients from the engine (verified against finite
differences), round-trip through configs and saved files with ``custom_objects``,
and the example scripts in ``examples/`` must run.
"""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import numpy as np
import pytest

import descend
from descend import layers
from descend.autograd import ops
from descend.callbacks import Callback
from descend.models.functional import Functional

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


# ------------------------------------------------------------------ the pieces
class Linear(layers.Layer):
    def __init__(self, units: int = 4, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                 initializer="random_normal", name="w")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="b")
        self.calls = self.add_weight(shape=(), initializer="zeros", name="calls",
                                     trainable=False)

    def call(self, inputs, training=False):
        return ops.matmul(inputs, self.w) + self.b

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def squared_error(y_true, y_pred):
    return ops.mean(ops.square(y_pred - y_true), axis=-1)


class ScaledError(descend.losses.Loss):
    def __init__(self, scale: float = 2.0, name: str = "scaled_error", **kwargs):
        super().__init__(name=name, **kwargs)
        self.scale = scale

    def call(self, y_true, y_pred):
        return ops.mean(ops.abs(y_pred - y_true), axis=-1) * self.scale

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


def worst_error(y_true, y_pred):
    return ops.max(ops.abs(y_pred - y_true), axis=-1)


class SamplesSeen(descend.metrics.Metric):
    def reset_state(self):
        self.count = 0.0

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.count += float(len(y_true) if sample_weight is None else np.sum(sample_weight))

    def result(self):
        return self.count


def regression_data(n: int = 40, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3)).astype("float32")
    return x, (x @ np.array([[1.0, 0.5], [-2.0, 0.0], [0.5, 1.0]])).astype("float32")


def linear_model() -> descend.Model:
    inputs = layers.Input((3,), name="x")
    return descend.Model(inputs, Linear(2, name="linear")(Linear(5, name="hidden")(inputs)))


# ------------------------------------------------------------------ custom layers
def test_custom_layer_builds_lazily_with_named_weights() -> None:
    layer = Linear(3, name="lin")
    assert not layer.built and layer.weights == []
    out = layer(np.ones((2, 4), "float32"))
    assert out.shape == (2, 3) and layer.built
    assert [w.path for w in layer.weights] == ["lin/w", "lin/b", "lin/calls"]
    assert [w.path for w in layer.non_trainable_weights] == ["lin/calls"]
    assert layer.count_params() == 4 * 3 + 3 + 1


def test_custom_layer_gradients_come_from_the_engine(rng) -> None:
    descend.config.set_floatx("float64")
    layer = Linear(3)
    x = rng.standard_normal((4, 2))
    layer(x)
    assert descend.gradcheck(lambda inputs, w, b: ops.matmul(inputs, w) + b, x,
                             layer.w.numpy(), layer.b.numpy())
    assert descend.gradcheck(lambda inputs: ops.tanh(layer(inputs)), x)


@pytest.mark.parametrize("kind", ["sequential", "functional"])
def test_custom_layer_trains(kind) -> None:
    x, y = regression_data(64)
    if kind == "sequential":
        model = descend.Sequential([layers.Input((3,)), Linear(5), Linear(2)])
    else:
        model = linear_model()
    model.compile(optimizer=descend.optimizers.Adam(0.05), loss="mse")
    history = model.fit(x, y, epochs=40, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.05 * history.history["loss"][0]


def test_custom_layer_whose_call_takes_no_training_argument_in_sequential() -> None:
    class Double(layers.Layer):
        def call(self, inputs):
            return inputs * 2.0

    model = descend.Sequential([layers.Input((3,)), Double(), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((4, 3)), np.ones((4, 1)), verbose=0)


def test_custom_layer_without_compute_output_shape_in_a_functional_model() -> None:
    class Project(layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], 6), name="w")

        def call(self, inputs, training=False):
            return ops.matmul(inputs, self.w)

    inputs = layers.Input((3,))
    assert Project()(inputs).shape == (None, 6)


def test_custom_layer_config_round_trip_needs_custom_objects() -> None:
    x, _ = regression_data(5)
    seq = descend.Sequential([layers.Input((3,)), Linear(5, name="a"), Linear(2, name="b")])
    for model, cls in ((seq, descend.Sequential), (linear_model(), Functional)):
        config = json.loads(json.dumps(model.get_config()))
        with pytest.raises(ValueError, match="custom_objects=\\{'Linear': Linear\\}"):
            cls.from_config(config)
        clone = cls.from_config(config, custom_objects={"Linear": Linear})
        assert [type(layer).__name__ for layer in clone.layers] == \
            [type(layer).__name__ for layer in model.layers]
        clone.set_weights(model.get_weights())
        np.testing.assert_array_equal(clone.predict(x, verbose=0), model.predict(x, verbose=0))


def test_custom_pieces_save_and_load_with_custom_objects(tmp_path) -> None:
    x, y = regression_data(32)
    model = linear_model()
    model.compile(optimizer="adam", loss=squared_error, metrics=[worst_error, SamplesSeen()])
    model.fit(x, y, epochs=2, verbose=0)
    path = tmp_path / "custom.descend"
    model.save(path)
    with pytest.raises(ValueError, match="Linear"):
        descend.models.load_model(path)
    custom = {"Linear": Linear, "squared_error": squared_error, "worst_error": worst_error,
              "SamplesSeen": SamplesSeen}
    restored = descend.models.load_model(path, custom_objects=custom)
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))
    assert restored.evaluate(x, y, verbose=0, return_dict=True) == \
        model.evaluate(x, y, verbose=0, return_dict=True)
    model.fit(x, y, epochs=1, shuffle=False, verbose=0)
    restored.fit(x, y, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), restored.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------ custom losses
def test_custom_loss_function_gradient_matches_finite_differences(rng) -> None:
    y_true, y_pred = rng.standard_normal((6, 2)), rng.standard_normal((6, 2))
    assert descend.gradcheck(lambda p: squared_error(y_true, p), y_pred)
    wrapped = descend.losses.resolve(squared_error, y_true.shape, (None, 2))
    weights = rng.random(6)
    assert descend.gradcheck(lambda p: wrapped(y_true, p, sample_weight=weights), y_pred)
    assert descend.gradcheck(lambda p: ScaledError(3.0)(y_true, p), y_pred + 0.01)


def test_custom_loss_trains_like_the_builtin_equivalent() -> None:
    x, y = regression_data(48)
    custom = descend.Sequential([layers.Input((3,)), layers.Dense(2)])
    builtin = descend.Sequential([layers.Input((3,)), layers.Dense(2)])
    builtin.set_weights(custom.get_weights())
    custom.compile(optimizer="sgd", loss=squared_error)
    builtin.compile(optimizer="sgd", loss="mse")
    history = custom.fit(x, y, epochs=3, batch_size=16, shuffle=False, verbose=0)
    expected = builtin.fit(x, y, epochs=3, batch_size=16, shuffle=False, verbose=0)
    assert list(history.history) == ["loss"]
    np.testing.assert_allclose(history.history["loss"], expected.history["loss"], rtol=1e-5)
    for a, b in zip(custom.get_weights(), builtin.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_custom_loss_subclass_value_and_sample_weight() -> None:
    x, y = regression_data(20)
    model = descend.Sequential([layers.Input((3,)), layers.Dense(2)])
    model.compile(optimizer="sgd", loss=ScaledError(scale=3.0))
    error = np.abs(model.predict(x, verbose=0) - y).mean(-1) * 3.0
    w = np.linspace(0, 1, 20)
    assert model.evaluate(x, y, verbose=0) == pytest.approx(error.mean(), rel=1e-5)
    assert model.evaluate(x, y, sample_weight=w, verbose=0) == pytest.approx(
        (w * error).sum() / 20, rel=1e-5)
    assert ScaledError(3.0).get_config()["scale"] == 3.0


# ------------------------------------------------------------------ custom metrics
def test_custom_metric_function_and_subclass_in_history() -> None:
    x, y = regression_data(40)  # batches of 32 and 8
    model = descend.Sequential([layers.Input((3,)), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse", metrics=[worst_error, SamplesSeen()],
                  weighted_metrics=[SamplesSeen(name="weight_seen")])
    history = model.fit(x, y, epochs=2, verbose=0, sample_weight=np.full(40, 0.5))
    assert sorted(history.history) == ["loss", "samples_seen", "weight_seen", "worst_error"]
    assert history.history["samples_seen"] == [40.0, 40.0]  # reset at every epoch
    assert history.history["weight_seen"] == [20.0, 20.0]  # weighted metrics see the weights
    worst = np.abs(model.predict(x, verbose=0) - y).max(-1)
    assert model.evaluate(x, y, verbose=0, return_dict=True)["worst_error"] == pytest.approx(
        worst.mean(), rel=1e-5)


# ------------------------------------------------------------------ custom callbacks
class Recorder(Callback):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[str] = []

    def on_train_begin(self, logs=None):
        self.events.append("train_begin")
        self.params_seen = dict(self.params)

    def on_epoch_begin(self, epoch, logs=None):
        self.events.append(f"epoch_begin {epoch}")

    def on_train_batch_end(self, batch, logs=None):
        self.events.append(f"batch_end {batch} {sorted(logs)}")

    def on_test_begin(self, logs=None):
        self.events.append("test_begin")

    def on_test_end(self, logs=None):
        self.events.append(f"test_end {sorted(logs)}")

    def on_epoch_end(self, epoch, logs=None):
        self.events.append(f"epoch_end {epoch} {sorted(logs)}")
        logs["custom_value"] = 10.0 + epoch  # reaches History and the progress line

    def on_train_end(self, logs=None):
        self.events.append("train_end")

    def on_predict_end(self, logs=None):
        self.events.append("predict_end")


def test_custom_callback_hooks_order_logs_and_added_keys(capsys) -> None:
    x, y = regression_data(20)
    model = descend.Sequential([layers.Input((3,)), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    recorder = Recorder()
    history = model.fit(x, y, epochs=2, batch_size=10, verbose=2, validation_split=0.5,
                        callbacks=[recorder])
    assert recorder.model is model
    assert recorder.params_seen["epochs"] == 2 and recorder.params_seen["steps"] == 1
    assert recorder.events == [
        "train_begin",
        "epoch_begin 0", "batch_end 0 ['loss', 'mae']", "test_begin",
        "test_end ['loss', 'mae']", "epoch_end 0 ['loss', 'mae', 'val_loss', 'val_mae']",
        "epoch_begin 1", "batch_end 0 ['loss', 'mae']", "test_begin",
        "test_end ['loss', 'mae']", "epoch_end 1 ['loss', 'mae', 'val_loss', 'val_mae']",
        "train_end",
    ]
    assert history.history["custom_value"] == [10.0, 11.0]
    assert "custom_value: 11.0000" in capsys.readouterr().out
    model.predict(x, callbacks=[recorder], verbose=0)
    assert recorder.events[-1] == "predict_end"


def test_custom_callback_stops_training() -> None:
    class StopAfter(Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 2:
                self.model.stop_training = True

    x, y = regression_data(20)
    model = descend.Sequential([layers.Input((3,)), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    assert model.fit(x, y, epochs=10, verbose=0, callbacks=[StopAfter()]).epoch == [0, 1, 2]


# ------------------------------------------------------------------ the examples
def run_example(name: str, capsys) -> tuple[dict, str]:
    namespace = runpy.run_path(str(EXAMPLES / name), run_name="__main__")
    return namespace, capsys.readouterr().out


def test_example_custom_layer(capsys) -> None:
    namespace, out = run_example("custom_layer.py", capsys)
    losses = namespace["history"].history["loss"]
    assert losses[-1] < 0.05 * losses[0]
    assert "Unknown layer class: 'Linear'" in out
    assert "reloaded model predicts identically: True" in out


def test_example_custom_loss_and_metric(capsys) -> None:
    namespace, out = run_example("custom_loss_and_metric.py", capsys)
    history = namespace["history"].history
    assert "gradcheck of log_cosh: True" in out
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert history["fraction_within"][-1] > 0.7 > history["fraction_within"][0]


def test_example_custom_callback(capsys) -> None:
    namespace, out = run_example("custom_callback.py", capsys)
    history, stopper = namespace["history"], namespace["stopper"]
    assert stopper.stopped_epoch is not None and len(history.epoch) == stopper.stopped_epoch + 1
    assert len(namespace["recorder"].losses) == 15 * len(history.epoch)
    assert "weight_norm" in history.history and "stopping." in out


def test_example_functional_two_inputs(capsys) -> None:
    namespace, out = run_example("functional_two_inputs.py", capsys)
    last = namespace["last"]
    assert last["val_sold_fast_accuracy"] > 0.9 and last["val_price_mae"] < 0.3
    assert "identical predictions: True" in out
