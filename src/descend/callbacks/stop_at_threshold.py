"""The :class:`StopAtThreshold` callback: train until the loss reaches a threshold."""

from __future__ import annotations

import math
import operator
from typing import Any

from descend.callbacks.monitor_callback import MonitorCallback, _check_real

__all__ = ["StopAtThreshold"]


class StopAtThreshold(MonitorCallback):
    """Stop ``fit`` at the end of the first epoch whose ``monitor`` value crosses ``threshold``.

    "This entire process is iterated multiple times until the loss of the neural network reaches a
    certain threshold. Once the model reaches the threshold, training is stopped." This callback
    is that rule; it is not part of Keras.

    Parameters
    ----------
    threshold : float
        Target value. Training stops once ``value <= threshold`` (min mode) or
        ``value >= threshold`` (max mode).
    monitor : str, default "loss"
        Key of the epoch logs to watch, e.g. ``"loss"``, ``"val_loss"``, ``"accuracy"``.
    mode : {"auto", "min", "max"}, default "auto"
        Direction of the metric; ``"auto"`` minimises losses and uses the direction of the model
        metric named ``monitor`` otherwise (see :class:`~descend.callbacks.MonitorCallback`).
    verbose : int, default 0
        With a value > 0, print ``Epoch {n}: loss reached 0.2 (threshold 0.25); stopping.`` at the
        end of training.

    Attributes
    ----------
    stopped_epoch : int or None
        0-based epoch at whose end the threshold was reached (``None`` if it never was).
    stopped_value : float or None
        The monitored value at that epoch.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from descend.callbacks import CallbackList, StopAtThreshold
    >>> model = SimpleNamespace(stop_training=False, metrics=[])
    >>> stopper = StopAtThreshold(0.25, verbose=1)
    >>> callbacks = CallbackList([stopper], model=model)
    >>> callbacks.on_train_begin()
    >>> for epoch, loss in enumerate([0.9, 0.4, 0.2, 0.1]):
    ...     callbacks.on_epoch_end(epoch, {"loss": loss})
    ...     if model.stop_training:
    ...         break
    >>> callbacks.on_train_end()
    Epoch 3: loss reached 0.2 (threshold 0.25); stopping.
    >>> stopper.stopped_epoch
    2
    """

    def __init__(
        self, threshold: float, monitor: str = "loss", mode: str = "auto", verbose: int = 0
    ) -> None:
        super().__init__(monitor, mode)
        _check_real("StopAtThreshold", "threshold", threshold)
        if not math.isfinite(threshold):
            raise ValueError(
                f"StopAtThreshold: `threshold` must be a finite number; received {threshold!r}."
            )
        _check_real("StopAtThreshold", "verbose", verbose)
        self.threshold = float(threshold)
        self.verbose = verbose
        self.stopped_epoch: int | None = None
        self.stopped_value: float | None = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Reset the state so the instance can be reused."""
        self.stopped_epoch = None
        self.stopped_value = None

    def _reached(self, value: float) -> bool:
        """Whether ``value`` is at or beyond the threshold in the monitored direction."""
        if self.monitor_op is None:
            self._set_monitor_op()
        if self.monitor_op is operator.gt:
            return value >= self.threshold
        return value <= self.threshold

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Set ``model.stop_training`` when the monitored value has crossed the threshold."""
        logs = logs or {}
        current = logs.get(self.monitor)
        if current is None:
            self._missing_monitor_warning("Stopping at a threshold", logs)
            return
        if self._reached(current):
            self.stopped_epoch = epoch
            self.stopped_value = current
            self.model.stop_training = True

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        """Print the stop message (when ``verbose``)."""
        if self.verbose > 0 and self.stopped_epoch is not None:
            print(
                f"Epoch {self.stopped_epoch + 1}: {self.monitor} reached "
                f"{self.stopped_value:.4g} (threshold {self.threshold:.4g}); stopping.",
                flush=True,
            )
