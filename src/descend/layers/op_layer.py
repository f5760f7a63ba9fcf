"""Operations on symbolic tensors: ``ops.relu(x)`` or ``x + y`` inside a functional model.

Keras lets a functional model use its ``ops`` and tensor operators between
layers (``x = ops.concatenate([a, b]); y = x * 2``). In descend, an op (or
operator) given a ``KerasTensor`` records one :class:`OpLayer` call in the
graph: the op, with every symbolic argument replaced by a numbered slot. When
the model runs, the slots are filled with the real tensors and the op runs —
on descend's engine, so gradients flow through it as through any layer.

Examples
--------
>>> import numpy as np
>>> import descend
>>> from descend import layers, ops
>>> inputs = layers.Input(shape=(3,))
>>> doubled = inputs * 2.0
>>> outputs = ops.sum(doubled, axis=-1, keepdims=True)
>>> model = descend.Model(inputs, outputs)
>>> model.predict(np.ones((2, 3), "float32"), verbose=0)
array([[6.],
       [6.]], dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.autograd import Tensor, no_grad
from descend.layers._templates import _fill, _Slot, _template
from descend.layers.layer import Layer, to_snake_case, unique_name
from descend.ops._dispatch import register_symbolic


def _op_name(fn: Any) -> str:
    return getattr(fn, "__name__", "op")


def _resolve_op(name: str) -> Any:
    """The op ``name`` of ``descend.ops`` (only there: a config never names other code)."""
    from descend import ops

    fn = getattr(ops, name, None) if not name.startswith("_") else None
    if fn is None or not callable(fn):
        raise ValueError(f"OpLayer: unknown op {name!r}; it must be a function of descend.ops.")
    return getattr(fn, "__wrapped_op__", fn)


class OpLayer(Layer):
    """One call of a ``descend.ops`` function (or tensor operator) in a functional model.

    Parameters
    ----------
    op : callable or str
        The operation (a function of ``descend.ops``, or a name of one).
    args, kwargs : tuple and dict
        Its arguments, where ``_Slot`` markers stand for the symbolic inputs
        (given in order to :meth:`call`).
    name : str, optional
        Defaults to the op's name (``add``, ``add_1``, ...).
    """

    def __init__(self, op: Any, args: Any = (), kwargs: Any = None, **base: Any) -> None:
        if isinstance(op, str):
            op = _resolve_op(op)
        base.setdefault("name", unique_name(to_snake_case(_op_name(op))))
        super().__init__(**base)
        object.__setattr__(self, "op", op)
        object.__setattr__(self, "op_args", tuple(args))
        object.__setattr__(self, "op_kwargs", dict(kwargs or {}))
        self.built = True

    def call(self, inputs: Any) -> Any:
        """Run the op with the slots filled by ``inputs`` (one tensor per slot)."""
        values = inputs if isinstance(inputs, list) else [inputs]
        return self.op(*_fill(self.op_args, values), **_fill(self.op_kwargs, values))

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The op run on zeros of the inputs' shapes (unknown sizes as 2, then 3)."""
        shapes = input_shape if isinstance(input_shape, list) else [input_shape]
        dtypes = getattr(self, "_input_dtypes", None) or [self.dtype] * len(shapes)

        def run(fill: int) -> Any:
            values = [Tensor._make(np.zeros([fill if s is None else s for s in shape], dtype),
                                   False, None)
                      for shape, dtype in zip(shapes, dtypes, strict=True)]
            with no_grad(), np.errstate(all="ignore"):
                out = self.call(values if isinstance(input_shape, list) else values[0])
            if isinstance(out, (list, tuple)):
                return [tuple(np.shape(o)) for o in out]
            return tuple(np.shape(out))

        first, second = run(2), run(3)
        if isinstance(first, list):
            return [tuple(a if a == b else None for a, b in zip(x, y, strict=True))
                    for x, y in zip(first, second, strict=True)]
        return tuple(a if a == b else None for a, b in zip(first, second, strict=True))

    def get_config(self) -> dict[str, Any]:
        """The op's name and its arguments (slots as ``{"__slot__": i}``).

        Raises
        ------
        NotImplementedError
            If the op is not a function of ``descend.ops`` or an argument is
            not plain data (numbers, strings, lists, slices).
        """
        name = _op_name(self.op)
        try:
            _resolve_op(name)
        except ValueError:
            raise NotImplementedError(
                f"OpLayer '{self.name}': the op {name!r} is not a function of descend.ops, so "
                "the model cannot be saved as a config. Wrap it in a custom Layer."
            ) from None
        base = super().get_config()
        return {**base, "op": name, "args": _encode(list(self.op_args)),
                "kwargs": _encode(self.op_kwargs)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> OpLayer:
        """Recreate the op call from :meth:`get_config` output."""
        config = dict(config)
        return cls(config.pop("op"), tuple(_decode(config.pop("args", []))),
                   _decode(config.pop("kwargs", {})), **config)


def _encode(value: Any) -> Any:
    if isinstance(value, _Slot):
        return {"__slot__": value.index}
    if isinstance(value, slice):
        return {"__slice__": [_encode(value.start), _encode(value.stop), _encode(value.step)]}
    if value is Ellipsis:
        return {"__ellipsis__": True}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, (np.generic,)):
        return value.item()
    if isinstance(value, np.ndarray):
        return {"__array__": value.tolist(), "dtype": value.dtype.name}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise NotImplementedError(f"OpLayer: cannot save the argument {value!r} in a config.")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        if "__slot__" in value:
            return _Slot(int(value["__slot__"]))
        if "__slice__" in value:
            return slice(*[_decode(v) for v in value["__slice__"]])
        if "__ellipsis__" in value:
            return Ellipsis
        if "__tuple__" in value:
            return tuple(_decode(v) for v in value["__tuple__"])
        if "__array__" in value:
            return np.asarray(value["__array__"], dtype=np.dtype(str(value["dtype"])))
        return {k: _decode(v) for k, v in value.items()}
    return value


def symbolic_op_call(fn: Any, args: tuple, kwargs: dict) -> Any:
    """Record ``fn(*args, **kwargs)`` on symbolic tensors; return the symbolic result."""
    from descend.layers.input_layer import symbolic_call

    found: list[Any] = []
    op_args = _template(tuple(args), found)
    op_kwargs = _template(dict(kwargs), found)
    layer = OpLayer(fn, op_args, op_kwargs)
    object.__setattr__(layer, "_input_dtypes", [str(t.dtype) for t in found])
    out = symbolic_call(layer, found if len(found) > 1 else found[0])
    return tuple(out) if isinstance(out, list) else out


def _register() -> None:
    from descend.layers.input_layer import KerasTensor

    register_symbolic(KerasTensor, symbolic_op_call)  # ops on KerasTensors record an OpLayer


_register()
