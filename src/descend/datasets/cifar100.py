"""CIFAR-100 (Krizhevsky 2009): 60,000 32x32 colour images in 100 classes (20 superclasses).

The loader reads ``cifar-100-python.tar.gz`` (the file Keras downloads) from
``<root>/cifar100/`` (``<root>``: the ``path`` argument, else ``DESCEND_DATASETS``, else
``~/.descend/datasets``), checks its SHA-256 (the value in Keras's loader), downloads it when
missing and the folder is writable, and reads the pickled batches with a restricted
unpickler that cannot run code (:mod:`descend.datasets._safe_pickle`).
"""

from __future__ import annotations

import os

import numpy as np

from ._cifar import load_cifar
from ._download import DataFile

__all__ = ["FILE", "MIRRORS", "SUBDIR", "load_data"]

SUBDIR = "cifar100"
"""Folder of this data set under the datasets root."""

MIRRORS = ("https://www.cs.toronto.edu/~kriz/",)
"""Base URLs tried in order for a missing file (the one Keras uses)."""

FILE = DataFile(
    "cifar-100-python.tar.gz",
    "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7",
    169_001_437,
)
"""The archive, with the SHA-256 Keras's loader checks and its size."""


def load_data(
    label_mode: str = "fine",
    path: str | os.PathLike[str] | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load CIFAR-100, as ``keras.datasets.cifar100.load_data`` does.

    Parameters
    ----------
    label_mode : {"fine", "coarse"}, default "fine"
        ``"fine"``: the 100 classes; ``"coarse"``: the 20 superclasses.
    path : str or os.PathLike or None, default None
        Datasets root folder that contains ``cifar100/`` (descend's addition).

    Returns
    -------
    (x_train, y_train) : tuple of numpy.ndarray
        uint8 images (50000, 32, 32, 3) and uint8 labels (50000, 1).
    (x_test, y_test) : tuple of numpy.ndarray
        uint8 images (10000, 32, 32, 3) and uint8 labels (10000, 1).

    Raises
    ------
    ValueError
        For a bad ``label_mode``, a failed SHA-256 check or a malformed archive.
    FileNotFoundError
        If the archive is missing and cannot be downloaded.

    Examples
    --------
    >>> from descend.datasets import cifar100
    >>> (x_train, y_train), _ = cifar100.load_data(label_mode="coarse")  # doctest: +SKIP
    >>> int(y_train.max())  # doctest: +SKIP
    19
    >>> cifar100.load_data(label_mode="medium")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: descend.datasets.cifar100.load_data: `label_mode` must be "fine" or "coarse", ...
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError('descend.datasets.cifar100.load_data: `label_mode` must be "fine" or '
                         f'"coarse", received label_mode={label_mode!r}.')
    return load_cifar("descend.datasets.cifar100", FILE, SUBDIR, MIRRORS,
                      ("cifar-100-python/train",), "cifar-100-python/test",
                      f"{label_mode}_labels".encode(), path)
