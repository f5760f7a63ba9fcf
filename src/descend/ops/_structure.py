"""Nested structures (lists, tuples, dicts of tensors) for the control-flow ops.

Keras's ``scan``, ``map``, ``while_loop`` and friends accept and return nested
structures; these helpers flatten one into its leaves (dict keys in sorted
order, like Keras's ``tree``) and build it back.
"""

from __future__ import annotations

from typing import Any


def flatten(structure: Any) -> list[Any]:
    """The leaves of ``structure``, depth first (``None`` counts as a leaf)."""
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    if isinstance(structure, dict):
        return [leaf for key in sorted(structure) for leaf in flatten(structure[key])]
    return [structure]


def pack_as(structure: Any, leaves: list[Any]) -> Any:
    """Rebuild ``structure`` with ``leaves`` (in :func:`flatten` order) in place of its own."""
    iterator = iter(leaves)

    def build(node: Any) -> Any:
        if isinstance(node, (list, tuple)):
            items = [build(item) for item in node]
            if isinstance(node, tuple) and hasattr(node, "_fields"):  # namedtuple
                return type(node)(*items)
            return type(node)(items)
        if isinstance(node, dict):
            return {key: build(node[key]) for key in sorted(node)}
        return next(iterator)

    return build(structure)
