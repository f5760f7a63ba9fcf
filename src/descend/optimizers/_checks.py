"""Argument checks shared by the optimizers and the learning-rate schedules.

Each check returns the value as a plain Python number (so that NumPy arithmetic
with it keeps float32 arrays float32) or raises an error that names the owner,
the argument, what was expected and what was received.

Examples
--------
>>> check_real("Adam", "beta_1", 0.9, low=0.0, high=1.0, high_open=True)
0.9
>>> check_real("Adam", "beta_1", 1.5, low=0.0, high=1.0, high_open=True)
Traceback (most recent call last):
...
ValueError: Adam: argument `beta_1` must be a number in [0.0, 1.0), received 1.5.
"""

from __future__ import annotations

import math
import numbers
from typing import Any


def _interval(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    left = "(" if low_open or low is None else "["
    right = ")" if high_open or high is None else "]"
    lo = "-inf" if low is None else repr(low)
    hi = "inf" if high is None else repr(high)
    return f"{left}{lo}, {hi}{right}"


def check_real(
    owner: str,
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` as a finite Python float inside the given interval.

    Parameters
    ----------
    owner : str
        Class name used in the message, e.g. ``"Adam"``.
    name : str
        Argument name used in the message.
    value : object
        What the user passed. Python and NumPy real numbers and 0-d arrays are
        accepted; booleans are not.
    low, high : float, optional
        Bounds of the interval (``None``: unbounded).
    low_open, high_open : bool, default False
        Whether the bound itself is excluded.

    Raises
    ------
    TypeError
        If ``value`` is not a real number.
    ValueError
        If it is NaN, infinite or outside the interval.
    """
    where = _interval(low, high, low_open, high_open)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        if getattr(value, "shape", None) == () and getattr(value, "dtype", None) is not None:
            value = value.item()  # 0-d NumPy array
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(
                f"{owner}: argument `{name}` must be a number in {where}, received "
                f"{value!r} of type {type(value).__name__}."
            )
    number = float(value)
    bad = not math.isfinite(number)
    if low is not None:
        bad = bad or number < low or (low_open and number == low)
    if high is not None:
        bad = bad or number > high or (high_open and number == high)
    if bad:
        raise ValueError(
            f"{owner}: argument `{name}` must be a number in {where}, received {value!r}."
        )
    return number


def check_optional_positive(owner: str, name: str, value: Any) -> float | None:
    """Return ``None`` or ``value`` checked to be a finite number > 0."""
    if value is None:
        return None
    return check_real(owner, name, value, low=0.0, low_open=True)


def check_bool(owner: str, name: str, value: Any) -> bool:
    """Return ``value`` if it is a bool (NumPy bools accepted), else raise ``TypeError``."""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return bool(value)
    raise TypeError(
        f"{owner}: argument `{name}` must be True or False, received {value!r} of type "
        f"{type(value).__name__}."
    )


def check_int(owner: str, name: str, value: Any, *, low: int) -> int:
    """Return ``value`` as an ``int`` >= ``low`` (integral floats such as ``4.0`` accepted)."""
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if isinstance(value, float) and value.is_integer():
        ok = True
    if not ok or int(value) < low:
        raise ValueError(
            f"{owner}: argument `{name}` must be an integer >= {low}, received {value!r}."
        )
    return int(value)
