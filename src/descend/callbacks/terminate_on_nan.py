"""The :class:`TerminateOnNaN` callback: stop as soon as the loss becomes NaN or infinite."""

from __future__ import annotations

import math
from typing import Any

from descend.callbacks.callback import Callback

__all__ = ["TerminateOnNaN"]


class TerminateOnNaN(Callback):
    """Stop training when a batch reports a NaN or infinite ``loss``.

    Parameters
    ----------
    raise_error : bool, default False
        If False, print ``Batch {batch}: Invalid loss, terminating training`` and set
        ``model.stop_training``; if True raise ``RuntimeError`` instead (the other callbacks'
        ``on_train_end`` are then not run).

    Notes
    -----
    It checks the running ``loss`` after every training batch, so it makes the loop build
    per-batch logs.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from descend.callbacks import TerminateOnNaN
    >>> model = SimpleNamespace(stop_training=False)
    >>> guard = TerminateOnNaN()
    >>> guard.set_model(model)
    >>> guard.on_train_batch_end(7, {"loss": float("nan")})
    Batch 7: Invalid loss, terminating training
    >>> model.stop_training
    True
    """

    def __init__(self, raise_error: bool = False) -> None:
        super().__init__()
        if not isinstance(raise_error, bool):
            raise TypeError(
                f"TerminateOnNaN: `raise_error` must be True or False; received {raise_error!r}."
            )
        self.raise_error = raise_error

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Check ``logs["loss"]`` and stop (or raise) when it is NaN or infinite."""
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        if not math.isfinite(float(loss)):
            if self.raise_error:
                raise RuntimeError(
                    f"TerminateOnNaN: the loss became {loss} at batch {batch}. Lower the learning "
                    "rate, check the inputs for NaN/Inf, or clip gradients."
                )
            print(f"Batch {batch}: Invalid loss, terminating training", flush=True)
            self.model.stop_training = True
