"""Optional one-pass kernels for the flat fast paths (``pip install descend[fast]``: numba).

NumPy runs Adam's update as about twelve passes over the flat buffers (one per
ufunc: ``g - m``, ``* (1 - beta_1)``, ``m +=``, ...), each reading and writing
arrays of the model's size. A compiled loop reads ``w, g, m, v`` once and writes
``w, m, v`` once: measured on the 235k-parameter MLP of the benchmark's workload
B, about four times faster than the NumPy passes (which stay the reference:
the kernel performs the same float operations in the same order, no fused
multiply-add, so results are bit-identical, and the tests check that).

numba is imported only when a kernel is first needed (never by ``import
descend``); compiled code is cached on disk where numba can write. Without numba,
or with the environment variable ``DESCEND_NUMBA=0``, :func:`adam` returns None
and the NumPy passes run.

Measured when choosing (same run, interleaved, 235k float32 parameters):
NumPy passes 1.0x, numexpr (three expressions) 0.2x, numba one loop 4.4x.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

ENABLED = os.environ.get("DESCEND_NUMBA", "1") != "0"
"""Whether the kernels may be used (False: always the NumPy passes)."""

_compiled: dict[str, Any] = {}  # name -> compiled function, or None when unavailable


def _build() -> None:
    from descend.optimizers import _numba_kernels  # compiles, or defines None without numba

    _compiled.update(adam=_numba_kernels.adam, amsgrad=_numba_kernels.adam_amsgrad)


def adam(amsgrad: bool = False) -> Callable[..., None] | None:
    """The one-pass Adam kernel, or None (no numba, or turned off).

    The kernel is ``f(w, g, m, v, c1, c2, epsilon, alpha)`` (``amsgrad``:
    ``f(w, g, m, v, v_hat, ...)``) on contiguous 1-D float32 or float64 arrays
    of one dtype, with scalars ``c1 = 1 - beta_1``, ``c2 = 1 - beta_2`` and the
    bias-corrected step ``alpha`` (see :class:`~descend.optimizers.Adam`).
    """
    if not ENABLED:
        return None
    if not _compiled:
        _build()
    return _compiled["amsgrad" if amsgrad else "adam"]
