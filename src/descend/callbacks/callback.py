"""The :class:`Callback` base class: hooks called by ``fit``, ``evaluate`` and ``predict``.

Same contract as ``keras.callbacks.Callback``: subclasses override any of the ``on_*`` hooks; the
training loop gives them the model (:meth:`Callback.set_model`) and the run parameters
(:meth:`Callback.set_params`, a dict with ``verbose``, ``epochs`` and ``steps``) before training.
``epoch`` and ``batch`` arguments are 0-based. Hooks receive ``logs``, a dict of Python floats
with sorted keys (see :func:`descend.callbacks.callback_list.pythonify_logs`); the batch-end logs
hold running averages over the epoch so far, ``on_epoch_end`` logs also hold the ``val_`` keys.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Callback"]

#: Hooks called once per batch; the loop only calls them (and only builds per-batch logs) when
#: some callback overrides one of them.
BATCH_HOOKS = (
    "on_batch_begin",
    "on_batch_end",
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_test_batch_begin",
    "on_test_batch_end",
    "on_predict_batch_begin",
    "on_predict_batch_end",
)

#: Every hook of the protocol (used by ``LambdaCallback`` to validate its keyword arguments).
ALL_HOOKS = BATCH_HOOKS + (
    "on_epoch_begin",
    "on_epoch_end",
    "on_train_begin",
    "on_train_end",
    "on_test_begin",
    "on_test_end",
    "on_predict_begin",
    "on_predict_end",
)


class Callback:
    """Base class for objects that hook into the training, evaluation and prediction loops.

    Attributes
    ----------
    model : Model or None
        The model being trained (set by :meth:`set_model`; read-only property).
    params : dict or None
        Run parameters set by :meth:`set_params`, e.g. ``{"verbose": 1, "epochs": 10, "steps": 5}``.
    process_zero_only : bool
        Class attribute, default False. True for callbacks that print or write files
        (progress bar, checkpoints, CSV and TensorBoard logs, backups): in data-parallel
        training (:mod:`descend.distribution`) they run on process 0 only. Callbacks that
        decide (``EarlyStopping``...) run on every process, on identical logs.

    Notes
    -----
    A callback stops training by setting ``self.model.stop_training = True``; the loop checks the
    flag after each batch and each epoch. ``on_train_batch_begin``/``on_train_batch_end`` call the
    legacy aliases ``on_batch_begin``/``on_batch_end``, so overriding either spelling works.

    Examples
    --------
    >>> from descend.callbacks import Callback, CallbackList
    >>> class PrintLoss(Callback):
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         print(f"epoch {epoch}: loss {logs['loss']:.2f}")
    >>> callbacks = CallbackList([PrintLoss()], verbose=0, epochs=1, steps=1)
    >>> callbacks.on_epoch_end(0, {"loss": 0.25})
    epoch 0: loss 0.25
    """

    # Class-level defaults so that subclasses which forget ``super().__init__()`` still work.
    params: dict[str, Any] | None = None
    _model: Any = None
    process_zero_only: bool = False

    def __init__(self) -> None:
        self.params = None
        self._model = None

    def set_params(self, params: dict[str, Any]) -> None:
        """Store the run parameters (``verbose``, ``epochs``, ``steps``) in ``self.params``."""
        self.params = params

    def set_model(self, model: Any) -> None:
        """Attach the model being trained; afterwards it is available as ``self.model``."""
        self._model = model

    @property
    def model(self) -> Any:
        """Model or None : The model this callback is attached to."""
        return self._model

    def _needs_batch_logs(self) -> bool:
        """Whether this callback overrides a batch-level hook (so the loop must call it per batch).

        Compares each batch hook with the no-op of :class:`Callback`; hooks assigned on the
        instance (as ``LambdaCallback`` does) count as overridden.
        """
        instance_hooks = getattr(self, "__dict__", {})
        cls = type(self)
        for name in BATCH_HOOKS:
            if name in instance_hooks or getattr(cls, name) is not getattr(Callback, name):
                return True
        return False

    # -- batch-level hooks -------------------------------------------------------------------

    def on_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Legacy alias of :meth:`on_train_batch_begin` (called by it)."""

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Legacy alias of :meth:`on_train_batch_end` (called by it)."""

    def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Called at the start of training batch ``batch`` (0-based); ``logs`` is empty."""
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Called after training batch ``batch``; ``logs`` are running averages for the epoch."""
        self.on_batch_end(batch, logs)

    def on_test_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Called at the start of evaluation batch ``batch`` (also during validation in ``fit``)."""

    def on_test_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Called after evaluation batch ``batch``; ``logs`` are running averages so far."""

    def on_predict_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Called at the start of prediction batch ``batch``."""

    def on_predict_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Called after prediction batch ``batch``."""

    # -- epoch-level hooks -------------------------------------------------------------------

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Called at the start of epoch ``epoch`` (0-based) during ``fit``."""

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Called at the end of epoch ``epoch``; ``logs`` hold its metrics and ``val_`` keys.

        Keys a callback adds to ``logs`` are seen by the callbacks after it (``History`` and
        the progress bar come last).
        """

    # -- run-level hooks ---------------------------------------------------------------------

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Called once at the start of ``fit``."""

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        """Called once at the end of ``fit`` (also after an early stop)."""

    def on_test_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Called at the start of ``evaluate`` and of each validation run inside ``fit``."""

    def on_test_end(self, logs: dict[str, Any] | None = None) -> None:
        """Called at the end of ``evaluate`` or of a validation run, with its final metrics."""

    def on_predict_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Called at the start of ``predict``."""

    def on_predict_end(self, logs: dict[str, Any] | None = None) -> None:
        """Called at the end of ``predict``."""
