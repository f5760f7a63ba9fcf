"""Forward hooks: functions a layer calls before and after it computes.

``layer.register_forward_pre_hook(hook)`` and ``layer.register_forward_hook(hook)``
(PyTorch's names and signatures) attach a function to one layer and return a
:class:`HookHandle` whose ``remove()`` detaches it again (a handle is also a
context manager). Hooks fire every time the layer computes on data, on every
path a model takes: a direct call ``layer(x)``, ``fit``/``evaluate`` (the
graph path) and ``predict`` (the array path); they receive Tensors on all of
them. They do not fire while a layer runs on placeholder zeros to infer a
shape. A model's execution plan (:mod:`descend.models.plan`) never fuses a
hooked layer with its neighbours, so every hook sees exactly its own layer's
input and output.

* ``pre_hook(layer, inputs)`` runs before ``call``; ``inputs`` is the first
  argument ``call`` receives (a Tensor, or a list of Tensors for layers with
  several inputs). Returning something other than None replaces the inputs.
* ``hook(layer, inputs, outputs)`` runs after ``call``; returning something
  other than None replaces the outputs.

Examples
--------
>>> import numpy as np
>>> from descend.layers import Dense
>>> layer = Dense(2, kernel_initializer="ones")
>>> seen = []
>>> handle = layer.register_forward_hook(lambda l, x, y: seen.append(y.shape))
>>> _ = layer(np.ones((3, 4), "float32"))
>>> handle.remove()
>>> _ = layer(np.ones((3, 4), "float32"))
>>> seen
[(3, 2)]
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

__all__ = ["HookHandle", "LayerHooks", "generation", "silenced"]

_IDS = itertools.count()
_GENERATION = 0
_SILENT = 0


def generation() -> int:
    """A number that changes whenever any hook is added or removed (plans compare it)."""
    return _GENERATION


def changed() -> None:
    """Note that something an execution plan depends on changed (plans rebuild)."""
    global _GENERATION
    _GENERATION += 1


class silenced:  # noqa: N801  (used as a context manager, like contextlib's helpers)
    """Within the block, no hook fires (shape inference runs layers on zeros)."""

    def __enter__(self) -> None:
        global _SILENT
        _SILENT += 1

    def __exit__(self, *exc: Any) -> None:
        global _SILENT
        _SILENT -= 1


class LayerHooks:
    """The hooks of one layer, in registration order."""

    __slots__ = ("pre", "post")

    def __init__(self) -> None:
        self.pre: dict[int, Callable] = {}
        self.post: dict[int, Callable] = {}

    def before(self, layer: Any, inputs: Any) -> Any:
        """Run the pre-hooks; return the (possibly replaced) inputs."""
        if _SILENT:
            return inputs
        for hook in list(self.pre.values()):
            result = hook(layer, inputs)
            if result is not None:
                inputs = result
        return inputs

    def after(self, layer: Any, inputs: Any, outputs: Any) -> Any:
        """Run the hooks; return the (possibly replaced) outputs."""
        if _SILENT:
            return outputs
        for hook in list(self.post.values()):
            result = hook(layer, inputs, outputs)
            if result is not None:
                outputs = result
        return outputs


class HookHandle:
    """What ``register_forward_hook``/``register_forward_pre_hook`` return.

    Call :meth:`remove` (or leave a ``with`` block) to detach the hook;
    removing twice does nothing.
    """

    __slots__ = ("_layer", "_kind", "id")

    def __init__(self, layer: Any, kind: str, hook_id: int) -> None:
        self._layer, self._kind, self.id = layer, kind, hook_id

    def remove(self) -> None:
        """Detach the hook from its layer."""
        layer = self._layer
        hooks = layer.__dict__.get("_hooks")
        if hooks is None or getattr(hooks, self._kind).pop(self.id, None) is None:
            return
        if not hooks.pre and not hooks.post:
            object.__delattr__(layer, "_hooks")  # back to the class's None: the fast test
        changed()

    def __enter__(self) -> HookHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


def register(layer: Any, hook: Any, kind: str) -> HookHandle:
    """Attach ``hook`` to ``layer`` as a ``"pre"`` or ``"post"`` hook."""
    if not callable(hook):
        name = "register_forward_pre_hook" if kind == "pre" else "register_forward_hook"
        raise TypeError(
            f"Layer '{layer.name}': {name} expects a function, received {hook!r} of type "
            f"{type(hook).__name__}. Pass e.g. lambda layer, inputs"
            + (": None." if kind == "pre" else ", outputs: None.")
        )
    hooks = layer.__dict__.get("_hooks")
    if hooks is None:
        hooks = LayerHooks()
        object.__setattr__(layer, "_hooks", hooks)
    hook_id = next(_IDS)
    getattr(hooks, kind)[hook_id] = hook
    changed()
    return HookHandle(layer, kind, hook_id)
