"""Upsampling layers: ``UpSampling1D``, ``UpSampling2D`` and ``UpSampling3D``.

Nearest-neighbour upsampling repeats every element ``size`` times along each
spatial axis (``UpSampling2D(2)`` turns each pixel into a 2x2 block).
``UpSampling2D(interpolation="bilinear")`` instead interpolates linearly between
the neighbouring pixels (half-pixel centres, no antialiasing: Keras's
``ops.image.resize``), as two matrix products, one per spatial axis.

Examples
--------
>>> import numpy as np
>>> from descend.layers import UpSampling1D, UpSampling2D
>>> UpSampling1D(2)(np.array([[[1.0], [2.0]]], "float32")).data[0, :, 0]
array([1., 1., 2., 2.], dtype=float32)
>>> x = np.array([[[[0.0], [4.0]]]], "float32")
>>> UpSampling2D((1, 2), interpolation="bilinear")(x).data[0, 0, :, 0]
array([0., 1., 3., 4.], dtype=float32)
"""

from __future__ import annotations

from typing import Any

from descend.autograd import Tensor
from descend.autograd.ops import upsampling as _up
from descend.layers._spatial import check_data_format, check_input_rank, describe, normalize_tuple
from descend.layers.layer import Layer

__all__ = ["UpSampling1D", "UpSampling2D", "UpSampling3D"]

INTERPOLATIONS = ("nearest", "bilinear")


class BaseUpSampling(Layer):
    """Shared implementation (``rank`` spatial axes, channels-last)."""

    def __init__(self, rank: int, size: Any, data_format: str | None = None,
                 interpolation: str = "nearest", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        owner = describe(self)
        self.rank = rank
        self.size = normalize_tuple(size, rank, "size", owner)
        self.data_format = check_data_format(data_format, owner, rank)
        allowed = INTERPOLATIONS if rank == 2 else ("nearest",)
        if interpolation not in allowed:
            raise ValueError(
                f"{owner}: the `interpolation` argument must be one of {allowed}, received "
                f"interpolation={interpolation!r}."
            )
        self.interpolation = interpolation

    def build(self, input_shape: tuple) -> None:
        """Check the input rank (no weights)."""
        check_input_rank(tuple(input_shape), self.rank, describe(self), warn=True)
        self.built = True

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """``(batch, *(spatial * size), channels)``."""
        input_shape = tuple(input_shape)
        check_input_rank(input_shape, self.rank, describe(self))
        spatial = tuple(None if n is None else n * s
                        for n, s in zip(input_shape[1:-1], self.size, strict=True))
        return (input_shape[0], *spatial, input_shape[-1])

    def _check_input(self, inputs: Any) -> None:
        check_input_rank(tuple(inputs.shape), self.rank, describe(self))

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        """Repeat (nearest) or interpolate (bilinear) along each spatial axis."""
        out = inputs
        for axis, factor in enumerate(self.size, start=1):
            if factor == 1:
                continue
            if self.interpolation == "nearest":
                out = _up.Repeat.apply(out, repeats=factor, axis=axis)
            else:
                length = out.shape[axis]
                matrix = _up.linear_resize_matrix(length, length * factor)
                out = _up.AxisLinear.apply(out, matrix=matrix, axis=axis)
        return out

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, Keras's keys."""
        config = super().get_config()
        if self.rank == 1:
            config["size"] = self.size[0]
            return config
        config.update(size=self.size, data_format=self.data_format)
        if self.rank == 2:
            config["interpolation"] = self.interpolation
        return config


class UpSampling1D(BaseUpSampling):
    """Repeat each time step ``size`` times (Keras's ``UpSampling1D``).

    Parameters
    ----------
    size : int, default 2
    **kwargs
        Base-layer arguments.

    Notes
    -----
    Input ``(batch, steps, features)``; output ``(batch, steps * size, features)``.
    """

    def __init__(self, size: int = 2, **kwargs: Any) -> None:
        super().__init__(1, size, **kwargs)


class UpSampling2D(BaseUpSampling):
    """Enlarge images by ``size`` (Keras's ``UpSampling2D``).

    Parameters
    ----------
    size : int or tuple of 2 ints, default (2, 2)
        Factors for height and width.
    data_format : {None, "channels_last"}, optional
    interpolation : {"nearest", "bilinear"}, default "nearest"
    **kwargs
        Base-layer arguments.

    Notes
    -----
    Input ``(batch, height, width, channels)``; output
    ``(batch, height * size[0], width * size[1], channels)``.
    """

    def __init__(self, size: Any = (2, 2), data_format: str | None = None,
                 interpolation: str = "nearest", **kwargs: Any) -> None:
        super().__init__(2, size, data_format, interpolation, **kwargs)


class UpSampling3D(BaseUpSampling):
    """Enlarge volumes by ``size``, nearest neighbour (Keras's ``UpSampling3D``).

    Parameters
    ----------
    size : int or tuple of 3 ints, default (2, 2, 2)
    data_format : {None, "channels_last"}, optional
    **kwargs
        Base-layer arguments.

    Notes
    -----
    Input ``(batch, depth, height, width, channels)``; each spatial axis is
    multiplied by its factor.
    """

    def __init__(self, size: Any = (2, 2, 2), data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(3, size, data_format, **kwargs)
