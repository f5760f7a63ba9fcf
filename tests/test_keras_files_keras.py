"""Keras 3 files both ways, checked against real Keras (the ``interop`` test extra).

Skipped, with the reason shown, when h5py or Keras 3 (torch backend) is absent. Run::

    pip install -e ".[test,keras,interop]"
    KERAS_BACKEND=torch python -m pytest tests/test_keras_files_keras.py
"""

from __future__ import annotations

import os

import numpy as np
import pytest

pytest.importorskip("h5py", reason="Keras files need h5py: pip install '.[keras]'")
os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras", reason="needs real Keras 3: pip install '.[interop]'")

import descend  # noqa: E402
import descend.layers as dl  # noqa: E402
from test_keras_files_zoo import (  # noqa: E402
    RECIPES,
    build,
    flat,
    inputs_for,
    randomize,
    two_dense_class,
)

TOL = 1e-5


def _predict(model, x):
    return flat(model.predict(x, verbose=0))


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_descend_model_loads_in_keras(tmp_path, name) -> None:
    model = build(name, dl, descend)
    randomize(model)
    model.compile(optimizer="adam", loss="mse")
    x = inputs_for(model)
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert np.abs(_predict(loaded, x) - _predict(model, x)).max() <= TOL
    model.save_weights(str(tmp_path / "w.weights.h5"))
    twin = build(name, keras.layers, keras)
    twin.load_weights(str(tmp_path / "w.weights.h5"))
    assert np.abs(_predict(twin, x) - _predict(model, x)).max() <= TOL


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_keras_model_loads_in_descend(tmp_path, name) -> None:
    model = build(name, keras.layers, keras)
    randomize(model, seed=3)
    model.compile(optimizer="rmsprop", loss="mse")
    x = inputs_for(model, seed=4)
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = descend.models.load_model(path)
    assert type(loaded.optimizer).__name__ == "RMSprop"
    assert np.abs(_predict(loaded, x) - _predict(model, x)).max() <= TOL
    model.save_weights(str(tmp_path / "w.weights.h5"))
    twin = build(name, dl, descend)
    twin.load_weights(str(tmp_path / "w.weights.h5"))
    assert np.abs(_predict(twin, x) - _predict(model, x)).max() <= TOL


@pytest.mark.parametrize(("optimizer", "kwargs"), [
    ("Adam", {"learning_rate": 0.01}), ("SGD", {"learning_rate": 0.05, "momentum": 0.9}),
    ("RMSprop", {"learning_rate": 0.01, "centered": True}), ("Adagrad", {"learning_rate": 0.1}),
    ("AdamW", {"learning_rate": 0.01}), ("Nadam", {"learning_rate": 0.01}),
    ("Adamax", {"learning_rate": 0.01}), ("Adadelta", {"learning_rate": 0.5}),
])
def test_training_resumes_across_libraries(tmp_path, optimizer, kwargs) -> None:
    """Train in one library, save ``.keras``, train on in the other: same as uninterrupted."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 6)).astype("float32")
    y = rng.normal(size=(16, 3)).astype("float32")
    for first, second in [(descend, keras), (keras, descend)]:
        first_layers = dl if first is descend else keras.layers
        model = build("dense", first_layers, first)
        randomize(model)
        model.layers[1].rate = 0.0  # Dropout off: both libraries then compute the same thing
        model.compile(optimizer=getattr(first.optimizers, optimizer)(**kwargs), loss="mse")
        model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
        path = str(tmp_path / f"{optimizer}.keras")
        model.save(path)
        loader = descend.models.load_model if second is descend else keras.saving.load_model
        resumed = loader(path)
        assert int(np.asarray(resumed.optimizer.iterations)) == 3
        model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
        resumed.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
        for a, b in zip(model.get_weights(), resumed.get_weights(), strict=True):
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-5, rtol=1e-4)


def test_registered_subclassed_model_both_ways(tmp_path) -> None:
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "fixtures", "keras"))
    try:
        import make_fixtures
    finally:
        sys.path.pop(0)

    TwoDense = two_dense_class()

    x = np.random.default_rng(5).normal(size=(4, 3)).astype("float32")
    ours = TwoDense(units=3)
    ours(x)
    randomize(ours)
    path = str(tmp_path / "sub.keras")
    ours.save(path)
    theirs = keras.saving.load_model(path)
    assert isinstance(theirs, make_fixtures.TwoDense)
    assert np.abs(_predict(theirs, x) - _predict(ours, x)).max() <= TOL
    theirs.save(str(tmp_path / "back.keras"))
    again = descend.models.load_model(str(tmp_path / "back.keras"))
    assert isinstance(again, TwoDense) and again.units == 3
    assert np.abs(_predict(again, x) - _predict(ours, x)).max() <= TOL


def test_model_checkpoint_writes_keras_files(tmp_path) -> None:
    model = build("dense", dl, descend)
    model.compile(optimizer="adam", loss="mse")
    x = np.ones((4, 6), dtype="float32")
    path = str(tmp_path / "ckpt.keras")
    model.fit(x, np.ones((4, 3), dtype="float32"), epochs=1, verbose=0,
              callbacks=[descend.callbacks.ModelCheckpoint(path)])
    loaded = keras.saving.load_model(path)
    assert np.abs(_predict(loaded, x) - _predict(model, x)).max() <= TOL


def test_rich_configs_translate_both_ways(tmp_path) -> None:
    """Regularizers, constraints, seeded initializers, a schedule, a loss with arguments,
    metrics and a frozen layer: Keras's model loads in descend and trains on identically."""
    model = keras.Sequential([
        keras.Input((4,)),
        keras.layers.Dense(3, activation="gelu",
                           kernel_regularizer=keras.regularizers.L1L2(0.01, 0.02),
                           kernel_constraint=keras.constraints.MaxNorm(2.0),
                           kernel_initializer=keras.initializers.HeNormal(seed=3),
                           bias_initializer=keras.initializers.Constant(0.1)),
        keras.layers.Dense(2, activation="softmax", trainable=False)])
    schedule = keras.optimizers.schedules.ExponentialDecay(0.01, 10, 0.9)
    model.compile(optimizer=keras.optimizers.Adam(schedule),
                  loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.1),
                  metrics=["accuracy", "mae"])
    x = np.random.default_rng(0).normal(size=(8, 4)).astype("float32")
    y = np.eye(2, dtype="float32")[np.arange(8) % 2]
    model.fit(x, y, verbose=0)
    model.save(str(tmp_path / "rich.keras"))
    ours = descend.models.load_model(str(tmp_path / "rich.keras"))
    assert not ours.layers[1].trainable and ours.optimizer.iterations == 1
    theirs_eval = model.evaluate(x, y, verbose=0, return_dict=True)
    ours_eval = ours.evaluate(x, y, verbose=0, return_dict=True)
    for key in ("loss", "accuracy", "mae"):
        assert abs(theirs_eval[key] - ours_eval[key]) <= 1e-5, key
    model.fit(x, y, verbose=0)
    ours.fit(x, y, verbose=0)
    for a, b in zip(model.get_weights(), ours.get_weights(), strict=True):
        np.testing.assert_allclose(np.asarray(a), b, atol=1e-6)
    ours.save(str(tmp_path / "back.keras"))
    back = keras.saving.load_model(str(tmp_path / "back.keras"))
    assert int(back.optimizer.iterations) == 2
    assert np.abs(_predict(back, x) - _predict(ours, x)).max() <= TOL


def _nested_classes(lib, layers):
    """A subclassed model with a list of layers, a custom layer holding a private
    sublayer, and a dict of layers (saved by Keras under ``layers/``), in ``lib``."""
    register = (keras.saving.register_keras_serializable if lib is keras
                else descend.saving.register_keras_serializable)

    @register(package="nested")
    class Block(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = layers.Dense(3, activation="tanh")
            self._private = layers.Dense(3)

        def call(self, inputs):
            return self._private(self.inner(inputs))

    @register(package="nested")
    class Net(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.blocks = [layers.Dense(3), layers.Dense(3), Block()]
            self.table = {"out": layers.Dense(2)}
            self.zeta = layers.Dense(3)  # sorted after "layers"

        def call(self, inputs):
            for block in self.blocks:
                inputs = block(inputs)
            return self.table["out"](self.zeta(inputs))

    return Net


def test_nested_subclassed_weights_use_keras_paths(tmp_path) -> None:
    theirs = _nested_classes(keras, keras.layers)()
    ours = _nested_classes(descend, dl)()
    x = np.random.default_rng(6).normal(size=(3, 4)).astype("float32")
    theirs(x)
    ours(x)
    randomize(theirs, seed=7)
    theirs.save_weights(str(tmp_path / "k.weights.h5"))
    ours.load_weights(str(tmp_path / "k.weights.h5"))
    assert np.abs(_predict(ours, x) - _predict(theirs, x)).max() <= TOL
    randomize(ours, seed=8)
    ours.save_weights(str(tmp_path / "d.weights.h5"))
    theirs.load_weights(str(tmp_path / "d.weights.h5"))
    assert np.abs(_predict(ours, x) - _predict(theirs, x)).max() <= TOL
