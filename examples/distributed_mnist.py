"""MNIST on several processes: data-parallel training with MPI, the same script on one.

Model: 784 -> Dense(256) -> BatchNormalization -> ReLU -> Dense(128, relu)
-> Dense(10, softmax), Adam (learning rate 1e-3), global batch 256, 5 epochs, with
a validation split, EarlyStopping, a checkpoint of the best weights and a backup
that resumes an interrupted run. Target: >= 97% test accuracy.

Run (from the repository root; ``pip install ".[mpi]"`` provides ``mpiexec``)::

    python examples/distributed_mnist.py                  # one process
    mpiexec -n 4 python examples/distributed_mnist.py     # four processes, same result

The only line that differs from a one-process script is
``set_distribution(DataParallel())``: each process then takes its quarter of every
batch of 256, the gradients are averaged with one MPI ``Allreduce`` per step, and
only process 0 prints the progress and writes the files. Four processes compute
what one process computes (up to float rounding), in less time when the machine
has the cores. See ``docs/distributed.md``.

The data come from ``$DESCEND_DATASETS/mnist/`` when ``DESCEND_DATASETS`` is set,
else from ``~/.descend/datasets/mnist/`` (downloaded there if missing; on several
machines, download once on each first).

Options: ``--epochs N`` (default 5), ``--quick`` (4,000 training and 1,000 test
images, 1 epoch unless ``--epochs`` is given: a smoke test), ``--out DIR`` (where
the checkpoint and the backup go, default ``distributed_mnist_output``).
"""

from __future__ import annotations

import argparse
import os
import time

import descend
from descend import layers
from descend.callbacks import BackupAndRestore, EarlyStopping, ModelCheckpoint
from descend.datasets import mnist
from descend.distribution import DataParallel, process_index, set_distribution

TARGET = 0.97
BATCH_SIZE = 256  # the global batch: every process takes its part of it


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=None, help="training epochs (default 5)")
    parser.add_argument("--quick", action="store_true", help="small subset, for smoke tests")
    parser.add_argument("--out", default="distributed_mnist_output",
                        help="folder of the checkpoint and the backup")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, float]:
    args = parse_args(argv)
    set_distribution(DataParallel())   # one process without mpiexec; N under mpiexec -n N
    descend.utils.set_random_seed(0)   # the same seed everywhere: the same shuffles
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    x_train = x_train.reshape(-1, 784).astype("float32") / 255
    x_test = x_test.reshape(-1, 784).astype("float32") / 255
    epochs = args.epochs or (1 if args.quick else 5)
    if args.quick:
        x_train, y_train, x_test, y_test = x_train[:4000], y_train[:4000], x_test[:1000], \
            y_test[:1000]

    model = descend.Sequential([
        layers.Input((784,)),
        layers.Dense(256, use_bias=False), layers.BatchNormalization(), layers.Activation("relu"),
        layers.Dense(128, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=descend.optimizers.Adam(1e-3),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    os.makedirs(args.out, exist_ok=True)
    callbacks = [
        EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True),
        ModelCheckpoint(os.path.join(args.out, "best.weights.npz"), save_weights_only=True,
                        save_best_only=True),
        BackupAndRestore(os.path.join(args.out, "backup")),
    ]
    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=epochs, validation_split=0.1,
              callbacks=callbacks, verbose=2)
    seconds = time.perf_counter() - start
    loss, accuracy = model.evaluate(x_test, y_test, batch_size=1000, verbose=0)
    if process_index() == 0:  # every process has the same numbers; one prints them
        processes = descend.distribution.num_processes()
        print(f"Test accuracy: {accuracy:.4f} (target >= {TARGET}), test loss {loss:.4f}")
        print(f"Training: {seconds:.1f} s on {processes} process(es)")
    return {"accuracy": accuracy, "loss": loss, "seconds": seconds}


if __name__ == "__main__":
    main()
