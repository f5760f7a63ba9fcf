"""Recurrent networks learn: fast checks on small tasks, slow accuracy runs on MNIST.

The slow runs read each MNIST image as a sequence of 28 rows of 28 pixels (Keras's classic
recurrent example) and assert >= 98.0% test accuracy; they take minutes (measured times in
the docstrings). Run them with ``pytest -m slow tests/test_recurrent_accuracy.py``; the data
come from the ``shared_datasets`` fixture, nothing is downloaded.
"""

from __future__ import annotations

import numpy as np
import pytest

import descend
from descend import layers
from descend.datasets import mnist
from descend.utils import set_random_seed


def sine_classes(n: int, seed: int, steps: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """Noisy sines of 1, 2 or 3 periods over the window, random phase: the class is the period."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    t = np.arange(steps)
    phase = rng.uniform(0, 2 * np.pi, n)
    x = np.sin(2 * np.pi * (y[:, None] + 1) * t / steps + phase[:, None])
    x = x + 0.3 * rng.normal(size=(n, steps))
    return x[..., None].astype("float32"), y


@pytest.mark.slow
def test_bidirectional_lstm_time_series():
    """Bidirectional(LSTM(16)) on 2,000 noisy sines: >= 99% on 500 new ones (about 90 s).

    Three seeds, median: with Adam(5e-3) a float32 rounding difference (1e-7) can move one
    run onto a trajectory with a loss spike in its last epoch (seen: 94.8% for seed 0 after
    the LSTM's nonlinearities moved to an exp form, 99.8% before; seeds 1 and 2 give 100%
    with both), so one seed does not measure whether the model learns the task.
    """
    x, y = sine_classes(2000, 0)
    xt, yt = sine_classes(500, 1)
    scores = []
    for seed in (0, 1, 2):
        set_random_seed(seed)
        model = descend.Sequential([layers.Input((40, 1)),
                                    layers.Bidirectional(layers.LSTM(16)),
                                    layers.Dense(3, activation="softmax")])
        model.compile(descend.optimizers.Adam(5e-3), "sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        model.fit(x, y, epochs=5, batch_size=32, verbose=0)
        scores.append(model.evaluate(xt, yt, verbose=0)[1])
    assert float(np.median(scores)) >= 0.99, scores


def test_gru_learns_a_small_sequence_task():
    """Fast: a GRU separates sines of one and three periods after a few epochs."""
    x, y = sine_classes(300, 2, steps=20)
    keep = y != 1
    x, y = x[keep], (y[keep] == 2).astype("float32")
    set_random_seed(1)
    model = descend.Sequential([layers.Input((20, 1)), layers.GRU(8),
                                layers.Dense(1, activation="sigmoid")])
    model.compile(descend.optimizers.Adam(1e-2), "binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=20, batch_size=32, verbose=0)
    assert history.history["accuracy"][-1] >= 0.95


def _mnist_rows() -> tuple[np.ndarray, ...]:
    (x, y), (xt, yt) = mnist.load_data()
    return (x.astype("float32") / 255.0, y, xt.astype("float32") / 255.0, yt)


def _train_rows(rnn: layers.Layer, epochs: int) -> float:
    x, y, xt, yt = _mnist_rows()
    set_random_seed(0)
    model = descend.Sequential([layers.Input((28, 28)), rnn,
                                layers.Dense(10, activation="softmax")])
    model.compile(descend.optimizers.Adam(2e-3), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, epochs=epochs, batch_size=128, verbose=0)
    return model.evaluate(xt, yt, batch_size=1000, verbose=0)[1]


@pytest.mark.slow
def test_lstm_reads_mnist_rows(shared_datasets):
    """LSTM(128) over 28 rows, 5 epochs: >= 98.0% (measured 98.22%; 98.09% after 4)."""
    assert _train_rows(layers.LSTM(128), epochs=5) >= 0.98


@pytest.mark.slow
def test_gru_reads_mnist_rows(shared_datasets):
    """GRU(128) over 28 rows, 4 epochs: >= 98.0% (measured 98.20%; 98.57% after 5)."""
    assert _train_rows(layers.GRU(128), epochs=4) >= 0.98
