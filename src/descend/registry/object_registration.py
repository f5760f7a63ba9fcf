"""Custom objects: registering them, scoping them, and finding them by name (Keras's API).

A saved model names its pieces by strings. Built-in pieces are found in
descend's own tables; a custom piece (a layer class, an activation, an
initializer, a loss...) is found only if the user made it known, in one of
three ways:

- ``custom_objects={"name": obj}`` passed to ``load_model``, ``model_from_json``,
  ``deserialize(...)`` (the explicit argument);
- ``with custom_object_scope({"name": obj}):`` around the code that loads or
  builds (scopes nest; the stack is per thread);
- ``@register_keras_serializable(package="Custom")`` on the definition, which
  stores it in the global dict (:func:`get_custom_objects`) under
  ``"package>name"``; :func:`get_registered_name` then gives that name, and
  serialization writes it in the ``"registered_name"`` field, so a reload finds
  it without any ``custom_objects``.

Every string lookup in descend (``activations.get``, ``initializers.get``,
``regularizers.get``, ``losses.get``, ``metrics.get``, ``optimizers.get``, layer
deserialization) searches, in this order: the explicit ``custom_objects``, the
active scopes (innermost first), the global dict, then the built-ins. Unlike
Keras, the explicit argument wins over scopes and the global dict.

Nothing is ever imported by a module path found in a file: an object can only
be found if it was registered or handed over by the user's own code.

Examples
--------
>>> import descend
>>> from descend.saving import custom_object_scope, register_keras_serializable
>>> @register_keras_serializable(package="Docs")
... def halve(x):
...     return x * 0.5
>>> get_registered_name(halve)
'Docs>halve'
>>> descend.activations.get("Docs>halve") is halve
True
>>> def double(x):
...     return x * 2.0
>>> with custom_object_scope({"double": double}):
...     descend.activations.get("double") is double
True
>>> _ = get_custom_objects().pop("Docs>halve")  # tidy up the global dict
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

from descend.registry.names import lookup

__all__ = [
    "CustomObjectScope", "custom_object_scope", "function_config", "get_custom_objects",
    "get_registered_name", "get_registered_object", "is_registered", "object_config",
    "register_keras_serializable", "resolve_config", "retrieve_object", "unknown_hint",
    "visible_custom_objects",
]

T = TypeVar("T")

#: The global dict: registered name (``"package>name"``) or plain name -> object.
_GLOBAL_CUSTOM_OBJECTS: dict[str, Any] = {}
#: Object -> registered name, filled by :func:`register_keras_serializable`.
_GLOBAL_CUSTOM_NAMES: dict[Any, str] = {}

_scopes = threading.local()

_HOW_TO = ("descend only finds custom objects that are passed in custom_objects, given in a "
           "descend.saving.custom_object_scope, or registered with "
           "@descend.saving.register_keras_serializable()")


# ----------------------------------------------------------------- global registry
def get_custom_objects() -> dict[str, Any]:
    """Return the global dict of custom objects (mutable, as in Keras).

    :func:`register_keras_serializable` stores objects here under
    ``"package>name"``; you may also add entries yourself
    (``get_custom_objects()["my_act"] = my_act``), which are then found by that
    plain name everywhere in descend.

    Returns
    -------
    dict
        ``{name: class or function}``, the live global dict (not a copy).

    Examples
    --------
    >>> import descend
    >>> def cube(x):
    ...     return x * x * x
    >>> get_custom_objects()["cube"] = cube
    >>> descend.activations.get("cube") is cube
    True
    >>> del get_custom_objects()["cube"]
    """
    return _GLOBAL_CUSTOM_OBJECTS


def _check_name_part(value: Any, argument: str) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError(f"register_keras_serializable: {argument} must be a non-empty string, "
                        f"received {argument}={value!r}.")
    if ">" in value:
        raise ValueError(f"register_keras_serializable: {argument} must not contain '>' (it "
                         f"separates the package from the name), received {argument}={value!r}.")
    return value


def _qualified(obj: Any) -> str:
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', repr(obj))}"


def register_keras_serializable(package: str = "Custom",
                                name: str | None = None) -> Callable[[T], T]:
    """Decorator registering a class or function under ``"package>name"``.

    Once registered, the object is found by that name during deserialization
    without any ``custom_objects``, and serialization records the name in the
    ``"registered_name"`` field. The object is found **only** by its registered
    name, never by its bare name (so it cannot shadow a built-in by accident).

    Registering the same definition again (re-running a notebook cell,
    reloading its module) replaces the entry; registering a *different* object
    under a name already taken raises ``ValueError``.

    Parameters
    ----------
    package : str, default "Custom"
        Namespace of the registered name; must not contain ``">"``.
    name : str, optional
        Name inside the package; defaults to the object's ``__name__``.

    Returns
    -------
    callable
        The decorator; it returns the object unchanged.

    Raises
    ------
    TypeError
        If ``package``/``name`` are not non-empty strings, or the decorated
        object is neither a class nor a callable.
    ValueError
        If a class has no ``get_config`` method (it could not be rebuilt), or
        the name is taken by another object.

    Examples
    --------
    >>> from descend.layers import Layer
    >>> @register_keras_serializable(package="Docs", name="Times3")
    ... class TimesThree(Layer):
    ...     def call(self, inputs, training=False):
    ...         return inputs * 3.0
    >>> get_registered_name(TimesThree)
    'Docs>Times3'
    >>> get_registered_object("Docs>Times3") is TimesThree
    True
    >>> get_registered_object("TimesThree") is None
    True
    >>> _ = get_custom_objects().pop("Docs>Times3")
    """
    _check_name_part(package, "package")
    if name is not None:
        _check_name_part(name, "name")

    def decorator(obj: T) -> T:
        if not callable(obj):
            raise TypeError("register_keras_serializable: expected a class or a function, "
                            f"received {obj!r} of type {type(obj).__name__}.")
        if inspect.isclass(obj) and not hasattr(obj, "get_config"):
            raise ValueError(
                f"register_keras_serializable: cannot register class {obj.__name__}: it has no "
                "get_config() method, so it could not be rebuilt from a saved config. Subclass "
                "a descend base class (Layer, Loss, Metric, Initializer, Regularizer...) or "
                "define get_config()."
            )
        own_name = name if name is not None else getattr(obj, "__name__", None)
        if not isinstance(own_name, str) or own_name == "<lambda>":
            raise TypeError("register_keras_serializable: cannot name this object (a lambda?); "
                            "pass name='...' or register a named function.")
        _check_name_part(own_name, "name")
        registered_name = f"{package}>{own_name}"
        previous = _GLOBAL_CUSTOM_OBJECTS.get(registered_name)
        if previous is not None and previous is not obj and _qualified(previous) != _qualified(obj):
            raise ValueError(
                f"register_keras_serializable: the name {registered_name!r} is already "
                f"registered to {_qualified(previous)}; cannot register {_qualified(obj)} under "
                "it. Pass another package= or name=."
            )
        _GLOBAL_CUSTOM_OBJECTS[registered_name] = obj
        _GLOBAL_CUSTOM_NAMES[obj] = registered_name
        return obj

    return decorator


def get_registered_name(obj: Any) -> str:
    """Return the name ``obj`` was registered under, else its ``__name__``.

    Parameters
    ----------
    obj : class or function

    Returns
    -------
    str
        ``"package>name"`` for an object registered with
        :func:`register_keras_serializable` (and still in the global dict),
        otherwise ``obj.__name__`` (or its type's name).

    Examples
    --------
    >>> def plain(x):
    ...     return x
    >>> get_registered_name(plain)
    'plain'
    """
    if is_registered(obj):
        return _GLOBAL_CUSTOM_NAMES[obj]
    return getattr(obj, "__name__", type(obj).__name__)


def is_registered(obj: Any) -> bool:
    """Whether ``obj`` was registered with :func:`register_keras_serializable` (and still is).

    Examples
    --------
    >>> is_registered(len)
    False
    """
    try:
        registered = _GLOBAL_CUSTOM_NAMES.get(obj)
    except TypeError:  # unhashable instance
        return False
    return registered is not None and _GLOBAL_CUSTOM_OBJECTS.get(registered) is obj


# ------------------------------------------------------------------------- scopes
def _stack() -> list[dict[str, Any]]:
    stack = getattr(_scopes, "stack", None)
    if stack is None:
        stack = _scopes.stack = []
    return stack


def _scope_dicts() -> Iterator[dict[str, Any]]:
    """The active scopes' dicts, innermost first."""
    return reversed(_stack())


def _as_dict(objects: Any, where: str) -> dict[str, Any]:
    if objects is None:
        return {}
    if not isinstance(objects, Mapping):
        raise TypeError(f"{where}: expected a dict {{name: class or function}}, received "
                        f"{objects!r} of type {type(objects).__name__}.")
    bad = [key for key in objects if not isinstance(key, str)]
    if bad:
        raise TypeError(f"{where}: the names must be strings, received the key {bad[0]!r}.")
    return dict(objects)


class CustomObjectScope:
    """Context manager making custom objects visible to every lookup by name.

    ``with custom_object_scope({"my_act": my_act}):`` lets
    ``Dense(4, activation="my_act")``, ``load_model(...)`` and every other
    lookup find ``my_act``. Scopes nest (the inner one wins on a shared name)
    and are per thread. ``load_model``, ``model_from_json`` and layer
    deserialization open one with their ``custom_objects`` themselves.

    Parameters
    ----------
    *objects : dict or None
        One or more ``{name: class or function}`` dicts (later ones win).

    Raises
    ------
    TypeError
        If an argument is not a dict with string keys.

    Examples
    --------
    >>> import descend
    >>> def bent(x):
    ...     return x * 0.9
    >>> def also_bent(x):
    ...     return x * 0.8
    >>> with custom_object_scope({"bent": bent}):
    ...     with custom_object_scope({"bent": also_bent}):
    ...         descend.activations.get("bent") is also_bent
    ...     descend.activations.get("bent") is bent
    True
    True
    """

    def __init__(self, *objects: Mapping[str, Any] | None) -> None:
        merged: dict[str, Any] = {}
        for entry in objects:
            merged.update(_as_dict(entry, "custom_object_scope"))
        self.custom_objects = merged
        self._depth: list[int] = []

    def __enter__(self) -> CustomObjectScope:
        stack = _stack()
        self._depth.append(len(stack))
        stack.append(self.custom_objects)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        del _stack()[self._depth.pop():]


#: Keras's lower-case name of :class:`CustomObjectScope`.
custom_object_scope = CustomObjectScope


# ------------------------------------------------------------------------ lookups
def get_registered_object(name: str, custom_objects: Mapping[str, Any] | None = None,
                          module_objects: Mapping[str, Any] | None = None) -> Any:
    """Find ``name`` among the custom objects (``None`` when it is not there).

    Searched in order: ``custom_objects``, the active scopes (innermost
    first), the global dict, then ``module_objects``.

    Parameters
    ----------
    name : str
        A registered name (``"package>name"``) or a plain name.
    custom_objects : dict, optional
    module_objects : dict, optional
        A fallback table (a family's built-ins).

    Returns
    -------
    object or None

    Examples
    --------
    >>> get_registered_object("square", {"square": abs}) is abs
    True
    >>> get_registered_object("square") is None
    True
    """
    if not isinstance(name, str):
        return None
    for table in _search_order(custom_objects):
        if name in table:
            return table[name]
    if module_objects and name in module_objects:
        return module_objects[name]
    return None


def _search_order(custom_objects: Mapping[str, Any] | None) -> Iterable[Mapping[str, Any]]:
    if custom_objects:
        yield custom_objects
    yield from _scope_dicts()
    yield _GLOBAL_CUSTOM_OBJECTS


def visible_custom_objects(custom_objects: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Everything a lookup can see besides the built-ins, as one dict (first source wins).

    Useful to hand to APIs that take a plain ``custom_objects`` dict.

    Examples
    --------
    >>> with custom_object_scope({"a": 1}):
    ...     visible_custom_objects({"b": 2})["a"]
    1
    """
    merged: dict[str, Any] = {}
    for table in reversed(list(_search_order(custom_objects))):
        merged.update(table)
    return merged


def retrieve_object(kind: str, name: Any, builtins: Mapping[str, Any],
                    custom_objects: Mapping[str, Any] | None = None,
                    registered_name: Any = None, builtin_name: str | None = None) -> Any:
    """Find an object by name, custom objects first, or raise a helpful ``ValueError``.

    The registered name (when given) and then ``name`` are looked up in
    ``custom_objects``, the active scopes and the global dict; then
    ``builtin_name`` (default ``name``) in ``builtins``.

    Parameters
    ----------
    kind : str
        What is looked up, for the message (``"activation"``, ``"layer class"``...).
    name : str
        The name (class name, function name or identifier the user wrote).
    builtins : dict
        The family's built-in table.
    custom_objects : dict, optional
        The explicit ``custom_objects`` argument.
    registered_name : str, optional
        The ``"registered_name"`` field of a saved config.
    builtin_name : str, optional
        The key to use in ``builtins`` (e.g. lower-cased), default ``name``.

    Returns
    -------
    object

    Raises
    ------
    ValueError
        For an unknown name: the closest names, the valid names, and how to make a
        custom object known.

    Examples
    --------
    >>> retrieve_object("activation", "relu", {"relu": 1})
    1
    >>> retrieve_object("activation", "rlu", {"relu": 1})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: Unknown activation: 'rlu'. Did you mean 'relu'? ... custom_objects={'rlu': rlu}...
    """
    candidates = [n for n in (registered_name, name) if isinstance(n, str) and n]
    for table in _search_order(custom_objects):
        for candidate in candidates:
            if candidate in table:
                return table[candidate]
    key = builtin_name if builtin_name is not None else name
    try:
        if key in builtins:
            return builtins[key]
    except TypeError:  # unhashable: lookup below says so
        pass
    table = {**visible_custom_objects(custom_objects), **builtins}
    try:
        lookup(kind, key, table)
    except ValueError as exc:
        raise ValueError(f"{exc} {unknown_hint(name, registered_name)}") from None
    return table[key]  # pragma: no cover - lookup raised above


def unknown_hint(name: Any, registered_name: Any = None) -> str:
    """The sentence added to every 'unknown name' error: how to make a custom object known.

    Examples
    --------
    >>> unknown_hint("Scale")[:56]
    "If 'Scale' is a custom object, pass custom_objects={'Sca"
    """
    short = str(name).split(">")[-1]
    text = (f"If {name!r} is a custom object, pass custom_objects={{'{short}': {short}}}; "
            f"{_HOW_TO}.")
    if isinstance(registered_name, str) and ">" in registered_name and registered_name != name:
        text += (f" It was saved under the registered name {registered_name!r}: import the "
                 "module that registers it before loading.")
    return text


# ------------------------------------------------------------------ serialization
def function_config(fn: Callable[..., Any]) -> dict[str, Any]:
    """Keras's config of a named function: ``{"class_name": "function", ...}``.

    ``"registered_name"`` is what :func:`get_registered_name` gives, so a
    registered function is found again by ``"package>name"``. The ``"module"``
    field is informational: descend never imports it.

    Examples
    --------
    >>> def gauss(x):
    ...     return x
    >>> config = function_config(gauss)
    >>> config["class_name"], config["config"], config["registered_name"]
    ('function', 'gauss', 'gauss')
    """
    return {"module": getattr(fn, "__module__", None), "class_name": "function",
            "config": fn.__name__, "registered_name": get_registered_name(fn)}


def object_config(obj: Any, module: str | None = None,
                  builtin: bool = False) -> dict[str, Any]:
    """Keras's config of a class instance: module, class name, ``get_config()``, registered name.

    Parameters
    ----------
    obj : object with ``get_config``
    module : str, optional
        Module to record for a built-in class (default: the class's module).
    builtin : bool, default False
        A descend class: ``"registered_name"`` is None, as Keras writes it.

    Examples
    --------
    >>> from descend.regularizers import L2
    >>> object_config(L2(0.5), "keras.regularizers", builtin=True)["registered_name"] is None
    True
    """
    cls = type(obj)
    return {"module": module if builtin and module else cls.__module__,
            "class_name": cls.__name__, "config": obj.get_config(),
            "registered_name": None if builtin else get_registered_name(cls)}


def resolve_config(kind: str, config: Mapping[str, Any], builtins: Mapping[str, Any],
                   custom_objects: Mapping[str, Any] | None = None
                   ) -> tuple[Any, dict[str, Any] | None]:
    """Find the class or function a serialized config names, and its inner config.

    ``{"class_name": "function", "config": "name", "registered_name": ...}`` names a
    function (inner config None); any other ``class_name`` names a class whose
    constructor arguments are ``config["config"]``. Lookup as in
    :func:`retrieve_object` (registered name first).

    Returns
    -------
    (object, dict or None)

    Raises
    ------
    TypeError
        If ``config`` has no string ``class_name``.
    ValueError
        For an unknown name.

    Examples
    --------
    >>> resolve_config("loss", {"class_name": "function", "config": "f"}, {"f": abs})
    (<built-in function abs>, None)
    """
    class_name = config.get("class_name") if isinstance(config, Mapping) else None
    if not isinstance(class_name, str):
        raise TypeError(f"Could not interpret {kind} config {config!r}: expected a dict with a "
                        "string 'class_name'.")
    registered = config.get("registered_name")
    inner = config.get("config")
    if class_name == "function":
        name = inner if isinstance(inner, str) else registered
        return retrieve_object(kind, name, builtins, custom_objects, registered), None
    obj = retrieve_object(kind, class_name, builtins, custom_objects, registered)
    return obj, dict(inner) if isinstance(inner, Mapping) else {}
