"""descend's random numbers: the global generator and Keras's ``keras.random`` API.

Everything random in descend (initializers without a seed, shuffling in ``fit``,
dropout masks) draws from one :class:`numpy.random.Generator`, reseeded by
:func:`descend.utils.set_random_seed`. Its state is plain JSON-serialisable data,
so training can be checkpointed and resumed bit-identically.

The Keras functions (:func:`normal`, :func:`uniform`, :func:`truncated_normal`,
:func:`randint`, :func:`categorical`, :func:`dropout`, :func:`shuffle`,
:func:`gamma`, :func:`binomial`, :func:`beta`) take a ``seed`` that is one of

* ``None``: draw from the global generator (repeatable after ``set_random_seed``);
* an ``int``: the same numbers on every call (Keras's stateless integer seed);
* a :class:`SeedGenerator`: a new seed on every call, the sequence repeatable
  from the generator's own seed (use one as a layer attribute);
* a pair of ints (a stateless seed tensor), or a :class:`numpy.random.Generator`.

They return descend tensors, floats in ``descend.config.floatx()`` by default.

Examples
--------
>>> from descend import random
>>> random.seed(0)
>>> a = random.generator().standard_normal()
>>> random.seed(0)
>>> a == random.generator().standard_normal()
True
>>> bool((random.normal((3,), seed=7).data == random.normal((3,), seed=7).data).all())
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from descend import config

__all__ = [
    "SeedGenerator", "beta", "binomial", "categorical", "dropout", "gamma", "generator",
    "get_state", "make_generator", "normal", "randint", "seed", "set_state", "shuffle",
    "truncated_normal", "uniform",
]

_GENERATOR = np.random.default_rng()


def generator() -> np.random.Generator:
    """Return the global generator (reseeded by :func:`seed`)."""
    return _GENERATOR


def seed(value: int | None) -> None:
    """Reseed the global generator (``None`` seeds from the operating system)."""
    global _GENERATOR
    _GENERATOR = np.random.default_rng(value)


def get_state() -> dict[str, Any]:
    """Return the global generator's state as JSON-serialisable data."""
    return _GENERATOR.bit_generator.state


def set_state(state: dict[str, Any]) -> None:
    """Restore a state returned by :func:`get_state`."""
    _GENERATOR.bit_generator.state = state


def make_generator(seed_value: int | np.random.Generator | None) -> np.random.Generator:
    """Return a generator for ``seed_value``: a new one for an int, the global one for None."""
    if seed_value is None:
        return _GENERATOR
    if isinstance(seed_value, np.random.Generator):
        return seed_value
    if isinstance(seed_value, (int, np.integer)) and not isinstance(seed_value, bool):
        return np.random.default_rng(int(seed_value))
    raise TypeError(
        f"seed: expected an int, a numpy.random.Generator or None, received {seed_value!r}."
    )


class SeedGenerator:
    """A stateful seed: each draw gets a new seed, the sequence fixed by ``seed``.

    Parameters
    ----------
    seed : int, optional
        The initial seed; None draws one from the global generator (so it is
        repeatable under :func:`descend.utils.set_random_seed`).
    name : str, optional
    **kwargs
        Keras's ``backend`` argument is accepted and ignored.

    Attributes
    ----------
    state : ndarray of int64, shape (2,)
        ``[seed, counter]``; the counter advances by one per draw. Saving and
        restoring it resumes the sequence.

    Examples
    --------
    >>> from descend import random
    >>> g1, g2 = random.SeedGenerator(3), random.SeedGenerator(3)
    >>> a, b = random.uniform((2,), seed=g1), random.uniform((2,), seed=g1)
    >>> bool((a.data == b.data).all())
    False
    >>> bool((random.uniform((2,), seed=g2).data == a.data).all())
    True
    """

    def __init__(self, seed: int | None = None, name: str | None = None, **kwargs: Any) -> None:
        unknown = set(kwargs) - {"backend"}
        if unknown:
            raise TypeError(f"SeedGenerator: unexpected keyword arguments {sorted(unknown)}.")
        if seed is None:
            seed = int(_GENERATOR.integers(0, 2**31 - 1))
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(
                f"SeedGenerator: seed must be a non-negative int or None, received {seed!r}."
            )
        self.seed = int(seed)
        self.name = name or "seed_generator"
        self.state = np.array([self.seed, 0], dtype=np.int64)

    def next(self, ordered: bool = True) -> np.ndarray:
        """Return the current ``[seed, counter]`` and advance the counter."""
        current = self.state.copy()
        self.state[1] += 1
        return current

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments: ``{"seed": seed}``."""
        return {"seed": self.seed}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SeedGenerator:
        """Rebuild a generator from :meth:`get_config`'s output."""
        return cls(**config)

    def __repr__(self) -> str:
        return f"SeedGenerator(seed={self.seed}, counter={int(self.state[1])})"


def _rng(seed_arg: Any, op: str) -> np.random.Generator:
    if seed_arg is None:
        return _GENERATOR
    if isinstance(seed_arg, SeedGenerator):
        return np.random.default_rng([int(v) for v in seed_arg.next()])
    if isinstance(seed_arg, np.random.Generator):
        return seed_arg
    if isinstance(seed_arg, (int, np.integer)) and not isinstance(seed_arg, bool):
        if seed_arg < 0:
            raise ValueError(f"{op}: an int seed must be non-negative, received {seed_arg}.")
        return np.random.default_rng(int(seed_arg))
    values = np.asarray(getattr(seed_arg, "data", seed_arg))
    if values.shape == (2,) and values.dtype.kind in "iu" and (values >= 0).all():
        return np.random.default_rng([int(v) for v in values])
    raise TypeError(
        f"{op}: seed must be None, an int, a SeedGenerator or a pair of non-negative ints, "
        f"received {seed_arg!r}."
    )


def _shape(shape: Any, op: str) -> tuple[int, ...]:
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        dims = tuple(int(n) for n in shape)
    except TypeError as error:
        raise TypeError(f"{op}: shape must be a tuple of ints, received {shape!r}.") from error
    if any(n < 0 for n in dims):
        raise ValueError(f"{op}: shape must hold non-negative sizes, received {shape!r}.")
    return dims


def _dtype(dtype: Any, op: str) -> np.dtype:
    try:
        return np.dtype(getattr(dtype, "name", dtype))
    except TypeError as error:
        raise TypeError(f"{op}: dtype must be a dtype or its name such as 'float32', received "
                        f"{dtype!r}.") from error


def _float_dtype(dtype: Any, op: str) -> np.dtype:
    result = _dtype(config.floatx() if dtype is None else dtype, op)
    if result.kind != "f":
        raise ValueError(f"{op}: dtype must be a float dtype such as 'float32', received "
                         f"{result}." + (" Use randint for integers." if op == "uniform" else ""))
    return result


def _tensor(data: np.ndarray) -> Any:
    from descend.autograd.tensor import Tensor

    return Tensor._make(np.asarray(data), False, None)


def _values(x: Any) -> np.ndarray:
    return np.asarray(getattr(x, "data", x))


def normal(shape: Sequence[int], mean: float = 0.0, stddev: float = 1.0, dtype: Any = None,
           seed: Any = None) -> Any:
    """Samples of the normal distribution ``N(mean, stddev**2)``.

    Parameters
    ----------
    shape : tuple of int
    mean, stddev : float or tensor (broadcast to ``shape``), default 0 and 1
    dtype : float dtype, default floatx
    seed : None, int or SeedGenerator, optional (see the module docstring)

    Returns
    -------
    Tensor, shape ``shape``
    """
    dims, out_dtype = _shape(shape, "normal"), _float_dtype(dtype, "normal")
    draw = _rng(seed, "normal").standard_normal(dims)
    return _tensor((draw * _values(stddev) + _values(mean)).astype(out_dtype))


def uniform(shape: Sequence[int], minval: float = 0.0, maxval: float = 1.0, dtype: Any = None,
            seed: Any = None) -> Any:
    """Samples of the uniform distribution on ``[minval, maxval)``.

    Parameters
    ----------
    shape : tuple of int
    minval, maxval : float or tensor, default 0 and 1
    dtype : float dtype, default floatx (integers: use :func:`randint`)
    seed : None, int or SeedGenerator, optional

    Returns
    -------
    Tensor, shape ``shape``
    """
    dims, out_dtype = _shape(shape, "uniform"), _float_dtype(dtype, "uniform")
    low, high = _values(minval), _values(maxval)
    draw = _rng(seed, "uniform").random(dims)
    return _tensor((low + (high - low) * draw).astype(out_dtype))


def truncated_normal(shape: Sequence[int], mean: float = 0.0, stddev: float = 1.0,
                     dtype: Any = None, seed: Any = None) -> Any:
    """Normal samples redrawn until within two standard deviations of ``mean``.

    Parameters and returns as :func:`normal`.
    """
    dims, out_dtype = _shape(shape, "truncated_normal"), _float_dtype(dtype, "truncated_normal")
    rng = _rng(seed, "truncated_normal")
    draw = rng.standard_normal(dims)
    outside = np.abs(draw) > 2.0
    while outside.any():
        draw[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(draw) > 2.0
    return _tensor((draw * _values(stddev) + _values(mean)).astype(out_dtype))


def randint(shape: Sequence[int], minval: int, maxval: int, dtype: Any = "int32",
            seed: Any = None) -> Any:
    """Integers drawn uniformly from ``[minval, maxval)``.

    Parameters
    ----------
    shape : tuple of int
    minval, maxval : int
    dtype : integer dtype, default "int32"
    seed : None, int or SeedGenerator, optional

    Returns
    -------
    Tensor of ``dtype``, shape ``shape``
    """
    dims = _shape(shape, "randint")
    out_dtype = _dtype(dtype, "randint")
    if out_dtype.kind not in "iu":
        raise ValueError(f"randint: dtype must be an integer dtype, received {out_dtype}.")
    low, high = _values(minval), _values(maxval)
    if np.any(high <= low):
        raise ValueError(f"randint: maxval must be greater than minval, received "
                         f"minval={minval!r}, maxval={maxval!r}.")
    draw = _rng(seed, "randint").integers(low, high, size=dims)
    return _tensor(draw.astype(out_dtype))


def categorical(logits: Any, num_samples: int, dtype: Any = "int32", seed: Any = None) -> Any:
    """Class indices drawn from ``softmax(logits)``, row by row.

    Parameters
    ----------
    logits : tensor, shape (batch, classes)
        Unnormalised log-probabilities (``-inf`` excludes a class).
    num_samples : int
    dtype : integer dtype, default "int32"
    seed : None, int or SeedGenerator, optional

    Returns
    -------
    Tensor, shape (batch, num_samples)
    """
    values = _values(logits).astype(np.float64)
    if values.ndim != 2:
        raise ValueError(f"categorical: logits must have shape (batch, classes), received "
                         f"{values.shape}.")
    count = int(num_samples)
    if count < 0:
        raise ValueError(f"categorical: num_samples must be >= 0, received {num_samples!r}.")
    shifted = np.exp(values - values.max(axis=-1, keepdims=True))
    cumulative = np.cumsum(shifted / shifted.sum(axis=-1, keepdims=True), axis=-1)
    draw = _rng(seed, "categorical").random((values.shape[0], count))
    picks = (cumulative[:, None, :] <= draw[:, :, None]).sum(axis=-1)
    picks = np.minimum(picks, values.shape[1] - 1)
    out_dtype = _dtype(dtype, "categorical")
    if out_dtype.kind not in "iu":
        raise ValueError(f"categorical: dtype must be an integer dtype, received {out_dtype}.")
    return _tensor(picks.astype(out_dtype))


def dropout(inputs: Any, rate: float, noise_shape: Sequence[int | None] | None = None,
            seed: Any = None) -> Any:
    """Zero each entry with probability ``rate``; scale the rest by ``1 / (1 - rate)``.

    Parameters
    ----------
    inputs : tensor
    rate : float in [0, 1)
    noise_shape : tuple, optional
        Shape of the mask, broadcast over ``inputs``; None entries take the
        input's size. Default: the input's shape.
    seed : None, int or SeedGenerator, optional

    Returns
    -------
    Tensor, shape of ``inputs`` (differentiable with respect to ``inputs``)
    """
    from descend.autograd import ops as engine_ops
    from descend.autograd.ops._convert import as_tensor

    if not 0.0 <= float(rate) < 1.0:
        raise ValueError(f"dropout: rate must be in [0, 1), received {rate!r}.")
    x = as_tensor(inputs)
    if noise_shape is None:
        mask_shape = x.shape
    else:
        if len(noise_shape) != x.ndim:
            raise ValueError(f"dropout: noise_shape must have one entry per input dimension "
                             f"({x.ndim}), received {noise_shape!r}.")
        mask_shape = tuple(x.shape[i] if n is None else int(n) for i, n in enumerate(noise_shape))
    keep = 1.0 - float(rate)
    mask = (_rng(seed, "dropout").random(mask_shape) < keep) / keep
    dtype = x.data.dtype if x.data.dtype.kind == "f" else np.dtype(config.floatx())
    return engine_ops.mul(x, mask.astype(dtype))


def shuffle(x: Any, axis: int = 0, seed: Any = None) -> Any:
    """``x`` with its slices along ``axis`` in a random order.

    Parameters
    ----------
    x : tensor
    axis : int, default 0
    seed : None, int or SeedGenerator, optional

    Returns
    -------
    Tensor, shape of ``x`` (differentiable for float ``x``)
    """
    from descend.autograd import ops as engine_ops
    from descend.autograd.ops._convert import as_tensor

    data = _values(x)
    if data.ndim == 0 or not -data.ndim <= axis < data.ndim:
        raise ValueError(f"shuffle: axis {axis} is out of range for shape {data.shape}.")
    order = _rng(seed, "shuffle").permutation(data.shape[axis])
    index = (slice(None),) * (axis % data.ndim) + (order,)
    if data.dtype.kind != "f":
        return _tensor(data[index])
    return engine_ops.getitem(as_tensor(x), index)


def gamma(shape: Sequence[int], alpha: Any, dtype: Any = None, seed: Any = None) -> Any:
    """Samples of the gamma distribution with shape ``alpha`` and scale 1.

    Parameters
    ----------
    shape : tuple of int
    alpha : float or tensor (broadcast to ``shape``), positive
    dtype : float dtype, default floatx
    seed : None, int or SeedGenerator, optional

    Returns
    -------
    Tensor, shape ``shape``
    """
    dims, out_dtype = _shape(shape, "gamma"), _float_dtype(dtype, "gamma")
    a = _values(alpha)
    if np.any(a <= 0):
        raise ValueError(f"gamma: alpha must be positive, received {alpha!r}.")
    return _tensor(_rng(seed, "gamma").standard_gamma(np.broadcast_to(a, dims)).astype(out_dtype))


def binomial(shape: Sequence[int], counts: Any, probabilities: Any, dtype: Any = None,
             seed: Any = None) -> Any:
    """Numbers of successes in ``counts`` trials of probability ``probabilities``.

    Parameters
    ----------
    shape : tuple of int
    counts : int, float or tensor (broadcast to ``shape``), non-negative
    probabilities : float or tensor in [0, 1]
    dtype : float dtype, default floatx (Keras returns floats)
    seed : None, int or SeedGenerator, optional

    Returns
    -------
    Tensor, shape ``shape``
    """
    dims, out_dtype = _shape(shape, "binomial"), _float_dtype(dtype, "binomial")
    n, p = _values(counts), _values(probabilities)
    if np.any(n < 0) or np.any((p < 0) | (p > 1)):
        raise ValueError(f"binomial: counts must be >= 0 and probabilities in [0, 1], "
                         f"received {counts!r} and {probabilities!r}.")
    draw = _rng(seed, "binomial").binomial(np.broadcast_to(n, dims).astype(np.int64),
                                           np.broadcast_to(p, dims))
    return _tensor(draw.astype(out_dtype))


def beta(shape: Sequence[int], alpha: Any, beta: Any, dtype: Any = None,
         seed: Any = None) -> Any:
    """Samples of the beta distribution with parameters ``alpha`` and ``beta``.

    Parameters
    ----------
    shape : tuple of int
    alpha, beta : float or tensor (broadcast to ``shape``), positive
    dtype : float dtype, default floatx
    seed : None, int or SeedGenerator, optional

    Returns
    -------
    Tensor, shape ``shape``
    """
    dims, out_dtype = _shape(shape, "beta"), _float_dtype(dtype, "beta")
    a, b = _values(alpha), _values(beta)
    if np.any(a <= 0) or np.any(b <= 0):
        raise ValueError(f"beta: alpha and beta must be positive, received {alpha!r} and "
                         f"{beta!r}.")
    draw = _rng(seed, "beta").beta(np.broadcast_to(a, dims), np.broadcast_to(b, dims))
    return _tensor(draw.astype(out_dtype))
