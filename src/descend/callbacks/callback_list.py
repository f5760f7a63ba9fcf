"""The :class:`CallbackList` container the training loop talks to, and :func:`pythonify_logs`."""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from descend import _distributed
from descend.callbacks.callback import Callback
from descend.callbacks.history import History
from descend.callbacks.progbar_logger import ProgbarLogger

__all__ = ["CallbackList", "pythonify_logs"]


def _to_python(value: Any) -> Any:
    """Convert a scalar (Python or NumPy number, 0-d array, scalar tensor) to a float."""
    if type(value) is float:
        return value
    if isinstance(value, np.ndarray) and value.ndim != 0:
        return value
    if isinstance(value, (numbers.Number, np.generic, np.ndarray)) or hasattr(value, "__float__"):
        try:
            return float(value)
        except (TypeError, ValueError):
            return value
    return value


def pythonify_logs(logs: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return a new dict of ``logs`` with sorted keys and scalar values converted to ``float``.

    Nested dicts are flattened into the result (their keys are used as they are). Values that are
    not scalars (e.g. prediction arrays) are kept unchanged. This is Keras's ``pythonify_logs``;
    it is why Keras 3 shows metrics in alphabetical order (``accuracy`` before ``loss``).

    Parameters
    ----------
    logs : dict or None
        Metric values keyed by name; ``None`` gives ``{}``.

    Returns
    -------
    dict
        A new dict; the input is not modified.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.callbacks.callback_list import pythonify_logs
    >>> pythonify_logs({"loss": np.float32(0.5), "accuracy": np.array(0.75)})
    {'accuracy': 0.75, 'loss': 0.5}
    """
    if not logs:
        return {}
    result: dict[str, Any] = {}
    for key, value in sorted(logs.items()):
        if type(value) is float:  # the common case, kept fast for per-batch logs
            result[key] = value
        elif isinstance(value, Mapping):
            result.update(pythonify_logs(value))
        else:
            result[key] = _to_python(value)
    return result


def _flatten(callbacks: Any) -> list[Callback]:
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback):
        return [callbacks]
    if not isinstance(callbacks, Iterable) or isinstance(callbacks, (str, bytes, Mapping)):
        raise TypeError(
            "CallbackList: `callbacks` must be a list of descend.callbacks.Callback instances or "
            f"None; received {type(callbacks).__name__}. Wrap a single callback in a list."
        )
    flat: list[Callback] = []
    for item in callbacks:
        if isinstance(item, (list, tuple)):
            flat.extend(_flatten(item))
        elif isinstance(item, Callback):
            flat.append(item)
        else:
            raise TypeError(
                "CallbackList: every element of `callbacks` must be a descend.callbacks.Callback "
                f"instance; received {item!r} of type {type(item).__name__}. Subclass "
                "descend.callbacks.Callback or use descend.callbacks.LambdaCallback."
            )
    return flat


class CallbackList(Callback):
    """Container that forwards every hook to a list of callbacks, in order.

    The training loop builds one per call of ``fit``/``evaluate``/``predict``. Each hook converts
    ``logs`` once with :func:`pythonify_logs` (a new dict of floats, sorted keys) and passes that
    same dict to every callback, so keys added by one callback (e.g. ``learning_rate``) are seen by
    the ones after it.

    Parameters
    ----------
    callbacks : list of Callback, optional
        User callbacks; nested lists are flattened. They run first, in the given order.
    add_history : bool, default False
        Append a :class:`~descend.callbacks.History` unless one is already in ``callbacks``; it is
        also assigned to ``model.history``.
    add_progbar : bool, default False
        Append a :class:`~descend.callbacks.ProgbarLogger` (after History) unless one is already
        in ``callbacks``.
    model : Model, optional
        Passed to every callback's ``set_model``.
    **params
        Run parameters passed to every callback's ``set_params``: ``verbose``, ``epochs``,
        ``steps`` (steps per epoch, ``None`` if unknown).

    Attributes
    ----------
    callbacks : list of Callback
        The callbacks in call order: user callbacks, then History, then ProgbarLogger.
    needs_batch_logs : bool
        True only if some callback overrides a batch-level hook (ProgbarLogger counts only when it
        redraws per batch). When False the loop may skip building per-batch logs and calling the
        batch hooks, which then would have done nothing anyway.

    Examples
    --------
    >>> from descend.callbacks import CallbackList, EarlyStopping
    >>> callbacks = CallbackList(
    ...     [EarlyStopping()], add_history=True, add_progbar=True, verbose=2, epochs=3, steps=10
    ... )
    >>> [type(c).__name__ for c in callbacks.callbacks]
    ['EarlyStopping', 'History', 'ProgbarLogger']
    >>> callbacks.needs_batch_logs
    False
    """

    def __init__(
        self,
        callbacks: Iterable[Callback] | Callback | None = None,
        add_history: bool = False,
        add_progbar: bool = False,
        model: Any = None,
        **params: Any,
    ) -> None:
        super().__init__()
        self.callbacks: list[Callback] = _flatten(callbacks)
        self._history: History | None = None
        self._progbar: ProgbarLogger | None = None
        self._add_default_callbacks(add_history, add_progbar)
        self.needs_batch_logs = False
        self._batch_callbacks: list[Callback] = []
        self._mine: list[Callback] = self.callbacks
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)
        self._refresh_batch_callbacks()

    def _add_default_callbacks(self, add_history: bool, add_progbar: bool) -> None:
        for callback in self.callbacks:
            if isinstance(callback, ProgbarLogger):
                self._progbar = callback
            elif isinstance(callback, History):
                self._history = callback
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)

    def _refresh_batch_callbacks(self) -> None:
        # Data-parallel training: callbacks that print or write files (process_zero_only)
        # run on process 0 alone, while needs_batch_logs stays that of every callback, so
        # that all processes read the logs (a collective operation) at the same steps.
        everyone = self.callbacks
        self._mine = everyone if _distributed.is_process_zero() else [
            c for c in everyone if not c.process_zero_only]
        # Callbacks that do not override a batch hook would do nothing there: skip them.
        self._batch_callbacks = [c for c in self._mine if c._needs_batch_logs()]
        self.needs_batch_logs = any(c._needs_batch_logs() for c in everyone)

    def _needs_batch_logs(self) -> bool:
        return self.needs_batch_logs

    def append(self, callback: Callback) -> None:
        """Add ``callback`` at the end of the list (it is not given the model or params)."""
        self.callbacks.extend(_flatten([callback]))
        self._refresh_batch_callbacks()

    def __iter__(self) -> Iterator[Callback]:
        return iter(self.callbacks)

    def __len__(self) -> int:
        return len(self.callbacks)

    def set_params(self, params: dict[str, Any]) -> None:
        """Give ``params`` to this list and to every callback."""
        super().set_params(params)
        for callback in self.callbacks:
            callback.set_params(params)
        self._refresh_batch_callbacks()

    def set_model(self, model: Any) -> None:
        """Give ``model`` to every callback and set ``model.history`` to the History callback."""
        super().set_model(model)
        if self._history is not None:
            model.history = self._history
        for callback in self.callbacks:
            callback.set_model(model)
        self._refresh_batch_callbacks()

    # -- batch-level hooks (only callbacks that override one are called) ----------------------

    def on_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Forward to every callback's ``on_batch_begin``."""
        logs = pythonify_logs(logs)
        for callback in self._batch_callbacks:
            callback.on_batch_begin(batch, logs)

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Forward to every callback's ``on_batch_end``."""
        logs = pythonify_logs(logs)
        for callback in self._batch_callbacks:
            callback.on_batch_end(batch, logs)

    def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Forward to every callback's ``on_train_batch_begin``."""
        logs = pythonify_logs(logs)
        for callback in self._batch_callbacks:
            callback.on_train_batch_begin(batch, logs)

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Forward to every callback's ``on_train_batch_end``."""
        logs = pythonify_logs(logs)
        for callback in self._batch_callbacks:
            callback.on_train_batch_end(batch, logs)

    def on_test_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Forward to every callback's ``on_test_batch_begin``."""
        logs = pythonify_logs(logs)
        for callback in self._batch_callbacks:
            callback.on_test_batch_begin(batch, logs)

    def on_test_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Forward to every callback's ``on_test_batch_end``."""
        logs = pythonify_logs(logs)
        for callback in self._batch_callbacks:
            callback.on_test_batch_end(batch, logs)

    def on_predict_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Forward to every callback's ``on_predict_batch_begin``."""
        logs = pythonify_logs(logs)
        for callback in self._batch_callbacks:
            callback.on_predict_batch_begin(batch, logs)

    def on_predict_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Forward to every callback's ``on_predict_batch_end``."""
        logs = pythonify_logs(logs)
        for callback in self._batch_callbacks:
            callback.on_predict_batch_end(batch, logs)

    # -- epoch- and run-level hooks -----------------------------------------------------------

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Forward to every callback's ``on_epoch_begin``."""
        logs = pythonify_logs(logs)
        for callback in self._mine:
            callback.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Forward to every callback's ``on_epoch_end`` (one shared, converted ``logs`` dict)."""
        logs = pythonify_logs(logs)
        for callback in self._mine:
            callback.on_epoch_end(epoch, logs)

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Forward to every callback's ``on_train_begin``."""
        logs = pythonify_logs(logs)
        for callback in self._mine:
            callback.on_train_begin(logs)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        """Forward to every callback's ``on_train_end``."""
        logs = pythonify_logs(logs)
        for callback in self._mine:
            callback.on_train_end(logs)

    def on_test_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Forward to every callback's ``on_test_begin``."""
        logs = pythonify_logs(logs)
        for callback in self._mine:
            callback.on_test_begin(logs)

    def on_test_end(self, logs: dict[str, Any] | None = None) -> None:
        """Forward to every callback's ``on_test_end``."""
        logs = pythonify_logs(logs)
        for callback in self._mine:
            callback.on_test_end(logs)

    def on_predict_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Forward to every callback's ``on_predict_begin``."""
        logs = pythonify_logs(logs)
        for callback in self._mine:
            callback.on_predict_begin(logs)

    def on_predict_end(self, logs: dict[str, Any] | None = None) -> None:
        """Forward to every callback's ``on_predict_end``."""
        logs = pythonify_logs(logs)
        for callback in self._mine:
            callback.on_predict_end(logs)
