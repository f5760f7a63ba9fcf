"""Resuming: training interrupted anywhere and resumed ends bit-identical to uninterrupted training.

The kill test runs a real training process, kills it with SIGKILL in the middle of an epoch, starts
it again, and compares the final weights with those of a process that was never interrupted.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import descend
from descend.callbacks import BackupAndRestore, Callback, History
from descend.layers import Dense, Dropout, Input
from descend.utils import set_random_seed

SRC = str(Path(__file__).resolve().parents[1] / "src")

TRAINING_SCRIPT = '''
import json, os, sys, time
import numpy as np
import descend
from descend.callbacks import BackupAndRestore, Callback
from descend.layers import Dense, Dropout, Input
from descend.utils import set_random_seed

mode, out = sys.argv[1], sys.argv[2]
set_random_seed(1234)
rng = np.random.default_rng(0)
x = rng.standard_normal((96, 6)).astype("float32")
y = rng.integers(0, 3, 96)
model = descend.Sequential([Input((6,)), Dense(16, activation="relu"), Dropout(0.3),
                            Dense(3, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])


class Hang(Callback):
    """In mode "hang": announce epoch 3, batch 2, then wait to be killed."""

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_train_batch_end(self, batch, logs=None):
        if mode == "hang" and self.current == 3 and batch == 1:
            open(os.path.join(out, "marker"), "w").close()
            time.sleep(300)


history = model.fit(x, y, epochs=6, batch_size=16, shuffle=True, validation_split=0.25,
                    verbose=0, callbacks=[BackupAndRestore(os.path.join(out, "backup")), Hang()])
np.savez(os.path.join(out, "final.npz"), *model.get_weights())
with open(os.path.join(out, "history.json"), "w") as f:
    json.dump({"epoch": history.epoch, "history": history.history}, f)
'''


def run_script(script: Path, mode: str, out: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, str(script), mode, str(out)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish(process: subprocess.Popen) -> None:
    _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err.decode()


def final_weights(out: Path) -> list[np.ndarray]:
    with np.load(out / "final.npz", allow_pickle=False) as arrays:
        return [arrays[f"arr_{i}"] for i in range(len(arrays.files))]


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_killed_training_process_resumes_bit_identically(tmp_path) -> None:
    script = tmp_path / "train.py"
    script.write_text(TRAINING_SCRIPT)
    straight_dir, killed_dir = tmp_path / "straight", tmp_path / "killed"
    straight_dir.mkdir()
    killed_dir.mkdir()
    straight = run_script(script, "straight", straight_dir)  # runs alongside the others
    victim = run_script(script, "hang", killed_dir)
    deadline = time.monotonic() + 120
    while not (killed_dir / "marker").exists():
        assert victim.poll() is None, victim.communicate()[1].decode()
        assert time.monotonic() < deadline, "the training process never reached epoch 3"
        time.sleep(0.05)
    os.kill(victim.pid, signal.SIGKILL)
    victim.communicate(timeout=60)
    assert victim.returncode == -signal.SIGKILL
    assert not (killed_dir / "final.npz").exists()
    backup = killed_dir / "backup" / "latest.weights.npz"
    state = json.loads(str(np.load(backup, allow_pickle=False)["training_state"]))
    assert state["epoch"] == 3  # epochs 0, 1, 2 were backed up; epoch 3 was cut short
    assert not [p for p in os.listdir(killed_dir / "backup") if p.endswith(".tmp")]

    finish(run_script(script, "resume", killed_dir))
    finish(straight)
    for resumed, reference in zip(final_weights(killed_dir), final_weights(straight_dir),
                                  strict=True):
        assert np.array_equal(resumed, reference)
    resumed_history = json.loads((killed_dir / "history.json").read_text())
    reference_history = json.loads((straight_dir / "history.json").read_text())
    assert resumed_history["epoch"] == [3, 4, 5]
    for key, values in reference_history["history"].items():
        assert resumed_history["history"][key] == values[3:]
    assert not (killed_dir / "backup").exists()  # deleted once training completed


def make_model() -> descend.Sequential:
    model = descend.Sequential([Input((5,)), Dense(12, activation="relu"), Dropout(0.4),
                                Dense(4, activation="softmax")])
    model.compile(optimizer=descend.optimizers.Adam(learning_rate=0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


class Interrupt(Callback):
    """Raise (as a crash would) at a given batch of a given epoch."""

    def __init__(self, epoch: int, batch: int) -> None:
        super().__init__()
        self.at = (epoch, batch)
        self.current = -1

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.current, batch) == self.at:
            raise KeyboardInterrupt


@pytest.mark.parametrize(("epoch", "batch", "shuffle"), [
    (0, 2, True), (1, 0, True), (2, 3, True), (3, 3, "batch"), (4, 1, False),
])
def test_interrupted_anywhere_and_resumed_is_bit_identical(tmp_path, epoch, batch,
                                                          shuffle) -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal((80, 5)).astype("float32")
    y = rng.integers(0, 4, 80)
    kwargs = {"epochs": 5, "batch_size": 16, "shuffle": shuffle, "verbose": 0,
              "validation_split": 0.2}

    set_random_seed(7)
    straight = make_model()
    reference = straight.fit(x, y, **kwargs)

    set_random_seed(7)
    backup_dir = tmp_path / "backup"
    record = History()
    with pytest.raises(KeyboardInterrupt):
        make_model().fit(x, y, callbacks=[BackupAndRestore(backup_dir), record,
                                          Interrupt(epoch, batch)], **kwargs)
    set_random_seed(7)  # the restarted program runs from the top
    resumed = make_model()
    if epoch > 0:  # a backup exists: whatever is drawn before fit does not matter
        descend.random.generator().random(1000)
    rest = resumed.fit(x, y, callbacks=[BackupAndRestore(backup_dir)], **kwargs)

    assert rest.epoch == list(range(epoch, 5))
    for a, b in zip(resumed.get_weights(), straight.get_weights(), strict=True):
        assert np.array_equal(a, b)
    assert resumed.optimizer.iterations == straight.optimizer.iterations
    for key, values in reference.history.items():
        assert record.history.get(key, [])[:epoch] + rest.history[key] == values
