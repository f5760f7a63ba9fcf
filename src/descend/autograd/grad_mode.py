"""Switching gradient recording on and off (``no_grad`` / ``enable_grad``).

While recording is off, operations compute their result and build no graph: no
backward context is created and nothing is kept alive for a backward pass. This
is how ``predict`` and ``evaluate`` run.

The switch is process-wide (not thread-local), which keeps the check on the
hot path of every operation to a single attribute read.

Examples
--------
>>> from descend.autograd import Tensor, no_grad
>>> w = Tensor([1.0, 2.0], requires_grad=True)
>>> with no_grad():
...     y = (w * w).sum()
>>> y.requires_grad
False
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class _GradMode:
    __slots__ = ("enabled",)

    def __init__(self) -> None:
        self.enabled = True


STATE = _GradMode()


def is_grad_enabled() -> bool:
    """Return whether operations currently record a graph for backpropagation."""
    return STATE.enabled


@contextmanager
def no_grad() -> Iterator[None]:
    """Context manager that disables graph recording inside its block."""
    previous = STATE.enabled
    STATE.enabled = False
    try:
        yield
    finally:
        STATE.enabled = previous


@contextmanager
def enable_grad() -> Iterator[None]:
    """Context manager that re-enables graph recording inside a ``no_grad`` block."""
    previous = STATE.enabled
    STATE.enabled = True
    try:
        yield
    finally:
        STATE.enabled = previous
