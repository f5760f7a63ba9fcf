"""A convolutional autoencoder on MNIST: Conv2D down, Conv2DTranspose and UpSampling2D up.

The encoder squeezes each 28x28 digit into a 7x7x8 code (392 numbers, half of
the 784 pixels) with two strided convolutions; the decoder rebuilds the image
with a strided transposed convolution and a nearest-neighbour upsampling:

    (28, 28, 1) -> Conv2D(16, 3, strides=2, same, relu)            (14, 14, 16)
                -> Conv2D(8, 3, strides=2, same, relu)             (7, 7, 8)   the code
                -> Conv2DTranspose(8, 3, strides=2, same, relu)    (14, 14, 8)
                -> UpSampling2D(2)                                 (28, 28, 8)
                -> Conv2D(1, 3, same, sigmoid)                     (28, 28, 1)

Trained to reproduce its input (pixels scaled to [0, 1]) with the binary
cross-entropy per pixel, Adam (learning rate 2e-3), batch 128, on the first
20,000 training images for 3 epochs (about two minutes of CPU time on 2 cores). The
test reconstruction loss is measured on all 10,000 test images. Target: test
mean squared error per pixel <= 0.005 (measured: 0.0032, see docs/layers.md).

Run (from the repository root, with the data sets in ``../shared/datasets``)::

    DESCEND_DATASETS=../shared/datasets python examples/mnist_autoencoder.py \
        --figure docs/images/autoencoder_reconstructions.png

Options: ``--epochs N`` (default 3), ``--train N`` (training images, default
20000), ``--quick`` (2,000 training and 1,000 test images, 1 epoch: a smoke
test; ``--train`` can lower it), ``--seed S`` (default 0), ``--figure PATH`` (save
test digits above their reconstructions, needs matplotlib).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import descend
from descend import layers
from descend.datasets import mnist
from descend.optimizers import Adam
from descend.utils import set_random_seed

TARGET_MSE = 0.005
BATCH_SIZE = 128


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=None, help="training epochs (default 3)")
    parser.add_argument("--train", type=int, default=20_000, help="training images")
    parser.add_argument("--quick", action="store_true", help="small subset, for smoke tests")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--figure", default=None, help="save reconstructions to this PNG")
    return parser.parse_args(argv)


def build_model() -> descend.Sequential:
    """The autoencoder of the module docstring."""
    return descend.Sequential([
        layers.Input((28, 28, 1)),
        layers.Conv2D(16, 3, strides=2, padding="same", activation="relu"),
        layers.Conv2D(8, 3, strides=2, padding="same", activation="relu"),
        layers.Conv2DTranspose(8, 3, strides=2, padding="same", activation="relu"),
        layers.UpSampling2D(2),
        layers.Conv2D(1, 3, padding="same", activation="sigmoid"),
    ], name="mnist_autoencoder")


def save_figure(path: str, originals: np.ndarray, reconstructions: np.ndarray) -> None:
    """Two rows of digits: test images above their reconstructions."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    count = len(originals)
    fig, axes = plt.subplots(2, count, figsize=(count * 1.0, 2.3))
    for i in range(count):
        for row, images in enumerate((originals, reconstructions)):
            axes[row, i].imshow(images[i, :, :, 0], cmap="gray", vmin=0, vmax=1)
            axes[row, i].axis("off")
    axes[0, 0].set_title("test images", loc="left", fontsize=9)
    axes[1, 0].set_title("reconstructions", loc="left", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> dict:
    """Train, evaluate; return ``{"test_bce", "test_mse", "seconds", "epochs"}``."""
    args = parse_args(argv)
    set_random_seed(args.seed)
    (x_train, _), (x_test, _) = mnist.load_data()
    x_train = (x_train.astype("float32") / 255.0)[..., None]
    x_test = (x_test.astype("float32") / 255.0)[..., None]
    n_train, n_test = (min(args.train, 2_000), 1_000) if args.quick else (args.train, len(x_test))
    epochs = args.epochs or (1 if args.quick else 3)
    x_train, x_test = x_train[:n_train], x_test[:n_test]

    model = build_model()
    model.compile(optimizer=Adam(2e-3), loss="binary_crossentropy", metrics=["mse"])
    start = time.perf_counter()
    model.fit(x_train, x_train, batch_size=BATCH_SIZE, epochs=epochs, verbose=0,
              shuffle=True)
    seconds = time.perf_counter() - start
    test_bce, test_mse = model.evaluate(x_test, x_test, batch_size=500, verbose=0)
    print(f"test reconstruction loss: binary cross-entropy {test_bce:.4f}, "
          f"mean squared error {test_mse:.5f} ({epochs} epochs on {n_train} images, "
          f"{seconds:.0f} s)")
    if args.figure:
        shown = x_test[:10]
        save_figure(args.figure, shown, model.predict(shown, verbose=0))
    return {"test_bce": float(test_bce), "test_mse": float(test_mse), "seconds": seconds,
            "epochs": epochs}


if __name__ == "__main__":
    main()
