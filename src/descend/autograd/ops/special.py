"""Special-function primitives: the error function, its complement and its inverse.

NumPy has no ``erf``; the values here come from Python's :func:`math.erf` and
:func:`math.erfc` (correctly rounded double precision) applied elementwise, and
``erfinv`` refines a closed-form first guess with Halley steps on ``erf``.
Float32 inputs are computed in float64 and rounded back.

Derivatives: ``erf'(x) = 2/sqrt(pi) exp(-x**2)``, ``erfc' = -erf'``,
``erfinv'(y) = sqrt(pi)/2 exp(erfinv(y)**2)``.
"""

from __future__ import annotations

import math

import numpy as np

from descend.autograd.function import Function

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_erf = np.frompyfunc(math.erf, 1, 1)
_erfc = np.frompyfunc(math.erfc, 1, 1)


def erf_values(x: np.ndarray) -> np.ndarray:
    """``erf(x)`` elementwise in float64."""
    return np.asarray(_erf(np.asarray(x, np.float64)), dtype=np.float64)


def erfc_values(x: np.ndarray) -> np.ndarray:
    """``erfc(x) = 1 - erf(x)`` elementwise in float64, accurate for large ``x``."""
    return np.asarray(_erfc(np.asarray(x, np.float64)), dtype=np.float64)


def erfinv_values(x: np.ndarray) -> np.ndarray:
    """Inverse of ``erf`` elementwise in float64 (``±inf`` at ``±1``, NaN outside ``[-1, 1]``).

    A closed-form guess (Winitzki's approximation, relative error about 2e-3)
    is polished by three Halley steps on ``f(y) = erf(y) - x``, which reach
    double precision.
    """
    x = np.asarray(x, np.float64)
    inside = np.abs(x) < 1
    xs = np.where(inside, x, 0.0)
    a = 0.147
    log_term = np.log1p(-xs * xs)
    first = 2.0 / (math.pi * a) + log_term / 2.0
    y = np.sign(xs) * np.sqrt(np.sqrt(first * first - log_term / a) - first)
    for _ in range(3):
        f = erf_values(y) - xs
        slope = _TWO_OVER_SQRT_PI * np.exp(-y * y)
        step = f / slope
        y = y - step / (1.0 + y * step)
    out = np.where(inside, y, np.nan)
    out = np.where(x == 1.0, np.inf, out)
    return np.where(x == -1.0, -np.inf, out)


def _float_dtype(a: np.ndarray) -> np.dtype:
    return a.dtype if a.dtype.kind == "f" else np.dtype(np.float64)


class Erf(Function):
    """``erf(a)``; d/da = 2/sqrt(pi) exp(-a**2)."""

    def forward(self, a):
        self.a = a
        return erf_values(a).astype(_float_dtype(a))

    def backward(self, grad):
        return (grad * (_TWO_OVER_SQRT_PI * np.exp(-self.a * self.a)).astype(grad.dtype),)


class Erfc(Function):
    """``erfc(a) = 1 - erf(a)``; d/da = -2/sqrt(pi) exp(-a**2)."""

    def forward(self, a):
        self.a = a
        return erfc_values(a).astype(_float_dtype(a))

    def backward(self, grad):
        return (grad * (-_TWO_OVER_SQRT_PI * np.exp(-self.a * self.a)).astype(grad.dtype),)


class Erfinv(Function):
    """``erfinv(a)``; d/da = sqrt(pi)/2 exp(erfinv(a)**2)."""

    def forward(self, a):
        out = erfinv_values(a)
        self.out = out
        return out.astype(_float_dtype(a))

    def backward(self, grad):
        return (grad * (np.exp(self.out * self.out) / _TWO_OVER_SQRT_PI).astype(grad.dtype),)
