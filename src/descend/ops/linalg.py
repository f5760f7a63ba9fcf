"""``descend.ops.linalg``: Keras's ``keras.ops.linalg`` on descend tensors.

Every function takes tensors, NumPy arrays or nested lists (stacks of matrices
``(..., m, n)`` are processed matrix by matrix) and returns descend tensors.
Differentiable: ``cholesky``, ``cholesky_inverse``, ``det``, ``eigh``, ``inv``,
``lstsq``, ``norm``, ``pinv``, ``qr`` (reduced, rows >= columns), ``solve``,
``solve_triangular`` and ``svd`` (``u``/``v`` with ``full_matrices=False`` or
square input). ``eig`` (complex), ``lu_factor`` and ``matrix_rank`` have no
gradient. ``jvp`` computes forward-mode products with descend's reverse mode.

Examples
--------
>>> import numpy as np
>>> from descend.ops import linalg
>>> linalg.det(np.array([[2.0, 1.0], [1.0, 3.0]])).data
array(5.)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.autograd import ops as _ops
from descend.autograd.ops import linalg_ext as _la
from descend.autograd.tensor import Tensor
from descend.ops._dispatch import keras_op
from descend.ops._jvp import jvp
from descend.ops._opargs import check_matrix, constant, float_tensor

__all__ = [
    "cholesky", "cholesky_inverse", "det", "eig", "eigh", "inv", "jvp", "lstsq", "lu_factor",
    "matrix_rank", "norm", "pinv", "qr", "solve", "solve_triangular", "svd",
]


def _square(x: Any, op: str) -> Tensor:
    x = float_tensor(x, op)
    check_matrix(x, op, square=True)
    return x


def _singular(op: str, error: Exception) -> ValueError:
    return ValueError(f"{op}: the matrix is singular or not suited to {op} ({error}).")


@keras_op
def cholesky(x: Any, upper: bool = False) -> Tensor:
    """Cholesky factor of a symmetric positive-definite matrix.

    Parameters
    ----------
    x : tensor, shape (..., n, n)
        Symmetric positive definite (only the lower triangle is read).
    upper : bool, default False
        Return the upper factor ``U = Lᵀ`` (``x = Uᵀ U``) instead of ``L`` (``x = L Lᵀ``).

    Returns
    -------
    Tensor, shape (..., n, n)

    Raises
    ------
    ValueError
        If ``x`` is not square or not positive definite.
    """
    x = _square(x, "cholesky")
    try:
        low = _la.Cholesky.apply(x)
    except np.linalg.LinAlgError as error:
        raise ValueError(
            f"cholesky: x must be symmetric positive definite; the decomposition failed ({error})."
        ) from error
    return _ops.transpose(low, _last_two(low.ndim)) if upper else low


def _last_two(ndim: int) -> tuple[int, ...]:
    axes = list(range(ndim))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    return tuple(axes)


def _mT(x: Tensor) -> Tensor:  # noqa: N802
    return _ops.transpose(x, _last_two(x.ndim))


@keras_op
def cholesky_inverse(x: Any, upper: bool = False) -> Tensor:
    """Inverse of ``A`` from its Cholesky factor.

    Parameters
    ----------
    x : tensor, shape (..., n, n)
        The lower factor ``L`` of ``A = L Lᵀ`` (or the upper ``U`` of ``A = Uᵀ U``
        when ``upper``).
    upper : bool, default False

    Returns
    -------
    Tensor, shape (..., n, n)
        ``A⁻¹``.
    """
    factor = _square(x, "cholesky_inverse")
    product = _ops.matmul(_mT(factor), factor) if upper else _ops.matmul(factor, _mT(factor))
    try:
        return _la.Inv.apply(product)
    except np.linalg.LinAlgError as error:
        raise _singular("cholesky_inverse", error) from error


@keras_op
def det(x: Any) -> Tensor:
    """Determinant of a square matrix (or of each in a stack).

    Parameters
    ----------
    x : tensor, shape (..., n, n)

    Returns
    -------
    Tensor, shape (...)
    """
    return _la.Det.apply(_square(x, "det"))


@keras_op
def eig(x: Any) -> tuple[Tensor, Tensor]:
    """Eigenvalues and eigenvectors of a general square matrix (complex, no gradient).

    Parameters
    ----------
    x : tensor, shape (..., n, n)

    Returns
    -------
    w : Tensor, shape (..., n), complex
    v : Tensor, shape (..., n, n), complex
        Column ``v[..., :, i]`` is the eigenvector of ``w[..., i]``.
    """
    data = _square(x, "eig").data
    w, v = np.linalg.eig(data)
    complex_dtype = np.result_type(data.dtype, np.complex64)
    return constant(w.astype(complex_dtype)), constant(v.astype(complex_dtype))


@keras_op
def eigh(x: Any) -> tuple[Tensor, Tensor]:
    """Eigenvalues (ascending) and eigenvectors of a symmetric matrix.

    Parameters
    ----------
    x : tensor, shape (..., n, n)
        Symmetric (only the lower triangle is read).

    Returns
    -------
    w : Tensor, shape (..., n)
    v : Tensor, shape (..., n, n)
        Orthonormal columns. Gradients through ``v`` need distinct eigenvalues.
    """
    x = _square(x, "eigh")
    factors = np.linalg.eigh(x.data)
    return tuple(
        _la.FactorPart.apply(x, kind="eigh", factors=tuple(factors), index=i, op="eigh")
        for i in range(2)
    )


@keras_op
def inv(x: Any) -> Tensor:
    """Inverse of a square matrix.

    Parameters
    ----------
    x : tensor, shape (..., n, n)

    Returns
    -------
    Tensor, shape (..., n, n)

    Raises
    ------
    ValueError
        If ``x`` is not square or is singular.
    """
    x = _square(x, "inv")
    try:
        return _la.Inv.apply(x)
    except np.linalg.LinAlgError as error:
        raise _singular("inv", error) from error


def _pinv_tensor(x: Tensor, rcond: Any, op: str) -> Tensor:
    u, s, vh = svd(x, full_matrices=False)
    m, n = x.shape[-2:]
    cutoff_ratio = np.finfo(x.data.dtype).eps * max(m, n) if rcond is None else float(rcond)
    cutoff = cutoff_ratio * np.max(s.data, axis=-1, keepdims=True)
    keep = s.data > cutoff
    s_safe = _ops.where(keep, s, 1.0)
    s_inv = _ops.where(keep, _ops.div(1.0, s_safe), 0.0)
    return _ops.matmul(_mT(vh) * _ops.expand_dims(s_inv, -2), _mT(u))


@keras_op
def lstsq(a: Any, b: Any, rcond: Any = None) -> Tensor:
    """Least-squares solution ``x`` minimising ``||a @ x - b||`` (minimum norm if not unique).

    Parameters
    ----------
    a : tensor, shape (m, n)
    b : tensor, shape (m,) or (m, k)
    rcond : float, optional
        Singular values below ``rcond * max(s)`` count as zero; default
        machine epsilon times ``max(m, n)``.

    Returns
    -------
    Tensor, shape (n,) or (n, k)
    """
    a = float_tensor(a, "lstsq", "a")
    b = float_tensor(b, "lstsq", "b")
    check_matrix(a, "lstsq", "a")
    if b.ndim not in (a.ndim - 1, a.ndim) or b.shape[a.ndim - 2] != a.shape[-2]:
        raise ValueError(f"lstsq: b must have shape ({a.shape[-2]},) or ({a.shape[-2]}, k) to "
                         f"match a of shape {a.shape}, received {b.shape}.")
    pinv_a = _pinv_tensor(a, rcond, "lstsq")
    if b.ndim == a.ndim - 1:
        return _ops.squeeze(_ops.matmul(pinv_a, _ops.expand_dims(b, -1)), -1)
    return _ops.matmul(pinv_a, b)


def _lu_one(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lu = np.array(a, dtype=np.result_type(a.dtype, np.float32))
    n = lu.shape[0]
    pivots = np.zeros(n, np.int32)
    for k in range(n):
        p = k + int(np.argmax(np.abs(lu[k:, k])))
        pivots[k] = p
        if p != k:
            lu[[k, p]] = lu[[p, k]]
        if lu[k, k] != 0:
            lu[k + 1:, k] /= lu[k, k]
            lu[k + 1:, k + 1:] -= np.outer(lu[k + 1:, k], lu[k, k + 1:])
    return lu, pivots


@keras_op
def lu_factor(x: Any) -> tuple[Tensor, Tensor]:
    """LU factorization with partial pivoting (no gradient).

    Parameters
    ----------
    x : tensor, shape (..., n, n)

    Returns
    -------
    lu : Tensor, shape (..., n, n)
        ``U`` in the upper triangle and the unit-lower ``L`` below the diagonal.
    pivots : Tensor of int32, shape (..., n)
        Row ``i`` was swapped with row ``pivots[i]`` (0-based), as in LAPACK.
    """
    data = _square(x, "lu_factor").data
    flat = data.reshape((-1,) + data.shape[-2:])
    results = [_lu_one(m) for m in flat]
    n = data.shape[-1]
    lu = np.stack([r[0] for r in results]).reshape(data.shape) if results else data.copy()
    piv = (np.stack([r[1] for r in results]) if results else np.zeros((0, n), np.int32))
    return constant(lu), constant(piv.reshape(data.shape[:-1]))


@keras_op
def matrix_rank(x: Any, tol: Any = None) -> Tensor:
    """Numerical rank: the number of singular values above ``tol`` (no gradient).

    Parameters
    ----------
    x : tensor, shape (..., m, n)
    tol : float, optional
        Default ``max(s) * max(m, n) * eps``.

    Returns
    -------
    Tensor of int32, shape (...)
    """
    x = float_tensor(x, "matrix_rank")
    check_matrix(x, "matrix_rank")
    return constant(np.asarray(np.linalg.matrix_rank(x.data, tol=tol), np.int32))


_MATRIX_ORDS = (None, "fro", "nuc", np.inf, -np.inf, 1, -1, 2, -2)


@keras_op
def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A002
    """Vector or matrix norm.

    Parameters
    ----------
    x : tensor
    ord : {None, "fro", "nuc", inf, -inf, number}, optional
        Vector norms (one axis): ``None``/2 Euclidean, ``inf`` max ``|x|``,
        ``-inf`` min ``|x|``, 0 the count of non-zeros, other ``p``:
        ``sum(|x|**p)**(1/p)``. Matrix norms (two axes): ``None``/"fro"
        Frobenius, "nuc" sum of singular values, ``inf``/``-inf`` max/min row
        sum of ``|x|``, 1/-1 max/min column sum, 2/-2 largest/smallest singular value.
    axis : int or pair of int, optional
        Default: all axes when ``ord`` is None (the flattened 2-norm), else the
        vector (1-D) or matrix (2-D) norm of ``x``.
    keepdims : bool, default False

    Returns
    -------
    Tensor
    """
    x = float_tensor(x, "norm")
    if axis is None:
        if ord is None:
            flat = _ops.reshape(x, (-1,))
            out = _ops.sqrt(_ops.sum(_ops.square(flat)))
            return _ops.reshape(out, (1,) * x.ndim) if keepdims else out
        if x.ndim not in (1, 2):
            raise ValueError(f"norm: with ord={ord!r}, x must be 1-D or 2-D or axis must be "
                             f"given; received shape {x.shape}.")
        axis = tuple(range(x.ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    axes = tuple(int(a) % x.ndim if -x.ndim <= int(a) < x.ndim else _bad_axis(a, x) for a in axes)
    if len(axes) == 1:
        if isinstance(ord, str):
            raise ValueError(f"norm: ord={ord!r} is a matrix norm; a vector norm (one axis) takes "
                             "None, inf, -inf or a number.")
        return _vector_norm(x, ord, axes[0], keepdims)
    if len(axes) == 2 and axes[0] != axes[1]:
        if ord not in _MATRIX_ORDS:
            raise ValueError(f"norm: invalid ord {ord!r} for a matrix norm; use one of None, "
                             "'fro', 'nuc', inf, -inf, 1, -1, 2, -2.")
        return _matrix_norm(x, ord, axes, keepdims)
    raise ValueError(f"norm: axis must be one axis or two different axes, received {axis!r}.")


def _bad_axis(axis: Any, x: Tensor) -> int:
    raise ValueError(f"norm: axis {axis} is out of range for a tensor of shape {x.shape}.")


def _vector_norm(x: Tensor, ord: Any, axis: int, keepdims: bool) -> Tensor:  # noqa: A002
    if ord is None or ord == 2:
        return _ops.sqrt(_ops.sum(_ops.square(x), axis=axis, keepdims=keepdims))
    if ord == np.inf:
        return _ops.max(_ops.abs(x), axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return _ops.min(_ops.abs(x), axis=axis, keepdims=keepdims)
    if ord == 0:
        count = np.sum(x.data != 0, axis=axis, keepdims=keepdims)
        return constant(count.astype(x.data.dtype))
    if ord == 1:
        return _ops.sum(_ops.abs(x), axis=axis, keepdims=keepdims)
    p = float(ord)
    powered = _ops.pow(_ops.abs(x), p)
    return _ops.pow(_ops.sum(powered, axis=axis, keepdims=keepdims), 1.0 / p)


def _matrix_norm(x: Tensor, ord: Any, axes: tuple[int, int], keepdims: bool) -> Tensor:  # noqa: A002
    if ord is None or ord == "fro":
        return _ops.sqrt(_ops.sum(_ops.square(x), axis=axes, keepdims=keepdims))
    row, col = axes
    if ord in (np.inf, -np.inf, 1, -1):
        sum_axis, pick_axis = (col, row) if ord in (np.inf, -np.inf) else (row, col)
        sums = _ops.sum(_ops.abs(x), axis=sum_axis, keepdims=True)
        reduce = _ops.max if ord in (np.inf, 1) else _ops.min
        out = reduce(sums, axis=pick_axis, keepdims=True)
    else:
        rest = [a for a in range(x.ndim) if a not in axes]
        moved = _ops.transpose(x, rest + [row, col])
        s = svd(moved, compute_uv=False)
        if ord == "nuc":
            value = _ops.sum(s, axis=-1)
        else:
            value = _ops.max(s, axis=-1) if ord == 2 else _ops.min(s, axis=-1)
        shape = list(x.shape)
        shape[row] = shape[col] = 1
        out = _ops.reshape(value, shape)
    return out if keepdims else _ops.squeeze(out, axes)


@keras_op
def pinv(x: Any, rcond: Any = None) -> Tensor:
    """Moore-Penrose pseudo-inverse (through the SVD).

    Parameters
    ----------
    x : tensor, shape (..., m, n)
    rcond : float, optional
        Singular values below ``rcond * max(s)`` count as zero; default machine
        epsilon times ``max(m, n)``.

    Returns
    -------
    Tensor, shape (..., n, m)
    """
    x = float_tensor(x, "pinv")
    check_matrix(x, "pinv")
    return _pinv_tensor(x, rcond, "pinv")


@keras_op
def qr(x: Any, mode: str = "reduced") -> tuple[Tensor, Tensor]:
    """QR factorization ``x = q @ r``.

    Parameters
    ----------
    x : tensor, shape (..., m, n)
    mode : {"reduced", "complete"}, default "reduced"
        ``q`` is (m, k), ``r`` (k, n) with ``k = min(m, n)``; "complete":
        ``q`` (m, m), ``r`` (m, n).

    Returns
    -------
    q, r : Tensor
        Differentiable for ``mode="reduced"`` with ``m >= n``.
    """
    if mode not in ("reduced", "complete"):
        raise ValueError(f"qr: mode must be 'reduced' or 'complete', received {mode!r}.")
    x = float_tensor(x, "qr")
    check_matrix(x, "qr")
    factors = tuple(np.linalg.qr(x.data, mode=mode))
    return tuple(_la.FactorPart.apply(x, kind="qr", factors=factors, index=i, op="qr")
                 for i in range(2))


def _solve_operands(a: Any, b: Any, op: str) -> tuple[Tensor, Tensor, bool]:
    a = _square(float_tensor(a, op, "a"), op)
    b = float_tensor(b, op, "b")
    # torch/NumPy rule: b is a (batch of) vector(s) when 1-D or shaped like a's rows
    vector = b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])
    if b.ndim == 0 or b.shape[-1 if vector else -2] != a.shape[-1]:
        raise ValueError(f"{op}: b must have shape (..., {a.shape[-1]}) or "
                         f"(..., {a.shape[-1]}, k) to match a of shape {a.shape}, "
                         f"received {b.shape}.")
    if b.data.dtype != a.data.dtype:
        dtype = np.result_type(a.data.dtype, b.data.dtype)
        a, b = _ops.cast(a, dtype), _ops.cast(b, dtype)
    return a, (_ops.expand_dims(b, -1) if vector else b), vector


@keras_op
def solve(a: Any, b: Any) -> Tensor:
    """Solve ``a @ x = b``.

    Parameters
    ----------
    a : tensor, shape (..., n, n)
    b : tensor, shape (..., n) or (..., n, k)

    Returns
    -------
    Tensor, shape of ``b``
    """
    a, b, vector = _solve_operands(a, b, "solve")
    try:
        out = _la.Solve.apply(a, b)
    except np.linalg.LinAlgError as error:
        raise _singular("solve", error) from error
    return _ops.squeeze(out, -1) if vector else out


@keras_op
def solve_triangular(a: Any, b: Any, lower: bool = False) -> Tensor:
    """Solve ``a @ x = b`` using only the upper (or, if ``lower``, lower) triangle of ``a``.

    Parameters
    ----------
    a : tensor, shape (..., n, n)
    b : tensor, shape (..., n) or (..., n, k)
    lower : bool, default False

    Returns
    -------
    Tensor, shape of ``b``
    """
    a, b, vector = _solve_operands(a, b, "solve_triangular")
    try:
        out = _la.Solve.apply(a, b, triangle="lower" if lower else "upper")
    except np.linalg.LinAlgError as error:
        raise _singular("solve_triangular", error) from error
    return _ops.squeeze(out, -1) if vector else out


@keras_op
def svd(x: Any, full_matrices: bool = True, compute_uv: bool = True) -> Any:
    """Singular value decomposition ``x = u @ diag(s) @ v``.

    Parameters
    ----------
    x : tensor, shape (..., m, n)
    full_matrices : bool, default True
        ``u`` (m, m) and ``v`` (n, n); else (m, k) and (k, n), ``k = min(m, n)``.
    compute_uv : bool, default True
        Return only ``s`` when False.

    Returns
    -------
    (u, s, v) or s : Tensor
        ``s`` has shape (..., k), descending. As in Keras, ``v`` is the
        right factor already transposed (NumPy's ``vh``).
    """
    x = float_tensor(x, "svd")
    check_matrix(x, "svd")
    if not compute_uv:
        factors = np.linalg.svd(x.data, full_matrices=False)
        return _la.FactorPart.apply(x, kind="svd", factors=tuple(factors), index=1, op="svd")
    factors = tuple(np.linalg.svd(x.data, full_matrices=full_matrices))
    return tuple(_la.FactorPart.apply(x, kind="svd", factors=factors, index=i, op="svd")
                 for i in range(3))
