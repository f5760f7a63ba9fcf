"""Deterministic initializers: zeros, ones, a constant, the identity matrix."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from descend import config
from descend.initializers.base import Initializer, as_shape


class Zeros(Initializer):
    """All zeros.

    Examples
    --------
    >>> Zeros()((2, 2))
    array([[0., 0.],
           [0., 0.]], dtype=float32)
    """

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> np.ndarray:
        return np.zeros(as_shape(shape), dtype=dtype or config.floatx())


class Ones(Initializer):
    """All ones.

    Examples
    --------
    >>> Ones()((2,))
    array([1., 1.], dtype=float32)
    """

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> np.ndarray:
        return np.ones(as_shape(shape), dtype=dtype or config.floatx())


class Constant(Initializer):
    """Every value equal to ``value`` (a scalar, or an array broadcastable to the shape).

    Parameters
    ----------
    value : float or array_like, default 0.0

    Examples
    --------
    >>> Constant(0.5)((3,))
    array([0.5, 0.5, 0.5], dtype=float32)
    """

    def __init__(self, value: Any = 0.0) -> None:
        if np.asarray(value).dtype.kind not in "biuf":
            raise TypeError(f"Constant: value must be numeric, received {value!r}.")
        self.value = value

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> np.ndarray:
        shape = as_shape(shape)
        try:
            out = np.broadcast_to(np.asarray(self.value), shape)
        except ValueError as exc:
            raise ValueError(
                f"Constant: a value of shape {np.shape(self.value)} cannot fill a weight of "
                f"shape {shape}. Pass a scalar or an array broadcastable to the weight."
            ) from exc
        return np.array(out, dtype=dtype or config.floatx())

    def get_config(self) -> dict[str, Any]:
        value = self.value
        return {"value": value.tolist() if isinstance(value, np.ndarray) else value}


class Identity(Initializer):
    """``gain`` times the identity matrix (2-D weights only; rectangular allowed).

    Parameters
    ----------
    gain : float, default 1.0

    Examples
    --------
    >>> Identity(2.0)((2, 3))
    array([[2., 0., 0.],
           [0., 2., 0.]], dtype=float32)
    """

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = gain

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> np.ndarray:
        shape = as_shape(shape)
        if len(shape) != 2:
            raise ValueError(
                "Identity: the identity matrix initializer can only be used for 2D matrices, "
                f"received shape {shape}."
            )
        return (self.gain * np.eye(*shape)).astype(dtype or config.floatx())

    def get_config(self) -> dict[str, Any]:
        return {"gain": self.gain}
