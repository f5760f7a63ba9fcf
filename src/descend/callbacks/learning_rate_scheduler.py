"""The :class:`LearningRateScheduler` callback: set the learning rate from a per-epoch function."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from descend.callbacks.callback import Callback

__all__ = ["LearningRateScheduler"]


class LearningRateScheduler(Callback):
    """Set ``model.optimizer.learning_rate`` to ``schedule(epoch, lr)`` at each epoch start.

    Parameters
    ----------
    schedule : callable
        ``schedule(epoch, lr) -> float`` with the 0-based epoch and the current rate. A function
        of the epoch alone, ``schedule(epoch)``, is also accepted: it is used when the two-argument
        call raises ``TypeError``.
    verbose : int, default 0
        With a value > 0, print ``Epoch {n}: LearningRateScheduler setting learning rate to {lr}.``

    Notes
    -----
    The schedule must return a float (Python or NumPy); anything else raises ``ValueError``.
    At each epoch end the current rate is written to ``logs["learning_rate"]``.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from descend.callbacks import LearningRateScheduler
    >>> model = SimpleNamespace(optimizer=SimpleNamespace(learning_rate=0.1))
    >>> scheduler = LearningRateScheduler(lambda epoch, lr: lr if epoch < 1 else lr / 2)
    >>> scheduler.set_model(model)
    >>> for epoch in range(3):
    ...     scheduler.on_epoch_begin(epoch)
    >>> model.optimizer.learning_rate
    0.025
    """

    def __init__(self, schedule: Callable[..., float], verbose: int = 0) -> None:
        super().__init__()
        if not callable(schedule):
            raise TypeError(
                "LearningRateScheduler: `schedule` must be a function schedule(epoch, lr) -> "
                f"float; received {schedule!r} of type {type(schedule).__name__}."
            )
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Compute the rate for ``epoch`` and write it to the optimizer."""
        optimizer = getattr(self.model, "optimizer", None)
        if not hasattr(optimizer, "learning_rate"):
            raise ValueError(
                'LearningRateScheduler: the optimizer must have a "learning_rate" attribute; '
                f"received optimizer {optimizer!r}. Compile the model with a descend optimizer "
                "before calling fit."
            )
        try:
            learning_rate = self.schedule(epoch, float(optimizer.learning_rate))
        except TypeError:  # a schedule of the epoch only
            learning_rate = self.schedule(epoch)
        if isinstance(learning_rate, bool) or not isinstance(learning_rate, (float, np.floating)):
            raise ValueError(
                "The output of the `schedule` function should be a float. "
                f"Got: {learning_rate!r} of type {type(learning_rate).__name__} at epoch {epoch}. "
                "Return e.g. float(value)."
            )
        optimizer.learning_rate = float(learning_rate)
        if self.verbose > 0:
            print(
                f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                f"{float(learning_rate)}.",
                flush=True,
            )

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Write the current rate to ``logs["learning_rate"]``."""
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)
