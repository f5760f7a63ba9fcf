"""Finding optimizers by name and turning them into JSON-ready dicts and back.

``get`` accepts what ``model.compile(optimizer=...)`` accepts: a Keras string
identifier (``"adam"``, case-insensitive), a config dict, or an instance.

Examples
--------
>>> from descend import optimizers
>>> optimizers.get("adam")
<Adam name='adam' learning_rate=0.001 iterations=0>
>>> optimizers.get("adma")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: Unknown optimizer: 'adma'. Did you mean 'adamax' or 'adam' or 'nadam'? Valid names: ...
>>> config = optimizers.serialize(optimizers.SGD(momentum=0.9))
>>> optimizers.deserialize(config).momentum
0.9
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from descend._registry import lookup
from descend.optimizers.adadelta import Adadelta
from descend.optimizers.adagrad import Adagrad
from descend.optimizers.adam import Adam
from descend.optimizers.adamax import Adamax
from descend.optimizers.adamw import AdamW
from descend.optimizers.base import Optimizer
from descend.optimizers.nadam import Nadam
from descend.optimizers.rmsprop import RMSprop
from descend.optimizers.sgd import SGD

MODULE = "descend.optimizers"

ALL_OPTIMIZERS: dict[str, type[Optimizer]] = {
    cls.__name__.lower(): cls
    for cls in (SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, Nadam)
}
"""Lower-case Keras identifier -> class."""


def serialize(optimizer: Optimizer) -> dict[str, Any]:
    """Return ``optimizer``'s configuration as a JSON-serialisable dict (without its state).

    Returns
    -------
    dict
        ``{"module", "class_name", "config", "registered_name"}``, as Keras writes it.
    """
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"serialize: expected a descend optimizer, received {optimizer!r} of type "
            f"{type(optimizer).__name__}."
        )
    name = type(optimizer).__name__
    builtin = name.lower() in ALL_OPTIMIZERS
    return {
        "module": MODULE if builtin else type(optimizer).__module__,
        "class_name": name,
        "config": optimizer.get_config(),
        "registered_name": None if builtin else name,
    }


def deserialize(
    config: Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None
) -> Optimizer:
    """Create an optimizer from the output of :func:`serialize`.

    Parameters
    ----------
    config : dict
        ``{"class_name": ..., "config": {...}}``; the class name is case-insensitive.
    custom_objects : dict, optional
        Extra ``name -> class`` entries for user-defined optimizers.

    Raises
    ------
    ValueError
        If the class name is unknown (the closest names are suggested).
    """
    if not isinstance(config, Mapping) or "class_name" not in config:
        raise TypeError(
            "deserialize: expected a dict with keys 'class_name' and 'config' (the output of "
            f"descend.optimizers.serialize), received {config!r}."
        )
    custom = dict(custom_objects or {})
    name = str(config.get("registered_name") or config["class_name"])
    if name in custom:
        cls = custom[name]
    else:
        key = str(config["class_name"])
        cls = lookup("optimizer", key.lower() if key.lower() in ALL_OPTIMIZERS else key,
                     ALL_OPTIMIZERS)
    return cls.from_config(dict(config.get("config") or {}), custom_objects)


def get(identifier: Any) -> Optimizer | None:
    """Return an optimizer from a string identifier, a config dict or an instance.

    Parameters
    ----------
    identifier : str, dict, Optimizer or None
        ``"sgd"``, ``"adam"``, ``"adamw"``, ``"rmsprop"``, ``"adagrad"``,
        ``"adadelta"``, ``"adamax"``, ``"nadam"`` (case-insensitive; a new
        instance with Keras's defaults), a dict from :func:`serialize`, or an
        optimizer, returned as is. ``None`` gives ``None``.

    Raises
    ------
    ValueError
        For an unknown name (closest names suggested) or an unusable value.
    """
    if identifier is None or isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, Mapping):
        return deserialize(identifier)
    if isinstance(identifier, str):
        key = identifier.lower() if identifier.lower() in ALL_OPTIMIZERS else identifier
        return lookup("optimizer", key, ALL_OPTIMIZERS)()
    raise ValueError(
        f"Could not interpret optimizer identifier: {identifier!r}. Pass a name such as "
        "'adam', a config dict, or an optimizer instance such as descend.optimizers.Adam()."
    )
