"""CIFAR-10 (Krizhevsky 2009): 60,000 32x32 colour images in 10 classes.

Classes: 0 airplane, 1 automobile, 2 bird, 3 cat, 4 deer, 5 dog, 6 frog, 7 horse, 8 ship,
9 truck (:data:`CLASS_NAMES`).

The loader reads ``cifar-10-python.tar.gz`` (the authors' "python version", the file Keras
downloads) from ``<root>/cifar10/``, where ``<root>`` is the ``path`` argument, else the
``DESCEND_DATASETS`` environment variable, else ``~/.descend/datasets``. The archive's SHA-256
(the value in Keras's own loader) is checked before use; a missing archive is downloaded
from the authors' site when the folder is writable. The batches inside are pickles; they are
read with a restricted unpickler that cannot run code (see
:mod:`descend.datasets._safe_pickle`).
"""

from __future__ import annotations

import os

import numpy as np

from ._cifar import load_cifar
from ._download import DataFile

__all__ = ["CLASS_NAMES", "FILE", "MIRRORS", "SUBDIR", "load_data"]

SUBDIR = "cifar10"
"""Folder of this data set under the datasets root."""

MIRRORS = ("https://www.cs.toronto.edu/~kriz/",)
"""Base URLs tried in order for a missing file (the one Keras uses)."""

FILE = DataFile(
    "cifar-10-python.tar.gz",
    "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
    170_498_071,
)
"""The archive, with the SHA-256 Keras's loader checks and its size."""

CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
               "ship", "truck")
"""Name of each label 0..9."""

TRAIN_MEMBERS = tuple(f"cifar-10-batches-py/data_batch_{i}" for i in range(1, 6))
TEST_MEMBER = "cifar-10-batches-py/test_batch"


def load_data(
    path: str | os.PathLike[str] | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load CIFAR-10, as ``keras.datasets.cifar10.load_data`` does.

    Parameters
    ----------
    path : str or os.PathLike or None, default None
        Datasets root folder that contains ``cifar10/``. ``None`` uses ``DESCEND_DATASETS``
        if set, else ``~/.descend/datasets``. (Keras's loader takes no argument.)

    Returns
    -------
    (x_train, y_train) : tuple of numpy.ndarray
        uint8 images (50000, 32, 32, 3) (channels first if the image data format says so),
        and uint8 labels (50000, 1), classes 0..9.
    (x_test, y_test) : tuple of numpy.ndarray
        uint8 images (10000, 32, 32, 3) and uint8 labels (10000, 1).

    Raises
    ------
    ValueError
        If the archive fails its SHA-256 check or is not a CIFAR-10 python archive.
    FileNotFoundError
        If it is missing and cannot be downloaded; the message names the folder to put it in.

    Examples
    --------
    >>> from descend.datasets import cifar10
    >>> (x_train, y_train), (x_test, y_test) = cifar10.load_data()  # doctest: +SKIP
    >>> x_train.shape, y_train.shape  # doctest: +SKIP
    ((50000, 32, 32, 3), (50000, 1))
    >>> cifar10.CLASS_NAMES[3]
    'cat'
    """
    return load_cifar("descend.datasets.cifar10", FILE, SUBDIR, MIRRORS, TRAIN_MEMBERS,
                      TEST_MEMBER, b"labels", path)
