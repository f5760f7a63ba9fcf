"""Tensor creation of ``keras.ops.numpy``: ranges, constant fills, matrices and windows.

Constant tensors (``zeros``, ``eye``, the window functions, ...) have no
gradient; ``linspace``, ``logspace`` and ``geomspace`` are differentiable in
tensor ``start``/``stop``, ``vander`` and ``meshgrid`` in their inputs. The
default dtype is ``floatx()`` (``arange`` with only int arguments gives int32).

Examples
--------
>>> from descend.ops import numpy as knp
>>> knp.arange(3).data
array([0, 1, 2], dtype=int32)
>>> knp.linspace(0.0, 1.0, 3).data
array([0. , 0.5, 1. ], dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend import config
from descend.autograd import ops as E
from descend.autograd.tensor import Tensor
from descend.ops._numpy_base import (
    check_axis,
    const,
    float_type,
    is_weak,
    numpy_op,
    promote,
    result_type,
    to_array,
    to_tensor,
)

__all__ = [
    "arange", "array", "bartlett", "blackman", "empty", "empty_like", "eye", "full",
    "full_like", "geomspace", "hamming", "hanning", "identity", "kaiser", "linspace", "logspace",
    "meshgrid", "ones", "ones_like", "tri", "vander", "zeros", "zeros_like",
]


def _dtype(dtype: Any, default: Any = None) -> np.dtype:
    if dtype is None:
        return np.dtype(config.floatx() if default is None else default)
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must name a NumPy dtype such as 'float32', received "
                        f"{dtype!r}.") from None


def _shape(op: str, shape: Any) -> tuple[int, ...]:
    if isinstance(shape, Tensor):
        shape = shape.data.tolist()
    dims = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if not all(isinstance(d, (int, np.integer)) and d >= 0 for d in dims):
        raise ValueError(f"{op}: shape must be non-negative ints, received {shape!r}.")
    return tuple(int(d) for d in dims)


@numpy_op
def arange(start: Any, stop: Any = None, step: Any = None, dtype: Any = None) -> Tensor:
    """Evenly spaced values in ``[start, stop)`` (``[0, start)`` when ``stop`` is None).

    Int arguments give int32, any float gives ``floatx()`` (unless ``dtype``).

    Parameters
    ----------
    start : number
        The first value (the end, from 0, when ``stop`` is None).
    stop : number, optional
    step : number, default 1
    dtype : dtype, optional

    Returns
    -------
    Tensor, 1-D
    """
    if stop is None:
        start, stop = 0, start
    step = 1 if step is None else step
    values = [to_array(v).item() for v in (start, stop, step)]
    if values[2] == 0:
        raise ValueError("arange: step must not be zero.")
    if dtype is None:
        dtype = result_type(*[v if is_weak(v) else to_array(v) for v in (start, stop, step)])
    return const(np.arange(*values, dtype=_dtype(dtype)))


def _spaced(op: str, start: Any, stop: Any, num: int, endpoint: bool, dtype: Any,
            axis: int) -> tuple[Tensor, Tensor]:
    """``start + (stop - start) * i / div`` for ``i < num``, the new axis at ``axis``."""
    if not isinstance(num, (int, np.integer)) or num < 0:
        raise ValueError(f"{op}: num must be a non-negative int, received {num!r}.")
    lo, hi = promote(start, stop, dtype=float_type(start, stop))
    shape = np.broadcast_shapes(lo.shape, hi.shape)
    axis = check_axis(op, axis, len(shape) + 1)
    div = (num - 1) if endpoint else num
    fraction = np.arange(num, dtype=lo.data.dtype) / (div if div > 0 else 1)
    fraction = fraction.reshape((num,) + (1,) * len(shape))
    step = E.div(E.sub(hi, lo), np.asarray(div if div > 0 else np.nan, lo.data.dtype))
    out = E.add(lo, E.mul(E.sub(hi, lo), fraction))
    if endpoint and num > 1:  # the last sample is exactly stop
        last = np.arange(num) == num - 1
        out = E.where(last.reshape(fraction.shape), E.broadcast_to(hi, out.shape), out)
    out = E.transpose(out, list(range(1, axis + 1)) + [0] + list(range(axis + 1, out.ndim)))
    if dtype is not None:
        out = to_tensor(out, _dtype(dtype))
    return out, step


@numpy_op
def linspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True,
             retstep: bool = False, dtype: Any = None, axis: int = 0) -> Any:
    """``num`` evenly spaced samples from ``start`` to ``stop`` (inclusive when ``endpoint``).

    Array ``start``/``stop`` give one sequence per element, along the new axis
    ``axis``. With ``retstep`` the spacing is returned too: ``(samples, step)``.
    """
    out, step = _spaced("linspace", start, stop, num, endpoint, dtype, axis)
    return (out, step) if retstep else out


@numpy_op
def logspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, base: Any = 10,
             dtype: Any = None, axis: int = 0) -> Tensor:
    """``base ** linspace(start, stop, num)``."""
    exponent, _ = _spaced("logspace", start, stop, num, endpoint, None, axis)
    out = E.pow(np.asarray(base, exponent.data.dtype), exponent)
    return out if dtype is None else to_tensor(out, _dtype(dtype))


@numpy_op
def geomspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, dtype: Any = None,
              axis: int = 0) -> Tensor:
    """``num`` samples spaced evenly on a log scale from ``start`` to ``stop`` (same sign,
    nonzero)."""
    lo, hi = promote(start, stop, dtype=float_type(start, stop))
    if np.any(lo.data == 0) or np.any(hi.data == 0):
        raise ValueError("geomspace: start and stop must be nonzero.")
    if np.any(np.sign(lo.data) != np.sign(hi.data)):
        raise ValueError("geomspace: start and stop must have the same sign.")
    sign = np.sign(lo.data)
    logs, _ = _spaced("geomspace", E.log(E.abs(lo)), E.log(E.abs(hi)), num, endpoint, None, axis)
    out = E.exp(logs)
    shape = [1] * out.ndim
    ax = check_axis("geomspace", axis, out.ndim)
    sign = np.expand_dims(np.broadcast_to(sign, np.broadcast_shapes(lo.shape, hi.shape)), ax)
    out = E.mul(out, sign.astype(out.data.dtype).reshape(sign.shape or shape))
    return out if dtype is None else to_tensor(out, _dtype(dtype))


@numpy_op
def zeros(shape: Any, dtype: Any = None) -> Tensor:
    """A tensor of zeros of ``shape`` (dtype ``floatx()`` by default)."""
    return const(np.zeros(_shape("zeros", shape), _dtype(dtype)))


@numpy_op
def ones(shape: Any, dtype: Any = None) -> Tensor:
    """A tensor of ones of ``shape`` (dtype ``floatx()`` by default)."""
    return const(np.ones(_shape("ones", shape), _dtype(dtype)))


@numpy_op
def empty(shape: Any, dtype: Any = None) -> Tensor:
    """A tensor of ``shape`` (descend fills it with zeros, so its values are defined)."""
    return const(np.zeros(_shape("empty", shape), _dtype(dtype)))


@numpy_op
def full(shape: Any, fill_value: Any, dtype: Any = None) -> Tensor:
    """A tensor of ``shape`` filled with ``fill_value`` (broadcast; ``floatx()`` by default)."""
    return const(np.full(_shape("full", shape), to_array(fill_value), _dtype(dtype)))


def _like(x: Any, dtype: Any) -> tuple[tuple[int, ...], np.dtype]:
    arr = to_array(x)
    return arr.shape, _dtype(dtype, arr.dtype)


@numpy_op
def zeros_like(x: Any, dtype: Any = None) -> Tensor:
    """Zeros with the shape (and, by default, the dtype) of ``x``."""
    shape, dt = _like(x, dtype)
    return const(np.zeros(shape, dt))


@numpy_op
def ones_like(x: Any, dtype: Any = None) -> Tensor:
    """Ones with the shape (and, by default, the dtype) of ``x``."""
    shape, dt = _like(x, dtype)
    return const(np.ones(shape, dt))


@numpy_op
def empty_like(x: Any, dtype: Any = None) -> Tensor:
    """A tensor with the shape and dtype of ``x`` (zero-filled)."""
    shape, dt = _like(x, dtype)
    return const(np.zeros(shape, dt))


@numpy_op
def full_like(x: Any, fill_value: Any, dtype: Any = None) -> Tensor:
    """``fill_value`` with the shape (and, by default, the dtype) of ``x``."""
    shape, dt = _like(x, dtype)
    return const(np.full(shape, to_array(fill_value), dt))


def _count(op: str, value: Any, argument: str) -> int:
    value = value.data.item() if isinstance(value, Tensor) else value
    if not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{op}: {argument} must be a non-negative int, received {value!r}.")
    return int(value)


@numpy_op
def eye(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> Tensor:  # noqa: N803
    """An ``N x M`` matrix with ones on the ``k``-th diagonal."""
    n = _count("eye", N, "N")
    m = n if M is None else _count("eye", M, "M")
    return const(np.eye(n, m, int(k), dtype=_dtype(dtype)))


@numpy_op
def identity(n: int, dtype: Any = None) -> Tensor:
    """The ``n x n`` identity matrix."""
    return const(np.identity(_count("identity", n, "n"), dtype=_dtype(dtype)))


@numpy_op
def tri(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> Tensor:  # noqa: N803
    """An ``N x M`` matrix with ones at and below the ``k``-th diagonal."""
    n = _count("tri", N, "N")
    m = n if M is None else _count("tri", M, "M")
    return const(np.tri(n, m, int(k), dtype=_dtype(dtype)))


@numpy_op
def array(x: Any, dtype: Any = None) -> Tensor:
    """``x`` as a tensor (converted to ``dtype`` when given; a tensor keeps its gradient)."""
    return to_tensor(x, None if dtype is None else _dtype(dtype))


def _window(op: str, fn: Any, x: Any, *args: Any) -> Tensor:
    return const(fn(_count(op, x, "x"), *args).astype(config.floatx()))


@numpy_op
def bartlett(x: int) -> Tensor:
    """The Bartlett (triangular) window of ``x`` points."""
    return _window("bartlett", np.bartlett, x)


@numpy_op
def blackman(x: int) -> Tensor:
    """The Blackman window of ``x`` points."""
    return _window("blackman", np.blackman, x)


@numpy_op
def hamming(x: int) -> Tensor:
    """The Hamming window of ``x`` points."""
    return _window("hamming", np.hamming, x)


@numpy_op
def hanning(x: int) -> Tensor:
    """The Hann window of ``x`` points."""
    return _window("hanning", np.hanning, x)


@numpy_op
def kaiser(x: int, beta: float) -> Tensor:
    """The Kaiser window of ``x`` points with shape parameter ``beta``."""
    return _window("kaiser", np.kaiser, x, float(to_array(beta)))


@numpy_op
def vander(x: Any, N: int | None = None, increasing: bool = False) -> Tensor:  # noqa: N803
    """The Vandermonde matrix of 1-D ``x``: columns ``x**(N-1), ..., x, 1`` (reversed when
    ``increasing``); differentiable in ``x``."""
    t = to_tensor(x)
    if t.ndim != 1:
        raise ValueError(f"vander: x must be 1-D, received shape {t.shape}.")
    n = t.shape[0] if N is None else _count("vander", N, "N")
    columns = [const(np.ones(t.shape, t.data.dtype))] if n else []
    for _ in range(1, n):
        columns.append(E.mul(columns[-1], t))
    if not columns:
        return const(np.zeros((t.shape[0], 0), t.data.dtype))
    out = E.stack(columns if increasing else columns[::-1], axis=1)
    return out


@numpy_op
def meshgrid(*x: Any, indexing: str = "xy") -> list[Tensor]:
    """Coordinate grids from 1-D coordinate vectors.

    With ``indexing="xy"`` (Cartesian) the first two output axes are swapped
    relative to ``"ij"`` (matrix) indexing.
    """
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', received {indexing!r}.")
    ts = [E.reshape(to_tensor(v), (-1,)) for v in x]
    sizes = [t.shape[0] for t in ts]
    if indexing == "xy" and len(ts) >= 2:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    grids = []
    for i, t in enumerate(ts):
        place = i
        if indexing == "xy" and len(ts) >= 2 and i < 2:
            place = 1 - i
        shape = [1] * len(ts)
        shape[place] = t.shape[0]
        grids.append(E.broadcast_to(E.reshape(t, shape), tuple(sizes)))
    return grids
