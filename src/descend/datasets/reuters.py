"""Reuters newswire topics: 11,228 newswires labelled with one of 46 topics, as sequences
of word indices (Keras's ``reuters.npz``).

Files live in ``<root>/reuters/``; ``reuters.npz`` is checked against Keras's SHA-256,
``reuters_word_index.json`` against Keras's MD5, and missing files are downloaded from
Keras's location. The object arrays are read with a restricted unpickler that only
rebuilds NumPy arrays of integer lists (no code runs; see
:mod:`descend.datasets._safe_npz`).
"""

from __future__ import annotations

import os

import numpy as np

from ._download import DataFile, fetch
from ._md5_fetch import fetch_md5
from ._safe_npz import load_npz
from ._sequences import check_arguments, load_word_index, prepare, shuffle, to_object_array

__all__ = ["FILE", "ORIGIN", "SUBDIR", "get_label_names", "get_word_index", "load_data"]

SUBDIR = "reuters"
"""Folder of this data set under the datasets root."""
ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
"""Keras's download location."""
FILE = DataFile("reuters.npz",
                "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916", 2_110_848)
"""The data file, its SHA-256 (Keras's) and size."""
WORD_INDEX = ("reuters_word_index.json", "4d44cc38712099c9e383dc6e5f11a921", 550_378)
"""The word-index file, its MD5 (Keras's) and size."""

_LABELS = (
    "cocoa grain veg-oil earn acq wheat copper housing money-supply coffee sugar trade "
    "reserves ship cotton carcass crude nat-gas cpi money-fx interest gnp meal-feed alum "
    "oilseed gold tin strategic-metal livestock retail ipi iron-steel rubber heat jobs lei "
    "bop zinc orange pet-chem dlr gas silver wpi hog lead"
).split()


def load_data(path: str | os.PathLike[str] | None = None, num_words: int | None = None,
              skip_top: int = 0, maxlen: int | None = None, test_split: float = 0.2,
              seed: int = 113, start_char: int | None = 1, oov_char: int | None = 2,
              index_from: int = 3,
              ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load Reuters as ``keras.datasets.reuters.load_data`` does.

    Parameters
    ----------
    path : str or os.PathLike, optional
        Datasets root folder that contains ``reuters/``.
    num_words, skip_top, maxlen, seed, start_char, oov_char, index_from
        As in :func:`descend.datasets.imdb.load_data` (same defaults).
    test_split : float, default 0.2
        Fraction of the (shuffled, filtered) newswires put in the test split.

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        ``x`` object arrays of ``list``\\s of ints, ``y`` int arrays of topics 0..45.
    """
    check_arguments("reuters.load_data", num_words, skip_top, maxlen, index_from)
    if isinstance(test_split, bool) or not isinstance(test_split, (int, float)) \
            or not 0 <= test_split <= 1:
        raise ValueError(f"reuters.load_data: `test_split` must be a float in [0, 1], "
                         f"received {test_split!r}.")
    arrays = load_npz(fetch("descend.datasets.reuters", FILE, SUBDIR, [ORIGIN], path=path))
    rng = np.random.RandomState(seed)
    xs, labels = shuffle(arrays["x"], arrays["y"], rng)
    ((xs, labels),) = prepare("reuters.load_data", [(xs, labels)], num_words, skip_top, maxlen,
                              start_char, oov_char, index_from)
    cut = int(len(xs) * (1 - test_split))
    return ((to_object_array(xs[:cut]), np.asarray(labels[:cut])),
            (to_object_array(xs[cut:]), np.asarray(labels[cut:])))


def get_word_index(path: str | os.PathLike[str] | None = None) -> dict[str, int]:
    """The word index: word -> rank by frequency (1 = most frequent), before ``index_from``."""
    name, md5, size = WORD_INDEX
    return load_word_index(fetch_md5("descend.datasets.reuters", name, md5, size, SUBDIR,
                                     ORIGIN + name, path=path))


def get_label_names() -> tuple[str, ...]:
    """The 46 topic names, indexed by label."""
    return tuple(_LABELS)
