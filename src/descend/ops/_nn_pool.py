"""Pooling ops of ``keras.ops.nn``: max/average pooling and their adaptive forms.

``max_pool``/``average_pool`` run on the engine's pooling primitives
(:mod:`descend.autograd.ops.pool`): ``"same"`` max pooling pads with ``-inf``,
``"same"`` average pooling divides by the number of real elements in a window
(TensorFlow's and Keras's rule). The adaptive pools split each spatial axis of
length ``n`` into ``out`` bins, bin ``i`` covering ``[floor(i n / out),
ceil((i + 1) n / out))`` (PyTorch's rule, which Keras 3 follows); a bin of a
2-D or 3-D pool is the product of its per-axis intervals, so the pool runs one
axis at a time (a max of maxima, a mean of means over equal-length rows), as
composite ops with a gradient.

Examples
--------
>>> import numpy as np
>>> from descend.ops import nn
>>> nn.adaptive_average_pool(np.arange(5.0).reshape(1, 5, 1), 2).data.ravel()
array([1., 3.])
"""

from __future__ import annotations

from typing import Any

from descend.autograd import ops as _ops
from descend.autograd.ops import pool as _pool
from descend.autograd.tensor import Tensor
from descend.ops._dispatch import keras_op
from descend.ops._nn_common import (
    data_format,
    from_channels_last,
    per_axis,
    spatial_rank,
    tensor,
    to_channels_last,
)
from descend.ops._nn_conv import padding_mode

__all__ = ["adaptive_average_pool", "adaptive_max_pool", "average_pool", "max_pool"]


def _pool_args(x: Tensor, pool_size: Any, strides: Any, padding: Any, op: str):
    rank = spatial_rank(x, op)
    pool = per_axis(pool_size, rank, "pool_size", op)
    strides = pool if strides is None else per_axis(strides, rank, "strides", op)
    return pool, strides, padding_mode(padding, op)


@keras_op
def max_pool(inputs: Any, pool_size: Any, strides: Any = None, padding: str = "valid",
             data_format: str | None = None) -> Tensor:
    """Max pooling over 1 to 3 spatial axes.

    Parameters
    ----------
    inputs : tensor-like, shape (batch, *spatial, channels)
        (``(batch, channels, *spatial)`` for ``channels_first``.)
    pool_size : int or tuple of int
    strides : int or tuple of int, optional
        Defaults to ``pool_size``.
    padding : {"valid", "same"}, default "valid"
    data_format : {"channels_last", "channels_first"}, optional

    Returns
    -------
    Tensor, shape (batch, *out, channels)
        ``out = floor((size - pool) / stride) + 1`` ("valid") or ``ceil(size / stride)``.
    """
    fmt = _format(data_format, "max_pool")
    x = to_channels_last(tensor(inputs), fmt)
    pool, strides, mode = _pool_args(x, pool_size, strides, padding, "max_pool")
    return from_channels_last(_pool.max_pool(x, pool, strides, mode), fmt)


@keras_op
def average_pool(inputs: Any, pool_size: Any, strides: Any = None, padding: str = "valid",
                 data_format: str | None = None) -> Tensor:
    """Average pooling over 1 to 3 spatial axes (padding is not counted in the means).

    Parameters
    ----------
    inputs : tensor-like, shape (batch, *spatial, channels)
    pool_size : int or tuple of int
    strides : int or tuple of int, optional
        Defaults to ``pool_size``.
    padding : {"valid", "same"}, default "valid"
    data_format : {"channels_last", "channels_first"}, optional

    Returns
    -------
    Tensor, shape (batch, *out, channels)
    """
    fmt = _format(data_format, "average_pool")
    x = to_channels_last(tensor(inputs), fmt)
    pool, strides, mode = _pool_args(x, pool_size, strides, padding, "average_pool")
    return from_channels_last(_pool.average_pool(x, pool, strides, mode), fmt)


def _format(value: Any, op: str) -> str:
    return data_format(value, op)


def _adaptive(inputs: Any, output_size: Any, fmt: Any, op: str, reduce) -> Tensor:
    fmt = _format(fmt, op)
    x = to_channels_last(tensor(inputs), fmt)
    rank = spatial_rank(x, op)
    sizes = per_axis(output_size, rank, "output_size", op)
    for axis, out in enumerate(sizes, start=1):
        n = x.shape[axis]
        if n < 1:
            raise ValueError(f"{op}: spatial axis {axis - 1} of the input {x.shape} is empty.")
        bins = []
        for i in range(out):
            start, stop = (i * n) // out, -((-(i + 1) * n) // out)
            index = (slice(None),) * axis + (slice(start, stop),)
            bins.append(reduce(x[index], axis=axis, keepdims=True))
        x = bins[0] if out == 1 else _ops.concatenate(bins, axis=axis)
    return from_channels_last(x, fmt)


@keras_op
def adaptive_average_pool(inputs: Any, output_size: Any,
                          data_format: str | None = None) -> Tensor:
    """Average pooling to a fixed output size (PyTorch's bins).

    Parameters
    ----------
    inputs : tensor-like, shape (batch, *spatial, channels), 1 to 3 spatial axes
    output_size : int or tuple of int
        Output length of each spatial axis.
    data_format : {"channels_last", "channels_first"}, optional

    Returns
    -------
    Tensor, shape (batch, *output_size, channels)
        Bin ``i`` of an axis of length ``n`` averages ``[floor(i n / out), ceil((i + 1) n / out))``.
    """
    return _adaptive(inputs, output_size, data_format, "adaptive_average_pool", _ops.mean)


@keras_op
def adaptive_max_pool(inputs: Any, output_size: Any, data_format: str | None = None) -> Tensor:
    """Max pooling to a fixed output size (PyTorch's bins; see :func:`adaptive_average_pool`).

    Parameters
    ----------
    inputs : tensor-like, shape (batch, *spatial, channels), 1 to 3 spatial axes
    output_size : int or tuple of int
    data_format : {"channels_last", "channels_first"}, optional

    Returns
    -------
    Tensor, shape (batch, *output_size, channels)
    """
    return _adaptive(inputs, output_size, data_format, "adaptive_max_pool", _ops.max)
