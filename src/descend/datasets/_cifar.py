"""Shared reader of the CIFAR-10/100 "python version" archives (``.tar.gz`` of pickled batches).

The archive is read in place with :mod:`tarfile` (nothing is extracted, so member names
cannot write outside the data folder); each batch is unpickled with
:func:`descend.datasets._safe_pickle.load_restricted`. Images are stored as rows of 3072
bytes (1024 red, 1024 green, 1024 blue values of a 32 x 32 image, row-major); they are
returned as ``(n, 32, 32, 3)`` (or ``(n, 3, 32, 32)`` when
``descend.config.image_data_format()`` is ``"channels_first"``), uint8, with labels of shape
``(n, 1)``, uint8, as Keras returns them.
"""

from __future__ import annotations

import os
import tarfile
from collections.abc import Sequence

import numpy as np

from descend import config

from ._download import DataFile, fetch
from ._safe_pickle import load_restricted


def _read_batch(archive: tarfile.TarFile, member: str, label_key: bytes,
                source: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        info = archive.getmember(member)
    except KeyError:
        raise ValueError(f"{source}: the archive has no member {member!r}; it is not a CIFAR "
                         "python-version archive.") from None
    handle = archive.extractfile(info)
    if handle is None:
        raise ValueError(f"{source}: member {member!r} is not a regular file.")
    with handle:
        batch = load_restricted(handle)
    if not isinstance(batch, dict) or b"data" not in batch or label_key not in batch:
        raise ValueError(f"{source}: member {member!r} does not hold a CIFAR batch with "
                         f"{label_key.decode()!r}.")
    data = np.asarray(batch[b"data"], dtype=np.uint8)
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
        raise ValueError(f"{source}: member {member!r} has images of shape {data.shape}, "
                         "expected (n, 3072).")
    labels = np.asarray(batch[label_key], dtype=np.uint8)
    if labels.shape != (data.shape[0],):
        raise ValueError(f"{source}: member {member!r} has {labels.size} labels for "
                         f"{data.shape[0]} images.")
    return data.reshape(-1, 3, 32, 32), labels


def load_cifar(dataset: str, data_file: DataFile, subdir: str, urls: Sequence[str],
               train_members: Sequence[str], test_member: str, label_key: bytes,
               path: str | os.PathLike[str] | None) -> tuple[tuple[np.ndarray, np.ndarray],
                                                            tuple[np.ndarray, np.ndarray]]:
    """Fetch and verify the archive, then read the train batches and the test batch."""
    archive_path = fetch(dataset, data_file, subdir, urls, path=path)
    source = f"{dataset} ({archive_path})"
    try:
        archive = tarfile.open(archive_path, "r:gz")
    except (tarfile.TarError, OSError) as error:
        raise ValueError(f"{source}: not a readable .tar.gz archive ({error}).") from error
    with archive:
        train = [_read_batch(archive, m, label_key, source) for m in train_members]
        x_test, y_test = _read_batch(archive, test_member, label_key, source)
    x_train = np.concatenate([x for x, _ in train])
    y_train = np.concatenate([y for _, y in train])
    if config.image_data_format() == "channels_last":
        x_train = x_train.transpose(0, 2, 3, 1)
        x_test = x_test.transpose(0, 2, 3, 1)
    return ((np.ascontiguousarray(x_train), y_train.reshape(-1, 1)),
            (np.ascontiguousarray(x_test), y_test.reshape(-1, 1)))
