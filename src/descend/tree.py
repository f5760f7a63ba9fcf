"""Nested structures (``keras.tree``): flatten, map and rebuild lists, tuples and dicts.

A *structure* is a leaf or a list, tuple, namedtuple or dict of structures.
Dicts are visited in sorted key order (Keras's rule), so ``flatten`` and
``pack_sequence_as`` agree however a dict was built. Strings, arrays, tensors
and ``None`` are leaves. Pure Python, no dependency.

Examples
--------
>>> from descend import tree
>>> tree.flatten({"b": 1, "a": [2, (3, None)]})
[2, 3, None, 1]
>>> tree.map_structure(lambda x, y: x + y, [1, (2, 3)], [10, (20, 30)])
[11, (22, 33)]
>>> tree.pack_sequence_as({"b": 0, "a": [0, 0]}, [1, 2, 3])
{'a': [1, 2], 'b': 3}
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

__all__ = [
    "MAP_TO_NONE", "assert_same_paths", "assert_same_structure", "flatten", "flatten_with_path",
    "is_nested", "lists_to_tuples", "map_shape_structure", "map_structure",
    "map_structure_up_to", "pack_sequence_as", "traverse",
]


class MAP_TO_NONE:  # noqa: N801  (Keras's name)
    """Returned by a :func:`traverse` function to put ``None`` at a node."""


def _is_namedtuple(x: Any) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def is_nested(structure: Any) -> bool:
    """Whether ``structure`` is a list, tuple or dict (not a leaf).

    Examples
    --------
    >>> is_nested([1]), is_nested(1), is_nested("ab")
    (True, False, False)
    """
    return isinstance(structure, (list, tuple, Mapping))


def _children(structure: Any) -> list[tuple[Any, Any]]:
    """(key, child) pairs of a nested node, in visiting order."""
    if isinstance(structure, Mapping):
        return [(key, structure[key]) for key in _sorted_keys(structure)]
    return list(enumerate(structure))


def _sorted_keys(mapping: Mapping) -> list[Any]:
    try:
        return sorted(mapping)
    except TypeError:  # keys of mixed types: order by their text
        return sorted(mapping, key=repr)


def _rebuild(structure: Any, values: list[Any]) -> Any:
    """A node of ``structure``'s type holding ``values`` (in visiting order)."""
    if isinstance(structure, Mapping):
        by_key = dict(zip(_sorted_keys(structure), values, strict=True))
        if type(structure) is dict:  # Keras rebuilds plain dicts in sorted key order
            return by_key
        try:
            return type(structure)((key, by_key[key]) for key in structure)
        except TypeError:
            return {key: by_key[key] for key in structure}
    if _is_namedtuple(structure):
        return type(structure)(*values)
    if isinstance(structure, tuple):
        return tuple(values)
    return list(values)


def _walk(structure: Any, path: tuple) -> Iterator[tuple[tuple, Any]]:
    # iterative, so that deep structures hit no recursion limit
    stack = [(path, structure)]
    while stack:
        here, node = stack.pop()
        if is_nested(node):
            stack.extend((here + (key,), child) for key, child in reversed(_children(node)))
        else:
            yield here, node


def flatten(structure: Any) -> list[Any]:
    """The leaves of ``structure``, depth first, dict values in sorted key order."""
    return [leaf for _, leaf in _walk(structure, ())]


def flatten_with_path(structure: Any) -> list[tuple[tuple, Any]]:
    """``(path, leaf)`` pairs; a path is the tuple of keys/indices leading to the leaf.

    Examples
    --------
    >>> flatten_with_path({"b": 1, "a": [2]})
    [(('a', 0), 2), (('b',), 1)]
    """
    return list(_walk(structure, ()))


def _assert_same(a: Any, b: Any, check_types: bool = True) -> None:
    stack = [(a, b, ())]
    while stack:
        x, y, path = stack.pop()
        if is_nested(x) != is_nested(y):
            raise ValueError(
                f"The two structures don't have the same nested structure: at path {path}, "
                f"one has {type(x).__name__} and the other {type(y).__name__}."
            )
        if not is_nested(x):
            continue
        if check_types and type(x) is not type(y):
            raise ValueError(
                f"The two structures don't have the same nested structure: at path {path}, "
                f"node types differ ({type(x).__name__} vs {type(y).__name__})."
            )
        if isinstance(x, Mapping) and set(x) != set(y):
            raise ValueError(f"The two structures don't have the same nested structure: at "
                             f"path {path}, dict keys differ ({sorted(x, key=repr)} vs "
                             f"{sorted(y, key=repr)}).")
        if len(x) != len(y):
            raise ValueError(f"The two structures don't have the same nested structure: at "
                             f"path {path}, expected {len(x)} items but got {len(y)}.")
        for (key, cx), (_, cy) in zip(_children(x), _children(y), strict=True):
            stack.append((cx, cy, path + (key,)))


def assert_same_structure(a: Any, b: Any) -> None:
    """Raise ``ValueError`` unless ``a`` and ``b`` nest the same node types the same way."""
    _assert_same(a, b)


def assert_same_paths(a: Any, b: Any) -> None:
    """Raise ``ValueError`` unless ``a`` and ``b`` have the same set of leaf paths."""
    paths_a = {path for path, _ in _walk(a, ())}
    paths_b = {path for path, _ in _walk(b, ())}
    if paths_a != paths_b:
        raise ValueError(
            "The two structures don't have the same paths: only in the first "
            f"{sorted(paths_a - paths_b, key=repr)}, only in the second "
            f"{sorted(paths_b - paths_a, key=repr)}."
        )


def pack_sequence_as(structure: Any, flat_sequence: Any) -> Any:
    """Fill ``structure``'s leaves, in :func:`flatten` order, from ``flat_sequence``.

    Raises
    ------
    ValueError
        If the counts differ.
    """
    flat = list(flat_sequence)
    n = len(flatten(structure))
    if len(flat) != n:
        raise ValueError(f"pack_sequence_as: the structure holds {n} leaves but "
                         f"flat_sequence has {len(flat)} items.")
    values = iter(flat)

    def fill(node: Any) -> Any:
        if not is_nested(node):
            return next(values)
        return _rebuild(node, [fill(child) for _, child in _children(node)])

    return fill(structure)


def map_structure(func: Callable[..., Any], *structures: Any) -> Any:
    """Apply ``func`` to the corresponding leaves of ``structures`` (all of one structure)."""
    if not structures:
        raise ValueError("map_structure: give at least one structure.")
    first = structures[0]
    for other in structures[1:]:
        _assert_same(first, other)
    leaves = [flatten(s) for s in structures]
    return pack_sequence_as(first, [func(*args) for args in zip(*leaves, strict=True)])


def map_structure_up_to(shallow_structure: Any, func: Callable[..., Any],
                        *structures: Any) -> Any:
    """Like :func:`map_structure`, but ``func`` gets sub-structures cut at ``shallow_structure``.

    Examples
    --------
    >>> map_structure_up_to([0, 0], len, [[1, 2], (3,)])
    [2, 1]
    """
    def cut(shallow: Any, node: Any) -> list[Any]:
        if not is_nested(shallow):
            return [node]
        if not is_nested(node) or len(node) != len(shallow):
            raise ValueError(f"map_structure_up_to: the input does not match the shallow "
                             f"structure at {node!r}.")
        if isinstance(shallow, Mapping) and (not isinstance(node, Mapping)
                                             or set(shallow) != set(node)):
            raise ValueError("map_structure_up_to: dict keys do not match the shallow structure.")
        return [item for (_, s), (_, n) in zip(_children(shallow), _children(node), strict=True)
                for item in cut(s, n)]

    parts = [cut(shallow_structure, s) for s in structures]
    return pack_sequence_as(shallow_structure, [func(*a) for a in zip(*parts, strict=True)])


def _is_shape(x: Any) -> bool:
    return isinstance(x, (tuple, list)) and all(d is None or isinstance(d, int) for d in x)


def map_shape_structure(func: Callable[[Any], Any], structure: Any) -> Any:
    """Map ``func`` over the shapes (tuples/lists of ints and None) in ``structure``."""
    if _is_shape(structure) or not is_nested(structure):
        return func(structure)
    return _rebuild(structure, [map_shape_structure(func, child)
                                for _, child in _children(structure)])


def lists_to_tuples(structure: Any) -> Any:
    """The same structure with every list turned into a tuple."""
    if not is_nested(structure):
        return structure
    values = [lists_to_tuples(child) for _, child in _children(structure)]
    if isinstance(structure, list):
        return tuple(values)
    return _rebuild(structure, values)


def traverse(func: Callable[[Any], Any], structure: Any, top_down: bool = True) -> Any:
    """Call ``func`` on every node (nested ones included) and rebuild the structure.

    Top down, a non-None result replaces the node and its children are not
    visited; bottom up, ``func`` sees each node after its children were rebuilt
    and a non-None result replaces it. Return :class:`MAP_TO_NONE` to put
    ``None`` at a node.

    Examples
    --------
    >>> traverse(lambda x: x * 10 if isinstance(x, int) else None, [1, [2]])
    [10, [20]]
    """
    def unwrap(value: Any) -> Any:
        return None if value is MAP_TO_NONE else value

    def visit(node: Any) -> Any:
        if top_down:
            out = func(node)
            if out is not None:
                return unwrap(out)
            if not is_nested(node):
                return node
            return _rebuild(node, [visit(child) for _, child in _children(node)])
        rebuilt = node if not is_nested(node) else _rebuild(
            node, [visit(child) for _, child in _children(node)])
        out = func(rebuilt)
        return rebuilt if out is None else unwrap(out)

    return visit(structure)
