"""What the building floor needs from the floors above, handed down by the package root.

A layer's config may hold any Keras object (a learning-rate schedule, a model, a registered
custom object), and ``layers.deserialize`` rebuilds nested ``Sequential``/``Functional``
models. Both need code that lives on the training floor (Keras's generic
``serialize_keras_object`` in ``descend.saving`` knows every family; the model classes live in
``descend.models``). The building floor does not import upward: this module (on the engine
floor, importing nothing) declares the slots, and the package root ``descend`` fills them with
functions that import the training floor on first use (the same way it hands
``descend.autograd.variable`` the lookup of initializer names).

Examples
--------
>>> import descend
>>> from descend import _plugins as plugins
>>> sorted(plugins.model_classes())
['Functional', 'Model', 'Sequential']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["deserialize_keras_object", "model_classes", "plug", "serialize_keras_object"]

_SLOTS: dict[str, Callable[..., Any] | None] = {
    "serialize": None, "deserialize": None, "model_classes": None,
}


def plug(*, serialize: Callable[[Any], Any], deserialize: Callable[..., Any],
         model_classes: Callable[[], dict[str, type]]) -> None:
    """Fill the slots (called once, by the package root).

    Parameters
    ----------
    serialize : callable
        ``serialize_keras_object(value) -> config``.
    deserialize : callable
        ``deserialize_keras_object(config, custom_objects=None) -> object``.
    model_classes : callable
        ``() -> {"Model": ..., "Sequential": ..., "Functional": ...}``.
    """
    _SLOTS.update(serialize=serialize, deserialize=deserialize, model_classes=model_classes)


def _slot(name: str) -> Callable[..., Any]:
    function = _SLOTS[name]
    if function is None:  # only if descend's package root was bypassed
        raise RuntimeError(
            f"descend.registry.plugins: the {name!r} slot is empty; import descend (the package) "
            "before using descend.layers on its own."
        )
    return function


def serialize_keras_object(value: Any) -> Any:
    """Keras's generic config of ``value`` (:func:`descend.saving.serialize_keras_object`)."""
    return _slot("serialize")(value)


def deserialize_keras_object(config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
    """The object of a generic config (:func:`descend.saving.deserialize_keras_object`)."""
    return _slot("deserialize")(config, custom_objects=custom_objects)


def model_classes() -> dict[str, type]:
    """descend's model classes by name: ``Model``, ``Sequential``, ``Functional``."""
    return dict(_slot("model_classes")())
