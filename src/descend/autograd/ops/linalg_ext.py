"""Linear-algebra primitives: inverse, determinant, solves and the factorizations.

All work on stacks of matrices (``(..., m, n)``) with NumPy's batching; the
gradients are the standard matrix-calculus results (``mT`` is the transpose of
the last two axes):

* ``inv``: ``Ā = -Xᵀ Ḡ Xᵀ`` with ``X = A⁻¹``;
* ``det``: ``Ā = ḡ det(A) A⁻ᵀ``; ``log|det|``: ``Ā = ḡ A⁻ᵀ``;
* ``solve`` (``X = A⁻¹B``): ``B̄ = A⁻ᵀ Ḡ``, ``Ā = -B̄ Xᵀ`` (triangular: masked);
* ``cholesky``, ``eigh``: symmetric results of the symmetric-input formulas;
* ``qr`` (``m >= n``, reduced) and ``svd`` (reduced): the formulas of
  Walter & Lehmann and of Townsend ("Differentiating the singular value
  decomposition", 2016).

A factorization with several outputs is computed once by the caller; each
output is then one :class:`FactorPart` node holding all the factors, whose
backward applies the full formula with zero cotangents for the other outputs.
Because the formulas are linear in the cotangents, the contributions of the
parts add up to the exact gradient.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.autograd.function import Function


def mT(a: np.ndarray) -> np.ndarray:  # noqa: N802  (NumPy's name for the matrix transpose)
    """Transpose of the last two axes."""
    return np.swapaxes(a, -1, -2)


def _diag_embed(v: np.ndarray) -> np.ndarray:
    out = np.zeros(v.shape + (v.shape[-1],), v.dtype)
    idx = np.arange(v.shape[-1])
    out[..., idx, idx] = v
    return out


def _sym(a: np.ndarray) -> np.ndarray:
    return 0.5 * (a + mT(a))


class Inv(Function):
    """Matrix inverse; ``Ā = -A⁻ᵀ Ḡ A⁻ᵀ``."""

    def forward(self, a):
        self.out = np.linalg.inv(a)
        return self.out

    def backward(self, grad):
        inv_t = mT(self.out)
        return (-(inv_t @ grad @ inv_t),)


class Det(Function):
    """Determinant; ``Ā = ḡ det(A) A⁻ᵀ``."""

    def forward(self, a):
        self.a = a
        self.out = np.linalg.det(a)
        return self.out

    def backward(self, grad):
        inv_t = mT(np.linalg.inv(self.a))
        return ((grad * self.out)[..., None, None] * inv_t,)


class LogAbsDet(Function):
    """``log|det(A)|``; ``Ā = ḡ A⁻ᵀ``."""

    def forward(self, a):
        self.a = a
        return np.linalg.slogdet(a)[1]

    def backward(self, grad):
        return (grad[..., None, None] * mT(np.linalg.inv(self.a)),)


class Solve(Function):
    """``X = A⁻¹ B`` for ``A (..., n, n)``, ``B (..., n, k)``.

    Option ``triangle``: ``None`` for a general ``A``, ``"lower"``/``"upper"``
    to use only that triangle of ``A`` (a triangular solve).
    """

    def forward(self, a, b, triangle: Any = None):
        if triangle == "lower":
            a = np.tril(a)
        elif triangle == "upper":
            a = np.triu(a)
        self.a, self.triangle = a, triangle
        self.out = np.linalg.solve(a, b)
        return self.out

    def backward(self, grad):
        need_a, need_b = self.needs_grad
        gb = np.linalg.solve(mT(self.a), grad)
        ga = None
        if need_a:
            ga = -(gb @ mT(self.out))
            if self.triangle == "lower":
                ga = np.tril(ga)
            elif self.triangle == "upper":
                ga = np.triu(ga)
        return ga, (gb if need_b else None)


class Cholesky(Function):
    """Lower Cholesky factor ``L`` of a symmetric positive-definite ``A`` (its lower triangle).

    ``Ā = sym(L⁻ᵀ Φ(Lᵀ L̄) L⁻¹)`` where ``Φ`` keeps the lower triangle and halves
    the diagonal; the gradient is the symmetric one (as for a symmetric input).
    """

    def forward(self, a):
        self.out = np.linalg.cholesky(a)
        return self.out

    def backward(self, grad):
        low = self.out
        phi = np.tril(mT(low) @ grad)
        idx = np.arange(low.shape[-1])
        phi[..., idx, idx] *= 0.5
        inv = np.linalg.inv(low)
        return (_sym(mT(inv) @ phi @ inv),)


class FactorPart(Function):
    """One output of a factorization computed by the caller (see the module docstring).

    Options: ``kind`` (``"qr"``, ``"svd"`` or ``"eigh"``), ``factors`` (the tuple
    of all outputs, ``(q, r)``, ``(u, s, vh)`` or ``(w, v)``), ``index`` (which
    output this node returns) and ``op`` (the public name, for error messages).
    """

    def forward(self, a, kind: str = "", factors: tuple = (), index: int = 0, op: str = ""):
        self.a, self.kind, self.factors, self.index, self.op = a, kind, factors, index, op
        return factors[index]

    def backward(self, grad):
        cotangents = [np.zeros_like(f) for f in self.factors]
        cotangents[self.index] = grad
        return (getattr(self, "_" + self.kind)(*cotangents),)

    def _qr(self, gq, gr):
        q, r = self.factors
        m, n = self.a.shape[-2:]
        if m < n or q.shape[-1] != n:
            raise ValueError(
                f"{self.op}: the gradient of a QR factorization is defined here for "
                f"mode='reduced' with rows >= columns; received a ({m}, {n}) matrix with "
                f"Q of shape {q.shape}. Differentiate the reduced factorization instead."
            )
        mm = r @ mT(gr) - mT(gq) @ q
        copy = np.tril(mm) + mT(np.tril(mm, -1))
        b = gq + q @ copy
        # Ā = b R⁻ᵀ, i.e. solve Ā Rᵀ = b for Ā.
        return mT(np.linalg.solve(r, mT(b)))

    def _svd(self, gu, gs, gvh):
        u, s, vh = self.factors
        k = s.shape[-1]
        if u.shape[-1] != k or vh.shape[-2] != k:
            if gu.any() or gvh.any():
                raise ValueError(
                    f"{self.op}: the gradient through u and v of an SVD with "
                    "full_matrices=True of a non-square matrix is not unique; call "
                    "svd(x, full_matrices=False) to differentiate u and v."
                )
            u, vh, gu, gvh = u[..., :, :k], vh[..., :k, :], gu[..., :, :k], gvh[..., :k, :]
        v, gv = mT(vh), mT(gvh)
        s2 = s[..., None, :] ** 2 - s[..., :, None] ** 2  # s_j² - s_i²
        eye = np.eye(k, dtype=bool)
        with np.errstate(divide="ignore"):
            f = np.where(eye, 0.0, 1.0 / np.where(eye, 1.0, s2))
        ut_gu, vt_gv = mT(u) @ gu, mT(v) @ gv
        s_mat = _diag_embed(s)
        inner = (f * (ut_gu - mT(ut_gu))) @ s_mat + _diag_embed(gs) + s_mat @ (
            f * (vt_gv - mT(vt_gv))
        )
        out = u @ inner @ vh
        inv_s = _diag_embed(1.0 / s)
        m, n = u.shape[-2], v.shape[-2]
        if m > k and gu.any():
            out = out + (np.eye(m) - u @ mT(u)) @ gu @ inv_s @ vh
        if n > k and gv.any():
            out = out + u @ inv_s @ mT(gv) @ (np.eye(n) - v @ vh)
        return out

    def _eigh(self, gw, gv):
        w, v = self.factors
        n = w.shape[-1]
        eye = np.eye(n, dtype=bool)
        diff = w[..., None, :] - w[..., :, None]  # w_j - w_i
        with np.errstate(divide="ignore"):
            f = np.where(eye, 0.0, 1.0 / np.where(eye, 1.0, diff))
        inner = _diag_embed(gw) + f * (mT(v) @ gv)
        return _sym(v @ inner @ mT(v))
