"""``Dropout``: randomly silence units while training (inverted dropout).

During training each input unit is set to 0 with probability ``rate`` and the
kept units are scaled by ``1 / (1 - rate)``, so that the expected value of every
unit is unchanged and nothing needs rescaling at inference. Outside training
(``evaluate``, ``predict``) the layer is the identity.

Examples
--------
>>> import numpy as np
>>> from descend.layers import Dropout
>>> layer = Dropout(0.5, seed=0)
>>> x = np.ones((2, 4), dtype="float32")
>>> bool((layer(x, training=False).data == x).all())
True
>>> sorted(set(layer(x, training=True).data.ravel().tolist())) in ([0.0, 2.0], [2.0], [0.0])
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend import random as descend_random
from descend.autograd import Tensor
from descend.autograd.ops import elementwise as _ew
from descend.layers.layer import Layer


class Dropout(Layer):
    """Inverted dropout.

    Parameters
    ----------
    rate : float
        Fraction of units to drop, in [0, 1).
    noise_shape : tuple of int, optional
        Shape of the binary mask, broadcast against the input (``None`` entries
        take the input's size), e.g. ``(batch, 1, features)`` to drop the same
        features at every time step.
    seed : int, optional
        Seed of the layer's own generator; by default masks come from descend's
        global generator (made repeatable by ``set_random_seed``).
    **kwargs
        Base-layer arguments.
    """

    #: Keras 3: the mask of the input passes through to the output
    supports_masking = True

    def __init__(self, rate: float, noise_shape: Any = None, seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise ValueError(
                f"Invalid value received for argument `rate` of layer '{self.name}' (Dropout): "
                f"expected a float in the range [0, 1], received rate={rate!r}."
            )
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self._generator = None if seed is None else np.random.default_rng(seed)

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        """Drop and rescale when ``training``; identity otherwise."""
        if not training or self.rate == 0:
            return inputs
        shape = inputs.shape
        if self.noise_shape is not None:
            shape = tuple(s if n is None else n for s, n in zip(shape, self.noise_shape,
                                                                 strict=True))
        generator = self._generator or descend_random.generator()
        if self.rate >= 1:
            mask = np.zeros(shape, inputs.dtype)
        else:
            mask = generator.random(shape, dtype=np.float32) >= self.rate
            mask = mask.astype(inputs.dtype) * inputs.dtype.type(1.0 / (1.0 - self.rate))
        return _ew.Mul.apply(inputs, Tensor._make(mask, False, None))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """The input shape, unchanged."""
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments."""
        config = super().get_config()
        config.update(rate=self.rate, noise_shape=self.noise_shape, seed=self.seed)
        return config
