"""MNIST-1D with a multilayer perceptron (Greydanus & Kobak's benchmark).

The paper's MLP (40 -> 100 -> 100 -> 10, ReLU; Adam, learning rate 1e-2, batch
100, about 6,000 steps) reports 68% test accuracy. This example uses a wider MLP
with batch normalisation and dropout:

    40 -> 3 x [Dense(512, no bias) -> BatchNormalization -> ReLU -> Dropout(0.3)]
       -> Dense(10, softmax)

trained with Adam (learning rate 1e-3 with cosine decay to 0), batch 100, 100
epochs (4,000 steps). Target: >= 68% on the 1,000 test sequences.

Run (from the repository root)::

    python examples/mnist1d_mlp.py
    DESCEND_DATASETS=/path/to/datasets python examples/mnist1d_mlp.py   # offline copy

The data come from ``$DESCEND_DATASETS/mnist1d/mnist1d_data.npz`` when
``DESCEND_DATASETS`` is set, else ``~/.descend/datasets/mnist1d/``; the file is
verified by its SHA-256. It has no official download address, so it is not
downloaded: ``help(descend.datasets.mnist1d)`` says how to create it.

Options: ``--epochs N`` (default 100), ``--quick`` (1,000 training sequences, 2
epochs unless ``--epochs`` is given: a smoke test), ``--seed S`` (default 0).
"""

from __future__ import annotations

import argparse
import time

import descend
from descend import layers
from descend.datasets import mnist1d
from descend.optimizers import Adam
from descend.optimizers.schedules import CosineDecay
from descend.utils import set_random_seed

TARGET = 0.68
BATCH_SIZE = 100


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=None,
                        help="training epochs (default 100)")
    parser.add_argument("--quick", action="store_true", help="small subset, for smoke tests")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    return parser.parse_args(argv)


def dense_block(units: int) -> list[layers.Layer]:
    """Dense (its bias is made redundant by the batch norm), batch norm, ReLU, dropout."""
    return [
        layers.Dense(units, use_bias=False),
        layers.BatchNormalization(),
        layers.Activation("relu"),
        layers.Dropout(0.3),
    ]


def main(argv: list[str] | None = None) -> dict[str, float]:
    args = parse_args(argv)
    epochs = args.epochs or (2 if args.quick else 100)
    start = time.perf_counter()
    set_random_seed(args.seed)

    (x_train, y_train), (x_test, y_test) = mnist1d.load_data()
    if args.quick:
        x_train, y_train = x_train[:1000], y_train[:1000]
    x_train = x_train.astype("float32")
    x_test = x_test.astype("float32")
    print(x_train.shape[0], "train samples")
    print(x_test.shape[0], "test samples")

    model = descend.Sequential([
        layers.Input(shape=(40,)),
        *dense_block(512),
        *dense_block(512),
        *dense_block(512),
        layers.Dense(10, activation="softmax"),
    ])
    model.summary()
    steps = epochs * -(-len(x_train) // BATCH_SIZE)
    model.compile(loss="sparse_categorical_crossentropy",
                  optimizer=Adam(learning_rate=CosineDecay(1e-3, decay_steps=steps)),
                  metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=epochs, verbose=2)
    score = model.evaluate(x_test, y_test, verbose=0)
    seconds = time.perf_counter() - start
    print(f"Test loss: {score[0]:.4f}")
    print(f"Test accuracy: {score[1]:.4f} (target >= {TARGET})")
    print(f"Wall time: {seconds:.1f} s")
    return {"accuracy": float(score[1]), "seconds": seconds}


if __name__ == "__main__":
    main()
