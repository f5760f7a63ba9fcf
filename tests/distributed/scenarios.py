"""Training runs that tests/test_distribution.py runs on one process and under ``mpiexec``.

Each scenario builds its model and data from fixed seeds, trains, and returns a
dict of arrays (weights, history, evaluate, predict). ``python scenarios.py OUT
NAME...`` (under ``mpiexec``) sets ``DataParallel`` and saves every process's
results to ``OUT/<name>.<process>.npz``.
"""

from __future__ import annotations

import os
import signal
import sys
import time

import numpy as np

import descend
from descend import layers
from descend.callbacks import (
    BackupAndRestore,
    Callback,
    CSVLogger,
    EarlyStopping,
    LambdaCallback,
    ModelCheckpoint,
    ReduceLROnPlateau,
)


def _data(n: int, shape: tuple, classes: int, seed: int, dtype: str) -> tuple:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, *shape)).astype(dtype)
    y = rng.integers(0, classes, size=n)
    return x, y


def _results(model, history, x_val, y_val) -> dict:
    out = {f"weight_{i}": w for i, w in enumerate(model.get_weights())}
    for key, values in history.history.items():
        out[f"history_{key}"] = np.asarray(values, dtype=np.float64)
    out["evaluate"] = np.asarray(model.evaluate(x_val, y_val, batch_size=8, verbose=0),
                                 dtype=np.float64)
    out["predict"] = model.predict(x_val, batch_size=8, verbose=0)
    out["iterations"] = np.asarray(model.optimizer.iterations)
    return out


def dense(out_dir: str, dtype: str = "float64") -> dict:
    """An MLP, uneven batches (103 samples, batch 10), sample weights, validation, metrics
    with summed state (accuracy, AUC), EarlyStopping and ReduceLROnPlateau."""
    descend.config.set_floatx(dtype)
    descend.utils.set_random_seed(1)
    x, y = _data(103, (6,), 2, 0, dtype)
    x_val, y_val = _data(37, (6,), 2, 1, dtype)
    weights = np.linspace(0.5, 1.5, len(x))
    model = descend.Sequential([layers.Input((6,)), layers.Dense(16, activation="relu"),
                                layers.Dense(8, activation="tanh"),
                                layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=descend.optimizers.Adam(0.01), loss="binary_crossentropy",
                  metrics=["accuracy", descend.metrics.AUC(name="auc")])
    batch_logs: list = []
    record = LambdaCallback(on_train_batch_end=lambda batch, logs: batch_logs.append(
        [logs["loss"], logs["accuracy"], logs["auc"]]))
    history = model.fit(x, y, batch_size=10, epochs=6, sample_weight=weights,
                        validation_data=(x_val, y_val), verbose=0,
                        callbacks=[EarlyStopping(monitor="val_loss", patience=2),
                                   ReduceLROnPlateau(monitor="loss", patience=1, factor=0.5),
                                   record])
    return {**_results(model, history, x_val, y_val), "batch_logs": np.array(batch_logs)}


def dense32(out_dir: str) -> dict:
    """:func:`dense` in float32."""
    return dense(out_dir, "float32")


def cnn(out_dir: str) -> dict:
    """A small CNN (convolution, max pooling, dense) with SGD and momentum, float32."""
    descend.config.set_floatx("float32")
    descend.utils.set_random_seed(2)
    x, y = _data(50, (8, 8, 2), 3, 2, "float32")
    x_val, y_val = _data(20, (8, 8, 2), 3, 3, "float32")
    model = descend.Sequential([
        layers.Input((8, 8, 2)), layers.Conv2D(4, 3, activation="relu"),
        layers.MaxPooling2D(2), layers.Flatten(), layers.Dense(3, activation="softmax")])
    model.compile(optimizer=descend.optimizers.SGD(0.05, momentum=0.9),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=16, epochs=3, validation_split=0.2, verbose=0)
    return _results(model, history, x_val, y_val)


def batchnorm(out_dir: str) -> dict:
    """Dense -> BatchNormalization -> ReLU -> Dense in float64: synchronized statistics."""
    descend.config.set_floatx("float64")
    descend.utils.set_random_seed(3)
    x, y = _data(45, (5,), 3, 4, "float64")
    x = x * 3.0 + 1.0
    x_val, y_val = _data(20, (5,), 3, 5, "float64")
    model = descend.Sequential([
        layers.Input((5,)), layers.Dense(12), layers.BatchNormalization(momentum=0.8),
        layers.Activation("relu"), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, batch_size=9, epochs=3, verbose=0)
    return _results(model, history, x_val, y_val)


class _Regressor(descend.Model):
    """A subclassed model with its own train_step: gradients applied with optimizer.apply."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden = layers.Dense(8, activation="tanh")
        self.out = layers.Dense(1)

    def call(self, x):
        return self.out(self.hidden(x))

    def train_step(self, data):
        x, y = data
        y_pred = self(x, training=True)
        loss = self.compute_loss(x=x, y=y, y_pred=y_pred)
        self.zero_grad()
        loss.backward()
        weights = self.trainable_weights
        self.optimizer.apply([w.grad for w in weights], weights)
        return self.compute_metrics(x, y, y_pred)


def custom_step(out_dir: str) -> dict:
    """A custom train_step (optimizer.apply) with a mean-absolute-error metric, float64."""
    descend.config.set_floatx("float64")
    descend.utils.set_random_seed(5)
    x, _ = _data(43, (3,), 2, 7, "float64")
    y = x @ np.array([[1.0], [-2.0], [0.5]]) + 0.1
    model = _Regressor()
    model.compile(optimizer=descend.optimizers.SGD(0.05, momentum=0.5), loss="mse",
                  metrics=["mae"])
    history = model.fit(x, y, batch_size=8, epochs=3, verbose=0)
    return _results(model, history, x[:13], y[:13])


def loss_scale(out_dir: str) -> dict:
    """LossScaleOptimizer, float32: one huge sample (on process 1's part of the first batch)
    makes that step's gradients overflow; every process skips it, as one process does."""
    descend.config.set_floatx("float32")
    descend.utils.set_random_seed(6)
    x, y = _data(24, (3,), 2, 8, "float32")
    x[3] = 1e30
    model = descend.Sequential([layers.Input((3,)), layers.Dense(4),
                                layers.Dense(1)])
    model.compile(optimizer=descend.optimizers.LossScaleOptimizer(descend.optimizers.SGD(0.1)),
                  loss="mse")
    history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    out = {f"weight_{i}": w for i, w in enumerate(model.get_weights())}
    out["scale"] = np.asarray(model.optimizer.dynamic_scale)
    out["history_loss_epochs"] = np.asarray(len(history.history["loss"]))
    return out


SHARDED_OPTIMIZERS = {
    "adam_amsgrad": lambda: descend.optimizers.Adam(0.01, amsgrad=True),
    "adamw_ema": lambda: descend.optimizers.AdamW(0.01, weight_decay=0.05, use_ema=True,
                                                  ema_overwrite_frequency=5),
    "nadam": lambda: descend.optimizers.Nadam(0.01),
    "rmsprop": lambda: descend.optimizers.RMSprop(0.01, momentum=0.5, centered=True),
    "sgd": lambda: descend.optimizers.SGD(0.05, momentum=0.9, nesterov=True, clipvalue=0.5),
    "adagrad": lambda: descend.optimizers.Adagrad(0.05),
    "adadelta": lambda: descend.optimizers.Adadelta(1.0),
    "adamax": lambda: descend.optimizers.Adamax(0.01),
    "lion": lambda: descend.optimizers.Lion(0.001),
    "ftrl": lambda: descend.optimizers.Ftrl(0.05, l1_regularization_strength=0.001),
    # not shardable: a per-variable rule, a per-variable clip (the Allreduce path runs)
    "lamb": lambda: descend.optimizers.Lamb(0.01),
    "adam_clipnorm": lambda: descend.optimizers.Adam(0.01, clipnorm=0.1),
}
"""Optimizers of the ``sharded`` scenario; the last two take the ``Allreduce`` path."""


class _StateEachEpoch(Callback):
    """The optimizer state the callbacks see at the end of every epoch (on every process)."""

    def __init__(self) -> None:
        super().__init__()
        self.states: dict = {}

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        for key, value in self.model.optimizer.get_state().items():
            self.states[f"epoch{epoch}_{key}"] = value


def _sharded_fit(name: str) -> dict:
    """One fit with optimizer ``name``: weights and optimizer state at every epoch end and
    at the end, history, iterations, and the gradient communication it used."""
    descend.config.set_floatx("float64")
    descend.utils.set_random_seed(7)
    x, y = _data(45, (5,), 2, 8, "float64")  # 45 = 5 batches of 8 and one of 5
    model = descend.Sequential([
        layers.Input((5,)), layers.Dense(6, activation="tanh"),  # float64: 36 + 21 = 57
        layers.Dense(3, activation="tanh"),                      # values, split 29 / 28
        layers.Dense(1, activation="sigmoid", dtype="float32")])  # float32: 4 values
    model.compile(optimizer=SHARDED_OPTIMIZERS[name](), loss="binary_crossentropy")
    strategy = descend.distribution.distribution()
    before = {} if strategy is None else strategy.statistics
    states = _StateEachEpoch()
    history = model.fit(x, y, batch_size=8, epochs=3, verbose=0, callbacks=[states])
    out = {f"weight_{i}": w for i, w in enumerate(model.get_weights())}
    out.update({f"state_{k}": v for k, v in model.optimizer.get_state().items()})
    out.update({f"state_{k}": v for k, v in states.states.items()})
    out["history_loss"] = np.asarray(history.history["loss"])
    out["iterations"] = np.asarray(model.optimizer.iterations)
    if strategy is not None and strategy.num_processes > 1:
        after = strategy.statistics
        out.update({f"calls_{k}": np.asarray(after[k] - before[k]) for k in after
                    if k.endswith("_calls")})
    return out


def sharded(out_dir: str) -> dict:
    """Every optimizer of ``SHARDED_OPTIMIZERS`` on a model whose flat buffers do not split
    evenly (57 float64 values, 4 float32), 18 steps (the tiny-state flush at step 16 runs on
    the parts). Under ``mpiexec`` each runs with the sharded update (the default) and again
    with ``DataParallel(sharded_update=False)`` (keys ``replicated_*``)."""
    out = {}
    for name in SHARDED_OPTIMIZERS:
        out.update({f"{name}_{k}": v for k, v in _sharded_fit(name).items()})
    strategy = descend.distribution.distribution()
    if strategy is not None and strategy.num_processes > 1:
        descend.distribution.set_distribution(descend.distribution.DataParallel(
            sharded_update=False))
        try:
            for name in SHARDED_OPTIMIZERS:
                out.update({f"replicated_{name}_{k}": v
                            for k, v in _sharded_fit(name).items()})
        finally:
            descend.distribution.set_distribution(strategy)
    return out


def _resumable(dtype: str = "float64") -> tuple:
    descend.config.set_floatx(dtype)
    descend.utils.set_random_seed(4)
    x, y = _data(30, (4,), 2, 6, dtype)
    model = descend.Sequential([layers.Input((4,)), layers.Dense(8, activation="relu"),
                                layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model, x, y


def start_backup(backup_dir: str) -> None:
    """Two epochs that leave a backup behind (as a run interrupted after epoch 2 would)."""
    model, x, y = _resumable()
    model.fit(x, y, batch_size=6, epochs=2, verbose=0,
              callbacks=[BackupAndRestore(backup_dir, delete_checkpoint=False)])


def resume(out_dir: str) -> dict:
    """Resume from ``out_dir/backup`` to epoch 4; ModelCheckpoint, CSVLogger and model.save
    write to per-process paths, so the test can see which processes wrote."""
    model, x, y = _resumable()
    rank = descend.distribution.process_index()
    history = model.fit(x, y, batch_size=6, epochs=4, verbose=0, callbacks=[
        BackupAndRestore(os.path.join(out_dir, "backup")),
        ModelCheckpoint(os.path.join(out_dir, f"checkpoint_{rank}.weights.npz"),
                        save_weights_only=True),
        CSVLogger(os.path.join(out_dir, f"log_{rank}.csv"))])
    model.save(os.path.join(out_dir, f"model_{rank}.descend"))
    out = {f"weight_{i}": w for i, w in enumerate(model.get_weights())}
    out.update({f"history_{k}": np.asarray(v) for k, v in history.history.items()})
    out["iterations"] = np.asarray(model.optimizer.iterations)
    return out


class _Fault(Callback):
    def __init__(self, kind: str, out_dir: str) -> None:
        super().__init__()
        self.kind, self.out_dir = kind, out_dir

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if epoch == 1 and descend.distribution.process_index() == 1:
            with open(os.path.join(self.out_dir, "fault_at"), "w") as f:
                f.write(repr(time.time()))
            if self.kind == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            raise RuntimeError("a failure on process 1 only")


def _long_fit(kind: str, out_dir: str) -> dict:
    model, x, y = _resumable("float32")
    x = np.repeat(x, 40, axis=0)
    y = np.repeat(y, 40, axis=0)
    model.fit(x, y, batch_size=4, epochs=1000, verbose=0, callbacks=[_Fault(kind, out_dir)])
    return {}


def kill(out_dir: str) -> dict:
    """Process 1 kills itself (SIGKILL) at the end of epoch 2 of a long run."""
    return _long_fit("kill", out_dir)


def fail(out_dir: str) -> dict:
    """Process 1 raises at the end of epoch 2 of a long run."""
    return _long_fit("raise", out_dir)


def mismatch(out_dir: str) -> dict:
    """Process 1 passes one sample more than process 0; then both pass data whose last
    batch holds 1 sample; then process 1 builds a wider model."""
    model, x, y = _resumable()
    rank = descend.distribution.process_index()
    try:
        model.fit(x[: 20 + rank], y[: 20 + rank], batch_size=4, epochs=1, verbose=0)
    except ValueError as exc:
        print(f"ValueError: {exc}", flush=True)
    try:  # a last batch of 1 sample cannot be shared by 2 processes
        model.fit(x[:21], y[:21], batch_size=4, epochs=1, verbose=0)
    except ValueError as exc:
        print(f"ValueError: {exc}", flush=True)
    other = descend.Sequential([layers.Input((4,)), layers.Dense(8 + rank),
                                layers.Dense(1, activation="sigmoid")])
    other.compile(optimizer="adam", loss="binary_crossentropy")
    try:
        other.fit(x, y, batch_size=4, epochs=1, verbose=0)
    except ValueError as exc:
        print(f"ValueError: {exc}", flush=True)
        sys.exit(3)
    return {}


def main(argv: list[str]) -> None:
    out_dir, names = argv[0], argv[1:]
    descend.distribution.set_distribution(descend.distribution.DataParallel())
    rank = descend.distribution.process_index()
    for name in names:
        start = time.perf_counter()
        results = globals()[name](out_dir)
        np.savez(os.path.join(out_dir, f"{name}.{rank}.npz"), seconds=time.perf_counter() - start,
                 usable_cores=descend.threads.usable_cores(), **results)


if __name__ == "__main__":
    main(sys.argv[1:])
