"""Fashion-MNIST (Xiao, Rasul, Vollgraf 2017): 70,000 28x28 grayscale images of clothing.

Classes: 0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt, 7 Sneaker,
8 Bag, 9 Ankle boot (see :data:`CLASS_NAMES`).

The loader reads the four original IDX ``.gz`` files from ``<root>/fashion-mnist/``, where
``<root>`` is the ``path`` argument, else the ``DESCEND_DATASETS`` environment variable, else
``~/.descend/datasets``. Each file's SHA-256 is checked before use. A missing file is downloaded
from :data:`MIRRORS` when the folder is writable.
"""

from __future__ import annotations

import os

import numpy as np

from ._download import DataFile
from ._idx import load_idx_split

__all__ = ["CLASS_NAMES", "FILES", "MIRRORS", "SUBDIR", "load_data"]

SUBDIR = "fashion-mnist"
"""Folder of this data set under the datasets root."""

MIRRORS = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",)
"""Base URLs tried in order for a missing file (the authors' own bucket)."""

CLASS_NAMES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
"""Name of each label 0..9."""

FILES = (
    DataFile(
        "train-images-idx3-ubyte.gz",
        "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        26_421_880,
    ),
    DataFile(
        "train-labels-idx1-ubyte.gz",
        "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        29_515,
    ),
    DataFile(
        "t10k-images-idx3-ubyte.gz",
        "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        4_422_102,
    ),
    DataFile(
        "t10k-labels-idx1-ubyte.gz",
        "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        5_148,
    ),
)
"""Train images, train labels, test images, test labels, with their SHA-256 and size."""


def load_data(
    path: str | os.PathLike[str] | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load Fashion-MNIST, as ``keras.datasets.fashion_mnist.load_data`` does.

    Parameters
    ----------
    path : str or os.PathLike or None, default None
        Datasets root folder that contains ``fashion-mnist/``. ``None`` uses the
        ``DESCEND_DATASETS`` environment variable if set, else ``~/.descend/datasets``.

    Returns
    -------
    (x_train, y_train) : tuple of numpy.ndarray
        uint8 images of shape (60000, 28, 28), pixel values 0..255, and uint8 labels of shape
        (60000,), classes 0..9 (6000 each).
    (x_test, y_test) : tuple of numpy.ndarray
        uint8 images of shape (10000, 28, 28) and uint8 labels of shape (10000,).

    Raises
    ------
    ValueError
        If a file fails its SHA-256 check or is not a valid IDX file.
    FileNotFoundError
        If a file is missing and cannot be downloaded; the message names the folder to put it in.

    Examples
    --------
    >>> from descend.datasets import fashion_mnist
    >>> (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()  # doctest: +SKIP
    >>> x_train.shape, y_train[:3]  # doctest: +SKIP
    ((60000, 28, 28), array([9, 0, 0], dtype=uint8))
    >>> fashion_mnist.CLASS_NAMES[9]
    'Ankle boot'
    """
    return load_idx_split("descend.datasets.fashion_mnist", SUBDIR, FILES, MIRRORS, path=path)
