"""The ONNX graph under construction: unique value names, constants and one method per op.

:class:`GraphBuilder` collects ``NodeProto`` s and initializers with the ``onnx``
library's helper API and hides the few places where ONNX operators changed
between the opsets descend writes (13 to 21): the reductions take their axes as
an input from opset 18 on, as an attribute before. Converters never touch
``onnx`` directly for those; they call :meth:`GraphBuilder.reduce`.

A value is known by its name (a ``str``); :class:`Value` adds the static shape
the functional graph recorded (``None`` for the batch axis and any unknown
length), which converters read to choose constants.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

_INT64_MAX = np.iinfo(np.int64).max


@dataclass(frozen=True)
class Value:
    """A tensor of the ONNX graph being written.

    Attributes
    ----------
    name : str
        Its unique name in the graph.
    shape : tuple
        Static shape, batch axis first; ``None`` where the length is not known
        when exporting (always the batch axis).
    """

    name: str
    shape: tuple

    @property
    def ndim(self) -> int:
        """Number of axes, batch axis included."""
        return len(self.shape)


class GraphBuilder:
    """Accumulates the nodes and weights of one ONNX graph.

    Parameters
    ----------
    opset : int
        The ONNX default-domain opset the nodes must be valid in.
    dtype : numpy dtype
        The floating dtype of the model (float32 or float64); constants made by
        :meth:`const` use it.

    Attributes
    ----------
    nodes : list of onnx.NodeProto
    initializers : list of onnx.TensorProto
    """

    def __init__(self, opset: int, dtype: Any = np.float32) -> None:
        from onnx import helper, numpy_helper

        self._helper = helper
        self._numpy_helper = numpy_helper
        self.opset = int(opset)
        self.dtype = np.dtype(dtype)
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._used: set[str] = set()
        self._scope = "model"
        self._constants: dict[tuple, str] = {}
        self._transposes: dict[str, tuple[str, list[int]]] = {}

    # ------------------------------------------------------------------ names
    def reserve(self, name: str) -> str:
        """Claim ``name`` exactly (graph inputs and outputs); raise if it is taken."""
        if name in self._used:
            raise ValueError(f"ONNX export: the name '{name}' is used twice in the graph; "
                             "give the model's inputs and outputs distinct names.")
        self._used.add(name)
        return name

    def fresh(self, hint: str) -> str:
        """A new unique value name ``<scope>/<hint>`` (numbered when needed)."""
        base = f"{self._scope}/{hint}"
        name, i = base, 1
        while name in self._used:
            name = f"{base}_{i}"
            i += 1
        self._used.add(name)
        return name

    def scope(self, name: str) -> _Scope:
        """Context manager: names made inside start with ``name`` (a layer's name)."""
        return _Scope(self, name)

    # -------------------------------------------------------------- constants
    def weight(self, array: Any, hint: str = "weight", dtype: Any = None) -> str:
        """Store ``array`` as an initializer (cast to ``dtype``, default the model dtype)."""
        data = np.asarray(array, dtype=self.dtype if dtype is None else dtype)
        name = self.fresh(hint)
        self.initializers.append(self._numpy_helper.from_array(np.ascontiguousarray(data), name))
        return name

    def const(self, value: Any, dtype: Any = None) -> str:
        """A small constant (shared when the same value is asked for again)."""
        data = np.asarray(value, dtype=self.dtype if dtype is None else dtype)
        key = (data.dtype.str, data.shape, data.tobytes())
        name = self._constants.get(key)
        if name is None:
            name = self._constants[key] = self.weight(data, "const", data.dtype)
        return name

    def ints(self, values: Any) -> str:
        """A 1-D int64 constant (shapes, axes, indices)."""
        return self.const(np.asarray(values, dtype=np.int64).reshape(-1), np.int64)

    # ------------------------------------------------------------------- ops
    def op(self, op_type: str, inputs: list[str], hint: str | None = None, outputs: int = 1,
           **attributes: Any) -> Any:
        """Append one node; returns its output name (a list when ``outputs > 1``)."""
        names = [self.fresh(hint or op_type.lower()) for _ in range(outputs)]
        node = self._helper.make_node(op_type, inputs, names, name=self.fresh(f"{op_type}_node"),
                                      **attributes)
        self.nodes.append(node)
        return names[0] if outputs == 1 else names

    def identity(self, x: str, output: str) -> None:
        """Copy ``x`` into the value named ``output`` (a reserved graph output)."""
        self.nodes.append(self._helper.make_node("Identity", [x], [output],
                                                 name=self.fresh("Identity_node")))

    def add(self, a: str, b: str) -> str:
        """``a + b`` (broadcasting)."""
        return self.op("Add", [a, b])

    def sub(self, a: str, b: str) -> str:
        """``a - b`` (broadcasting)."""
        return self.op("Sub", [a, b])

    def mul(self, a: str, b: str) -> str:
        """``a * b`` (broadcasting)."""
        return self.op("Mul", [a, b])

    def div(self, a: str, b: str) -> str:
        """``a / b`` (broadcasting)."""
        return self.op("Div", [a, b])

    def scale(self, x: str, factor: float) -> str:
        """``x * factor`` for a Python number."""
        return self.mul(x, self.const(factor))

    def matmul(self, a: str, b: str) -> str:
        """``a @ b`` with NumPy's broadcasting rules."""
        return self.op("MatMul", [a, b])

    def transpose(self, x: str, perm: list[int] | tuple[int, ...]) -> str:
        """Permute the axes of ``x``.

        Returns ``x`` itself for the identity permutation, and the value before
        the previous transpose when this one undoes it (channels-last layers
        around channels-first ONNX convolutions transpose back and forth).
        """
        perm = [int(p) for p in perm]
        if perm == list(range(len(perm))):
            return x
        earlier = self._transposes.get(x)
        if earlier is not None and [earlier[1][p] for p in perm] == list(range(len(perm))):
            return earlier[0]
        out = self.op("Transpose", [x], perm=perm)
        self._transposes[out] = (x, perm)
        return out

    def reshape(self, x: str, shape: list[int] | tuple[int, ...]) -> str:
        """Reshape ``x``; in ``shape`` 0 copies the input's length, -1 is inferred."""
        return self.op("Reshape", [x, self.ints(shape)])

    def unsqueeze(self, x: str, axes: list[int]) -> str:
        """Insert length-1 axes at ``axes``."""
        return self.op("Unsqueeze", [x, self.ints(axes)])

    def squeeze(self, x: str, axes: list[int]) -> str:
        """Remove the length-1 axes ``axes``."""
        return self.op("Squeeze", [x, self.ints(axes)])

    def concat(self, xs: list[str], axis: int) -> str:
        """Join along ``axis``."""
        return xs[0] if len(xs) == 1 else self.op("Concat", xs, axis=int(axis))

    def slice(self, x: str, starts: list[int], ends: list[int], axes: list[int],
              steps: list[int] | None = None) -> str:
        """``x[starts:ends:steps]`` along ``axes`` (ends may be ``INT64_MAX``)."""
        inputs = [x, self.ints(starts), self.ints(ends), self.ints(axes)]
        if steps is not None:
            inputs.append(self.ints(steps))
        return self.op("Slice", inputs)

    def reverse(self, x: str, axis: int) -> str:
        """``x`` reversed along ``axis`` (a Slice with step -1)."""
        return self.slice(x, [-1], [-_INT64_MAX], [axis], [-1])

    def reduce(self, op_type: str, x: str, axes: list[int] | tuple[int, ...],
               keepdims: bool = True) -> str:
        """``ReduceMean``/``ReduceMax``/``ReduceSum``/... over ``axes``, in any opset.

        ``ReduceSum`` takes its axes as an input from opset 13, the other
        reductions from opset 18; before, they are an attribute.
        """
        axes = [int(a) for a in axes]
        if op_type == "ReduceSum" or self.opset >= 18:
            return self.op(op_type, [x, self.ints(axes)], keepdims=int(keepdims))
        return self.op(op_type, [x], axes=axes, keepdims=int(keepdims))

    def pad(self, x: str, begins: list[int], ends: list[int], value: float = 0.0) -> str:
        """Pad every axis of ``x`` with ``value`` (``begins``/``ends``: one per axis)."""
        return self.op("Pad", [x, self.ints(list(begins) + list(ends)), self.const(value)],
                       mode="constant")

    def shape_of(self, x: str) -> str:
        """``Shape(x)``: the runtime shape of ``x`` (int64, 1-D)."""
        return self.op("Shape", [x])


    def prune(self, outputs: list[str]) -> None:
        """Drop the nodes and initializers no output depends on (transposes that were
        cancelled, outputs of multi-output nodes nobody reads stay with their node)."""
        needed = set(outputs)
        kept = []
        for node in reversed(self.nodes):
            if any(name in needed for name in node.output):
                kept.append(node)
                needed.update(name for name in node.input if name)
        self.nodes = kept[::-1]
        self.initializers = [t for t in self.initializers if t.name in needed]


class _Scope:
    def __init__(self, builder: GraphBuilder, name: str) -> None:
        self.builder, self.name, self.previous = builder, name, builder._scope

    def __enter__(self) -> GraphBuilder:
        self.builder._scope = self.name
        return self.builder

    def __exit__(self, *exc: Any) -> None:
        self.builder._scope = self.previous


INT64_MAX = _INT64_MAX

__all__ = ["INT64_MAX", "GraphBuilder", "Value"]
