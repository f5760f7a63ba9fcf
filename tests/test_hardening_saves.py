"""Killed saves leave no temporary files behind for good: the next save removes them."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import descend
from descend.layers import Dense, Input
from descend.saving import atomic

fcntl = pytest.importorskip("fcntl")


def _model() -> descend.Sequential:
    model = descend.Sequential([Input((3,)), Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    return model


def _temporaries(directory, target: str) -> list[str]:
    pattern = re.compile(rf"\.{re.escape(target)}\.[a-z0-9_]{{8}}\.tmp")
    return sorted(n for n in os.listdir(directory) if pattern.fullmatch(n))


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
@pytest.mark.parametrize("target", ["m.weights.npz", "m.descend"])
def test_temporaries_of_killed_saves_are_removed_by_the_next_save(tmp_path, target) -> None:
    path = tmp_path / target
    script = textwrap.dedent(f"""
        import os, signal
        import descend
        from descend.layers import Dense, Input
        from descend.saving import format as fmt
        model = descend.Sequential([Input((3,)), Dense(2)])
        def write_then_die(fileobj):
            fileobj.write(b"half a file" * 1000)
            fileobj.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        fmt.atomic_write({str(path)!r}, write_then_die)
    """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    for _ in range(3):
        result = subprocess.run([sys.executable, "-c", script], env=env, timeout=120)
        assert result.returncode == -signal.SIGKILL
    # every killed save removed the leftovers of the one before: one file, not three
    assert len(_temporaries(tmp_path, target)) == 1
    assert not path.exists()
    model = _model()
    if target.endswith(".descend"):
        model.save(path)
    else:
        model.save_weights(path)
    assert _temporaries(tmp_path, target) == []
    assert path.exists()


def test_only_unlocked_leftovers_of_the_same_target_are_removed(tmp_path) -> None:
    target = tmp_path / "m.weights.npz"
    stale = tmp_path / ".m.weights.npz.abcd_123.tmp"
    stale_empty_old = tmp_path / ".m.weights.npz.zzzzzzzz.tmp"
    fresh_empty = tmp_path / ".m.weights.npz.yyyyyyyy.tmp"  # a save about to lock it
    locked = tmp_path / ".m.weights.npz.locked00.tmp"      # a save in progress
    others = [
        tmp_path / ".other.weights.npz.abcd1234.tmp",   # another target
        tmp_path / ".m.weights.npz.abc.tmp",            # not mkstemp's 8 characters
        tmp_path / "m.weights.npz.abcd1234.tmp",        # no leading dot
        tmp_path / ".m.weights.npz.abcd1234.tmp.keep",  # another suffix
        tmp_path / ".m.weights.npzXabcd1234.tmp",       # not the separator
        tmp_path / "notes.txt",
    ]
    for file in [stale, locked, *others]:
        file.write_bytes(b"data")
    stale_empty_old.write_bytes(b"")
    fresh_empty.write_bytes(b"")
    old = time.time() - 2 * atomic.STALE_AGE
    os.utime(stale_empty_old, (old, old))
    link = tmp_path / ".m.weights.npz.symlink.tmp"
    link.symlink_to(tmp_path / "notes.txt")
    with open(locked, "rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        _model().save_weights(target)
        assert locked.exists()
    assert not stale.exists() and not stale_empty_old.exists()
    assert fresh_empty.exists()
    assert link.is_symlink() and (tmp_path / "notes.txt").read_bytes() == b"data"
    for file in others:
        assert file.read_bytes() == b"data", file
    assert target.exists()


def test_a_concurrent_save_in_progress_is_not_disturbed(tmp_path) -> None:
    target = str(tmp_path / "m.weights.npz")
    model = _model()
    seen: list[list[str]] = []

    def write_slowly(fileobj) -> None:
        fileobj.write(b"first save" * 100)
        fileobj.flush()
        model.save_weights(target)  # a second save of the same target meanwhile
        seen.append(_temporaries(tmp_path, "m.weights.npz"))
        fileobj.write(b"rest")

    atomic.atomic_write(target, write_slowly)
    assert len(seen[0]) == 1  # the first save's temporary file survived the second save
    with open(target, "rb") as saved:
        assert saved.read() == b"first save" * 100 + b"rest"
    assert _temporaries(tmp_path, "m.weights.npz") == []
    np.testing.assert_equal(len(os.listdir(tmp_path)), 1)


def test_backup_and_restore_leaves_no_leftovers_of_killed_runs(tmp_path) -> None:
    from descend.callbacks import BackupAndRestore

    backup = tmp_path / "backup"
    backup.mkdir()
    leftover = backup / ".latest.weights.npz.k1ll3d00.tmp"  # a run killed mid-backup
    leftover.write_bytes(b"half a backup")
    model = _model()
    x, y = np.ones((8, 3), "float32"), np.ones((8, 2), "float32")
    model.fit(x, y, epochs=2, verbose=0, callbacks=[BackupAndRestore(backup, save_freq=False)])
    assert not backup.exists()  # removed with the leftover once training completed
