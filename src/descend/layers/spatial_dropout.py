"""Spatial dropout: drop whole channels (feature maps) instead of single values.

Neighbouring values of a convolutional feature map are strongly correlated, so
ordinary dropout barely regularises them: a dropped pixel is predictable from
its neighbours. ``SpatialDropout2D(rate)`` instead silences each channel of
each sample entirely with probability ``rate`` (the same mask for every
position), and scales the kept channels by ``1 / (1 - rate)`` — inverted
dropout with ``noise_shape = (batch, 1, 1, channels)``. Like ``Dropout`` it acts
only when ``training`` is true.

Examples
--------
>>> import numpy as np
>>> from descend.layers.spatial_dropout import SpatialDropout2D
>>> layer = SpatialDropout2D(0.5, seed=1)
>>> y = layer(np.ones((2, 3, 3, 4), dtype="float32"), training=True).data
>>> bool(np.all(y.min(axis=(1, 2)) == y.max(axis=(1, 2))))  # each channel is all 0 or all 2
True
"""

from __future__ import annotations

from typing import Any

from descend.autograd import Tensor
from descend.layers._spatial import check_data_format, check_input_rank, describe
from descend.layers.dropout import Dropout

__all__ = ["SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D"]


class BaseSpatialDropout(Dropout):
    """Dropout with one mask value per (sample, channel), shared across ``rank`` spatial axes."""

    rank = 2

    def build(self, input_shape: tuple) -> None:
        """Check the input layout (no weights)."""
        check_input_rank(tuple(input_shape), self.rank, describe(self), warn=True)
        self.built = True

    def _check_input(self, inputs: Any) -> None:
        check_input_rank(tuple(inputs.shape), self.rank, describe(self))

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        """Drop whole channels and rescale when ``training``; identity otherwise."""
        shape = inputs.shape
        self.noise_shape = (shape[0], *(1,) * (len(shape) - 2), shape[-1])
        return super().call(inputs, training=training)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments (``rate``, ``seed``, and ``data_format`` for 2-D/3-D)."""
        config = super().get_config()
        config.pop("noise_shape", None)
        if self.rank > 1:
            config["data_format"] = "channels_last"
        return config


class SpatialDropout1D(BaseSpatialDropout):
    """Drop whole channels of sequences (Keras's ``SpatialDropout1D``).

    Parameters
    ----------
    rate : float
        Fraction of channels to drop, in [0, 1].
    seed : int, optional
        Seed of the layer's own generator (default: descend's global generator).
    **kwargs
        Base-layer arguments.

    Notes
    -----
    Input and output ``(batch, steps, channels)``; the mask has shape
    ``(batch, 1, channels)``.

    Examples
    --------
    >>> import numpy as np
    >>> SpatialDropout1D(0.3)(np.ones((2, 5, 3), dtype="float32")).shape
    (2, 5, 3)
    """

    rank = 1

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(rate, seed=seed, **kwargs)


class SpatialDropout2D(BaseSpatialDropout):
    """Drop whole feature maps of images (Keras's ``SpatialDropout2D``).

    Parameters
    ----------
    rate : float
        Fraction of channels to drop, in [0, 1].
    data_format : {None, "channels_last"}, optional
        ``"channels_first"`` raises an error explaining how to transpose the data.
    seed : int, optional
        Seed of the layer's own generator (default: descend's global generator).
    **kwargs
        Base-layer arguments.

    Notes
    -----
    Input and output ``(batch, height, width, channels)``; the mask has shape
    ``(batch, 1, 1, channels)``.

    Examples
    --------
    >>> import numpy as np
    >>> SpatialDropout2D(0.3)(np.ones((2, 4, 4, 3), dtype="float32")).shape
    (2, 4, 4, 3)
    """

    rank = 2

    def __init__(self, rate: float, data_format: str | None = None, seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(rate, seed=seed, **kwargs)
        check_data_format(data_format, describe(self), 2)


class SpatialDropout3D(BaseSpatialDropout):
    """Drop whole feature maps of volumes (Keras's ``SpatialDropout3D``).

    Parameters
    ----------
    rate : float
        Fraction of channels to drop, in [0, 1].
    data_format : {None, "channels_last"}, optional
    seed : int, optional
    **kwargs
        Base-layer arguments.

    Notes
    -----
    Input and output ``(batch, depth, height, width, channels)``.

    Examples
    --------
    >>> import numpy as np
    >>> SpatialDropout3D(0.3)(np.ones((1, 2, 2, 2, 3), dtype="float32")).shape
    (1, 2, 2, 2, 3)
    """

    rank = 3

    def __init__(self, rate: float, data_format: str | None = None, seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(rate, seed=seed, **kwargs)
        check_data_format(data_format, describe(self), 3)
