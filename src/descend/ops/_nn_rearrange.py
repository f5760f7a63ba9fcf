"""Tensor rearrangements of ``keras.ops.nn``: depth/space blocks, unfold (im2col) and fold.

``depth_to_space``/``space_to_depth`` follow TensorFlow's element order;
``unfold``/``fold`` follow PyTorch's (channels-first ``(N, C, H, W)`` images,
blocks ``(N, C * kh * kw, L)`` ordered channel-major, then kernel row, then
kernel column, ``L`` the block positions in row-major order). All are composite
ops (reshapes, transposes, slices, zero-insertion and padding) with gradients;
``fold`` adds overlapping blocks.

Examples
--------
>>> import numpy as np
>>> from descend.ops import nn
>>> nn.unfold(np.arange(9.0).reshape(1, 1, 3, 3), 2).data[0]
array([[0., 1., 3., 4.],
       [1., 2., 4., 5.],
       [3., 4., 6., 7.],
       [4., 5., 7., 8.]])
"""

from __future__ import annotations

import itertools
from typing import Any

from descend.autograd import ops as _ops
from descend.autograd.ops import conv as _conv
from descend.autograd.ops.dilate import dilate
from descend.autograd.tensor import Tensor
from descend.ops._dispatch import keras_op
from descend.ops._nn_common import data_format, per_axis, tensor

__all__ = ["depth_to_space", "fold", "space_to_depth", "unfold"]


def _block(x: Tensor, block_size: Any, fmt: Any, op: str) -> tuple[Tensor, int, str]:
    fmt = data_format(fmt, op)
    if x.ndim != 4:
        raise ValueError(f"{op}: expected a 4-D image batch, received shape {x.shape}.")
    if isinstance(block_size, bool) or int(block_size) != block_size or int(block_size) < 1:
        raise ValueError(f"{op}: block_size must be a positive int, received {block_size!r}.")
    return x, int(block_size), fmt


@keras_op
def depth_to_space(x: Any, block_size: int, data_format: str = "channels_last") -> Tensor:
    """Move channel blocks into ``block_size x block_size`` spatial blocks.

    Channels are read as ``(b, b, C / b**2)`` for ``channels_last`` (TensorFlow's
    order) and as ``(C / b**2, b, b)`` for ``channels_first`` (PyTorch's
    ``pixel_shuffle``), as Keras does.

    Parameters
    ----------
    x : tensor-like, shape (N, H, W, C) (or (N, C, H, W) for ``channels_first``)
        ``C`` divisible by ``block_size ** 2``.
    block_size : int
    data_format : {"channels_last", "channels_first"}, default "channels_last"

    Returns
    -------
    Tensor, shape (N, H * b, W * b, C / b**2)
    """
    x, b, fmt = _block(tensor(x), block_size, data_format, "depth_to_space")
    if fmt == "channels_last":
        n, h, w, c = x.shape
    else:
        n, c, h, w = x.shape
    if c % (b * b):
        raise ValueError(
            f"depth_to_space: the {c} channels must be divisible by block_size**2 = {b * b}."
        )
    new_c = c // (b * b)
    if fmt == "channels_last":
        y = _ops.transpose(_ops.reshape(x, (n, h, w, b, b, new_c)), (0, 1, 3, 2, 4, 5))
        return _ops.reshape(y, (n, h * b, w * b, new_c))
    y = _ops.transpose(_ops.reshape(x, (n, new_c, b, b, h, w)), (0, 1, 4, 2, 5, 3))
    return _ops.reshape(y, (n, new_c, h * b, w * b))


@keras_op
def space_to_depth(x: Any, block_size: int, data_format: str = "channels_last") -> Tensor:
    """Move ``block_size x block_size`` spatial blocks into channels (inverse of depth_to_space).

    Parameters
    ----------
    x : tensor-like, shape (N, H, W, C) (or (N, C, H, W) for ``channels_first``)
        ``H`` and ``W`` divisible by ``block_size``.
    block_size : int
    data_format : {"channels_last", "channels_first"}, default "channels_last"

    Returns
    -------
    Tensor, shape (N, H / b, W / b, C * b**2)
    """
    x, b, fmt = _block(tensor(x), block_size, data_format, "space_to_depth")
    if fmt == "channels_last":
        n, h, w, c = x.shape
    else:
        n, c, h, w = x.shape
    if h % b or w % b:
        raise ValueError(
            f"space_to_depth: height {h} and width {w} must be divisible by block_size {b}."
        )
    if fmt == "channels_last":
        y = _ops.transpose(_ops.reshape(x, (n, h // b, b, w // b, b, c)), (0, 1, 3, 2, 4, 5))
        return _ops.reshape(y, (n, h // b, w // b, c * b * b))
    y = _ops.transpose(_ops.reshape(x, (n, c, h // b, b, w // b, b)), (0, 1, 3, 5, 2, 4))
    return _ops.reshape(y, (n, c * b * b, h // b, w // b))


def _geometry(kernel_size: Any, dilation: Any, padding: Any, stride: Any, op: str):
    return (per_axis(kernel_size, 2, "kernel_size", op),
            per_axis(dilation, 2, "dilation", op),
            per_axis(padding, 2, "padding", op, minimum=0),
            per_axis(stride, 2, "stride", op))


def _blocks(size: int, k: int, d: int, p: int, s: int) -> int:
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


@keras_op
def unfold(x: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
           stride: Any = 1) -> Tensor:
    """Extract sliding blocks (im2col) from a channels-first image batch.

    Parameters
    ----------
    x : tensor-like, shape (N, C, H, W)
    kernel_size : int or (int, int)
    dilation : int or (int, int), default 1
    padding : int or (int, int), default 0
        Zeros added on both sides of each spatial axis.
    stride : int or (int, int), default 1

    Returns
    -------
    Tensor, shape (N, C * kh * kw, L)
        ``L = oh * ow``, ``o = floor((size + 2 p - d (k - 1) - 1) / s) + 1``.
    """
    x = tensor(x)
    if x.ndim != 4:
        raise ValueError(f"unfold: expected a 4-D (N, C, H, W) input, received {x.shape}.")
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = _geometry(kernel_size, dilation, padding, stride,
                                                       "unfold")
    n, c, h, w = x.shape
    oh, ow = _blocks(h, kh, dh, ph, sh), _blocks(w, kw, dw, pw, sw)
    if oh < 1 or ow < 1:
        raise ValueError(
            f"unfold: the dilated kernel does not fit in the padded input {x.shape}; use a "
            "smaller kernel_size or dilation, or more padding."
        )
    xl = _ops.transpose(x, (0, 2, 3, 1))
    if ph or pw:
        xl = _conv.pad(xl, ((ph, ph), (pw, pw)))
    blocks = []
    for i, j in itertools.product(range(kh), range(kw)):
        blocks.append(xl[:, i * dh: i * dh + (oh - 1) * sh + 1: sh,
                         j * dw: j * dw + (ow - 1) * sw + 1: sw, :])
    stacked = _ops.stack(blocks, axis=-1)  # (N, oh, ow, C, kh * kw)
    return _ops.reshape(_ops.transpose(stacked, (0, 3, 4, 1, 2)), (n, c * kh * kw, oh * ow))


@keras_op
def fold(x: Any, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
         stride: Any = 1) -> Tensor:
    """Sum sliding blocks back into a channels-first image batch (col2im; inverse layout of unfold).

    Parameters
    ----------
    x : tensor-like, shape (N, C * kh * kw, L)
    output_size : int or (int, int)
        ``(H, W)`` of the result.
    kernel_size, dilation, padding, stride
        As :func:`unfold`; ``L`` must equal the number of blocks they give.

    Returns
    -------
    Tensor, shape (N, C, H, W)
        Overlapping block entries are added.
    """
    x = tensor(x)
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = _geometry(kernel_size, dilation, padding, stride,
                                                       "fold")
    h, w = per_axis(output_size, 2, "output_size", "fold")
    oh, ow = _blocks(h, kh, dh, ph, sh), _blocks(w, kw, dw, pw, sw)
    if x.ndim != 3 or x.shape[1] % (kh * kw) or x.shape[2] != oh * ow or oh < 1 or ow < 1:
        raise ValueError(
            f"fold: expected an input of shape (N, C * {kh * kw}, {oh * ow}) for output_size "
            f"{(h, w)} and this kernel/stride/padding, received {x.shape}."
        )
    n, c = x.shape[0], x.shape[1] // (kh * kw)
    blocks = _ops.transpose(_ops.reshape(x, (n, c, kh * kw, oh, ow)), (2, 0, 3, 4, 1))
    hp, wp = h + 2 * ph, w + 2 * pw
    total = None
    for index, (i, j) in enumerate(itertools.product(range(kh), range(kw))):
        placed = dilate(blocks[index], (sh, sw))  # (N, (oh - 1) sh + 1, (ow - 1) sw + 1, C)
        top, left = i * dh, j * dw
        pads = ((top, hp - top - placed.shape[1]), (left, wp - left - placed.shape[2]))
        placed = _conv.pad(placed, pads)
        total = placed if total is None else total + placed
    out = total[:, ph: ph + h, pw: pw + w, :]
    return _ops.transpose(out, (0, 3, 1, 2))
