"""The MNIST handwritten digits (LeCun, Cortes, Burges): 60,000 train and 10,000 test images.

The loader reads the four original IDX ``.gz`` files from ``<root>/mnist/``, where ``<root>`` is
the ``path`` argument, else the ``DESCEND_DATASETS`` environment variable, else
``~/.descend/datasets``. Each file's SHA-256 is checked before use. A missing file is downloaded
from the public mirrors in :data:`MIRRORS` when the folder is writable.
"""

from __future__ import annotations

import os

import numpy as np

from ._download import DataFile
from ._idx import load_idx_split

__all__ = ["FILES", "MIRRORS", "SUBDIR", "load_data"]

SUBDIR = "mnist"
"""Folder of this data set under the datasets root."""

MIRRORS = (
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
)
"""Base URLs tried in order for a missing file."""

FILES = (
    DataFile(
        "train-images-idx3-ubyte.gz",
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        9_912_422,
    ),
    DataFile(
        "train-labels-idx1-ubyte.gz",
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        28_881,
    ),
    DataFile(
        "t10k-images-idx3-ubyte.gz",
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        1_648_877,
    ),
    DataFile(
        "t10k-labels-idx1-ubyte.gz",
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        4_542,
    ),
)
"""Train images, train labels, test images, test labels, with their SHA-256 and size."""


def load_data(
    path: str | os.PathLike[str] | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load the MNIST digits, as ``keras.datasets.mnist.load_data`` does.

    Parameters
    ----------
    path : str or os.PathLike or None, default None
        Datasets root folder that contains ``mnist/``. ``None`` uses the ``DESCEND_DATASETS``
        environment variable if set, else ``~/.descend/datasets``.

    Returns
    -------
    (x_train, y_train) : tuple of numpy.ndarray
        uint8 images of shape (60000, 28, 28), pixel values 0..255, and uint8 labels of shape
        (60000,), digits 0..9.
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
    >>> from descend.datasets import mnist
    >>> (x_train, y_train), (x_test, y_test) = mnist.load_data()  # doctest: +SKIP
    >>> x_train.shape, x_train.dtype, y_test.shape  # doctest: +SKIP
    ((60000, 28, 28), dtype('uint8'), (10000,))
    >>> mnist.FILES[0].name
    'train-images-idx3-ubyte.gz'
    """
    return load_idx_split("descend.datasets.mnist", SUBDIR, FILES, MIRRORS, path=path)
