"""Shared loader of Keras's housing ``.npz`` files (arrays ``x`` and ``y``), shuffled and split.

``path`` follows Keras where it can: a bare file name (Keras's default, e.g.
``"boston_housing.npz"``) is looked for in the data set's folder under the datasets root
(``DESCEND_DATASETS`` or ``~/.descend/datasets``) and downloaded there when missing; an
existing folder is used as the datasets root (as descend's other loaders do); any other path
names the file itself. The file is always SHA-256-checked and read with
``allow_pickle=False``. The split: shuffle the rows with ``numpy.random.RandomState(seed)``,
then the first ``int(n * (1 - test_split))`` rows train and the rest test, as Keras does.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ._download import DataFile, fetch, verify_file


def _resolve(dataset: str, data_file: DataFile, subdir: str, urls: Sequence[str],
             path: str | os.PathLike[str] | None) -> Path:
    if path is None:
        return fetch(dataset, data_file, subdir, urls)
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{dataset}: `path` must be a file name or path (str or os.PathLike), "
                        f"received {path!r}.")
    candidate = Path(path).expanduser()
    if candidate.is_dir():
        return fetch(dataset, data_file, subdir, urls, path=candidate)
    if candidate.parent == Path(".") and not candidate.is_file():
        named = DataFile(candidate.name, data_file.sha256, data_file.size)
        return fetch(dataset, named, subdir, urls)
    if not candidate.is_file():
        raise FileNotFoundError(f"{dataset}: no file at {candidate}. Pass a file name (looked "
                                "for under the datasets root), a datasets root folder, or the "
                                "path of an existing file.")
    verify_file(candidate, data_file.sha256)
    return candidate


def load_housing(dataset: str, data_file: DataFile, subdir: str, urls: Sequence[str],
                 path: str | os.PathLike[str] | None, test_split: float, seed: int,
                 rows: int | None = None) -> tuple[tuple[np.ndarray, np.ndarray],
                                                   tuple[np.ndarray, np.ndarray]]:
    """Read ``x``/``y`` (first ``rows`` rows if given), shuffle with ``seed``, split."""
    if isinstance(test_split, bool) or not isinstance(test_split, (int, float)) \
            or not 0 <= test_split < 1:
        raise ValueError(f"{dataset}: `test_split` must be a number in [0, 1), received "
                         f"test_split={test_split!r}.")
    file = _resolve(dataset, data_file, subdir, urls, path)
    try:
        with np.load(file, allow_pickle=False) as arrays:
            x, y = arrays["x"], arrays["y"]
    except (KeyError, ValueError, OSError) as error:
        raise ValueError(f"{dataset}: {file} is not an .npz file with arrays 'x' and 'y' "
                         f"({error}).") from error
    if len(x) != len(y):
        raise ValueError(f"{dataset}: {file} has {len(x)} samples but {len(y)} targets.")
    if rows is not None:
        x, y = x[:rows], y[:rows]
    order = np.arange(len(x))
    np.random.RandomState(seed).shuffle(order)
    x, y = x[order], y[order]
    cut = int(len(x) * (1 - test_split))
    return (np.array(x[:cut]), np.array(y[:cut])), (np.array(x[cut:]), np.array(y[cut:]))
