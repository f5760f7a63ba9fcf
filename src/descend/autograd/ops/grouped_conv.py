"""Grouped convolution (``groups`` in ``Conv*``, and depthwise convolution), by im2col.

Layout is channels-last: an input ``(batch, *spatial, channels)`` and a kernel
``(*kernel_size, channels // groups, filters)`` (Keras's layout). The channels
are split into ``groups`` consecutive blocks and so are the filters; filter
block ``g`` sees only channel block ``g``:

    y[b, o, g * fg + f] = sum_{k, c} x[b, o * stride + k * dilation, g * cg + c]
                                     * kernel[k, c, g * fg + f]

with ``cg = channels // groups`` and ``fg = filters // groups``. A depthwise
convolution is the case ``groups = channels`` (one block per channel).

**Forward.** The windows of the padded input, gathered as in
:func:`~descend.autograd.ops.conv.im2col`, are laid out per group,
``(groups, rows, prod(kernel_size) * cg)``, and multiplied by the kernel laid
out ``(groups, prod(kernel_size) * cg, fg)``: one batched matrix product.

**Backward.** ``d kernel = cols.T @ dz`` and ``d cols = dz @ kernel.T``, batched
over groups; ``d cols`` goes back to the input by *col2im*, one slice-add per
kernel offset, as in :class:`~descend.autograd.ops.conv.Conv`.

Examples
--------
>>> import numpy as np
>>> x = np.arange(8.0).reshape(1, 4, 2)
>>> grouped_conv(x, np.ones((2, 1, 2)), groups=2).data[0]
array([[ 2.,  4.],
       [ 6.,  8.],
       [10., 12.]])
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from descend.autograd.function import Function
from descend.autograd.ops._convert import as_tensor
from descend.autograd.ops.conv import (
    PADDINGS,
    _per_axis,
    interior,
    pad_array,
    padding_amounts,
    window_slices,
    windows,
)
from descend.autograd.tensor import Tensor

__all__ = ["GroupedConv", "grouped_conv"]


class GroupedConv(Function):
    """Grouped N-d convolution ``conv(x, kernel, groups) + bias``, channels-last.

    Inputs ``x`` ``(batch, *spatial, channels)``, ``kernel`` ``(*kernel_size,
    channels // groups, filters)``, optionally ``bias`` ``(filters,)``. Options
    ``groups``, ``strides``, ``dilation`` and ``pads`` (as in ``Conv``).
    """

    def forward(self, x, kernel, bias=None, groups: int = 1, strides: Any = None,
                dilation: Any = None, pads: Any = None):
        rank = x.ndim - 2
        window = kernel.shape[:rank]
        size = int(np.prod(window))
        cg, filters = kernel.shape[rank], kernel.shape[rank + 1]
        fg = filters // groups
        xp = pad_array(x, pads)
        out = tuple(
            (n - d * (k - 1) - 1) // s + 1
            for n, k, s, d in zip(xp.shape[1:-1], window, strides, dilation, strict=True)
        )
        batch = x.shape[0]
        rows = batch * int(np.prod(out))
        view = windows(xp, out, window, strides, dilation).reshape(rows, size, groups, cg)
        cols = np.ascontiguousarray(view.transpose(2, 0, 1, 3)).reshape(groups, rows, size * cg)
        matrix = kernel.reshape(size, cg, groups, fg).transpose(2, 0, 1, 3)
        matrix = matrix.reshape(groups, size * cg, fg)
        z = np.matmul(cols, matrix)  # (groups, rows, fg)
        y = z.transpose(1, 0, 2).reshape(batch, *out, filters)
        if bias is not None:
            y = y + bias.astype(y.dtype)
        if self.needs_grad is not None:
            self.cols = cols if self.needs_grad[1] else None
            self.matrix = matrix if self.needs_grad[0] else None
            self.geometry = (x.shape, xp.shape, pads, out, window, strides, dilation, groups)
            self.has_bias = bias is not None
        return y

    def backward(self, grad):
        needs = self.needs_grad
        x_shape, xp_shape, pads, out, window, strides, dilation, groups = self.geometry
        filters = grad.shape[-1]
        fg = filters // groups
        size = int(np.prod(window))
        dz = grad.reshape(-1, groups, fg).transpose(1, 0, 2)  # (groups, rows, fg)
        gx = gk = gb = None
        if needs[1]:
            gm = np.matmul(self.cols.transpose(0, 2, 1), dz)  # (groups, size * cg, fg)
            cg = gm.shape[1] // size
            gk = gm.reshape(groups, size, cg, fg).transpose(1, 2, 0, 3)
            gk = gk.reshape(*window, cg, filters)
        if needs[0]:
            cin = x_shape[-1]
            cg = cin // groups
            dcols = np.matmul(dz, self.matrix.transpose(0, 2, 1))  # (groups, rows, size * cg)
            dcols = dcols.reshape(groups, -1, size, cg).transpose(2, 1, 0, 3)
            dcols = dcols.reshape(size, x_shape[0], *out, cin)
            gxp = np.zeros(xp_shape, dcols.dtype)
            for i, offset in enumerate(itertools.product(*(range(k) for k in window))):
                gxp[window_slices(offset, out, strides, dilation)] += dcols[i]
            gx = gxp[interior(x_shape, pads)] if gxp.shape != x_shape else gxp
        if not self.has_bias:
            return gx, gk
        if needs[2]:
            gb = grad.reshape(-1, filters).sum(axis=0)
        return gx, gk, gb


def grouped_conv(x: Any, kernel: Any, bias: Any = None, groups: int = 1, strides: Any = 1,
                 padding: str = "valid", dilation_rate: Any = 1) -> Tensor:
    """Grouped N-d convolution (cross-correlation), channels-last.

    Parameters
    ----------
    x : Tensor, shape (batch, *spatial, channels)
    kernel : Tensor, shape (*kernel_size, channels // groups, filters)
    bias : Tensor, shape (filters,), optional
    groups : int, default 1
        Divides both ``channels`` and ``filters``.
    strides : int or tuple of int, default 1
    padding : {"valid", "same", "causal"}, default "valid"
    dilation_rate : int or tuple of int, default 1

    Returns
    -------
    Tensor, shape (batch, *out, filters)
        Sizes as :func:`descend.autograd.ops.conv.conv`; the formula is in the
        module docstring.

    Examples
    --------
    >>> import numpy as np
    >>> grouped_conv(np.ones((1, 3, 4)), np.ones((1, 2, 2)), groups=2).shape
    (1, 3, 2)
    """
    x, kernel = as_tensor(x), as_tensor(kernel)
    rank = x.ndim - 2
    groups = int(groups)
    if rank < 1 or kernel.ndim != rank + 2 or groups < 1 or x.shape[-1] % groups \
            or kernel.shape[-1] % groups or kernel.shape[rank] * groups != x.shape[-1]:
        raise ValueError(
            f"grouped_conv: expected x (batch, *spatial, channels) and a kernel (*kernel_size, "
            f"channels // groups, filters) with channels and filters divisible by groups, "
            f"received x {x.shape}, kernel {kernel.shape} and groups={groups}."
        )
    padding = str(padding).lower()
    if padding not in PADDINGS:
        raise ValueError(f"grouped_conv: padding must be one of {PADDINGS}, received {padding!r}.")
    strides = _per_axis(strides, rank, "strides")
    dilation = _per_axis(dilation_rate, rank, "dilation_rate")
    window = kernel.shape[:rank]
    pads = tuple(
        padding_amounts(n, k, s, d, padding)
        for n, k, s, d in zip(x.shape[1:-1], window, strides, dilation, strict=True)
    )
    for n, k, d, (lo, hi) in zip(x.shape[1:-1], window, dilation, pads, strict=True):
        if n + lo + hi < d * (k - 1) + 1:
            raise ValueError(
                f"grouped_conv: the kernel (size {k}, dilation {d}) is larger than the input "
                f"(size {n + lo + hi} after padding); use padding='same' or a smaller kernel."
            )
    options = dict(groups=groups, strides=strides, dilation=dilation, pads=pads)
    if bias is None:
        return GroupedConv.apply(x, kernel, **options)
    return GroupedConv.apply(x, kernel, as_tensor(bias), **options)
