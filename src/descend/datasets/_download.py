"""Find, verify and (when missing) download data set files.

Where files live
    A *datasets root* holds one folder per data set (``mnist/``, ``fashion-mnist/``,
    ``mnist1d/``). The root is, in order of precedence: the ``path`` argument of a loader, the
    ``DESCEND_DATASETS`` environment variable, else ``~/.descend/datasets``.

Integrity
    Every file is checked against a SHA-256 digest stored in the code before it is used. Digests
    are cached per process, keyed by the file's path, size, modification time and inode, so a
    data set that is loaded several times is hashed once.

Downloads
    A missing file is downloaded when its folder is writable: the bytes go to a temporary file in
    the same folder, are hashed while they arrive, and are moved into place with
    :func:`os.replace` only when the digest matches. A failed, corrupted or interrupted download
    (including ``KeyboardInterrupt``) never leaves a partial file behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

__all__ = [
    "DATASETS_ENV",
    "DataFile",
    "datasets_root",
    "download",
    "fetch",
    "file_sha256",
    "verify_file",
]

DATASETS_ENV = "DESCEND_DATASETS"
"""Name of the environment variable that overrides the datasets root."""

_CHUNK = 1 << 16
_TIMEOUT_S = 30.0
_PROGRESS_INTERVAL_S = 0.25

# (resolved path, size, mtime_ns, inode) -> hex SHA-256 of the file's bytes.
_DIGEST_CACHE: dict[tuple[str, int, int, int], str] = {}


@dataclass(frozen=True)
class DataFile:
    """A file that belongs to a data set, with the size and digest it must have.

    Parameters
    ----------
    name : str
        File name inside the data set's folder, e.g. ``"train-images-idx3-ubyte.gz"``.
    sha256 : str
        Expected SHA-256 of the file's bytes, 64 lowercase hex digits.
    size : int
        Expected size in bytes (used for progress output and to stop an oversized download).

    Examples
    --------
    >>> f = DataFile("a.bin", "0" * 64, 3)
    >>> f.name, f.size
    ('a.bin', 3)
    """

    name: str
    sha256: str
    size: int


def datasets_root(path: str | os.PathLike[str] | None = None) -> Path:
    """Return the datasets root folder that a loader should use.

    Parameters
    ----------
    path : str or os.PathLike or None, default None
        Explicit root. When ``None``, the ``DESCEND_DATASETS`` environment variable is used if it
        is set and not empty, else ``~/.descend/datasets``.

    Returns
    -------
    pathlib.Path
        The root, with ``~`` expanded. It is not created here.

    Examples
    --------
    >>> datasets_root("/data/sets").as_posix()
    '/data/sets'
    >>> datasets_root().name
    'datasets'
    """
    if path is not None:
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(
                "`path` must be a folder path (str or os.PathLike) or None, received "
                f"{path!r} of type {type(path).__name__}."
            )
        return Path(path).expanduser()
    env = os.environ.get(DATASETS_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    return Path.home() / ".descend" / "datasets"


def _cache_key(path: Path) -> tuple[str, int, int, int]:
    st = path.stat()
    return (str(path.resolve()), st.st_size, st.st_mtime_ns, st.st_ino)


def file_sha256(path: str | os.PathLike[str]) -> str:
    """Return the SHA-256 of a file, computing it at most once per unchanged file per process.

    Parameters
    ----------
    path : str or os.PathLike
        File to hash.

    Returns
    -------
    str
        64 lowercase hex digits.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = pathlib.Path(d) / "abc.txt"
    ...     _ = p.write_bytes(b"abc")
    ...     file_sha256(p)[:16]
    'ba7816bf8f01cfea'
    """
    file = Path(path)
    key = _cache_key(file)
    digest = _DIGEST_CACHE.get(key)
    if digest is None:
        hasher = hashlib.sha256()
        with open(file, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                hasher.update(block)
        digest = hasher.hexdigest()
        _DIGEST_CACHE[key] = digest
    return digest


def verify_file(path: str | os.PathLike[str], expected_sha256: str) -> None:
    """Check that a file's SHA-256 is the expected one.

    Parameters
    ----------
    path : str or os.PathLike
        File to check.
    expected_sha256 : str
        Expected digest, 64 hex digits.

    Raises
    ------
    ValueError
        If the digests differ. The message names the file, both digests and the fix.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = pathlib.Path(d) / "abc.txt"
    ...     _ = p.write_bytes(b"abc")
    ...     verify_file(p, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    """
    actual = file_sha256(path)
    if actual != expected_sha256.lower():
        raise ValueError(
            f"Data set file {os.fspath(path)!r} failed its SHA-256 check: expected "
            f"{expected_sha256.lower()}, got {actual}. The file is corrupted, truncated or a "
            "different version. Delete it and load again to re-download it (or copy a good "
            "copy into place)."
        )


def _open_url(url: str, timeout: float) -> BinaryIO:
    """Open ``url`` for reading. Tests replace this function to stay offline."""
    return urllib.request.urlopen(url, timeout=timeout)


def _content_length(response: object) -> int | None:
    headers = getattr(response, "headers", None)
    value = headers.get("Content-Length") if headers is not None else None
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


class _Progress:
    """A one-line ``done/total bytes`` counter on stderr, redrawn at most every 0.25 s."""

    def __init__(self, label: str, total: int | None) -> None:
        self.label = label
        self.total = total
        self.last = 0.0

    def update(self, done: int, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self.last < _PROGRESS_INTERVAL_S:
            return
        self.last = now
        if self.total:
            pct = min(100, done * 100 // self.total)
            text = f"\r{self.label}: {done:,}/{self.total:,} bytes ({pct}%)"
        else:
            text = f"\r{self.label}: {done:,} bytes"
        sys.stderr.write(text + ("\n" if final else ""))
        sys.stderr.flush()


def download(url: str, destination: str | os.PathLike[str], data_file: DataFile) -> Path:
    """Download ``url`` to ``destination`` atomically, verifying its SHA-256.

    The bytes are written to a temporary file next to ``destination`` and moved into place with
    :func:`os.replace` only after the digest matches ``data_file.sha256``. On any failure
    (network error, wrong digest, oversized body, ``KeyboardInterrupt``) the temporary file is
    removed and ``destination`` is left untouched.

    Parameters
    ----------
    url : str
        Source URL (``https://``, ``http://`` or ``file://``).
    destination : str or os.PathLike
        Final path of the file. Its folder must exist and be writable.
    data_file : DataFile
        Expected digest and size.

    Returns
    -------
    pathlib.Path
        ``destination``.

    Raises
    ------
    ValueError
        If the downloaded bytes do not have the expected SHA-256 (or exceed the expected size).
    OSError
        If the URL cannot be read (``urllib.error.URLError`` is a subclass) or the file cannot
        be written.

    Examples
    --------
    >>> import hashlib, tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     src = pathlib.Path(d) / "src.bin"
    ...     _ = src.write_bytes(b"abc")
    ...     f = DataFile("out.bin", hashlib.sha256(b"abc").hexdigest(), 3)
    ...     out = download(src.as_uri(), pathlib.Path(d) / "out.bin", f)
    ...     out.read_bytes()
    b'abc'
    """
    target = Path(destination)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        hasher = hashlib.sha256()
        done = 0
        with os.fdopen(fd, "wb") as out, contextlib.closing(_open_url(url, _TIMEOUT_S)) as resp:
            total = _content_length(resp) or data_file.size
            progress = _Progress(f"Downloading {url}", total)
            while True:
                block = resp.read(_CHUNK)
                if not block:
                    break
                done += len(block)
                if done > data_file.size:
                    raise ValueError(
                        f"Download of {data_file.name!r} from {url} is larger than the expected "
                        f"{data_file.size:,} bytes; the server sent a different file. "
                        "Nothing was saved."
                    )
                hasher.update(block)
                out.write(block)
                progress.update(done)
            progress.update(done, final=True)
        actual = hasher.hexdigest()
        if actual != data_file.sha256:
            raise ValueError(
                f"Downloaded {data_file.name!r} from {url} failed its SHA-256 check: expected "
                f"{data_file.sha256}, got {actual} ({done:,} bytes). Nothing was saved; try "
                "again later or download the file by hand."
            )
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _DIGEST_CACHE[_cache_key(target)] = actual
    return target


def _writable_dir(folder: Path) -> bool:
    """Create ``folder`` if needed and report whether files can be created in it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(folder, os.W_OK | os.X_OK)


def _missing_message(dataset: str, folder: Path, data_file: DataFile, urls: Sequence[str]) -> str:
    target = folder / data_file.name
    where = (
        f"Download it by hand from {urls[0]}{data_file.name} and save it as {target}, "
        if urls
        else f"Put it at {target}, "
    )
    return (
        f"{dataset}: data file {data_file.name!r} is missing from {folder}. "
        + where
        + f"or set the {DATASETS_ENV} environment variable (or pass `path=`) to a folder that "
        f"contains {folder.name}/{data_file.name}."
    )


def fetch(
    dataset: str,
    data_file: DataFile,
    subdir: str,
    urls: Sequence[str],
    path: str | os.PathLike[str] | None = None,
) -> Path:
    """Return the verified local path of a data set file, downloading it if it is missing.

    Parameters
    ----------
    dataset : str
        Data set name used in messages, e.g. ``"descend.datasets.mnist"``.
    data_file : DataFile
        The file and its expected digest.
    subdir : str
        The data set's folder under the datasets root, e.g. ``"mnist"``.
    urls : sequence of str
        Base URLs (ending in ``/``) to try in order; ``data_file.name`` is appended. Empty means
        the file is never downloaded.
    path : str or os.PathLike or None, default None
        Datasets root, see :func:`datasets_root`.

    Returns
    -------
    pathlib.Path
        Path of the file, whose SHA-256 has been checked.

    Raises
    ------
    ValueError
        If the file exists but fails its SHA-256 check, or every download attempt returned bytes
        with the wrong digest.
    FileNotFoundError
        If the file is missing and cannot be downloaded (folder not writable, no network). The
        message says which file, the exact folder to put it in, and mentions ``DESCEND_DATASETS``.

    Examples
    --------
    >>> import hashlib, tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as root:
    ...     folder = pathlib.Path(root) / "toy"
    ...     folder.mkdir()
    ...     _ = (folder / "a.bin").write_bytes(b"abc")
    ...     f = DataFile("a.bin", hashlib.sha256(b"abc").hexdigest(), 3)
    ...     fetch("toy", f, "toy", [], path=root).name
    'a.bin'
    """
    folder = datasets_root(path) / subdir
    target = folder / data_file.name
    if target.is_file():
        verify_file(target, data_file.sha256)
        return target
    if not urls:
        raise FileNotFoundError(_missing_message(dataset, folder, data_file, urls))
    if not _writable_dir(folder):
        raise FileNotFoundError(
            _missing_message(dataset, folder, data_file, urls)
            + " (It was not downloaded because that folder cannot be created or written.)"
        )
    failures: list[str] = []
    mismatch: ValueError | None = None
    last_error: BaseException | None = None
    for base in urls:
        url = base + data_file.name
        try:
            return download(url, target, data_file)
        except ValueError as exc:
            mismatch = last_error = exc
            failures.append(f"{url}: {exc}")
        except OSError as exc:
            last_error = exc
            reason = getattr(exc, "reason", None) or exc
            failures.append(f"{url}: {reason}")
    tried = "; ".join(failures)
    if mismatch is not None:
        raise ValueError(
            f"{dataset}: could not download a valid {data_file.name!r}. {tried}"
        ) from mismatch
    raise FileNotFoundError(
        _missing_message(dataset, folder, data_file, urls)
        + f" The download failed (offline?): {tried}"
    ) from last_error
