"""Attribute tracking: a layer knows the sublayers, weights and metrics it holds.

Keras's contract for subclassing: assigning a layer, a variable or a metric to
an attribute of a layer (directly, or inside a list, tuple or dict) makes it
part of that layer, so that its weights show up in ``weights``, are trained by
``fit``, counted by ``count_params`` and saved. Lists and dicts assigned to
public attributes are wrapped in :class:`TrackedList` / :class:`TrackedDict`,
so that layers appended later are tracked too, and removed ones forgotten.

Examples
--------
>>> from descend import layers
>>> class Block(layers.Layer):
...     def __init__(self):
...         super().__init__()
...         self.stages = [layers.Dense(4), layers.Dense(2)]
...     def call(self, x):
...         for stage in self.stages:
...             x = stage(x)
...         return x
>>> block = Block()
>>> block.stages.append(layers.Dense(1))
>>> [layer.name for layer in block._layers]
['dense', 'dense_1', 'dense_2']
"""

from __future__ import annotations

import weakref
from typing import Any

HOLDING_METRICS: weakref.WeakSet = weakref.WeakSet()
"""Layers that track a metric in an attribute (a model's ``metrics`` walks its layers only
when this is not empty: no per-step walk for the usual model)."""


def _kind(value: Any) -> str | None:
    """``"layer"``, ``"variable"``, ``"metric"`` or None for what a layer tracks."""
    from descend.autograd.variable import Variable
    from descend.layers.layer import Layer
    from descend.metrics.metric import Metric

    if isinstance(value, Layer):
        return "layer"
    if isinstance(value, Variable):
        return "variable"
    if isinstance(value, Metric):
        return "metric"
    return None


def track(owner: Any, value: Any) -> None:
    """Record every layer, variable and metric in ``value`` (nested containers too) on ``owner``."""
    stack = [value]
    seen: set[int] = set()
    known: dict[str, set[int]] = {}  # ids already tracked, per list (built on first need)
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        kind = _kind(item)
        if kind is not None:
            target = {"layer": owner._layers, "variable": owner._weights,
                      "metric": owner._metrics}[kind]
            ids = known.get(kind)
            if ids is None:
                ids = known[kind] = {id(x) for x in target}
            if id(item) not in ids and item is not owner:
                ids.add(id(item))
                target.append(item)
                if kind == "metric":
                    HOLDING_METRICS.add(owner)
        elif isinstance(item, dict):
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, (list, tuple)):
            stack.extend(reversed(item))


def untrack(owner: Any, value: Any) -> None:
    """Forget the layers and metrics in ``value`` unless another attribute still holds them."""
    items = [value]
    while items:
        item = items.pop()
        kind = _kind(item)
        if kind == "layer":
            owner._layers[:] = [x for x in owner._layers if x is not item]
        elif kind == "metric":
            owner._metrics[:] = [x for x in owner._metrics if x is not item]
        elif isinstance(item, dict):
            items.extend(item.values())
        elif isinstance(item, (list, tuple)):
            items.extend(item)
    # whatever is still reachable from another attribute stays tracked
    for name, other in vars(owner).items():
        if name not in owner._TRACKING_EXEMPT:
            track(owner, other)


def wrap(owner: Any, value: Any) -> Any:
    """Wrap a plain list or dict so that later changes are tracked too."""
    if type(value) is list:
        return TrackedList(owner, value)
    if type(value) is dict:
        return TrackedDict(owner, value)
    return value


class TrackedList(list):
    """A list attribute of a layer: appended layers, weights and metrics are tracked.

    Parameters
    ----------
    owner : Layer
        The layer that holds the list.
    values : iterable
        The initial items.
    """

    def __init__(self, owner: Any, values: Any = ()) -> None:
        super().__init__(values)
        self._owner = owner
        track(owner, self)

    def append(self, value: Any) -> None:
        super().append(value)
        track(self._owner, value)

    def extend(self, values: Any) -> None:
        values = list(values)
        super().extend(values)
        track(self._owner, values)

    def insert(self, index: Any, value: Any) -> None:
        super().insert(index, value)
        track(self._owner, value)

    def __setitem__(self, index: Any, value: Any) -> None:
        old = self[index]
        super().__setitem__(index, value)
        untrack(self._owner, old)
        track(self._owner, value)

    def __iadd__(self, values: Any) -> TrackedList:
        self.extend(values)
        return self

    def remove(self, value: Any) -> None:
        super().remove(value)
        untrack(self._owner, value)

    def pop(self, index: Any = -1) -> Any:
        value = super().pop(index)
        untrack(self._owner, value)
        return value

    def __delitem__(self, index: Any) -> None:
        old = self[index]
        super().__delitem__(index)
        untrack(self._owner, old)

    def clear(self) -> None:
        old = list(self)
        super().clear()
        untrack(self._owner, old)

    def __reduce_ex__(self, protocol: Any) -> Any:  # copies are plain lists
        return (list, (list(self),))


class TrackedDict(dict):
    """A dict attribute of a layer: layers, weights and metrics stored in it are tracked.

    Parameters
    ----------
    owner : Layer
        The layer that holds the dict.
    values : mapping
        The initial items.
    """

    def __init__(self, owner: Any, values: Any = ()) -> None:
        super().__init__(values)
        self._owner = owner
        track(owner, self)

    def __setitem__(self, key: Any, value: Any) -> None:
        old = self.get(key)
        super().__setitem__(key, value)
        if old is not None and old is not value:
            untrack(self._owner, old)
        track(self._owner, value)

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def pop(self, key: Any, *default: Any) -> Any:
        value = super().pop(key, *default)
        untrack(self._owner, value)
        return value

    def __delitem__(self, key: Any) -> None:
        old = self[key]
        super().__delitem__(key)
        untrack(self._owner, old)

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (dict, (dict(self),))


def flatten_layers(layer: Any, include_self: bool = True) -> list[Any]:
    """``layer`` (optionally) and every layer inside it, breadth first, each once."""
    out: list[Any] = [layer] if include_self else []
    seen = {id(layer)}
    queue = list(layer._layers)
    i = 0
    while i < len(queue):
        inner = queue[i]
        i += 1
        if id(inner) in seen:
            continue
        seen.add(id(inner))
        out.append(inner)
        queue.extend(inner._layers)
    return out
