"""Values and errors of ``descend.ops.linalg`` checked by the defining identities."""

from __future__ import annotations

import numpy as np
import pytest

from descend.autograd import Tensor
from descend.autograd import ops as eng
from descend.ops import linalg

rng = np.random.default_rng(7)


def mT(a: np.ndarray) -> np.ndarray:  # noqa: N802
    return np.swapaxes(a, -1, -2)


def spd(n: int, batch: tuple[int, ...] = ()) -> np.ndarray:
    a = rng.normal(size=batch + (n, n))
    return a @ mT(a) + n * np.eye(n)


def test_cholesky_reconstructs() -> None:
    a = spd(3, (2,))
    low = linalg.cholesky(a).data
    np.testing.assert_allclose(low @ mT(low), a)
    np.testing.assert_array_equal(np.triu(low[0], 1), 0)
    up = linalg.cholesky(a, upper=True).data
    np.testing.assert_allclose(mT(up) @ up, a)
    with pytest.raises(ValueError, match="cholesky: x must be symmetric positive definite"):
        linalg.cholesky(-np.eye(2))
    with pytest.raises(ValueError, match="cholesky: x must be square"):
        linalg.cholesky(np.ones((2, 3)))


def test_cholesky_inverse() -> None:
    a = spd(3)
    low = np.linalg.cholesky(a)
    np.testing.assert_allclose(linalg.cholesky_inverse(low).data @ a, np.eye(3), atol=1e-12)
    np.testing.assert_allclose(linalg.cholesky_inverse(low.T, upper=True).data @ a, np.eye(3),
                               atol=1e-12)


def test_det_inv_solve() -> None:
    a = rng.normal(size=(2, 3, 3)) + 3 * np.eye(3)
    d = linalg.det(a).data
    for i in range(2):  # cofactor expansion along the first row
        m = a[i]
        cof = sum((-1) ** j * m[0, j] * np.linalg.det(np.delete(np.delete(m, 0, 0), j, 1))
                  for j in range(3))
        np.testing.assert_allclose(d[i], cof)
    np.testing.assert_allclose(linalg.inv(a).data @ a, np.broadcast_to(np.eye(3), a.shape),
                               atol=1e-12)
    b = rng.normal(size=(2, 3, 2))
    np.testing.assert_allclose(a @ linalg.solve(a, b).data, b)
    v = rng.normal(size=(2, 3))
    np.testing.assert_allclose(np.einsum("bij,bj->bi", a, linalg.solve(a, v).data), v)
    with pytest.raises(ValueError, match="inv: the matrix is singular"):
        linalg.inv(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="solve: b must have shape"):
        linalg.solve(np.eye(3), np.ones(2))
    with pytest.raises(ValueError, match="det: x must have at least 2 dimensions"):
        linalg.det(np.ones(3))


def test_solve_triangular_reads_one_triangle() -> None:
    a = rng.normal(size=(3, 3)) + 3 * np.eye(3)
    b = rng.normal(size=(3, 2))
    upper = linalg.solve_triangular(a, b).data
    np.testing.assert_allclose(np.triu(a) @ upper, b)
    lower = linalg.solve_triangular(a, b, lower=True).data
    np.testing.assert_allclose(np.tril(a) @ lower, b)


def test_eig_and_eigh() -> None:
    a = rng.normal(size=(3, 3))
    w, v = linalg.eig(a)
    assert w.dtype == np.complex128 and v.dtype == np.complex128
    np.testing.assert_allclose(a @ v.data, v.data * w.data[None, :], atol=1e-12)
    s = spd(3)
    w, v = linalg.eigh(s)
    assert np.all(np.diff(w.data) >= 0)
    np.testing.assert_allclose(s @ v.data, v.data * w.data[None, :], atol=1e-10)
    np.testing.assert_allclose(v.data.T @ v.data, np.eye(3), atol=1e-12)


def test_qr_modes() -> None:
    a = rng.normal(size=(5, 3))
    q, r = linalg.qr(a)
    assert q.shape == (5, 3) and r.shape == (3, 3)
    np.testing.assert_allclose(q.data @ r.data, a)
    np.testing.assert_allclose(q.data.T @ q.data, np.eye(3), atol=1e-12)
    np.testing.assert_array_equal(np.tril(r.data, -1), 0)
    q, r = linalg.qr(a, mode="complete")
    assert q.shape == (5, 5) and r.shape == (5, 3)
    np.testing.assert_allclose(q.data @ r.data, a)
    with pytest.raises(ValueError, match="qr: mode must be"):
        linalg.qr(a, mode="r")


def test_qr_gradient_unsupported_cases_raise() -> None:
    x = Tensor(rng.normal(size=(2, 4)), requires_grad=True)
    q, _ = linalg.qr(x)
    with pytest.raises(ValueError, match="qr: the gradient of a QR"):
        q.sum().backward()


def test_svd() -> None:
    a = rng.normal(size=(4, 3))
    u, s, v = linalg.svd(a)
    assert u.shape == (4, 4) and s.shape == (3,) and v.shape == (3, 3)
    np.testing.assert_allclose(u.data[:, :3] * s.data @ v.data, a)
    u, s, v = linalg.svd(a, full_matrices=False)
    assert u.shape == (4, 3)
    s_only = linalg.svd(a, compute_uv=False).data
    np.testing.assert_allclose(np.sort(s_only ** 2)[::-1], np.linalg.eigvalsh(a.T @ a)[::-1])
    x = Tensor(a, requires_grad=True)
    u, _, _ = linalg.svd(x)
    with pytest.raises(ValueError, match="full_matrices=False"):
        u.sum().backward()


def test_pinv_lstsq_matrix_rank() -> None:
    a = rng.normal(size=(5, 3))
    p = linalg.pinv(a).data
    np.testing.assert_allclose(a @ p @ a, a, atol=1e-12)
    np.testing.assert_allclose(p @ a, np.eye(3), atol=1e-12)
    b = rng.normal(size=5)
    x = linalg.lstsq(a, b).data
    np.testing.assert_allclose(a.T @ (a @ x - b), 0, atol=1e-12)  # normal equations
    assert linalg.lstsq(a, rng.normal(size=(5, 2))).shape == (3, 2)
    rank2 = rng.normal(size=(4, 2)) @ rng.normal(size=(2, 4))
    r = linalg.matrix_rank(rank2)
    assert r.dtype == np.int32 and int(r.data) == 2
    assert int(linalg.matrix_rank(np.eye(3), tol=2.0).data) == 0
    with pytest.raises(ValueError, match="lstsq: b must have shape"):
        linalg.lstsq(a, np.ones(4))


def test_lu_factor_reconstructs_with_pivots() -> None:
    a = np.array([[4.0, 3.0], [6.0, 3.0]])
    lu, piv = linalg.lu_factor(a)
    assert piv.dtype == np.int32 and piv.data.tolist() == [1, 1]
    np.testing.assert_allclose(lu.data, [[6.0, 3.0], [2 / 3, 1.0]])
    m = rng.normal(size=(2, 4, 4))
    lu, piv = linalg.lu_factor(m)
    for k in range(2):
        low = np.tril(lu.data[k], -1) + np.eye(4)
        up = np.triu(lu.data[k])
        permuted = m[k].copy()
        for i, p in enumerate(piv.data[k]):
            permuted[[i, p]] = permuted[[p, i]]
        np.testing.assert_allclose(low @ up, permuted, atol=1e-12)


@pytest.mark.parametrize("ord_", [None, 1, -1, 2, -2, np.inf, -np.inf, 0, 3, 0.5])
def test_vector_norms(ord_) -> None:
    x = rng.normal(size=(3, 4))
    a = np.abs(x)
    if ord_ in (None, 2):
        expected = np.sqrt((a ** 2).sum(-1))
    elif ord_ == np.inf:
        expected = a.max(-1)
    elif ord_ == -np.inf:
        expected = a.min(-1)
    elif ord_ == 0:
        expected = (x != 0).sum(-1).astype(float)
    else:
        expected = (a ** ord_).sum(-1) ** (1 / ord_)
    np.testing.assert_allclose(linalg.norm(x, ord=ord_, axis=-1).data, expected)


@pytest.mark.parametrize("ord_", [None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf])
def test_matrix_norms(ord_) -> None:
    x = rng.normal(size=(3, 4))
    a, s = np.abs(x), np.sqrt(np.linalg.eigvalsh(x @ x.T))
    expected = {None: np.sqrt((x ** 2).sum()), "fro": np.sqrt((x ** 2).sum()), "nuc": s.sum(),
                1: a.sum(0).max(), -1: a.sum(0).min(), 2: s.max(), -2: s.min(),
                np.inf: a.sum(1).max(), -np.inf: a.sum(1).min()}[ord_]
    np.testing.assert_allclose(linalg.norm(x, ord=ord_).data, expected)
    kept = linalg.norm(x[None], ord=ord_, axis=(1, 2), keepdims=True)
    assert kept.shape == (1, 1, 1)


def test_norm_defaults_and_errors() -> None:
    x = rng.normal(size=(2, 3, 4))
    np.testing.assert_allclose(linalg.norm(x).data, np.sqrt((x ** 2).sum()))
    assert linalg.norm(x, keepdims=True).shape == (1, 1, 1)
    assert linalg.norm(np.array([3, 4])).dtype == np.float32
    with pytest.raises(ValueError, match="norm: ord='fro' is a matrix norm"):
        linalg.norm(x, ord="fro", axis=0)
    with pytest.raises(ValueError, match="norm: invalid ord 3 for a matrix norm"):
        linalg.norm(x[0], ord=3)
    with pytest.raises(ValueError, match="norm: with ord=1, x must be 1-D or 2-D"):
        linalg.norm(x, ord=1)


def test_jvp_matches_the_jacobian() -> None:
    a, t = rng.normal(size=3), rng.normal(size=3)
    b = rng.normal(size=3)
    out, tangent = linalg.jvp(lambda x, y: eng.tanh(x) * y, (a, b), (t, np.zeros(3)))
    np.testing.assert_allclose(out.data, np.tanh(a) * b)
    np.testing.assert_allclose(tangent.data, (1 - np.tanh(a) ** 2) * b * t)
    out, tangent, aux = linalg.jvp(lambda x: (eng.sum(x * x), "aux"), (a,), (t,), has_aux=True)
    np.testing.assert_allclose(tangent.data, 2 * a @ t)
    assert aux == "aux"
    (o1, o2), (t1, t2) = linalg.jvp(lambda x: (x * 2.0, eng.exp(x)), (a,), (t,))
    np.testing.assert_allclose(t1.data, 2 * t)
    np.testing.assert_allclose(t2.data, np.exp(a) * t)
    with pytest.raises(ValueError, match="jvp: primals and tangents must have the same length"):
        linalg.jvp(lambda x: x, (a,), (t, t))
    with pytest.raises(ValueError, match="jvp: each tangent must have its primal's shape"):
        linalg.jvp(lambda x: x, (a,), (np.ones(2),))
