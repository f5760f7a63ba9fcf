"""descend's activation functions as ONNX nodes (``activation=`` arguments and layers).

Each activation is written with the formula descend computes, so that the
exported model agrees with ``predict`` to float32 rounding: ``softplus`` as
``relu(x) + log(1 + exp(-|x|))`` (never overflows), ``hard_sigmoid`` as
``clip(x + 3, 0, 6) / 6``, ``gelu`` with ``Erf``...
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from descend import activations as A
from descend.export.onnx.builder import GraphBuilder
from descend.export.onnx.registry import refuse

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def clip(g: GraphBuilder, x: str, low: float | None, high: float | None) -> str:
    """``min(max(x, low), high)``; ``None`` leaves that side open."""
    inputs = [x, "" if low is None else g.const(low), "" if high is None else g.const(high)]
    while inputs[-1] == "":
        inputs.pop()
    return g.op("Clip", inputs)


def softplus(g: GraphBuilder, x: str) -> str:
    """``relu(x) + log(1 + exp(-|x|))``: descend's overflow-free softplus."""
    tail = g.op("Log", [g.add(g.op("Exp", [g.op("Neg", [g.op("Abs", [x])])]), g.const(1.0))])
    return g.add(g.op("Relu", [x]), tail)


def hard_sigmoid(g: GraphBuilder, x: str) -> str:
    """``clip(x + 3, 0, 6) / 6``."""
    return g.scale(clip(g, g.add(x, g.const(3.0)), 0.0, 6.0), 1.0 / 6.0)


def relu(g: GraphBuilder, x: str, negative_slope: float = 0.0, max_value: float | None = None,
         threshold: float = 0.0) -> str:
    """Keras's generalised ReLU: ``min(x, max_value)`` above ``threshold``, else
    ``negative_slope * (x - threshold)``."""
    if negative_slope == 0 and max_value is None and threshold == 0:
        return g.op("Relu", [x])
    positive = x if max_value is None else clip(g, x, 0.0, max_value)
    if negative_slope:
        negative = g.scale(g.sub(x, g.const(threshold)), negative_slope)
    else:
        negative = g.op("Mul", [x, g.const(0.0)])  # zeros of x's shape
    above = g.op("Greater", [x, g.const(threshold)])
    return g.op("Where", [above, positive, negative])


def elu(g: GraphBuilder, x: str, alpha: float = 1.0) -> str:
    """``x`` for ``x > 0``, else ``alpha * (exp(x) - 1)``."""
    return g.op("Elu", [x], alpha=float(alpha))


def softmax(g: GraphBuilder, x: str, axis: Any = -1) -> str:
    """Softmax along one axis, or along several as ``exp(x - logsumexp(x, axes))``."""
    if isinstance(axis, (list, tuple)) and len(axis) > 1:
        total = g.reduce("ReduceLogSumExp", x, list(axis), keepdims=True)
        return g.op("Exp", [g.sub(x, total)])
    if isinstance(axis, (list, tuple)):
        axis = axis[0]
    return g.op("Softmax", [x], axis=int(axis))


def _gelu(g: GraphBuilder, x: str) -> str:
    cdf = g.scale(g.add(g.op("Erf", [g.scale(x, 1.0 / math.sqrt(2.0))]), g.const(1.0)), 0.5)
    return g.mul(x, cdf)


def _glu(g: GraphBuilder, x: str, size: int | None, layer: Any) -> str:
    if size is None or size % 2:
        raise refuse(layer, "its glu activation needs an even, known size of the last axis.")
    first = g.slice(x, [0], [size // 2], [-1])
    second = g.slice(x, [size // 2], [size], [-1])
    return g.mul(first, g.op("Sigmoid", [second]))


def _sparse_plus(g: GraphBuilder, x: str) -> str:
    middle = g.add(clip(g, x, -1.0, 1.0), g.const(1.0))
    curve = g.scale(g.mul(middle, middle), 0.25)
    return g.op("Where", [g.op("GreaterOrEqual", [x, g.const(1.0)]), x, curve])


_SIMPLE: dict[Callable[..., Any], Callable[[GraphBuilder, str], str]] = {
    A.linear: lambda g, x: x,
    A.relu: lambda g, x: g.op("Relu", [x]),
    A.sigmoid: lambda g, x: g.op("Sigmoid", [x]),
    A.tanh: lambda g, x: g.op("Tanh", [x]),
    A.softmax: lambda g, x: g.op("Softmax", [x], axis=-1),
    A.log_softmax: lambda g, x: g.op("LogSoftmax", [x], axis=-1),
    A.exponential: lambda g, x: g.op("Exp", [x]),
    A.leaky_relu: lambda g, x: g.op("LeakyRelu", [x], alpha=0.2),
    A.relu6: lambda g, x: clip(g, x, 0.0, 6.0),
    A.elu: lambda g, x: elu(g, x),
    A.selu: lambda g, x: g.op("Selu", [x], alpha=_SELU_ALPHA, gamma=_SELU_SCALE),
    A.celu: lambda g, x: g.op("Celu", [x], alpha=1.0),
    A.gelu: _gelu,
    A.softplus: softplus,
    A.softsign: lambda g, x: g.op("Softsign", [x]),
    A.silu: lambda g, x: g.mul(x, g.op("Sigmoid", [x])),
    A.mish: lambda g, x: g.mul(x, g.op("Tanh", [softplus(g, x)])),
    A.log_sigmoid: lambda g, x: g.op("Neg", [softplus(g, g.op("Neg", [x]))]),
    A.squareplus: lambda g, x: g.scale(
        g.add(x, g.op("Sqrt", [g.add(g.mul(x, x), g.const(4.0))])), 0.5),
    A.tanh_shrink: lambda g, x: g.sub(x, g.op("Tanh", [x])),
    A.hard_sigmoid: hard_sigmoid,
    A.hard_silu: lambda g, x: g.mul(x, hard_sigmoid(g, x)),
    A.hard_tanh: lambda g, x: clip(g, x, -1.0, 1.0),
    A.soft_shrink: lambda g, x: g.op("Shrink", [x], bias=0.5, lambd=0.5),
    A.hard_shrink: lambda g, x: g.op("Shrink", [x], bias=0.0, lambd=0.5),
    A.sparse_plus: _sparse_plus,
    A.sparse_sigmoid: lambda g, x: g.scale(g.add(clip(g, x, -1.0, 1.0), g.const(1.0)), 0.5),
}

EXPORTABLE = sorted({fn.__name__ for fn in _SIMPLE} | {"glu", "swish", "hard_swish"})
"""Names of the activations ONNX export writes."""


def apply(g: GraphBuilder, fn: Callable[..., Any], x: str, layer: Any,
          last_axis: int | None = None) -> str:
    """The nodes of activation ``fn`` applied to ``x``.

    Parameters
    ----------
    g : GraphBuilder
    fn : callable
        A descend activation (``layer.activation``).
    x : str
        The input value.
    layer : Layer
        Named in the error when ``fn`` cannot be exported.
    last_axis : int, optional
        The static size of ``x``'s last axis (``glu`` needs it).

    Raises
    ------
    ValueError
        For an activation ONNX export does not know (a custom function,
        ``sparsemax``...), naming the layer and the activation.
    """
    convert = _SIMPLE.get(fn)
    if convert is not None:
        return convert(g, x)
    if fn is A.glu:
        return _glu(g, x, last_axis, layer)
    name = getattr(fn, "__name__", repr(fn))
    raise refuse(layer, f"its activation '{name}' has no ONNX translation (exportable: "
                        f"{', '.join(EXPORTABLE)}).")


__all__ = ["EXPORTABLE", "apply", "clip", "elu", "hard_sigmoid", "relu", "softmax", "softplus"]
