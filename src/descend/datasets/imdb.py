"""IMDB movie reviews (Maas et al., 2011): 25,000 train and 25,000 test reviews, labelled
positive (1) or negative (0), as sequences of word indices (Keras's ``imdb.npz``).

The file ``imdb.npz`` is read from ``<root>/imdb/`` (``path`` argument, else
``$DESCEND_DATASETS``, else ``~/.descend/datasets``), checked against Keras's SHA-256 and
downloaded from Keras's location when missing. Its sequences are NumPy object arrays,
which NumPy stores as pickles; descend reads them with a restricted unpickler that can
only rebuild NumPy arrays of integer lists, so a crafted file cannot run code (see
:mod:`descend.datasets._safe_npz`). The word index ``imdb_word_index.json`` is checked
against Keras's MD5 (Keras publishes no SHA-256 for it).
"""

from __future__ import annotations

import os

import numpy as np

from ._download import DataFile, fetch
from ._md5_fetch import fetch_md5
from ._safe_npz import load_npz
from ._sequences import check_arguments, load_word_index, prepare, shuffle, to_object_array

__all__ = ["FILE", "ORIGIN", "SUBDIR", "get_word_index", "load_data"]

SUBDIR = "imdb"
"""Folder of this data set under the datasets root."""
ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
"""Keras's download location."""
FILE = DataFile("imdb.npz", "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f",
                17_464_789)
"""The data file, its SHA-256 (Keras's) and size."""
WORD_INDEX = ("imdb_word_index.json", "bfafd718b763782e994055a2d397834f", 1_641_221)
"""The word-index file, its MD5 (Keras's) and size."""


def load_data(path: str | os.PathLike[str] | None = None, num_words: int | None = None,
              skip_top: int = 0, maxlen: int | None = None, seed: int = 113,
              start_char: int | None = 1, oov_char: int | None = 2, index_from: int = 3,
              ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load IMDB as ``keras.datasets.imdb.load_data`` does.

    Parameters
    ----------
    path : str or os.PathLike, optional
        Datasets root folder that contains ``imdb/`` (Keras's ``path`` is a file name in
        its cache; descend's is the root, like its other loaders).
    num_words : int, optional
        Keep the ``num_words`` most frequent words; rarer ones become ``oov_char``.
    skip_top : int, default 0
        Also replace the ``skip_top`` most frequent words by ``oov_char``.
    maxlen : int, optional
        Drop sequences of ``maxlen`` indices or more.
    seed : int, default 113
        Shuffling seed (``np.random.RandomState``), Keras's order.
    start_char : int or None, default 1
        Index marking the start of each review.
    oov_char : int or None, default 2
        Replacement of dropped words (None: drop them).
    index_from : int, default 3
        Offset added to every word index (the word of rank ``r`` gets ``r + index_from``).

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        ``x`` object arrays of ``list``\\s of ints, ``y`` int arrays of 0/1.

    Examples
    --------
    >>> from descend.datasets import imdb
    >>> (x_train, y_train), _ = imdb.load_data(num_words=10000)  # doctest: +SKIP
    >>> len(x_train), x_train[0][:3]  # doctest: +SKIP
    (25000, [1, 14, 22])
    """
    check_arguments("imdb.load_data", num_words, skip_top, maxlen, index_from)
    arrays = load_npz(fetch("descend.datasets.imdb", FILE, SUBDIR, [ORIGIN], path=path))
    rng = np.random.RandomState(seed)
    train = shuffle(arrays["x_train"], arrays["y_train"], rng)
    test = shuffle(arrays["x_test"], arrays["y_test"], rng)
    (xtr, ytr), (xte, yte) = prepare("imdb.load_data", [train, test], num_words, skip_top,
                                     maxlen, start_char, oov_char, index_from)
    return (to_object_array(xtr), np.asarray(ytr)), (to_object_array(xte), np.asarray(yte))


def get_word_index(path: str | os.PathLike[str] | None = None) -> dict[str, int]:
    """The word index: word -> rank by frequency (1 = most frequent), before ``index_from``.

    Parameters
    ----------
    path : str or os.PathLike, optional
        Datasets root folder that contains ``imdb/``.

    Returns
    -------
    dict of str to int
    """
    name, md5, size = WORD_INDEX
    return load_word_index(fetch_md5("descend.datasets.imdb", name, md5, size, SUBDIR,
                                     ORIGIN + name, path=path))
