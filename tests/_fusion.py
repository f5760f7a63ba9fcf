"""``fusion(on)``: run a block with the execution plan's rewrites on or off, then restore."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import descend


@contextmanager
def fusion(on: bool) -> Iterator[None]:
    previous = descend.config.fusion()
    descend.config.set_fusion(on)
    try:
        yield
    finally:
        descend.config.set_fusion(previous)
