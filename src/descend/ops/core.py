"""``descend.ops.core``: Keras's core ops (conversion, dtypes, slicing, scatter, control flow).

Everything takes descend tensors, NumPy arrays or Python numbers and returns
descend tensors. The control-flow ops (``cond``, ``switch``, ``while_loop``,
``fori_loop``, ``scan``, ``associative_scan``, ``map``, ``vectorized_map``) run
eagerly in Python: gradients flow through whatever ops their functions use.

Examples
--------
>>> from descend.ops import core
>>> core.fori_loop(0, 4, lambda i, total: total + i, 0.0)
6.0
>>> core.scatter([[0], [2]], [1.0, 5.0], (4,)).data
array([1., 0., 5., 0.], dtype=float32)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from descend import config
from descend.autograd import ops as _ops
from descend.autograd.ops.segment import SegmentReduce
from descend.autograd.tensor import Tensor
from descend.ops._control_flow import (
    associative_scan,
    cond,
    fori_loop,
    map,
    scan,
    switch,
    vectorized_map,
    while_loop,
)
from descend.ops._custom_gradient import custom_gradient as _custom_gradient
from descend.ops._dispatch import keras_op
from descend.ops._opargs import array_of, constant, int_array

__all__ = [
    "associative_scan", "cast", "cond", "convert_to_numpy", "convert_to_tensor",
    "custom_gradient", "dtype", "fori_loop", "is_tensor", "map", "saturate_cast", "scan",
    "scatter", "scatter_update", "shape", "slice", "slice_update", "stop_gradient", "switch",
    "unstack", "vectorized_map", "while_loop",
]


custom_gradient = keras_op(_custom_gradient)


def standardize_dtype(dtype: Any, op: str = "cast") -> np.dtype:
    """A NumPy dtype for a Keras dtype (a name, a NumPy dtype, or ``float``/``int``/``bool``).

    ``float`` means floatx and ``int`` int32, as in Keras.

    Raises
    ------
    TypeError
        If ``dtype`` names no NumPy dtype.
    """
    if dtype is float or dtype == "float":
        return np.dtype(config.floatx())
    if dtype is int or dtype == "int":
        return np.dtype(np.int32)
    if isinstance(dtype, Tensor):
        raise TypeError(f"{op}: dtype must be a dtype or its name, received a Tensor.")
    try:
        return np.dtype(getattr(dtype, "name", dtype) if not isinstance(dtype, np.dtype) else dtype)
    except TypeError as error:
        raise TypeError(
            f"{op}: dtype must be a NumPy dtype or its name such as 'float32' or 'int32', "
            f"received {dtype!r}."
        ) from error


def _convert(x: Any, dtype: np.dtype | None) -> Tensor:
    if isinstance(x, Tensor):
        if dtype is None or x.data.dtype == dtype:
            return x
        return _cast_tensor(x, dtype)
    if isinstance(x, np.ndarray) or isinstance(x, np.generic):
        data = np.asarray(x)
    else:
        data = np.asarray(x)
        if dtype is None and data.dtype.kind == "f":
            data = data.astype(config.floatx())
        elif dtype is None and data.dtype.kind in "iu":
            data = data.astype(np.int32)
    if data.dtype.kind not in "biufc":
        raise TypeError(
            f"convert_to_tensor: x must be numeric (numbers, arrays or nested lists of them), "
            f"received dtype {data.dtype}."
        )
    if dtype is not None:
        data = data.astype(dtype)
    return constant(data)


def _cast_tensor(x: Tensor, dtype: np.dtype) -> Tensor:
    if x.requires_grad and dtype.kind == "f" and x.data.dtype.kind == "f":
        return _ops.cast(x, dtype)
    return constant(x.data.astype(dtype))


@keras_op
def convert_to_tensor(x: Any, dtype: Any = None, sparse: Any = None, ragged: Any = None) -> Tensor:
    """Convert ``x`` to a descend :class:`Tensor`.

    Parameters
    ----------
    x : tensor, array, number or nested list
        Tensors come back as they are (cast if ``dtype`` differs; a float-to-float
        cast keeps the gradient). Python floats become floatx, Python ints
        int32 and bools bool, as in Keras; NumPy arrays and scalars keep their dtype.
    dtype : dtype or str, optional
    sparse, ragged : None or False
        descend has no sparse or ragged tensors.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        If ``sparse`` or ``ragged`` is true.
    """
    if sparse or ragged:
        raise ValueError(
            "convert_to_tensor: descend has no sparse or ragged tensors; pass "
            f"sparse=None/False and ragged=None/False (received sparse={sparse!r}, "
            f"ragged={ragged!r})."
        )
    return _convert(x, None if dtype is None else standardize_dtype(dtype, "convert_to_tensor"))


@keras_op
def convert_to_numpy(x: Any) -> np.ndarray:
    """The values of ``x`` as a new NumPy array (a copy: writing to it leaves ``x`` alone).

    Parameters
    ----------
    x : tensor, array or number

    Returns
    -------
    ndarray, shape of ``x``
    """
    return np.array(array_of(x))


@keras_op
def is_tensor(x: Any) -> bool:
    """Whether ``x`` is a descend :class:`Tensor` (NumPy arrays and numbers are not).

    Parameters
    ----------
    x : any

    Returns
    -------
    bool
    """
    return isinstance(x, Tensor)


@keras_op
def dtype(x: Any) -> str:
    """The dtype name of ``x``, e.g. ``"float32"``.

    Parameters
    ----------
    x : tensor, array or number
        Python numbers get Keras's dtypes (floatx, int32, bool).

    Returns
    -------
    str
    """
    if isinstance(x, Tensor) or isinstance(x, (np.ndarray, np.generic)):
        return str(x.dtype)
    return str(_convert(x, None).data.dtype)


@keras_op
def shape(x: Any) -> tuple[int, ...]:
    """The shape of ``x``.

    Parameters
    ----------
    x : tensor, array or number

    Returns
    -------
    tuple of int
    """
    return tuple(int(n) for n in np.shape(array_of(x)))


@keras_op
def cast(x: Any, dtype: Any) -> Tensor:
    """Convert ``x`` to ``dtype``.

    A float-to-float cast keeps the gradient (cast back in the backward pass);
    casts to integer or bool types have none. Float to integer truncates
    toward zero, like NumPy and Keras.

    Parameters
    ----------
    x : tensor
    dtype : dtype or str

    Returns
    -------
    Tensor
    """
    return _convert(x, standardize_dtype(dtype, "cast"))


@keras_op
def saturate_cast(x: Any, dtype: Any) -> Tensor:
    """Cast to ``dtype``, first clipping ``x`` to the range the dtype can hold.

    Parameters
    ----------
    x : tensor
    dtype : dtype or str

    Returns
    -------
    Tensor of ``dtype``, shape of ``x``

    Examples
    --------
    >>> import numpy as np
    >>> saturate_cast(np.array([300.0, -5.0, 3.7]), "uint8").data
    array([255,   0,   3], dtype=uint8)
    """
    target = standardize_dtype(dtype, "saturate_cast")
    x = _convert(x, None)
    if target.kind in "iu":
        info = np.iinfo(target)
        low, high = info.min, info.max
        if x.data.dtype.kind == "f":  # the float nearest the bound that still fits
            src = x.data.dtype
            low = np.nextafter(src.type(low), src.type(0)) if src.type(low) < low else low
            high = np.nextafter(src.type(high), src.type(0)) if src.type(high) > high else high
        if x.data.dtype.kind == "b":
            return constant(x.data.astype(target))
        return constant(np.clip(x.data, low, high).astype(target))
    if target.kind == "f" and x.data.dtype.kind == "f":
        info = np.finfo(target)
        return _cast_tensor(_ops.clip(x, float(info.min), float(info.max)), target)
    return _convert(x, target)


@keras_op
def stop_gradient(variable: Any) -> Tensor:
    """The values of ``variable`` cut from the graph: no gradient flows back through it.

    Parameters
    ----------
    variable : tensor

    Returns
    -------
    Tensor, same values and shape, ``requires_grad=False``
    """
    return constant(array_of(variable))


def _nd_indices(indices: Any, shape_: tuple[int, ...], op: str) -> tuple[np.ndarray, ...]:
    idx = int_array(indices, op, "indices")
    if idx.ndim == 1:  # one index of k coordinates, as in Keras
        idx = idx[None, :]
    if idx.ndim < 2 or idx.shape[-1] > len(shape_):
        raise ValueError(
            f"{op}: indices must have shape (..., k) with k <= {len(shape_)} (the rank of the "
            f"target), received shape {idx.shape}."
        )
    idx = idx.reshape(-1, idx.shape[-1])
    k = idx.shape[-1]
    bounds = np.array(shape_[:k])
    if idx.size and (np.any(idx < -bounds) or np.any(idx >= bounds)):
        raise ValueError(f"{op}: indices out of range for shape {tuple(shape_)}: "
                         f"{idx[np.any((idx < -bounds) | (idx >= bounds), axis=1)][0].tolist()}.")
    return tuple((idx % bounds).T)


def _flat_positions(index: tuple[np.ndarray, ...], shape_: tuple[int, ...]) -> np.ndarray:
    """Flat positions of every element addressed by ``index`` (rows × trailing elements)."""
    k = len(index)
    inner = int(np.prod(shape_[k:], dtype=np.int64))
    rows = np.ravel_multi_index(index, shape_[:k]) if k else np.zeros(1, np.int64)
    return (rows[:, None] * inner + np.arange(inner)[None, :]).reshape(-1)


def _scatter_sum(values: Tensor, positions: np.ndarray, size: int) -> Tensor:
    flat = _ops.reshape(values, (-1,))
    return SegmentReduce.apply(flat, segment_ids=positions, num_segments=size, kind="sum")


def _updates_for(updates: Any, index: tuple, shape_: tuple[int, ...], op: str,
                 like: np.dtype) -> Tensor:
    n, k = (len(index[0]) if index else 1), len(index)
    expected = (n,) + tuple(shape_[k:])
    updates = _convert(updates, None)
    if updates.data.dtype != like:
        updates = _cast_tensor(updates, like)
    if updates.data.size != int(np.prod(expected)):
        raise ValueError(f"{op}: updates must have shape {expected} (one slice per index), "
                         f"received {updates.shape}.")
    return updates


@keras_op
def scatter(indices: Any, values: Any, shape: Sequence[int]) -> Tensor:
    """A zero tensor of ``shape`` with ``values`` added at ``indices`` (duplicates sum).

    Parameters
    ----------
    indices : int tensor, shape (..., k)
        ``k <= len(shape)`` coordinates per entry (a 1-D ``indices`` is one entry).
    values : tensor, shape ``indices.shape[:-1] + shape[k:]``
    shape : sequence of int

    Returns
    -------
    Tensor, shape ``shape`` (differentiable with respect to ``values``)
    """
    shape_ = tuple(int(n) for n in shape)
    values = _convert(values, None)
    index = _nd_indices(indices, shape_, "scatter")
    values = _updates_for(values, index, shape_, "scatter", values.data.dtype)
    positions = _flat_positions(index, shape_)
    return _ops.reshape(_scatter_sum(values, positions, int(np.prod(shape_))), shape_)


_REDUCTIONS = {"add": "sum", "max": "max", "min": "min", "mul": "prod"}


@keras_op
def scatter_update(inputs: Any, indices: Any, updates: Any, reduction: str | None = None) -> Tensor:
    """``inputs`` with the slices at ``indices`` replaced by (or combined with) ``updates``.

    Parameters
    ----------
    inputs : tensor
    indices : int tensor, shape (..., k)
        ``k <= inputs.ndim`` coordinates per entry (a 1-D ``indices`` is one entry).
    updates : tensor, shape ``indices.shape[:-1] + inputs.shape[k:]``
    reduction : {None, "add", "max", "min", "mul"}, default None
        None: the update replaces the value (the last of duplicate indices
        wins); otherwise it is combined with the current value and with the other
        updates to the same place.

    Returns
    -------
    Tensor, shape of ``inputs`` (differentiable with respect to ``inputs`` and ``updates``)
    """
    if reduction is not None and reduction not in _REDUCTIONS:
        raise ValueError(f"scatter_update: reduction must be None, 'add', 'max', 'min' or "
                         f"'mul', received {reduction!r}.")
    inputs = _convert(inputs, None)
    shape_ = inputs.shape
    index = _nd_indices(indices, shape_, "scatter_update")
    updates = _updates_for(updates, index, shape_, "scatter_update", inputs.data.dtype)
    positions = _flat_positions(index, shape_)
    size = inputs.data.size
    flat_inputs = _ops.reshape(inputs, (-1,))
    if reduction is not None:
        data = _ops.concatenate([flat_inputs, _ops.reshape(updates, (-1,))])
        ids = np.concatenate([np.arange(size), positions])
        out = SegmentReduce.apply(data, segment_ids=ids, num_segments=size,
                                  kind=_REDUCTIONS[reduction])
        return _ops.reshape(out, shape_)
    return _ops.reshape(_set_positions(flat_inputs, _ops.reshape(updates, (-1,)), positions),
                        shape_)


def _set_positions(flat_inputs: Tensor, flat_updates: Tensor, positions: np.ndarray) -> Tensor:
    """``flat_inputs`` with ``flat_updates`` written at ``positions`` (the last duplicate wins)."""
    size = flat_inputs.data.size
    last = np.full(size, -1, np.int64)
    last[positions] = np.arange(len(positions))  # NumPy keeps the last write of a duplicate
    written = last >= 0
    winners = last[written]
    placed = _scatter_sum(_ops.getitem(flat_updates, winners), np.flatnonzero(written), size)
    if flat_inputs.data.dtype.kind == "f":
        return _ops.where(written, placed, flat_inputs)
    out = flat_inputs.data.copy()
    out[written] = placed.data[written]
    return constant(out)


def _start_indices(start_indices: Any, rank: int, op: str) -> list[int]:
    starts = [int(i) for i in np.ravel(int_array(start_indices, op, "start_indices"))]
    if len(starts) != rank:
        raise ValueError(f"{op}: start_indices must have one entry per dimension ({rank}), "
                         f"received {len(starts)}.")
    return starts


@keras_op
def slice(inputs: Any, start_indices: Any, shape: Sequence[int]) -> Tensor:  # noqa: A001
    """The block of ``inputs`` of size ``shape`` starting at ``start_indices``.

    Parameters
    ----------
    inputs : tensor
    start_indices : sequence of int, one per dimension
    shape : sequence of int, one per dimension
        The block must lie inside ``inputs``.

    Returns
    -------
    Tensor, shape ``shape`` (differentiable)
    """
    inputs = _convert(inputs, None)
    starts = _start_indices(start_indices, inputs.ndim, "slice")
    sizes = [int(n) for n in shape]
    if len(sizes) != inputs.ndim:
        raise ValueError(f"slice: shape must have one entry per dimension ({inputs.ndim}), "
                         f"received {list(sizes)}.")
    for axis, (start, size, total) in enumerate(zip(starts, sizes, inputs.shape, strict=True)):
        if start < 0 or size < 0 or start + size > total:
            raise ValueError(f"slice: the block [{start}, {start + size}) on axis {axis} does "
                             f"not fit in size {total} (inputs shape {inputs.shape}).")
    index = tuple(np.s_[s:s + n] for s, n in zip(starts, sizes, strict=True))
    if inputs.data.dtype.kind != "f":
        return constant(inputs.data[index])
    return _ops.getitem(inputs, index)


@keras_op
def slice_update(inputs: Any, start_indices: Any, updates: Any) -> Tensor:
    """``inputs`` with the block starting at ``start_indices`` replaced by ``updates``.

    Parameters
    ----------
    inputs : tensor
    start_indices : sequence of int, one per dimension
    updates : tensor of the same rank; the block must lie inside ``inputs``

    Returns
    -------
    Tensor, shape of ``inputs`` (differentiable with respect to both)
    """
    inputs = _convert(inputs, None)
    updates = _convert(updates, None)
    if updates.data.dtype != inputs.data.dtype:
        updates = _cast_tensor(updates, inputs.data.dtype)
    starts = _start_indices(start_indices, inputs.ndim, "slice_update")
    if updates.ndim != inputs.ndim:
        raise ValueError(f"slice_update: updates must have the rank of inputs ({inputs.ndim}), "
                         f"received shape {updates.shape}.")
    for axis, (start, size, total) in enumerate(
        zip(starts, updates.shape, inputs.shape, strict=True)
    ):
        if start < 0 or start + size > total:
            raise ValueError(f"slice_update: updates of size {size} starting at {start} on axis "
                             f"{axis} do not fit in size {total}.")
    grid = np.indices(updates.shape).reshape(updates.ndim, -1) + np.array(starts)[:, None]
    positions = np.ravel_multi_index(tuple(grid), inputs.shape)
    out = _set_positions(_ops.reshape(inputs, (-1,)), _ops.reshape(updates, (-1,)), positions)
    return _ops.reshape(out, inputs.shape)


@keras_op
def unstack(x: Any, num: int | None = None, axis: int = 0) -> list[Tensor]:
    """Split ``x`` along ``axis`` into a list of tensors (each without that axis).

    Parameters
    ----------
    x : tensor
    num : int, optional
        The expected number of pieces (checked).
    axis : int, default 0

    Returns
    -------
    list of Tensor, each of shape ``x.shape`` without ``axis`` (differentiable)

    Raises
    ------
    ValueError
        If ``num`` is given and differs from ``x.shape[axis]``.
    """
    x = _convert(x, None)
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"unstack: axis {axis} is out of range for shape {x.shape}.")
    count = x.shape[axis]
    if num is not None and num != count:
        raise ValueError(f"unstack: num={num} does not match x.shape[{axis}]={count}.")
    moved = axis % x.ndim
    pieces = []
    for i in range(count):
        index = (np.s_[:],) * moved + (i,)
        pieces.append(_ops.getitem(x, index) if x.data.dtype.kind == "f"
                      else constant(x.data[index]))
    return pieces
