"""``SpectralNormalization``: keep a layer's kernel at spectral norm 1.

The spectral norm ``sigma`` of a kernel (its largest singular value, with the
kernel seen as a matrix ``(-1, units)``) is estimated by power iteration with a
persistent vector ``u``:

    v = normalize(u @ W.T);  u = normalize(v @ W);  sigma = v @ W @ u.T

At every training call the wrapped layer's kernel is *replaced* by
``kernel / sigma`` and ``u`` is kept for the next call (Keras's definition: the
division is applied to the stored weight, outside the gradient). Outside
training the layer runs unchanged. This bounds the layer's Lipschitz constant,
which stabilises GAN discriminators.

Examples
--------
>>> import numpy as np
>>> from descend.layers import Dense, SpectralNormalization
>>> layer = SpectralNormalization(Dense(3, kernel_initializer="ones"), power_iterations=20)
>>> _ = layer(np.ones((1, 4), "float32"), training=True)
>>> round(float(np.linalg.svd(layer.layer.kernel.numpy(), compute_uv=False)[0]), 4)
1.0
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend import initializers
from descend.autograd import Tensor
from descend.layers.layer import Layer
from descend.layers.wrapper import Wrapper

__all__ = ["SpectralNormalization"]


def _normalize(x: np.ndarray) -> np.ndarray:
    """``x / max(||x||, 1e-12)`` over the whole array (Keras's ``normalize(axis=None)``)."""
    return x / np.sqrt(max(float(np.sum(x * x)), 1e-24))


class SpectralNormalization(Wrapper):
    """Spectral normalization of a wrapped layer's kernel (Keras's ``SpectralNormalization``).

    Parameters
    ----------
    layer : Layer
        A layer with a ``kernel`` (``Dense``, ``Conv*``) or ``embeddings`` weight.
    power_iterations : int, default 1
        Power-iteration steps per training call; >= 1.
    **kwargs
        Base-layer arguments.

    Notes
    -----
    Weights: the wrapped layer's, plus ``vector_u`` ``(1, kernel.shape[-1])``
    (non-trainable, truncated normal with standard deviation 0.02 at first).
    An all-zero kernel is left unchanged.
    """

    def __init__(self, layer: Layer, power_iterations: int = 1, **kwargs: Any) -> None:
        super().__init__(layer, **kwargs)
        if isinstance(power_iterations, bool) or not isinstance(power_iterations, int) \
                or power_iterations < 1:
            raise ValueError(
                f"Layer '{self.name}' (SpectralNormalization): `power_iterations` should be "
                f"greater than zero, received power_iterations={power_iterations!r}."
            )
        self.power_iterations = power_iterations
        self.vector_u: Any = None

    def build(self, input_shape: Any = None) -> None:
        """Build the wrapped layer and create ``vector_u``."""
        super().build(input_shape)
        kernel = getattr(self.layer, "kernel", None)
        if kernel is None:
            kernel = getattr(self.layer, "embeddings", None)
        if kernel is None:
            raise ValueError(
                f"Layer '{self.name}' (SpectralNormalization): {type(self.layer).__name__} "
                "object has no attribute 'kernel' nor 'embeddings'; wrap a Dense, Conv or "
                "Embedding layer."
            )
        self._kernel = kernel
        self.vector_u = self.add_weight(
            shape=(1, kernel.shape[-1]), initializer=initializers.TruncatedNormal(stddev=0.02),
            trainable=False, name="vector_u")
        self.built = True

    def normalized_weights(self) -> tuple[np.ndarray, np.ndarray]:
        """``(new u, kernel / sigma)`` from ``power_iterations`` steps, as arrays."""
        kernel = self._kernel.numpy()
        weights = kernel.reshape(-1, kernel.shape[-1])
        u = self.vector_u.numpy()
        v = u
        for _ in range(self.power_iterations):
            v = _normalize(u @ weights.T)
            u = _normalize(v @ weights)
        sigma = (v @ weights @ u.T).item()
        return u.astype(kernel.dtype), (kernel / sigma).astype(kernel.dtype)

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        """Normalise the kernel in place when training, then run the wrapped layer."""
        if training and np.any(self._kernel.numpy() != 0):
            u, kernel = self.normalized_weights()
            self.vector_u.assign(u)
            self._kernel.assign(kernel)
        return self.layer(inputs)

    def get_config(self) -> dict[str, Any]:
        """``layer`` and ``power_iterations``, Keras's keys."""
        config = super().get_config()
        config["power_iterations"] = self.power_iterations
        return config
