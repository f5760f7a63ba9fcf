"""The numba kernels behind :mod:`descend.optimizers._kernels` (compiled only with numba).

Each loop performs, per element, exactly the float operations of the NumPy
passes in ``Adam._update_flat`` in the same order (``error_model="numpy"`` lets
LLVM vectorise the division and square root; no ``fastmath``, so no
reassociation and no fused multiply-add): the results are bit-identical.
"""

from __future__ import annotations

import numpy as np

try:
    from numba import njit
except ImportError:  # the optional extra is absent: the module defines no kernel
    njit = None

_SIGNATURES = ["void(f4[::1], f4[::1], f4[::1], f4[::1], f4, f4, f4, f4)",
               "void(f8[::1], f8[::1], f8[::1], f8[::1], f8, f8, f8, f8)"]
_SIGNATURES_AMSGRAD = [
    "void(f4[::1], f4[::1], f4[::1], f4[::1], f4[::1], f4, f4, f4, f4)",
    "void(f8[::1], f8[::1], f8[::1], f8[::1], f8[::1], f8, f8, f8, f8)"]


def _jit(signatures: list[str]):  # cached on disk where possible, else compiled per process
    def decorate(function):
        if njit is None:
            return None
        try:
            return njit(signatures, cache=True, nogil=True, error_model="numpy")(function)
        except RuntimeError:  # no writable cache location
            return njit(signatures, cache=False, nogil=True, error_model="numpy")(function)
    return decorate


@_jit(_SIGNATURES)
def adam(w, g, m, v, c1, c2, epsilon, alpha):  # pragma: no cover  (compiled)
    for i in range(w.shape[0]):
        gi = g[i]
        mi = m[i] + (gi - m[i]) * c1  # m <- m + (g - m)(1 - beta_1)
        vi = v[i] + (gi * gi - v[i]) * c2  # v <- v + (g^2 - v)(1 - beta_2)
        m[i] = mi
        v[i] = vi
        w[i] = w[i] - mi / (np.sqrt(vi) + epsilon) * alpha  # w <- w - alpha m / (sqrt(v) + eps)


@_jit(_SIGNATURES_AMSGRAD)
def adam_amsgrad(w, g, m, v, v_hat, c1, c2, epsilon, alpha):  # pragma: no cover  (compiled)
    for i in range(w.shape[0]):
        gi = g[i]
        mi = m[i] + (gi - m[i]) * c1
        vi = v[i] + (gi * gi - v[i]) * c2
        m[i] = mi
        v[i] = vi
        hi = v_hat[i]
        if vi > hi or vi != vi:  # v_hat <- max(v_hat, v), NaN propagating as np.maximum
            hi = vi
        v_hat[i] = hi
        w[i] = w[i] - mi / (np.sqrt(hi) + epsilon) * alpha
