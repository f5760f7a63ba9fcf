"""Transposed convolution: the adjoint of the im2col convolution in :mod:`.conv`.

Layout is channels-last: an input ``(batch, *spatial, in_channels)`` and a kernel
``(*kernel_size, filters, in_channels)`` (Keras's ``Conv*DTranspose`` layout:
output channels before input channels).

**Forward.** Every input position scatters ``x[b, i, :] @ kernel[k].T`` to the
output position ``i * stride + k * dilation``: one matrix product gives the
contribution of every kernel offset, ``(batch * prod(in), offsets * filters)``,
and one vectorised slice-add per kernel offset (*col2im*, exactly the input
gradient of :class:`~descend.autograd.ops.conv.Conv`) sums them into the *full*
output of length ``(size - 1) * stride + dilated_kernel``. The layer's output
is a window of the full output starting at ``crop`` (zeros beyond its end, which
``output_padding`` may reach).

**Backward.** The adjoint of a scatter-add is a gather: the output gradient,
placed back in the full output, is read through the same strided windows as a
forward convolution (*im2col*), so ``d x = cols @ kernel`` and
``d kernel = x.T @ cols`` are two matrix products.

Sizes follow Keras (its JAX/TensorFlow definition). With
``dilated_kernel = dilation * (kernel - 1) + 1``:

- ``"valid"``: the output starts at the full output's first element and has
  length ``(size - 1) * stride + dilated_kernel + output_padding``, where
  ``output_padding`` defaults to ``max(dilated_kernel, stride) - dilated_kernel``;
- ``"same"``: ``pad = stride + dilated_kernel - 2`` (or, with an explicit
  ``output_padding``, ``dilated_kernel + dilated_kernel % 2 - 2 +
  output_padding``); ``left = min(ceil(pad / 2), dilated_kernel - 1)``; the
  output starts at ``dilated_kernel - 1 - left`` and has length
  ``(size - 1) * stride + pad - dilated_kernel + 2`` (``size * stride`` by default).

Examples
--------
>>> import numpy as np
>>> from descend.autograd import Tensor
>>> x = Tensor(np.ones((1, 2, 2, 1)))
>>> y = conv_transpose(x, Tensor(np.ones((3, 3, 1, 1))), strides=2, padding="same")
>>> y.shape
(1, 4, 4, 1)
>>> y.data[0, :, :, 0]
array([[1., 1., 2., 1.],
       [1., 1., 2., 1.],
       [2., 2., 4., 2.],
       [1., 1., 2., 1.]])
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from descend.autograd.function import Function
from descend.autograd.ops._convert import as_tensor
from descend.autograd.ops.conv import _per_axis, im2col, window_slices
from descend.autograd.tensor import Tensor

__all__ = ["ConvTranspose", "conv_transpose", "transpose_geometry"]


def transpose_geometry(size: int | None, kernel: int, stride: int = 1, dilation: int = 1,
                       padding: str = "valid", output_padding: int | None = None
                       ) -> tuple[int | None, int]:
    """Output length and crop start of one axis of a transposed convolution.

    Parameters
    ----------
    size : int or None
        Input length (``None`` when unknown).
    kernel, stride, dilation : int
    padding : {"valid", "same"}
    output_padding : int or None
        Extra length on the far side; ``None`` for Keras's default.

    Returns
    -------
    (int or None, int)
        ``(length, crop)``: the output is ``full[crop : crop + length]`` of the
        full scatter of length ``(size - 1) * stride + dilated_kernel``.

    Examples
    --------
    >>> transpose_geometry(4, 3, 2, padding="same"), transpose_geometry(4, 3, 2)
    ((8, 0), (9, 0))
    >>> transpose_geometry(4, 3, 2, padding="same", output_padding=0)
    (7, 1)
    """
    dilated = dilation * (kernel - 1) + 1
    if padding == "valid":
        extra = max(dilated, stride) - dilated if output_padding is None else output_padding
        left, right = dilated - 1, dilated - 1 + extra
    else:
        if output_padding is None:
            total = stride + dilated - 2
        else:
            total = dilated + dilated % 2 - 2 + output_padding
        left = min(total // 2 + total % 2, dilated - 1)
        right = total - left
    crop = dilated - 1 - left
    if size is None:
        return None, crop
    return (size - 1) * stride + left + right - dilated + 2, crop


class ConvTranspose(Function):
    """N-d transposed convolution ``conv_transpose(x, kernel) + bias``, channels-last.

    Inputs ``x`` ``(batch, *spatial, in_channels)``, ``kernel`` ``(*kernel_size,
    filters, in_channels)`` and optionally ``bias`` ``(filters,)``. Options:
    ``strides``, ``dilation``, ``crops`` (start of the output in the full
    scatter) and ``out`` (output lengths), one int per spatial axis.
    """

    def forward(self, x, kernel, bias=None, strides: Any = None, dilation: Any = None,
                crops: Any = None, out: Any = None):
        rank = x.ndim - 2
        window = kernel.shape[:rank]
        filters, cin = kernel.shape[rank], kernel.shape[rank + 1]
        spatial = x.shape[1:-1]
        full = tuple(
            max((n - 1) * s + d * (k - 1) + 1, c + o)
            for n, k, s, d, c, o in zip(spatial, window, strides, dilation, crops, out,
                                        strict=True)
        )
        batch = x.shape[0]
        # one matrix product (rows, cin) @ (cin, K * F): every offset's contribution, side by
        # side (not a broadcast (K, cin, F) product with a transposed view: docs/benchmarks.md)
        parts = np.matmul(x.reshape(-1, cin), kernel.reshape(-1, cin).T)
        parts = parts.reshape(batch, *spatial, -1, filters)
        y = np.zeros((batch, *full, filters), parts.dtype)
        for i, offset in enumerate(itertools.product(*(range(k) for k in window))):
            y[window_slices(offset, spatial, strides, dilation)] += parts[..., i, :]
        index = (slice(None), *(slice(c, c + o) for c, o in zip(crops, out, strict=True)),
                 slice(None))
        y = y[index]
        if bias is not None:
            y = y + bias.astype(y.dtype)
        if self.needs_grad is not None:
            self.x = x if self.needs_grad[1] else None
            self.kernel = kernel if self.needs_grad[0] else None
            self.geometry = (full, spatial, window, strides, dilation, index)
            self.has_bias = bias is not None
        return np.ascontiguousarray(y)

    def backward(self, grad):
        needs = self.needs_grad
        full, in_shape, window, strides, dilation, index = self.geometry
        filters, batch = grad.shape[-1], grad.shape[0]
        gfull = np.zeros((batch, *full, filters), grad.dtype)
        gfull[index] = grad
        gx = gk = None
        cols = im2col(gfull, in_shape, window, strides, dilation)  # (rows, K * F)
        if needs[0]:
            cin = self.kernel.shape[-1]
            gx = np.matmul(cols, self.kernel.reshape(-1, cin)).reshape(batch, *in_shape, cin)
        if needs[1]:
            rows = self.x.reshape(-1, self.x.shape[-1])
            gk = np.matmul(cols.T, rows).reshape(*window, filters, -1)
        if not self.has_bias:
            return gx, gk
        gb = grad.reshape(-1, filters).sum(axis=0) if needs[2] else None
        return gx, gk, gb


def conv_transpose(x: Any, kernel: Any, bias: Any = None, strides: Any = 1,
                   padding: str = "valid", output_padding: Any = None,
                   dilation_rate: Any = 1) -> Tensor:
    """N-d transposed convolution (the gradient of a convolution with respect to its input).

    Parameters
    ----------
    x : Tensor, shape (batch, *spatial, in_channels)
    kernel : Tensor, shape (*kernel_size, filters, in_channels)
    bias : Tensor, shape (filters,), optional
    strides : int or tuple of int, default 1
    padding : {"valid", "same"}, default "valid"
    output_padding : int, tuple of int or None, default None
        Extra length on the far side of each axis; must be smaller than the
        stride (or the dilation) along that axis. ``None``: Keras's default.
    dilation_rate : int or tuple of int, default 1

    Returns
    -------
    Tensor, shape (batch, *out, filters)
        ``y[b, i * stride + k * dilation - crop, f] += sum_c x[b, i, c] * kernel[k, f, c]``,
        plus ``bias[f]``; ``out`` and ``crop`` from :func:`transpose_geometry`.

    Examples
    --------
    >>> import numpy as np
    >>> conv_transpose(np.ones((1, 3, 1)), np.ones((2, 1, 1)), strides=2).data.ravel()
    array([1., 1., 1., 1., 1., 1.])
    """
    x, kernel = as_tensor(x), as_tensor(kernel)
    rank = x.ndim - 2
    if rank < 1 or kernel.ndim != rank + 2 or kernel.shape[-1] != x.shape[-1]:
        raise ValueError(
            f"conv_transpose: expected x of shape (batch, *spatial, channels) and a kernel of "
            f"shape (*kernel_size, filters, channels) with as many spatial axes, received x "
            f"{x.shape} and kernel {kernel.shape}."
        )
    padding = str(padding).lower()
    if padding not in ("valid", "same"):
        raise ValueError(
            f"conv_transpose: padding must be 'valid' or 'same', received {padding!r}."
        )
    strides = _per_axis(strides, rank, "strides")
    dilation = _per_axis(dilation_rate, rank, "dilation_rate")
    if output_padding is None:
        extras: tuple = (None,) * rank
    else:
        extras = ((int(output_padding),) * rank
                  if isinstance(output_padding, (int, np.integer)) else tuple(output_padding))
        if len(extras) != rank or any(e < 0 for e in extras):
            raise ValueError(
                f"conv_transpose: output_padding must be a non-negative int or a tuple of "
                f"{rank} of them, received {output_padding!r}."
            )
    geometry = [transpose_geometry(n, k, s, d, padding, e) for n, k, s, d, e in
                zip(x.shape[1:-1], kernel.shape[:rank], strides, dilation, extras, strict=True)]
    out = tuple(g[0] for g in geometry)
    if any(o < 1 for o in out):
        raise ValueError(f"conv_transpose: the output would be empty (sizes {out}).")
    options = dict(strides=strides, dilation=dilation, crops=tuple(g[1] for g in geometry),
                   out=out)
    if bias is None:
        return ConvTranspose.apply(x, kernel, **options)
    return ConvTranspose.apply(x, kernel, as_tensor(bias), **options)
