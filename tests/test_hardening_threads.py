"""Gradient recording is per thread: ``predict`` in one thread never disturbs ``fit`` in another."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import descend
from descend.autograd import Tensor, is_grad_enabled, no_grad
from descend.layers import Dense, Dropout, Input


def _model(seed: int, functional: bool = False) -> descend.Model:
    descend.random.seed(seed)
    if functional:
        inputs = Input((6,))
        hidden = Dropout(0.2)(Dense(16, activation="relu")(inputs))
        model = descend.Model(inputs, Dense(3, activation="softmax")(hidden))
    else:
        model = descend.Sequential([Input((6,)), Dense(16, activation="relu"), Dropout(0.2),
                                    Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 6)).astype("float32")
    y = (x[:, 0] > 0).astype("int64") + (x[:, 1] > 1).astype("int64")
    return x, y


def test_no_grad_in_one_thread_leaves_another_thread_recording() -> None:
    inside, release = threading.Event(), threading.Event()
    seen: list[bool] = []

    def hold_no_grad() -> None:
        with no_grad():
            seen.append(is_grad_enabled())
            inside.set()
            release.wait(10)

    worker = threading.Thread(target=hold_no_grad)
    worker.start()
    assert inside.wait(10)
    try:
        assert is_grad_enabled()  # this thread is unaffected by the other's no_grad
        w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
        (w * w).sum().backward()
        np.testing.assert_array_equal(w.grad, [2.0, 4.0])
    finally:
        release.set()
        worker.join()
    assert seen == [False]
    assert is_grad_enabled()


def test_new_thread_starts_with_recording_on_even_inside_no_grad() -> None:
    seen: list[bool] = []
    with no_grad():
        worker = threading.Thread(target=lambda: seen.append(is_grad_enabled()))
        worker.start()
        worker.join()
    assert seen == [True]


@pytest.mark.parametrize("functional", [False, True])
def test_predict_during_fit_in_another_thread(functional: bool) -> None:
    x, y = _data()
    reference = _model(3, functional)
    reference.fit(x, y, batch_size=8, epochs=3, verbose=0)

    model = _model(3, functional)
    done = threading.Event()
    errors: list[BaseException] = []
    predictions = [0]

    def predict_forever() -> None:
        try:
            while not done.is_set():
                out = model.predict(x[:64], batch_size=16, verbose=0)
                assert out.shape == (64, 3)
                predictions[0] += 1
        except BaseException as exc:  # noqa: BLE001 - reported to the main thread
            errors.append(exc)

    worker = threading.Thread(target=predict_forever)
    worker.start()
    try:
        model.fit(x, y, batch_size=8, epochs=3, verbose=0)
    finally:
        done.set()
        worker.join()
    assert not errors, errors
    assert predictions[0] > 0
    # predict changes nothing fit depends on: the weights are those of a fit run alone
    for got, want in zip(model.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)
