"""Shared preparation of Keras's word-index data sets (IMDB, Reuters).

:func:`prepare` applies Keras's steps in Keras's order: shuffle with
``np.random.RandomState(seed)``, prepend ``start_char`` and shift every index by
``index_from``, drop sequences of length >= ``maxlen``, then replace indices outside
``[skip_top, num_words)`` with ``oov_char`` (or drop them when ``oov_char`` is None).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

__all__ = ["load_word_index", "prepare", "shuffle", "transform"]


def shuffle(xs: np.ndarray, labels: np.ndarray, rng: np.random.RandomState) -> tuple:
    """``xs`` and ``labels`` in the order of one ``rng.shuffle`` of their indices."""
    indices = np.arange(len(xs))
    rng.shuffle(indices)
    return xs[indices], labels[indices]


def shift(xs: Any, start_char: int | None, index_from: int) -> list[list[int]]:
    """Prepend ``start_char`` (if not None) and add ``index_from`` to every index."""
    if start_char is not None:
        return [[start_char] + [w + index_from for w in x] for x in xs]
    return [[w + index_from for w in x] for x in xs]


def drop_long(maxlen: int | None, xs: list, labels: np.ndarray) -> tuple[list, np.ndarray]:
    """Keep the sequences shorter than ``maxlen`` (all of them if ``maxlen`` is falsy)."""
    if not maxlen:
        return xs, labels
    keep = [i for i, x in enumerate(xs) if len(x) < maxlen]
    return [xs[i] for i in keep], labels[keep]


def transform(xs: list, num_words: int | None, skip_top: int, oov_char: int | None) -> list:
    """Replace (or drop, without ``oov_char``) indices outside ``[skip_top, num_words)``."""
    if not num_words:
        num_words = max(max(x) for x in xs if x) if any(xs) else 0
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    return [[w for w in x if skip_top <= w < num_words] for x in xs]


def to_object_array(xs: list) -> np.ndarray:
    """A 1-D object array of lists (as Keras returns)."""
    out = np.empty(len(xs), dtype=object)
    for i, x in enumerate(xs):
        out[i] = x
    return out


def check_arguments(owner: str, num_words: Any, skip_top: Any, maxlen: Any,
                    index_from: Any) -> None:
    """Clear errors for impossible arguments."""
    for name, value in (("num_words", num_words), ("maxlen", maxlen)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or value <= 0):
            raise ValueError(f"{owner}: `{name}` must be a positive int or None, received "
                             f"{value!r}.")
    for name, value in (("skip_top", skip_top), ("index_from", index_from)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{owner}: `{name}` must be a non-negative int, received "
                             f"{value!r}.")


def load_word_index(path: Any) -> dict[str, int]:
    """Read a word-index JSON file (word -> rank, 1 = most frequent)."""
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    if not isinstance(data, dict) or not all(
            isinstance(k, str) and isinstance(v, int) for k, v in data.items()):
        raise ValueError(f"{path}: expected a JSON object of word -> integer rank.")
    return data


def prepare(owner: str, splits: list[tuple[np.ndarray, np.ndarray]], num_words: int | None,
            skip_top: int, maxlen: int | None, start_char: int | None, oov_char: int | None,
            index_from: int) -> list[tuple[list, np.ndarray]]:
    """Shifted, filtered and OOV-replaced ``(xs, labels)`` per split (already shuffled)."""
    shifted = [(shift(xs, start_char, index_from), labels) for xs, labels in splits]
    if maxlen:
        shifted = [drop_long(maxlen, xs, labels) for xs, labels in shifted]
        if any(not xs for xs, _ in shifted):
            raise ValueError(f"{owner}: after filtering for sequences shorter than "
                             f"maxlen={maxlen}, no sequence was kept. Increase maxlen.")
    everything = [x for xs, _ in shifted for x in xs]
    if not num_words:
        num_words = max((max(x) for x in everything if x), default=0)
    replaced = transform(everything, num_words, skip_top, oov_char)
    out, start = [], 0
    for xs, labels in shifted:
        out.append((replaced[start:start + len(xs)], labels))
        start += len(xs)
    return out
