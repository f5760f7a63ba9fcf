"""Shared pieces of the preprocessing layers: argument checks, image layout, random draws.

Image layers take a single image ``(H, W, C)`` or a batch ``(B, H, W, C)`` (``channels_first``:
``(C, H, W)``/``(B, C, H, W)``). Internally they work on channels-last batches; the helpers
:func:`to_batch` and :func:`from_batch` convert and restore the caller's layout.

Random layers (:class:`RandomImageLayer`) draw from their own generator when given ``seed``
(two layers with the same seed draw the same sequence), else from descend's global generator,
which :func:`descend.utils.set_random_seed` reseeds. They change their input only when called
with ``training=True`` (as ``fit`` does); in ``predict``/``evaluate`` they are the identity.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend import config as _config
from descend import random as descend_random
from descend.autograd import Tensor
from descend.autograd import ops as E
from descend.layers.layer import Layer


def bad_value(layer: Layer | str, argument: str, expected: str, received: Any,
              fix: str = "") -> ValueError:
    """A ``ValueError`` naming the layer, the argument, what was expected and received."""
    name = layer if isinstance(layer, str) else f"'{layer.name}' ({type(layer).__name__})"
    message = (f"Invalid value for argument `{argument}` of layer {name}: expected {expected}, "
               f"received {argument}={received!r}.")
    return ValueError(message + (f" {fix}" if fix else ""))


def check_choice(layer: Layer | str, argument: str, value: Any, choices: tuple) -> str:
    """Return ``value`` if it is one of ``choices`` (strings), else raise naming them."""
    if value not in choices:
        raise bad_value(layer, argument, "one of " + ", ".join(repr(c) for c in choices), value)
    return value


def check_positive_int(layer: Layer | str, argument: str, value: Any) -> int:
    """Return ``value`` as an int if it is a positive integer, else raise."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise bad_value(layer, argument, "a positive integer", value)
    return int(value)


def data_format_of(layer: Layer | str, value: str | None) -> str:
    """``value`` checked, or ``descend.config.image_data_format()`` when None."""
    if value is None:
        value = _config.image_data_format()
    return check_choice(layer, "data_format", value, ("channels_last", "channels_first"))


def to_batch(layer: Layer, inputs: Tensor, data_format: str) -> tuple[Tensor, bool]:
    """Return a channels-last ``(B, H, W, C)`` view of ``inputs`` and whether it was unbatched."""
    if inputs.ndim not in (3, 4):
        raise ValueError(
            f"Layer '{layer.name}' ({type(layer).__name__}) expects images of rank 3 "
            f"(height, width, channels) or rank 4 (batch, height, width, channels); received "
            f"inputs of shape {tuple(inputs.shape)}. Add a channels axis with "
            "x[..., None] for grayscale images."
        )
    single = inputs.ndim == 3
    x = E.expand_dims(inputs, 0) if single else inputs
    if data_format == "channels_first":
        x = E.transpose(x, (0, 2, 3, 1))
    return x, single


def from_batch(x: Tensor, single: bool, data_format: str) -> Tensor:
    """Undo :func:`to_batch`."""
    if data_format == "channels_first":
        x = E.transpose(x, (0, 3, 1, 2))
    return E.squeeze(x, 0) if single else x


def image_axes(input_shape: tuple, data_format: str) -> tuple[int, int]:
    """Indices of the height and width axes in a rank-3 or rank-4 shape."""
    offset = 1 if len(input_shape) == 4 else 0
    return (offset + 1, offset + 2) if data_format == "channels_first" else (offset, offset + 1)


def factor_range(layer: Layer, argument: str, factor: Any, symmetric: bool = True,
                 bounds: tuple[float, float] = (-np.inf, np.inf)) -> tuple[float, float]:
    """``(lower, upper)`` from a pair, or from a number f: ``(-f, f)`` (symmetric) or ``(0, f)``."""
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2:
            raise bad_value(layer, argument, "a float or a pair (lower, upper)", factor)
        lower, upper = float(factor[0]), float(factor[1])
    elif isinstance(factor, (int, float, np.number)) and not isinstance(factor, bool):
        lower, upper = (-abs(float(factor)) if symmetric else 0.0), abs(float(factor))
    else:
        raise bad_value(layer, argument, "a float or a pair (lower, upper)", factor)
    if lower > upper or lower < bounds[0] or upper > bounds[1]:
        raise bad_value(layer, argument,
                        f"lower <= upper within [{bounds[0]}, {bounds[1]}]", factor)
    return lower, upper


class RandomImageLayer(Layer):
    """Base of the random image augmentation layers: seeding, ``training`` switch, layout.

    Parameters
    ----------
    seed : int, optional
        Seed of the layer's own generator; ``None`` uses descend's global generator.
    data_format : {"channels_last", "channels_first"}, optional
        Layout of the images; defaults to ``descend.config.image_data_format()``.
    **kwargs
        Base-layer arguments.
    """

    def __init__(self, seed: int | None = None, data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
                                 or seed < 0):
            raise bad_value(self, "seed", "a non-negative int or None", seed)
        self.seed = None if seed is None else int(seed)
        self.data_format = data_format_of(self, data_format)
        self._rng = None if seed is None else np.random.default_rng(self.seed)

    @property
    def generator(self) -> np.random.Generator:
        """The generator the next draw comes from."""
        return self._rng if self._rng is not None else descend_random.generator()

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        """Augment when ``training``; return ``inputs`` unchanged otherwise."""
        if not training:
            return inputs
        x, single = to_batch(self, inputs, self.data_format)
        return from_batch(self.augment(x), single, self.data_format)

    def augment(self, images: Tensor) -> Tensor:  # pragma: no cover - abstract
        """Transform a channels-last batch ``(B, H, W, C)``; subclasses implement it."""
        raise NotImplementedError

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """The input shape, unchanged."""
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Base keys plus ``seed`` and ``data_format``."""
        config = super().get_config()
        config.update(seed=self.seed, data_format=self.data_format)
        return config
