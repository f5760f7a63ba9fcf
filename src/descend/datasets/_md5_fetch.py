"""Fetch a file that Keras publishes with an MD5 digest only (the word-index JSON files).

Keras lists ``imdb_word_index.json`` and ``reuters_word_index.json`` with MD5 digests,
not SHA-256; descend checks those files against Keras's MD5 (the ``.npz`` data files are
checked by SHA-256 through :mod:`descend.datasets._download`). A missing file is
downloaded into a temporary file in the same folder, hashed while it arrives and moved
into place only when the digest matches, as the other loaders do.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import urllib.request
from pathlib import Path

from ._download import datasets_root

__all__ = ["fetch_md5"]


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch_md5(dataset: str, name: str, md5: str, max_size: int, subdir: str, url: str,
              path: str | os.PathLike[str] | None = None) -> Path:
    """Verified local path of ``name`` under ``<root>/<subdir>``, downloaded if missing.

    Parameters
    ----------
    dataset : str
        Named in messages.
    name, md5 : str
        File name and its expected MD5 (hex).
    max_size : int
        A download larger than this many bytes is refused.
    subdir, url : str
        Folder under the datasets root; full download URL.
    path : str or os.PathLike, optional
        Datasets root (see :func:`descend.datasets.datasets_root`).

    Raises
    ------
    ValueError
        If the file (present or downloaded) has the wrong digest.
    FileNotFoundError
        If it is missing and cannot be downloaded.
    """
    folder = datasets_root(path) / subdir
    target = folder / name
    if target.is_file():
        if _md5(target) != md5:
            raise ValueError(f"{dataset}: {target} has the wrong MD5 digest (expected {md5}); "
                             "delete it so that it is downloaded again.")
        return target
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".part")
    except OSError as error:
        raise FileNotFoundError(f"{dataset}: {name} is missing from {folder} and that folder "
                                f"cannot be written ({error}). Download {url} into it, or "
                                "set DESCEND_DATASETS to a folder that has it.") from error
    try:
        digest = hashlib.md5(usedforsecurity=False)
        done = 0
        with os.fdopen(handle, "wb") as out, urllib.request.urlopen(url, timeout=30) as resp:
            for chunk in iter(lambda: resp.read(1 << 16), b""):
                done += len(chunk)
                if done > max_size:
                    raise ValueError(f"{dataset}: {url} sent more than {max_size:,} bytes.")
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != md5:
            raise ValueError(f"{dataset}: {url} sent a file with the wrong MD5 digest.")
        os.replace(temp, target)
        return target
    except OSError as error:
        raise FileNotFoundError(f"{dataset}: {name} is missing from {folder} and could not "
                                f"be downloaded from {url} ({error}). Put the file there, or "
                                "set DESCEND_DATASETS to a folder that has it.") from error
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
