"""Keeping freed memory for the next training step (glibc's ``malloc`` on Linux).

A training step allocates the same arrays as the step before it: the batch, the
activations, their gradients. glibc hands memory at the top of its heap back to
the operating system as soon as more than ``M_TRIM_THRESHOLD`` bytes are free
there, and serves blocks above ``M_MMAP_THRESHOLD`` bytes with a fresh ``mmap``.
Either way the next step's arrays land on new pages, and the kernel takes a page
fault and zeroes 4 KiB for every one of them on first touch: a megabyte-sized
activation costs about as much to fault in as to compute. Measured on a 2-core
machine, this alone took 30% of a training step of a 784-256-128-10 MLP at batch
1024 and 35% of a small CNN's step.

:func:`retain_freed_memory` raises both thresholds once, when a model first
trains or predicts (``fit``, ``evaluate``, ``predict`` and the ``*_on_batch``
methods call it; so should any other code that runs a model step after step),
so that freed blocks stay with the process and are reused by the next step.
Results are bit-identical; the cost is that up to ``TRIM_THRESHOLD`` bytes of
freed memory stay mapped after training instead of going back to the system. Turn it off with
``descend.config.set_heap_retention(False)`` before training, or by setting the
environment variable ``DESCEND_HEAP_RETENTION=0``. Elsewhere than glibc it does
nothing.

Examples
--------
>>> from descend.models import heap
>>> heap.retain_freed_memory() in (True, False)
True
"""

from __future__ import annotations

import os
import sys

from descend import config

MMAP_THRESHOLD = 32 * 1024 * 1024
"""Blocks up to this many bytes (32 MiB, glibc's upper limit) come from the heap."""

TRIM_THRESHOLD = 256 * 1024 * 1024
"""Up to this many free bytes (256 MiB) stay at the top of the heap."""

_M_TRIM_THRESHOLD = -1  # glibc's <malloc.h> constants
_M_MMAP_THRESHOLD = -3

_applied: bool | None = None  # None: not tried yet


def retain_freed_memory() -> bool:
    """Raise glibc's trim and mmap thresholds once (see the module docstring).

    Returns
    -------
    bool
        True if the thresholds are set (now or by an earlier call); False when
        turned off, or when the C library is not glibc.
    """
    global _applied
    if _applied is not None:
        return _applied
    if not config.heap_retention() or os.environ.get("DESCEND_HEAP_RETENTION") == "0":
        return False
    _applied = False
    if not sys.platform.startswith("linux"):
        return False
    import ctypes  # imported here: ``import descend`` stays cheap

    try:
        libc = ctypes.CDLL("libc.so.6")
        gnu_get_libc_version = libc.gnu_get_libc_version  # glibc only (not musl)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    del gnu_get_libc_version
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    _applied = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return _applied


def is_retaining() -> bool:
    """Whether :func:`retain_freed_memory` has set the thresholds in this process."""
    return bool(_applied)


__all__ = ["MMAP_THRESHOLD", "TRIM_THRESHOLD", "is_retaining", "retain_freed_memory"]
