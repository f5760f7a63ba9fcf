"""Elementwise primitives: arithmetic, exp/log/sqrt/abs, maximum/minimum, where, clip.

Each class computes its forward on NumPy arrays and returns, in ``backward``, the
gradient for each input (possibly with the broadcast shape; the engine reduces it).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.autograd.function import Function


class Add(Function):
    """``a + b``; d/da = 1, d/db = 1."""

    def forward(self, a, b):
        return a + b

    def backward(self, grad):
        return grad, grad


class Sub(Function):
    """``a - b``; d/da = 1, d/db = -1."""

    def forward(self, a, b):
        return a - b

    def backward(self, grad):
        return grad, (-grad if self.needs_grad[1] else None)


class Mul(Function):
    """``a * b``; d/da = b, d/db = a."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, grad):
        need_a, need_b = self.needs_grad
        return (grad * self.b if need_a else None), (grad * self.a if need_b else None)


class Div(Function):
    """``a / b``; d/da = 1/b, d/db = -a/b²."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, grad):
        need_a, need_b = self.needs_grad
        ga = grad / self.b if need_a else None
        gb = -grad * self.a / (self.b * self.b) if need_b else None
        return ga, gb


class Neg(Function):
    """``-a``."""

    def forward(self, a):
        return -a

    def backward(self, grad):
        return (-grad,)


class Pow(Function):
    """``a ** b``; d/da = b·a^(b-1), d/db = a^b·log(a)."""

    def forward(self, a, b):
        out = np.power(a, b)
        self.a, self.b, self.out = a, b, out
        return out

    def backward(self, grad):
        need_a, need_b = self.needs_grad
        ga = grad * self.b * np.power(self.a, self.b - 1) if need_a else None
        gb = None
        if need_b:
            with np.errstate(divide="ignore", invalid="ignore"):
                gb = grad * self.out * np.log(np.where(self.a > 0, self.a, 1))
        return ga, gb


class Exp(Function):
    """``e**a``; derivative equals the output."""

    def forward(self, a):
        self.out = np.exp(a)
        return self.out

    def backward(self, grad):
        return (grad * self.out,)


class Log(Function):
    """Natural logarithm; d/da = 1/a."""

    def forward(self, a):
        self.a = a
        return np.log(a)

    def backward(self, grad):
        return (grad / self.a,)


class Sqrt(Function):
    """Square root; d/da = 1/(2·sqrt(a))."""

    def forward(self, a):
        self.out = np.sqrt(a)
        return self.out

    def backward(self, grad):
        return (grad / (2 * self.out),)


class Abs(Function):
    """``|a|``; d/da = sign(a) (0 at 0)."""

    def forward(self, a):
        self.a = a
        return np.abs(a)

    def backward(self, grad):
        return (grad * np.sign(self.a),)


def _split(grad, a_wins, tie, needs_grad) -> tuple:
    """Route ``grad`` to ``a`` where ``a_wins``, to ``b`` elsewhere, half each on a tie.

    The share is built in ``grad``'s dtype so that float32 stays float32.
    """
    share = np.array(a_wins, dtype=grad.dtype)
    if tie.any():
        share[tie] = 0.5
    need_a, need_b = needs_grad
    return (grad * share if need_a else None), (grad * (1 - share) if need_b else None)


class Maximum(Function):
    """Elementwise ``max(a, b)``; ties split the gradient equally."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return np.maximum(a, b)

    def backward(self, grad):
        return _split(grad, self.a > self.b, self.a == self.b, self.needs_grad)


class Minimum(Function):
    """Elementwise ``min(a, b)``; ties split the gradient equally."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return np.minimum(a, b)

    def backward(self, grad):
        return _split(grad, self.a < self.b, self.a == self.b, self.needs_grad)


class Where(Function):
    """``where(condition, a, b)``; the boolean ``condition`` is an option, not an input."""

    def forward(self, a, b, condition: Any = None):
        self.condition = condition
        return np.where(condition, a, b)

    def backward(self, grad):
        need_a, need_b = self.needs_grad
        zero = np.zeros((), grad.dtype)
        ga = np.where(self.condition, grad, zero) if need_a else None
        gb = np.where(self.condition, zero, grad) if need_b else None
        return ga, gb


class Clip(Function):
    """Clip to ``[low, high]``; the gradient passes where ``low <= a <= high``."""

    def forward(self, a, low: Any = None, high: Any = None):
        self.a, self.low, self.high = a, low, high
        return np.clip(a, low, high)

    def backward(self, grad):
        inside = np.ones(self.a.shape, dtype=bool)
        if self.low is not None:
            inside &= self.a >= self.low
        if self.high is not None:
            inside &= self.a <= self.high
        return (grad * inside,)


class Cast(Function):
    """Convert to another dtype; the gradient is cast back."""

    def forward(self, a, dtype: Any = None):
        self.dtype = a.dtype
        return a.astype(dtype)

    def backward(self, grad):
        return (grad.astype(self.dtype),)
