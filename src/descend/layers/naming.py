"""Layer names and small argument helpers shared by the layers.

Examples
--------
>>> to_snake_case("MaxPooling2D")
'max_pooling2d'
"""

from __future__ import annotations

import inspect
import re
from collections import defaultdict
from typing import Any

import numpy as np

_NAME_COUNTS: defaultdict[str, int] = defaultdict(int)
_TAKES_TRAINING: dict[type, bool] = {}


def call_accepts_training(layer: Any) -> bool:
    """Whether ``layer.call`` takes a ``training`` argument (cached per class).

    Keras lets a layer define ``call(self, inputs)`` without it.
    """
    cls = type(layer)
    known = _TAKES_TRAINING.get(cls)
    if known is None:
        try:
            params = inspect.signature(cls.call).parameters
            known = "training" in params or any(p.kind is p.VAR_KEYWORD
                                                for p in params.values())
        except (TypeError, ValueError):
            known = True
        _TAKES_TRAINING[cls] = known
    return known


def to_snake_case(name: str) -> str:
    """``"MaxPooling2D"`` -> ``"max_pooling2d"``."""
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


def unique_name(base: str) -> str:
    """Return ``base``, then ``base_1``, ``base_2``... (Keras's automatic names)."""
    count = _NAME_COUNTS[base]
    _NAME_COUNTS[base] += 1
    return base if count == 0 else f"{base}_{count}"


def reset_names() -> None:
    """Forget the automatic-name counters (``dense``, ``dense_1`` start again)."""
    _NAME_COUNTS.clear()


def shape_tuple(shape: Any, what: str) -> tuple[int | None, ...]:
    """Validate a shape given by a user (ints or None) and return it as a tuple."""
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    try:
        out = tuple(None if s is None else int(s) for s in shape)
    except (TypeError, ValueError):
        raise TypeError(f"{what}: expected a tuple of ints, received {shape!r}.") from None
    if any(s is not None and s <= 0 for s in out):
        raise ValueError(f"{what}: dimensions must be positive, received {shape!r}.")
    return out


__all__ = ["call_accepts_training", "reset_names", "shape_tuple", "to_snake_case", "unique_name"]
