"""Noise layers, active only in training: ``GaussianNoise``, ``GaussianDropout``, ``AlphaDropout``.

- ``GaussianNoise(stddev)``: ``x + N(0, stddev**2)``;
- ``GaussianDropout(rate)``: ``x * N(1, rate / (1 - rate))`` (multiplicative noise
  with the variance of inverted dropout);
- ``AlphaDropout(rate)``: drops units to SELU's negative saturation value
  ``alpha' = -1.6733 * 1.0507`` and applies the affine map ``a * x + b`` that
  keeps the mean and variance of standardised inputs (for self-normalising
  networks), with ``a = ((1 - rate) * (1 + rate * alpha'**2)) ** -0.5`` and
  ``b = -a * alpha' * rate``.

Outside training (``evaluate``, ``predict``) each is the identity. The noise is
drawn from the layer's own generator when it has a ``seed``, otherwise from
descend's global generator (made repeatable by ``descend.utils.set_random_seed``).

Examples
--------
>>> import numpy as np
>>> from descend.layers import GaussianNoise
>>> x = np.ones((2, 3), "float32")
>>> bool((GaussianNoise(0.5)(x).data == x).all())
True
>>> GaussianNoise(0.5, seed=1)(x, training=True).shape
(2, 3)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from descend import random as descend_random
from descend.autograd import Tensor
from descend.autograd.ops import elementwise as _ew
from descend.layers._spatial import describe
from descend.layers.layer import Layer

__all__ = ["AlphaDropout", "GaussianDropout", "GaussianNoise"]

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


class _NoiseLayer(Layer):
    """Seeded generator, identity outside training, shape-preserving."""

    def __init__(self, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seed = seed
        self._generator = None if seed is None else np.random.default_rng(seed)

    def _rng(self) -> np.random.Generator:
        return self._generator or descend_random.generator()

    def _rate(self, rate: Any) -> float:
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise ValueError(
                f"{describe(self)}: invalid value received for argument `rate`, expected a "
                f"float in the range [0, 1], received rate={rate!r}."
            )
        return float(rate)

    @staticmethod
    def _constant(array: np.ndarray) -> Tensor:
        return Tensor._make(array, False, None)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """The input shape."""
        return tuple(input_shape)


class GaussianNoise(_NoiseLayer):
    """Add zero-mean Gaussian noise while training (Keras's ``GaussianNoise``).

    Parameters
    ----------
    stddev : float
        Standard deviation of the noise (>= 0).
    seed : int, optional
    **kwargs
        Base-layer arguments.
    """

    #: Keras 3: the mask of the input passes through to the output
    supports_masking = True

    def __init__(self, stddev: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(seed, **kwargs)
        if isinstance(stddev, bool) or not isinstance(stddev, (int, float)) or stddev < 0:
            raise ValueError(
                f"{describe(self)}: invalid value received for argument `stddev`, expected a "
                f"float >= 0, received stddev={stddev!r}."
            )
        self.stddev = float(stddev)

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        """``x + noise`` when training, ``x`` otherwise."""
        if not training or self.stddev == 0:
            return inputs
        noise = self._rng().normal(0.0, self.stddev, inputs.shape).astype(inputs.dtype)
        return _ew.Add.apply(inputs, self._constant(noise))

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, Keras's keys."""
        config = super().get_config()
        config.update(stddev=self.stddev, seed=self.seed)
        return config


class GaussianDropout(_NoiseLayer):
    """Multiply by Gaussian noise of mean 1 while training (Keras's ``GaussianDropout``).

    Parameters
    ----------
    rate : float
        In [0, 1); the noise has standard deviation ``sqrt(rate / (1 - rate))``.
    seed : int, optional
    **kwargs
        Base-layer arguments.
    """

    #: Keras 3: the mask of the input passes through to the output
    supports_masking = True

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(seed, **kwargs)
        self.rate = self._rate(rate)

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        """``x * N(1, rate / (1 - rate))`` when training, ``x`` otherwise."""
        if not training or not 0 < self.rate < 1:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        noise = self._rng().normal(1.0, stddev, inputs.shape).astype(inputs.dtype)
        return _ew.Mul.apply(inputs, self._constant(noise))

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, Keras's keys."""
        config = super().get_config()
        config.update(rate=self.rate, seed=self.seed)
        return config


class AlphaDropout(_NoiseLayer):
    """Dropout that keeps SELU activations standardised (Keras's ``AlphaDropout``).

    Parameters
    ----------
    rate : float
        Fraction of units dropped, in [0, 1].
    noise_shape : tuple of int, optional
        Shape of the keep mask, broadcast against the input (None entries take
        the input's size).
    seed : int, optional
    **kwargs
        Base-layer arguments.
    """

    #: Keras 3: the mask of the input passes through to the output
    supports_masking = True

    def __init__(self, rate: float, noise_shape: Any = None, seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(seed, **kwargs)
        self.rate = self._rate(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        """``a * (x * keep + alpha' * (1 - keep)) + b`` when training, ``x`` otherwise."""
        if not training or self.rate <= 0:
            return inputs
        shape = inputs.shape
        if self.noise_shape is not None:
            if len(self.noise_shape) != inputs.ndim:
                raise ValueError(
                    f"{describe(self)}: `noise_shape` {self.noise_shape} must have one entry "
                    f"per input axis, received an input of shape {inputs.shape}."
                )
            shape = tuple(s if n is None else n for s, n in zip(shape, self.noise_shape,
                                                                 strict=True))
        alpha_p = -SELU_ALPHA * SELU_SCALE
        keep = (self._rng().random(shape) >= self.rate).astype(inputs.dtype)
        a = ((1 - self.rate) * (1 + self.rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * self.rate
        scale = keep * inputs.dtype.type(a)
        shift = ((1 - keep) * alpha_p * a + b).astype(inputs.dtype)
        return _ew.Add.apply(_ew.Mul.apply(inputs, self._constant(scale)),
                             self._constant(shift))

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, Keras's keys."""
        config = super().get_config()
        config.update(rate=self.rate, seed=self.seed, noise_shape=self.noise_shape)
        return config
