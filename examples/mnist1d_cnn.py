"""MNIST-1D with a small 1-D convolutional network (Greydanus & Kobak's benchmark).

The paper's CNN (three Conv1D layers of 25 channels, kernel 5, stride 2, ReLU,
then a linear classifier; Adam, learning rate 1e-2, batch 100, about 6,000
steps) reports 94% test accuracy. This example keeps the idea (strided kernel-5
convolutions, then one Dense layer) but makes the network a little wider and
deeper and adds batch normalisation and dropout:

    (40, 1) -> 4 x [Conv1D(64, 5, padding="same", strides 1, 2, 2, 2, no bias)
                    -> BatchNormalization -> ReLU]
            -> Flatten -> Dropout(0.3) -> Dense(10, softmax)

trained with Adam (learning rate 3e-3 with cosine decay to 0), batch 100, 60
epochs (2,400 steps). Target: >= 94% on the 1,000 test sequences.

Run (from the repository root, with the data sets in ``../shared/datasets``)::

    DESCEND_DATASETS=../shared/datasets python examples/mnist1d_cnn.py

Options: ``--epochs N`` (default 60), ``--quick`` (1,000 training sequences, 2
epochs unless ``--epochs`` is given: a smoke test), ``--seed S`` (default 0). The
data are read from ``$DESCEND_DATASETS/mnist1d/mnist1d_data.npz``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import descend
from descend import layers
from descend.datasets import mnist1d
from descend.optimizers import Adam
from descend.optimizers.schedules import CosineDecay
from descend.utils import set_random_seed

TARGET = 0.94
BATCH_SIZE = 100


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=None, help="training epochs (default 60)")
    parser.add_argument("--quick", action="store_true", help="small subset, for smoke tests")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    return parser.parse_args(argv)


def conv_block(filters: int, strides: int) -> list[layers.Layer]:
    """Convolution (its bias is made redundant by the batch norm), batch norm, ReLU."""
    return [
        layers.Conv1D(filters, 5, strides=strides, padding="same", use_bias=False),
        layers.BatchNormalization(),
        layers.Activation("relu"),
    ]


def main(argv: list[str] | None = None) -> dict[str, float]:
    args = parse_args(argv)
    epochs = args.epochs or (2 if args.quick else 60)
    start = time.perf_counter()
    set_random_seed(args.seed)

    (x_train, y_train), (x_test, y_test) = mnist1d.load_data()
    if args.quick:
        x_train, y_train = x_train[:1000], y_train[:1000]
    # sequences of 40 values with one channel: (samples, 40, 1)
    x_train = np.expand_dims(x_train.astype("float32"), -1)
    x_test = np.expand_dims(x_test.astype("float32"), -1)
    print("x_train shape:", x_train.shape)
    print(x_train.shape[0], "train samples")
    print(x_test.shape[0], "test samples")

    model = descend.Sequential([
        layers.Input(shape=(40, 1)),
        *conv_block(64, 1),
        *conv_block(64, 2),
        *conv_block(64, 2),
        *conv_block(64, 2),
        layers.Flatten(),
        layers.Dropout(0.3),
        layers.Dense(10, activation="softmax"),
    ])
    model.summary()
    steps = epochs * -(-len(x_train) // BATCH_SIZE)
    model.compile(loss="sparse_categorical_crossentropy",
                  optimizer=Adam(learning_rate=CosineDecay(3e-3, decay_steps=steps)),
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
