"""``split_dataset``: cut arrays (or tuples/dicts of arrays) into two parts, as Keras does.

Keras returns two ``tf.data.Dataset`` objects; descend has no ``tf.data``, so it returns the
two parts in the structure it was given: arrays for an array, tuples of arrays for a tuple
(e.g. ``(x, y)``), dicts for a dict. Sizes follow Keras: an int is a count, a float a
fraction of the samples (rounded to the nearest count); with one size given the other part
is the rest; with none, ``left_size=0.5``. Samples are taken in order unless
``shuffle=True`` (then one permutation, seeded by ``seed``, is applied to every array).

Examples
--------
>>> import numpy as np
>>> x, y = np.arange(10).reshape(10, 1), np.arange(10)
>>> (x_left, y_left), (x_right, y_right) = split_dataset((x, y), left_size=0.8)
>>> x_left.shape, y_right.tolist()
((8, 1), [8, 9])
>>> left, right = split_dataset(np.arange(6), right_size=2, shuffle=True, seed=0)
>>> sorted(left.tolist() + right.tolist())
[0, 1, 2, 3, 4, 5]
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["split_dataset"]


def _leaves(dataset: Any) -> list[np.ndarray]:
    if isinstance(dataset, dict):
        return [np.asarray(v) for v in dataset.values()]
    if isinstance(dataset, (tuple, list)) and dataset and all(
            hasattr(v, "shape") or isinstance(v, (list, tuple)) for v in dataset) and not \
            all(np.isscalar(v) for v in dataset):
        return [np.asarray(v) for v in dataset]
    return [np.asarray(dataset)]


def _apply(dataset: Any, index: np.ndarray) -> Any:
    if isinstance(dataset, dict):
        return {k: np.asarray(v)[index] for k, v in dataset.items()}
    leaves = _leaves(dataset)
    if len(leaves) == 1 and not (isinstance(dataset, (tuple, list)) and len(dataset) == 1
                                 and hasattr(dataset[0], "shape")):
        return leaves[0][index]
    return tuple(leaf[index] for leaf in leaves)


def _check_size(name: str, size: Any, total: int) -> None:
    if size is None:
        return
    if isinstance(size, bool) or not isinstance(size, (int, float, np.integer, np.floating)):
        raise TypeError(f"split_dataset: `{name}` must be an int (a count), a float (a "
                        f"fraction) or None, received {name}={size!r}.")
    if isinstance(size, (float, np.floating)) and not 0 < size < 1:
        raise ValueError(f"split_dataset: a float `{name}` must be in (0, 1), received "
                         f"{name}={size}.")
    if isinstance(size, (int, np.integer)) and not 0 < size < total:
        raise ValueError(f"split_dataset: an int `{name}` must be in (0, {total}) for "
                         f"{total} samples, received {name}={size}.")


def _count(size: Any, total: int) -> int | None:
    if size is None:
        return None
    if isinstance(size, (float, np.floating)):
        return int(round(size * total))
    return int(size)


def split_dataset(dataset: Any, left_size: int | float | None = None,
                  right_size: int | float | None = None, shuffle: bool = False,
                  seed: int | None = None) -> tuple[Any, Any]:
    """Split ``dataset`` into a left and a right part.

    Parameters
    ----------
    dataset : ndarray, tuple/list of ndarrays or dict of ndarrays
        All arrays must have the same first (sample) axis.
    left_size, right_size : int, float or None
        Counts (int), fractions in (0, 1) (float) or None (the rest).
    shuffle : bool, default False
    seed : int, optional
        Seed of the shuffle (None: a fresh random permutation).

    Returns
    -------
    (left, right)
        Same structure as ``dataset`` (a tuple for a tuple or list).

    Raises
    ------
    ValueError
        Sizes out of range, both zero, summing over the number of samples, or arrays with
        different numbers of samples.
    """
    leaves = _leaves(dataset)
    lengths = {len(leaf) for leaf in leaves}
    if len(lengths) != 1:
        raise ValueError("split_dataset: every array must have the same number of samples, "
                         f"received lengths {sorted(lengths)}.")
    total = lengths.pop()
    if left_size is None and right_size is None:
        left_size = 0.5
    _check_size("left_size", left_size, total)
    _check_size("right_size", right_size, total)
    if isinstance(left_size, float) and isinstance(right_size, float) \
            and left_size + right_size > 1:
        raise ValueError(f"split_dataset: left_size + right_size must be <= 1, received "
                         f"{left_size} + {right_size}.")
    left, right = _count(left_size, total), _count(right_size, total)
    if left is None:
        left = total - right
    elif right is None:
        right = total - left
    if left + right > total:
        raise ValueError(f"split_dataset: left_size ({left}) + right_size ({right}) exceeds "
                         f"the {total} samples.")
    if left == 0 or right == 0:
        raise ValueError(f"split_dataset: both parts must hold samples, received sizes "
                         f"{left} and {right} for {total} samples.")
    order = np.arange(total)
    if shuffle:
        order = np.random.default_rng(seed).permutation(total)
    return _apply(dataset, order[:left]), _apply(dataset, order[left:left + right])
