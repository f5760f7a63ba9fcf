"""The execution plan's array training step (descend.models.array_step) changes no number.

A model that is one chain of dense layers, compiled with a built-in cross-entropy
and no extras, trains on plain arrays through the same kernels as the graph path.
Each test trains the same model on the fused path (where the array step may run)
and on the reference path (``descend.config.set_fusion(False)``, layer by layer
through the engine) and requires the same losses, metrics and weights; it also
checks whether the array step ran, so that every condition that turns it off is
shown to fall back to the reference result.
"""

from __future__ import annotations

import numpy as np
import pytest
from tests._fusion import fusion

import descend
from descend import layers, losses, optimizers
from descend.models import array_step


@pytest.fixture
def taken(monkeypatch):
    """Counts the batches the array step trained on (a call that returned a result)."""
    counter = {"steps": 0}
    original = array_step.ArrayTrainStep.__call__

    def counting(self, xs, ys):
        out = original(self, xs, ys)
        counter["steps"] += out is not None
        return out

    monkeypatch.setattr(array_step.ArrayTrainStep, "__call__", counting)
    return counter


def _data(n=37, width=3, classes=3, dtype="float32", seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, width)).astype(dtype)
    y = rng.integers(0, classes, n)
    return x, y


def _sequential(output="softmax", classes=3, width=3, dtype=None, **dense_kwargs):
    descend.utils.set_random_seed(5)
    return descend.Sequential([
        layers.Input((width,), dtype=dtype),
        layers.Dense(8, "relu", dtype=dtype, **dense_kwargs),
        layers.Dense(6, "tanh", dtype=dtype),
        layers.Dense(classes, output, dtype=dtype)])


def _functional(output="softmax", classes=3, width=3):
    descend.utils.set_random_seed(5)
    inputs = layers.Input((width,))
    h = layers.Dense(8, "relu")(inputs)
    h = layers.Dense(6, "tanh")(h)
    return descend.Model(inputs, layers.Dense(classes, output)(h))


def _train(make, compile_kwargs, x, y, fit_kwargs=None, on=True):
    with fusion(on):
        model = make()
        model.compile(**compile_kwargs())
        descend.utils.set_random_seed(11)
        history = model.fit(x, y, batch_size=8, epochs=3, verbose=0, **(fit_kwargs or {}))
    return model, history.history


def _both(make, compile_kwargs, x, y, fit_kwargs=None):
    fused = _train(make, compile_kwargs, x, y, fit_kwargs, on=True)
    reference = _train(make, compile_kwargs, x, y, fit_kwargs, on=False)
    return fused, reference


def _assert_same(fused, reference, rtol=0.0):
    (m1, h1), (m2, h2) = fused, reference
    assert h1.keys() == h2.keys()
    for key in h1:
        np.testing.assert_allclose(h1[key], h2[key], rtol=rtol, atol=0)
    for a, b in zip(m1.get_weights(), m2.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * 1e-3)


def _adam():
    return {"optimizer": optimizers.Adam(1e-2), "loss": "sparse_categorical_crossentropy",
            "metrics": ["accuracy"]}


# ------------------------------------------------------------------ the array step runs
@pytest.mark.parametrize("output", ["softmax", "sigmoid"])
def test_sparse_crossentropy_on_probabilities_trains_identically(taken, output):
    x, y = _data()
    fused, reference = _both(lambda: _sequential(output), _adam, x, y)
    assert taken["steps"] == 3 * 5  # every batch, the partial last one included
    _assert_same(fused, reference)


def test_functional_model_takes_the_array_step(taken):
    x, y = _data()
    fused, reference = _both(_functional, _adam, x, y)
    assert taken["steps"] == 15
    _assert_same(fused, reference)


@pytest.mark.parametrize("loss", [
    losses.SparseCategoricalCrossentropy(from_logits=True),
    losses.CategoricalCrossentropy(),
    losses.CategoricalCrossentropy(from_logits=True),
    "categorical_crossentropy",
])
def test_each_fused_loss_trains_identically(taken, loss):
    x, y = _data()
    one_hot = isinstance(loss, losses.CategoricalCrossentropy) or loss == "categorical_crossentropy"
    target = np.eye(3, dtype="float32")[y] if one_hot else y
    output = "linear" if getattr(loss, "from_logits", False) else "softmax"
    fused, reference = _both(lambda: _sequential(output), lambda: {
        "optimizer": "adam", "loss": loss, "metrics": ["accuracy"]}, x, target)
    assert taken["steps"] == 15
    _assert_same(fused, reference)


@pytest.mark.parametrize("loss, output, classes, labels", [
    ("binary_crossentropy", "sigmoid", 1, "binary"),
    ("binary_crossentropy", "sigmoid", 1, "binary column"),
    (losses.BinaryCrossentropy(from_logits=True), "linear", 1, "binary"),
    ("binary_crossentropy", "sigmoid", 3, "multi-label"),
    ("mse", "linear", 1, "real"),
    (losses.MeanSquaredError(), "linear", 3, "real"),
    ("mean_squared_error", "relu", 1, "real column"),
])
def test_elementwise_losses_train_identically(taken, loss, output, classes, labels):
    """Binary cross-entropy and mean squared error: each sample's loss is the mean over
    its output values; labels ``(batch,)`` fit one output unit (Keras's rank fix-up)."""
    x, y = _data()
    rng = np.random.default_rng(3)
    target = {"binary": (y > 0).astype("int64"),
              "binary column": (y > 0).astype("float32").reshape(-1, 1),
              "multi-label": rng.integers(0, 2, (len(x), 3)),
              "real": rng.standard_normal((len(x), classes) if classes > 1 else len(x)),
              "real column": rng.standard_normal((len(x), 1)).astype("float32")}[labels]
    fused, reference = _both(lambda: _sequential(output, classes), lambda: {
        "optimizer": "adam", "loss": loss, "metrics": ["mae"]}, x, target)
    assert taken["steps"] == 15
    _assert_same(fused, reference)


def test_single_dense_layer_and_column_labels(taken):
    x, y = _data()

    def make():
        descend.utils.set_random_seed(2)
        return descend.Sequential([layers.Input((3,)), layers.Dense(3, "softmax")])

    fused, reference = _both(make, _adam, x, y.reshape(-1, 1))
    assert taken["steps"] == 15
    _assert_same(fused, reference)


def test_float64_and_other_optimizers(taken):
    x, y = _data(dtype="float64")
    for optimizer in ("sgd", "rmsprop", "adamw"):
        fused, reference = _both(lambda: _sequential(dtype="float64"), lambda o=optimizer: {
            "optimizer": o, "loss": "sparse_categorical_crossentropy"}, x, y)
        _assert_same(fused, reference, rtol=1e-12)
    assert taken["steps"] == 3 * 15


def test_callbacks_and_validation_see_the_same_logs(taken):
    x, y = _data()
    seen = {True: [], False: []}

    class Record(descend.callbacks.Callback):
        def __init__(self, on):
            super().__init__()
            self.on = on

        def on_train_batch_end(self, batch, logs=None):
            seen[self.on].append(dict(logs))

    for on in (True, False):
        _train(_sequential, _adam, x, y, {"callbacks": [Record(on)], "validation_split": 0.2},
               on=on)
    assert taken["steps"] > 0
    assert seen[True] == seen[False]


def test_train_on_batch_takes_it(taken):
    x, y = _data()
    results = []
    for on in (True, False):
        with fusion(on):
            model = _sequential()
            model.compile(**_adam())
            results.append([model.train_on_batch(x[:8], y[:8]) for _ in range(3)])
    assert taken["steps"] == 3
    assert results[0] == results[1]


# --------------------------------------------- each condition that turns it off falls back
def _assert_falls_back(taken, make, compile_kwargs, x, y, fit_kwargs=None, rtol=0.0):
    fused, reference = _both(make, compile_kwargs, x, y, fit_kwargs)
    assert taken["steps"] == 0
    _assert_same(fused, reference, rtol)
    return fused[0]


def test_off_with_sample_or_class_weights(taken):
    x, y = _data()
    sw = np.linspace(0.5, 1.5, len(x)).astype("float32")
    _assert_falls_back(taken, _sequential, _adam, x, y, {"sample_weight": sw})
    _assert_falls_back(taken, _sequential, _adam, x, y, {"class_weight": {0: 1.0, 1: 2.0,
                                                                          2: 0.5}})


def test_off_with_regularizers_and_constraints(taken):
    x, y = _data()
    for kwargs in ({"kernel_regularizer": "l2"}, {"kernel_constraint": "non_neg"},
                   {"activity_regularizer": "l1"}):
        _assert_falls_back(taken, lambda k=kwargs: _sequential(**k), _adam, x, y)


@pytest.mark.parametrize("loss", [
    losses.SparseCategoricalCrossentropy(ignore_class=0),
    losses.SparseCategoricalCrossentropy(reduction="sum"),
    losses.SparseCategoricalCrossentropy(dtype="float64"),
    "mae",
    losses.BinaryCrossentropy(label_smoothing=0.1),
    losses.MeanSquaredError(reduction="sum"),
])
def test_off_for_losses_without_a_fused_description(taken, loss):
    x, y = _data()
    one_hot = not isinstance(loss, losses.SparseCategoricalCrossentropy)
    target = np.eye(3, dtype="float32")[y] if one_hot else y
    _assert_falls_back(taken, _sequential, lambda: {"optimizer": "adam", "loss": loss},
                       x, target, rtol=1e-6 if one_hot else 0.0)


def test_off_for_label_smoothing_and_a_user_subclass(taken):
    x, y = _data()
    one_hot = np.eye(3, dtype="float32")[y]

    class MyCrossentropy(losses.CategoricalCrossentropy):
        pass

    for loss in (losses.CategoricalCrossentropy(label_smoothing=0.1), MyCrossentropy()):
        _assert_falls_back(taken, _sequential, lambda lo=loss: {"optimizer": "adam",
                                                               "loss": lo}, x, one_hot)


def test_off_with_loss_weights_and_loss_scaling(taken):
    x, y = _data()
    _assert_falls_back(taken, _sequential, lambda: dict(_adam(), loss_weights=[2.0]), x, y)
    _assert_falls_back(taken, _sequential, lambda: dict(
        _adam(), optimizer=optimizers.LossScaleOptimizer(optimizers.Adam(1e-2))), x, y)


def test_off_with_hooks_and_layers_outside_the_chain(taken):
    x, y = _data()

    def hooked_layer():
        model = _sequential()
        model.layers[1].register_forward_hook(lambda *args: None)
        return model

    def hooked_model():
        model = _sequential()
        model.register_forward_hook(lambda *args: None)
        return model

    def with_dropout():
        descend.utils.set_random_seed(5)
        return descend.Sequential([layers.Input((3,)), layers.Dense(8, "relu"),
                                   layers.Dropout(0.0), layers.Dense(3, "softmax")])

    def elu_output():
        return _sequential("elu")

    for make in (hooked_layer, hooked_model, with_dropout, elu_output):
        _assert_falls_back(taken, make, lambda: {"optimizer": "adam",
                                                 "loss": "sparse_categorical_crossentropy"},
                           x, y)


def test_off_for_frozen_layers(taken):
    x, y = _data()

    def frozen():
        model = _sequential()
        model.layers[0].trainable = False
        return model

    _assert_falls_back(taken, frozen, _adam, x, y)


def test_off_for_inputs_of_higher_rank(taken):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((20, 4, 3)).astype("float32")
    y = rng.integers(0, 3, (20, 4))

    def make():
        descend.utils.set_random_seed(5)
        return descend.Sequential([layers.Input((4, 3)), layers.Dense(5, "relu"),
                                   layers.Dense(3, "softmax")])

    _assert_falls_back(taken, make, _adam, x, y)


def test_off_for_a_custom_train_step(taken):
    class Custom(descend.Sequential):
        def train_step(self, data):
            return super().train_step(data)

    x, y = _data()

    def make():
        descend.utils.set_random_seed(5)
        return Custom([layers.Input((3,)), layers.Dense(4, "relu"), layers.Dense(3, "softmax")])

    _assert_falls_back(taken, make, _adam, x, y)


def test_bad_labels_raise_the_reference_error(taken):
    x, _ = _data()
    with fusion(True):
        model = _sequential()
        model.compile(**_adam())
        model.fit(x, np.zeros(len(x), int), epochs=1, verbose=0)
        assert taken["steps"] == 2  # batch_size 32: 37 samples in two batches
        with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
            model.train_on_batch(x[:4], np.array([0, 1, 7, 2]))
        assert model._plan_train_step() is not None


def test_plan_offers_no_step_on_the_reference_path():
    model = _sequential()
    model.compile(**_adam())
    x, y = _data()
    with fusion(False):
        model.fit(x, y, epochs=1, verbose=0)
        assert model._plan_train_step() is None
    with fusion(True):
        assert model._plan_train_step() is not None
