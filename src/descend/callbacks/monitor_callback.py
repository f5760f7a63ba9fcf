"""The :class:`MonitorCallback` base: watch one metric, know its direction, detect improvement."""

from __future__ import annotations

import numbers
import operator
import warnings
from collections.abc import Callable
from typing import Any

from descend.callbacks.callback import Callback

__all__ = ["MonitorCallback"]

_MODES = ("auto", "min", "max")


def _check_real(owner: str, name: str, value: Any, allow_none: bool = False) -> None:
    """Raise a TypeError naming ``owner`` and ``name`` unless ``value`` is a real number."""
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        expected = "a real number" + (" or None" if allow_none else "")
        raise TypeError(f"{owner}: `{name}` must be {expected}; received {value!r}.")


def _check_count(owner: str, name: str, value: Any) -> None:
    """Raise a ValueError naming ``owner`` and ``name`` unless ``value`` is an integer >= 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{owner}: `{name}` must be an integer >= 0; received {value!r}.")


class MonitorCallback(Callback):
    """Base class for callbacks that watch a metric (EarlyStopping, ReduceLROnPlateau, ...).

    Parameters
    ----------
    monitor : str, default "val_loss"
        Key of the epoch logs to watch.
    mode : {"auto", "min", "max"}, default "auto"
        Whether smaller (``"min"``) or larger (``"max"``) is better. ``"auto"`` minimises
        ``loss``/``val_loss`` and otherwise uses the ``_direction`` (``"up"`` or ``"down"``) of the
        model metric whose ``name`` equals ``monitor`` without its ``val_`` prefix; it raises
        ``ValueError`` when that cannot be decided. An unknown mode warns and falls back to
        ``"auto"``.
    baseline : float, optional
        Initial value of ``best``: the first value must beat it to count as an improvement.
    min_delta : float, default 0
        Minimum change that counts as an improvement (its absolute value is used).

    Notes
    -----
    The direction is decided at the first :meth:`_is_improvement` check (once the model's
    metrics exist). A value ``v`` improves on ``best`` when ``v - min_delta > best`` in max mode
    and ``v + min_delta < best`` in min mode (``min_delta`` is stored negated in min mode).

    Examples
    --------
    >>> from descend.callbacks import MonitorCallback
    >>> watcher = MonitorCallback(monitor="loss", min_delta=0.01)
    >>> watcher._is_improvement(0.50, None), watcher._is_improvement(0.495, 0.50)
    (True, False)
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        mode: str = "auto",
        baseline: float | None = None,
        min_delta: float = 0,
    ) -> None:
        super().__init__()
        owner = type(self).__name__
        if not isinstance(monitor, str) or not monitor:
            raise TypeError(
                f"{owner}: `monitor` must be the name of a logged metric such as 'val_loss'; "
                f"received {monitor!r}."
            )
        _check_real(owner, "min_delta", min_delta)
        _check_real(owner, "baseline", baseline, allow_none=True)
        if mode not in _MODES:
            warnings.warn(
                f"{owner} mode '{mode}' is unknown, fallback to auto mode.",
                stacklevel=3,
            )
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best: float | None = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op: Callable[[Any, Any], bool] | None = None

    def _set_monitor_op(self) -> None:
        """Decide the comparison (``operator.lt`` to minimise, ``operator.gt`` to maximise)."""
        if self.mode == "min":
            self.monitor_op = operator.lt
        elif self.mode == "max":
            self.monitor_op = operator.gt
        else:
            metric_name = self.monitor.removeprefix("val_")
            if metric_name == "loss":
                self.monitor_op = operator.lt
            for metric in self._model_metrics():
                if getattr(metric, "name", None) == metric_name:
                    direction = getattr(metric, "_direction", None)
                    if direction == "up":
                        self.monitor_op = operator.gt
                    elif direction is not None:
                        self.monitor_op = operator.lt
        if self.monitor_op is None:
            raise ValueError(
                f"{type(self).__name__} callback received monitor={self.monitor}, but descend "
                "isn't able to automatically determine whether that metric should be maximized "
                "or minimized. Pass `mode='max'` in order to monitor based on the highest metric "
                "value, or pass `mode='min'` in order to use the lowest value."
            )
        if self.monitor_op is operator.lt:
            self.min_delta *= -1

    def _model_metrics(self) -> list[Any]:
        """The model's metrics, with the members of metric containers listed too."""
        found: list[Any] = []
        for metric in getattr(self.model, "metrics", None) or ():
            members = getattr(metric, "metrics", None)
            if isinstance(members, (list, tuple)):
                found.extend(members)
            found.append(metric)
        return found

    def _is_improvement(self, monitor_value: float, reference_value: float | None) -> bool:
        """Whether ``monitor_value`` beats ``reference_value`` by more than ``min_delta``."""
        if self.monitor_op is None:
            self._set_monitor_op()
        if reference_value is None:
            return True
        return bool(self.monitor_op(monitor_value - self.min_delta, reference_value))

    def _missing_monitor_warning(self, prefix: str, logs: dict[str, Any]) -> None:
        """Warn that ``self.monitor`` is not in ``logs``, listing the keys that are."""
        warnings.warn(
            f"{prefix} conditioned on metric `{self.monitor}` which is not available. "
            f"Available metrics are: {','.join(logs.keys())}",
            stacklevel=3,
        )
