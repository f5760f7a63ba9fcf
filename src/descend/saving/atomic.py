"""Atomic writes: temporary file, flush, fsync, rename; and the clean-up of killed saves.

Every save of descend (``model.save``, ``save_weights``, checkpoints) writes to a
temporary file ``.<name>.XXXXXXXX.tmp`` in the target's directory, holding an
exclusive lock on it, then flushes, ``fsync`` s and renames it over the target
with :func:`os.replace`: a crash mid-save leaves the previous file untouched. A
process killed mid-save leaves its temporary file behind, unlocked; the next
save of the same target deletes it (:func:`remove_stale_temporaries`).

Examples
--------
>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "notes.txt")
>>> atomic_write(path, lambda f: f.write(b"hello"))
>>> open(path, "rb").read()
b'hello'
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
import time
from collections.abc import Callable
from typing import IO

from descend import _distributed

try:
    import fcntl
except ImportError:  # Windows: stale temporaries are recognised by their age only
    fcntl = None  # type: ignore[assignment]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()


def atomic_write(filepath: str, write: Callable[[IO[bytes]], None], overwrite: bool = True
                 ) -> None:
    """Write a file atomically: temporary file, flush, fsync, then rename over ``filepath``.

    Parameters
    ----------
    filepath : str
        Destination. Its directory must exist.
    write : callable
        ``write(fileobj)`` writes the whole content to a binary file object.
    overwrite : bool, default True
        If False and ``filepath`` exists, raise ``FileExistsError`` (no prompt).

    Raises
    ------
    FileExistsError
        If ``overwrite`` is False and the file exists.

    Notes
    -----
    If ``write`` (or anything after it) fails, the temporary file is removed and an
    existing ``filepath`` is left exactly as it was. In data-parallel training
    (:mod:`descend.distribution`) only process 0 writes: on the others this returns
    without writing (every process holds the same model).
    """
    if not _distributed.is_process_zero():
        return
    if not overwrite and os.path.exists(filepath):
        raise _exists_error(filepath)
    directory = os.path.dirname(os.path.abspath(filepath))
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            f"Cannot save to '{filepath}': the directory '{directory}' does not exist. Create it "
            "first (os.makedirs(directory, exist_ok=True))."
        )
    handle, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(filepath)}.", suffix=".tmp",
                                   dir=directory)
    fileobj = os.fdopen(handle, "wb")
    # the lock is held until the file is renamed and closed: it tells the clean-up of
    # other saves of this target that this one is alive
    locked = _lock(handle)
    try:
        remove_stale_temporaries(filepath, keep=tmp)
        write(fileobj)
        fileobj.flush()
        os.fsync(fileobj.fileno())
        if not locked:  # no locks (Windows): close before renaming, which needs it closed
            fileobj.close()
        os.chmod(tmp, _FILE_MODE)
        if overwrite:
            os.replace(tmp, filepath)
        else:
            try:
                os.link(tmp, filepath)  # fails if the file appeared meanwhile: never clobber
            except FileExistsError:
                raise _exists_error(filepath) from None
            os.unlink(tmp)
    except BaseException:
        with contextlib.suppress(OSError):
            fileobj.close()
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    finally:
        fileobj.close()
    _fsync_directory(directory)


STALE_AGE = 3600.0
"""Seconds after which an unlocked, empty temporary file (or any temporary file where
file locks are not available) is taken for the leftover of a killed save."""


def _lock(handle: int) -> bool:
    """Take an exclusive ``flock`` on an open file; False where locks are unavailable or
    the file is locked by someone else."""
    if fcntl is None:
        return False
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _temporary_pattern(filepath: str) -> re.Pattern[str]:
    # exactly the names atomic_write's mkstemp gives: ".<name>." + 8 characters + ".tmp"
    name = re.escape(os.path.basename(filepath))
    return re.compile(rf"\.{name}\.[a-z0-9_]{{8}}\.tmp")


def remove_stale_temporaries(filepath: str, keep: str | None = None) -> list[str]:
    """Delete the temporary files that killed saves of ``filepath`` left behind.

    A save writes ``.<name>.XXXXXXXX.tmp`` next to ``filepath`` and holds an
    exclusive lock on it until it is renamed; a process killed mid-save leaves
    the file, unlocked. Only regular files with exactly that name pattern for
    this target are considered, and one is deleted only if nobody holds its lock
    and it is not empty (a save locks its file before writing anything) or older
    than :data:`STALE_AGE` seconds. Where file locks do not exist (Windows), only
    the age counts. Other files are never touched.

    Parameters
    ----------
    filepath : str
        The target of the saves.
    keep : str, optional
        A temporary file not to delete (the caller's own).

    Returns
    -------
    list of str
        The paths deleted.
    """
    directory = os.path.dirname(os.path.abspath(filepath))
    pattern = _temporary_pattern(filepath)
    removed: list[str] = []
    try:
        names = [n for n in os.listdir(directory) if pattern.fullmatch(n)]
    except OSError:
        return removed
    for name in names:
        path = os.path.join(directory, name)
        if keep is not None and os.path.abspath(path) == os.path.abspath(keep):
            continue
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            continue
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                continue
            old = time.time() - info.st_mtime > STALE_AGE
            if fcntl is not None:
                if not _lock(fd) or not (info.st_size > 0 or old):
                    continue  # a live save holds it, or one that has not written yet
            elif not old:
                continue
            os.unlink(path)  # under our lock: the name still refers to this file
            removed.append(path)
        except OSError:
            continue
        finally:
            os.close(fd)
    return removed


def _exists_error(filepath: str) -> FileExistsError:
    return FileExistsError(
        f"'{filepath}' already exists and overwrite=False. Pass overwrite=True to replace it, "
        "or choose another filename."
    )


def _fsync_directory(directory: str) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


__all__ = ["STALE_AGE", "atomic_write", "remove_stale_temporaries"]
