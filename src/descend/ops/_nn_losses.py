"""Encodings and cross-entropies of ``keras.ops.nn``.

``one_hot``/``multi_hot`` build float (or ``dtype``) indicator arrays (no
gradient). The cross-entropies return the *unreduced* loss, Keras's way:
``binary_crossentropy`` elementwise, ``categorical_crossentropy`` and
``sparse_categorical_crossentropy`` summed over the class ``axis``. From
probabilities, Keras clips to ``[epsilon, 1 - epsilon]`` (``epsilon = 1e-7``;
clipped entries get no gradient) and, for the categorical ones, first divides by
the sum over ``axis``. They run on the engine's fused primitives; when the
*target* itself needs a gradient (soft targets from a teacher network), the same
formulas run as composite ops so that the target gets its gradient too.

Examples
--------
>>> import numpy as np
>>> from descend.ops import nn
>>> nn.categorical_crossentropy([[0.0, 1.0]], [[0.5, 0.5]]).data.round(4)
array([0.6931], dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend import config
from descend.autograd import ops as _ops
from descend.autograd.tensor import Tensor
from descend.ops._dispatch import keras_op
from descend.ops._nn_common import array, constant, tensor

__all__ = [
    "binary_crossentropy", "categorical_crossentropy", "multi_hot", "one_hot",
    "sparse_categorical_crossentropy",
]


def _check_classes(num_classes: Any, op: str) -> int:
    if num_classes is None or isinstance(num_classes, bool) or int(num_classes) != num_classes \
            or int(num_classes) < 1:
        raise ValueError(f"{op}: num_classes must be a positive int, received {num_classes!r}.")
    return int(num_classes)


def _int_ids(x: Any, op: str) -> np.ndarray:
    ids = array(x)
    if ids.dtype.kind not in "iub" and not (ids.dtype.kind == "f" and np.all(ids == np.floor(ids))):
        raise TypeError(f"{op}: expected integer class ids, received dtype {ids.dtype}.")
    return ids.astype(np.int64)


@keras_op
def one_hot(x: Any, num_classes: int, axis: int = -1, dtype: Any = None,
            sparse: bool = False) -> Tensor:
    """One-hot encode integer ids (no gradient).

    Parameters
    ----------
    x : int tensor-like, any shape ``s``
        Class ids; a negative id (or one ``>= num_classes``) encodes as all zeros.
    num_classes : int
    axis : int, default -1
        Position of the new class axis in the result.
    dtype : dtype, optional
        Default ``config.floatx()`` (float32).
    sparse : bool, default False
        Sparse results are not supported (as with Keras's torch backend).

    Returns
    -------
    Tensor, shape ``s`` with ``num_classes`` inserted at ``axis``
    """
    if sparse:
        raise ValueError("one_hot: sparse=True is not supported; pass sparse=False.")
    num_classes = _check_classes(num_classes, "one_hot")
    ids = _int_ids(x, "one_hot")
    out = ids[..., None] == np.arange(num_classes)
    if not -out.ndim <= axis < out.ndim:
        raise ValueError(f"one_hot: axis {axis} is out of range for a result of rank {out.ndim}.")
    out = np.moveaxis(out, -1, axis)
    return constant(out.astype(dtype or config.floatx()))


@keras_op
def multi_hot(inputs: Any, num_classes: int | None = None, axis: int = -1, dtype: Any = None,
              sparse: bool = False, **kwargs: Any) -> Tensor:
    """Multi-hot encode integer ids: 1 for each class present in a sample (no gradient).

    Parameters
    ----------
    inputs : int tensor-like, shape (batch, n) or (n,)
    num_classes : int
        (``num_tokens`` is accepted as a legacy alias, as in Keras.)
    axis : int, default -1
        Position of the class axis in the one-hot encoding before the reduction.
    dtype : dtype, optional
        Default ``config.floatx()``.
    sparse : bool, default False
        Not supported.

    Returns
    -------
    Tensor, shape (batch, num_classes) (or (num_classes,) for 1-D ``inputs``)
    """
    if num_classes is None and "num_tokens" in kwargs:
        num_classes = kwargs.pop("num_tokens")
    if kwargs:
        raise TypeError(f"multi_hot: unexpected keyword arguments {sorted(kwargs)}.")
    ids = _int_ids(inputs, "multi_hot")
    encoded = one_hot(ids, num_classes, axis=axis, dtype=dtype, sparse=sparse).data
    return constant(np.max(encoded, axis=1 if ids.ndim > 1 else 0))


def _pair(target: Any, output: Any) -> tuple[Tensor, Tensor]:
    output = tensor(output)
    target = target if isinstance(target, Tensor) else tensor(np.asarray(array(target),
                                                                           output.dtype))
    return target, output


def _needs_target_grad(target: Tensor) -> bool:
    return target.requires_grad


@keras_op
def binary_crossentropy(target: Any, output: Any, from_logits: bool = False) -> Tensor:
    """Elementwise binary cross-entropy ``-(t log p + (1 - t) log(1 - p))``.

    Parameters
    ----------
    target : tensor-like, shape ``s``
        Targets in [0, 1].
    output : tensor-like, shape ``s``
        Probabilities (clipped to ``[1e-7, 1 - 1e-7]``), or logits if ``from_logits``
        (then the stable ``max(z, 0) - z t + log(1 + exp(-|z|))``).
    from_logits : bool, default False

    Returns
    -------
    Tensor, shape ``s``
    """
    target, output = _pair(target, output)
    if target.shape != output.shape:
        raise ValueError(
            f"binary_crossentropy: target and output must have the same shape, received "
            f"target {target.shape} and output {output.shape}."
        )
    eps = config.epsilon()
    if not _needs_target_grad(target):
        return _ops.binary_crossentropy(output, target.data, from_logits=from_logits, eps=eps)
    if from_logits:
        return (_ops.relu(output) - output * target
                + _ops.log(_ops.exp(-_ops.abs(output)) + 1.0))
    p = _ops.clip(output, eps, 1.0 - eps)
    return -(target * _ops.log(p) + (1.0 - target) * _ops.log(1.0 - p))


def _class_axis_last(x: Tensor, axis: int) -> Tensor:
    axis = axis % x.ndim
    if axis == x.ndim - 1:
        return x
    return _ops.transpose(x, (*(i for i in range(x.ndim) if i != axis), axis))


@keras_op
def categorical_crossentropy(target: Any, output: Any, from_logits: bool = False,
                             axis: int = -1) -> Tensor:
    """Cross-entropy ``-sum(t * log(p))`` over the class ``axis``.

    Parameters
    ----------
    target : tensor-like, shape ``s``
        One-hot or probability targets.
    output : tensor-like, shape ``s``
        Probabilities (divided by their sum over ``axis``, then clipped to
        ``[1e-7, 1 - 1e-7]``), or logits if ``from_logits`` (``log_softmax``).
    from_logits : bool, default False
    axis : int, default -1

    Returns
    -------
    Tensor, shape ``s`` without ``axis``
    """
    target, output = _pair(target, output)
    if target.shape != output.shape:
        raise ValueError(
            f"categorical_crossentropy: target and output must have the same shape, received "
            f"target {target.shape} and output {output.shape}."
        )
    if output.ndim < 1:
        raise ValueError("categorical_crossentropy: target and output must be at least rank 1.")
    if not -output.ndim <= axis < output.ndim:
        raise ValueError(
            f"categorical_crossentropy: axis {axis} is out of range for rank {output.ndim}."
        )
    if _needs_target_grad(target):
        if from_logits:
            log_prob = _ops.log_softmax(output, axis=axis)
        else:
            eps = config.epsilon()
            q = output / _ops.sum(output, axis=axis, keepdims=True)
            log_prob = _ops.log(_ops.clip(q, eps, 1.0 - eps))
        return -_ops.sum(target * log_prob, axis=axis)
    output = _class_axis_last(output, axis)
    t = _class_axis_last(target, axis).data
    if from_logits:
        return _ops.softmax_crossentropy(output, t, sparse=False)
    return _ops.probability_crossentropy(output, t, sparse=False, eps=config.epsilon())


@keras_op
def sparse_categorical_crossentropy(target: Any, output: Any, from_logits: bool = False,
                                    axis: int = -1) -> Tensor:
    """Cross-entropy against integer class ids: ``-log(p[target])`` along ``axis``.

    Parameters
    ----------
    target : int tensor-like, shape ``s`` without ``axis`` (a trailing 1 there is squeezed)
        Class ids (no gradient).
    output : tensor-like, shape ``s``
        Probabilities (renormalised over ``axis`` and clipped) or logits.
    from_logits : bool, default False
    axis : int, default -1

    Returns
    -------
    Tensor, shape ``s`` without ``axis``
    """
    output = tensor(output)
    if output.ndim < 1:
        raise ValueError("sparse_categorical_crossentropy: output must be at least rank 1.")
    if not -output.ndim <= axis < output.ndim:
        raise ValueError(
            f"sparse_categorical_crossentropy: axis {axis} is out of range for rank "
            f"{output.ndim}."
        )
    ids = _int_ids(target, "sparse_categorical_crossentropy")
    if ids.ndim == output.ndim and ids.shape[axis] == 1:
        ids = np.squeeze(ids, axis=axis)
    expected = tuple(n for i, n in enumerate(output.shape) if i != axis % output.ndim)
    if ids.shape != expected:
        raise ValueError(
            f"sparse_categorical_crossentropy: target must have the output's shape without the "
            f"class axis, {expected}, received {ids.shape}."
        )
    classes = output.shape[axis]
    if ids.size and (ids.min() < 0 or ids.max() >= classes):
        raise ValueError(
            f"sparse_categorical_crossentropy: target class ids must lie in [0, {classes - 1}] "
            f"for an output with {classes} classes along axis {axis}, received ids from "
            f"{ids.min()} to {ids.max()}."
        )
    output = _class_axis_last(output, axis)
    if from_logits:
        return _ops.softmax_crossentropy(output, ids, sparse=True)
    return _ops.probability_crossentropy(output, ids, sparse=True, eps=config.epsilon())
