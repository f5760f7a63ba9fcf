"""Random initializers: normal, uniform, truncated normal, variance scaling, orthogonal.

Each takes ``seed``: an int gives the same values on every call (Keras's rule);
None draws from descend's global generator (repeatable after
:func:`descend.utils.set_random_seed`); a ``numpy.random.Generator`` is drawn from.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from descend.initializers.base import (
    TRUNCATED_STD,
    RandomInitializer,
    as_shape,
    compute_fans,
    float_dtype,
    truncated_normal,
)


class RandomNormal(RandomInitializer):
    """Normal distribution ``N(mean, stddev^2)``.

    Parameters
    ----------
    mean : float, default 0.0
    stddev : float, default 0.05
    seed : int, Generator or None, default None

    Examples
    --------
    >>> RandomNormal(stddev=1.0, seed=0)((2,)).shape
    (2,)
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: Any = None) -> None:
        super().__init__(seed)
        if stddev < 0:
            raise ValueError(f"RandomNormal: stddev must be >= 0, received stddev={stddev!r}.")
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> np.ndarray:
        dt = float_dtype(dtype, "RandomNormal")
        return self._rng().normal(self.mean, self.stddev, as_shape(shape)).astype(dt)

    def get_config(self) -> dict[str, Any]:
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


class RandomUniform(RandomInitializer):
    """Uniform distribution on ``[minval, maxval)``.

    Parameters
    ----------
    minval : float, default -0.05
    maxval : float, default 0.05
    seed : int, Generator or None, default None

    Examples
    --------
    >>> w = RandomUniform(0.0, 1.0, seed=0)((100,))
    >>> bool(w.min() >= 0 and w.max() < 1)
    True
    """

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: Any = None) -> None:
        super().__init__(seed)
        if maxval < minval:
            raise ValueError(
                f"RandomUniform: maxval must be >= minval, received minval={minval!r}, "
                f"maxval={maxval!r}."
            )
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> np.ndarray:
        dt = float_dtype(dtype, "RandomUniform")
        return self._rng().uniform(self.minval, self.maxval, as_shape(shape)).astype(dt)

    def get_config(self) -> dict[str, Any]:
        return {"minval": self.minval, "maxval": self.maxval, **super().get_config()}


class TruncatedNormal(RandomInitializer):
    """Normal ``N(mean, stddev^2)`` with values beyond two ``stddev`` redrawn.

    Parameters
    ----------
    mean : float, default 0.0
    stddev : float, default 0.05
        Standard deviation before truncation.
    seed : int, Generator or None, default None

    Examples
    --------
    >>> w = TruncatedNormal(stddev=1.0, seed=0)((1000,))
    >>> bool(abs(w).max() <= 2.0)
    True
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: Any = None) -> None:
        super().__init__(seed)
        if stddev < 0:
            raise ValueError(
                f"TruncatedNormal: stddev must be >= 0, received stddev={stddev!r}."
            )
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> np.ndarray:
        dt = float_dtype(dtype, "TruncatedNormal")
        values = truncated_normal(self._rng(), as_shape(shape))
        return (values * self.stddev + self.mean).astype(dt)

    def get_config(self) -> dict[str, Any]:
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


MODES = ("fan_in", "fan_out", "fan_avg")
DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")


class VarianceScaling(RandomInitializer):
    """Values whose variance is ``scale / n``, ``n`` a fan of the weight.

    ``n`` is ``fan_in``, ``fan_out`` or ``(fan_in + fan_out) / 2`` (see
    :func:`~descend.initializers.compute_fans`), at least 1. Distributions:
    ``"truncated_normal"`` (stddev ``sqrt(scale / n) / 0.8796...``, cut at two
    stddev, so the result has standard deviation ``sqrt(scale / n)``),
    ``"untruncated_normal"`` (stddev ``sqrt(scale / n)``) and ``"uniform"`` on
    ``[-limit, limit]`` with ``limit = sqrt(3 * scale / n)``.

    Parameters
    ----------
    scale : float, default 1.0
        Positive.
    mode : {"fan_in", "fan_out", "fan_avg"}, default "fan_in"
    distribution : {"truncated_normal", "untruncated_normal", "uniform"}, default "truncated_normal"
    seed : int, Generator or None, default None

    Examples
    --------
    >>> init = VarianceScaling(scale=2.0, mode="fan_in", distribution="uniform", seed=1)
    >>> bool(abs(init((50, 20))).max() <= (3 * 2.0 / 50) ** 0.5)
    True
    """

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: Any = None,
    ) -> None:
        super().__init__(seed)
        who = type(self).__name__
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or scale <= 0:
            raise ValueError(f"{who}: scale must be a positive float, received scale={scale!r}.")
        mode_key = str(mode).lower()
        if mode_key not in MODES:
            raise ValueError(f"{who}: mode must be one of {MODES}, received mode={mode!r}.")
        dist_key = str(distribution).lower()
        if dist_key not in DISTRIBUTIONS:
            raise ValueError(
                f"{who}: distribution must be one of {DISTRIBUTIONS}, received "
                f"distribution={distribution!r}."
            )
        self.scale, self.mode, self.distribution = float(scale), mode_key, dist_key

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> np.ndarray:
        dt = float_dtype(dtype, type(self).__name__)
        shape = as_shape(shape)
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, n)
        rng = self._rng()
        if self.distribution == "truncated_normal":
            values = truncated_normal(rng, shape) * (math.sqrt(variance) / TRUNCATED_STD)
        elif self.distribution == "untruncated_normal":
            values = rng.normal(0.0, math.sqrt(variance), shape)
        else:
            limit = math.sqrt(3.0 * variance)
            values = rng.uniform(-limit, limit, shape)
        return values.astype(dt)

    def get_config(self) -> dict[str, Any]:
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                **super().get_config()}


class _NamedVarianceScaling(VarianceScaling):
    """A VarianceScaling with fixed arguments; only ``seed`` is configurable."""

    _args: tuple[float, str, str] = (1.0, "fan_in", "truncated_normal")

    def __init__(self, seed: Any = None) -> None:
        super().__init__(*self._args, seed=seed)

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed if isinstance(self.seed, int) else None}


class GlorotUniform(_NamedVarianceScaling):
    """Glorot (Xavier) uniform: ``U(-limit, limit)``, ``limit = sqrt(6 / (fan_in + fan_out))``.

    The default kernel initializer of ``Dense``.

    Parameters
    ----------
    seed : int, Generator or None, default None

    Examples
    --------
    >>> bool(abs(GlorotUniform(seed=0)((30, 10))).max() <= 0.3873)
    True
    """

    _args = (1.0, "fan_avg", "uniform")


class GlorotNormal(_NamedVarianceScaling):
    """Glorot (Xavier) normal: truncated normal with std ``sqrt(2 / (fan_in + fan_out))``.

    Parameters
    ----------
    seed : int, Generator or None, default None

    Examples
    --------
    >>> GlorotNormal(seed=0)((3, 2)).shape
    (3, 2)
    """

    _args = (1.0, "fan_avg", "truncated_normal")


class HeNormal(_NamedVarianceScaling):
    """He normal: truncated normal with std ``sqrt(2 / fan_in)``.

    Parameters
    ----------
    seed : int, Generator or None, default None

    Examples
    --------
    >>> HeNormal(seed=0)((3, 2)).shape
    (3, 2)
    """

    _args = (2.0, "fan_in", "truncated_normal")


class HeUniform(_NamedVarianceScaling):
    """He uniform: ``U(-limit, limit)``, ``limit = sqrt(6 / fan_in)``.

    Parameters
    ----------
    seed : int, Generator or None, default None

    Examples
    --------
    >>> bool(abs(HeUniform(seed=0)((6, 4))).max() <= 1.0)
    True
    """

    _args = (2.0, "fan_in", "uniform")


class LecunNormal(_NamedVarianceScaling):
    """LeCun normal: truncated normal with std ``sqrt(1 / fan_in)``.

    Parameters
    ----------
    seed : int, Generator or None, default None

    Examples
    --------
    >>> LecunNormal(seed=0)((3, 2)).shape
    (3, 2)
    """

    _args = (1.0, "fan_in", "truncated_normal")


class LecunUniform(_NamedVarianceScaling):
    """LeCun uniform: ``U(-limit, limit)``, ``limit = sqrt(3 / fan_in)``.

    Parameters
    ----------
    seed : int, Generator or None, default None

    Examples
    --------
    >>> bool(abs(LecunUniform(seed=0)((3, 2))).max() <= 1.0)
    True
    """

    _args = (1.0, "fan_in", "uniform")


class Orthogonal(RandomInitializer):
    """A (semi-)orthogonal matrix times ``gain``, from the QR decomposition of a normal draw.

    The weight is viewed as a matrix ``(prod(shape[:-1]), shape[-1])``; its rows
    (or columns, whichever are fewer) are orthonormal.

    Parameters
    ----------
    gain : float, default 1.0
    seed : int, Generator or None, default None

    Examples
    --------
    >>> import numpy as np
    >>> q = Orthogonal(seed=0)((4, 4), dtype="float64")
    >>> bool(np.allclose(q.T @ q, np.eye(4)))
    True
    """

    def __init__(self, gain: float = 1.0, seed: Any = None) -> None:
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> np.ndarray:
        dt = float_dtype(dtype, "Orthogonal")
        shape = as_shape(shape)
        if len(shape) < 2:
            raise ValueError(
                "Orthogonal: the initializer needs a weight of rank >= 2, received shape "
                f"{shape}. Use it for kernels, not biases."
            )
        rows, cols = math.prod(shape[:-1]), shape[-1]
        draw = self._rng().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(draw)
        q = q * np.where(np.diag(r) < 0, -1.0, 1.0)  # the unique factorisation: diag(r) > 0
        if rows < cols:
            q = q.T
        return (self.gain * q).reshape(shape).astype(dt)

    def get_config(self) -> dict[str, Any]:
        return {"gain": self.gain, **super().get_config()}
