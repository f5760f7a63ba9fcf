"""Objects named by strings: the registry of custom objects and the families' lookups.

This package sits on the building floor, below everything that names objects by strings
(activations, initializers, regularizers, constraints, losses, metrics, optimizers, layers)
and below ``saving``, which re-exports Keras's public names from here
(``descend.saving.register_keras_serializable``...).

- :mod:`~descend.registry.names` -- :func:`lookup`: a name in a table, or a ``ValueError``
  suggesting the closest valid names;
- :mod:`~descend.registry.object_registration` -- Keras's ``register_keras_serializable``,
  ``custom_object_scope``, ``get_custom_objects`` and the lookups that search them;
- :mod:`~descend.registry.family` -- :class:`Family`: ``get``, ``serialize`` and
  ``deserialize`` written once for every family.

Examples
--------
>>> from descend.registry import get_registered_name
>>> def plain(x):
...     return x
>>> get_registered_name(plain)
'plain'
"""

from __future__ import annotations

from descend.registry.family import Family, IdentifierError
from descend.registry.names import lookup
from descend.registry.object_registration import (
    CustomObjectScope,
    custom_object_scope,
    function_config,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    is_registered,
    object_config,
    register_keras_serializable,
    resolve_config,
    retrieve_object,
    unknown_hint,
    visible_custom_objects,
)

__all__ = [
    "CustomObjectScope", "Family", "IdentifierError", "custom_object_scope", "function_config",
    "get_custom_objects", "get_registered_name", "get_registered_object", "is_registered",
    "lookup", "object_config", "register_keras_serializable", "resolve_config",
    "retrieve_object", "unknown_hint", "visible_custom_objects",
]
