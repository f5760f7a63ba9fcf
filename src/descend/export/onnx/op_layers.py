"""Converter of ``OpLayer``: the ``descend.ops`` calls and tensor operators written between
layers of a functional model (``x * 2.0``, ``ops.mean(x, axis=1)``, ``x[:, -1]``).

The common elementwise, reduction and reshaping ops are translated; any other op is
refused with its name. Arguments that are not symbolic tensors (numbers, arrays)
become constants in the model's dtype.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from descend.export.onnx import activations as act
from descend.export.onnx.builder import INT64_MAX, GraphBuilder, Value
from descend.export.onnx.registry import converts, refuse
from descend.layers._templates import _Slot
from descend.layers.op_layer import OpLayer

_BINARY = {"add": "Add", "sub": "Sub", "subtract": "Sub", "mul": "Mul", "multiply": "Mul",
           "div": "Div", "divide": "Div", "true_divide": "Div", "pow": "Pow", "power": "Pow",
           "maximum": "Max", "minimum": "Min", "matmul": "MatMul"}
_UNARY = {"neg": "Neg", "negative": "Neg", "abs": "Abs", "exp": "Exp", "log": "Log",
          "sqrt": "Sqrt", "tanh": "Tanh", "sigmoid": "Sigmoid", "relu": "Relu"}
_REDUCE = {"sum": "ReduceSum", "mean": "ReduceMean", "max": "ReduceMax", "min": "ReduceMin"}

SUPPORTED_OPS = sorted({*_BINARY, *_UNARY, *_REDUCE, "square", "getitem", "concatenate",
                        "transpose", "expand_dims", "squeeze", "reshape", "softmax", "clip"})
"""The ``descend.ops`` names ONNX export translates inside a functional model."""


def _value(g: GraphBuilder, arg: Any, inputs: list[Value]) -> Value:
    if isinstance(arg, _Slot):
        return inputs[arg.index]
    array = np.asarray(arg)
    if array.dtype.kind in "fiub":
        array = array.astype(g.dtype)
    return Value(g.const(array, array.dtype), array.shape)


def _axes(axis: Any, rank: int) -> list[int] | None:
    if axis is None:
        return None
    items = axis if isinstance(axis, (list, tuple)) else [axis]
    return [int(a) % rank for a in items]


@converts(OpLayer)
def convert_op(g: GraphBuilder, layer: Any, inputs: list[Value], call: dict) -> list:
    """One ``descend.ops`` call, its symbolic arguments read from ``inputs``."""
    name = getattr(layer.op, "__name__", "?")
    if name not in SUPPORTED_OPS:
        raise refuse(layer, f"the op '{name}' between layers has no ONNX translation "
                            f"(translated ops: {', '.join(SUPPORTED_OPS)}). Use a layer "
                            "instead, or one of those ops.")
    try:
        bound = inspect.signature(layer.op).bind(*layer.op_args, **layer.op_kwargs)
    except TypeError as exc:  # pragma: no cover - the model ran these arguments already
        raise refuse(layer, f"its arguments do not fit the op '{name}': {exc}.") from None
    bound.apply_defaults()
    a = dict(bound.arguments)
    first = list(a.values())[0]
    if name in _BINARY:
        x, y = (_value(g, v, inputs) for v in list(a.values())[:2])
        return [g.op(_BINARY[name], [x.name, y.name])]
    if name == "concatenate":
        parts = [_value(g, v, inputs).name for v in first]
        return [g.op("Concat", parts, axis=int(a.get("axis", 0)))]
    x = _value(g, first, inputs)
    if name in _UNARY:
        return [g.op(_UNARY[name], [x.name])]
    if name == "square":
        return [g.mul(x.name, x.name)]
    if name in _REDUCE:
        axes = _axes(a.get("axis"), x.ndim) or list(range(x.ndim))
        return [g.reduce(_REDUCE[name], x.name, axes, keepdims=bool(a.get("keepdims")))]
    if name == "transpose":
        axes = a.get("axes")
        perm = list(range(x.ndim))[::-1] if axes is None else [int(p) % x.ndim for p in axes]
        return [g.transpose(x.name, perm)]
    if name == "expand_dims":
        rank = x.ndim + 1
        return [g.unsqueeze(x.name, _axes(a["axis"], rank))]
    if name == "squeeze":
        axes = _axes(a.get("axis"), x.ndim)
        if axes is None:
            axes = [i for i, s in enumerate(x.shape) if s == 1]
        return [g.squeeze(x.name, axes)]
    if name == "reshape":
        shape = [-1 if s is None else int(s) for s in a.get("newshape", a.get("new_shape"))]
        return [g.reshape(x.name, shape)]
    if name == "softmax":
        return [act.softmax(g, x.name, a.get("axis", -1))]
    if name == "clip":
        return [act.clip(g, x.name, a.get("x_min"), a.get("x_max"))]
    return [_getitem(g, layer, x, a["index"])]


def _getitem(g: GraphBuilder, layer: Any, x: Value, key: Any) -> str:
    """Basic indexing: ints, slices, ``None`` and one ``...``."""
    items = list(key) if isinstance(key, tuple) else [key]
    if any(not (isinstance(k, (int, np.integer, slice)) or k is None or k is Ellipsis)
           for k in items):
        raise refuse(layer, f"indexing with {key!r} is not exported (ints, slices, None and "
                            "... are).")
    if items.count(Ellipsis) > 1:
        raise refuse(layer, "indexing with several '...' is not valid.")
    if Ellipsis in items:
        at = items.index(Ellipsis)
        used = sum(1 for k in items if k is not None and k is not Ellipsis)
        items[at:at + 1] = [slice(None)] * (x.ndim - used)
    out, axis, dropped, inserted = x.name, 0, [], []
    position = 0
    for k in items:
        if k is None:
            inserted.append(position)
            position += 1
            continue
        if isinstance(k, slice):
            if k != slice(None):
                step = 1 if k.step is None else int(k.step)
                start = k.start if k.start is not None else (0 if step > 0 else -1)
                stop = k.stop if k.stop is not None else (INT64_MAX if step > 0 else -INT64_MAX)
                out = g.slice(out, [int(start)], [int(stop)], [axis], [step])
            position += 1
        else:
            index = int(k)
            out = g.slice(out, [index], [index + 1 if index != -1 else INT64_MAX], [axis])
            dropped.append(axis)
        axis += 1
    if dropped:
        out = g.squeeze(out, dropped)
    if inserted:
        out = g.unsqueeze(out, inserted)
    return out


__all__ = ["SUPPORTED_OPS"]
