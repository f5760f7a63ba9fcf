"""Colour conversions, filters and patches of ``keras.ops.image``.

All are composite ops on the engine's primitives (elementwise ops, ``where``
and the convolution), differentiable in the images:

* ``rgb_to_grayscale``: ``0.2989 R + 0.587 G + 0.114 B`` (ITU-R 601 luma, as Keras);
* ``rgb_to_hsv``/``hsv_to_rgb``: hue, saturation and value in [0, 1] (hue wraps);
* ``gaussian_blur``: a separable normalised Gaussian, zero padding, same size;
* ``sobel_edges``: the 3x3 Sobel responses ``(dy, dx)`` of each channel, zero padding;
* ``ssim``: the structural similarity of Wang et al. with an 11x11 Gaussian window;
* ``extract_patches``/``extract_patches_3d``: a convolution with an identity
  kernel, so a patch's values are ordered (row, column, channel).

Examples
--------
>>> import numpy as np
>>> from descend.ops import image
>>> image.rgb_to_hsv(np.array([[[1.0, 0.0, 0.0]]])).data
array([[[0., 1., 1.]]])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.autograd import ops as _ops
from descend.autograd.ops import conv as _conv
from descend.autograd.tensor import Tensor
from descend.ops._dispatch import keras_op
from descend.ops._image_common import as_batch, restore
from descend.ops._nn_common import data_format as _data_format
from descend.ops._nn_common import from_channels_last, per_axis, tensor, to_channels_last
from descend.ops._nn_conv import _conv_last, depthwise_conv, padding_mode

__all__ = [
    "extract_patches", "extract_patches_3d", "gaussian_blur", "hsv_to_rgb", "rgb_to_grayscale",
    "rgb_to_hsv", "sobel_edges", "ssim",
]


def _channels(x: Tensor, expected: tuple[int, ...], op: str) -> None:
    if x.shape[-1] not in expected:
        raise ValueError(
            f"{op}: expected {' or '.join(map(str, expected))} channels, received images of "
            f"shape {x.shape} (channels last after any channels_first conversion)."
        )


def _float_images(images: Any, op: str) -> None:
    dtype = images.dtype if isinstance(images, Tensor) else np.asarray(images).dtype
    if dtype.kind != "f":
        raise ValueError(f"{op}: expected float images, received dtype {dtype}.")


def _planes(x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    return x[..., 0], x[..., 1], x[..., 2]


@keras_op
def rgb_to_grayscale(images: Any, data_format: str | None = None) -> Tensor:
    """Convert RGB images to one grey channel ``0.2989 R + 0.587 G + 0.114 B``.

    Parameters
    ----------
    images : tensor-like, shape (batch, height, width, 3 or 1) or one image
        A one-channel image is returned unchanged.
    data_format : {"channels_last", "channels_first"}, optional

    Returns
    -------
    Tensor, shape (..., 1) in the channel axis
    """
    x, fmt, unbatched, original = as_batch(images, data_format, "rgb_to_grayscale")
    _channels(x, (1, 3), "rgb_to_grayscale")
    if x.shape[-1] == 3:
        r, g, b = _planes(x)
        x = _ops.expand_dims(r * 0.2989 + g * 0.587 + b * 0.114, -1)
    return restore(x, fmt, unbatched, original)


@keras_op
def rgb_to_hsv(images: Any, data_format: str | None = None) -> Tensor:
    """Convert float RGB images to HSV (each channel in [0, 1]).

    ``value = max(R, G, B)``, ``saturation = (value - min) / value`` (0 where
    value is 0), hue from the channel holding the maximum, in turns (0 for grey).

    Parameters
    ----------
    images : float tensor-like, shape (batch, height, width, 3) or one image
    data_format : {"channels_last", "channels_first"}, optional

    Returns
    -------
    Tensor, the shape of ``images``
    """
    _float_images(images, "rgb_to_hsv")
    x, fmt, unbatched, _ = as_batch(images, data_format, "rgb_to_hsv")
    _channels(x, (3,), "rgb_to_hsv")
    eps = np.finfo(x.dtype).eps
    x = _ops.where(np.abs(x.data) < eps, 0.0, x)
    r, g, b = _planes(x)
    value = _ops.maximum(_ops.maximum(r, g), b)
    spread = value - _ops.minimum(_ops.minimum(r, g), b)
    positive, varied = value.data > 0, spread.data > 0
    saturation = _ops.where(positive, spread / _ops.where(positive, value, 1.0), 0.0)
    norm = 1.0 / (_ops.where(varied, spread, 1.0) * 6.0)
    hue = _ops.where(value.data == g.data, norm * (b - r) + 2.0 / 6.0, norm * (r - g) + 4.0 / 6.0)
    hue = _ops.where(value.data == r.data, norm * (g - b), hue)
    hue = _ops.where(varied, hue, 0.0)
    hue = hue + (hue.data < 0).astype(x.dtype)
    return restore(_ops.stack([hue, saturation, value], axis=-1), fmt, unbatched)


@keras_op
def hsv_to_rgb(images: Any, data_format: str | None = None) -> Tensor:
    """Convert float HSV images (channels in [0, 1], hue wrapping) to RGB.

    Parameters
    ----------
    images : float tensor-like, shape (batch, height, width, 3) or one image
    data_format : {"channels_last", "channels_first"}, optional

    Returns
    -------
    Tensor, the shape of ``images``
    """
    _float_images(images, "hsv_to_rgb")
    x, fmt, unbatched, _ = as_batch(images, data_format, "hsv_to_rgb")
    _channels(x, (3,), "hsv_to_rgb")
    hue, saturation, value = _planes(x)
    turns = (hue - np.floor(hue.data)) * 6.0
    dr = _ops.clip(_ops.abs(turns - 3.0) - 1.0, 0.0, 1.0)
    dg = _ops.clip(2.0 - _ops.abs(turns - 2.0), 0.0, 1.0)
    db = _ops.clip(2.0 - _ops.abs(turns - 4.0), 0.0, 1.0)
    grey = 1.0 - saturation
    planes = [value * (grey + saturation * d) for d in (dr, dg, db)]
    return restore(_ops.stack(planes, axis=-1), fmt, unbatched)


def gaussian_kernel(size: int, sigma: float) -> np.ndarray:
    """A normalised 1-D Gaussian of ``size`` taps centred on ``(size - 1) / 2``."""
    offsets = np.arange(size) - (size - 1) / 2
    kernel = np.exp(-0.5 * (offsets / sigma) ** 2)
    return kernel / kernel.sum()


def _depthwise_same(x: Tensor, kernel2d: np.ndarray, multiplier_kernels: int = 1) -> Tensor:
    """Convolve each channel of channels-last ``x`` with ``kernel2d`` (kh, kw[, m]), same size."""
    kh, kw = kernel2d.shape[:2]
    k = kernel2d.reshape(kh, kw, 1, -1)
    k = np.broadcast_to(k, (kh, kw, x.shape[-1], k.shape[-1])).astype(x.dtype)
    padded = _conv.pad(x, ((kh // 2, kh - 1 - kh // 2), (kw // 2, kw - 1 - kw // 2)))
    return depthwise_conv(padded, k)


@keras_op
def gaussian_blur(images: Any, kernel_size: Any = (3, 3), sigma: Any = (1.0, 1.0),
                  data_format: str | None = None) -> Tensor:
    """Blur each channel with a Gaussian (zero padding, output the input's size).

    Parameters
    ----------
    images : tensor-like, shape (batch, height, width, channels) or one image
    kernel_size : (int, int), default (3, 3)
        ``(x, y)`` sizes: ``kernel_size[0]`` taps along the width,
        ``kernel_size[1]`` along the height (Keras's order).
    sigma : (float, float), default (1.0, 1.0)
        ``(sigma_x, sigma_y)``, positive.
    data_format : {"channels_last", "channels_first"}, optional

    Returns
    -------
    Tensor, the shape of ``images``
    """
    sizes = per_axis(kernel_size, 2, "kernel_size", "gaussian_blur")
    sigmas = np.broadcast_to(np.asarray(sigma, np.float64), (2,))
    if np.any(sigmas <= 0):
        raise ValueError(f"gaussian_blur: sigma must be positive, received {sigma!r}.")
    x, fmt, unbatched, original = as_batch(images, data_format, "gaussian_blur")
    kernel = np.outer(gaussian_kernel(sizes[1], sigmas[1]), gaussian_kernel(sizes[0], sigmas[0]))
    return restore(_depthwise_same(x, kernel), fmt, unbatched, original)


_SOBEL_Y = np.array([[-1.0, -2.0, -1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 1.0]])


@keras_op
def sobel_edges(images: Any, data_format: str | None = None) -> Tensor:
    """Sobel edge responses of each channel (zero padding).

    Parameters
    ----------
    images : tensor-like, shape (batch, height, width, channels) or one image
    data_format : {"channels_last", "channels_first"}, optional

    Returns
    -------
    Tensor, shape (batch, height, width, channels, 2)
        ``[..., 0]`` the vertical gradient ``dy``, ``[..., 1]`` the horizontal ``dx``
        (``(batch, channels, height, width, 2)`` for ``channels_first``).
    """
    x, fmt, unbatched, _ = as_batch(images, data_format, "sobel_edges")
    kernels = np.stack([_SOBEL_Y, _SOBEL_Y.T], axis=-1)  # (3, 3, 2): dy, dx
    edges = _depthwise_same(x, kernels)
    n, h, w, c = x.shape
    edges = _ops.reshape(edges, (n, h, w, c, 2))
    if fmt == "channels_first":
        edges = _ops.transpose(edges, (0, 3, 1, 2, 4))
    return _ops.reshape(edges, edges.shape[1:]) if unbatched else edges


@keras_op
def ssim(image1: Any, image2: Any, max_val: float = 1.0, filter_size: int = 11,
         filter_sigma: float = 1.5, k1: float = 0.01, k2: float = 0.03,
         data_format: str | None = None) -> Tensor:
    """Structural similarity index, averaged over positions and channels.

    With Gaussian-weighted local means ``mu``, variances ``s`` and covariance
    ``s12`` (``filter_size`` window, ``"valid"`` positions),
    ``ssim = (2 mu1 mu2 + c1)(2 s12 + c2) / ((mu1^2 + mu2^2 + c1)(s1 + s2 + c2))``,
    ``c1 = (k1 max_val)^2``, ``c2 = (k2 max_val)^2``.

    Parameters
    ----------
    image1, image2 : tensor-like, shape (batch, height, width, channels) or one image
    max_val : float, default 1.0
    filter_size : int, default 11
    filter_sigma : float, default 1.5
    k1, k2 : float, default 0.01 and 0.03
    data_format : {"channels_last", "channels_first"}, optional

    Returns
    -------
    Tensor, shape (batch,) (a scalar for single images)
    """
    a, fmt, unbatched, _ = as_batch(image1, data_format, "ssim")
    b, _, _, _ = as_batch(image2, data_format, "ssim")
    if a.shape != b.shape:
        raise ValueError(f"ssim: image1 and image2 must have the same shape, received "
                         f"{a.shape} and {b.shape}.")
    if filter_size > min(a.shape[1], a.shape[2]):
        raise ValueError(f"ssim: filter_size {filter_size} is larger than the images "
                         f"{a.shape[1:3]}.")
    window = np.outer(*(gaussian_kernel(int(filter_size), float(filter_sigma)),) * 2)
    kernel = np.broadcast_to(window[:, :, None, None], (*window.shape, a.shape[-1], 1))
    kernel = kernel.astype(a.dtype)

    def local(x: Tensor) -> Tensor:
        return depthwise_conv(x, kernel)

    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    mu1, mu2 = local(a), local(b)
    s1 = local(a * a) - mu1 * mu1
    s2 = local(b * b) - mu2 * mu2
    s12 = local(a * b) - mu1 * mu2
    index = ((mu1 * mu2 * 2.0 + c1) * (s12 * 2.0 + c2)) / (
        (mu1 * mu1 + mu2 * mu2 + c1) * (s1 + s2 + c2))
    value = _ops.mean(index, axis=(1, 2, 3))
    return _ops.reshape(value, ()) if unbatched else value


def _patches(images: Any, size: Any, strides: Any, dilation_rate: Any, padding: Any,
             fmt: Any, rank: int, op: str) -> Tensor:
    fmt = _data_format(fmt, op)
    x = tensor(images)
    if x.ndim not in (rank + 1, rank + 2):
        raise ValueError(f"{op}: expected a rank-{rank + 1} input or a rank-{rank + 2} batch, "
                         f"received shape {x.shape}.")
    unbatched = x.ndim == rank + 1
    if unbatched:
        x = _ops.reshape(x, (1, *x.shape))
    x = to_channels_last(x, fmt)
    window = per_axis(size, rank, "size", op)
    strides = window if not strides else strides
    channels = x.shape[-1]
    depth = int(np.prod(window)) * channels
    kernel = np.eye(depth, dtype=x.dtype).reshape(*window, channels, depth)
    y = _conv_last(x, tensor(kernel), strides, padding_mode(padding, op), dilation_rate, op)
    y = from_channels_last(y, fmt)
    return _ops.reshape(y, y.shape[1:]) if unbatched else y


@keras_op
def extract_patches(images: Any, size: Any, strides: Any = None, dilation_rate: Any = 1,
                    padding: str = "valid", data_format: str | None = None) -> Tensor:
    """Extract ``size`` patches of images into the channel axis.

    Parameters
    ----------
    images : tensor-like, shape (batch, height, width, channels) or one image
    size : int or (int, int)
        Patch height and width.
    strides : int or (int, int), optional
        Default ``size`` (non-overlapping patches).
    dilation_rate : int or (int, int), default 1
    padding : {"valid", "same"}, default "valid"
    data_format : {"channels_last", "channels_first"}, optional

    Returns
    -------
    Tensor, shape (batch, out_h, out_w, ph * pw * channels)
        Each patch flattened in (row, column, channel) order.
    """
    return _patches(images, size, strides, dilation_rate, padding, data_format, 2,
                    "extract_patches")


@keras_op
def extract_patches_3d(volumes: Any, size: Any, strides: Any = None, dilation_rate: Any = 1,
                       padding: str = "valid", data_format: str | None = None) -> Tensor:
    """Extract ``size`` patches of volumes into the channel axis.

    Parameters
    ----------
    volumes : tensor-like, shape (batch, depth, height, width, channels) or one volume
    size : int or (int, int, int)
    strides : int or (int, int, int), optional
        Default ``size``.
    dilation_rate : int or (int, int, int), default 1
    padding : {"valid", "same"}, default "valid"
    data_format : {"channels_last", "channels_first"}, optional

    Returns
    -------
    Tensor, shape (batch, out_d, out_h, out_w, pd * ph * pw * channels)
    """
    return _patches(volumes, size, strides, dilation_rate, padding, data_format, 3,
                    "extract_patches_3d")
