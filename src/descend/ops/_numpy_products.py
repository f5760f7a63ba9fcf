"""Products and integrals of ``keras.ops.numpy``: matmul, dot, tensordot, einsum, kron,
cross, correlate, trapezoid, corrcoef and slogdet.

All are differentiable in every float operand: ``einsum`` and ``slogdet`` through
their own primitives (:mod:`descend.autograd.ops.tensor_algebra`), the others
composed from matmul, indexing, sums and products.

Examples
--------
>>> import numpy as np
>>> from descend.ops import numpy as knp
>>> knp.einsum("ij,j->i", np.eye(2), np.array([3.0, 4.0])).data
array([3., 4.])
>>> knp.tensordot(np.ones((2, 3)), np.ones((3, 4)), axes=1).shape
(2, 4)
"""

from __future__ import annotations

import string
from typing import Any

import numpy as np

from descend.autograd import ops as E
from descend.autograd.ops.padding import PadConstant
from descend.autograd.ops.tensor_algebra import Einsum, LogAbsDet
from descend.autograd.tensor import Tensor
from descend.ops._numpy_base import (
    check_axis,
    const,
    float_type,
    numpy_op,
    promote,
    to_tensor,
)

__all__ = [
    "corrcoef", "correlate", "cross", "dot", "einsum", "inner", "kron", "matmul", "outer",
    "slogdet", "tensordot", "trapezoid", "vdot",
]


def _operands(*xs: Any) -> list[Tensor]:
    ts = promote(*xs)
    if ts[0].data.dtype == bool:
        ts = [const(t.data.astype(np.int32)) for t in ts]
    return ts


@numpy_op
def matmul(x1: Any, x2: Any) -> Tensor:
    """Matrix product with NumPy's batching rules (1-D operands act as vectors).

    Parameters
    ----------
    x1 : array_like, shape (..., n, k) or (k,)
    x2 : array_like, shape (..., k, m) or (k,)

    Returns
    -------
    Tensor, shape (..., n, m) with broadcast batch axes (vector axes dropped)
    """
    a, b = _operands(x1, x2)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: operands must have at least 1 dimension, received shapes "
                         f"{a.shape} and {b.shape}; use multiply for scalars.")
    k1, k2 = a.shape[-1], b.shape[0] if b.ndim == 1 else b.shape[-2]
    try:
        if k1 != k2:
            raise ValueError
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not fit: the last axis of "
                         "x1 must equal the second-to-last of x2, and batch axes must "
                         "broadcast.") from None
    return E.matmul(a, b)


def _tensordot(a: Tensor, b: Tensor, axes_a: list[int], axes_b: list[int],
               op: str = "tensordot") -> Tensor:
    for i, j in zip(axes_a, axes_b, strict=False):
        if a.shape[i] != b.shape[j]:
            raise ValueError(f"{op}: axis {i} of x1 (length {a.shape[i]}) and axis {j} of "
                             f"x2 (length {b.shape[j]}) must have the same length.")
    free_a = [d for d in range(a.ndim) if d not in axes_a]
    free_b = [d for d in range(b.ndim) if d not in axes_b]
    n = int(np.prod([a.shape[d] for d in axes_a], dtype=int))
    left = E.reshape(E.transpose(a, free_a + axes_a), (-1, n))
    right = E.reshape(E.transpose(b, axes_b + free_b), (n, -1))
    shape = [a.shape[d] for d in free_a] + [b.shape[d] for d in free_b]
    return E.reshape(E.matmul(left, right), shape)


@numpy_op
def tensordot(x1: Any, x2: Any, axes: Any = 2) -> Tensor:
    """Sum of products over ``axes``: an int ``n`` (last ``n`` of x1 with first ``n`` of x2)
    or a pair of axis lists."""
    a, b = _operands(x1, x2)
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        if n < 0 or n > min(a.ndim, b.ndim):
            raise ValueError(f"tensordot: axes={n} must lie in [0, {min(a.ndim, b.ndim)}] for "
                             f"shapes {a.shape} and {b.shape}.")
        axes_a, axes_b = list(range(a.ndim - n, a.ndim)), list(range(n))
    else:
        try:
            first, second = axes
        except (TypeError, ValueError):
            raise ValueError(f"tensordot: axes must be an int or a pair of axis lists, received "
                             f"{axes!r}.") from None
        first = [first] if isinstance(first, (int, np.integer)) else list(first)
        second = [second] if isinstance(second, (int, np.integer)) else list(second)
        if len(first) != len(second):
            raise ValueError(f"tensordot: the two axis lists must have the same length, "
                             f"received {first} and {second}.")
        axes_a = [check_axis("tensordot", d, a.ndim, "axes") for d in first]
        axes_b = [check_axis("tensordot", d, b.ndim, "axes") for d in second]
    return _tensordot(a, b, axes_a, axes_b)


@numpy_op
def dot(x1: Any, x2: Any) -> Tensor:
    """NumPy's ``dot``: scalars multiply, vectors give the inner product, matrices the matrix
    product, and N-D arrays sum over the last axis of x1 and the second-to-last of x2."""
    a, b = _operands(x1, x2)
    if a.ndim == 0 or b.ndim == 0:
        return E.mul(a, b)
    if b.ndim == 1 or a.ndim <= 2 and b.ndim <= 2:
        return matmul(a, b)
    return _tensordot(a, b, [a.ndim - 1], [b.ndim - 2], "dot")


@numpy_op
def vdot(x1: Any, x2: Any) -> Tensor:
    """Inner product of the flattened inputs (a 0-d tensor)."""
    a, b = _operands(x1, x2)
    if a.size != b.size:
        raise ValueError(f"vdot: the inputs must have the same number of elements, received "
                         f"{a.size} and {b.size}.")
    return E.sum(E.mul(E.reshape(a, (-1,)), E.reshape(b, (-1,))))


@numpy_op
def inner(x1: Any, x2: Any) -> Tensor:
    """Sum of products over the last axes (a scalar operand multiplies)."""
    a, b = _operands(x1, x2)
    if a.ndim == 0 or b.ndim == 0:
        return E.mul(a, b)
    return _tensordot(a, b, [a.ndim - 1], [b.ndim - 1], "inner")


@numpy_op
def outer(x1: Any, x2: Any) -> Tensor:
    """``x1.ravel()[:, None] * x2.ravel()[None, :]``."""
    a, b = _operands(x1, x2)
    return E.mul(E.reshape(a, (-1, 1)), E.reshape(b, (1, -1)))


@numpy_op
def kron(x1: Any, x2: Any) -> Tensor:
    """Kronecker product: blocks ``x1[i, j] * x2`` (inputs padded with leading 1-axes)."""
    a, b = _operands(x1, x2)
    nd = max(a.ndim, b.ndim)
    a = E.reshape(a, (1,) * (nd - a.ndim) + a.shape)
    b = E.reshape(b, (1,) * (nd - b.ndim) + b.shape)
    spread_a = E.reshape(a, [s for n in a.shape for s in (n, 1)])
    spread_b = E.reshape(b, [s for n in b.shape for s in (1, n)])
    shape = [m * n for m, n in zip(a.shape, b.shape, strict=False)]
    return E.reshape(E.mul(spread_a, spread_b), shape)


def _component(t: Tensor, i: int) -> Tensor:
    return E.getitem(t, (Ellipsis, i))


@numpy_op
def cross(x1: Any, x2: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1,
          axis: int | None = None) -> Tensor:
    """Cross product of 2- or 3-vectors along ``axisa``/``axisb`` (``axis`` sets all three).

    Two 2-vectors give the scalar z-component; a 2-vector is otherwise taken with
    z = 0.
    """
    a, b = _operands(x1, x2)
    if axis is not None:
        axisa = axisb = axisc = axis
    a = E.transpose(a, _to_end(a.ndim, check_axis("cross", axisa, a.ndim, "axisa")))
    b = E.transpose(b, _to_end(b.ndim, check_axis("cross", axisb, b.ndim, "axisb")))
    if a.shape[-1] not in (2, 3) or b.shape[-1] not in (2, 3):
        raise ValueError(f"cross: the vector axes must have length 2 or 3, received "
                         f"{a.shape[-1]} and {b.shape[-1]}.")
    ax, ay = _component(a, 0), _component(a, 1)
    bx, by = _component(b, 0), _component(b, 1)
    z = E.sub(E.mul(ax, by), E.mul(ay, bx))
    if a.shape[-1] == 2 and b.shape[-1] == 2:
        return z
    zero = const(np.zeros((), a.data.dtype))
    az = _component(a, 2) if a.shape[-1] == 3 else zero
    bz = _component(b, 2) if b.shape[-1] == 3 else zero
    x = E.sub(E.mul(ay, bz), E.mul(az, by))
    y = E.sub(E.mul(az, bx), E.mul(ax, bz))
    shape = np.broadcast_shapes(x.shape, y.shape, z.shape)
    out = E.stack([E.broadcast_to(c, shape) for c in (x, y, z)], axis=-1)
    c_axis = check_axis("cross", axisc, out.ndim, "axisc")
    order = list(range(out.ndim - 1))
    order.insert(c_axis, out.ndim - 1)
    return E.transpose(out, order)


def _to_end(ndim: int, axis: int) -> list[int]:
    return [d for d in range(ndim) if d != axis] + [axis]


@numpy_op
def correlate(x1: Any, x2: Any, mode: str = "valid") -> Tensor:
    """Cross-correlation of two 1-D sequences, ``c[k] = sum_n x1[n + k] * x2[n]``.

    ``mode`` is ``"valid"`` (full overlap only), ``"same"`` (length of the longer
    input) or ``"full"`` (every overlap), as :func:`numpy.correlate`.
    """
    if mode not in ("valid", "same", "full"):
        raise ValueError(f"correlate: mode must be 'valid', 'same' or 'full', received {mode!r}.")
    a, v = promote(x1, x2, dtype=float_type(x1, x2))
    if a.ndim != 1 or v.ndim != 1 or not a.size or not v.size:
        raise ValueError(f"correlate: x1 and x2 must be non-empty 1-D, received shapes {a.shape} "
                         f"and {v.shape}.")
    n, m = a.shape[0], v.shape[0]
    padded = PadConstant.apply(a, pad_width=((m - 1, m - 1),), value=0)
    windows = E.getitem(padded, np.arange(n + m - 1)[:, None] + np.arange(m)[None, :])
    full = E.sum(E.mul(windows, v), axis=1)
    if mode == "full":
        return full
    if mode == "valid":
        start, length = min(n, m) - 1, abs(n - m) + 1
    else:
        start = (m - 1) // 2 if n >= m else n - 1 - (n - 1) // 2
        length = max(n, m)
    return E.getitem(full, slice(start, start + length))


@numpy_op
def trapezoid(y: Any, x: Any = None, dx: float = 1.0, axis: int = -1) -> Tensor:
    """Integral of ``y`` along ``axis`` by the trapezoidal rule, with sample points ``x``
    (1-D along ``axis``, or shaped like ``y``) or spacing ``dx``."""
    t = to_tensor(y, float_type(y) if x is None else float_type(y, x))
    axis = check_axis("trapezoid", axis, t.ndim)
    head = [slice(None)] * t.ndim
    tail = [slice(None)] * t.ndim
    head[axis], tail[axis] = slice(1, None), slice(None, -1)
    mean_height = E.mul(E.add(E.getitem(t, tuple(head)), E.getitem(t, tuple(tail))), 0.5)
    if x is None:
        return E.mul(E.sum(mean_height, axis=axis), np.asarray(dx, t.data.dtype))
    points = to_tensor(x, t.data.dtype)
    if points.ndim == 1:
        if points.shape[0] != t.shape[axis]:
            raise ValueError(f"trapezoid: 1-D x must have y's length {t.shape[axis]} along axis "
                             f"{axis}, received {points.shape[0]}.")
        shape = [1] * t.ndim
        shape[axis] = -1
        widths = E.reshape(E.sub(E.getitem(points, slice(1, None)),
                                 E.getitem(points, slice(None, -1))), shape)
    else:
        widths = E.sub(E.getitem(points, tuple(head)), E.getitem(points, tuple(tail)))
    return E.sum(E.mul(mean_height, widths), axis=axis)


@numpy_op
def corrcoef(x: Any) -> Tensor:
    """Pearson correlation coefficients of the rows of ``x`` (each row a variable)."""
    t = to_tensor(x, float_type(x))
    if t.ndim > 2:
        raise ValueError(f"corrcoef: x must be 1-D or 2-D, received shape {t.shape}.")
    rows = E.reshape(t, (1, -1)) if t.ndim < 2 else t
    centred = E.sub(rows, E.mean(rows, axis=1, keepdims=True))
    cov = E.matmul(centred, E.transpose(centred))
    scale = E.sqrt(E.sum(E.square(centred), axis=1))
    out = E.div(cov, E.mul(E.reshape(scale, (-1, 1)), E.reshape(scale, (1, -1))))
    out = E.clip(out, -1.0, 1.0)
    return E.reshape(out, ()) if t.ndim < 2 else out


@numpy_op
def slogdet(x: Any) -> tuple[Tensor, Tensor]:
    """Sign and natural log of the absolute determinant of square matrices ``(..., n, n)``.

    Returns ``(sign, logabsdet)``; ``logabsdet`` is differentiable (d/dx = inv(x)ᵀ).
    """
    t = to_tensor(x, float_type(x))
    if t.ndim < 2 or t.shape[-1] != t.shape[-2]:
        raise ValueError(f"slogdet: x must be square matrices (..., n, n), received {t.shape}.")
    sign, _ = np.linalg.slogdet(t.data)
    return const(np.asarray(sign, t.data.dtype)), LogAbsDet.apply(t)


# --------------------------------------------------------------------------- einsum
def _expand_subscripts(subscripts: str, ndims: list[int]) -> tuple[list[str], str]:
    """Explicit letters for every operand axis and the output (ellipses expanded)."""
    spec = subscripts.replace(" ", "")
    inputs, arrow, output = spec.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(ndims):
        raise ValueError(f"einsum: subscripts {subscripts!r} name {len(terms)} operand(s), but "
                         f"{len(ndims)} were passed.")
    used = set(spec) - set(".,->")
    if not used <= set(string.ascii_letters):
        raise ValueError(f"einsum: subscripts may use only letters, '...', ',' and '->', "
                         f"received {subscripts!r}.")
    spare = [c for c in string.ascii_letters if c not in used]
    widest = 0
    for term, nd in zip(terms, ndims, strict=False):
        named = len(term.replace("...", ""))
        if "..." in term:
            widest = max(widest, nd - named)
        elif named != nd:
            raise ValueError(f"einsum: term {term!r} has {named} letter(s) for an operand with "
                             f"{nd} dimension(s).")
    ellipsis = "".join(spare[:widest])
    expanded = []
    for term, nd in zip(terms, ndims, strict=False):
        if "..." in term:
            width = nd - len(term.replace("...", ""))
            term = term.replace("...", ellipsis[widest - width:])
        expanded.append(term)
    if arrow:
        output = output.replace("...", ellipsis)
    else:
        letters = "".join(expanded)
        output = ellipsis + "".join(sorted(c for c in set(letters) - set(ellipsis)
                                           if letters.count(c) == 1))
    return expanded, output


@numpy_op
def einsum(subscripts: str, *operands: Any, **kwargs: Any) -> Tensor:
    """Einstein summation, as :func:`numpy.einsum` (implicit and explicit output, ``...``).

    Differentiable in every float operand. ``kwargs`` are accepted for Keras
    compatibility and ignored (descend has no backend-specific einsum options).

    Parameters
    ----------
    subscripts : str
        Such as ``"bij,bjk->bik"``; letters, ``...``, commas and ``->``.
    *operands : array_like
        One per comma-separated term.
    **kwargs
        Ignored.

    Returns
    -------
    Tensor
        The axes named after ``->`` (in alphabetical order of the letters that
        appear once when there is no ``->``).
    """
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum: subscripts must be a string, received "
                        f"{type(subscripts).__name__}.")
    if not operands:
        raise ValueError("einsum: pass at least one operand.")
    ts = _operands(*operands)
    inputs, output = _expand_subscripts(subscripts, [t.ndim for t in ts])
    sizes: dict[str, int] = {}
    for term, t in zip(inputs, ts, strict=False):
        for letter, n in zip(term, t.shape, strict=False):
            if sizes.get(letter, n) != n and 1 not in (n, sizes[letter]):
                raise ValueError(f"einsum: index {letter!r} has length {sizes[letter]} in one "
                                 f"operand and {n} in another.")
            sizes[letter] = max(sizes.get(letter, n), n)
    return Einsum.apply(*ts, inputs=tuple(inputs), output=output)
