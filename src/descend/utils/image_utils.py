"""Image files to and from arrays (Keras's ``load_img``, ``img_to_array``, ``array_to_img``,
``save_img``), through Pillow.

Pillow is an optional dependency (``pip install descend[image]``); it is imported when one
of these functions is first called, and a missing Pillow raises an ``ImportError`` that says
how to install it. Arrays are ``(height, width, channels)`` (``channels_last``, the default
of ``descend.config.image_data_format()``) or ``(channels, height, width)``.

Examples
--------
>>> import io
>>> import numpy as np
>>> x = np.zeros((2, 3, 3), dtype="float32"); x[0, 0] = 255
>>> img = array_to_img(x, scale=False)  # doctest: +SKIP
>>> img.size, img_to_array(img).shape  # doctest: +SKIP
((3, 2), (2, 3, 3))
"""

from __future__ import annotations

import io
import os
import pathlib
from typing import Any

import numpy as np

from descend import config

__all__ = ["array_to_img", "img_to_array", "load_img", "save_img"]

INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")


def pil_image() -> Any:
    """Import and return ``PIL.Image``, or raise an ``ImportError`` saying how to install it."""
    try:
        from PIL import Image
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError("descend's image utilities need Pillow: install it with "
                          "`pip install descend[image]` (or `pip install Pillow`).") from error
    return Image


def _data_format(data_format: str | None, caller: str) -> str:
    data_format = data_format or config.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"{caller}: `data_format` must be 'channels_last' or "
                         f"'channels_first', received data_format={data_format!r}.")
    return data_format


def array_to_img(x: Any, data_format: str | None = None, scale: bool = True,
                 dtype: Any = None) -> Any:
    """A Pillow image from a rank-3 array.

    Parameters
    ----------
    x : array-like, shape (H, W, C) or (C, H, W)
        C is 1 (mode "L", or "I" when values exceed 255), 3 ("RGB") or 4 ("RGBA").
    data_format : {"channels_last", "channels_first"}, optional
    scale : bool, default True
        Rescale the values to 0..255 (``(x - min) / max(x - min) * 255``).
    dtype : dtype, optional
        Working dtype, default floatx.

    Returns
    -------
    PIL.Image.Image
    """
    image = pil_image()
    data_format = _data_format(data_format, "array_to_img")
    x = np.array(x, dtype=dtype or config.floatx())
    if x.ndim != 3:
        raise ValueError("array_to_img: expected an image array of rank 3 (height, width, "
                         f"channels), received an array of shape {x.shape}.")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        top = np.max(x)
        if top != 0:
            x = x / top
        x = x * 255
    channels = x.shape[2]
    if channels == 4:
        return image.fromarray(x.astype("uint8"), "RGBA")
    if channels == 3:
        return image.fromarray(x.astype("uint8"), "RGB")
    if channels == 1:
        if np.max(x) > 255:
            return image.fromarray(x[:, :, 0].astype("int32"), "I")
        return image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"array_to_img: expected 1, 3 or 4 channels, received {channels} "
                     f"(array of shape {x.shape}).")


def img_to_array(img: Any, data_format: str | None = None, dtype: Any = None) -> np.ndarray:
    """A float array ``(H, W, C)`` (or ``(C, H, W)``) from a Pillow image.

    Grayscale images get a channel axis of size 1.
    """
    data_format = _data_format(data_format, "img_to_array")
    x = np.asarray(img, dtype=dtype or config.floatx())
    if x.ndim == 2:
        x = x[:, :, None]
    if x.ndim != 3:
        raise ValueError(f"img_to_array: unsupported image shape {x.shape}.")
    if data_format == "channels_first":
        x = x.transpose(2, 0, 1)
    return x


def save_img(path: Any, x: Any, data_format: str | None = None, file_format: str | None = None,
             scale: bool = True, **kwargs: Any) -> None:
    """Save an array as an image file (format from ``file_format`` or the extension).

    RGBA images saved as JPEG are converted to RGB. Extra keyword arguments go to Pillow's
    ``Image.save``.
    """
    if file_format is None and isinstance(path, (str, pathlib.Path)):
        file_format = pathlib.Path(path).suffix[1:].lower() or None
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format == "jpeg":
        img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)


def load_img(path: Any, color_mode: str = "rgb", target_size: tuple[int, int] | None = None,
             interpolation: str = "nearest", keep_aspect_ratio: bool = False) -> Any:
    """Load an image file as a Pillow image.

    Parameters
    ----------
    path : str, pathlib.Path, bytes or io.BytesIO
    color_mode : {"rgb", "rgba", "grayscale"}, default "rgb"
    target_size : (height, width), optional
        Resize to this size.
    interpolation : str, default "nearest"
        "nearest", "bilinear", "bicubic", "hamming", "box" or "lanczos".
    keep_aspect_ratio : bool, default False
        Crop the centre to the target aspect ratio before resizing.

    Returns
    -------
    PIL.Image.Image
    """
    image = pil_image()
    if isinstance(path, io.BytesIO):
        img = image.open(path)
    elif isinstance(path, (str, bytes, os.PathLike)):
        with open(path, "rb") as handle:
            img = image.open(io.BytesIO(handle.read()))
    else:
        raise TypeError(f"load_img: `path` must be a path or io.BytesIO, received "
                        f"{type(path).__name__}.")
    if color_mode == "grayscale":
        if img.mode not in ("L", "I;16", "I"):
            img = img.convert("L")
    elif color_mode == "rgba":
        if img.mode != "RGBA":
            img = img.convert("RGBA")
    elif color_mode == "rgb":
        if img.mode != "RGB":
            img = img.convert("RGB")
    else:
        raise ValueError(f'load_img: `color_mode` must be "grayscale", "rgb" or "rgba", '
                         f"received color_mode={color_mode!r}.")
    if target_size is not None:
        size = (int(target_size[1]), int(target_size[0]))
        if img.size != size:
            if interpolation not in INTERPOLATIONS:
                raise ValueError(f"load_img: `interpolation` must be one of {INTERPOLATIONS}, "
                                 f"received interpolation={interpolation!r}.")
            resample = getattr(image.Resampling, interpolation.upper())
            if keep_aspect_ratio:
                width, height = img.size
                crop_h = min(height, (width * size[1]) // size[0])
                crop_w = min(width, (height * size[0]) // size[1])
                top, left = (height - crop_h) // 2, (width - crop_w) // 2
                img = img.resize(size, resample, box=(left, top, left + crop_w, top + crop_h))
            else:
                img = img.resize(size, resample)
    return img
