"""The initializer protocol, Keras's fan computation and shared helpers."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from descend import config
from descend import random as descend_random

# Standard deviation of a standard normal truncated to [-2, 2].
TRUNCATED_STD = 0.87962566103423978


def compute_fans(shape: Sequence[int]) -> tuple[int, int]:
    """Return ``(fan_in, fan_out)`` of a weight of ``shape``, as Keras computes them.

    Rank 0: (1, 1); rank 1: ``(n, n)``; rank 2: ``(shape[0], shape[1])``; rank
    >= 3 (convolution kernels ``(*kernel_size, in, out)``): ``in * receptive``
    and ``out * receptive`` with ``receptive = prod(shape[:-2])``.

    Parameters
    ----------
    shape : sequence of int

    Returns
    -------
    tuple of int

    Examples
    --------
    >>> compute_fans((3, 3, 16, 32))
    (144, 288)
    """
    shape = tuple(int(s) for s in shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


def as_shape(shape: Any) -> tuple[int, ...]:
    """Return ``shape`` (an int or a sequence of ints) as a tuple, rejecting bad sizes.

    Examples
    --------
    >>> as_shape(3), as_shape([2, 4])
    ((3,), (2, 4))"""
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    try:
        dims = tuple(int(s) for s in shape)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"initializer: shape must be a tuple of non-negative ints, received {shape!r}."
        ) from exc
    if any(d < 0 for d in dims):
        raise ValueError(f"initializer: shape must not have negative sizes, received {dims}.")
    return dims


def float_dtype(dtype: Any, who: str) -> np.dtype:
    """Return ``dtype`` (default floatx) as a NumPy float dtype, or raise naming ``who``.

    Examples
    --------
    >>> float_dtype(None, "RandomNormal")
    dtype('float32')"""
    dt = np.dtype(dtype or config.floatx())
    if dt.kind != "f":
        raise ValueError(
            f"{who}: random values need a float dtype, received dtype={dt}. "
            "Pass dtype='float32' (the default) or 'float64'."
        )
    return dt


def truncated_normal(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Standard normal values, each redrawn until it lies within two standard deviations.

    Examples
    --------
    >>> import numpy as np
    >>> bool(np.abs(truncated_normal(np.random.default_rng(0), (1000,))).max() <= 2)
    True"""
    values = rng.standard_normal(shape)
    outside = np.abs(values) > 2.0
    while outside.any():
        values[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(values) > 2.0
    return values


class Initializer:
    """Base class: ``__call__(shape, dtype=None) -> ndarray`` plus a config round trip.

    Subclasses implement ``__call__`` and ``get_config``.

    Examples
    --------
    >>> import numpy as np
    >>> class Twos(Initializer):
    ...     def __call__(self, shape, dtype=None):
    ...         return np.full(shape, 2.0, dtype=dtype or "float32")
    >>> Twos()((2,))
    array([2., 2.], dtype=float32)
    """

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(shape, dtype).")

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments as a JSON-serialisable dict."""
        return {}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Initializer:
        """Create an initializer from :meth:`get_config` output."""
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class RandomInitializer(Initializer):
    """Base of seeded initializers.

    Parameters
    ----------
    seed : int, numpy.random.Generator or None, default None
        An int gives the same values on every call (Keras's rule); None draws
        from descend's global generator (see :func:`descend.utils.set_random_seed`);
        a Generator is drawn from.

    Examples
    --------
    >>> RandomInitializer(seed=3).get_config()
    {'seed': 3}
    """

    def __init__(self, seed: int | np.random.Generator | None = None) -> None:
        if not (seed is None or isinstance(seed, np.random.Generator)):
            if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
                raise TypeError(
                    f"{type(self).__name__}: seed must be an int, a numpy Generator or None, "
                    f"received {seed!r}."
                )
            seed = int(seed)
        self.seed = seed

    def _rng(self) -> np.random.Generator:
        return descend_random.make_generator(self.seed)

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed if isinstance(self.seed, int) else None}
