"""Keras's control-flow ops, run eagerly in Python (re-exported by ``descend.ops.core``).

descend executes every op at once, so a loop is a Python loop and a branch a
Python ``if``: gradients flow through whatever ops the user's functions call,
and the stacked results of ``scan``/``map`` are differentiable too. Each
function here accepts the same arguments as its Keras counterpart.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from descend import config
from descend.autograd import ops as _ops
from descend.autograd.tensor import Tensor
from descend.ops._dispatch import keras_op
from descend.ops._opargs import array_of, constant
from descend.ops._structure import flatten, pack_as


def _truth(value: Any, op: str, name: str) -> bool:
    data = array_of(value)
    if data.size != 1:
        raise ValueError(f"{op}: {name} must be a single boolean value, received shape "
                         f"{data.shape}.")
    return bool(data.reshape(()))


def _leaf_tensor(x: Any) -> Tensor:
    if isinstance(x, Tensor):
        return x
    data = np.asarray(x)
    if not isinstance(x, (np.ndarray, np.generic)):  # Python numbers: Keras's dtypes
        if data.dtype.kind == "f":
            data = data.astype(config.floatx())
        elif data.dtype.kind in "iu":
            data = data.astype(np.int32)
    return constant(data)


def _as_tensors(structure: Any) -> Any:
    """``structure`` with every number or array leaf made a tensor (as Keras does)."""
    return pack_as(structure, [leaf if leaf is None else _leaf_tensor(leaf)
                               for leaf in flatten(structure)])


def _take(x: Tensor, i: int, axis: int = 0) -> Tensor:
    index = (np.s_[:],) * axis + (i,)
    if x.data.dtype.kind == "f":
        return _ops.getitem(x, index)
    return constant(x.data[index])


def _stack(items: list[Any], axis: int = 0) -> Tensor:
    tensors = [_leaf_tensor(t) for t in items]
    if all(t.data.dtype.kind == "f" for t in tensors):
        return _ops.stack(tensors, axis=axis)
    return constant(np.stack([t.data for t in tensors], axis=axis))


def _stack_structures(results: list[Any], axis: int = 0) -> Any:
    leaves = [flatten(r) for r in results]
    stacked = [None if column[0] is None else _stack(list(column), axis)
               for column in zip(*leaves, strict=True)]
    return pack_as(results[0], stacked)


def _length(leaves: list[Tensor], op: str, axis: int = 0) -> int:
    lengths = {t.shape[axis] for t in leaves}
    if len(lengths) != 1:
        raise ValueError(f"{op}: every input must have the same size along axis {axis}, "
                         f"received sizes {sorted(lengths)}.")
    return lengths.pop()


@keras_op
def cond(pred: Any, true_fn: Callable[[], Any], false_fn: Callable[[], Any]) -> Any:
    """``true_fn()`` if ``pred`` else ``false_fn()`` (only the chosen branch runs).

    Parameters
    ----------
    pred : bool or one-element tensor
    true_fn, false_fn : callable
        Take no arguments.

    Returns
    -------
    The chosen function's result.
    """
    return true_fn() if _truth(pred, "cond", "pred") else false_fn()


@keras_op
def switch(index: Any, branches: list[Callable[..., Any]], *operands: Any) -> Any:
    """``branches[index](*operands)``; ``index`` is clamped to ``[0, len(branches) - 1]``.

    Parameters
    ----------
    index : int or one-element integer tensor
    branches : list of callable
    *operands
        Passed to the chosen branch.

    Returns
    -------
    The chosen branch's result.
    """
    if not branches:
        raise ValueError("switch: branches must hold at least one function.")
    data = array_of(index)
    if data.size != 1 or data.dtype.kind not in "iub":
        raise TypeError(f"switch: index must be a single integer, received {index!r}.")
    chosen = min(max(int(data.reshape(())), 0), len(branches) - 1)
    return branches[chosen](*operands)


@keras_op
def while_loop(cond: Callable[..., Any], body: Callable[..., Any], loop_vars: Any,
               maximum_iterations: int | None = None) -> Any:
    """Repeat ``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)`` holds.

    Parameters
    ----------
    cond, body : callable
        Take the loop variables as separate arguments (one argument when
        ``loop_vars`` is not a list or tuple); ``body`` returns them in the same structure.
    loop_vars : tensor or list/tuple of tensors
    maximum_iterations : int, optional
        Stop after this many iterations even if ``cond`` still holds.

    Returns
    -------
    The final loop variables, in the structure of ``loop_vars`` (numbers become
    tensors first, as in Keras).
    """
    is_sequence = isinstance(loop_vars, (list, tuple))
    state = tuple(_as_tensors(v) for v in (loop_vars if is_sequence else (loop_vars,)))
    steps = 0
    while maximum_iterations is None or steps < maximum_iterations:
        if not _truth(cond(*state), "while_loop", "cond's result"):
            break
        new = body(*state)
        new = tuple(new) if isinstance(new, (list, tuple)) else (new,)
        if len(new) != len(state):
            raise ValueError(f"while_loop: body must return {len(state)} loop variables, "
                             f"received {len(new)}.")
        state = new
        steps += 1
    if not is_sequence:
        return state[0]
    return type(loop_vars)(state)


@keras_op
def fori_loop(lower: int, upper: int, body_fun: Callable[[int, Any], Any], init_val: Any) -> Any:
    """``val = body_fun(i, val)`` for ``i`` in ``range(lower, upper)``.

    Parameters
    ----------
    lower, upper : int
    body_fun : callable
        ``body_fun(i, val) -> val``.
    init_val : tensor or structure

    Returns
    -------
    The final ``val``.
    """
    value = init_val
    for i in range(int(array_of(lower)), int(array_of(upper))):
        value = body_fun(i, value)
    return value


@keras_op
def scan(f: Callable[[Any, Any], tuple[Any, Any]], init: Any, xs: Any = None,
         length: int | None = None, reverse: bool = False, unroll: Any = 1) -> tuple[Any, Any]:
    """Loop ``carry, y = f(carry, x)`` over the leading axis of ``xs``.

    Parameters
    ----------
    f : callable
        ``f(carry, x) -> (carry, y)``; ``y`` may be None or a structure.
    init : tensor or structure
        The first carry.
    xs : tensor or structure, optional
        Scanned along axis 0; None loops ``length`` times with ``x=None``.
    length : int, optional
        Required when ``xs`` is None; must match ``xs`` otherwise.
    reverse : bool, default False
        Scan from the last element (``ys`` stays in input order).
    unroll : int or bool, default 1
        Accepted for Keras compatibility (the loop always runs eagerly).

    Returns
    -------
    (carry, ys)
        The last carry and the stacked ``y`` values.
    """
    if xs is None:
        if length is None:
            raise ValueError("scan: pass xs or length (the number of iterations).")
        count, leaves = int(length), []
    else:
        leaves = [_leaf_tensor(t) for t in flatten(xs)]
        count = _length(leaves, "scan")
        if length is not None and int(length) != count:
            raise ValueError(f"scan: length={length} does not match the leading size {count} "
                             "of xs.")
    carry, ys = _as_tensors(init), [None] * count
    for i in (range(count - 1, -1, -1) if reverse else range(count)):
        x = None if xs is None else pack_as(xs, [_take(t, i) for t in leaves])
        carry, ys[i] = f(carry, x)
    if count == 0 or all(leaf is None for leaf in flatten(ys[0])):
        return carry, None if count == 0 else ys[0]
    return carry, _stack_structures(ys)


@keras_op
def associative_scan(f: Callable[[Any, Any], Any], elems: Any, reverse: bool = False,
                     axis: int = 0) -> Any:
    """Inclusive scan with an associative ``f`` along ``axis``: ``out[i] = f(out[i-1], elems[i])``.

    With ``reverse``, ``out[i] = f(out[i+1], elems[i])``. ``f`` combines two
    structures of slices (``elems`` without ``axis``). It is applied
    sequentially, so for an associative ``f`` the result equals Keras's tree
    evaluation.

    Returns
    -------
    Tensor or structure, like ``elems``
    """
    leaves = [_leaf_tensor(t) for t in flatten(elems)]
    if not leaves:
        raise ValueError("associative_scan: elems must hold at least one tensor.")
    ndim = leaves[0].ndim
    if not -ndim <= axis < max(ndim, 1):
        raise ValueError(f"associative_scan: axis {axis} is out of range for shape "
                         f"{leaves[0].shape}.")
    axis %= ndim
    count = _length(leaves, "associative_scan", axis)
    order = range(count - 1, -1, -1) if reverse else range(count)
    outputs: list[Any] = [None] * count
    acc = None
    for i in order:
        x = pack_as(elems, [_take(t, i, axis) for t in leaves])
        acc = x if acc is None else f(acc, x)
        outputs[i] = acc
    return _stack_structures(outputs, axis)


@keras_op
def map(f: Callable[[Any], Any], xs: Any) -> Any:  # noqa: A001
    """``stack([f(x) for x in xs])`` over the leading axis.

    Parameters
    ----------
    f : callable
        Takes one slice of ``xs`` (a structure of slices when ``xs`` is one).
    xs : tensor or list/tuple/dict of tensors, same leading size

    Returns
    -------
    Tensor or structure
        ``f``'s results stacked along a new axis 0.
    """
    leaves = [_leaf_tensor(t) for t in flatten(xs)]
    count = _length(leaves, "map")
    results = [f(pack_as(xs, [_take(t, i) for t in leaves])) for i in range(count)]
    if not results:
        raise ValueError("map: xs must have at least one element along axis 0.")
    return _stack_structures(results)


@keras_op
def vectorized_map(function: Callable[[Any], Any], elements: Any) -> Any:
    """``stack([function(e) for e in elements])`` over the leading axis.

    Parameters
    ----------
    function : callable
        With a list/tuple of tensors, receives the list of their ``i``-th
        slices (Keras's convention).
    elements : tensor or list/tuple of tensors

    Returns
    -------
    Tensor or structure, stacked along axis 0
    """
    return map(function, elements)
