"""Call arguments with symbolic tensors in them, as templates with numbered slots.

A layer or op called on symbolic tensors (``KerasTensor``) records which argument
each tensor was: :func:`_template` replaces them by :class:`_Slot` markers (in
order) and :func:`_fill` puts real tensors back when the model runs.

Examples
--------
>>> found = []
>>> template = _template((1, ["a", {"k": "b"}]), found)
>>> found
[]
>>> _fill(template, [])
(1, ['a', {'k': 'b'}])
"""

from __future__ import annotations

from typing import Any


class _Slot:
    """Where the ``index``-th symbolic argument goes."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index


def _template(structure: Any, found: list[Any]) -> Any:
    """``structure`` with each KerasTensor replaced by a slot (collected into ``found``)."""
    from descend.layers.input_layer import KerasTensor

    if isinstance(structure, KerasTensor):
        found.append(structure)
        return _Slot(len(found) - 1)
    if isinstance(structure, list):
        return [_template(v, found) for v in structure]
    if isinstance(structure, tuple):
        return tuple(_template(v, found) for v in structure)
    if isinstance(structure, dict):
        return {k: _template(v, found) for k, v in structure.items()}
    return structure


def _fill(structure: Any, values: list[Any]) -> Any:
    if isinstance(structure, _Slot):
        return values[structure.index]
    if isinstance(structure, list):
        return [_fill(v, values) for v in structure]
    if isinstance(structure, tuple):
        return tuple(_fill(v, values) for v in structure)
    if isinstance(structure, dict):
        return {k: _fill(v, values) for k, v in structure.items()}
    return structure


