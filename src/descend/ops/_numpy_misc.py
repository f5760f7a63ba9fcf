"""Counting, set and type functions of ``keras.ops.numpy``: histogram, bincount, unique,
isin, view and vectorize.

Counts, set membership and bit views have no gradient; ``bincount`` with float
``weights`` is differentiable in the weights, and :func:`vectorize` is as
differentiable as the function it maps.

Examples
--------
>>> import numpy as np
>>> from descend.ops import numpy as knp
>>> knp.bincount(np.array([0, 2, 2])).data
array([1, 0, 2], dtype=int32)
>>> knp.vectorize(lambda a, b: a * b + 1)(np.array([1.0, 2.0]), 3.0).data
array([4., 7.])
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

from descend.autograd import ops as E
from descend.autograd.tensor import Tensor
from descend.ops._dispatch import keras_op
from descend.ops._numpy_base import const, float_type, numpy_op, to_array, to_tensor

__all__ = ["bincount", "histogram", "isin", "unique", "vectorize", "view"]


@numpy_op
def histogram(x: Any, bins: int = 10, range: tuple[float, float] | None = None) -> tuple:  # noqa: A002
    """Counts of 1-D ``x`` in ``bins`` equal-width bins over ``range`` (min to max by default).

    Returns ``(counts, bin_edges)``: counts of shape ``(bins,)`` and ``bins + 1``
    edges, both float (``x``'s float dtype, as Keras). The last bin includes its
    right edge.
    """
    arr = to_array(x)
    if arr.ndim != 1:
        raise ValueError(f"histogram: x must be 1-D, received shape {arr.shape}.")
    if not isinstance(bins, (int, np.integer)) or bins <= 0:
        raise ValueError(f"histogram: bins must be a positive int, received {bins!r}.")
    if range is not None and (len(range) != 2 or range[0] > range[1]):
        raise ValueError(f"histogram: range must be (min, max) with min <= max, received "
                         f"{range!r}.")
    dtype = float_type(arr)
    counts, edges = np.histogram(arr.astype(dtype), bins=int(bins), range=range)
    return const(counts.astype(dtype)), const(edges.astype(dtype))


@numpy_op
def bincount(x: Any, weights: Any = None, minlength: int = 0, sparse: bool = False) -> Tensor:
    """Occurrences of each non-negative int in ``x`` (1-D, or 2-D: one count row per row).

    With ``weights`` (the shape of ``x``) each occurrence adds its weight; float
    weights receive the gradient. ``minlength`` pads the counts with zeros.
    """
    if sparse:
        raise ValueError("bincount: sparse=True is not supported; descend has no sparse "
                         "tensors. Pass sparse=False.")
    ids = to_array(x)
    if ids.dtype.kind not in "iub" or (ids.size and ids.min() < 0):
        raise ValueError("bincount: x must hold non-negative integers.")
    if ids.ndim not in (1, 2):
        raise ValueError(f"bincount: x must be 1-D or 2-D, received shape {ids.shape}.")
    length = max(int(minlength), int(ids.max()) + 1 if ids.size else 0)
    rows = ids.reshape(-1, ids.shape[-1]) if ids.ndim == 2 else ids.reshape(1, -1)
    if weights is None:
        counts = np.stack([np.bincount(r, minlength=length) for r in rows]).astype(np.int32)
        return const(counts if ids.ndim == 2 else counts[0])
    w = to_tensor(weights)
    if w.shape != ids.shape:
        raise ValueError(f"bincount: weights must have the shape of x {ids.shape}, received "
                         f"{w.shape}.")
    # one-hot (rows, length, n) @ weights (rows, n, 1): the gradient of a weight is the
    # gradient of its bin
    onehot = (rows[:, None, :] == np.arange(length)[None, :, None]).astype(
        w.data.dtype if w.data.dtype.kind in "fc" else np.int32)
    out = E.matmul(const(onehot), E.reshape(w, (rows.shape[0], -1, 1)))
    return E.reshape(out, (rows.shape[0], length) if ids.ndim == 2 else (length,))


@numpy_op
def unique(x: Any, sorted: bool = True, return_index: bool = False,  # noqa: A002
           return_inverse: bool = False, return_counts: bool = False, axis: int | None = None,
           size: int | None = None, fill_value: Any = None) -> Any:
    """The sorted distinct values of ``x`` (flattened unless ``axis``), optionally with the
    first indices, the inverse mapping and the counts.

    With ``size`` the values (and indices/counts) are cut or padded to that
    length, padding with ``fill_value`` (default 0). The result is always
    sorted, as in Keras's backends, whatever ``sorted`` says.
    """
    arr = to_array(x)
    values, index, inverse, counts = np.unique(arr, return_index=True, return_inverse=True,
                                               return_counts=True, axis=axis)
    if size is not None:
        n = int(size)
        fill = 0 if fill_value is None else fill_value
        values = _fit(values, n, fill)
        index, counts = _fit(index, n, 0), _fit(counts, n, 0)
    out = [const(values)]
    if return_index:
        out.append(const(index.astype(np.int32)))
    if return_inverse:
        out.append(const(inverse.reshape(arr.shape if axis is None else -1).astype(np.int32)))
    if return_counts:
        out.append(const(counts.astype(np.int32)))
    return out[0] if len(out) == 1 else tuple(out)


def _fit(values: np.ndarray, n: int, fill: Any) -> np.ndarray:
    if len(values) >= n:
        return values[:n]
    pad = np.full((n - len(values),) + values.shape[1:], fill, values.dtype)
    return np.concatenate([values, pad])


@numpy_op
def isin(x1: Any, x2: Any, assume_unique: bool = False, invert: bool = False) -> Tensor:
    """Whether each element of ``x1`` occurs in ``x2`` (bool, the shape of ``x1``)."""
    return const(np.isin(to_array(x1), to_array(x2), assume_unique=assume_unique, invert=invert))


@numpy_op
def view(x: Any, dtype: Any = None) -> Tensor:
    """The bytes of ``x`` reinterpreted as ``dtype`` (no gradient; the last axis scales by the
    itemsize ratio)."""
    arr = to_array(x)
    if dtype is None:
        return const(arr.copy())
    target = np.dtype(dtype)
    if arr.ndim == 0 and arr.dtype.itemsize != target.itemsize:
        raise ValueError(f"view: a 0-d input of {arr.dtype} cannot be viewed as {target} (the "
                         "itemsizes differ).")
    return const(np.ascontiguousarray(arr).view(target).copy())


_CORE = re.compile(r"\(([^()]*)\)")


def _parse_signature(signature: str) -> tuple[list[list[str]], list[list[str]]]:
    inputs, arrow, outputs = signature.replace(" ", "").partition("->")
    if not arrow:
        raise ValueError(f"vectorize: signature must look like '(n),(n)->()', received "
                         f"{signature!r}.")

    def dims(part: str) -> list[list[str]]:
        return [[d for d in group.split(",") if d] for group in _CORE.findall(part)]

    return dims(inputs), dims(outputs)


@numpy_op
def vectorize(pyfunc: Callable[..., Any], *, excluded: Any = None,
              signature: str | None = None) -> Callable[..., Any]:
    """Turn ``pyfunc`` on single elements (or core blocks, with ``signature``) into a function
    on tensors that loops over the broadcast leading axes and stacks the results.

    Parameters
    ----------
    pyfunc : callable
        Takes and returns tensors; it may use descend ops (then the result is
        differentiable).
    excluded : set of int or str, optional
        Positions or names of arguments passed through unchanged.
    signature : str, optional
        Core dimensions in NumPy's notation, e.g. ``"(n),(n)->()"``; without it
        every argument is mapped element by element.
    """
    if not callable(pyfunc):
        raise TypeError(f"vectorize: pyfunc must be callable, received {type(pyfunc).__name__}.")
    skip = set(excluded or ())
    core_in, core_out = _parse_signature(signature) if signature else (None, None)
    if core_out is not None and len(core_out) != 1:
        raise ValueError("vectorize: descend supports signatures with one output.")

    def mapped(*args: Any, **kwargs: Any) -> Any:
        positions = [i for i in range(len(args)) if i not in skip]
        tensors = {i: to_tensor(args[i]) for i in positions}
        cores = core_in if core_in is not None else [[] for _ in positions]
        if len(cores) != len(positions):
            raise ValueError(f"vectorize: the signature names {len(cores)} inputs, but "
                             f"{len(positions)} were passed.")
        loops = [tensors[i].shape[: tensors[i].ndim - len(c)]
                 for i, c in zip(positions, cores, strict=False)]
        batch = np.broadcast_shapes(*loops) if loops else ()
        expanded = {i: E.broadcast_to(tensors[i], batch + tensors[i].shape[len(loop):])
                    for i, loop in zip(positions, loops, strict=False)}
        results = []
        for flat in range(int(np.prod(batch, dtype=int))):
            where = np.unravel_index(flat, batch) if batch else ()
            call = list(args)
            for i in positions:
                call[i] = E.getitem(expanded[i], tuple(int(w) for w in where)) if batch \
                    else expanded[i]
            results.append(to_tensor(pyfunc(*call, **kwargs)))
        if not batch:
            return results[0]
        if not results:
            return const(np.zeros(batch))
        return E.reshape(E.stack(results, axis=0), batch + results[0].shape)

    mapped.__doc__ = getattr(pyfunc, "__doc__", None)
    return keras_op(mapped)  # symbolic inputs record the mapped call as one graph node
