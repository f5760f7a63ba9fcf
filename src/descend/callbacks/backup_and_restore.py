"""The :class:`BackupAndRestore` callback: survive an interrupted ``fit`` and resume it exactly."""

from __future__ import annotations

import contextlib
import numbers
import os
import warnings
from typing import Any

from descend.callbacks.callback import Callback

__all__ = ["BackupAndRestore"]

LATEST = "latest.weights.npz"
PREVIOUS = "previous.weights.npz"


class BackupAndRestore(Callback):
    """Back up the training state regularly; a later ``fit`` resumes from the backup.

    At the end of every epoch (or every ``save_freq`` batches) the callback writes,
    in one atomic file ``backup_dir/latest.weights.npz``, the weights, the optimizer
    state, the epoch counter and the random state (descend's global generator and
    the generators of seeded layers). When ``fit`` starts again with this callback
    (for instance after the process was killed), it restores all of it and the
    loop resumes at the next epoch: with epoch-level backups, training interrupted
    at any point and resumed ends **bit-identical** to training never interrupted,
    shuffling and dropout included.

    Parameters
    ----------
    backup_dir : str or os.PathLike
        Directory for the backup files (created if needed). Use one per training run.
    save_freq : "epoch", int or False, default "epoch"
        Back up at the end of every epoch, every ``save_freq`` training batches, or
        never (``False``: restore only).
    double_checkpoint : bool, default False
        Keep the previous backup too (``previous.weights.npz``), used if the latest
        one cannot be read.
    delete_checkpoint : bool, default True
        Delete the backup files when ``fit`` ends normally (the directory too, if it
        is then empty).

    Raises
    ------
    ValueError
        If ``backup_dir`` is empty or ``save_freq`` is invalid.

    Notes
    -----
    The model must be built and compiled as in the interrupted run (same
    architecture, same optimizer settings) and ``fit`` called with the same data and
    arguments. A backup taken in the middle of an epoch (integer ``save_freq``)
    restarts that epoch from its first batch with the backed-up weights, as Keras
    does; only epoch-end backups give bit-identical resumption. The loop resumes at
    ``model._initial_epoch``, which this callback sets in ``on_train_begin``.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import descend
    >>> from descend.callbacks import BackupAndRestore
    >>> from descend.layers import Dense, Input
    >>> model = descend.Sequential([Input((2,)), Dense(1)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> backup = BackupAndRestore(os.path.join(tempfile.mkdtemp(), "backup"))
    >>> x, y = np.ones((8, 2), "float32"), np.ones((8, 1), "float32")
    >>> _ = model.fit(x, y, epochs=3, verbose=0, callbacks=[backup])
    >>> os.path.exists(backup.backup_dir)  # deleted after a complete run
    False
    """

    process_zero_only = True  # data-parallel: process 0 alone prints/writes

    def __init__(self, backup_dir: Any, save_freq: Any = "epoch", double_checkpoint: bool = False,
                 delete_checkpoint: bool = True) -> None:
        super().__init__()
        if backup_dir is None or (isinstance(backup_dir, str) and not backup_dir):
            raise ValueError("Empty `backup_dir` argument passed to BackupAndRestore. Give a "
                             "directory for the backup, e.g. BackupAndRestore('/tmp/backup').")
        try:
            backup_dir = os.fspath(backup_dir)
        except TypeError:
            raise TypeError(f"BackupAndRestore: `backup_dir` must be a str or os.PathLike, "
                            f"received {backup_dir!r}.") from None
        valid = save_freq == "epoch" or save_freq is False or (
            isinstance(save_freq, numbers.Integral) and not isinstance(save_freq, bool)
            and save_freq > 0)
        if not valid:
            raise ValueError(f"Invalid value for argument `save_freq`. Received: "
                             f"save_freq={save_freq!r}. Expected either 'epoch', a positive "
                             "integer (a number of batches), or False.")
        self.backup_dir = backup_dir
        self.save_freq = save_freq if save_freq in ("epoch", False) else int(save_freq)
        self.double_checkpoint = bool(double_checkpoint)
        self.delete_checkpoint = bool(delete_checkpoint)
        self._latest = os.path.join(backup_dir, LATEST)
        self._previous = os.path.join(backup_dir, PREVIOUS)
        self._current_epoch = 0
        self._batches_seen = 0
        if not isinstance(self.save_freq, str) and self.save_freq:
            self.on_train_batch_end = self._on_train_batch_end

    # ---------------------------------------------------------------- hooks
    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Restore the latest backup, if any, and tell the loop where to resume."""
        if not self.model.built:
            raise ValueError(
                "To use the BackupAndRestore callback, your model must be built before you call "
                "`fit()`. Start it with Input(shape=...) or call model.build(input_shape)."
            )
        epoch = self._restore()
        if epoch is not None:
            self.model._initial_epoch = epoch
            self._current_epoch = epoch

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Remember the epoch being trained."""
        self._current_epoch = epoch
        self._batches_seen = 0

    def _on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self._batches_seen += 1
        if self._batches_seen % self.save_freq == 0:
            self._save(self._current_epoch, batch + 1)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Back up weights, optimizer, the next epoch index and the random state."""
        self._current_epoch = epoch + 1
        if self.save_freq == "epoch":
            self._save(epoch + 1, 0)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        """Delete the backup (training completed) when ``delete_checkpoint``."""
        if not self.delete_checkpoint:
            return
        from descend.saving.atomic import remove_stale_temporaries

        for path in (self._latest, self._previous):
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
            remove_stale_temporaries(path)  # left by saves killed in an earlier run
        with contextlib.suppress(OSError):
            os.rmdir(self.backup_dir)  # only if empty: never remove the user's other files

    # -------------------------------------------------------------- helpers
    def _save(self, next_epoch: int, batch: int) -> None:
        from descend.saving.checkpoint import save_checkpoint

        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint and os.path.exists(self._latest):
            os.replace(self._latest, self._previous)
        save_checkpoint(self.model, self._latest, next_epoch=next_epoch, batch=batch)

    def _restore(self) -> int | None:
        from descend.saving.checkpoint import restore_checkpoint

        candidates = [self._latest] + ([self._previous] if self.double_checkpoint else [])
        failure: ValueError | None = None
        for path in candidates:
            if not os.path.exists(path):
                continue
            try:
                epoch = restore_checkpoint(self.model, path)
            except ValueError as exc:
                if failure is not None or not self.double_checkpoint:
                    raise
                failure = exc
                warnings.warn(f"BackupAndRestore: the latest backup cannot be restored ({exc}); "
                              "trying the previous one.", stacklevel=3)
                continue
            return epoch
        if failure is not None:
            raise failure
        return None
