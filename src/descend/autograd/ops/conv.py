"""Convolution primitives: N-d convolution by im2col, and zero padding.

Layout is channels-last throughout: an input has shape ``(batch, *spatial,
channels)`` and a kernel ``(*kernel_size, in_channels, filters)``, as in Keras.

**Forward (im2col).** For every output position the input window it sees is
gathered, through one strided *view* of the (padded) input of shape
``(batch, *out, *kernel_size, in_channels)``, into a matrix ``cols`` of shape
``(batch * prod(out), prod(kernel_size) * in_channels)``. The convolution is
then one matrix product ``cols @ kernel.reshape(-1, filters)``, to which the
bias and the activation are applied in place (the layer is one graph node).

**Backward.** ``d kernel = cols.T @ dz``: one matrix product (the bias
gradient comes out of it as its last row). The input gradient is computed in
one of two ways, chosen by :func:`input_gradient_method` (each is skipped when
the input needs no gradient):

- *gather* (all strides 1, and ``filters <= in_channels`` or fewer than 8 input
  channels): the input gradient is a stride-1 convolution of the zero-padded
  output gradient with the flipped kernel (the transposed convolution's
  backward formulation), so it is one *im2col* of ``dz`` and one matrix product
  ``(batch * prod(spatial), prod(kernel_size) * filters) @ (prod(kernel_size) *
  filters, in_channels)``, written straight into the unpadded input shape;
- *scatter* (otherwise): ``d cols = dz @ kernel.T``, laid out offset-major
  ``(offsets, batch * out, in_channels)`` by one batched product, then *col2im*:
  one vectorised slice-add per kernel offset, each reading a contiguous block
  (never a loop over output positions, no ``np.add.at``).

The gather copies ``prod(kernel_size) * filters`` numbers per input position
where the scatter adds ``prod(kernel_size) * in_channels`` per output position,
so it wins when there are fewer filters than channels (above all with one
filter, as in an autoencoder's last layer, where its im2col is one contiguous
copy per offset). A single product ``(rows, filters) @ (filters, offsets *
in_channels)`` for the scatter (the transposed convolution's forward) was
measured too: faster only while other processes compete with OpenBLAS's
threads, slower with one thread and in the CNN benchmark's ``fit``, so not kept.

Output sizes follow Keras: with ``"valid"`` padding
``floor((size - dilated_kernel) / stride) + 1`` where
``dilated_kernel = dilation * (kernel - 1) + 1``; with ``"same"`` and
``"causal"`` padding ``ceil(size / stride)``. ``"same"`` pads
``total = max((out - 1) * stride + dilated_kernel - size, 0)`` zeros, the smaller
half before; ``"causal"`` pads ``dilated_kernel - 1`` zeros before only.

Examples
--------
>>> import numpy as np
>>> from descend.autograd import Tensor
>>> from descend.autograd.ops import conv
>>> x = Tensor(np.ones((1, 5, 5, 1)))
>>> k = Tensor(np.ones((3, 3, 1, 2)))
>>> y = conv.conv(x, k, padding="same")
>>> y.shape
(1, 5, 5, 2)
>>> y.data[0, :, :, 0]
array([[4., 6., 6., 6., 4.],
       [6., 9., 9., 9., 6.],
       [6., 9., 9., 9., 6.],
       [6., 9., 9., 9., 6.],
       [4., 6., 6., 6., 4.]])
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from descend.autograd.function import Function
from descend.autograd.ops._convert import as_tensor
from descend.autograd.ops._fused_activation import (
    FUSED_ACTIVATIONS,
    activate_,
    activation_backward,
)
from descend.autograd.tensor import Tensor

__all__ = [
    "Conv", "Pad", "conv", "input_gradient", "input_gradient_method", "output_size", "pad",
    "padding_amounts",
]

PADDINGS = ("valid", "same", "causal")


# ------------------------------------------------------------------ geometry
def output_size(size: int | None, window: int, stride: int = 1, dilation: int = 1,
                padding: str = "valid") -> int | None:
    """Length of one output axis of a convolution or pooling (Keras's formulas).

    Parameters
    ----------
    size : int or None
        Input length along the axis (``None`` when unknown).
    window : int
        Kernel (or pool) length.
    stride : int, default 1
    dilation : int, default 1
    padding : {"valid", "same", "causal"}, default "valid"

    Returns
    -------
    int or None
        ``floor((size - dilation * (window - 1) - 1) / stride) + 1`` for
        ``"valid"`` (may be < 1 when the window does not fit), ``ceil(size /
        stride)`` otherwise; ``None`` when ``size`` is ``None``.

    Examples
    --------
    >>> output_size(28, 3), output_size(28, 3, padding="same"), output_size(7, 3, stride=2)
    (26, 28, 3)
    """
    if size is None:
        return None
    if padding == "valid":
        return (size - dilation * (window - 1) - 1) // stride + 1
    return -(-size // stride)


def padding_amounts(size: int, window: int, stride: int = 1, dilation: int = 1,
                    padding: str = "valid") -> tuple[int, int]:
    """Zeros to add ``(before, after)`` one axis for ``padding`` (TensorFlow's convention).

    Parameters
    ----------
    size, window, stride, dilation : int
        As in :func:`output_size`.
    padding : {"valid", "same", "causal"}

    Returns
    -------
    tuple of int
        ``(0, 0)`` for ``"valid"``; for ``"same"`` the total
        ``max((out - 1) * stride + dilated_window - size, 0)`` split with the
        smaller half first; ``(dilated_window - 1, 0)`` for ``"causal"``.

    Examples
    --------
    >>> padding_amounts(5, 3, padding="same"), padding_amounts(6, 3, 2, padding="same")
    ((1, 1), (0, 1))
    >>> padding_amounts(5, 3, dilation=2, padding="causal")
    (4, 0)
    """
    dilated = dilation * (window - 1) + 1
    if padding == "valid":
        return (0, 0)
    if padding == "causal":
        return (dilated - 1, 0)
    out = -(-size // stride)
    total = max((out - 1) * stride + dilated - size, 0)
    return (total // 2, total - total // 2)


def pad_array(x: np.ndarray, pads: Sequence[tuple[int, int]], value: float = 0.0) -> np.ndarray:
    """Pad the spatial axes of a channels-last array (returns ``x`` itself when no padding)."""
    if not any(lo or hi for lo, hi in pads):
        return x
    shape = (x.shape[0], *(n + lo + hi for n, (lo, hi) in zip(x.shape[1:-1], pads,
                                                                strict=True)), x.shape[-1])
    out = np.full(shape, value, dtype=x.dtype)
    out[interior(x.shape, pads)] = x
    return out


def interior(shape: tuple[int, ...], pads: Sequence[tuple[int, int]]) -> tuple[slice, ...]:
    """Index of the unpadded region of a padded channels-last array of original ``shape``."""
    return (slice(None), *(slice(lo, lo + n) for n, (lo, _) in zip(shape[1:-1], pads,
                                                                   strict=True)), slice(None))


def window_slices(offset: Sequence[int], out: Sequence[int], strides: Sequence[int],
                  dilation: Sequence[int]) -> tuple[slice, ...]:
    """Index, into a padded input, of the elements that kernel ``offset`` meets at every output.

    For each spatial axis: ``start = offset * dilation``, ``step = stride``,
    ``out`` elements; the batch and channel axes are taken whole.
    """
    spatial = tuple(
        slice(k * d, k * d + s * (o - 1) + 1, s)
        for k, o, s, d in zip(offset, out, strides, dilation, strict=True)
    )
    return (slice(None), *spatial, slice(None))


def windows(xp: np.ndarray, out: Sequence[int], window: Sequence[int],
            strides: Sequence[int], dilation: Sequence[int]) -> np.ndarray:
    """Read-only strided view ``(batch, *out, *window, channels)`` of every input window."""
    st = xp.strides
    rank = len(window)
    shape = (xp.shape[0], *out, *window, xp.shape[-1])
    steps = (
        st[0],
        *(st[1 + i] * strides[i] for i in range(rank)),
        *(st[1 + i] * dilation[i] for i in range(rank)),
        st[-1],
    )
    return as_strided(xp, shape, steps, writeable=False)


def im2col(xp: np.ndarray, out: Sequence[int], window: Sequence[int],
           strides: Sequence[int], dilation: Sequence[int], ones_column: bool = False
           ) -> np.ndarray:
    """The windows of ``xp`` as rows: ``(batch * prod(out), prod(window) * channels)``.

    Row ``(b, o)`` holds the window seen by output ``o`` of sample ``b``, ordered
    (kernel offset, channel) like a reshaped kernel. With ``ones_column`` a last
    column of ones is appended, so that a bias row stacked under the kernel is
    added by the matrix product itself (and its gradient comes out of the
    kernel-gradient product).

    With several channels the result is one copy from a strided view into a
    C-ordered matrix. With a single channel it is the transpose (a view) of a
    C-ordered ``(prod(window) + ones_column, rows)`` matrix, filled by one
    contiguous slice copy per kernel offset, cheaper than writing one float per
    40-byte row; the matrix products take either layout at the same speed
    (measurements in ``docs/benchmarks.md``).
    """
    batch, cin = xp.shape[0], xp.shape[-1]
    rank = len(window)
    size = int(np.prod(window)) * cin
    rows = batch * int(np.prod(out))
    if cin == 1:
        cols_t = np.empty((size + ones_column, batch, *out), xp.dtype)
        offsets = itertools.product(*(range(k) for k in window))
        for i, offset in enumerate(offsets):
            cols_t[i] = xp[window_slices(offset, out, strides, dilation)][..., 0]
        if ones_column:
            cols_t[-1] = 1
        return cols_t.reshape(size + ones_column, rows).T
    cols = np.empty((rows, size + ones_column), xp.dtype)
    # the (rows, size) block of cols seen as (batch, *out, *window, channels)
    row, item = cols.strides
    steps = [row * int(np.prod(out[i + 1:])) for i in range(-1, rank)]
    steps += [item * cin * int(np.prod(window[i + 1:])) for i in range(rank)] + [item]
    block = as_strided(cols, (batch, *out, *window, cin), steps)
    np.copyto(block, windows(xp, out, window, strides, dilation))
    if ones_column:
        cols[:, -1] = 1
    return cols


# --------------------------------------------------------------- activations
# ---------------------------------------------------------------- primitives
class Conv(Function):
    """Fused N-d convolution ``activation(conv(x, kernel) + bias)``, channels-last.

    Inputs ``x`` ``(batch, *spatial, in_channels)``, ``kernel`` ``(*kernel_size,
    in_channels, filters)`` and optionally ``bias`` ``(filters,)``. Options:
    ``strides`` and ``dilation`` (one int per spatial axis), ``pads`` (one
    ``(before, after)`` pair per spatial axis) and ``activation`` (one of
    ``FUSED_ACTIVATIONS``). Output ``(batch, *out, filters)``.
    """

    def forward(self, x, kernel, bias=None, strides: Any = None, dilation: Any = None,
                pads: Any = None, activation: str = "linear"):
        rank = x.ndim - 2
        window = kernel.shape[:rank]
        filters = kernel.shape[rank + 1]
        strides = tuple(strides or (1,) * rank)
        dilation = tuple(dilation or (1,) * rank)
        pads = tuple(pads or ((0, 0),) * rank)
        xp = pad_array(x, pads)
        out = tuple(
            (n - d * (k - 1) - 1) // s + 1
            for n, k, s, d in zip(xp.shape[1:-1], window, strides, dilation, strict=True)
        )
        batch = x.shape[0]
        has_bias = bias is not None
        cols = im2col(xp, out, window, strides, dilation, ones_column=has_bias)
        matrix = kernel.reshape(-1, filters)
        if has_bias:
            matrix = np.concatenate([matrix, bias.reshape(1, filters).astype(matrix.dtype)])
        z = activate_(np.matmul(cols, matrix), activation)
        if self.needs_grad is not None:
            needs = self.needs_grad
            self.cols = cols if needs[1] or (has_bias and needs[2]) else None
            self.kernel = kernel if needs[0] else None
            self.out, self.activation, self.has_bias = z, activation, has_bias
            self.geometry = (x.shape, xp.shape, pads, out, window, strides, dilation)
        return z.reshape(batch, *out, filters)

    def backward(self, grad):
        needs = self.needs_grad
        x_shape, xp_shape, pads, out, window, strides, dilation = self.geometry
        filters = self.out.shape[-1]
        dz = activation_backward(grad.reshape(-1, filters), self.out, self.activation)
        gx = gk = gb = None
        if self.cols is not None:
            # one product gives the kernel gradient and, in its last row, the bias gradient;
            # computed as (dz.T @ cols).T, faster than cols.T @ dz (docs/benchmarks.md)
            both = np.matmul(dz.T, self.cols).T
            if needs[1]:
                gk = both[: both.shape[0] - self.has_bias].reshape(*window, -1, filters)
            if self.has_bias and needs[2]:
                gb = both[-1]
        if needs[0]:
            gx = input_gradient(dz, self.kernel, x_shape, pads, out, strides, dilation)
        if not self.has_bias:
            return gx, gk
        return gx, gk, gb


# ------------------------------------------------------------ input gradient
#: Below this many input channels the gather is used at stride 1 whatever the filters:
#: the scatter's batched product then has too few columns to pay for its calls.
MIN_SCATTER_CHANNELS = 8


def input_gradient_method(in_channels: int, filters: int, strides: Sequence[int]) -> str:
    """Which formulation :func:`input_gradient` uses: ``"gather"`` or ``"scatter"``.

    Examples
    --------
    >>> input_gradient_method(32, 64, (1, 1)), input_gradient_method(8, 1, (1, 1))
    ('scatter', 'gather')
    >>> input_gradient_method(3, 16, (1, 1)), input_gradient_method(16, 8, (2, 2))
    ('gather', 'scatter')
    """
    if all(s == 1 for s in strides) and (filters <= in_channels
                                         or in_channels < MIN_SCATTER_CHANNELS):
        return "gather"
    return "scatter"


def input_gradient(dz: np.ndarray, kernel: np.ndarray, x_shape: tuple[int, ...],
                   pads: Sequence[tuple[int, int]], out: Sequence[int],
                   strides: Sequence[int], dilation: Sequence[int]) -> np.ndarray:
    """Gradient of a convolution with respect to its (unpadded) input.

    Parameters
    ----------
    dz : ndarray, shape (batch * prod(out), filters)
        Gradient of the convolution's output (after the activation's backward).
    kernel : ndarray, shape (*kernel_size, in_channels, filters)
    x_shape : tuple of int
        The input's shape ``(batch, *spatial, in_channels)``.
    pads : sequence of (int, int)
        Zeros added before and after each spatial axis by the forward pass.
    out, strides, dilation : sequence of int
        Output lengths, strides and dilations, one per spatial axis.

    Returns
    -------
    ndarray, shape x_shape
        ``gx[b, p, c] = sum_{o, k: o * stride + k * dilation = p + pad_before}
        sum_f dz[b, o, f] * kernel[k, c, f]``.

    Notes
    -----
    The two formulations and when each is used are described in the module
    docstring; both give the same sums.
    """
    cin, filters = kernel.shape[-2], kernel.shape[-1]
    if input_gradient_method(cin, filters, strides) == "gather":
        return _gather_input_gradient(dz, kernel, x_shape, pads, out, dilation)
    window = kernel.shape[:-2]
    batch = x_shape[0]
    xp_shape = (batch, *(n + lo + hi for n, (lo, hi) in zip(x_shape[1:-1], pads, strict=True)),
                cin)
    # d cols, laid out offset-major (offsets, batch * out, in_channels) by one batched
    # product, so that each slice-add of col2im reads contiguous memory
    per_offset = kernel.reshape(-1, cin, filters).transpose(0, 2, 1)
    dcols = np.matmul(dz, per_offset).reshape(-1, batch, *out, cin)
    gxp = np.zeros(xp_shape, dcols.dtype)
    for i, offset in enumerate(itertools.product(*(range(k) for k in window))):
        gxp[window_slices(offset, out, strides, dilation)] += dcols[i]
    return gxp[interior(x_shape, pads)] if gxp.shape != tuple(x_shape) else gxp


def _gather_input_gradient(dz: np.ndarray, kernel: np.ndarray, x_shape: tuple[int, ...],
                           pads: Sequence[tuple[int, int]], out: Sequence[int],
                           dilation: Sequence[int]) -> np.ndarray:
    """Stride-1 input gradient as a convolution of the padded ``dz`` with the flipped kernel.

    Input position ``p`` (in padded coordinates ``lo + i``) receives
    ``dz[p - k * dilation] @ kernel[k].T`` for every offset ``k``. With ``dz``
    padded by ``span = dilation * (kernel - 1)`` zeros before (less the
    forward's ``lo``, whose positions are not part of the input), window ``i``
    of the padded ``dz`` holds ``dz[lo + i - span + j * dilation]`` at offset
    ``j = kernel - 1 - k``: a plain stride-1 convolution with the kernel
    reversed along every spatial axis.
    """
    window = kernel.shape[:-2]
    rank = len(window)
    cin, filters = kernel.shape[-2], kernel.shape[-1]
    batch, spatial = x_shape[0], tuple(x_shape[1:-1])
    dz = dz.reshape(batch, *out, filters)
    index, dz_pads = [slice(None)], []
    for n, (lo, _), o, k, d in zip(spatial, pads, out, window, dilation, strict=True):
        before = d * (k - 1) - lo  # >= 0 unless the forward padded more than the kernel spans
        after = n + lo - o  # so that the padded length is n + span
        index.append(slice(max(-before, 0), o + min(after, 0)))
        dz_pads.append((max(before, 0), max(after, 0)))
    index.append(slice(None))
    dzp = pad_array(dz[tuple(index)], dz_pads)
    cols = im2col(dzp, spatial, window, (1,) * rank, dilation)
    flipped = kernel[(slice(None, None, -1),) * rank]
    matrix = np.ascontiguousarray(np.moveaxis(flipped, -1, -2)).reshape(-1, cin)
    return np.matmul(cols, matrix).reshape(x_shape)


class Pad(Function):
    """Constant padding of the spatial axes of a channels-last array.

    Option ``pads``: one ``(before, after)`` pair per spatial axis; ``value``
    (default 0). The gradient is the interior of the output gradient.
    """

    def forward(self, x, pads: Any = None, value: float = 0.0):
        self.shape, self.pads = x.shape, tuple(pads)
        return pad_array(x, self.pads, value)

    def backward(self, grad):
        return (grad[interior(self.shape, self.pads)],)


# ---------------------------------------------------------------- functional
def _per_axis(value: Any, rank: int, name: str) -> tuple[int, ...]:
    values = (value,) * rank if isinstance(value, (int, np.integer)) else tuple(value)
    if len(values) != rank or any(int(v) < 1 for v in values):
        raise ValueError(
            f"conv: {name} must be a positive int or a tuple of {rank} positive ints, "
            f"received {value!r}."
        )
    return tuple(int(v) for v in values)


def conv(x: Any, kernel: Any, bias: Any = None, strides: Any = 1, padding: str = "valid",
         dilation_rate: Any = 1, activation: str = "linear") -> Tensor:
    """Fused N-d convolution ``activation(conv(x, kernel) + bias)`` (cross-correlation).

    Parameters
    ----------
    x : Tensor, shape (batch, *spatial, in_channels)
    kernel : Tensor, shape (*kernel_size, in_channels, filters)
    bias : Tensor, shape (filters,), optional
    strides : int or tuple of int, default 1
    padding : {"valid", "same", "causal"}, default "valid"
    dilation_rate : int or tuple of int, default 1
    activation : {"linear", "relu", "sigmoid", "tanh", "softmax"}, default "linear"

    Returns
    -------
    Tensor, shape (batch, *out, filters)
        ``out`` from :func:`output_size`; ``y[b, o, f] = sum_{k, c} x[b, o * stride
        + k * dilation - pad_before, c] * kernel[k, c, f] + bias[f]`` (zeros
        outside the input).

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> x = Tensor(np.arange(5.0).reshape(1, 5, 1))
    >>> conv(x, Tensor(np.ones((2, 1, 1))), padding="causal").data.ravel()
    array([0., 1., 3., 5., 7.])
    """
    x, kernel = as_tensor(x), as_tensor(kernel)
    rank = x.ndim - 2
    if rank < 1 or kernel.ndim != rank + 2 or kernel.shape[rank] != x.shape[-1]:
        raise ValueError(
            f"conv: expected x of shape (batch, *spatial, channels) and a kernel of shape "
            f"(*kernel_size, channels, filters) with as many spatial axes, received x "
            f"{x.shape} and kernel {kernel.shape}."
        )
    if activation not in FUSED_ACTIVATIONS:
        raise ValueError(
            f"conv: activation must be one of {FUSED_ACTIVATIONS}, received {activation!r}."
        )
    padding = str(padding).lower()
    if padding not in PADDINGS:
        raise ValueError(f"conv: padding must be one of {PADDINGS}, received {padding!r}.")
    strides = _per_axis(strides, rank, "strides")
    dilation = _per_axis(dilation_rate, rank, "dilation_rate")
    window = kernel.shape[:rank]
    pads = tuple(
        padding_amounts(n, k, s, d, padding)
        for n, k, s, d in zip(x.shape[1:-1], window, strides, dilation, strict=True)
    )
    for axis, (n, k, d, (lo, hi)) in enumerate(zip(x.shape[1:-1], window, dilation, pads,
                                                   strict=True)):
        if n + lo + hi < d * (k - 1) + 1:
            raise ValueError(
                f"conv: the kernel (size {k}, dilation {d}) is larger than the input "
                f"(size {n + lo + hi} after padding) along spatial axis {axis}; use "
                "padding='same' or a smaller kernel."
            )
    options = dict(strides=strides, dilation=dilation, pads=pads, activation=activation)
    if bias is None:
        return Conv.apply(x, kernel, **options)
    return Conv.apply(x, kernel, as_tensor(bias), **options)


def pad(x: Any, pads: Sequence[tuple[int, int]], value: float = 0.0) -> Tensor:
    """Pad the spatial axes of a channels-last tensor with ``value``.

    Parameters
    ----------
    x : Tensor, shape (batch, *spatial, channels)
    pads : sequence of (int, int)
        ``(before, after)`` for each spatial axis, non-negative.
    value : float, default 0.0

    Returns
    -------
    Tensor, shape (batch, *(spatial + before + after), channels)

    Examples
    --------
    >>> import numpy as np
    >>> pad(np.ones((1, 2, 1)), [(1, 0)]).data.ravel()
    array([0., 1., 1.])
    """
    x = as_tensor(x)
    pads = tuple((int(lo), int(hi)) for lo, hi in pads)
    if len(pads) != x.ndim - 2 or any(lo < 0 or hi < 0 for lo, hi in pads):
        raise ValueError(
            f"pad: expected one non-negative (before, after) pair per spatial axis of an input "
            f"of shape {x.shape}, received {pads!r}."
        )
    return Pad.apply(x, pads=pads, value=value)
