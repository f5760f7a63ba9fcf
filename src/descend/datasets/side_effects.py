"""The course example's data: a drug trial where older patients tend to have side effects.

The example of the course "How a Neural Network Learns" (deeplizard, "Deep
Learning Fundamentals"): an experimental drug was tested on 2,100 individuals
aged 13 to 100. Half were under 65, half 65 or older. About 95% of the patients under 65
had no side effect, and about 95% of those 65 or older did. The task: predict
from the age alone whether a patient has a side effect (label 1) or not (0).

Exactly as the course builds it: 50 young patients with a side effect and 50 old
ones without (the 5% outliers), then 1,000 young without and 1,000 old with;
ages are then min-max scaled to [0, 1].

Examples
--------
>>> from descend.datasets import side_effects
>>> (x, y), (x_test, y_test) = side_effects.load_data(seed=0)
>>> x.shape, y.shape, float(x.min()), float(x.max())
((2100, 1), (2100,), 0.0, 1.0)
>>> int(y.sum())
1050
"""

from __future__ import annotations

import numpy as np

YOUNG = (13, 64)
OLD = (65, 100)


def generate(n_outliers: int = 50, n_typical: int = 1000,
             seed: int | np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Raw ages (int64, shape (N,)) and labels (int64, shape (N,)), shuffled.

    Parameters
    ----------
    n_outliers : int, default 50
        Young patients with a side effect, and old patients without one.
    n_typical : int, default 1000
        Young patients without a side effect, and old patients with one.
    seed : int or Generator, optional
    """
    rng = np.random.default_rng(seed)
    young_sick = rng.integers(YOUNG[0], YOUNG[1] + 1, n_outliers)
    old_well = rng.integers(OLD[0], OLD[1] + 1, n_outliers)
    young_well = rng.integers(YOUNG[0], YOUNG[1] + 1, n_typical)
    old_sick = rng.integers(OLD[0], OLD[1] + 1, n_typical)
    ages = np.concatenate([young_sick, old_well, young_well, old_sick])
    labels = np.concatenate([np.ones(n_outliers), np.zeros(n_outliers), np.zeros(n_typical),
                             np.ones(n_typical)]).astype(np.int64)
    order = rng.permutation(len(ages))
    return ages[order].astype(np.int64), labels[order]


def scale(ages: np.ndarray, low: float = YOUNG[0], high: float = OLD[1]) -> np.ndarray:
    """Min-max scale ages to [0, 1] as a column, shape (N, 1), float32."""
    return ((np.asarray(ages, dtype=np.float64) - low) / (high - low)).reshape(-1, 1).astype(
        np.float32)


def load_data(seed: int | None = 0) -> tuple[tuple[np.ndarray, np.ndarray],
                                             tuple[np.ndarray, np.ndarray]]:
    """Training (2,100 patients) and test (420 patients) sets, ages scaled to [0, 1].

    Parameters
    ----------
    seed : int, optional, default 0
        Seed of the generator (``None`` for fresh randomness).

    Returns
    -------
    (scaled_train_samples, train_labels), (scaled_test_samples, test_labels)
        Samples float32 of shape (N, 1); labels int64 of shape (N,).
    """
    rng = np.random.default_rng(seed)
    train_ages, train_labels = generate(50, 1000, rng)
    test_ages, test_labels = generate(10, 200, rng)
    return (scale(train_ages), train_labels), (scale(test_ages), test_labels)
