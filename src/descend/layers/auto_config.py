"""A config for subclassed layers that do not write ``get_config`` (Keras 3's auto-config).

When a layer subclass's ``__init__`` takes only plain values (str, int, float,
bool, None, and lists, tuples and dicts of them), Keras records the arguments
it was created with and uses them as its config, so that such a layer or model
saves and loads without any serialisation code. descend does the same; a
subclass whose arguments are anything else must implement ``get_config``.

Examples
--------
>>> from descend import layers
>>> class Scale(layers.Layer):
...     def __init__(self, factor=2.0, **kwargs):
...         super().__init__(**kwargs)
...         self.factor = factor
...     def call(self, x):
...         return x * self.factor
>>> config = Scale(3.0, name="scale").get_config()
>>> config["factor"], config["name"]
(3.0, 'scale')
>>> Scale.from_config(config).factor
3.0
"""

from __future__ import annotations

import inspect
from typing import Any

_PLAIN = (str, int, float, bool, type(None))
_SPECS: dict[type, inspect.FullArgSpec | None] = {}


def _spec(cls: type) -> inspect.FullArgSpec | None:
    if cls not in _SPECS:
        try:
            _SPECS[cls] = inspect.getfullargspec(cls.__init__)
        except TypeError:
            _SPECS[cls] = None
    return _SPECS[cls]


def _plain(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if not all(isinstance(k, str) for k in item):
                return False
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif not isinstance(item, _PLAIN):
            return False
    return True


def capture(cls: type, args: tuple, kwargs: dict) -> dict[str, Any] | None:
    """The constructor arguments by name, if they are all plain values, else None."""
    spec = _spec(cls)
    if spec is None:
        return None
    named = dict(kwargs)
    named.update(zip(spec.args[1:len(args) + 1], args, strict=False))
    if len(args) > len(spec.args) - 1 or not _plain(named):
        return None
    return {k: list(v) if isinstance(v, tuple) else v for k, v in named.items()}


def auto_config(layer: Any, base: dict[str, Any]) -> dict[str, Any]:
    """``base`` (name, trainable, dtype) plus the captured constructor arguments.

    Raises
    ------
    NotImplementedError
        If the layer's constructor took values that cannot be recorded.
    """
    captured = getattr(layer, "_auto_config", None)
    cls = type(layer)
    if captured is None:
        raise NotImplementedError(
            f"Layer {cls.__name__} was created with arguments that are not plain values "
            "(str, int, float, bool, None, or lists and dicts of them), so descend cannot "
            f"record its config. Implement get_config() in {cls.__name__}, returning the "
            "arguments of __init__ (and from_config() if they need converting back)."
        )
    config = dict(base)
    config.update(captured)
    return accepted(cls, config)


def accepted(cls: type, config: dict[str, Any]) -> dict[str, Any]:
    """``config`` without the base keys that ``cls.__init__`` cannot take (no ``**kwargs``)."""
    spec = _spec(cls)
    if spec is None or spec.varkw is not None:
        return config
    names = set(spec.args[1:]) | set(spec.kwonlyargs)
    return {k: v for k, v in config.items() if k in names}
