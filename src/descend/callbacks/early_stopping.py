"""The :class:`EarlyStopping` callback: stop when a monitored metric stops improving."""

from __future__ import annotations

from typing import Any

from descend.callbacks.monitor_callback import MonitorCallback, _check_count, _check_real

__all__ = ["EarlyStopping"]


class EarlyStopping(MonitorCallback):
    """Stop training when ``monitor`` has not improved for ``patience`` epochs.

    Parameters
    ----------
    monitor : str, default "val_loss"
        Key of the epoch logs to watch.
    min_delta : float, default 0
        Minimum change that counts as an improvement (absolute value).
    patience : int, default 0
        Number of epochs without improvement after which training stops.
    verbose : int, default 0
        With a value > 0, print ``Epoch {n}: early stopping`` and the restore message at the end.
    mode : {"auto", "min", "max"}, default "auto"
        Direction of improvement; see :class:`~descend.callbacks.MonitorCallback`.
    baseline : float, optional
        The patience counter is only reset by an improvement that also beats ``baseline``, so
        training stops after ``patience`` epochs if the baseline is never reached.
    restore_best_weights : bool, default False
        At the end of training, put back the weights of the best epoch, whether or not training
        stopped early (Keras 3 behaviour; Keras 2 restored only after an early stop).
    start_from_epoch : int, default 0
        Number of warm-up epochs during which the metric is not watched.

    Attributes
    ----------
    wait : int
        Epochs counted since the last improvement (see Notes).
    best : float or None
        Best monitored value so far.
    best_epoch : int
        0-based epoch of ``best``.
    stopped_epoch : int
        0-based epoch at which training was stopped (0 when it was not).
    best_weights : list of ndarray or None
        Weights at ``best_epoch`` (only with ``restore_best_weights``).

    Notes
    -----
    The state is reset in ``on_train_begin``, so one instance can be reused. At each epoch end
    (from ``start_from_epoch`` on): ``wait += 1``; on an improvement ``best`` is updated (and the
    weights stored), and ``wait`` goes back to 0 if the baseline is beaten too; otherwise
    training stops when ``wait >= patience`` and ``epoch > 0``.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from descend.callbacks import CallbackList, EarlyStopping
    >>> model = SimpleNamespace(stop_training=False, metrics=[])
    >>> stopper = EarlyStopping(monitor="loss", patience=1)
    >>> callbacks = CallbackList([stopper], model=model)
    >>> callbacks.on_train_begin()
    >>> for epoch, loss in enumerate([0.9, 0.5, 0.6, 0.7]):
    ...     callbacks.on_epoch_end(epoch, {"loss": loss})
    ...     if model.stop_training:
    ...         break
    >>> stopper.stopped_epoch, stopper.best_epoch, stopper.best
    (2, 1, 0.5)
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0,
        patience: int = 0,
        verbose: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
    ) -> None:
        super().__init__(monitor, mode, min_delta=min_delta)
        _check_count("EarlyStopping", "patience", patience)
        _check_count("EarlyStopping", "start_from_epoch", start_from_epoch)
        _check_real("EarlyStopping", "baseline", baseline, allow_none=True)
        _check_real("EarlyStopping", "verbose", verbose)
        self.patience = int(patience)
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = bool(restore_best_weights)
        self.start_from_epoch = int(start_from_epoch)
        self.wait = 0
        self.stopped_epoch = 0
        self.best_epoch = 0
        self.best_weights: list[Any] | None = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Reset the state so the instance can be reused across ``fit`` calls."""
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Update ``best``/``wait`` and set ``model.stop_training`` when patience runs out."""
        if self.monitor_op is None:
            self._set_monitor_op()  # delayed until the model's metrics exist
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # Until something better shows up, the current weights are the best ones.
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch

        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return

        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        """Report the stop and restore the best weights when asked to."""
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping", flush=True)
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(
                    "Restoring model weights from the end of the best epoch: "
                    f"{self.best_epoch + 1}.",
                    flush=True,
                )
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs: dict[str, Any] | None) -> float | None:
        """Return ``logs[monitor]``, or warn (listing the available keys) and return None."""
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            self._missing_monitor_warning("Early stopping", logs)
        return value
