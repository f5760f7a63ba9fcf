"""``RandomRotation``, ``RandomZoom``, ``RandomTranslation``: random affine warps in training.

Each image of the batch gets its own random transformation (one draw per image); the warp
is sampled with ``interpolation`` (``"bilinear"`` or ``"nearest"``) and positions that fall
outside the image are filled by ``fill_mode`` (``"reflect"`` by default, ``"wrap"``,
``"nearest"``, ``"constant"`` with ``fill_value``), as in Keras (see
:mod:`descend.layers.preprocessing._image_ops`). Outside training they are the identity.
Gradients reach the input pixels (the warp's backward pass scatters them back).

- ``RandomRotation(factor)``: angle uniform in ``[lower, upper] * 2π`` (``factor`` is a
  fraction of a full turn; a number ``f`` means ``(-f, f)``), about the image centre;
  a positive angle turns the content counter-clockwise.
- ``RandomZoom(height_factor, width_factor=None)``: zoom ``z = 1 + u`` with ``u`` uniform in
  ``[lower, upper]`` (a number ``f`` means ``(-f, f)``; each in (-1, 1]); ``z > 1`` zooms
  out (the content shrinks), ``z < 1`` zooms in. ``width_factor=None`` keeps the aspect
  ratio (the same draw for both axes).
- ``RandomTranslation(height_factor, width_factor)``: shifts of ``u * height`` and
  ``v * width`` pixels (fractions in [-1, 1]; a number ``f`` means ``(-f, f)``); positive
  values move the content down and right.

Examples
--------
>>> import numpy as np
>>> from descend.layers import RandomRotation
>>> x = np.random.default_rng(0).random((2, 8, 8, 1)).astype("float32")
>>> layer = RandomRotation(0.1, seed=3)
>>> bool((layer(x).data == x).all()), layer(x, training=True).shape
(True, (2, 8, 8, 1))
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from descend.autograd import Tensor
from descend.layers.preprocessing._base import (
    RandomImageLayer,
    bad_value,
    check_choice,
    factor_range,
)
from descend.layers.preprocessing._image_ops import FILL_MODES, affine_matrix, affine_transform


class _AffineLayer(RandomImageLayer):
    """Shared arguments of the warping layers."""

    def __init__(self, fill_mode: str = "reflect", interpolation: str = "bilinear",
                 seed: int | None = None, fill_value: float = 0.0,
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.fill_mode = check_choice(self, "fill_mode", fill_mode, FILL_MODES)
        self.interpolation = check_choice(self, "interpolation", interpolation,
                                          ("bilinear", "nearest"))
        if isinstance(fill_value, bool) or not isinstance(fill_value, (int, float)):
            raise bad_value(self, "fill_value", "a number", fill_value)
        self.fill_value = float(fill_value)

    def matrices(self, batch: int, height: int, width: int) -> np.ndarray:  # pragma: no cover
        """``(batch, 8)`` transforms for one batch; subclasses implement it."""
        raise NotImplementedError

    def augment(self, images: Tensor) -> Tensor:
        """Warp a channels-last batch."""
        batch, height, width = images.shape[0], images.shape[1], images.shape[2]
        transforms = self.matrices(batch, height, width)
        return affine_transform(images, transforms, self.interpolation, self.fill_mode,
                                self.fill_value)

    def get_config(self) -> dict[str, Any]:
        """Base keys plus ``fill_mode``, ``fill_value`` and ``interpolation``."""
        config = super().get_config()
        config.update(fill_mode=self.fill_mode, fill_value=self.fill_value,
                      interpolation=self.interpolation)
        return config


class RandomRotation(_AffineLayer):
    """Rotate images by a random angle during training.

    Parameters
    ----------
    factor : float or pair of float
        Angle range as a fraction of 2π.
    fill_mode : {"reflect", "wrap", "constant", "nearest"}, default "reflect"
    interpolation : {"bilinear", "nearest"}, default "bilinear"
    seed : int, optional
    fill_value : float, default 0.0
    data_format : {"channels_last", "channels_first"}, optional
    **kwargs
        Base-layer arguments.
    """

    def __init__(self, factor: Any, fill_mode: str = "reflect",
                 interpolation: str = "bilinear", seed: int | None = None,
                 fill_value: float = 0.0, data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.factor = factor_range(self, "factor", factor)

    def matrices(self, batch: int, height: int, width: int) -> np.ndarray:
        """Rotations about the centre."""
        lower, upper = self.factor
        angle = self.generator.uniform(lower * 360.0, upper * 360.0, batch) * math.pi / 180.0
        ones, zeros = np.ones(batch), np.zeros(batch)
        return affine_matrix(angle, ones, ones, zeros, zeros, height, width)

    def get_config(self) -> dict[str, Any]:
        """Base keys plus ``factor``."""
        config = super().get_config()
        config["factor"] = self.factor
        return config


class RandomZoom(_AffineLayer):
    """Zoom images in or out by a random amount during training.

    Parameters
    ----------
    height_factor : float or pair of float
        Vertical zoom range (values in (-1, 1]; positive zooms out).
    width_factor : float or pair of float, optional
        Horizontal zoom range; None uses the vertical draw (aspect ratio kept).
    fill_mode, interpolation, seed, fill_value, data_format
        As :class:`RandomRotation`.
    **kwargs
        Base-layer arguments.
    """

    def __init__(self, height_factor: Any, width_factor: Any = None,
                 fill_mode: str = "reflect", interpolation: str = "bilinear",
                 seed: int | None = None, fill_value: float = 0.0,
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor = height_factor
        self.width_factor = width_factor
        self._height = self._zoom_range("height_factor", height_factor)
        self._width = None if width_factor is None else self._zoom_range("width_factor",
                                                                          width_factor)

    def _zoom_range(self, argument: str, factor: Any) -> tuple[float, float]:
        lower, upper = factor_range(self, argument, factor)
        if lower <= -1.0 or upper > 1.0:
            raise bad_value(self, argument, "values in (-1, 1]", factor)
        return lower, upper

    def matrices(self, batch: int, height: int, width: int) -> np.ndarray:
        """Zooms about the centre."""
        zoom_y = 1.0 + self.generator.uniform(*self._height, batch)
        zoom_x = zoom_y if self._width is None else 1.0 + self.generator.uniform(
            *self._width, batch)
        zeros = np.zeros(batch)
        return affine_matrix(zeros, zoom_x, zoom_y, zeros, zeros, height, width)

    def get_config(self) -> dict[str, Any]:
        """Base keys plus ``height_factor`` and ``width_factor``."""
        config = super().get_config()
        config.update(height_factor=self.height_factor, width_factor=self.width_factor)
        return config


class RandomTranslation(_AffineLayer):
    """Shift images by a random offset during training.

    Parameters
    ----------
    height_factor, width_factor : float or pair of float
        Shift ranges as fractions of the height and width, in [-1, 1].
    fill_mode, interpolation, seed, fill_value, data_format
        As :class:`RandomRotation`.
    **kwargs
        Base-layer arguments.
    """

    def __init__(self, height_factor: Any, width_factor: Any, fill_mode: str = "reflect",
                 interpolation: str = "bilinear", seed: int | None = None,
                 fill_value: float = 0.0, data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor = height_factor
        self.width_factor = width_factor
        self._height = factor_range(self, "height_factor", height_factor, bounds=(-1.0, 1.0))
        self._width = factor_range(self, "width_factor", width_factor, bounds=(-1.0, 1.0))

    def matrices(self, batch: int, height: int, width: int) -> np.ndarray:
        """Pure shifts."""
        dy = self.generator.uniform(*self._height, batch) * height
        dx = self.generator.uniform(*self._width, batch) * width
        ones, zeros = np.ones(batch), np.zeros(batch)
        return affine_matrix(zeros, ones, ones, -dx, -dy, height, width)

    def get_config(self) -> dict[str, Any]:
        """Base keys plus ``height_factor`` and ``width_factor``."""
        config = super().get_config()
        config.update(height_factor=self.height_factor, width_factor=self.width_factor)
        return config
