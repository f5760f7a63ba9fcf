"""MNIST-1D (Greydanus & Kobak): 5,000 one-dimensional signals of length 40, ten classes.

The loader reads ``<root>/mnist1d/mnist1d_data.npz``, where ``<root>`` is the ``path``
argument, else the ``DESCEND_DATASETS`` environment variable, else ``~/.descend/datasets``.
The file holds four plain arrays, ``x`` float64 (4000, 40), ``y`` int64 (4000,), ``x_test``
float64 (1000, 40) and ``y_test`` int64 (1000,); it is read with ``allow_pickle=False`` after
its SHA-256 is checked against :data:`FILE`.

There is no official URL for this file, so it is never downloaded. To create it, build the
data set with the authors' package (fully offline; it needs numpy, scipy, matplotlib and
requests) and save the four arrays::

    pip install mnist1d
    python -c "
    import mnist1d
    from descend.datasets.mnist1d import save_npz
    data = mnist1d.get_dataset(mnist1d.get_dataset_args(), path='/tmp/mnist1d_data.pkl',
                               download=False, regenerate=True)
    save_npz(data, '$HOME/.descend/datasets/mnist1d/mnist1d_data.npz')
    "

``save_npz`` writes the same bytes as ``np.savez(file, x=..., y=..., x_test=..., y_test=...)``.
The default arguments (5000 samples, train split 0.8, length 40, seed 42) with NumPy 2.x and
SciPy 1.17 reproduce the checked file exactly. Other library versions can change the last bit
of some floats, and then the SHA-256 check fails; use the published file in that case.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ._download import DATASETS_ENV, DataFile, datasets_root, verify_file

__all__ = ["FILE", "SUBDIR", "load_data", "save_npz"]

SUBDIR = "mnist1d"
"""Folder of this data set under the datasets root."""

FILE = DataFile(
    "mnist1d_data.npz",
    "c9987f58e23821e18a5de95478fac82bfa27a481e701566a773b6c00fb7232cc",
    1_640_978,
)
"""The data file with its SHA-256 and size."""

_KEYS = ("x", "y", "x_test", "y_test")
_SIGNAL_LENGTH = 40


def _missing_message(target: Path) -> str:
    return (
        f"descend.datasets.mnist1d: data file {FILE.name!r} is missing from {target.parent}. "
        "It is not downloaded automatically (there is no official URL for it). Generate it "
        "offline with the authors' package: `pip install mnist1d`, then in Python: "
        "`import mnist1d; from descend.datasets.mnist1d import save_npz; "
        "data = mnist1d.get_dataset(mnist1d.get_dataset_args(), path='/tmp/mnist1d_data.pkl', "
        f"download=False, regenerate=True); save_npz(data, {str(target)!r})`. "
        f"Or set the {DATASETS_ENV} environment variable (or pass `path=`) to a folder that "
        f"contains {SUBDIR}/{FILE.name}."
    )


def load_data(
    path: str | os.PathLike[str] | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load MNIST-1D as ``(x_train, y_train), (x_test, y_test)``.

    Parameters
    ----------
    path : str or os.PathLike or None, default None
        Datasets root folder that contains ``mnist1d/mnist1d_data.npz``. ``None`` uses the
        ``DESCEND_DATASETS`` environment variable if set, else ``~/.descend/datasets``.

    Returns
    -------
    (x_train, y_train) : tuple of numpy.ndarray
        float64 signals of shape (4000, 40) and int64 labels of shape (4000,), classes 0..9.
    (x_test, y_test) : tuple of numpy.ndarray
        float64 signals of shape (1000, 40) and int64 labels of shape (1000,).

    Raises
    ------
    FileNotFoundError
        If the file is missing; the message explains how to generate it.
    ValueError
        If the file fails its SHA-256 check or lacks one of the arrays ``x``, ``y``,
        ``x_test``, ``y_test``.

    Examples
    --------
    >>> from descend.datasets import mnist1d
    >>> (x_train, y_train), (x_test, y_test) = mnist1d.load_data()  # doctest: +SKIP
    >>> x_train.shape, y_test.shape  # doctest: +SKIP
    ((4000, 40), (1000,))
    >>> mnist1d.FILE.name
    'mnist1d_data.npz'
    """
    target = datasets_root(path) / SUBDIR / FILE.name
    if not target.is_file():
        raise FileNotFoundError(_missing_message(target))
    verify_file(target, FILE.sha256)
    with np.load(target, allow_pickle=False) as archive:
        missing = [key for key in _KEYS if key not in archive.files]
        if missing:
            raise ValueError(
                f"descend.datasets.mnist1d: {os.fspath(target)!r} lacks the arrays {missing}; "
                f"it must hold {list(_KEYS)}."
            )
        x, y, x_test, y_test = (archive[key] for key in _KEYS)
    return (x, y), (x_test, y_test)


def save_npz(data: Mapping[str, np.ndarray], file: str | os.PathLike[str]) -> Path:
    """Write an MNIST-1D data set dict to the ``.npz`` file that :func:`load_data` reads.

    Parameters
    ----------
    data : mapping of str to array_like
        Must have ``"x"`` (n_train, 40), ``"y"`` (n_train,), ``"x_test"`` (n_test, 40) and
        ``"y_test"`` (n_test,), as returned by ``mnist1d.get_dataset``. Other keys (``"t"``,
        ``"templates"``) are ignored. Signals are stored as float64 and labels as int64.
    file : str or os.PathLike
        Destination, usually ``<root>/mnist1d/mnist1d_data.npz``. Missing parent folders are
        created.

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    ValueError
        If a key is missing or an array has the wrong shape.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> rng = np.random.default_rng(0)
    >>> toy = {"x": rng.normal(size=(8, 40)), "y": np.arange(8) % 10,
    ...        "x_test": rng.normal(size=(2, 40)), "y_test": np.array([3, 4])}
    >>> with tempfile.TemporaryDirectory() as d:
    ...     out = save_npz(toy, pathlib.Path(d) / "mnist1d" / "mnist1d_data.npz")
    ...     sorted(np.load(out).files)
    ['x', 'x_test', 'y', 'y_test']
    """
    missing = [key for key in _KEYS if key not in data]
    if missing:
        raise ValueError(
            f"save_npz: `data` lacks the keys {missing}; it must have {list(_KEYS)} "
            "as returned by mnist1d.get_dataset(...)."
        )
    x, y, x_test, y_test = (np.asarray(data[key]) for key in _KEYS)
    for xs, ys, kx, ky in ((x, y, "x", "y"), (x_test, y_test, "x_test", "y_test")):
        if xs.ndim != 2 or xs.shape[1] != _SIGNAL_LENGTH or ys.shape != (xs.shape[0],):
            raise ValueError(
                f"save_npz: expected `{kx}` of shape (n, {_SIGNAL_LENGTH}) and `{ky}` of shape "
                f"(n,), received {xs.shape} and {ys.shape}."
            )
    out = Path(file).expanduser()
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as handle:
        np.savez(
            handle,
            x=np.ascontiguousarray(x, dtype=np.float64),
            y=np.ascontiguousarray(y, dtype=np.int64),
            x_test=np.ascontiguousarray(x_test, dtype=np.float64),
            y_test=np.ascontiguousarray(y_test, dtype=np.int64),
        )
    return out
