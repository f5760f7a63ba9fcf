"""Validation during ``fit`` and the weighting of samples and classes, with Keras's semantics.

Validation: ``validation_split`` holds out the *last* fraction before any
shuffling, ``validation_data`` takes 2- or 3-tuples and overrides the split,
``validation_freq`` (int or list of 1-based epochs), ``validation_batch_size``,
``val_`` keys in History and in the progress line.
Weights: ``sample_weight`` weights the loss (sum over the batch size), and
``class_weight`` is the same thing built from the labels; plain metrics ignore
both, ``weighted_metrics`` use them.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import descend
from descend.callbacks import Callback
from descend.layers import Dense, Input
from descend.utils import set_random_seed


def classifier(n_in: int = 3, n_out: int = 3) -> descend.Sequential:
    return descend.Sequential([Input((n_in,)), Dense(8, activation="relu"),
                               Dense(n_out, activation="softmax")])


def data(n: int = 40, n_in: int = 3, n_out: int = 3, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, n_in)).astype("float32")
    y = rng.integers(0, n_out, n)
    return x, y


def twin_models(optimizer: str = "sgd", **compile_kwargs):
    """Two compiled models with identical initial weights."""
    first, second = classifier(), classifier()
    second.set_weights(first.get_weights())
    for model in (first, second):
        model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                      **compile_kwargs)
    return first, second


def assert_same_weights(a: descend.Model, b: descend.Model) -> None:
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)


def fit_seeded(model, *args, **kwargs):
    set_random_seed(7)
    return model.fit(*args, verbose=0, **kwargs)


class BatchCounter(Callback):
    """Counts the validation batches run at each validation inside fit."""

    def __init__(self) -> None:
        super().__init__()
        self.test_batches = 0
        self.epoch_logs: list[dict] = []

    def on_test_batch_end(self, batch, logs=None):
        self.test_batches += 1

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_logs.append(dict(logs))


# ------------------------------------------------------------------ validation_split
def test_validation_split_trains_on_the_head_and_validates_on_the_tail() -> None:
    x, y = data(40)
    split, plain = twin_models()
    history = fit_seeded(split, x, y, epochs=3, batch_size=8, shuffle=True,
                         validation_split=0.25)
    fit_seeded(plain, x[:30], y[:30], epochs=3, batch_size=8, shuffle=True)
    assert_same_weights(split, plain)  # the tail never reached training, even shuffled
    assert history.history["val_loss"][-1] == pytest.approx(
        split.evaluate(x[30:], y[30:], verbose=0), rel=1e-6)


def test_validation_split_size_is_the_floor_rule() -> None:
    x, y = data(10)
    model = classifier()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    counter = BatchCounter()
    model.fit(x, y, epochs=1, verbose=0, validation_split=0.25, validation_batch_size=1,
              callbacks=[counter])
    assert counter.test_batches == 3  # split_at = floor(10 * 0.75) = 7


def test_validation_split_tail_takes_its_sample_weights() -> None:
    x, y = data(40)
    w = np.linspace(0.5, 2.0, 40)
    model = classifier()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, sample_weight=w, epochs=1, verbose=0, validation_split=0.25)
    assert history.history["val_loss"][0] == pytest.approx(
        model.evaluate(x[30:], y[30:], sample_weight=w[30:], verbose=0), rel=1e-6)


@pytest.mark.parametrize(("fraction", "match"), [
    (0.95, "not sufficient to split"), (1.0, "in \\[0, 1\\)"), (-0.1, "in \\[0, 1\\)"),
])
def test_validation_split_errors(fraction, match) -> None:
    x, y = data(10)
    model = classifier()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=match):
        model.fit(x, y, validation_split=fraction, verbose=0)


def test_single_class_tail_warns_for_sorted_one_hot_labels() -> None:
    x, y = data(40)
    onehot = np.eye(3, dtype="float32")[np.sort(y)]
    model = classifier()
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    with pytest.warns(UserWarning, match="all belong to class"):
        model.fit(x, onehot, validation_split=0.2, verbose=0)


def test_no_single_class_warning_for_mixed_tails_or_regression() -> None:
    x, y = data(40)
    model = classifier()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    regressor = descend.Sequential([Input((3,)), Dense(1)])
    regressor.compile(optimizer="sgd", loss="mse")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(x, y, validation_split=0.2, verbose=0)
        regressor.fit(x, x[:, :1] * 0.5 + 0.25, validation_split=0.2, verbose=0)


# ------------------------------------------------------------------ validation_data
def test_validation_data_pairs_and_triples() -> None:
    x, y = data(40)
    xv, yv = data(12, seed=1)
    wv = np.arange(12) % 3 * 0.5
    model = classifier()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    pair = model.fit(x, y, epochs=1, verbose=0, validation_data=(xv, yv))
    assert pair.history["val_loss"][0] == pytest.approx(model.evaluate(xv, yv, verbose=0)[0],
                                                         rel=1e-6)
    triple = model.fit(x, y, epochs=1, verbose=0, validation_data=(xv, yv, wv))
    weighted = model.evaluate(xv, yv, sample_weight=wv, verbose=0)
    assert triple.history["val_loss"][0] == pytest.approx(weighted[0], rel=1e-6)
    assert triple.history["val_loss"][0] != pytest.approx(model.evaluate(xv, yv, verbose=0)[0])
    as_list = model.fit(x, y, epochs=1, verbose=0, validation_data=[xv, yv, None])
    assert "val_loss" in as_list.history


def test_validation_data_overrides_validation_split() -> None:
    x, y = data(40)
    xv, yv = data(12, seed=1)
    split, plain = twin_models()
    history = fit_seeded(split, x, y, epochs=2, validation_split=0.5, validation_data=(xv, yv))
    fit_seeded(plain, x, y, epochs=2)
    assert_same_weights(split, plain)  # all 40 samples trained
    assert history.history["val_loss"][-1] == pytest.approx(split.evaluate(xv, yv, verbose=0),
                                                             rel=1e-6)


@pytest.mark.parametrize("bad", [(np.zeros((4, 3)),), (1, 2, 3, 4), np.zeros((4, 3))])
def test_malformed_validation_data(bad) -> None:
    x, y = data(8)
    model = classifier()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="validation_data"):
        model.fit(x, y, validation_data=bad, verbose=0)


def test_validation_data_with_wrong_lengths_names_the_problem() -> None:
    x, y = data(8)
    model = classifier()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="cardinality"):
        model.fit(x, y, validation_data=(x, y[:5]), verbose=0)
    with pytest.raises(ValueError, match="validation sample_weight"):
        model.fit(x, y, validation_data=(x, y, np.ones(3)), verbose=0)


# ------------------------------------------------------- validation_freq / batch size
@pytest.mark.parametrize(("freq", "validated"), [(1, [0, 1, 2, 3, 4]), (2, [1, 3]),
                                                  ([1, 4], [0, 3]), (5, [4])])
def test_validation_freq(freq, validated) -> None:
    x, y = data(20)
    model = classifier()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    recorder = BatchCounter()
    history = model.fit(x, y, epochs=5, verbose=0, validation_data=(x, y),
                        validation_freq=freq, callbacks=[recorder])
    assert [i for i, logs in enumerate(recorder.epoch_logs) if "val_loss" in logs] == validated
    assert len(history.history["val_loss"]) == len(validated)
    assert len(history.history["val_accuracy"]) == len(validated)
    assert len(history.history["loss"]) == 5


@pytest.mark.parametrize("freq", [0, -1, "2", 1.5])
def test_bad_validation_freq(freq) -> None:
    x, y = data(8)
    model = classifier()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="validation_freq"):
        model.fit(x, y, validation_data=(x, y), validation_freq=freq, verbose=0)


@pytest.mark.parametrize(("validation_batch_size", "batches"), [(None, 3), (6, 4), (100, 1)])
def test_validation_batch_size(validation_batch_size, batches) -> None:
    x, y = data(20)
    model = classifier()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    counter = BatchCounter()
    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0, validation_data=(x, y),
                        validation_batch_size=validation_batch_size, callbacks=[counter])
    assert counter.test_batches == batches
    assert history.history["val_loss"][0] == pytest.approx(model.evaluate(x, y, verbose=0),
                                                           rel=1e-6)


def test_bad_validation_batch_size() -> None:
    x, y = data(8)
    model = classifier()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="validation_batch_size"):
        model.fit(x, y, validation_data=(x, y), validation_batch_size=0, verbose=0)


def test_val_logs_in_history_and_in_the_verbose_2_line(capsys) -> None:
    x, y = data(20)
    model = classifier()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, batch_size=10, epochs=2, verbose=2, validation_split=0.5)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4  # validation inside fit prints nothing of its own
    assert lines[0] == "Epoch 1/2" and lines[1].startswith("1/1 - ")
    assert lines[1].endswith(f"val_loss: {history.history['val_loss'][0]:.4f}")
    assert f"val_accuracy: {history.history['val_accuracy'][0]:.4f}" in lines[1]
    assert list(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]


# ------------------------------------------------------------------ sample_weight
def test_zero_weight_samples_do_not_influence_training() -> None:
    x, y = data(40)
    w = np.where(np.arange(40) % 4 == 0, 0.0, 1.0)
    other_y = np.where(w == 0, (y + 1) % 3, y)
    first, second = twin_models()
    fit_seeded(first, x, y, sample_weight=w, epochs=2, batch_size=8)
    fit_seeded(second, x, other_y, sample_weight=w, epochs=2, batch_size=8)
    assert_same_weights(first, second)


def test_sample_weight_scales_the_loss_gradient() -> None:
    x, y = data(32)
    doubled, plain = classifier(), classifier()
    plain.set_weights(doubled.get_weights())
    doubled.compile(optimizer=descend.optimizers.SGD(0.05), loss="sparse_categorical_crossentropy")
    plain.compile(optimizer=descend.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    doubled.fit(x, y, sample_weight=np.full(32, 2.0), batch_size=32, epochs=1, verbose=0)
    plain.fit(x, y, batch_size=32, epochs=1, verbose=0)
    for a, b in zip(doubled.get_weights(), plain.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_weighted_loss_is_the_sum_over_the_batch_size() -> None:
    x, y = data(40)  # two batches of 32 and 8: the tracker weights them by size
    w = np.linspace(0.0, 2.0, 40)
    model = classifier()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    per_sample = np.asarray(descend.losses.sparse_categorical_crossentropy(
        y, model.predict(x, verbose=0)))
    loss, accuracy = model.evaluate(x, y, sample_weight=w, verbose=0)
    assert loss == pytest.approx(float(np.sum(w * per_sample) / 40), rel=1e-5)
    assert accuracy == model.evaluate(x, y, verbose=0)[1]  # plain metrics ignore weights


@pytest.mark.parametrize(("weights", "match"), [(np.ones(5), "one weight per sample"),
                                                (-np.ones(8), "non-negative"),
                                                (np.array(["a"] * 8), "numeric")])
def test_bad_sample_weight(weights, match) -> None:
    x, y = data(8)
    model = classifier()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises((ValueError, TypeError), match=match):
        model.fit(x, y, sample_weight=weights, verbose=0)
    with pytest.raises((ValueError, TypeError), match=match):
        model.evaluate(x, y, sample_weight=weights, verbose=0)


# ------------------------------------------------------------------ class_weight
def test_class_weight_is_sample_weight_from_the_labels() -> None:
    x, y = data(40)
    class_weight = {0: 1.0, 1: 5.0}  # class 2 unlisted: weight 1
    by_class, by_sample = twin_models()
    fit_seeded(by_class, x, y, class_weight=class_weight, epochs=2, batch_size=8)
    fit_seeded(by_sample, x, y, sample_weight=np.array([1.0, 5.0, 1.0])[y], epochs=2,
               batch_size=8)
    assert_same_weights(by_class, by_sample)


@pytest.mark.parametrize("layout", ["onehot", "column"])
def test_class_weight_with_one_hot_and_column_labels(layout) -> None:
    x, y = data(40)
    if layout == "onehot":
        labels, loss = np.eye(3, dtype="float32")[y], "categorical_crossentropy"
    else:
        labels, loss = y.reshape(-1, 1), "sparse_categorical_crossentropy"
    first, second = classifier(), classifier()
    second.set_weights(first.get_weights())
    for model in (first, second):
        model.compile(optimizer="sgd", loss=loss)
    fit_seeded(first, x, labels, class_weight={2: 3.0}, epochs=1, batch_size=8)
    fit_seeded(second, x, labels, sample_weight=np.where(y == 2, 3.0, 1.0), epochs=1,
               batch_size=8)
    assert_same_weights(first, second)


def test_class_weight_and_sample_weight_together_is_keras_error() -> None:
    x, y = data(8)
    model = classifier()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="You cannot `class_weight` and `sample_weight` at the "
                                         "same time."):
        model.fit(x, y, class_weight={0: 2.0}, sample_weight=np.ones(8), verbose=0)


@pytest.mark.parametrize(("class_weight", "error", "match"), [
    ({"0": 2.0}, ValueError, "keys from 0"), ({1.5: 2.0}, ValueError, "keys from 0"),
    ([1.0, 2.0], TypeError, "must be a dict"),
])
def test_bad_class_weight(class_weight, error, match) -> None:
    x, y = data(8)
    model = classifier()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(error, match=match):
        model.fit(x, y, class_weight=class_weight, verbose=0)


def test_class_weight_needs_a_single_output() -> None:
    inputs = Input((3,))
    model = descend.Model(inputs, [Dense(3, activation="softmax")(inputs), Dense(1)(inputs)])
    model.compile(optimizer="sgd", loss=["sparse_categorical_crossentropy", "mse"])
    x, y = data(8)
    with pytest.raises(ValueError, match="one output"):
        model.fit(x, [y, np.zeros((8, 1))], class_weight={0: 2.0}, verbose=0)


def test_class_weight_does_not_weight_the_validation_split() -> None:
    x, y = data(40)
    model = classifier()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, class_weight={0: 10.0}, epochs=1, verbose=0,
                        validation_split=0.25)
    assert history.history["val_loss"][0] == pytest.approx(
        model.evaluate(x[30:], y[30:], verbose=0), rel=1e-6)


# --------------------------------------------------------------- weighted_metrics
def test_weighted_and_plain_metrics_differ_as_in_keras() -> None:
    x, y = data(40)
    w = np.where(np.arange(40) < 20, 3.0, 0.5)
    model = classifier()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], weighted_metrics=["accuracy"])
    correct = (model.predict(x, verbose=0).argmax(1) == y).astype(float)
    logs = model.evaluate(x, y, sample_weight=w, verbose=0, return_dict=True)
    assert list(logs) == ["loss", "accuracy", "weighted_accuracy"]
    assert logs["accuracy"] == pytest.approx(correct.mean(), rel=1e-6)
    assert logs["weighted_accuracy"] == pytest.approx(np.sum(w * correct) / np.sum(w), rel=1e-6)
    assert logs["accuracy"] != pytest.approx(logs["weighted_accuracy"])
    unweighted = model.evaluate(x, y, verbose=0, return_dict=True)
    assert unweighted["weighted_accuracy"] == pytest.approx(unweighted["accuracy"])


def test_weighted_regression_metric() -> None:
    x, _ = data(40)
    target = x[:, :1] * 2.0
    w = np.linspace(0.1, 3.0, 40)
    model = descend.Sequential([Input((3,)), Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"], weighted_metrics=["mae"])
    error = np.abs(model.predict(x, verbose=0) - target)[:, 0]
    logs = model.evaluate(x, target, sample_weight=w, verbose=0, return_dict=True)
    assert logs["mae"] == pytest.approx(error.mean(), rel=1e-5)
    assert logs["weighted_mae"] == pytest.approx(np.sum(w * error) / np.sum(w), rel=1e-5)


def test_weighted_metrics_during_fit_and_validation() -> None:
    x, y = data(40)
    w = np.where(y == 0, 4.0, 1.0)
    model = classifier()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                  weighted_metrics=["accuracy"])
    # one full batch: the training metric sees the outputs from before the step
    before = model.evaluate(x, y, sample_weight=w, verbose=0, return_dict=True)["accuracy"]
    history = model.fit(x, y, sample_weight=w, batch_size=40, epochs=1, verbose=0,
                        validation_data=(x, y, w))
    after = model.evaluate(x, y, sample_weight=w, verbose=0, return_dict=True)["accuracy"]
    assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert history.history["accuracy"][0] == pytest.approx(before, rel=1e-6)
    assert history.history["val_accuracy"][0] == pytest.approx(after, rel=1e-6)
    now = model.evaluate(x, y, sample_weight=w, verbose=0, return_dict=True)["accuracy"]
    by_class = model.fit(x, y, class_weight={0: 4.0}, batch_size=40, epochs=1, verbose=0)
    assert by_class.history["accuracy"][0] == pytest.approx(now, rel=1e-6)
