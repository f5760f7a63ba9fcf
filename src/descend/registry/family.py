"""``get``, ``serialize`` and ``deserialize`` of one family of objects named by strings.

Keras lets users name activations, initializers, regularizers, constraints, losses and metrics
by a string (``Dense(4, activation="relu", kernel_initializer="he_normal")``) or by a config
dict, and every one of those modules offers the same three functions. They are written once
here, as the methods of a :class:`Family`; each module builds its family from its table of
built-ins and exposes the methods under Keras's names.

The rules, as Keras 3 has them:

- ``get(None)`` gives the family's default (None; :func:`~descend.activations.linear` for
  activations); a string or a config dict goes through ``deserialize``; a class is
  instantiated with its defaults (activations excepted: any callable is an activation);
  any other callable is returned unchanged; anything else raises :class:`IdentifierError`.
- ``serialize`` gives Keras's ``{"module", "class_name", "config", "registered_name"}`` dict
  for an instance of the family's base class (or of a registered class), Keras's
  ``{"class_name": "function", ...}`` dict for a registered function, and the plain
  ``__name__`` of any other named function; a lambda cannot be named and raises
  ``ValueError``.
- ``deserialize`` finds a string in the explicit ``custom_objects``, the active custom object
  scopes, the registry, then the built-ins (an unknown name raises ``ValueError`` with the
  closest valid names), instantiates a class with its defaults, and rebuilds a config dict
  with ``from_config``.

Examples
--------
>>> family = Family("shape", {"square": abs}, base=None,
...                 hint="Pass 'square' or a function.")
>>> family.get("square") is abs
True
>>> family.serialize(abs)
'abs'
>>> family.get(3)
Traceback (most recent call last):
...
descend.registry.family.IdentifierError: Could not interpret shape identifier: 3. Pass 'square' or a function.
"""  # noqa: E501

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from descend.registry.object_registration import (
    function_config,
    is_registered,
    object_config,
    resolve_config,
    retrieve_object,
)

__all__ = ["Family", "IdentifierError"]


class IdentifierError(TypeError, ValueError):
    """An identifier that is neither a name, a config dict nor a callable.

    Keras raises ``ValueError`` here; descend's convention for a wrong type is ``TypeError``.
    The error is both, so code written for either catches it.
    """


def _build(cls: type, args: Mapping[str, Any] | None) -> Any:
    """An instance of ``cls`` from its config (``from_config`` where the class has one)."""
    args = dict(args or {})
    return cls.from_config(args) if hasattr(cls, "from_config") else cls(**args)


class Family:
    """``get``/``serialize``/``deserialize`` of one family of objects named by strings.

    Parameters
    ----------
    kind : str
        The family in messages: ``"initializer"`` gives ``"Unknown initializer: 'x'"``.
    table : dict
        Built-in names -> classes or functions (aliases included).
    base : type or None
        The family's base class (``Initializer``, ``Loss``...). None for activations, which
        are plain functions: their strings are never instantiated, nor are classes given to
        ``get``.
    module : str, optional
        The Keras module written in the config of a built-in instance
        (``"keras.initializers"``).
    hint : str, default ""
        How to fix an uninterpretable identifier, appended to the message.
    cannot_name : str, default ""
        How to fix an object ``serialize`` cannot name (a lambda), appended to the message.
    default : callable, optional
        What ``get(None)`` returns (default None).
    identifier_kind : str, optional
        The family in "Could not interpret ... identifier" (default ``kind``; Keras says
        ``"activation function"`` for activations).
    from_string : callable, optional
        ``from_string(name, obj)`` builds the object a string names, for a family whose
        strings mean something else than the class with its defaults (regularizers'
        ``"l1_l2"``); return None to fall back to the default rule.
    """

    def __init__(self, kind: str, table: Mapping[str, Any], base: type | None, *,
                 module: str | None = None, hint: str = "", cannot_name: str = "",
                 default: Callable[..., Any] | None = None, identifier_kind: str | None = None,
                 from_string: Callable[[str, Any], Any] | None = None) -> None:
        self.kind, self.table, self.base, self.module = kind, table, base, module
        self.hint, self.cannot_name, self.default = hint, cannot_name, default
        self.identifier_kind = identifier_kind or kind
        self.from_string = from_string

    def _not_interpretable(self, identifier: Any) -> IdentifierError:
        text = f"Could not interpret {self.identifier_kind} identifier: {identifier!r}."
        return IdentifierError(f"{text} {self.hint}".rstrip())

    def serialize(self, obj: Any) -> Any:
        """Keras's config of ``obj``: a dict for an object with ``get_config``, else its name.

        None stays None for a family with a base class.
        """
        if obj is None and self.base is not None:
            return None
        cls = type(obj)
        if self.base is not None and isinstance(obj, self.base):
            return object_config(obj, self.module, builtin=self.table.get(cls.__name__) is cls)
        if not isinstance(obj, type):
            if is_registered(obj):
                return function_config(obj)
            if is_registered(cls) and hasattr(obj, "get_config"):
                return object_config(obj)  # an instance of a registered class
        name = getattr(obj, "__name__", None)
        if name is None and self.base is None:  # an activation object that names itself
            get_config = getattr(obj, "get_config", None)
            name = get_config().get("name") if callable(get_config) else None
        if not isinstance(name, str) or name == "<lambda>":
            advice = f"; {self.cannot_name}" if self.cannot_name else "."
            raise ValueError(f"serialize: cannot serialize the {self.kind} {obj!r}{advice}")
        return name

    def deserialize(self, config: Any, custom_objects: Mapping[str, Any] | None = None) -> Any:
        """The object a name or a config dict made by :meth:`serialize` stands for."""
        if isinstance(config, str):
            obj = retrieve_object(self.kind, config, self.table, custom_objects)
            if self.from_string is not None:
                special = self.from_string(config, obj)
                if special is not None:
                    return special
            if self.base is not None and isinstance(obj, type):
                return obj()
            return obj
        if isinstance(config, Mapping):
            if isinstance(config.get("config"), str) or config.get("class_name") == "function":
                obj, _ = resolve_config(self.kind, {**config, "class_name": "function"},
                                        self.table, custom_objects)
                return obj
            if self.base is None or isinstance(config.get("class_name"), str):
                obj, args = resolve_config(self.kind, config, self.table, custom_objects)
                return _build(obj, args) if isinstance(obj, type) else obj
        raise self._not_interpretable(config)

    def get(self, identifier: Any) -> Any:
        """Resolve what a user passed (None, a name, a config dict, a class or a callable)."""
        if identifier is None:
            return self.default
        if isinstance(identifier, (str, Mapping)):
            return self.deserialize(identifier)
        if self.base is not None and isinstance(identifier, type):
            return identifier()
        if callable(identifier):
            return identifier
        raise self._not_interpretable(identifier)
