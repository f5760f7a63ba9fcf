"""California Housing (Pace & Barry 1997): 20,640 census block groups, 8 features.

Features: MedInc, HouseAge, AveRooms, AveBedrms, Population, AveOccup, Latitude, Longitude;
target: median house value in dollars. ``version="small"`` keeps the first 600 samples (a
replacement for Boston Housing), ``"large"`` all of them.

Reads ``california_housing.npz`` (the file Keras downloads: arrays ``x`` (20640, 8) and
``y`` (20640,), float32) from ``<root>/california_housing/``; see
:mod:`descend.datasets._housing` for ``path``, the SHA-256 check (Keras's digest) and the
split.
"""

from __future__ import annotations

import os

import numpy as np

from ._download import DataFile
from ._housing import load_housing

__all__ = ["FEATURE_NAMES", "FILE", "MIRRORS", "SUBDIR", "load_data"]

SUBDIR = "california_housing"
"""Folder of this data set under the datasets root."""

MIRRORS = ("https://storage.googleapis.com/tensorflow/tf-keras-datasets/",)
"""Base URLs tried in order for a missing file (Keras's)."""

FILE = DataFile(
    "california_housing.npz",
    "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f",
    743_530,
)
"""The file, with the SHA-256 Keras's loader checks and its size."""

FEATURE_NAMES = ("MedInc", "HouseAge", "AveRooms", "AveBedrms", "Population", "AveOccup",
                 "Latitude", "Longitude")
"""Name of each feature column."""


def load_data(
    version: str = "large",
    path: str | os.PathLike[str] = "california_housing.npz",
    test_split: float = 0.2,
    seed: int = 113,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load California Housing, as ``keras.datasets.california_housing.load_data`` does.

    Parameters
    ----------
    version : {"large", "small"}, default "large"
        All 20,640 samples, or the first 600.
    path : str or os.PathLike, default "california_housing.npz"
        File name under the data set's folder, a datasets root folder, or a file path.
    test_split : float, default 0.2
        Fraction of samples for the test set, in [0, 1).
    seed : int, default 113
        Seed of the shuffle before splitting.

    Returns
    -------
    (x_train, y_train), (x_test, y_test) : tuples of numpy.ndarray
        Features (n, 8) and targets (n,); 16512 and 4128 samples for "large".

    Raises
    ------
    ValueError
        For a bad ``version`` or ``test_split``, a failed SHA-256 check or a malformed file.

    Examples
    --------
    >>> from descend.datasets import california_housing
    >>> (x_train, y_train), _ = california_housing.load_data(version="small")  # doctest: +SKIP
    >>> x_train.shape  # doctest: +SKIP
    (480, 8)
    """
    if version not in ("large", "small"):
        raise ValueError("descend.datasets.california_housing.load_data: `version` must be "
                         f"'large' or 'small', received version={version!r}.")
    return load_housing("descend.datasets.california_housing", FILE, SUBDIR, MIRRORS, path,
                        test_split, seed, rows=600 if version == "small" else None)
