"""Resizing, scaling, cropping and padding of ``keras.ops.image``.

Resampling one axis is a matrix product with a weight matrix ``W`` of shape
``(out, in)``; a 2-D resize applies one per axis, so every method is
differentiable in the images. The weights follow Keras's reference semantics
(half-pixel centres, ``src = (dst + 0.5) * in / out - 0.5``):

* ``"nearest"``: input ``floor((dst + 0.5) * in / out)`` (PyTorch's
  ``nearest-exact``, TensorFlow's half-pixel nearest);
* ``"bilinear"``/``"bicubic"`` without antialiasing: the triangle or the cubic
  convolution kernel with PyTorch's ``a = -0.75`` (as Keras's torch backend),
  taps outside the image clamped to the edge;
* with ``antialias=True``, and for ``"lanczos3"``/``"lanczos5"``: the kernel
  widened by ``in / out`` when shrinking, taps outside the image dropped and the
  weights renormalised (JAX's and TensorFlow's ``scale_and_translate``, PyTorch's
  antialiased modes; bicubic then uses Keys's ``a = -0.5``);
* ``"area"``: each output pixel averages the input area it covers (exact
  fractional overlaps, TensorFlow's ``area``).

Examples
--------
>>> import numpy as np
>>> from descend.ops import image
>>> image.resize(np.arange(4.0).reshape(2, 2, 1), (4, 4)).data[..., 0][0]
array([0.  , 0.25, 0.75, 1.  ])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from descend.autograd.ops import conv as _conv
from descend.autograd.tensor import Tensor
from descend.ops._dispatch import keras_op
from descend.ops._image_common import along_axis, as_batch, restore
from descend.ops._nn_common import array, constant, tensor

__all__ = ["crop_images", "pad_images", "resize", "scale_and_translate"]

INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "lanczos3", "lanczos5", "area")


def _triangle(x: np.ndarray) -> np.ndarray:
    return np.maximum(0.0, 1.0 - np.abs(x))


def _cubic(a: float) -> Callable[[np.ndarray], np.ndarray]:
    def kernel(x: np.ndarray) -> np.ndarray:
        x = np.abs(x)
        near = ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0
        far = ((a * x - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a
        return np.where(x < 1.0, near, np.where(x < 2.0, far, 0.0))
    return kernel


def _lanczos(radius: float) -> Callable[[np.ndarray], np.ndarray]:
    def kernel(x: np.ndarray) -> np.ndarray:
        x = np.abs(x)
        safe = np.where(x > 1e-3, x, 1.0)
        value = radius * np.sin(np.pi * safe) * np.sin(np.pi * safe / radius) / (
            np.pi ** 2 * safe ** 2)
        return np.where(x > radius, 0.0, np.where(x > 1e-3, value, 1.0))
    return kernel


KERNELS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "linear": _triangle, "cubic": _cubic(-0.5), "lanczos3": _lanczos(3.0),
    "lanczos5": _lanczos(5.0),
}


def scaled_weights(size: int, out: int, scale: float, translation: float,
                   kernel: Callable[[np.ndarray], np.ndarray], antialias: bool) -> np.ndarray:
    """``(out, size)`` weights of JAX's ``scale_and_translate`` for one axis.

    Output ``i`` samples the input at ``(i + 0.5 - translation) / scale - 0.5``;
    input ``j`` weighs ``kernel(|sample - j| / s)`` with ``s = max(1 / scale, 1)``
    when antialiasing (else 1), normalised per output; samples outside
    ``[-0.5, size - 0.5]`` get no weight.
    """
    sample = (np.arange(out) + 0.5 - translation) / scale - 0.5
    widen = max(1.0 / scale, 1.0) if antialias else 1.0
    w = kernel(np.abs(sample[:, None] - np.arange(size)[None, :]) / widen)
    total = w.sum(axis=1, keepdims=True)
    w = np.where(np.abs(total) > 1000.0 * np.finfo(np.float32).eps,
                 w / np.where(total != 0, total, 1.0), 0.0)
    inside = (sample >= -0.5) & (sample <= size - 0.5)
    return w * inside[:, None]


def _clamped_weights(size: int, out: int, kernel: Callable[[np.ndarray], np.ndarray],
                     radius: int) -> np.ndarray:
    """Interpolation weights with edge-clamped taps (no antialiasing)."""
    sample = (np.arange(out) + 0.5) * size / out - 0.5
    base = np.floor(sample).astype(int)
    w = np.zeros((out, size))
    rows = np.arange(out)
    for offset in range(1 - radius, radius + 1):
        tap = base + offset
        np.add.at(w, (rows, np.clip(tap, 0, size - 1)), kernel(sample - tap))
    return w


def _area_weights(size: int, out: int) -> np.ndarray:
    """Each output averages the input interval ``[i, i + 1) * size / out`` it covers."""
    edges = np.arange(out + 1) * size / out
    lo, hi = edges[:-1, None], edges[1:, None]
    j = np.arange(size)[None, :]
    overlap = np.clip(np.minimum(hi, j + 1) - np.maximum(lo, j), 0.0, None)
    return overlap / (size / out)


def resize_weights(size: int, out: int, interpolation: str, antialias: bool) -> np.ndarray:
    """The ``(out, size)`` resampling matrix of one axis (see the module docstring)."""
    if interpolation == "nearest":
        w = np.zeros((out, size))
        w[np.arange(out), np.minimum(np.floor((np.arange(out) + 0.5) * size / out), size - 1)
          .astype(int)] = 1.0
        return w
    if interpolation == "area":
        return _area_weights(size, out)
    if interpolation.startswith("lanczos") or antialias:
        kernel = KERNELS["linear" if interpolation == "bilinear" else
                         "cubic" if interpolation == "bicubic" else interpolation]
        return scaled_weights(size, out, out / size, 0.0, kernel, antialias)
    if interpolation == "bilinear":
        return _clamped_weights(size, out, _triangle, 1)
    return _clamped_weights(size, out, _cubic(-0.75), 2)


def _fit_aspect(x: Tensor, size: tuple[int, int], crop: bool, pad: bool,
                fill_value: float) -> Tensor:
    height, width = x.shape[1], x.shape[2]
    target_h, target_w = size
    if crop:
        crop_h = max(min(height, int(width * target_h / target_w)), 1)
        crop_w = max(min(width, int(height * target_w / target_h)), 1)
        top, left = int((height - crop_h) / 2), int((width - crop_w) / 2)
        return x[:, top: top + crop_h, left: left + crop_w, :]
    if pad:
        pad_h = max(height, int(width * target_h / target_w))
        pad_w = max(width, int(height * target_w / target_h))
        top, left = int((pad_h - height) / 2), int((pad_w - width) / 2)
        if top > 0 or left > 0:
            return _conv.pad(x, ((top, top), (left, left)), float(fill_value))
    return x


@keras_op
def resize(images: Any, size: Any, interpolation: str = "bilinear", antialias: bool = False,
           crop_to_aspect_ratio: bool = False, pad_to_aspect_ratio: bool = False,
           fill_mode: str = "constant", fill_value: float = 0.0,
           data_format: str | None = None) -> Tensor:
    """Resize images to ``size`` (see the module docstring for the methods).

    Parameters
    ----------
    images : tensor-like, shape (batch, height, width, channels) or (height, width, channels)
        (channels first for ``channels_first``).
    size : (int, int)
        Output ``(height, width)``.
    interpolation : {"bilinear", "nearest", "bicubic", "lanczos3", "lanczos5", "area"}
        Default ``"bilinear"``.
    antialias : bool, default False
        Low-pass filter when shrinking (bilinear, bicubic and the Lanczos kernels).
    crop_to_aspect_ratio : bool, default False
        First crop the centre to the target aspect ratio.
    pad_to_aspect_ratio : bool, default False
        First pad (with ``fill_value``) to the target aspect ratio.
    fill_mode : {"constant"}, default "constant"
    fill_value : float, default 0.0
    data_format : {"channels_last", "channels_first"}, optional

    Returns
    -------
    Tensor, shape (batch, *size, channels)
        Integer images come back rounded to their dtype (without gradient).
    """
    if interpolation not in INTERPOLATIONS:
        raise ValueError(
            f"resize: interpolation must be one of {INTERPOLATIONS}, received {interpolation!r}."
        )
    if fill_mode != "constant":
        raise ValueError(f"resize: fill_mode must be 'constant', received {fill_mode!r}.")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError(
            "resize: only one of crop_to_aspect_ratio and pad_to_aspect_ratio can be True."
        )
    size = tuple(size)
    if len(size) != 2 or any(int(s) != s or s < 1 for s in size):
        raise ValueError(f"resize: size must be two positive ints (height, width), received "
                         f"{size!r}.")
    size = (int(size[0]), int(size[1]))
    x, fmt, unbatched, original = as_batch(images, data_format, "resize")
    x = _fit_aspect(x, size, crop_to_aspect_ratio, pad_to_aspect_ratio, fill_value)
    for axis, out in ((1, size[0]), (2, size[1])):
        if x.shape[axis] != out or interpolation not in ("nearest", "bilinear", "bicubic"):
            x = along_axis(x, resize_weights(x.shape[axis], out, interpolation, antialias),
                           axis)
    return restore(x, fmt, unbatched, original)


_METHODS = {"linear": "linear", "bilinear": "linear", "trilinear": "linear",
            "cubic": "cubic", "bicubic": "cubic", "tricubic": "cubic",
            "lanczos3": "lanczos3", "lanczos5": "lanczos5"}


@keras_op
def scale_and_translate(images: Any, output_shape: Any, scale: Any, translation: Any,
                        spatial_dims: Any, method: str, antialias: bool = True) -> Tensor:
    """Scale and translate the ``spatial_dims`` of ``images`` (JAX's ``scale_and_translate``).

    Output index ``i`` of an axis samples the input at
    ``(i + 0.5 - translation) / scale - 0.5`` with the ``method``'s kernel (see
    :func:`scaled_weights`).

    Parameters
    ----------
    images : tensor-like, any rank
    output_shape : sequence of int
        The full output shape (non-spatial entries equal the input's).
    scale, translation : sequence of float
        One per entry of ``spatial_dims``.
    spatial_dims : sequence of int
    method : {"linear", "bilinear", "trilinear", "cubic", "bicubic", "tricubic",
              "lanczos3", "lanczos5"}
    antialias : bool, default True

    Returns
    -------
    Tensor, shape ``output_shape``
    """
    if method not in _METHODS:
        raise ValueError(f"scale_and_translate: method must be one of {tuple(_METHODS)}, "
                         f"received {method!r}.")
    original = images.dtype if isinstance(images, Tensor) else np.asarray(images).dtype
    x = tensor(images)
    dims = [int(d) % x.ndim for d in spatial_dims]
    scale = np.atleast_1d(array(scale, np.float64))
    translation = np.atleast_1d(array(translation, np.float64))
    output_shape = tuple(int(s) for s in output_shape)
    if len(output_shape) != x.ndim or len(scale) != len(dims) or len(translation) != len(dims):
        raise ValueError(
            f"scale_and_translate: expected output_shape of rank {x.ndim} and one scale and "
            f"translation per spatial dim {tuple(dims)}, received {output_shape}, "
            f"{scale.tolist()}, {translation.tolist()}."
        )
    kernel = KERNELS[_METHODS[method]]
    for d, s, t in zip(dims, scale, translation, strict=True):
        x = along_axis(x, scaled_weights(x.shape[d], output_shape[d], float(s), float(t), kernel,
                                         antialias), d)
    if original.kind in "iub":
        data = np.clip(np.round(x.data), array(images).min(), array(images).max())
        return constant(data.astype(original))
    return x


def _resolve(before: Any, after: Any, target: Any, size: int, names: tuple[str, str, str],
             op: str, cropping: bool) -> tuple[int, int]:
    values = (before, after, target)
    if values.count(None) != 1:
        raise ValueError(
            f"{op}: give exactly two of {', '.join(names)}, received "
            + ", ".join(f"{n}={v!r}" for n, v in zip(names, values, strict=True)) + "."
        )
    for name, value in zip(names, values, strict=True):
        if value is not None and int(value) < 0:
            raise ValueError(f"{op}: {name} must be >= 0, received {value!r}.")
    sign = -1 if cropping else 1
    if before is None:
        before = sign * (int(target) - size) - int(after)
    if after is None:
        after = sign * (int(target) - size) - int(before)
    if before < 0 or after < 0 or (cropping and before + after > size):
        raise ValueError(
            f"{op}: {names[0]} and {names[1]} must be >= 0 and fit the image size {size}, "
            f"they resolve to {before} and {after}."
        )
    return int(before), int(after)


@keras_op
def pad_images(images: Any, top_padding: int | None = None, left_padding: int | None = None,
               bottom_padding: int | None = None, right_padding: int | None = None,
               target_height: int | None = None, target_width: int | None = None,
               data_format: str | None = None) -> Tensor:
    """Pad images with zeros to a size; give two of top/bottom/target_height (and of width).

    Parameters
    ----------
    images : tensor-like, shape (batch, height, width, channels) or (height, width, channels)
    top_padding, left_padding, bottom_padding, right_padding : int, optional
    target_height, target_width : int, optional
    data_format : {"channels_last", "channels_first"}, optional

    Returns
    -------
    Tensor, shape (batch, top + height + bottom, left + width + right, channels)
    """
    x, fmt, unbatched, _ = as_batch(images, data_format, "pad_images")
    top, bottom = _resolve(top_padding, bottom_padding, target_height, x.shape[1],
                           ("top_padding", "bottom_padding", "target_height"), "pad_images",
                           False)
    left, right = _resolve(left_padding, right_padding, target_width, x.shape[2],
                           ("left_padding", "right_padding", "target_width"), "pad_images",
                           False)
    if top or bottom or left or right:
        x = _conv.pad(x, ((top, bottom), (left, right)))
    return restore(x, fmt, unbatched)


@keras_op
def crop_images(images: Any, top_cropping: int | None = None, left_cropping: int | None = None,
                bottom_cropping: int | None = None, right_cropping: int | None = None,
                target_height: int | None = None, target_width: int | None = None,
                data_format: str | None = None) -> Tensor:
    """Crop images; give two of top/bottom/target_height (and of left/right/target_width).

    Parameters
    ----------
    images : tensor-like, shape (batch, height, width, channels) or (height, width, channels)
    top_cropping, left_cropping, bottom_cropping, right_cropping : int, optional
    target_height, target_width : int, optional
    data_format : {"channels_last", "channels_first"}, optional

    Returns
    -------
    Tensor, shape (batch, target_height, target_width, channels)
    """
    x, fmt, unbatched, _ = as_batch(images, data_format, "crop_images")
    top, bottom = _resolve(top_cropping, bottom_cropping, target_height, x.shape[1],
                           ("top_cropping", "bottom_cropping", "target_height"), "crop_images",
                           True)
    left, right = _resolve(left_cropping, right_cropping, target_width, x.shape[2],
                           ("left_cropping", "right_cropping", "target_width"), "crop_images",
                           True)
    x = x[:, top: x.shape[1] - bottom, left: x.shape[2] - right, :]
    return restore(x, fmt, unbatched)


