"""``set_random_seed(n)`` makes ``fit`` bit-identical: in one process and across processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import descend
from descend.layers import Dense, Dropout, Input
from descend.utils import set_random_seed

SRC = str(Path(__file__).resolve().parents[1] / "src")

SCRIPT = '''
import json, sys
import numpy as np
import descend
from descend.layers import Dense, Dropout, Input
from descend.utils import set_random_seed

set_random_seed(int(sys.argv[1]))
rng = np.random.default_rng(0)
x = rng.standard_normal((60, 4)).astype("float32")
y = rng.integers(0, 3, 60)
model = descend.Sequential([Input((4,)), Dense(10, activation="relu"), Dropout(0.5),
                            Dense(3, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x, y, epochs=3, batch_size=8, shuffle=True, validation_split=0.2, verbose=0)
print(json.dumps({"weights": [w.tobytes().hex() for w in model.get_weights()],
                  "history": history.history}))
'''


def train(seed: int, x: np.ndarray, y: np.ndarray) -> tuple[list[np.ndarray], dict]:
    set_random_seed(seed)
    model = descend.Sequential([Input((4,)), Dense(10, activation="relu"), Dropout(0.5),
                                Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=3, batch_size=8, shuffle=True, validation_split=0.2,
                        verbose=0)
    return model.get_weights(), history.history


def run_process(seed: int) -> dict:
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("PYTHONHASHSEED", None)  # string hashing differs between the processes
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(seed)], env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def dataset() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.standard_normal((60, 4)).astype("float32"), rng.integers(0, 3, 60)


def test_same_seed_same_fit_in_one_process(dataset) -> None:
    first_weights, first_history = train(42, *dataset)
    descend.random.generator().random(10)  # anything in between is reset by the seed
    second_weights, second_history = train(42, *dataset)
    assert all(np.array_equal(a, b) for a, b in zip(first_weights, second_weights, strict=True))
    assert first_history == second_history
    other_weights, _ = train(43, *dataset)
    assert not np.array_equal(first_weights[0], other_weights[0])


def test_same_seed_same_fit_across_processes(dataset) -> None:
    runs = [run_process(42), run_process(42)]
    assert runs[0] == runs[1]
    weights, history = train(42, *dataset)  # and the same as in this process
    assert runs[0]["weights"] == [w.tobytes().hex() for w in weights]
    assert runs[0]["history"] == history


def test_set_random_seed_rejects_non_integers() -> None:
    for bad in (1.5, "1", None, -1, True):
        with pytest.raises(ValueError, match="set_random_seed"):
            set_random_seed(bad)
