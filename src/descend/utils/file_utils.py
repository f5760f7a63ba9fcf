"""``get_file``: download a file once, check its hash, optionally extract it (Keras's API).

Files are cached in ``<cache_dir>/<cache_subdir>/`` (default ``~/.descend/datasets``; when
``cache_dir`` cannot be written, ``/tmp/.descend`` is used, as Keras falls back to
``/tmp/.keras``). A cached file whose hash does not match is downloaded again. Downloads go to
a temporary file that is moved into place only when complete and, when a hash is given,
verified, so an interrupted or corrupted download never leaves a file behind.

Extraction (``extract=True``) accepts ``.tar`` (also gzip/bzip2/xz-compressed) and ``.zip``
archives and refuses, with a ``ValueError`` naming the member, any member that would land
outside the extraction folder (absolute names, ``..`` components, links pointing outside,
device files). Nothing is extracted when one member is unsafe.

Examples
--------
>>> import pathlib, tempfile
>>> with tempfile.TemporaryDirectory() as d:
...     src = pathlib.Path(d) / "hello.txt"
...     _ = src.write_text("hi")
...     path = get_file(origin=src.as_uri(), cache_dir=d, cache_subdir="cache")
...     pathlib.Path(path).read_text(), pathlib.Path(path).parent.name
('hi', 'cache')
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

__all__ = ["extract_archive", "get_file", "hash_file", "validate_file"]


def _hasher(algorithm: str, file_hash: str | None) -> Any:
    if algorithm == "sha256" or (algorithm == "auto" and file_hash is not None
                                 and len(file_hash) == 64):
        return hashlib.sha256()
    if algorithm in ("md5", "auto"):
        return hashlib.md5()
    raise ValueError(f"get_file: `hash_algorithm` must be 'auto', 'sha256' or 'md5', received "
                     f"hash_algorithm={algorithm!r}.")


def hash_file(fpath: str | os.PathLike[str], algorithm: str = "sha256",
              chunk_size: int = 65535) -> str:
    """Hex digest of a file (``"sha256"``, ``"md5"`` or ``"auto"`` meaning sha256).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = pathlib.Path(d) / "a"
    ...     _ = p.write_bytes(b"abc")
    ...     hash_file(p)[:12], hash_file(p, "md5")[:12]
    ('ba7816bf8f01', '900150983cd2')
    """
    hasher = _hasher("sha256" if algorithm == "auto" else algorithm, None)
    with open(fpath, "rb") as handle:
        for block in iter(lambda: handle.read(chunk_size), b""):
            hasher.update(block)
    return hasher.hexdigest()


def validate_file(fpath: str | os.PathLike[str], file_hash: str,
                  algorithm: str = "auto", chunk_size: int = 65535) -> bool:
    """Whether the file's hash equals ``file_hash`` (``"auto"``: sha256 for 64 hex digits)."""
    hasher = _hasher(algorithm, file_hash)
    with open(fpath, "rb") as handle:
        for block in iter(lambda: handle.read(chunk_size), b""):
            hasher.update(block)
    return hasher.hexdigest() == str(file_hash).lower()


def _inside(root: Path, name: str) -> bool:
    if not name or name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return False
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if ".." in parts:
        return False
    target = (root / Path(*parts)).resolve() if parts else root.resolve()
    return target == root.resolve() or root.resolve() in target.parents


def _check_tar(archive: tarfile.TarFile, root: Path, source: str) -> None:
    for member in archive.getmembers():
        bad = None
        if not _inside(root, member.name):
            bad = "its path leaves the extraction folder"
        elif member.isdev() or member.isfifo():
            bad = "it is a device or FIFO"
        elif member.issym() or member.islnk():
            link = member.linkname
            base = str(PurePosixPath(member.name).parent) if member.issym() else ""
            joined = str(PurePosixPath(base) / link) if base not in ("", ".") else link
            if link.startswith("/") or not _inside(root, joined):
                bad = f"it links to {link!r}, outside the extraction folder"
        if bad:
            raise ValueError(f"extract_archive: refusing to extract {source}: member "
                             f"{member.name!r} is unsafe ({bad}). Nothing was extracted.")


def extract_archive(file_path: str | os.PathLike[str], path: str | os.PathLike[str] = ".",
                    archive_format: str | list[str] | None = "auto") -> bool:
    """Extract a tar or zip archive into ``path`` after checking every member.

    Parameters
    ----------
    file_path : str or os.PathLike
    path : str or os.PathLike, default "."
        Destination folder (created if needed).
    archive_format : {"auto", "tar", "zip"}, list of them, or None, default "auto"

    Returns
    -------
    bool
        True if the file was a matching archive and was extracted.

    Raises
    ------
    ValueError
        If a member would be written outside ``path`` (see the module docstring).
    """
    if archive_format is None:
        return False
    formats = ["tar", "zip"] if archive_format == "auto" else (
        [archive_format] if isinstance(archive_format, str) else list(archive_format))
    root = Path(path)
    source = os.fspath(file_path)
    for kind in formats:
        if kind == "tar" and tarfile.is_tarfile(source):
            with tarfile.open(source) as archive:
                _check_tar(archive, root, source)
                root.mkdir(parents=True, exist_ok=True)
                try:
                    archive.extractall(root, filter="data")
                except TypeError:  # Python without extraction filters
                    archive.extractall(root)  # noqa: S202 (members checked above)
            return True
        if kind == "zip" and zipfile.is_zipfile(source):
            with zipfile.ZipFile(source) as archive:
                for name in archive.namelist():
                    if not _inside(root, name):
                        raise ValueError(
                            f"extract_archive: refusing to extract {source}: member {name!r} "
                            "is unsafe (its path leaves the extraction folder). Nothing was "
                            "extracted.")
                root.mkdir(parents=True, exist_ok=True)
                archive.extractall(root)
            return True
        if kind not in ("tar", "zip"):
            raise ValueError(f"extract_archive: unknown archive_format {kind!r}; expected "
                             "'auto', 'tar', 'zip' or a list of them.")
    return False


def _default_cache_dir() -> Path:
    return Path.home() / ".descend"


def _download(origin: str, target: Path) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part",
                                    dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, contextlib.closing(
                urllib.request.urlopen(origin, timeout=30)) as response:
            shutil.copyfileobj(response, out, 1 << 16)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def get_file(fname: str | None = None, origin: str | None = None, untar: bool = False,
             md5_hash: str | None = None, file_hash: str | None = None,
             cache_subdir: str = "datasets", hash_algorithm: str = "auto",
             extract: bool = False, archive_format: str = "auto",
             cache_dir: str | os.PathLike[str] | None = None,
             force_download: bool = False) -> str:
    """Download ``origin`` into the cache (unless already there) and return its local path.

    Parameters
    ----------
    fname : str, optional
        File name in the cache (no folders); defaults to the last part of the URL.
    origin : str
        URL (``https://``, ``http://``, ``file://``).
    untar : bool, default False
        Legacy: same as ``extract=True`` with ``archive_format="tar"``.
    md5_hash : str, optional
        Legacy: an MD5 digest to check.
    file_hash : str, optional
        Expected digest (SHA-256 if 64 hex digits, else MD5 with ``hash_algorithm="auto"``).
    cache_subdir : str, default "datasets"
        Folder under ``cache_dir`` (an absolute path is used as is).
    hash_algorithm : {"auto", "sha256", "md5"}, default "auto"
    extract : bool, default False
        Extract the archive and return the extraction folder.
    archive_format : {"auto", "tar", "zip"}, default "auto"
    cache_dir : str or os.PathLike, optional
        Default ``~/.descend``.
    force_download : bool, default False
        Download even if the file is cached.

    Returns
    -------
    str
        The file's path, or with ``extract`` the folder it was extracted into: ``<name
        before the first dot>_extracted`` when ``fname`` has an extension (the archive is
        kept as ``fname``), else ``fname`` (the archive is kept as ``<fname>_archive``).

    Raises
    ------
    ValueError
        Missing ``origin``, ``fname`` with folders, hash mismatch after download, unsafe
        archive member.
    OSError
        The download failed (``urllib.error.URLError`` names the URL).
    """
    if origin is None:
        raise ValueError("get_file: the `origin` argument (URL of the file to download) is "
                         "required.")
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    _hasher(hash_algorithm, file_hash)  # validate the algorithm name early
    base = Path(cache_dir).expanduser() if cache_dir is not None else _default_cache_dir()
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError:
        pass
    if not os.access(base, os.W_OK):
        base = Path(tempfile.gettempdir()) / ".descend"
    folder = base / cache_subdir
    folder.mkdir(parents=True, exist_ok=True)
    given = fname is not None
    name = os.fspath(fname) if given else os.path.basename(urllib.parse.urlsplit(origin).path)
    if not name:
        raise ValueError(f"get_file: cannot take a file name from origin={origin!r}; pass "
                         "`fname`.")
    if given and ("/" in name or os.sep in name):
        raise ValueError(f"get_file: `fname` must be a file name without folders (use "
                         f"`cache_dir`/`cache_subdir` for the folder), received fname={name!r}.")
    extracting = extract or untar
    if extracting and given and "." in name:
        target = folder / name
        extraction_dir = folder / f"{name[:name.find('.')]}_extracted"
    elif extracting:
        target = folder / f"{name}_archive"
        extraction_dir = folder / name
    else:
        target = folder / name
    download = force_download or not target.exists()
    if not download and file_hash is not None and not validate_file(target, file_hash,
                                                                     hash_algorithm):
        download = True  # stale or corrupted cache entry
    if download:
        try:
            _download(origin, target)
        except urllib.error.URLError as error:
            raise urllib.error.URLError(f"get_file: could not fetch {origin}: "
                                        f"{error.reason}") from error
        if file_hash is not None and not validate_file(target, file_hash, hash_algorithm):
            target.unlink()
            raise ValueError(f"get_file: the file downloaded from {origin} does not match "
                             f"the expected {hash_algorithm} hash {file_hash}; it was "
                             "deleted. The file is incomplete or a different version.")
    if extracting:
        if not extract_archive(target, extraction_dir, "tar" if untar else archive_format):
            raise ValueError(f"get_file: {target} is not a {archive_format} archive, so it "
                             "cannot be extracted.")
        return os.fspath(extraction_dir)
    return os.fspath(target)
