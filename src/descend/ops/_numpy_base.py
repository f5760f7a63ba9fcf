"""Shared machinery of ``descend.ops.numpy``: operand conversion, dtype rules, errors.

Keras's dtype rules, as descend follows them:

* tensors and NumPy arrays keep their dtype; Python lists become int32 (all ints),
  bool, or ``floatx()`` tensors;
* Python numbers are *weak*: ``float32_tensor * 0.5`` stays float32,
  ``int_tensor + 1`` stays int, and ``int_tensor * 0.5`` gives ``floatx()``;
* mixing an integer tensor with a float tensor gives the float dtype
  (``int32 + float16 -> float16``), two floats give the wider one;
* float-valued functions (``sqrt``, ``sin``, ``mean``, ...) of integer or bool
  input give ``floatx()``.

Examples
--------
>>> import numpy as np
>>> from descend.ops._numpy_base import result_type
>>> result_type(np.ones(2, "int32"), 1.5)
dtype('float32')
>>> result_type(np.ones(2, "float64"), 1.5)
dtype('float64')
"""

from __future__ import annotations

import builtins
import functools
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from descend import config
from descend.autograd.ops import cast as _cast
from descend.autograd.tensor import Tensor
from descend.ops._dispatch import keras_op

F = TypeVar("F", bound=Callable[..., Any])

_WEAK = (bool, int, float, complex)


def numpy_op(fn: F) -> F:
    """Make ``fn`` a public op: symbolic dispatch, and errors that start with its name.

    A ``ValueError``/``TypeError``/``IndexError`` raised inside (by descend or by
    NumPy) is re-raised with ``"<name>: "`` in front when its message does not
    already start so, so the caller learns which op rejected which argument.
    """
    name = fn.__name__

    @functools.wraps(fn)
    def checked(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (ValueError, TypeError, IndexError) as error:
            message = str(error)
            if message.startswith(f"{name}:"):
                raise
            kind = ValueError if isinstance(error, np.exceptions.AxisError) else type(error)
            try:
                wrapped = kind(f"{name}: {message}")
            except Exception:  # an exception type that takes other arguments
                raise error from None
            raise wrapped from error

    return keras_op(checked)  # type: ignore[return-value]


def is_weak(x: Any) -> bool:
    """Whether ``x`` is a Python number (its dtype yields to the other operand's)."""
    return isinstance(x, _WEAK) and not isinstance(x, np.generic)


def _list_array(x: Any) -> np.ndarray:
    """A Python list/tuple as Keras converts it: ints to int32, floats to floatx."""
    items = [i.data if isinstance(i, Tensor) else i for i in x] if isinstance(x, (list, tuple)) \
        else x
    arr = np.asarray(items)
    if arr.dtype.kind in "iu" and all(is_weak(i) for i in np.ravel(np.asarray(x, object))):
        if arr.size == 0 or (np.abs(arr).max() < 2**31):
            return arr.astype(np.int32)
        return arr
    if arr.dtype.kind == "f" and arr.dtype == np.float64 and not any(
        isinstance(i, (np.ndarray, np.generic, Tensor)) for i in np.ravel(np.asarray(x, object))
    ):
        return arr.astype(config.floatx())
    return arr


def to_array(x: Any, dtype: Any = None) -> np.ndarray:
    """The values of ``x`` (tensor, array, number or list) as an ndarray, Keras's dtypes."""
    if isinstance(x, Tensor):
        arr = x.data
    elif isinstance(x, np.ndarray):
        arr = x
    elif isinstance(x, bool):
        arr = np.asarray(x)
    elif isinstance(x, int):
        arr = np.asarray(x, np.int32 if -(2**31) <= x < 2**31 else np.int64)
    elif isinstance(x, float):
        arr = np.asarray(x, config.floatx())
    elif isinstance(x, (list, tuple)):
        arr = _list_array(x)
    elif hasattr(x, "__array__") or isinstance(x, np.generic):
        arr = np.asarray(x)
    else:
        raise TypeError(
            f"expected a tensor, array, number or list, received {type(x).__name__}. "
            "Pass numeric data (e.g. a NumPy array or descend.autograd.Tensor)."
        )
    if arr.dtype.kind not in "biufc":
        raise TypeError(
            f"expected numeric data, received dtype {arr.dtype}; convert it with "
            "numpy.asarray(data, dtype='float32') first."
        )
    return arr if dtype is None else arr.astype(dtype, copy=False)


def to_tensor(x: Any, dtype: Any = None) -> Tensor:
    """``x`` as a Tensor (a tensor passes through; a cast to ``dtype`` keeps its gradient)."""
    if isinstance(x, Tensor):
        if dtype is None or x.data.dtype == np.dtype(dtype):
            return x
        return _cast(x, dtype) if x.requires_grad else const(x.data.astype(dtype))
    return const(to_array(x, dtype))


def const(value: Any) -> Tensor:
    """A tensor without gradient holding ``value`` with its dtype (int and bool kept)."""
    return Tensor._make(np.asarray(value), False, None)


def _strong_dtype(x: Any) -> np.dtype | None:
    if is_weak(x):
        return None
    return to_array(x).dtype


def result_type(*operands: Any) -> np.dtype:
    """The dtype of an elementwise result of ``operands`` under Keras's rules (module doc)."""
    if len(operands) == 2 and isinstance(operands[0], Tensor):  # the common case, fast
        first, other = operands[0].data.dtype, operands[1]
        if first.kind == "f" and (isinstance(other, float) or (isinstance(other, Tensor)
                                                              and other.data.dtype == first)):
            return first
    strong = [d for d in (_strong_dtype(x) for x in operands if x is not None) if d is not None]
    weak = [x for x in operands if x is not None and is_weak(x)]
    if any(d.kind == "c" for d in strong) or any(isinstance(x, complex) for x in weak):
        return np.result_type(*strong, *[np.asarray(x) for x in weak])
    floats = [d for d in strong if d.kind == "f"]
    if floats:
        return builtins.max(floats, key=lambda d: d.itemsize)
    if any(isinstance(x, float) for x in weak):
        return np.dtype(config.floatx())
    if strong:
        out = np.result_type(*strong)
        if out.kind == "b" and any(not isinstance(x, bool) for x in weak):
            return np.dtype(np.int32)
        return out
    if any(not isinstance(x, bool) for x in weak):
        return np.dtype(np.int32)
    return np.dtype(bool)


def float_type(*operands: Any) -> np.dtype:
    """The dtype of a float-valued result: :func:`result_type`, ``floatx()`` when not float."""
    dtype = result_type(*operands)
    return dtype if dtype.kind in "fc" else np.dtype(config.floatx())


def promote(*operands: Any, dtype: Any = None) -> list[Tensor]:
    """Tensors of the common dtype (``dtype`` or :func:`result_type`), gradients kept."""
    target = np.dtype(dtype) if dtype is not None else result_type(*operands)
    return [to_tensor(x, target) for x in operands]


def is_float(t: Tensor) -> bool:
    """Whether ``t`` holds floats (or complex numbers): the dtypes that carry gradients."""
    return t.data.dtype.kind in "fc"


def with_values(out: Tensor, exact: np.ndarray) -> Tensor:
    """Give a composed result NumPy's correctly rounded values; its gradient is unchanged.

    (``log2(x)`` composed as ``log(x) / log(2)`` can differ from ``np.log2`` in the
    last bit; the composition still supplies the backward pass.)
    """
    out.data = np.asarray(exact, out.data.dtype)
    return out


def floating(x: Any) -> Tensor:
    """``x`` as a float tensor: float input keeps its dtype, ints and bools get ``floatx()``."""
    return to_tensor(x, float_type(x))


def check_axis(op: str, axis: Any, ndim: int, argument: str = "axis") -> Any:
    """Validate ``axis`` (None, int or sequence of int) for an ``ndim``-dimensional input.

    Returns the axis with negative entries made non-negative (None stays None).
    """
    if axis is None:
        return None
    items = axis if isinstance(axis, (list, tuple)) else [axis]
    out = []
    for a in items:
        if isinstance(a, Tensor):
            a = a.data.item()
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
            raise TypeError(
                f"{op}: {argument} must be an int or a tuple of ints, received {axis!r}."
            )
        if not -ndim <= a < builtins.max(ndim, 1):
            raise ValueError(
                f"{op}: {argument}={axis!r} is out of range for an input with {ndim} "
                f"dimension(s); use values in [{-ndim}, {builtins.max(ndim, 1) - 1}]."
            )
        out.append(int(a) % builtins.max(ndim, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: {argument}={axis!r} repeats an axis.")
    return tuple(out) if isinstance(axis, (list, tuple)) else out[0]


def check_broadcast(op: str, *operands: Any, names: tuple[str, ...] = ("x1", "x2")) -> None:
    """Raise a ValueError naming ``op`` when the operands' shapes do not broadcast."""
    shapes = [x.shape if isinstance(x, (Tensor, np.ndarray)) else
              () if is_weak(x) else np.shape(to_array(x)) for x in operands]
    if all(shape == shapes[0] for shape in shapes) or all(len(shape) == 0 for shape in shapes[1:]):
        return
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        described = ", ".join(f"{n} of shape {s}" for n, s in zip(names, shapes, strict=False))
        raise ValueError(
            f"{op}: the shapes do not broadcast together: {described}. Axes must be equal "
            "or 1 when aligned from the right."
        ) from None


def gather_along(t: Tensor, indices: np.ndarray, axis: int) -> Tensor:
    """``take_along_axis(t, indices, axis)`` through the engine's indexing (differentiable).

    ``indices`` has ``t.ndim`` dimensions; the other axes broadcast against ``t``'s.
    Repeated indices add their gradients.
    """
    from descend.autograd.ops import getitem

    index = []
    for d in range(t.ndim):
        if d == axis:
            index.append(indices)
        else:
            shape = [1] * t.ndim
            shape[d] = t.shape[d]
            index.append(np.arange(t.shape[d]).reshape(shape))
    return getitem(t, tuple(index))
