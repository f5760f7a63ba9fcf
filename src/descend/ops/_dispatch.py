"""How a public ``descend.ops`` function accepts every kind of operand Keras accepts.

Keras's ``keras.ops`` functions take backend tensors, NumPy arrays, Python
numbers and, while a functional model is being defined, symbolic
``KerasTensor`` placeholders. :func:`keras_op` gives a descend op the last of
these: called with any ``KerasTensor`` among its arguments (at any depth of
lists, tuples and dicts), the op is recorded as a node of the functional
graph (see :mod:`descend.layers.op_layer`) and a ``KerasTensor`` comes back;
called with data, it runs at once.

Examples
--------
>>> from descend.ops._dispatch import keras_op
>>> @keras_op
... def double(x):
...     return x * 2
>>> double(3)
6
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


_KERAS_TENSOR: list[type] = []


def _keras_tensor_type() -> type:
    if not _KERAS_TENSOR:
        from descend.layers.input_layer import KerasTensor

        _KERAS_TENSOR.append(KerasTensor)
    return _KERAS_TENSOR[0]


def has_symbolic(structure: Any) -> bool:
    """Whether ``structure`` (a value, or nested lists/tuples/dicts) holds a ``KerasTensor``."""
    keras_tensor = _keras_tensor_type()
    stack = [structure]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is keras_tensor:
            return True
        if kind is list or kind is tuple:
            stack.extend(item)
        elif kind is dict:
            stack.extend(item.values())
        elif isinstance(item, keras_tensor):
            return True
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    return False


def keras_op(fn: F) -> F:
    """Decorate a public op so that symbolic (``KerasTensor``) arguments build a graph node.

    Parameters
    ----------
    fn : callable
        The op, written for real data (tensors, arrays, numbers).

    Returns
    -------
    callable
        ``fn`` itself on real data; on symbolic data, a ``KerasTensor`` (or a
        structure of them) recorded as one call of an operation layer.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if (args or kwargs) and (has_symbolic(args) or (kwargs and has_symbolic(kwargs))):
            from descend.layers.op_layer import symbolic_op_call

            return symbolic_op_call(fn, args, kwargs)
        return fn(*args, **kwargs)

    wrapper.__wrapped_op__ = fn  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]
