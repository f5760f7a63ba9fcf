"""Optional one-pass kernels for the flat fast paths (``pip install descend[fast]``: numba).

NumPy runs Adam's update as about twelve passes over the flat buffers (one per
ufunc: ``g - m``, ``* (1 - beta_1)``, ``m +=``, ...), each reading and writing
arrays of the model's size. A compiled loop reads ``w, g, m, v`` once and writes
``w, m, v`` once: measured on the 235k-parameter MLP of the benchmark's workload
B, about four times faster than the NumPy passes (which stay the reference:
the kernel performs the same float operations in the same order, no fused
multiply-add, so results are bit-identical, and the tests check that).

Loading the kernel has a price, paid once per process: importing numba and
its compiled code took 1.1-1.3 s on the benchmark machine (a few seconds more the
first time, while numba compiles into its on-disk cache), and numba's compiler
then stays resident, about 120 MiB. A short training never earns that back, so
the kernel is loaded only once the updates run so far would have saved as much
time as loading takes (the rent-or-buy rule: whatever the length of the run, it
costs at most about twice the better of the two choices made in hindsight).
The saving of one update of ``n`` elements is estimated as
:data:`CALL_SECONDS` + ``n`` · :data:`ELEMENT_SECONDS`, against
:data:`LOAD_SECONDS`: for the 235k-parameter MLP that is after about 3,300
updates (the second epoch of MNIST at batch 32), never for the course network.
Switching changes no number: the kernel and the NumPy passes agree bit for bit.

The environment variable ``DESCEND_NUMBA`` chooses: ``0`` never (always the
NumPy passes), ``1`` at the first update (what a long run reaches; the
benchmarks use it to show that steady state), unset: by the rule above.
Without numba, :func:`adam` returns None and the NumPy passes run.

Measured when choosing (same run, interleaved, 235k float32 parameters):
NumPy passes 1.0x, numexpr (three expressions) 0.2x, numba one loop 4.4x.
Measured for the rule (one float32 update, NumPy passes / kernel): 600
elements 13.0 / 3.1 us, 10,000: 27.1 / 6.3 us, 235,146: 428 / 97 us,
1,000,000: 3,115 / 488 us.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

_CHOICE = os.environ.get("DESCEND_NUMBA", "").strip().lower()
ENABLED = _CHOICE not in ("0", "false", "off", "no")
"""Whether the kernels may be used (False: always the NumPy passes)."""
EAGER = _CHOICE in ("1", "true", "on", "yes")
"""Load the kernels at the first update instead of by the rent-or-buy rule."""

LOAD_SECONDS = 1.2
"""Estimated time to import numba and load the compiled kernels (warm cache)."""
CALL_SECONDS = 10e-6
"""Estimated time one kernel call saves besides its elements (NumPy's per-call costs)."""
ELEMENT_SECONDS = 1.5e-9
"""Estimated time the kernel saves per updated element (buffers in cache; more beyond)."""

_compiled: dict[str, Any] = {}  # name -> compiled function, or None when unavailable
_saved = [0.0]  # seconds the kernels would have saved so far in this process


def _build() -> None:
    from descend.optimizers import _numba_kernels  # compiles, or defines None without numba

    _compiled.update(adam=_numba_kernels.adam, amsgrad=_numba_kernels.adam_amsgrad)


def adam(amsgrad: bool = False, size: int | None = None) -> Callable[..., None] | None:
    """The one-pass Adam kernel, or None: no numba, turned off, or not yet worth loading.

    The kernel is ``f(w, g, m, v, c1, c2, epsilon, alpha)`` (``amsgrad``:
    ``f(w, g, m, v, v_hat, ...)``) on contiguous 1-D float32 or float64 arrays
    of one dtype, with scalars ``c1 = 1 - beta_1``, ``c2 = 1 - beta_2`` and the
    bias-corrected step ``alpha`` (see :class:`~descend.optimizers.Adam`).

    Parameters
    ----------
    amsgrad : bool, default False
        The AMSGrad variant (it also updates ``v_hat``).
    size : int, optional
        Elements of the update about to run, counted towards the rent-or-buy
        rule (see the module docstring) while the kernel is not loaded; None
        loads it now.

    Returns
    -------
    callable or None
    """
    if not ENABLED:
        return None
    if not _compiled:
        if size is not None and not EAGER:
            _saved[0] += CALL_SECONDS + ELEMENT_SECONDS * size
            if _saved[0] < LOAD_SECONDS:
                return None
        _build()
    return _compiled["amsgrad" if amsgrad else "adam"]
