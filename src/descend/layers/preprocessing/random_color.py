"""``RandomContrast`` and ``RandomBrightness``: random intensity changes while training.

``RandomContrast(factor)`` draws one contrast factor ``c`` per image, uniform in
``[1 - lower, 1 + upper]``, and returns ``clip((x - m) * c + m, *value_range)`` where ``m`` is
the image's per-channel mean over height and width. As in Keras, a single number ``f`` means
``(lower, upper) = (0, f)`` (factors are bounded to [0, 1]), so ``RandomContrast(0.2)`` only
increases contrast, by up to 20 %; pass a pair ``(0.2, 0.2)`` for ``[0.8, 1.2]``.

``RandomBrightness(factor, value_range=(0, 255))`` draws one offset ``d`` per image, uniform
in ``[lower, upper]`` (a number ``f`` means ``(-f, f)``, bounded to [-1, 1]), and returns
``clip(x + d * (value_range[1] - value_range[0]), *value_range)``.

Both are the identity outside training and are built from engine ops (gradients pass).

Examples
--------
>>> import numpy as np
>>> from descend.layers import RandomBrightness
>>> x = np.full((2, 2, 2, 1), 100.0, dtype="float32")
>>> out = RandomBrightness(0.1, seed=1)(x, training=True).data
>>> bool(np.all(np.abs(out - 100) <= 25.5)), len(np.unique(out[0])) == 1
(True, True)
"""

from __future__ import annotations

from typing import Any

from descend.autograd import Tensor
from descend.autograd import ops as E
from descend.layers.preprocessing._base import RandomImageLayer, bad_value, factor_range


def _value_range(layer: Any, value_range: Any) -> list[float]:
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
        raise bad_value(layer, "value_range", "a pair (low, high), e.g. (0, 255) or (0, 1)",
                        value_range)
    return sorted(float(v) for v in value_range)


class RandomContrast(RandomImageLayer):
    """Randomly change the contrast of images during training.

    Parameters
    ----------
    factor : float or pair of float
        Bounds of the contrast change, in [0, 1] (see the module docstring).
    value_range : pair of float, default (0, 255)
        Range the outputs are clipped to.
    seed : int, optional
    **kwargs
        ``data_format`` and base-layer arguments.
    """

    def __init__(self, factor: Any, value_range: Any = (0, 255), seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(seed=seed, **kwargs)
        lower, upper = factor_range(self, "factor", factor, symmetric=True, bounds=(0.0, 1.0)) \
            if isinstance(factor, (list, tuple)) else factor_range(
                self, "factor", factor, symmetric=False, bounds=(0.0, 1.0))
        self.factor = (lower, upper)
        self.value_range = tuple(_value_range(self, value_range))

    def augment(self, images: Tensor) -> Tensor:
        """Scale each image's deviations from its mean by a random factor."""
        lower, upper = self.factor
        contrast = self.generator.uniform(1.0 - lower, 1.0 + upper, (images.shape[0], 1, 1, 1))
        x = images if images.dtype.kind == "f" else E.cast(images, self.dtype)
        mean = E.mean(x, axis=(1, 2), keepdims=True)
        out = E.add(E.mul(E.sub(x, mean), Tensor(contrast.astype(x.dtype))), mean)
        return E.clip(out, self.value_range[0], self.value_range[1])

    def get_config(self) -> dict[str, Any]:
        """Base keys plus ``factor`` and ``value_range``."""
        config = super().get_config()
        config.update(factor=self.factor, value_range=self.value_range)
        return config


class RandomBrightness(RandomImageLayer):
    """Randomly shift the brightness of images during training.

    Parameters
    ----------
    factor : float or pair of float
        Bounds of the shift as a fraction of the value range, in [-1, 1].
    value_range : pair of float, default (0, 255)
    seed : int, optional
    **kwargs
        ``data_format`` and base-layer arguments.
    """

    def __init__(self, factor: Any, value_range: Any = (0, 255), seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(seed=seed, **kwargs)
        self.factor = factor_range(self, "factor", factor, symmetric=True, bounds=(-1.0, 1.0))
        self.value_range = _value_range(self, value_range)

    def augment(self, images: Tensor) -> Tensor:
        """Add one random offset per image, then clip."""
        lower, upper = self.factor
        delta = self.generator.uniform(lower, upper, (images.shape[0], 1, 1, 1))
        delta = delta * (self.value_range[1] - self.value_range[0])
        x = images if images.dtype.kind == "f" else E.cast(images, self.dtype)
        out = E.add(x, Tensor(delta.astype(x.dtype)))
        return E.clip(out, self.value_range[0], self.value_range[1])

    def get_config(self) -> dict[str, Any]:
        """Base keys plus ``factor`` and ``value_range``."""
        config = super().get_config()
        config.update(factor=self.factor, value_range=self.value_range)
        return config

