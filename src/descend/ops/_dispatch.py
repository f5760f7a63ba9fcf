"""How a public ``descend.ops`` function accepts every kind of operand Keras accepts.

Keras's ``keras.ops`` functions take backend tensors, NumPy arrays, Python
numbers and, while a functional model is being defined, symbolic
``KerasTensor`` placeholders. :func:`keras_op` gives a descend op the last of
these: called with any ``KerasTensor`` among its arguments (at any depth of
lists, tuples and dicts), the op is recorded as a node of the functional
graph (see :mod:`descend.layers.op_layer`) and a ``KerasTensor`` comes back;
called with data, it runs at once.

The engine does not import the building floor: the layers package, which
defines ``KerasTensor`` and the op layer, hands both to
:func:`register_symbolic` when it is imported. Before that no ``KerasTensor``
can exist, so every op runs on data.

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


class _NoSymbolicType:
    """Stands for the symbolic tensor type until :func:`register_symbolic` names it."""


#: The symbolic tensor type and the function recording an op call on it (set by the layers).
_SYMBOLIC: dict[str, Any] = {"type": _NoSymbolicType, "record": None}


def register_symbolic(tensor_type: type, record: Callable[[Callable[..., Any], tuple, dict], Any]
                      ) -> None:
    """Make ops called with ``tensor_type`` arguments return ``record(op, args, kwargs)``.

    Called once, by :mod:`descend.layers.op_layer` on import, with ``KerasTensor`` and the
    function that records an :class:`~descend.layers.op_layer.OpLayer` call.
    """
    _SYMBOLIC["type"], _SYMBOLIC["record"] = tensor_type, record


def has_symbolic(structure: Any) -> bool:
    """Whether ``structure`` (a value, or nested lists/tuples/dicts) holds a ``KerasTensor``."""
    keras_tensor = _SYMBOLIC["type"]
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
            return _SYMBOLIC["record"](fn, args, kwargs)
        return fn(*args, **kwargs)

    wrapper.__wrapped_op__ = fn  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]
