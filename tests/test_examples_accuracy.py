"""Training on the real data sets: fast learning checks, example smoke runs, slow accuracy runs.

The fast tests train small networks on subsets of MNIST (seconds). The ``slow``
tests run each script in ``examples/`` at full length and assert the accuracy the
literature reports (see ``docs/results.md`` for the achieved numbers and times);
run them with ``pytest -m slow tests/test_examples_accuracy.py``. All data come
from ``$DESCEND_DATASETS`` or the data directory beside the repository (the
``shared_datasets`` fixture in conftest.py); nothing is downloaded.
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

import descend
from descend import layers
from descend.datasets import mnist
from descend.utils import set_random_seed

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCRIPTS = ["mnist_mlp", "mnist_cnn", "fashion_mnist_mlp", "fashion_mnist_cnn", "mnist1d_mlp",
           "mnist1d_cnn"]
#: Examples whose default run reaches its TARGET (docs/results.md): all of them.
REACHING_TARGET = list(SCRIPTS)


def load_example(name: str) -> ModuleType:
    """Import ``examples/<name>.py`` as a module (its ``main`` runs only when called)."""
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def mnist_subset(n_train: int, n_test: int, images: bool = False) -> tuple[np.ndarray, ...]:
    """The first ``n_train``/``n_test`` MNIST samples, scaled to [0, 1], flat or (28, 28, 1)."""
    (x, y), (xt, yt) = mnist.load_data()
    shape = (-1, 28, 28, 1) if images else (-1, 784)
    x = x[:n_train].reshape(shape).astype("float32") / 255
    xt = xt[:n_test].reshape(shape).astype("float32") / 255
    return x, y[:n_train], xt, yt[:n_test]


def test_mlp_learns_mnist_subset(shared_datasets: Path) -> None:
    """784-128-10 MLP, Adam, 2 epochs on 10,000 images: >= 90% on the full test set.

    Seeds 0-5 give 92.0-93.5%; the two epochs take about a second.
    """
    set_random_seed(0)
    x, y, xt, yt = mnist_subset(10_000, 10_000)
    model = descend.Sequential([
        layers.Input(shape=(784,)),
        layers.Dense(128, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    start = time.perf_counter()
    history = model.fit(x, y, batch_size=32, epochs=2, verbose=0)
    seconds = time.perf_counter() - start
    loss, accuracy = model.evaluate(xt, yt, batch_size=1000, verbose=0)
    assert history.history["loss"][1] < history.history["loss"][0]
    assert accuracy >= 0.90, f"test accuracy {accuracy:.4f} < 0.90 after 2 epochs"
    assert seconds < 60, f"2 epochs on 10,000 images took {seconds:.1f} s"


def test_cnn_learns_mnist_subset(shared_datasets: Path) -> None:
    """Conv2D/MaxPooling2D network, 3 epochs on 2,000 images: >= 75% on 1,000 test images.

    Seeds 0-5 give 83-87%; chance is 10%.
    """
    set_random_seed(0)
    x, y, xt, yt = mnist_subset(2_000, 1_000, images=True)
    model = descend.Sequential([
        layers.Input(shape=(28, 28, 1)),
        layers.Conv2D(8, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(16, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, batch_size=32, epochs=3, verbose=0)
    loss, accuracy = model.evaluate(xt, yt, batch_size=500, verbose=0)
    assert history.history["loss"][2] < history.history["loss"][0]
    assert np.isfinite(loss)
    assert accuracy >= 0.75, f"test accuracy {accuracy:.4f} < 0.75 after 3 epochs"


@pytest.mark.parametrize("name", SCRIPTS)
def test_example_quick_run(name: str, shared_datasets: Path) -> None:
    """Each example runs end to end on its small ``--quick`` subset and reports its result."""
    result = load_example(name).main(["--quick", "--epochs", "1"])
    assert 0.0 <= result["accuracy"] <= 1.0
    assert result["seconds"] > 0


@pytest.mark.slow
@pytest.mark.parametrize("name", REACHING_TARGET)
def test_example_reaches_target(name: str, shared_datasets: Path) -> None:
    """The full run of each example reaches its published test accuracy (minutes each)."""
    module = load_example(name)
    result = module.main([])
    assert result["accuracy"] >= module.TARGET, (
        f"{name}: test accuracy {result['accuracy']:.4f} < target {module.TARGET}"
    )


def test_mnist1d_cnn_short_run_generalises(shared_datasets: Path) -> None:
    """Regression: ``--epochs 6`` gave 93% training and 21% test accuracy.

    With batch norm's default momentum 0.99, 240 steps leave 9% of the initial moving
    statistics (mean 0, variance 1) in place, far from the layers' real statistics, and
    the test-time normalisation is wrong (Keras 3 behaves the same). The example sets the
    momentum from its number of steps; the default 60-epoch run keeps 0.99.
    """
    module = load_example("mnist1d_cnn")
    assert module.batch_norm_momentum(2400) == 0.99
    assert module.batch_norm_momentum(240) ** 240 == pytest.approx(1e-3)
    result = module.main(["--epochs", "6"])
    assert result["accuracy"] >= 0.85, f"test accuracy {result['accuracy']:.4f} after 6 epochs"
