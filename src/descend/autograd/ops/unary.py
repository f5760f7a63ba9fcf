"""Elementwise primitives of NumPy's math family: trigonometric, hyperbolic, log1p, expm1,
cbrt, sinc.

Each class gives the function ``f`` and its derivative ``df(a, out)`` (in terms of
the input ``a`` and the output ``out``) side by side; :class:`Unary` applies the
chain rule ``grad * df``. ``Arctan2`` is the one binary member.

Examples
--------
>>> from descend.autograd import Tensor
>>> from descend.autograd.ops.unary import Sin
>>> x = Tensor([0.0], requires_grad=True)
>>> Sin.apply(x).sum().backward()
>>> x.grad
array([1.], dtype=float32)
"""

from __future__ import annotations

import numpy as np

from descend.autograd.function import Function


class Unary(Function):
    """An elementwise function ``f`` with derivative ``df(a, out)``; subclasses set both."""

    @staticmethod
    def f(a):  # pragma: no cover - every subclass overrides it
        raise NotImplementedError

    @staticmethod
    def df(a, out):  # pragma: no cover
        raise NotImplementedError

    def forward(self, a):
        out = self.f(a)
        if self.needs_grad is not None:
            self.a, self.out = a, out
        return out

    def backward(self, grad):
        return (grad * self.df(self.a, self.out),)


class Sin(Unary):
    """``sin(a)``; d/da = cos(a)."""

    f = staticmethod(np.sin)

    @staticmethod
    def df(a, out):
        return np.cos(a)


class Cos(Unary):
    """``cos(a)``; d/da = -sin(a)."""

    f = staticmethod(np.cos)

    @staticmethod
    def df(a, out):
        return -np.sin(a)


class Tan(Unary):
    """``tan(a)``; d/da = 1 + tan(a)²."""

    f = staticmethod(np.tan)

    @staticmethod
    def df(a, out):
        return 1 + out * out


class Arcsin(Unary):
    """``arcsin(a)``; d/da = 1 / sqrt(1 - a²)."""

    f = staticmethod(np.arcsin)

    @staticmethod
    def df(a, out):
        return 1 / np.sqrt(1 - a * a)


class Arccos(Unary):
    """``arccos(a)``; d/da = -1 / sqrt(1 - a²)."""

    f = staticmethod(np.arccos)

    @staticmethod
    def df(a, out):
        return -1 / np.sqrt(1 - a * a)


class Arctan(Unary):
    """``arctan(a)``; d/da = 1 / (1 + a²)."""

    f = staticmethod(np.arctan)

    @staticmethod
    def df(a, out):
        return 1 / (1 + a * a)


class Sinh(Unary):
    """``sinh(a)``; d/da = cosh(a)."""

    f = staticmethod(np.sinh)

    @staticmethod
    def df(a, out):
        return np.cosh(a)


class Cosh(Unary):
    """``cosh(a)``; d/da = sinh(a)."""

    f = staticmethod(np.cosh)

    @staticmethod
    def df(a, out):
        return np.sinh(a)


class Arcsinh(Unary):
    """``arcsinh(a)``; d/da = 1 / sqrt(a² + 1)."""

    f = staticmethod(np.arcsinh)

    @staticmethod
    def df(a, out):
        return 1 / np.sqrt(a * a + 1)


class Arccosh(Unary):
    """``arccosh(a)`` (a >= 1); d/da = 1 / sqrt(a² - 1)."""

    f = staticmethod(np.arccosh)

    @staticmethod
    def df(a, out):
        return 1 / np.sqrt(a * a - 1)


class Arctanh(Unary):
    """``arctanh(a)`` (|a| < 1); d/da = 1 / (1 - a²)."""

    f = staticmethod(np.arctanh)

    @staticmethod
    def df(a, out):
        return 1 / (1 - a * a)


class Log1p(Unary):
    """``log(1 + a)``, accurate for small ``a``; d/da = 1 / (1 + a)."""

    f = staticmethod(np.log1p)

    @staticmethod
    def df(a, out):
        return 1 / (1 + a)


class Expm1(Unary):
    """``exp(a) - 1``, accurate for small ``a``; d/da = exp(a) = out + 1."""

    f = staticmethod(np.expm1)

    @staticmethod
    def df(a, out):
        return out + 1


class Cbrt(Unary):
    """Real cube root; d/da = 1 / (3·cbrt(a)²) (infinite at 0)."""

    f = staticmethod(np.cbrt)

    @staticmethod
    def df(a, out):
        with np.errstate(divide="ignore"):
            return 1 / (3 * out * out)


class Sinc(Unary):
    """Normalised ``sin(πa) / (πa)`` (1 at 0); d/da = (cos(πa) - sinc(a)) / a, 0 at 0."""

    f = staticmethod(np.sinc)

    @staticmethod
    def df(a, out):
        zero = a == 0
        safe = np.where(zero, 1, a)
        return np.where(zero, 0, (np.cos(np.pi * a) - out) / safe).astype(out.dtype)


class Arctan2(Function):
    """``arctan2(y, x)``, the angle of the point (x, y); d/dy = x/r², d/dx = -y/r²."""

    def forward(self, y, x):
        if self.needs_grad is not None:
            self.y, self.x = y, x
        return np.arctan2(y, x)

    def backward(self, grad):
        r2 = self.x * self.x + self.y * self.y
        need_y, need_x = self.needs_grad
        return (grad * self.x / r2 if need_y else None), (-grad * self.y / r2 if need_x else None)
