"""descend's global random state.

Everything random in descend (initializers without a seed, shuffling in ``fit``,
dropout masks) draws from one :class:`numpy.random.Generator`, reseeded by
:func:`descend.utils.set_random_seed`. Its state is plain JSON-serialisable data,
so training can be checkpointed and resumed bit-identically.

Examples
--------
>>> from descend import random
>>> random.seed(0)
>>> a = random.generator().standard_normal()
>>> random.seed(0)
>>> a == random.generator().standard_normal()
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

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
