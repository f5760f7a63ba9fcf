"""Shape manipulation of ``keras.ops.numpy``: reshape, axes, joining and splitting.

All of these only move values, so they are differentiable for float input
(through the engine's reshape, transpose, concatenate, stack and indexing
primitives) and keep the dtype of integer and bool input.

Examples
--------
>>> import numpy as np
>>> from descend.ops import numpy as knp
>>> knp.reshape(np.arange(6), (2, -1)).shape
(2, 3)
>>> [p.shape for p in knp.split(np.zeros((6, 2)), 3)]
[(2, 2), (2, 2), (2, 2)]
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np

from descend.autograd import ops as E
from descend.autograd.tensor import Tensor
from descend.ops._numpy_base import check_axis, const, numpy_op, promote, to_tensor

__all__ = [
    "append", "array_split", "broadcast_to", "concatenate", "copy", "dsplit", "dstack",
    "expand_dims", "hsplit", "hstack", "moveaxis", "ndim", "ravel", "reshape", "size", "split",
    "squeeze", "stack", "swapaxes", "transpose", "vsplit", "vstack",
]


def _shape_arg(op: str, shape: Any, argument: str) -> tuple[int, ...]:
    if isinstance(shape, Tensor):
        shape = shape.data.tolist()
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    try:
        return tuple(int(s) for s in shape)
    except (TypeError, ValueError):
        raise TypeError(f"{op}: {argument} must be an int or a sequence of ints, received "
                        f"{shape!r}.") from None


@numpy_op
def reshape(x: Any, newshape: Any) -> Tensor:
    """``x`` with shape ``newshape`` (one entry may be -1: inferred).

    Parameters
    ----------
    x : array_like
    newshape : int or sequence of int
        The same number of elements as ``x``.

    Returns
    -------
    Tensor of shape ``newshape``
    """
    t = to_tensor(x)
    shape = _shape_arg("reshape", newshape, "newshape")
    known = int(np.prod([s for s in shape if s != -1], dtype=int))
    if shape.count(-1) > 1 or (-1 not in shape and known != t.size) or \
            (-1 in shape and (known == 0 or t.size % known)):
        raise ValueError(f"reshape: cannot reshape x of shape {t.shape} ({t.size} elements) "
                         f"to newshape {shape}.")
    return E.reshape(t, shape)


@numpy_op
def ravel(x: Any) -> Tensor:
    """``x`` flattened to 1-D (row-major)."""
    return E.reshape(to_tensor(x), (-1,))


@numpy_op
def transpose(x: Any, axes: Sequence[int] | None = None) -> Tensor:
    """Permute the axes (reverse them when ``axes`` is None)."""
    t = to_tensor(x)
    if axes is not None:
        perm = check_axis("transpose", tuple(axes), t.ndim, "axes")
        if len(perm) != t.ndim:
            raise ValueError(f"transpose: axes must list each of the {t.ndim} axes once, "
                             f"received {tuple(axes)}.")
        axes = perm
    return E.transpose(t, axes)


@numpy_op
def swapaxes(x: Any, axis1: int, axis2: int) -> Tensor:
    """Exchange two axes."""
    t = to_tensor(x)
    a = check_axis("swapaxes", axis1, t.ndim, "axis1")
    b = check_axis("swapaxes", axis2, t.ndim, "axis2")
    perm = list(range(t.ndim))
    perm[a], perm[b] = perm[b], perm[a]
    return E.transpose(t, perm)


@numpy_op
def moveaxis(x: Any, source: Any, destination: Any) -> Tensor:
    """Move axes ``source`` to positions ``destination`` (ints or equal-length tuples)."""
    t = to_tensor(x)
    src = check_axis("moveaxis", source, t.ndim, "source")
    dst = check_axis("moveaxis", destination, t.ndim, "destination")
    src = src if isinstance(src, tuple) else (src,)
    dst = dst if isinstance(dst, tuple) else (dst,)
    if len(src) != len(dst):
        raise ValueError(f"moveaxis: source and destination must have the same number of "
                         f"axes, received {source!r} and {destination!r}.")
    order = [d for d in range(t.ndim) if d not in src]
    for d, s in sorted(zip(dst, src, strict=False)):
        order.insert(d, s)
    return E.transpose(t, order)


@numpy_op
def expand_dims(x: Any, axis: Any) -> Tensor:
    """Insert length-1 axes at ``axis`` (int or tuple, positions in the result)."""
    t = to_tensor(x)
    out_ndim = t.ndim + (len(axis) if isinstance(axis, (list, tuple)) else 1)
    axes = check_axis("expand_dims", axis, out_ndim)
    axes = axes if isinstance(axes, tuple) else (axes,)
    shape = iter(t.shape)
    return E.reshape(t, [1 if d in axes else next(shape) for d in range(out_ndim)])


@numpy_op
def squeeze(x: Any, axis: Any = None) -> Tensor:
    """Remove length-1 axes (all of them, or those in ``axis``, which must have length 1)."""
    t = to_tensor(x)
    axes = check_axis("squeeze", axis, t.ndim)
    if axes is None:
        axes = tuple(d for d, n in enumerate(t.shape) if n == 1)
    axes = axes if isinstance(axes, tuple) else (axes,)
    for d in axes:
        if t.shape[d] != 1:
            raise ValueError(f"squeeze: axis {d} has length {t.shape[d]}, not 1 (x has shape "
                             f"{t.shape}); only length-1 axes can be removed.")
    return E.reshape(t, [n for d, n in enumerate(t.shape) if d not in axes])


@numpy_op
def broadcast_to(x: Any, shape: Any) -> Tensor:
    """``x`` broadcast to ``shape``; the gradient is summed back over broadcast axes."""
    t = to_tensor(x)
    target = _shape_arg("broadcast_to", shape, "shape")
    try:
        np.broadcast_shapes(t.shape, target)
        if np.broadcast_shapes(t.shape, target) != target:
            raise ValueError
    except ValueError:
        raise ValueError(f"broadcast_to: x of shape {t.shape} cannot be broadcast to shape "
                         f"{target}.") from None
    return E.broadcast_to(t, target)


def _tensors(op: str, xs: Any, argument: str = "xs") -> list[Tensor]:
    if isinstance(xs, (Tensor, np.ndarray)) or not isinstance(xs, (list, tuple)):
        raise TypeError(f"{op}: {argument} must be a list or tuple of tensors, received "
                        f"{type(xs).__name__}.")
    if not xs:
        raise ValueError(f"{op}: {argument} must hold at least one tensor.")
    return promote(*xs)


def _join(op: str, ts: list[Tensor], axis: int) -> Tensor:
    first = ts[0].shape
    axis = check_axis(op, axis, len(first))
    for i, t in enumerate(ts):
        pairs = enumerate(zip(t.shape, first, strict=False))
        if t.ndim != len(first) or any(a != b for d, (a, b) in pairs if d != axis):
            raise ValueError(f"{op}: all inputs must have the same shape except along axis "
                             f"{axis}; input 0 has shape {first}, input {i} has {t.shape}.")
    return E.concatenate(ts, axis=axis)


@numpy_op
def concatenate(xs: Any, axis: int | None = 0) -> Tensor:
    """Join tensors along an existing ``axis`` (flattened first when None).

    Parameters
    ----------
    xs : list or tuple of array_like
        Equal shapes except along ``axis``.
    axis : int or None, default 0

    Returns
    -------
    Tensor
        ``axis`` has the summed length; dtypes are promoted to a common one.
    """
    ts = _tensors("concatenate", xs)
    if axis is None:
        return E.concatenate([E.reshape(t, (-1,)) for t in ts], axis=0)
    return _join("concatenate", ts, axis)


@numpy_op
def stack(x: Any, axis: int = 0) -> Tensor:
    """Join same-shape tensors along a new ``axis``.

    Parameters
    ----------
    x : list or tuple of array_like
        All of one shape ``s``.
    axis : int, default 0
        Position of the new axis in the result.

    Returns
    -------
    Tensor of shape ``s`` with ``len(x)`` inserted at ``axis``
    """
    ts = _tensors("stack", x, "x")
    shapes = {t.shape for t in ts}
    if len(shapes) > 1:
        raise ValueError(f"stack: all inputs must have the same shape, received {sorted(shapes)}.")
    axis = check_axis("stack", axis, ts[0].ndim + 1)
    return E.stack(ts, axis=axis)


def _at_least(t: Tensor, ndim: int) -> Tensor:
    if t.ndim >= ndim:
        return t
    if ndim == 3 and t.ndim == 2:
        return E.reshape(t, t.shape + (1,))
    if ndim == 3 and t.ndim == 1:
        return E.reshape(t, (1,) + t.shape + (1,))
    return E.reshape(t, (1,) * (ndim - t.ndim) + t.shape)


@numpy_op
def hstack(xs: Any) -> Tensor:
    """Join along axis 1 (axis 0 for 1-D inputs)."""
    ts = _tensors("hstack", xs)
    ts = [_at_least(t, 1) for t in ts]
    return _join("hstack", ts, 0 if ts[0].ndim == 1 else 1)


@numpy_op
def vstack(xs: Any) -> Tensor:
    """Join along axis 0, treating 1-D inputs as rows."""
    ts = [_at_least(t, 2) for t in _tensors("vstack", xs)]
    return _join("vstack", ts, 0)


@numpy_op
def dstack(xs: Any) -> Tensor:
    """Join along axis 2 (depth), treating 1-D and 2-D inputs as ``(1, n, 1)``/``(m, n, 1)``."""
    ts = [_at_least(t, 3) for t in _tensors("dstack", xs)]
    return _join("dstack", ts, 2)


@numpy_op
def append(x1: Any, x2: Any, axis: int | None = None) -> Tensor:
    """``x2`` appended to ``x1`` along ``axis`` (both flattened when None)."""
    a, b = promote(x1, x2)
    if axis is None:
        return E.concatenate([E.reshape(a, (-1,)), E.reshape(b, (-1,))], axis=0)
    return _join("append", [a, b], axis)


def _split(op: str, x: Any, indices_or_sections: Any, axis: int, even: bool) -> list[Tensor]:
    t = to_tensor(x)
    axis = check_axis(op, axis, t.ndim)
    n = t.shape[axis]
    spec = indices_or_sections
    if isinstance(spec, Tensor):
        spec = spec.data.tolist()
    if isinstance(spec, (int, np.integer)):
        sections = int(spec)
        if sections <= 0:
            raise ValueError(f"{op}: indices_or_sections must be a positive number of sections, "
                             f"received {sections}.")
        if even and n % sections:
            raise ValueError(f"{op}: an axis of length {n} cannot be split into {sections} equal "
                             "sections; use array_split for unequal ones, or a list of indices.")
        base, extra = divmod(n, sections)
        sizes = [base + 1] * extra + [base] * (sections - extra)
        bounds = np.cumsum([0] + sizes)
    else:
        points = [builtins.min(builtins.max(int(i) + (n if int(i) < 0 else 0), 0), n)
                  for i in spec]
        bounds = [0] + points + [n]
    parts = []
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=False):
        index = [slice(None)] * t.ndim
        index[axis] = slice(int(lo), builtins.max(int(lo), int(hi)))
        parts.append(E.getitem(t, tuple(index)))
    return parts


@numpy_op
def split(x: Any, indices_or_sections: Any, axis: int = 0) -> list[Tensor]:
    """Split into equal sections (an int) or at the given indices along ``axis``.

    Parameters
    ----------
    x : array_like
    indices_or_sections : int or sequence of int
        A number of equal sections, or the indices where sections start.
    axis : int, default 0

    Returns
    -------
    list of Tensor
    """
    return _split("split", x, indices_or_sections, axis, even=True)


@numpy_op
def array_split(x: Any, indices_or_sections: Any, axis: int = 0) -> list[Tensor]:
    """Like :func:`split`, but ``n`` sections need not divide the axis (the first are longer)."""
    return _split("array_split", x, indices_or_sections, axis, even=False)


@numpy_op
def hsplit(x: Any, indices_or_sections: Any) -> list[Tensor]:
    """:func:`split` along axis 1 (axis 0 for 1-D input)."""
    t = to_tensor(x)
    return _split("hsplit", t, indices_or_sections, 0 if t.ndim == 1 else 1, even=True)


@numpy_op
def vsplit(x: Any, indices_or_sections: Any) -> list[Tensor]:
    """:func:`split` along axis 0 (input of at least 2 dimensions)."""
    t = to_tensor(x)
    if t.ndim < 2:
        raise ValueError(f"vsplit: x must have at least 2 dimensions, received shape {t.shape}.")
    return _split("vsplit", t, indices_or_sections, 0, even=True)


@numpy_op
def dsplit(x: Any, indices_or_sections: Any) -> list[Tensor]:
    """:func:`split` along axis 2 (input of at least 3 dimensions)."""
    t = to_tensor(x)
    if t.ndim < 3:
        raise ValueError(f"dsplit: x must have at least 3 dimensions, received shape {t.shape}.")
    return _split("dsplit", t, indices_or_sections, 2, even=True)


@numpy_op
def copy(x: Any) -> Tensor:
    """A tensor with its own copy of the values (the gradient passes through)."""
    t = to_tensor(x)
    return E.cast(t, t.data.dtype)


@numpy_op
def ndim(x: Any) -> int:
    """Number of dimensions of ``x`` (a Python int)."""
    return to_tensor(x).ndim


@numpy_op
def size(x: Any) -> Tensor:
    """Number of elements of ``x`` (a 0-d int64 tensor)."""
    return const(np.asarray(to_tensor(x).size, np.int64))
