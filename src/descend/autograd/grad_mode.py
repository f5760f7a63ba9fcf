"""Switching gradient recording on and off (``no_grad`` / ``enable_grad``).

While recording is off, operations compute their result and build no graph: no
backward context is created and nothing is kept alive for a backward pass. This
is how ``predict`` and ``evaluate`` run.

The switch is per thread, as in PyTorch: ``predict`` (which turns recording
off) running in one thread does not stop ``fit`` in another thread from
recording its graph. A new thread starts with recording on. The check on the
hot path of every operation stays a single attribute read (of a
``threading.local``).

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

import threading


class _GradMode(threading.local):
    """Per-thread recording switch; ``__init__`` runs once in every thread that reads it."""

    def __init__(self) -> None:
        self.enabled = True


STATE = _GradMode()


def is_grad_enabled() -> bool:
    """Return whether operations currently record a graph for backpropagation."""
    return STATE.enabled


class no_grad:  # noqa: N801  (PyTorch's name; used as a context manager)
    """Context manager that disables graph recording inside its block.

    A small class rather than a generator: it is entered on every ``predict``
    and metric update, so it must cost next to nothing.
    """

    __slots__ = ("previous",)

    def __enter__(self) -> None:
        self.previous = STATE.enabled
        STATE.enabled = False

    def __exit__(self, *exc: object) -> None:
        STATE.enabled = self.previous


class enable_grad:  # noqa: N801
    """Context manager that re-enables graph recording inside a ``no_grad`` block."""

    __slots__ = ("previous",)

    def __enter__(self) -> None:
        self.previous = STATE.enabled
        STATE.enabled = True

    def __exit__(self, *exc: object) -> None:
        STATE.enabled = self.previous
