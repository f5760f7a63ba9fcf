"""The call context: which layers are running, and in which mode, in this thread.

When a layer's ``call`` calls other layers, Keras passes the outer call's
``training`` flag down to the inner calls that do not set their own (so that a
``Dropout`` inside a custom layer drops during ``fit`` and not in ``predict``),
and clears the losses added by ``add_loss`` when the outermost call begins. The
context is per thread, so that ``predict`` in one thread never sees the
training mode of ``fit`` in another.

Examples
--------
>>> from descend.layers import call_context
>>> call_context.current() is None
True
"""

from __future__ import annotations

import threading
from typing import Any


class CallContext:
    """The layers whose ``call`` is running (outermost first) and their training flags.

    Attributes
    ----------
    layers : list of Layer
        The running calls, outermost first.
    training : list of bool
        The training flag of each running call.
    """

    __slots__ = ("layers", "training")

    def __init__(self) -> None:
        self.layers: list[Any] = []
        self.training: list[bool] = []


_STATE = threading.local()


def current() -> CallContext | None:
    """The context of the running call in this thread, or None outside any call."""
    return getattr(_STATE, "context", None)


def enter(layer: Any, training: Any) -> tuple[CallContext, bool]:
    """Push ``layer`` with ``training`` (None inherits the enclosing call's flag).

    Returns
    -------
    (CallContext, bool)
        The context and whether this call is the outermost one (it opened the
        context and must clear the losses of its layers).
    """
    context = getattr(_STATE, "context", None)
    outermost = context is None
    if outermost:
        context = CallContext()
        _STATE.context = context
    if training is None:
        training = context.training[-1] if context.training else False
    context.layers.append(layer)
    context.training.append(bool(training))
    return context, outermost


def leave(context: CallContext, outermost: bool) -> None:
    """Pop the innermost call; close the context after the outermost one."""
    context.layers.pop()
    context.training.pop()
    if outermost:
        _STATE.context = None
