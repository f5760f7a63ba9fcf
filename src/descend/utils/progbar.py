"""Text progress bar printed by ``fit``, ``evaluate`` and ``predict`` (Keras 3 format).

:class:`Progbar` reproduces the output of ``keras.utils.Progbar`` character for character:

* ``verbose=2`` prints one line when the bar is finalized, e.g.
  ``210/210 - 0s - 1ms/step - accuracy: 0.5576 - loss: 0.6400``;
* ``verbose=1`` on a terminal draws a live bar, redrawn in place with ``\\b``/``\\r`` at most once
  every ``interval`` seconds, with a bold counter, green done cells (``━``), a bold ETA while
  running and the elapsed time plus the time per step when finished.

Deliberate difference from Keras
--------------------------------
Keras decides to redraw in place ("dynamic display") whenever ``"posix" in sys.modules``, which is
always true on Linux and macOS, so a log file or pipe receives hundreds of ``\\b``, ``\\r`` and
ANSI codes per epoch (keras-team/keras#8171, #8414, tensorflow/tensorflow#24328). descend redraws
in place only when ``sys.stdout.isatty()`` is true (or inside a Jupyter/IPython kernel, whose
output area understands ``\\r``). Otherwise ``verbose=1`` prints **exactly one clean line per bar**
when it is finalized, with no control characters and no colour codes, e.g.
``210/210 ━━━━━━━━━━━━━━━━━━━━ 0s 1ms/step - accuracy: 0.5576 - loss: 0.6400``.

Performance: between two redraws :meth:`Progbar.update` only stores the values and reads the
clock; all formatting happens when a line is actually written.
"""

from __future__ import annotations

import math
import numbers
import sys
import time
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["Progbar"]

_CELL = "\u2501"  # ━ heavy horizontal, one cell of the bar
_PLAIN_TODO_CELL = "\u2500"  # ─ light horizontal, the not-yet-done cells without colours
_BOLD = "\x1b[1m"
_GREEN = "\x1b[32m"
_WHITE = "\x1b[37m"
_RESET = "\x1b[0m"


def _clock() -> float:
    """Return the current time in seconds (a monotonic clock; tests replace this function)."""
    return time.perf_counter()


def _stdout_is_interactive() -> bool:
    """Return True when ``sys.stdout`` can redraw a line in place (a terminal or Jupyter).

    Always False after ``descend.config.disable_interactive_logging()``.
    """
    from descend import config

    if not config.is_interactive_logging_enabled():
        return False
    isatty = getattr(sys.stdout, "isatty", None)
    if isatty is not None:
        try:
            if isatty():
                return True
        except (ValueError, OSError):  # a closed or detached stream
            return False
    return "ipykernel" in sys.modules


def _format_time_per_unit(time_per_unit: float, unit_name: str) -> str:
    """Format a time per unit like Keras: ``" 2s/step"``, ``" 15ms/step"``, ``" 8us/step"``."""
    if time_per_unit >= 1 or time_per_unit == 0:
        return f" {time_per_unit:.0f}s/{unit_name}"
    if time_per_unit >= 1e-3:
        return f" {time_per_unit * 1e3:.0f}ms/{unit_name}"
    return f" {time_per_unit * 1e6:.0f}us/{unit_name}"


def _format_eta(eta: float) -> str:
    """Format a remaining time: ``"42s"``, ``"3:07"`` above a minute, ``"1:02:03"`` above an hour.

    Fields are truncated like ``%d``, e.g. 3723.9 s gives ``"1:02:03"``.
    """
    if eta > 3600:
        return f"{int(eta // 3600)}:{int((eta % 3600) // 60):02d}:{int(eta % 60):02d}"
    if eta > 60:
        return f"{int(eta // 60)}:{int(eta % 60):02d}"
    return f"{int(eta)}s"


def _format_value(value: Any, signed_threshold: bool) -> str:
    """Format one metric value: ``%.4f`` above 1e-3, else ``%.4e``; non-numbers with ``str``.

    ``signed_threshold`` reproduces the ``verbose=2`` quirk of Keras, which compares ``v > 1e-3``
    instead of ``abs(v) > 1e-3`` (so negative values print in e-notation there).
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        try:
            import numpy as np

            number = float(np.mean(value))
        except (TypeError, ValueError):
            return str(value)
    magnitude = number if signed_threshold else abs(number)
    return f"{number:.4f}" if magnitude > 1e-3 else f"{number:.4e}"


def _check_int(name: str, value: Any, minimum: int, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        expected = f"an integer >= {minimum}" + (" or None" if allow_none else "")
        raise ValueError(f"Progbar: `{name}` must be {expected}; received {value!r}.")


class Progbar:
    """Display a progress bar in the exact format of Keras 3.

    Parameters
    ----------
    target : int or None
        Total number of steps expected (>= 0), or ``None`` when unknown (the counter then reads
        ``"%7d/Unknown"``). It may be assigned later through the ``target`` attribute.
    width : int, default 20
        Number of ``━`` cells of the bar.
    verbose : {0, 1, 2}, default 1
        0 is silent, 1 draws the bar (live on a terminal, one clean line otherwise), 2 prints one
        line when the bar is finalized.
    interval : float, default 0.05
        Minimum number of seconds between two redraws of the live bar. The final update is always
        drawn.
    stateful_metrics : iterable of str, optional
        Names of values shown as they are passed (not averaged over steps).
    stateless_metrics : iterable of str, optional
        When given, *only* these names are averaged over steps and every other value is shown as it
        is passed (``ProgbarLogger`` passes an empty set because the model's metrics are already
        running averages). When ``None`` (default) every value not in ``stateful_metrics`` is
        averaged, weighted by the number of steps since the previous update.
    unit_name : str, default "step"
        Unit shown in the time per unit, e.g. ``"12ms/step"``.

    Notes
    -----
    The time per step ignores the first step, whose cost usually includes set-up work:
    ``(now - t_after_first_step) / (current - 1)``; it falls back to
    ``(now - t_start) / current`` when step 1 was never reported.

    Examples
    --------
    >>> from descend.utils.progbar import Progbar
    >>> bar = Progbar(target=3, verbose=2, stateful_metrics=["loss"])
    >>> for step in range(1, 4):
    ...     bar.update(step, [("loss", 1.0 / step)])  # doctest: +ELLIPSIS
    3/3 - 0s - ...s/step - loss: 0.3333
    """

    def __init__(
        self,
        target: int | None,
        width: int = 20,
        verbose: int = 1,
        interval: float = 0.05,
        stateful_metrics: Iterable[str] | None = None,
        stateless_metrics: Iterable[str] | None = None,
        unit_name: str = "step",
    ) -> None:
        _check_int("target", target, 0, allow_none=True)
        _check_int("width", width, 1)
        if isinstance(verbose, bool) or verbose not in (0, 1, 2):
            raise ValueError(f"Progbar: `verbose` must be 0, 1 or 2; received {verbose!r}.")
        if (
            isinstance(interval, bool)
            or not isinstance(interval, numbers.Real)
            or not interval >= 0
        ):
            raise ValueError(
                f"Progbar: `interval` must be a number of seconds >= 0; received {interval!r}."
            )
        if not isinstance(unit_name, str):
            raise TypeError(f"Progbar: `unit_name` must be a str; received {unit_name!r}.")
        self.target = target
        self.width = int(width)
        self.verbose = int(verbose)
        self.interval = float(interval)
        self.unit_name = unit_name
        self.stateful_metrics = set(stateful_metrics) if stateful_metrics else set()
        self.stateless_metrics = None if stateless_metrics is None else set(stateless_metrics)
        self._dynamic_display = _stdout_is_interactive()
        # name -> last value (shown as is) or [weighted sum, total weight] (averaged);
        # the dict's insertion order is the display order (order of first appearance).
        self._values: dict[str, Any] = {}
        self._seen_so_far = 0
        self._start = _clock()
        self._last_update = -math.inf
        self._time_after_first_unit: float | None = None
        self._prev_total_width = 0

    @property
    def dynamic_display(self) -> bool:
        """bool : Whether ``verbose=1`` redraws the bar in place (stdout is a terminal)."""
        return self._dynamic_display

    def update(
        self,
        current: int,
        values: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
        finalize: bool | None = None,
    ) -> None:
        """Record progress and redraw the bar when due.

        Parameters
        ----------
        current : int
            Index of the current step, counted from 1 (number of steps done).
        values : dict or list of (str, value) pairs, optional
            Values to display, e.g. ``{"loss": 0.31}``. New names are appended to the display
            order.
        finalize : bool, optional
            Whether this is the last update. Defaults to ``current >= target`` (never when the
            target is unknown).
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        if values:
            self._record(current, values)
        self._seen_so_far = current
        now = _clock()
        time_per_unit = self._estimate_step_duration(current, now)

        if self.verbose == 1:
            if not finalize and (
                not self._dynamic_display or now - self._last_update < self.interval
            ):
                return
            if self._dynamic_display:
                self._write(self._dynamic_line(current, now, time_per_unit, finalize))
            else:
                self._write(self._plain_line(current, now, time_per_unit))
        elif self.verbose == 2 and finalize:
            self._write(self._verbose2_line(current, now, time_per_unit))
        self._last_update = now

    def add(
        self, n: int, values: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None
    ) -> None:
        """Advance the bar by ``n`` steps; same ``values`` as :meth:`update`."""
        self.update(self._seen_so_far + n, values)

    # -- bookkeeping --------------------------------------------------------------------------

    def _record(self, current: int, values: Any) -> None:
        items = values.items() if isinstance(values, Mapping) else values
        store = self._values
        stateful = self.stateful_metrics
        stateless = self.stateless_metrics
        weight = max(current - self._seen_so_far, 1)
        for name, value in items:
            averaged = name in stateless if stateless is not None else name not in stateful
            if not averaged:
                store[name] = value
                continue
            entry = store.get(name)
            if type(entry) is list:
                entry[0] += value * weight
                entry[1] += weight
            else:
                store[name] = [value * weight, weight]

    def _estimate_step_duration(self, current: int, now: float) -> float:
        if not current:
            return 0.0
        if self._time_after_first_unit is not None and current > 1:
            time_per_unit = (now - self._time_after_first_unit) / (current - 1)
        else:
            time_per_unit = (now - self._start) / current
        if current == 1:
            self._time_after_first_unit = now
        return time_per_unit

    def _displayed_values(self) -> Iterable[tuple[str, Any]]:
        for name, entry in self._values.items():
            if type(entry) is list:
                yield name, entry[0] / max(1, entry[1])
            else:
                yield name, entry

    def _metrics_text(self, signed_threshold: bool) -> str:
        return "".join(
            f" - {name}: {_format_value(value, signed_threshold)}"
            for name, value in self._displayed_values()
        )

    def _counter(self, current: int) -> str:
        if self.target is None:
            return f"{int(current):7d}/Unknown"
        digits = len(str(int(self.target)))
        return f"{int(current):{digits}d}/{int(self.target)}"

    def _done_cells(self, current: int) -> int:
        if self.target is None:
            return 0
        progress = 1.0 if self.target == 0 else current / self.target
        return max(0, min(self.width, int(self.width * progress)))

    # -- rendering ----------------------------------------------------------------------------

    def _dynamic_line(self, current: int, now: float, time_per_unit: float, finalize: bool) -> str:
        counter = self._counter(current)
        if self.target is not None:
            done = self._done_cells(current)
            styled = f"{_BOLD}{counter}{_RESET} "
            if done > 0:
                styled += f"{_GREEN}{_CELL * done}{_RESET}"
            styled += f"{_WHITE}{_CELL * (self.width - done)}{_RESET}"
            visible = len(counter) + 1 + self.width
        else:
            styled = counter
            visible = len(counter)
        if self.target is not None and not finalize:
            eta = _format_eta(time_per_unit * (self.target - current))
            timing = f" {_BOLD}{eta}{_RESET}"
            visible += 1 + len(eta)
        else:
            timing = f" {now - self._start:.0f}s"
            visible += len(timing)
        info = _format_time_per_unit(time_per_unit, self.unit_name)
        info += self._metrics_text(signed_threshold=False)
        visible += len(info)

        message = "\b" * self._prev_total_width + "\r" + styled + timing + info
        if self._prev_total_width > visible:
            message += " " * (self._prev_total_width - visible)
        if finalize:
            message += "\n"
        self._prev_total_width = visible
        return message

    def _plain_line(self, current: int, now: float, time_per_unit: float) -> str:
        counter = self._counter(current)
        if self.target is not None:
            done = self._done_cells(current)
            counter += " " + _CELL * done + _PLAIN_TODO_CELL * (self.width - done)
        return (
            f"{counter} {now - self._start:.0f}s"
            + _format_time_per_unit(time_per_unit, self.unit_name)
            + self._metrics_text(signed_threshold=False)
            + "\n"
        )

    def _verbose2_line(self, current: int, now: float, time_per_unit: float) -> str:
        return (
            f"{self._counter(current)} - {now - self._start:.0f}s -"
            + _format_time_per_unit(time_per_unit, self.unit_name)
            + self._metrics_text(signed_threshold=True)
            + "\n"
        )

    @staticmethod
    def _write(message: str) -> None:
        stream = sys.stdout
        stream.write(message)
        stream.flush()
