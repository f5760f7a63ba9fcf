"""Networks actually learn: XOR with plain SGD, a regression with MSE, the course example."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

import descend
from descend.layers import Dense
from descend.optimizers import SGD, Adam
from descend.utils import set_random_seed

ROOT = Path(__file__).resolve().parents[1]


def test_xor_is_learned_with_plain_sgd() -> None:
    set_random_seed(3)
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float32")
    y = np.array([[0], [1], [1], [0]], dtype="float32")
    model = descend.Sequential([
        Dense(8, activation="tanh", input_shape=(2,)),
        Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=SGD(learning_rate=0.5), loss="binary_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, batch_size=4, epochs=1500, verbose=0)
    assert history.history["loss"][-1] < 0.05
    assert history.history["accuracy"][-1] == 1.0
    np.testing.assert_array_equal(model.predict(x, verbose=0).round(), y)


def test_regression_with_mse_fits_a_noisy_curve() -> None:
    set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.uniform(-2, 2, (512, 1)).astype("float32")
    y = (np.sin(2 * x) + 0.3 * x + 0.05 * rng.standard_normal(x.shape)).astype("float32")
    model = descend.Sequential([
        Dense(32, activation="tanh", input_shape=(1,)),
        Dense(32, activation="tanh"),
        Dense(1),
    ])
    model.compile(optimizer=Adam(learning_rate=0.01), loss="mse", metrics=["mae"])
    first = model.evaluate(x, y, verbose=0)[0]
    model.fit(x, y, batch_size=32, epochs=60, verbose=0)
    loss, mae = model.evaluate(x, y, verbose=0)
    assert loss < 0.01 < first
    assert mae < 0.1


def test_seed_example_reaches_090_and_prints_keras_lines() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "seed_example.py")],
                            capture_output=True, text=True, timeout=300, check=True)
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "Epoch 1/20"
    assert lines[-2] == "Epoch 20/20"
    # e.g. "210/210 - 0s - 1ms/step - accuracy: 0.9286 - loss: 0.2824"
    last = lines[-1]
    assert last.startswith("210/210 - ") and " - accuracy: " in last and " - loss: " in last
    accuracy = float(last.split("accuracy: ")[1].split(" ")[0])
    assert accuracy >= 0.90
    assert "\r" not in result.stdout and "\x1b" not in result.stdout
