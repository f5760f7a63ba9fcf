"""Keras semantics of compile/fit/evaluate/predict that descend copies."""

from __future__ import annotations

import io
import sys

import numpy as np
import pytest

import descend
from descend.callbacks import Callback
from descend.layers import Dense, Dropout


def classifier(n_in: int = 3, n_out: int = 3, activation: str = "softmax") -> descend.Sequential:
    return descend.Sequential([Dense(8, activation="relu", input_shape=(n_in,)),
                               Dense(n_out, activation=activation)])


def data(n: int = 100, n_in: int = 3, n_out: int = 3, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, n_in)).astype("float32")
    y = rng.integers(0, n_out, n)
    return x, y


class Recorder(Callback):
    def __init__(self) -> None:
        super().__init__()
        self.batches: list[int] = []
        self.epochs: list[int] = []
        self.sizes: list[int] = []

    def on_train_batch_end(self, batch, logs=None):
        self.batches.append(batch)

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append(epoch)


def test_default_batch_size_is_32_and_last_batch_is_kept() -> None:
    x, y = data(100)
    model = classifier()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    recorder = Recorder()
    model.fit(x, y, epochs=1, verbose=0, callbacks=[recorder])
    assert recorder.batches == [0, 1, 2, 3]  # ceil(100 / 32)


def test_epochs_is_the_final_index_and_initial_epoch_resumes() -> None:
    x, y = data(40)
    model = classifier()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    recorder = Recorder()
    history = model.fit(x, y, epochs=5, initial_epoch=3, verbose=0, callbacks=[recorder])
    assert recorder.epochs == [3, 4]
    assert history.epoch == [3, 4]


def test_compile_defaults_to_rmsprop() -> None:
    model = classifier()
    model.compile(loss="sparse_categorical_crossentropy")
    assert type(model.optimizer).__name__ == "RMSprop"


@pytest.mark.parametrize(
    ("n_out", "labels", "expected"),
    [(1, "binary", "BinaryAccuracy"), (3, "sparse", "SparseCategoricalAccuracy"),
     (3, "sparse_col", "SparseCategoricalAccuracy"), (3, "onehot", "CategoricalAccuracy")],
)
def test_accuracy_is_resolved_from_shapes(n_out: int, labels: str, expected: str) -> None:
    x, y = data(30, n_out=max(n_out, 2))
    if labels == "binary":
        y = (y > 0).astype("float32")
        loss = "binary_crossentropy"
    elif labels == "sparse_col":
        y = y.reshape(-1, 1)
        loss = "sparse_categorical_crossentropy"
    elif labels == "onehot":
        y = np.eye(n_out)[y]
        loss = "categorical_crossentropy"
    else:
        loss = "sparse_categorical_crossentropy"
    model = classifier(n_out=n_out, activation="sigmoid" if n_out == 1 else "softmax")
    model.compile(optimizer="adam", loss=loss, metrics=["acc"])
    history = model.fit(x, y, epochs=1, verbose=0)
    assert type(model.compiled_metrics.metrics[0]).__name__ == expected
    assert "acc" in history.history and "accuracy" not in history.history


def test_history_keys_and_validation_prefix() -> None:
    x, y = data(50)
    model = classifier()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=3, validation_split=0.2, verbose=0)
    assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert all(len(v) == 3 for v in history.history.values())
    assert history.params["epochs"] == 3 and history.params["steps"] == 2


def test_validation_split_takes_the_tail_before_shuffling() -> None:
    x, y = data(50)
    model = classifier()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=1, validation_split=0.2, verbose=0, shuffle=True)
    expected = model.evaluate(x[40:], y[40:], verbose=0)
    assert history.history["val_loss"][0] == pytest.approx(expected[0], rel=1e-6)


def test_single_class_validation_tail_warns() -> None:
    x, _ = data(50)
    y = np.sort(np.random.default_rng(0).integers(0, 3, 50))
    model = classifier()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    with pytest.warns(UserWarning, match="BEFORE shuffling"):
        model.fit(x, y, epochs=1, validation_split=0.1, verbose=0)


def test_evaluate_returns_loss_then_metrics_in_compile_order() -> None:
    x, y = data(40)
    model = classifier()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy", "sparse_top_k_categorical_accuracy"])
    result = model.evaluate(x, y, verbose=0)
    assert isinstance(result, list) and len(result) == 3
    as_dict = model.evaluate(x, y, verbose=0, return_dict=True)
    assert list(as_dict) == ["loss", "accuracy", "sparse_top_k_categorical_accuracy"]
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    assert isinstance(model.evaluate(x, y, verbose=0), float)


def test_dropout_acts_only_in_training() -> None:
    model = descend.Sequential([Dense(4, input_shape=(3,)), Dropout(0.5)])
    x = np.ones((5, 3), "float32")
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))
    out = model(x, training=True).data
    assert (out == 0).any()


def test_logged_loss_includes_regularization() -> None:
    x, y = data(32)
    model = descend.Sequential([Dense(3, input_shape=(3,), kernel_regularizer="l2",
                                      activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    logged = model.evaluate(x, y, verbose=0)
    plain = descend.losses.sparse_categorical_crossentropy(
        y, descend.Tensor(model.predict(x, verbose=0))).data.mean()
    penalty = 0.01 * float((model.layers[0].kernel.data ** 2).sum())
    assert logged == pytest.approx(plain + penalty, rel=1e-5)


def test_verbose_2_prints_keras_lines(capsys: pytest.CaptureFixture[str]) -> None:
    x, y = data(50)
    model = classifier()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=10, verbose=2)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Epoch 1/2"
    assert out[1].startswith("5/5 - ") and "/step - accuracy: " in out[1]
    assert out[1].index("accuracy") < out[1].index("loss")


def test_verbose_1_off_terminal_prints_one_clean_line_per_epoch(monkeypatch) -> None:
    buffer = io.StringIO()
    monkeypatch.setattr(sys, "stdout", buffer)
    x, y = data(50)
    model = classifier()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, epochs=3, batch_size=10, verbose=1)
    text = buffer.getvalue()
    assert "\r" not in text and "\b" not in text and "\x1b" not in text
    assert len([line for line in text.splitlines() if line.startswith("5/5")]) == 3


def test_predict_small_input_and_train_on_batch_return_values() -> None:
    x, y = data(20)
    model = classifier()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    assert model.predict(x[:1], verbose=0).shape == (1, 3)
    loss, acc = model.train_on_batch(x, y)
    assert np.isfinite(loss) and 0 <= acc <= 1
    assert isinstance(model.test_on_batch(x, y, return_dict=True), dict)
    assert model.predict_on_batch(x).shape == (20, 3)


def test_stop_training_from_a_callback_ends_fit_after_the_batch() -> None:
    class Stopper(Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                self.model.stop_training = True

    x, y = data(100)
    model = classifier()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=5, batch_size=10, verbose=0, callbacks=[Stopper()])
    assert history.epoch == [0]
    assert model.optimizer.iterations == 2


def test_float64_end_to_end() -> None:
    descend.config.set_floatx("float64")
    x, y = data(30)
    model = classifier()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, verbose=0)
    assert all(w.dtype == np.float64 for w in model.weights)
    assert model.predict(x, verbose=0).dtype == np.float64


def test_float32_stays_float32() -> None:
    x, y = data(30)
    model = classifier()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x.astype("float64"), y, epochs=1, verbose=0)
    assert all(w.dtype == np.float32 for w in model.weights)
    assert model.predict(x, verbose=0).dtype == np.float32
