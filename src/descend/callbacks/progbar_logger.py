"""The :class:`ProgbarLogger` callback: progress output of ``fit``, ``evaluate``, ``predict``."""

from __future__ import annotations

from typing import Any

from descend.callbacks.callback import Callback
from descend.utils.progbar import Progbar, _stdout_is_interactive

__all__ = ["ProgbarLogger"]


class ProgbarLogger(Callback):
    """Print ``Epoch i/n`` headers and a :class:`~descend.utils.progbar.Progbar` line per epoch.

    ``fit``, ``evaluate`` and ``predict`` add one automatically (last, after ``History``) unless
    ``verbose=0``. Its behaviour follows Keras 3's ``ProgbarLogger``:

    * ``Epoch {epoch + 1}/{epochs}`` is printed at the start of each epoch, only when ``verbose``
      is truthy and ``epochs > 1``;
    * ``verbose="auto"`` means 1; with 1 the bar is live on a terminal and a single clean line
      otherwise, with 2 a single line ``count - elapsed - time/step - metrics`` per epoch;
    * validation batches inside ``fit`` are silent, their ``val_`` results appear on the epoch
      line; ``evaluate`` prints its own bar; ``predict`` shows no metrics;
    * values are displayed as the logs give them (already running averages), in order of first
      appearance: training keys (sorted), then ``val_`` keys, then keys added by other callbacks.

    The settings come from :meth:`set_params` (``verbose``, ``epochs``, ``steps``); when ``steps``
    is ``None`` the first epoch counts its batches and later epochs know the target.

    Examples
    --------
    >>> from descend.callbacks import CallbackList
    >>> callbacks = CallbackList(add_progbar=True, verbose=2, epochs=2, steps=5)
    >>> callbacks.on_train_begin()
    >>> callbacks.on_epoch_begin(0)
    Epoch 1/2
    >>> callbacks.on_epoch_end(0, {"loss": 0.5, "accuracy": 0.75})  # doctest: +ELLIPSIS
    5/5 - 0s - ...s/step - accuracy: 0.7500 - loss: 0.5000
    """

    process_zero_only = True  # data-parallel: process 0 alone prints/writes

    def __init__(self) -> None:
        super().__init__()
        self.seen = 0
        self.progbar: Progbar | None = None
        self.target: int | None = None
        self.verbose: int = 1
        self.epochs: int = 1
        self._called_in_fit = False

    def set_params(self, params: dict[str, Any]) -> None:
        """Read ``verbose`` ("auto" means 1), ``epochs`` and ``steps`` (the bar's target)."""
        super().set_params(params)
        verbose = params.get("verbose", 1)
        if verbose == "auto":
            verbose = 1
        if isinstance(verbose, str) or verbose not in (0, 1, 2):
            raise ValueError(
                f"ProgbarLogger: `verbose` must be 'auto', 0, 1 or 2; received {verbose!r}. "
                "Use verbose=2 for one line per epoch, 0 for silence."
            )
        self.verbose = int(verbose)
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def _live(self) -> bool:
        """Whether the bar is redrawn after every batch (verbose=1 on a terminal)."""
        if self.progbar is not None:
            return self.verbose == 1 and self.progbar.dynamic_display
        return self.verbose == 1 and _stdout_is_interactive()

    def _needs_batch_logs(self) -> bool:
        # Per-batch calls are needed to redraw the live bar, or to count the batches when the
        # number of steps is unknown; otherwise the single end-of-epoch line needs only the epoch
        # logs, and skipping the batch hooks keeps the training loop fast.
        if not self.verbose:
            return False
        return self.target is None or self._live()

    # -- progbar management -------------------------------------------------------------------

    def _reset_progbar(self) -> None:
        self.seen = 0
        self.progbar = None

    def _maybe_init_progbar(self) -> None:
        if self.progbar is None:
            self.progbar = Progbar(
                target=self.target,
                verbose=self.verbose,
                stateless_metrics=set(),
                unit_name="step",
            )

    def _update_progbar(self, batch: int, logs: dict[str, Any] | None) -> None:
        self.seen = batch + 1  # one-based
        if self.progbar is None:
            self._maybe_init_progbar()
        if self.verbose == 1 and self.progbar.dynamic_display:
            self.progbar.update(self.seen, logs, finalize=False)

    def _finalize_progbar(self, logs: dict[str, Any] | None) -> None:
        self._maybe_init_progbar()
        if self.target is None:
            self.target = self.seen
            self.progbar.target = self.target
        values: Any = logs or None
        if values and self.verbose == 1:
            values = self._training_keys_first(values)
        self.progbar.update(self.target, values, finalize=True)

    def _training_keys_first(self, logs: dict[str, Any]) -> list[tuple[str, Any]]:
        """Order the keys as a bar fed with batch logs would: the model's metrics first.

        Keras's verbose=1 bar learns the training keys from the first batch, so they come before
        the ``val_`` keys even when a metric name sorts after ``val_``. When no batch was shown
        (one-line mode), the model's metric names recover that order; keys already shown keep
        their place in any case.
        """
        metrics = getattr(self.model, "metrics", None) or ()
        names = {getattr(metric, "name", None) for metric in metrics}
        first = [(k, v) for k, v in logs.items() if k in names]
        rest = [(k, v) for k, v in logs.items() if k not in names]
        return first + rest

    # -- hooks ------------------------------------------------------------------------------

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Mark that we are inside ``fit`` (validation runs are then silent)."""
        self._called_in_fit = True

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        """Leave ``fit`` mode, so that the instance can be reused for ``evaluate``."""
        self._called_in_fit = False

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Start a new bar and print ``Epoch {epoch + 1}/{epochs}`` when ``epochs > 1``."""
        self._reset_progbar()
        self._maybe_init_progbar()
        if self.verbose and self.epochs > 1:
            print(f"Epoch {epoch + 1}/{self.epochs}", flush=True)

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Redraw the live bar with the running averages."""
        self._update_progbar(batch, logs)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Print the final line of the epoch, with ``val_`` keys and callback-added keys."""
        self._finalize_progbar(logs)

    def on_test_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Start a bar for ``evaluate`` (nothing during validation inside ``fit``)."""
        if not self._called_in_fit:
            self._reset_progbar()
            self._maybe_init_progbar()

    def on_test_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Redraw the ``evaluate`` bar (validation batches inside ``fit`` are ignored)."""
        if not self._called_in_fit:
            self._update_progbar(batch, logs)

    def on_test_end(self, logs: dict[str, Any] | None = None) -> None:
        """Print the final ``evaluate`` line (nothing during validation inside ``fit``)."""
        if not self._called_in_fit:
            self._finalize_progbar(logs)

    def on_predict_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Start a bar for ``predict``."""
        self._reset_progbar()
        self._maybe_init_progbar()

    def on_predict_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Redraw the ``predict`` bar (predictions are not displayed)."""
        self._update_progbar(batch, None)

    def on_predict_end(self, logs: dict[str, Any] | None = None) -> None:
        """Print the final ``predict`` line."""
        self._finalize_progbar(None)
