"""The :class:`ReduceLROnPlateau` callback: lower the learning rate when a metric stalls."""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.callbacks.monitor_callback import MonitorCallback, _check_count, _check_real

__all__ = ["ReduceLROnPlateau"]


class ReduceLROnPlateau(MonitorCallback):
    """Multiply the learning rate by ``factor`` when ``monitor`` has stopped improving.

    Parameters
    ----------
    monitor : str, default "val_loss"
        Key of the epoch logs to watch.
    factor : float, default 0.1
        ``new_lr = max(lr * factor, min_lr)``; must be < 1.
    patience : int, default 10
        Epochs without improvement before the learning rate is reduced.
    verbose : int, default 0
        With a value > 0, print ``Epoch {n}: ReduceLROnPlateau reducing learning rate to {lr}.``
    mode : {"auto", "min", "max"}, default "auto"
        Direction of improvement; see :class:`~descend.callbacks.MonitorCallback`.
    min_delta : float, default 1e-4
        Minimum change that counts as an improvement (absolute value).
    cooldown : int, default 0
        Epochs to wait after a reduction before counting epochs without improvement again.
    min_lr : float, default 0.0
        Lower bound of the learning rate.

    Notes
    -----
    Every epoch end writes the current rate (before any reduction made at that epoch) to
    ``logs["learning_rate"]``, so it appears in ``History`` and on the progress line. A
    reduction happens only if the current rate is above ``min_lr``.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from descend.callbacks import ReduceLROnPlateau
    >>> model = SimpleNamespace(optimizer=SimpleNamespace(learning_rate=0.1), metrics=[])
    >>> reducer = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1)
    >>> reducer.set_model(model)
    >>> reducer.on_train_begin()
    >>> for epoch, loss in enumerate([1.0, 1.0, 1.0]):
    ...     reducer.on_epoch_end(epoch, {"loss": loss})
    >>> model.optimizer.learning_rate
    0.025
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        verbose: int = 0,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
    ) -> None:
        super().__init__(monitor, mode, min_delta=min_delta)
        _check_real("ReduceLROnPlateau", "factor", factor)
        if factor >= 1.0:
            raise ValueError(
                "ReduceLROnPlateau does not support a factor >= 1.0. "
                f"Received factor={factor}. Use a factor in (0, 1), e.g. 0.1 or 0.5."
            )
        _check_count("ReduceLROnPlateau", "patience", patience)
        _check_count("ReduceLROnPlateau", "cooldown", cooldown)
        _check_real("ReduceLROnPlateau", "min_lr", min_lr)
        _check_real("ReduceLROnPlateau", "verbose", verbose)
        if min_lr < 0:
            raise ValueError(f"ReduceLROnPlateau: `min_lr` must be >= 0; received {min_lr!r}.")
        self.factor = float(factor)
        self.patience = int(patience)
        self.verbose = verbose
        self.cooldown = int(cooldown)
        self.min_lr = float(min_lr)
        self.cooldown_counter = 0
        self.wait = 0

    def _reset(self) -> None:
        """Reset the wait and cooldown counters and the best value."""
        self.cooldown_counter = 0
        self.wait = 0
        self.best = None

    def in_cooldown(self) -> bool:
        """Whether the callback is in the cooldown period after a reduction."""
        return self.cooldown_counter > 0

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Reset the counters so the instance can be reused."""
        self._reset()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Log the learning rate and reduce it after ``patience`` epochs without improvement."""
        if self.monitor_op is None:
            self._set_monitor_op()
        logs = logs if logs is not None else {}
        optimizer = self.model.optimizer
        logs["learning_rate"] = float(optimizer.learning_rate)
        current = logs.get(self.monitor)
        if current is None:
            self._missing_monitor_warning("Learning rate reduction is", logs)
            return

        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0

        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                old_lr = float(optimizer.learning_rate)
                # Compare in float32 (Keras's learning-rate precision) so that a rate already at
                # min_lr, stored in float32 or float64, is not "reduced" to itself again.
                if np.float32(old_lr) > np.float32(self.min_lr):
                    new_lr = max(old_lr * self.factor, self.min_lr)
                    optimizer.learning_rate = new_lr
                    if self.verbose > 0:
                        print(
                            f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to "
                            f"{new_lr}.",
                            flush=True,
                        )
                    self.cooldown_counter = self.cooldown
                    self.wait = 0
