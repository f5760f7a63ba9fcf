"""descend chooses the BLAS threads of fit, evaluate and predict by matrix size, overridably."""

from __future__ import annotations

import numpy as np
import pytest

import descend
from descend import config, threads
from descend.layers import Dense, Input

needs_blas = pytest.mark.skipif(not threads.blas_libraries(),
                                reason="no controllable BLAS library in this NumPy")


@pytest.fixture(autouse=True)
def _default_setting(monkeypatch):
    monkeypatch.setattr(config, "_BLAS_ENV_RAW", None)
    monkeypatch.setattr(config, "_BLAS_THREADS_SET", False)
    monkeypatch.setattr(config, "_BLAS_THREADS", "auto")
    before = threads.blas_threads()
    yield
    if before is not None:                      # leave the library as the test found it
        for lib in threads.blas_libraries():
            lib.set(before)
        threads._APPLIED = before


class Recorder(descend.callbacks.Callback):
    """The BLAS threads seen inside fit, at every epoch's end and in evaluate/predict."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[int | None] = []

    def on_epoch_end(self, epoch, logs=None):
        self.seen.append(threads.blas_threads())

    def on_test_end(self, logs=None):
        self.seen.append(threads.blas_threads())

    def on_predict_end(self, logs=None):
        self.seen.append(threads.blas_threads())


def small_model() -> descend.Sequential:
    model = descend.Sequential([Input(shape=(4,)), Dense(8, activation="relu"), Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def data(n: int = 64) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.standard_normal((n, 4)).astype("float32"), rng.standard_normal((n, 2)).astype(
        "float32")


def test_the_setting_and_the_environment_variable(monkeypatch) -> None:
    assert config.blas_threads() == "auto"
    # the variable as it was at import (read once: predict asks for the setting every call)
    monkeypatch.setattr(config, "_BLAS_ENV_RAW", "3")
    assert config.blas_threads() == 3
    monkeypatch.setattr(config, "_BLAS_ENV_RAW", " off ")
    assert config.blas_threads() is None
    monkeypatch.setattr(config, "_BLAS_ENV_RAW", "many")
    with pytest.raises(ValueError, match="DESCEND_BLAS_THREADS"):
        config.blas_threads()
    config.set_blas_threads(2)                     # the function overrides the variable
    assert config.blas_threads() == 2
    config.set_blas_threads(None)
    assert config.blas_threads() is None
    config.set_blas_threads("adaptive")
    assert config.blas_threads() == "adaptive"
    for bad in (0, -1, 1.5, True, "fast"):
        with pytest.raises(ValueError, match="set_blas_threads"):
            config.set_blas_threads(bad)


def test_the_auto_rule() -> None:
    assert threads.auto_threads(10 * 16 * 32, cores=16, load=0.0) == 1    # tiny products: 1
    big = threads.SMALL_PRODUCT
    assert threads.auto_threads(big, cores=1, load=0.0) == 1
    assert threads.auto_threads(big, cores=4, load=0.0) == 4
    assert threads.auto_threads(big, cores=4, load=1.0) == 3
    assert threads.auto_threads(big, cores=2, load=1.7) == 1               # the busy machine
    assert threads.auto_threads(big, cores=2, load=9.0) == 1
    # other processes' load: the machine's busy time minus this process's own
    assert threads.load_between((0.0, 10.0, 5.0), (2.0, 13.0, 6.0)) == pytest.approx(1.0)
    assert threads.load_between((0.0, 10.0, 5.0), (1.0, 10.5, 5.9)) == 0.0
    model = small_model()
    assert threads.largest_product(model, 32) == 4 * 8 * 32


@needs_blas
def test_limit_blas_threads_sets_and_restores() -> None:
    before = threads.blas_threads()
    with threads.limit_blas_threads(1):
        assert threads.blas_threads() == 1
    assert threads.blas_threads() == before


@needs_blas
@pytest.mark.parametrize("setting", ["auto", 1, None])
def test_fit_evaluate_predict_use_the_setting(setting) -> None:
    for lib in threads.blas_libraries():
        lib.set(2)                                    # as NumPy starts on 2 or more cores
    config.set_blas_threads(setting)
    model, (x, y), recorder = small_model(), data(), Recorder()
    model.fit(x, y, epochs=2, batch_size=16, validation_split=0.25, verbose=0,
              callbacks=[recorder])
    model.evaluate(x, y, batch_size=16, verbose=0, callbacks=[recorder])
    model.predict(x, batch_size=16, verbose=0, callbacks=[recorder])
    expected = 2 if setting is None else 1            # auto: the products here are tiny
    assert recorder.seen and set(recorder.seen) == {expected}
    for call in (lambda: model.train_on_batch(x, y), lambda: model.test_on_batch(x, y),
                 lambda: model.predict_on_batch(x), lambda: model.predict(x[:4], verbose=0)):
        for lib in threads.blas_libraries():
            lib.set(2)
        threads._APPLIED = None
        call()
        assert threads.blas_threads() == expected


@needs_blas
def test_fit_and_train_on_batch_agree_bit_for_bit() -> None:
    """OpenBLAS's results depend on its thread count: every entry point uses the same rule."""
    x = np.random.default_rng(1).standard_normal((64, 784)).astype("float32")
    y = np.random.default_rng(2).integers(0, 10, 64)

    def build():
        descend.utils.set_random_seed(0)
        model = descend.Sequential([Input(shape=(784,)), Dense(256, activation="relu"),
                                    Dense(10, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        return model

    fitted, stepped = build(), build()
    for lib in threads.blas_libraries():
        lib.set(2)
    threads._APPLIED = None
    fitted.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0)
    for lib in threads.blas_libraries():
        lib.set(2)
    threads._APPLIED = None
    for start in (0, 32):
        stepped.train_on_batch(x[start:start + 32], y[start:start + 32])
    for a, b in zip(fitted.get_weights(), stepped.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


@needs_blas
def test_large_products_use_every_core_or_the_free_ones(monkeypatch) -> None:
    model = descend.Sequential([Input(shape=(784,)), Dense(4096), Dense(10)])
    model.compile(optimizer="sgd", loss="mse")
    assert threads.largest_product(model, 256) >= threads.SMALL_PRODUCT
    cores = threads.usable_cores()
    assert threads.choose(model, 256) == cores                     # auto: machine only
    assert threads.choose(model, 8) == 1                           # small batch: small product
    config.set_blas_threads("adaptive")
    x, y = np.zeros((256, 784), "float32"), np.zeros((256, 10), "float32")
    for load, expected in ((0.0, cores), (float(cores) + 1.0, 1)):
        monkeypatch.setattr(threads, "others_load", lambda load=load: load)
        monkeypatch.setattr(threads, "load_between", lambda a, b, load=load: load)
        recorder = Recorder()
        model.fit(x, y, epochs=2, batch_size=256, verbose=0, callbacks=[recorder])
        assert recorder.seen == [expected, expected]


def test_the_environment_variable_is_read_at_import() -> None:
    import os
    import subprocess
    import sys

    code = ("import numpy as np, descend; from descend import config, layers, threads; "
            "m = descend.Sequential([layers.Input(shape=(4,)), layers.Dense(2)]); "
            "m.predict(np.ones((3, 4)), verbose=0); "
            "print(config.blas_threads(), threads.blas_threads())")
    env = dict(os.environ, DESCEND_BLAS_THREADS="1")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True, env=env)
    expected = "1 1" if threads.blas_libraries() else "1 None"
    assert out.stdout.strip() == expected


def test_import_does_not_touch_blas() -> None:
    # choosing threads happens in fit/evaluate/predict only, never at import
    import subprocess
    import sys

    code = ("import descend, descend.threads as t; import numpy; "
            "print(t._LIBRARIES is None)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True)
    assert out.stdout.strip() == "True"
