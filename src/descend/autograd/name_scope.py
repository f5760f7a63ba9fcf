"""``name_scope`` and ``device``: Keras's context managers for variable paths and placement.

Inside ``with name_scope("block"):`` a new :class:`~descend.autograd.Variable`
named ``"w"`` gets the path ``"block/w"``; scopes nest. ``device`` exists so
that Keras code which pins work to a device runs unchanged: descend computes
with NumPy on the CPU, so it only validates the name.

Examples
--------
>>> from descend.autograd import Variable
>>> with name_scope("outer"):
...     with name_scope("inner"):
...         v = Variable(0.0, name="w")
>>> v.path
'outer/inner/w'
>>> with device("cpu:0"):
...     pass
"""

from __future__ import annotations

import re
import threading
import warnings
from typing import Any

_STATE = threading.local()


def current_path() -> str:
    """The ``/``-joined names of the open scopes ("" outside any)."""
    return "/".join(getattr(_STATE, "stack", ()))


class name_scope:  # noqa: N801  (Keras's name)
    """Prefix the paths of variables created inside the block with ``name``.

    Parameters
    ----------
    name : str
        Scope name, without ``/``.
    caller : object, optional
        Accepted for Keras compatibility (Keras uses it for layers).
    deduplicate : bool, default True
        A scope named like its enclosing scope is not repeated (Keras's rule).
    override_parent : str, optional
        Replace the enclosing scopes' path by this one inside the block.

    Raises
    ------
    ValueError
        If ``name`` is not a non-empty string.
    """

    def __init__(self, name: str, caller: Any = None, deduplicate: bool = True,
                 override_parent: str | None = None) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"name_scope: name must be a non-empty string, received {name!r}.")
        self.name = name
        self.caller = caller
        self.deduplicate = deduplicate
        self.override_parent = override_parent
        self._saved: list[str] | None = None

    def __enter__(self) -> name_scope:
        stack = list(getattr(_STATE, "stack", ()))
        self._saved = stack
        if self.override_parent is not None:
            stack = [p for p in self.override_parent.split("/") if p]
        if not (self.deduplicate and stack and stack[-1] == self.name):
            stack = stack + [self.name]
        _STATE.stack = stack
        return self

    def __exit__(self, *exc: Any) -> None:
        _STATE.stack = self._saved or []


_DEVICE = re.compile(r"^(cpu|gpu|tpu|cuda|mps|meta)(:\d+)?$", re.IGNORECASE)


class device:  # noqa: N801  (Keras's name)
    """Run the block on ``device_name``: descend always computes on the CPU.

    Parameters
    ----------
    device_name : str
        ``"cpu"``, ``"cpu:0"``; an accelerator name such as ``"gpu:0"`` is
        accepted with a warning (the work still runs on the CPU).

    Raises
    ------
    ValueError
        If ``device_name`` is not of the form ``"<type>"`` or ``"<type>:<index>"``.
    """

    def __init__(self, device_name: str) -> None:
        if not isinstance(device_name, str) or not _DEVICE.match(device_name.strip()):
            raise ValueError(
                f"device: expected a name like 'cpu' or 'gpu:0', received {device_name!r}."
            )
        self.device_name = device_name.strip().lower()
        if not self.device_name.startswith("cpu"):
            warnings.warn(f"device({device_name!r}): descend computes with NumPy on the CPU; "
                          "the block runs there.", stacklevel=2)

    def __enter__(self) -> device:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None
