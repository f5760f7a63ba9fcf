"""``set_random_seed``: one switch that makes a descend program repeatable."""

from __future__ import annotations

import random as _python_random

import numpy as np

from descend import random as _descend_random


def set_random_seed(seed: int) -> None:
    """Seed Python's ``random``, NumPy's global RNG and descend's generator.

    After this call, weight initialisation, the shuffling done by ``fit`` and
    dropout masks are repeatable: the same program gives bit-identical results
    across runs and processes.

    Parameters
    ----------
    seed : int
        A non-negative integer.

    Raises
    ------
    ValueError
        If ``seed`` is not a non-negative integer.

    Examples
    --------
    >>> from descend.utils import set_random_seed
    >>> set_random_seed(42)
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(
            f"set_random_seed: expected a non-negative int, received {seed!r}. "
            "Pass for example set_random_seed(42)."
        )
    _python_random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)  # noqa: NPY002  (user code may use the legacy RNG)
    _descend_random.seed(int(seed))
