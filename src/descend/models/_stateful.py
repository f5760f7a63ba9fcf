"""Stateful recurrent layers and the shape probes of ``fit``/``evaluate``/``predict``.

Before the first batch, the training loops run a small forward pass to learn the
output shapes and to name the layer of a shape error. A stateful recurrent layer
(``LSTM(..., stateful=True)``) only accepts its fixed batch size and would carry the
probe's states into the first real batch; :func:`kept_states` gives the probe
that batch size and puts the carried states back afterwards.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

__all__ = ["kept_states"]


@contextlib.contextmanager
def kept_states(model: Any) -> Iterator[int]:
    """Around the shape probe of ``_prepare``: how many rows to probe with (1, or the
    batch size of stateful recurrent layers) and their carried states restored after."""
    carried = [layer for layer in model._flatten_layers(include_self=False)
               if getattr(layer, "stateful", False) and getattr(layer, "_states", None)]
    saved = [[s.copy() for s in layer._states] for layer in carried]
    try:
        yield carried[0]._states[0].shape[0] if carried else 1
    finally:
        for layer, states in zip(carried, saved, strict=True):
            for kept, old in zip(layer._states, states, strict=True):
                kept[...] = old

