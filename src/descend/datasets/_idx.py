"""The IDX file format (MNIST, Fashion-MNIST) and the standard four-file train/test split.

An IDX file is big-endian: two zero bytes, a type byte, a byte with the number of dimensions
``ndim``, then ``ndim`` unsigned 32-bit sizes, then the data in C order. Type bytes:
``0x08`` uint8, ``0x09`` int8, ``0x0B`` int16, ``0x0C`` int32, ``0x0D`` float32, ``0x0E`` float64.
Files may be gzip-compressed (detected from the gzip magic bytes, not from the name).
"""

from __future__ import annotations

import gzip
import math
import os
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ._download import DataFile, fetch

__all__ = ["IDX_TYPES", "load_idx_split", "read_idx"]

IDX_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
"""IDX type byte -> NumPy dtype of the stored (big-endian) values."""

_GZIP_MAGIC = b"\x1f\x8b"
_MAX_BYTES = 1 << 34  # 16 GiB: refuse absurd sizes from a corrupted header before allocating


def _read_exact(stream: BinaryIO, count: int) -> bytes:
    data = stream.read(count)
    return data if data is not None else b""


def _parse(stream: BinaryIO, name: str) -> np.ndarray:
    header = _read_exact(stream, 4)
    if len(header) < 4:
        raise ValueError(
            f"IDX file {name!r} is malformed: it holds {len(header)} bytes, fewer than the "
            "4-byte magic number. The file is truncated; delete it and download it again."
        )
    if header[0] != 0 or header[1] != 0 or header[2] not in IDX_TYPES or header[3] == 0:
        raise ValueError(
            f"IDX file {name!r} is malformed: bad magic number 0x{header.hex()} (expected two "
            f"zero bytes, a type byte in {sorted(hex(t) for t in IDX_TYPES)} and a non-zero "
            "dimension count). It is not an IDX file or it is corrupted."
        )
    dtype = IDX_TYPES[header[2]]
    ndim = header[3]
    dims_bytes = _read_exact(stream, 4 * ndim)
    if len(dims_bytes) < 4 * ndim:
        raise ValueError(
            f"IDX file {name!r} is malformed: the header announces {ndim} dimensions but the "
            "file ends inside the list of sizes. The file is truncated; download it again."
        )
    shape = tuple(int(d) for d in np.frombuffer(dims_bytes, dtype=">u4"))
    nbytes = dtype.itemsize * math.prod(shape)
    if nbytes > _MAX_BYTES:
        raise ValueError(
            f"IDX file {name!r} is malformed: the header announces shape {shape} of "
            f"{dtype.name}, {nbytes:,} bytes, more than the {_MAX_BYTES:,} bytes this reader "
            "accepts. The header is corrupted."
        )
    out = np.empty(shape, dtype=dtype)
    view = memoryview(out.reshape(-1).view(np.uint8))
    got = 0
    while got < out.nbytes:
        n = stream.readinto(view[got:])
        if not n:
            break
        got += n
    if got < out.nbytes:
        raise ValueError(
            f"IDX file {name!r} is malformed: the header announces shape {shape} of "
            f"{dtype.name} ({out.nbytes:,} bytes of data) but only {got:,} bytes follow. "
            "The file is truncated; delete it and download it again."
        )
    if _read_exact(stream, 1):
        raise ValueError(
            f"IDX file {name!r} is malformed: there are bytes after the {out.nbytes:,} bytes "
            f"of data that the header (shape {shape}) announces. The file is corrupted."
        )
    return out.astype(dtype.newbyteorder("="), copy=False)


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (optionally gzip-compressed) into a NumPy array.

    Parameters
    ----------
    path : str or os.PathLike
        The ``.idx*-ubyte`` file or its ``.gz``.

    Returns
    -------
    numpy.ndarray, shape given by the header
        A new, writable array in native byte order with the header's dtype
        (uint8 for MNIST and Fashion-MNIST).

    Raises
    ------
    ValueError
        If the file is not valid IDX (bad magic number, truncated header or data, trailing
        bytes) or not valid gzip. The message names the file.

    Examples
    --------
    >>> import gzip, tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = pathlib.Path(d) / "tiny-idx2-ubyte.gz"
    ...     header = bytes([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3])
    ...     _ = p.write_bytes(gzip.compress(header + bytes(range(6))))
    ...     read_idx(p)
    array([[0, 1, 2],
           [3, 4, 5]], dtype=uint8)
    """
    file = Path(path)
    name = os.fspath(file)
    with open(file, "rb") as raw:
        compressed = raw.read(2) == _GZIP_MAGIC
        raw.seek(0)
        if not compressed:
            return _parse(raw, name)
        try:
            with gzip.GzipFile(fileobj=raw, mode="rb") as stream:
                return _parse(stream, name)
        except (OSError, EOFError, zlib.error) as exc:
            raise ValueError(
                f"IDX file {name!r} is not a valid gzip file ({exc}). It is corrupted or "
                "truncated; delete it and download it again."
            ) from exc


def load_idx_split(
    dataset: str,
    subdir: str,
    files: Sequence[DataFile],
    urls: Sequence[str],
    path: str | os.PathLike[str] | None = None,
    image_shape: tuple[int, ...] = (28, 28),
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load the standard four IDX files of an MNIST-style data set.

    Parameters
    ----------
    dataset : str
        Name for messages, e.g. ``"descend.datasets.mnist"``.
    subdir : str
        Folder under the datasets root, e.g. ``"mnist"``.
    files : sequence of DataFile, length 4
        Train images, train labels, test images, test labels, in that order.
    urls : sequence of str
        Mirror base URLs for missing files (see :func:`descend.datasets._download.fetch`).
    path : str or os.PathLike or None, default None
        Datasets root; ``None`` uses ``DESCEND_DATASETS`` or ``~/.descend/datasets``.
    image_shape : tuple of int, default (28, 28)
        Expected shape of one image.

    Returns
    -------
    ((x_train, y_train), (x_test, y_test)) : tuple of tuple of numpy.ndarray
        Images of shape ``(n, *image_shape)`` and labels of shape ``(n,)``.

    Raises
    ------
    ValueError
        If a file fails its SHA-256 check, is not valid IDX, or has an unexpected shape.
    FileNotFoundError
        If a file is missing and cannot be downloaded.

    Examples
    --------
    >>> from descend.datasets import mnist
    >>> (x, y), _ = load_idx_split("mnist", "mnist", mnist.FILES, [])  # doctest: +SKIP
    """
    if len(files) != 4:
        raise ValueError(
            f"{dataset}: `files` must list 4 files (train images, train labels, test images, "
            f"test labels), received {len(files)}."
        )
    arrays = []
    for data_file in files:
        local = fetch(dataset, data_file, subdir, urls, path=path)
        arrays.append((local, read_idx(local)))
    (xtr_path, x_train), (ytr_path, y_train), (xte_path, x_test), (yte_path, y_test) = arrays
    for (xp, x), (yp, y) in (
        ((xtr_path, x_train), (ytr_path, y_train)),
        ((xte_path, x_test), (yte_path, y_test)),
    ):
        if x.ndim != 1 + len(image_shape) or x.shape[1:] != tuple(image_shape):
            raise ValueError(
                f"{dataset}: images file {os.fspath(xp)!r} has shape {x.shape}, expected "
                f"(n, {', '.join(map(str, image_shape))}). It is not this data set's file."
            )
        if y.ndim != 1 or y.shape[0] != x.shape[0]:
            raise ValueError(
                f"{dataset}: labels file {os.fspath(yp)!r} has shape {y.shape}, expected "
                f"({x.shape[0]},) to match {os.fspath(xp)!r}."
            )
    return (x_train, y_train), (x_test, y_test)
