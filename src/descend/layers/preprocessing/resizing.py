"""``Resizing`` and ``CenterCrop``: deterministic image geometry inside a model.

``Resizing(height, width)`` resizes images ``(B, H, W, C)`` (or one image ``(H, W, C)``) to
``(B, height, width, C)`` with the chosen interpolation (see
:mod:`descend.layers.preprocessing._image_ops` for each kernel; half-pixel centres as in
Keras). Options, as Keras:

- ``crop_to_aspect_ratio=True``: first cut the largest centred window with the target
  aspect ratio (``crop_h = min(H, int(W * height / width))``, likewise ``crop_w``), so the
  image is not distorted;
- ``pad_to_aspect_ratio=True``: instead pad the image, centred, with ``fill_value``
  (``int((pad - size) / 2)`` rows or columns on each side) up to the target aspect ratio.

``CenterCrop(height, width)`` cuts the centred ``height x width`` window (start ``(H -
height) // 2``); if the image is smaller than the window in either direction it is instead
resized as Keras's ``smart_resize`` does (aspect-ratio crop, then bilinear resize).

Both are built from engine ops (indexing, padding, matrix products), so gradients flow
through them. Both work the same in training and inference.

Examples
--------
>>> import numpy as np
>>> from descend.layers import CenterCrop, Resizing
>>> x = np.arange(24, dtype="float32").reshape(1, 4, 6, 1)
>>> Resizing(2, 3)(x).data[0, :, :, 0]
array([[ 3.5,  5.5,  7.5],
       [15.5, 17.5, 19.5]], dtype=float32)
>>> CenterCrop(2, 3)(x).data[0, :, :, 0]
array([[ 7.,  8.,  9.],
       [13., 14., 15.]], dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.autograd import Tensor  # noqa: F401  (annotations)
from descend.autograd import ops as E
from descend.layers.layer import Layer
from descend.layers.preprocessing._base import (
    bad_value,
    check_choice,
    check_positive_int,
    data_format_of,
    from_batch,
    image_axes,
    to_batch,
)
from descend.layers.preprocessing._image_ops import INTERPOLATIONS, resize


def crop_box(in_h: int, in_w: int, height: int, width: int) -> tuple[int, int, int, int]:
    """``(top, left, crop_h, crop_w)`` of the largest centred window of ratio width/height."""
    crop_h = max(min(in_h, int(float(in_w * height) / width)), 1)
    crop_w = max(min(in_w, int(float(in_h * width) / height)), 1)
    return int(float(in_h - crop_h) / 2), int(float(in_w - crop_w) / 2), crop_h, crop_w


def smart_resize(images: Tensor, height: int, width: int,
                 interpolation: str = "bilinear") -> Tensor:
    """Crop ``(B, H, W, C)`` images to the target aspect ratio, then resize them."""
    top, left, crop_h, crop_w = crop_box(images.shape[1], images.shape[2], height, width)
    images = E.getitem(images, (slice(None), slice(top, top + crop_h),
                                slice(left, left + crop_w)))
    return resize(images, height, width, interpolation)


class Resizing(Layer):
    """Resize images to ``(height, width)``.

    Parameters
    ----------
    height, width : int
        Output size.
    interpolation : str, default "bilinear"
        "bilinear", "nearest", "bicubic", "area", "lanczos3" or "lanczos5".
    crop_to_aspect_ratio : bool, default False
    pad_to_aspect_ratio : bool, default False
    fill_mode : {"constant"}, default "constant"
        How padding is filled (Keras supports only "constant").
    fill_value : float, default 0.0
    antialias : bool, default False
        Widen the kernel when downsampling.
    data_format : {"channels_last", "channels_first"}, optional
    **kwargs
        Base-layer arguments.
    """

    def __init__(self, height: int, width: int, interpolation: str = "bilinear",
                 crop_to_aspect_ratio: bool = False, pad_to_aspect_ratio: bool = False,
                 fill_mode: str = "constant", fill_value: float = 0.0, antialias: bool = False,
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.height = check_positive_int(self, "height", height)
        self.width = check_positive_int(self, "width", width)
        self.interpolation = check_choice(self, "interpolation", interpolation, INTERPOLATIONS)
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise bad_value(self, "pad_to_aspect_ratio", "False when crop_to_aspect_ratio is "
                            "True (choose one)", pad_to_aspect_ratio)
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = bool(pad_to_aspect_ratio)
        self.fill_mode = check_choice(self, "fill_mode", fill_mode, ("constant",))
        self.fill_value = float(fill_value)
        self.antialias = bool(antialias)
        self.data_format = data_format_of(self, data_format)

    def call(self, inputs: Tensor) -> Tensor:
        """Resize ``inputs`` (see the module docstring)."""
        x, single = to_batch(self, inputs, self.data_format)
        if x.dtype.kind != "f":
            x = E.cast(x, self.dtype)
        in_h, in_w = x.shape[1], x.shape[2]
        if self.crop_to_aspect_ratio:
            top, left, crop_h, crop_w = crop_box(in_h, in_w, self.height, self.width)
            x = E.getitem(x, (slice(None), slice(top, top + crop_h), slice(left, left + crop_w)))
        elif self.pad_to_aspect_ratio:
            pad_h = max(in_h, int(float(in_w * self.height) / self.width))
            pad_w = max(in_w, int(float(in_h * self.width) / self.height))
            top, left = int(float(pad_h - in_h) / 2), int(float(pad_w - in_w) / 2)
            if top or left:
                from descend.autograd.ops.conv import pad

                x = pad(x, [(top, top), (left, left)], value=self.fill_value)
        x = resize(x, self.height, self.width, self.interpolation, self.antialias)
        return from_batch(x, single, self.data_format)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """The input shape with height and width replaced."""
        shape = list(input_shape)
        h_axis, w_axis = image_axes(shape, self.data_format)
        shape[h_axis], shape[w_axis] = self.height, self.width
        return tuple(shape)

    def get_config(self) -> dict[str, Any]:
        """Keras's keys."""
        config = super().get_config()
        config.update(data_format=self.data_format, height=self.height, width=self.width,
                      interpolation=self.interpolation,
                      crop_to_aspect_ratio=self.crop_to_aspect_ratio,
                      pad_to_aspect_ratio=self.pad_to_aspect_ratio, fill_mode=self.fill_mode,
                      fill_value=self.fill_value, antialias=self.antialias)
        return config


class CenterCrop(Layer):
    """Cut the centred ``height x width`` window of images.

    Parameters
    ----------
    height, width : int
        Size of the window.
    data_format : {"channels_last", "channels_first"}, optional
    **kwargs
        Base-layer arguments.
    """

    def __init__(self, height: int, width: int, data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.height = check_positive_int(self, "height", height)
        self.width = check_positive_int(self, "width", width)
        self.data_format = data_format_of(self, data_format)

    def call(self, inputs: Tensor) -> Tensor:
        """The centred window, or a smart resize for small images."""
        x, single = to_batch(self, inputs, self.data_format)
        if x.dtype != np.dtype(self.dtype):
            x = E.cast(x, self.dtype)
        h_diff, w_diff = x.shape[1] - self.height, x.shape[2] - self.width
        if h_diff >= 0 and w_diff >= 0:
            top, left = h_diff // 2, w_diff // 2
            x = E.getitem(x, (slice(None), slice(top, top + self.height),
                              slice(left, left + self.width)))
        else:
            x = smart_resize(x, self.height, self.width)
        return from_batch(x, single, self.data_format)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """The input shape with height and width replaced."""
        shape = list(input_shape)
        h_axis, w_axis = image_axes(shape, self.data_format)
        shape[h_axis], shape[w_axis] = self.height, self.width
        return tuple(shape)

    def get_config(self) -> dict[str, Any]:
        """Base keys plus ``data_format``, ``height``, ``width``."""
        config = super().get_config()
        config.update(data_format=self.data_format, height=self.height, width=self.width)
        return config


__all__ = ["CenterCrop", "Resizing", "crop_box", "smart_resize"]
