"""``descend.ops.math``: Keras's numeric ops outside ``keras.ops.numpy``.

Special functions (``erf``, ``erfc``, ``erfinv``), ``rsqrt``, ``logsumexp``,
``logdet``, distances (``cdist``), top-k selection, segment reductions,
framing (``extract_sequences``), einops-style ``rearrange`` and the Fourier
family (re-exported from :mod:`descend.ops._spectral`, no gradient).

Examples
--------
>>> import numpy as np
>>> from descend.ops import math
>>> values, indices = math.top_k(np.array([1.0, 3.0, 2.0]), 2)
>>> values.data, indices.data
(array([3., 2.]), array([1, 2], dtype=int32))
>>> math.segment_sum(np.array([1.0, 2.0, 3.0]), np.array([0, 0, 1])).data
array([3., 3.])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.autograd import ops as _ops
from descend.autograd.ops import special as _special
from descend.autograd.ops.linalg_ext import LogAbsDet
from descend.autograd.ops.segment import SegmentReduce
from descend.autograd.tensor import Tensor
from descend.ops._dispatch import keras_op
from descend.ops._opargs import array_of, check_matrix, constant, float_tensor, int_array
from descend.ops._rearrange import rearrange
from descend.ops._spectral import (
    fft,
    fft2,
    ifft2,
    irfft,
    istft,
    rfft,
    stft,
    view_as_complex,
    view_as_real,
)

__all__ = [
    "cdist", "erf", "erfc", "erfinv", "extract_sequences", "fft", "fft2", "ifft2", "in_top_k",
    "irfft", "istft", "logdet", "logsumexp", "rearrange", "rfft", "rsqrt", "segment_max",
    "segment_min", "segment_prod", "segment_sum", "stft", "top_k", "view_as_complex",
    "view_as_real",
]


@keras_op
def erf(x: Any) -> Tensor:
    """Error function ``erf(x) = 2/sqrt(pi) * integral_0^x exp(-t**2) dt`` (differentiable).

    Parameters
    ----------
    x : tensor, any shape
        Integers and Python numbers are computed in floatx.

    Returns
    -------
    Tensor, shape of ``x``
    """
    return _special.Erf.apply(float_tensor(x, "erf"))


@keras_op
def erfc(x: Any) -> Tensor:
    """Complementary error function ``1 - erf(x)``, accurate for large ``x`` (differentiable).

    Parameters
    ----------
    x : tensor, any shape
        Integers and Python numbers are computed in floatx.

    Returns
    -------
    Tensor, shape of ``x``
    """
    return _special.Erfc.apply(float_tensor(x, "erfc"))


@keras_op
def erfinv(x: Any) -> Tensor:
    """Inverse error function on ``[-1, 1]`` (``±inf`` at ``±1``, NaN outside; differentiable).

    Parameters
    ----------
    x : tensor, any shape
        Integers and Python numbers are computed in floatx.

    Returns
    -------
    Tensor, shape of ``x``
    """
    return _special.Erfinv.apply(float_tensor(x, "erfinv"))


@keras_op
def rsqrt(x: Any) -> Tensor:
    """``1 / sqrt(x)`` elementwise (differentiable).

    Parameters
    ----------
    x : tensor, any shape
        Integers and Python numbers are computed in floatx.

    Returns
    -------
    Tensor, shape of ``x``
    """
    x = float_tensor(x, "rsqrt")
    return _ops.div(1.0, _ops.sqrt(x))


@keras_op
def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """``log(sum(exp(x), axis))`` computed without overflow (differentiable).

    Parameters
    ----------
    x : tensor
    axis : int, tuple of int or None, default None (all axes)
    keepdims : bool, default False

    Returns
    -------
    Tensor
    """
    x = float_tensor(x, "logsumexp")
    try:
        return _ops.logsumexp(x, axis=axis, keepdims=keepdims)
    except ValueError as error:
        raise ValueError(f"logsumexp: {error}") from error


@keras_op
def logdet(x: Any) -> Tensor:
    """``log(det(x))`` of square matrices, computed through ``slogdet`` (differentiable).

    Parameters
    ----------
    x : tensor, shape (..., n, n)
        Meant for positive-definite matrices; a negative determinant gives
        NaN and a zero one ``-inf``, as in Keras with the PyTorch backend.

    Returns
    -------
    Tensor, shape (...)
    """
    x = float_tensor(x, "logdet")
    check_matrix(x, "logdet", square=True)
    value = LogAbsDet.apply(x)
    sign = np.linalg.slogdet(x.data)[0]
    return _ops.where(sign >= 0, value, np.nan)


@keras_op
def cdist(x: Any, y: Any) -> Tensor:
    """Euclidean distances between the rows of ``x`` and of ``y``.

    Parameters
    ----------
    x : tensor, shape (..., m, d)
    y : tensor, shape (..., n, d)

    Returns
    -------
    Tensor, shape (..., m, n) (differentiable where distances are non-zero)
    """
    x, y = float_tensor(x, "cdist", "x"), float_tensor(y, "cdist", "y")
    if x.ndim < 2 or y.ndim < 2:
        raise ValueError(f"cdist: x and y must have rank >= 2, received shapes {x.shape} and "
                         f"{y.shape}.")
    if x.shape[-1] != y.shape[-1]:
        raise ValueError(f"cdist: x and y must have the same last dimension, received "
                         f"{x.shape} and {y.shape}.")
    diff = _ops.sub(_ops.expand_dims(x, -2), _ops.expand_dims(y, -3))
    return _ops.sqrt(_ops.sum(_ops.square(diff), axis=-1))


def _check_k(k: Any, size: int, op: str) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k <= size:
        raise ValueError(f"{op}: k must be an int in [0, {size}] (the size of the last axis), "
                         f"received {k!r}.")
    return int(k)


@keras_op
def top_k(x: Any, k: int, sorted: bool = True) -> tuple[Tensor, Tensor]:  # noqa: A002
    """The ``k`` largest values along the last axis and their indices.

    Parameters
    ----------
    x : tensor, shape (..., n)
    k : int
    sorted : bool, default True
        descend always returns them in descending order (ties: lower index first),
        which is a valid answer for ``sorted=False`` too.

    Returns
    -------
    values : Tensor, shape (..., k)
        Differentiable (the gradient goes to the selected entries).
    indices : Tensor of int32, shape (..., k)
    """
    x = x if isinstance(x, Tensor) else constant(array_of(x))
    if x.ndim == 0:
        raise ValueError("top_k: x must have at least one dimension.")
    k = _check_k(k, x.shape[-1], "top_k")
    order = np.argsort(-x.data if x.data.dtype.kind != "b" else ~x.data, axis=-1,
                       kind="stable")[..., :k]
    if x.data.dtype.kind == "f":
        grids = np.indices(order.shape, sparse=True)[:-1]
        values = _ops.getitem(x, (*grids, order))
    else:
        values = constant(np.take_along_axis(x.data, order, axis=-1))
    return values, constant(order.astype(np.int32))


@keras_op
def in_top_k(targets: Any, predictions: Any, k: int) -> Tensor:
    """Whether each target's prediction is among the ``k`` largest (ties count as inside).

    Parameters
    ----------
    targets : int tensor, shape (batch,)
    predictions : tensor, shape (batch, classes)
    k : int

    Returns
    -------
    Tensor of bool, shape (batch,)
    """
    ids = int_array(targets, "in_top_k", "targets")
    preds = array_of(predictions)
    if preds.ndim != 2 or ids.shape != preds.shape[:1]:
        raise ValueError(f"in_top_k: predictions must have shape (batch, classes) and targets "
                         f"(batch,), received {preds.shape} and {ids.shape}.")
    k = _check_k(k, preds.shape[-1], "in_top_k")
    if np.any((ids < 0) | (ids >= preds.shape[-1])):
        raise ValueError(f"in_top_k: targets must be class indices in [0, {preds.shape[-1]}).")
    if k == 0:
        return constant(np.zeros(ids.shape, bool))
    target_values = np.take_along_axis(preds, ids[:, None], axis=-1)
    kth = -np.sort(-preds, axis=-1)[:, k - 1:k]
    return constant(np.any(target_values >= kth, axis=-1))


def _segment(data: Any, segment_ids: Any, num_segments: Any, kind: str, op: str) -> Tensor:
    data = data if isinstance(data, Tensor) else constant(array_of(data))
    ids = int_array(segment_ids, op, "segment_ids")
    if data.ndim == 0 or ids.shape != data.shape[:1]:
        raise ValueError(f"{op}: segment_ids must have shape ({data.shape[:1] or '?'}) (one id "
                         f"per row of data), received {ids.shape} for data of shape "
                         f"{data.shape}.")
    if num_segments is None:
        num_segments = int(ids.max()) + 1 if ids.size else 0
    num_segments = int(num_segments)
    if ids.size and ids.max() >= num_segments:
        raise ValueError(f"{op}: segment_ids must be < num_segments={num_segments}, received "
                         f"an id {int(ids.max())}. Pass a larger num_segments.")
    if data.data.dtype.kind == "b":
        data = constant(data.data.astype(np.int32))
    return SegmentReduce.apply(data, segment_ids=ids, num_segments=num_segments, kind=kind)


_SEGMENT_DOC = """Segment {what} of the rows of ``data``.

    Row ``i`` goes to segment ``segment_ids[i]``; rows with a negative id are
    ignored. An empty segment holds {empty}.

    Parameters
    ----------
    data : tensor, shape (N, ...)
    segment_ids : int tensor, shape (N,)
    num_segments : int, optional
        Default ``max(segment_ids) + 1``; ids must be smaller.
    sorted : bool, default False
        Accepted for Keras compatibility (any order gives the same result).

    Returns
    -------
    Tensor, shape (num_segments, ...) (differentiable with respect to ``data``{grad})
    """


@keras_op
def segment_sum(data: Any, segment_ids: Any, num_segments: int | None = None,
                sorted: bool = False) -> Tensor:  # noqa: A002
    return _segment(data, segment_ids, num_segments, "sum", "segment_sum")


@keras_op
def segment_max(data: Any, segment_ids: Any, num_segments: int | None = None,
                sorted: bool = False) -> Tensor:  # noqa: A002
    return _segment(data, segment_ids, num_segments, "max", "segment_max")


@keras_op
def segment_min(data: Any, segment_ids: Any, num_segments: int | None = None,
                sorted: bool = False) -> Tensor:  # noqa: A002
    return _segment(data, segment_ids, num_segments, "min", "segment_min")


@keras_op
def segment_prod(data: Any, segment_ids: Any, num_segments: int | None = None,
                 sorted: bool = False) -> Tensor:  # noqa: A002
    return _segment(data, segment_ids, num_segments, "prod", "segment_prod")


segment_sum.__doc__ = _SEGMENT_DOC.format(what="sums", empty="0", grad="")
segment_max.__doc__ = _SEGMENT_DOC.format(
    what="maxima", empty="-inf (the smallest integer for integer data)",
    grad="; tied maxima share it")
segment_min.__doc__ = _SEGMENT_DOC.format(
    what="minima", empty="+inf (the largest integer for integer data)",
    grad="; tied minima share it")
segment_prod.__doc__ = _SEGMENT_DOC.format(what="products", empty="1", grad="")


@keras_op
def extract_sequences(x: Any, sequence_length: int, sequence_stride: int) -> Tensor:
    """Frames of ``sequence_length`` samples every ``sequence_stride`` samples, last axis.

    Parameters
    ----------
    x : tensor, shape (..., samples)
    sequence_length, sequence_stride : int, positive

    Returns
    -------
    Tensor, shape (..., frames, sequence_length) with
    ``frames = 1 + (samples - sequence_length) // sequence_stride`` (differentiable)
    """
    x = x if isinstance(x, Tensor) else constant(array_of(x))
    if x.ndim == 0:
        raise ValueError("extract_sequences: x must have at least one dimension.")
    length, stride = int(sequence_length), int(sequence_stride)
    if length < 1 or stride < 1 or length > x.shape[-1]:
        raise ValueError(f"extract_sequences: sequence_length must be in [1, {x.shape[-1]}] and "
                         f"sequence_stride positive, received {sequence_length} and "
                         f"{sequence_stride}.")
    count = 1 + (x.shape[-1] - length) // stride
    positions = np.arange(count)[:, None] * stride + np.arange(length)[None, :]
    index = (np.s_[:],) * (x.ndim - 1) + (positions,)
    if x.data.dtype.kind != "f":
        return constant(x.data[index])
    return _ops.getitem(x, index)
