"""Boston Housing (Harrison & Rubinfeld 1978): 506 districts, 13 features, median price in k$.

Note Keras's warning: the data set includes a variable ("B") built on a racist assumption;
use it only to discuss such issues, or prefer :mod:`descend.datasets.california_housing`.

Reads ``boston_housing.npz`` (the file Keras downloads, arrays ``x`` (506, 13) float64 and
``y`` (506,) float64) from ``<root>/boston_housing/``; see :mod:`descend.datasets._housing`
for ``path``, the SHA-256 check (Keras's digest) and the split.
"""

from __future__ import annotations

import os

import numpy as np

from ._download import DataFile
from ._housing import load_housing

__all__ = ["FILE", "MIRRORS", "SUBDIR", "load_data"]

SUBDIR = "boston_housing"
"""Folder of this data set under the datasets root."""

MIRRORS = ("https://storage.googleapis.com/tensorflow/tf-keras-datasets/",)
"""Base URLs tried in order for a missing file (Keras's)."""

FILE = DataFile(
    "boston_housing.npz",
    "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5",
    57_026,
)
"""The file, with the SHA-256 Keras's loader checks and its size."""


def load_data(
    path: str | os.PathLike[str] = "boston_housing.npz",
    test_split: float = 0.2,
    seed: int = 113,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load Boston Housing, as ``keras.datasets.boston_housing.load_data`` does.

    Parameters
    ----------
    path : str or os.PathLike, default "boston_housing.npz"
        File name under the data set's folder, a datasets root folder, or a file path.
    test_split : float, default 0.2
        Fraction of samples for the test set, in [0, 1).
    seed : int, default 113
        Seed of the shuffle before splitting.

    Returns
    -------
    (x_train, y_train), (x_test, y_test) : tuples of numpy.ndarray
        float64 features (n, 13) and float64 targets (n,); 404 and 102 samples by default.

    Examples
    --------
    >>> from descend.datasets import boston_housing
    >>> (x_train, y_train), (x_test, y_test) = boston_housing.load_data()  # doctest: +SKIP
    >>> x_train.shape, x_test.shape  # doctest: +SKIP
    ((404, 13), (102, 13))
    """
    return load_housing("descend.datasets.boston_housing", FILE, SUBDIR, MIRRORS, path,
                        test_split, seed)
