"""Functional interface to descend's differentiable primitives.

Every function takes tensors (or numbers/arrays, converted without changing the
float dtype of a tensor operand) and returns a :class:`~descend.autograd.Tensor`.
The classes implementing forward and backward live in the family modules:
``elementwise``, ``reduce``, ``movement``, ``linalg`` and ``nn``.

Examples
--------
>>> from descend.autograd import Tensor, ops
>>> x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
>>> y = ops.sum(ops.exp(x) * 2.0)
>>> y.backward()
>>> x.grad.shape
(2, 2)
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np

from descend.autograd.ops import elementwise as _ew
from descend.autograd.ops import linalg as _la
from descend.autograd.ops import movement as _mv
from descend.autograd.ops import nn as _nn
from descend.autograd.ops import reduce as _rd
from descend.autograd.ops._convert import as_tensor, pair
from descend.autograd.tensor import Tensor

__all__ = [
    "abs", "add", "as_tensor", "binary_crossentropy", "broadcast_to", "cast", "clip",
    "concatenate", "dense", "dense_stack", "div", "exp", "expand_dims", "getitem", "log",
    "log_softmax", "logsumexp", "matmul", "max", "maximum", "mean", "min", "minimum", "mul",
    "neg", "pow", "probability_crossentropy", "relu", "reshape", "sigmoid", "softmax",
    "softmax_crossentropy", "sqrt", "square", "squeeze", "stack", "sub", "sum", "tanh",
    "transpose", "where",
]


def add(a: Any, b: Any) -> Tensor:
    """Elementwise ``a + b`` with broadcasting."""
    return _ew.Add.apply(*pair(a, b))


def sub(a: Any, b: Any) -> Tensor:
    """Elementwise ``a - b`` with broadcasting."""
    return _ew.Sub.apply(*pair(a, b))


def mul(a: Any, b: Any) -> Tensor:
    """Elementwise ``a * b`` with broadcasting."""
    return _ew.Mul.apply(*pair(a, b))


def div(a: Any, b: Any) -> Tensor:
    """Elementwise ``a / b`` with broadcasting."""
    return _ew.Div.apply(*pair(a, b))


def neg(a: Any) -> Tensor:
    """Elementwise ``-a``."""
    return _ew.Neg.apply(as_tensor(a))


def pow(a: Any, b: Any) -> Tensor:  # noqa: A001  (mirrors operator.pow)
    """Elementwise ``a ** b`` (``b`` may be a tensor)."""
    return _ew.Pow.apply(*pair(a, b))


def square(a: Any) -> Tensor:
    """Elementwise ``a * a``."""
    a = as_tensor(a)
    return _ew.Mul.apply(a, a)


def exp(a: Any) -> Tensor:
    """Elementwise ``e ** a``."""
    return _ew.Exp.apply(as_tensor(a))


def log(a: Any) -> Tensor:
    """Elementwise natural logarithm."""
    return _ew.Log.apply(as_tensor(a))


def sqrt(a: Any) -> Tensor:
    """Elementwise square root."""
    return _ew.Sqrt.apply(as_tensor(a))


def abs(a: Any) -> Tensor:  # noqa: A001
    """Elementwise absolute value."""
    return _ew.Abs.apply(as_tensor(a))


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise maximum of ``a`` and ``b``."""
    return _ew.Maximum.apply(*pair(a, b))


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise minimum of ``a`` and ``b``."""
    return _ew.Minimum.apply(*pair(a, b))


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """Take ``a`` where ``condition`` is true, else ``b`` (``condition`` has no gradient)."""
    cond = np.asarray(condition.data if isinstance(condition, Tensor) else condition, bool)
    return _ew.Where.apply(*pair(a, b), condition=cond)


def clip(a: Any, min_value: Any = None, max_value: Any = None) -> Tensor:
    """Clip ``a`` to ``[min_value, max_value]`` (either bound may be ``None``)."""
    low = min_value.data if isinstance(min_value, Tensor) else min_value
    high = max_value.data if isinstance(max_value, Tensor) else max_value
    return _ew.Clip.apply(as_tensor(a), low=low, high=high)


def cast(a: Any, dtype: Any) -> Tensor:
    """Convert ``a`` to ``dtype``; the gradient is converted back."""
    return _ew.Cast.apply(as_tensor(a), dtype=np.dtype(dtype))


def sum(a: Any, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Sum over ``axis`` (int, tuple or ``None`` for all)."""
    return _rd.Sum.apply(as_tensor(a), axis=axis, keepdims=keepdims)


def mean(a: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Arithmetic mean over ``axis``."""
    return _rd.Mean.apply(as_tensor(a), axis=axis, keepdims=keepdims)


def max(a: Any, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Maximum over ``axis``; tied maxima share the gradient."""
    return _rd.Max.apply(as_tensor(a), axis=axis, keepdims=keepdims)


def min(a: Any, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Minimum over ``axis``; tied minima share the gradient."""
    return _rd.Min.apply(as_tensor(a), axis=axis, keepdims=keepdims)


def logsumexp(a: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Stable ``log(sum(exp(a)))`` over ``axis``."""
    return _rd.LogSumExp.apply(as_tensor(a), axis=axis, keepdims=keepdims)


def reshape(a: Any, shape: Sequence[int]) -> Tensor:
    """Reshape to ``shape`` (one entry may be -1)."""
    return _mv.Reshape.apply(as_tensor(a), shape=tuple(shape))


def transpose(a: Any, axes: Sequence[int] | None = None) -> Tensor:
    """Permute the axes (reverse them when ``axes`` is ``None``)."""
    return _mv.Transpose.apply(as_tensor(a), axes=axes)


def broadcast_to(a: Any, shape: Sequence[int]) -> Tensor:
    """Broadcast to ``shape``; the gradient is summed back by the engine."""
    return _mv.BroadcastTo.apply(as_tensor(a), shape=tuple(shape))


def expand_dims(a: Any, axis: int) -> Tensor:
    """Insert a length-1 axis at ``axis``."""
    a = as_tensor(a)
    return reshape(a, np.expand_dims(np.empty(a.shape, bool), axis).shape)


def squeeze(a: Any, axis: Any = None) -> Tensor:
    """Remove length-1 axes (all of them, or those in ``axis``)."""
    a = as_tensor(a)
    return reshape(a, np.squeeze(np.empty(a.shape, bool), axis).shape)


def getitem(a: Any, index: Any) -> Tensor:
    """``a[index]`` with basic or advanced indexing."""
    if isinstance(index, Tensor):
        index = _index_array(index)
    elif isinstance(index, tuple):
        index = tuple(_index_array(i) if isinstance(i, Tensor) else i for i in index)
    return _mv.GetItem.apply(as_tensor(a), index=index)


def _index_array(index: Tensor) -> np.ndarray:
    """A tensor used as an index: boolean masks stay masks, anything else becomes int."""
    data = index.data
    return data if data.dtype.kind == "b" else data.astype(np.intp)


def concatenate(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis."""
    return _mv.Concatenate.apply(*[as_tensor(t) for t in tensors], axis=axis)


def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join same-shape tensors along a new axis."""
    return _mv.Stack.apply(*[as_tensor(t) for t in tensors], axis=axis)


def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product with NumPy's batching and broadcasting rules."""
    return _la.MatMul.apply(*pair(a, b))


def sigmoid(a: Any) -> Tensor:
    """Logistic sigmoid ``1 / (1 + exp(-a))``, computed without overflow."""
    return _nn.Sigmoid.apply(as_tensor(a))


def tanh(a: Any) -> Tensor:
    """Hyperbolic tangent."""
    return _nn.Tanh.apply(as_tensor(a))


def relu(a: Any) -> Tensor:
    """Rectified linear unit ``max(a, 0)``."""
    return _nn.Relu.apply(as_tensor(a))


def softmax(a: Any, axis: int = -1) -> Tensor:
    """Softmax along ``axis``."""
    return _nn.Softmax.apply(as_tensor(a), axis=axis)


def log_softmax(a: Any, axis: int = -1) -> Tensor:
    """Log-softmax along ``axis``."""
    return _nn.LogSoftmax.apply(as_tensor(a), axis=axis)


def dense(x: Any, kernel: Any, bias: Any = None, activation: str = "linear") -> Tensor:
    """Fused ``activation(x @ kernel + bias)``.

    Parameters
    ----------
    x : Tensor, shape (..., in)
    kernel : Tensor, shape (in, units)
    bias : Tensor, shape (units,), optional
    activation : {"linear", "relu", "sigmoid", "tanh", "softmax"}, default "linear"

    Returns
    -------
    Tensor, shape (..., units)
    """
    if activation not in _nn.FUSED_ACTIVATIONS:
        raise ValueError(
            f"dense: activation must be one of {_nn.FUSED_ACTIVATIONS}, received {activation!r}."
        )
    x, kernel = as_tensor(x), as_tensor(kernel)
    if bias is None:
        return _nn.Dense.apply(x, kernel, activation=activation)
    return _nn.Dense.apply(x, kernel, as_tensor(bias), activation=activation)


def dense_stack(x: Any, layers: Any) -> Tensor:
    """Several fused dense layers as one graph node (see :class:`nn.DenseStack`).

    Parameters
    ----------
    x : Tensor, shape (..., in)
    layers : sequence of (kernel, bias or None, activation)
        Applied in order; each activation one of ``"linear"``, ``"relu"``,
        ``"sigmoid"``, ``"tanh"``, ``"softmax"``.

    Returns
    -------
    Tensor, shape (..., units of the last layer)
    """
    params: list[Tensor] = []
    activations, has_bias = [], []
    for kernel, bias, activation in layers:
        if activation not in _nn.FUSED_ACTIVATIONS:
            raise ValueError(
                f"dense_stack: activation must be one of {_nn.FUSED_ACTIVATIONS}, received "
                f"{activation!r}."
            )
        params.append(as_tensor(kernel))
        if bias is not None:
            params.append(as_tensor(bias))
        activations.append(activation)
        has_bias.append(bias is not None)
    if not activations:
        raise ValueError("dense_stack: expected at least one (kernel, bias, activation) layer.")
    return _nn.DenseStack.apply(as_tensor(x), *params, activations=tuple(activations),
                                has_bias=tuple(has_bias))


def _labels(target: Any) -> np.ndarray:
    return np.asarray(target.data if isinstance(target, Tensor) else target)


def softmax_crossentropy(logits: Any, target: Any, sparse: bool = True) -> Tensor:
    """Per-sample cross-entropy of ``softmax(logits)`` (fused, stable).

    Parameters
    ----------
    logits : Tensor, shape (..., classes)
    target : array_like
        Class ids of shape ``logits.shape[:-1]`` if ``sparse`` else probabilities
        of ``logits.shape``.
    sparse : bool, default True

    Returns
    -------
    Tensor, shape ``logits.shape[:-1]``

    Raises
    ------
    ValueError
        If sparse targets are not one integer class id in ``[0, classes)`` per row
        (shape ``logits.shape[:-1]``, or with a trailing 1), or if dense targets do
        not have ``logits.shape``.

    Examples
    --------
    >>> from descend.autograd import Tensor, ops
    >>> z = Tensor([[2.0, 0.0, 0.0]], requires_grad=True)
    >>> loss = ops.softmax_crossentropy(z, [0])
    >>> loss.backward()
    >>> z.grad.round(4)  # softmax(z) - one_hot(0)
    array([[-0.213 ,  0.1065,  0.1065]], dtype=float32)
    """
    return _nn.SoftmaxCrossEntropy.apply(as_tensor(logits), target=_labels(target), sparse=sparse)


def probability_crossentropy(
    probs: Any, target: Any, sparse: bool = True, eps: float = 1e-7
) -> Tensor:
    """Per-sample Keras categorical cross-entropy of probabilities (renormalised, clipped).

    ``q = probs / sum(probs)``, ``loss = -sum(target * log(clip(q, eps, 1 - eps)))``
    (``-log(clip(q[label]))`` when ``sparse``). Clipped entries get no gradient.

    Parameters
    ----------
    probs : Tensor, shape (..., classes)
    target : array_like
        Class ids of shape ``probs.shape[:-1]`` if ``sparse`` else probabilities of
        ``probs.shape``.
    sparse : bool, default True
    eps : float, default 1e-7

    Returns
    -------
    Tensor, shape ``probs.shape[:-1]``

    Raises
    ------
    ValueError
        As :func:`softmax_crossentropy`, for targets that do not fit ``probs``.

    Examples
    --------
    >>> from descend.autograd import ops
    >>> ops.probability_crossentropy([[0.5, 0.25, 0.25]], [0]).data.round(4)
    array([0.6931], dtype=float32)
    """
    return _nn.ProbabilityCrossEntropy.apply(
        as_tensor(probs), target=_labels(target), sparse=sparse, eps=eps
    )


def binary_crossentropy(
    x: Any, target: Any, from_logits: bool = False, eps: float = 1e-7
) -> Tensor:
    """Elementwise binary cross-entropy of probabilities (clipped) or of logits (stable)."""
    return _nn.BinaryCrossEntropy.apply(
        as_tensor(x), target=_labels(target), from_logits=from_logits, eps=eps
    )


def squared_error(x: Any, target: Any) -> Tensor:
    """Elementwise ``(x - target)²``; ``target`` is a constant (no gradient)."""
    return _nn.SquaredError.apply(as_tensor(x), target=_labels(target))


del builtins

