"""The :class:`ModelCheckpoint` callback: save the model (or the best one) during training."""

from __future__ import annotations

import numbers
import os
import warnings
from typing import Any

from descend.callbacks.monitor_callback import MonitorCallback, _check_real

__all__ = ["ModelCheckpoint"]


class ModelCheckpoint(MonitorCallback):
    """Save the model or its weights every epoch (or every N batches), optionally only the best.

    Parameters
    ----------
    filepath : str or os.PathLike
        Where to save. It may hold format fields filled from ``epoch`` (1-based), the
        epoch logs and, with an integer ``save_freq``, ``batch`` (1-based), e.g.
        ``"ckpt-{epoch:02d}-{val_loss:.2f}.descend"``. It must end in ``.descend``
        (a whole model, :meth:`Model.save`), or in ``.weights.npz`` when
        ``save_weights_only=True`` (:meth:`Model.save_weights`). Missing directories
        are created.
    monitor : str, default "val_loss"
        Log key compared between saves when ``save_best_only=True``.
    verbose : int, default 0
        With a value > 0, print ``Epoch {n}: saving model to {path}`` (or the
        improvement messages of ``save_best_only``).
    save_best_only : bool, default False
        Save only when ``monitor`` improves on the best value so far. With a fixed
        ``filepath`` the file always holds the best model.
    save_weights_only : bool, default False
        Save only the weights (and optimizer state) instead of the whole model.
    mode : {"auto", "min", "max"}, default "auto"
        Direction of improvement; see :class:`~descend.callbacks.MonitorCallback`.
    save_freq : "epoch" or int, default "epoch"
        Save at the end of every epoch, or every ``save_freq`` training batches
        (the logs then hold the running averages of the current epoch).
    initial_value_threshold : float, optional
        With ``save_best_only``, the value the first save must beat.

    Raises
    ------
    ValueError
        If ``filepath`` has the wrong extension or ``save_freq`` is invalid.

    Notes
    -----
    Every save is atomic (a crash mid-save leaves the previous file intact).
    When ``monitor`` is missing from the logs under ``save_best_only``, the
    callback warns (listing the available keys) and skips that save, as Keras does.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import descend
    >>> from descend.callbacks import ModelCheckpoint
    >>> from descend.layers import Dense, Input
    >>> model = descend.Sequential([Input((2,)), Dense(1)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> folder = tempfile.mkdtemp()
    >>> checkpoint = ModelCheckpoint(os.path.join(folder, "ckpt-{epoch:02d}-{loss:.2f}.descend"),
    ...                              monitor="loss")
    >>> x, y = np.ones((8, 2), "float32"), np.ones((8, 1), "float32")
    >>> _ = model.fit(x, y, epochs=2, verbose=0, callbacks=[checkpoint])
    >>> len(os.listdir(folder))
    2
    """

    process_zero_only = True  # data-parallel: process 0 alone prints/writes

    def __init__(
        self,
        filepath: Any,
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        save_weights_only: bool = False,
        mode: str = "auto",
        save_freq: Any = "epoch",
        initial_value_threshold: float | None = None,
    ) -> None:
        super().__init__(monitor, mode, baseline=initial_value_threshold)
        try:
            filepath = os.fspath(filepath)
        except TypeError:
            raise TypeError(f"ModelCheckpoint: `filepath` must be a str or os.PathLike, "
                            f"received {filepath!r}.") from None
        _check_real("ModelCheckpoint", "verbose", verbose)
        if save_weights_only:
            if not filepath.endswith((".weights.npz", ".weights.h5")):
                raise ValueError(
                    "When using `save_weights_only=True` in `ModelCheckpoint`, the filepath "
                    "provided must end in `.weights.npz` (descend's weights format) or "
                    f"`.weights.h5` (Keras 3's, needs h5py). Received: filepath={filepath}"
                )
        elif not filepath.endswith((".descend", ".keras")):
            raise ValueError(
                "The filepath provided must end in `.descend` (descend's model format) or "
                "`.keras` (Keras 3's, needs h5py), or in `.weights.npz`/`.weights.h5` with "
                f"save_weights_only=True. Received: filepath={filepath}"
            )
        if save_freq != "epoch" and (isinstance(save_freq, bool)
                                     or not isinstance(save_freq, numbers.Integral)
                                     or save_freq <= 0):
            raise ValueError(
                f"Unrecognized save_freq: {save_freq!r}. Expected save_freq are 'epoch' or "
                "positive integer values (a number of batches)."
            )
        self.filepath = filepath
        self.verbose = verbose
        self.save_best_only = bool(save_best_only)
        self.save_weights_only = bool(save_weights_only)
        self.save_freq = save_freq if save_freq == "epoch" else int(save_freq)
        self.initial_value_threshold = initial_value_threshold
        self._current_epoch = 0
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        if self.save_freq != "epoch":
            # Only then does the loop need per-batch logs for this callback.
            self.on_train_batch_end = self._on_train_batch_end

    # ---------------------------------------------------------------- hooks
    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Remember the epoch (for the file name of batch-level saves)."""
        self._current_epoch = epoch

    def _on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if self._should_save_on_batch(batch):
            self._save_model(self._current_epoch, batch, logs or {})

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Save (or consider saving, with ``save_best_only``) at the end of the epoch."""
        if self.save_freq == "epoch":
            self._save_model(epoch, None, logs or {})

    # -------------------------------------------------------------- helpers
    def _should_save_on_batch(self, batch: int) -> bool:
        if batch <= self._last_batch_seen:  # a new epoch started
            added = batch + 1
        else:
            added = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _get_file_path(self, epoch: int, batch: int | None, logs: dict[str, Any]) -> str:
        fields = dict(logs)
        fields["epoch"] = epoch + 1
        if batch is not None and "batch" not in logs:
            fields["batch"] = batch + 1
        try:
            return self.filepath.format(**fields)
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(
                f'Failed to format this callback filepath: "{self.filepath}". Reason: {exc!r}. '
                f"Available fields: {sorted(fields)}."
            ) from exc

    def _save_model(self, epoch: int, batch: int | None, logs: dict[str, Any]) -> None:
        filepath = self._get_file_path(epoch, batch, logs)
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                warnings.warn(
                    f"Can save best model only with {self.monitor} available, skipping. "
                    f"Available metrics are: {','.join(logs.keys())}",
                    stacklevel=2,
                )
                return
            if not isinstance(current, numbers.Real):
                warnings.warn(
                    "Can save best model only when `monitor` is a scalar value. Received: "
                    f"{current!r}. Falling back to `save_best_only=False`.", stacklevel=2)
            else:
                best = "None" if self.best is None else f"{self.best:.5f}"
                if not self._is_improvement(current, self.best):
                    if self.verbose > 0:
                        print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}",
                              flush=True)
                    return
                if self.verbose > 0:
                    print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to "
                          f"{current:.5f}, saving model to {filepath}", flush=True)
                self.best = current
                self._write(filepath)
                self._report_saved(epoch, filepath)
                return
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: saving model to {filepath}", flush=True)
        self._write(filepath)
        self._report_saved(epoch, filepath)

    def _report_saved(self, epoch: int, filepath: str) -> None:
        """Keras 3 confirms every completed save when ``verbose > 0``."""
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: finished saving model to {filepath}", flush=True)

    def _write(self, filepath: str) -> None:
        directory = os.path.dirname(filepath)
        if directory:
            os.makedirs(directory, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)
