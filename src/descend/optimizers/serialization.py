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

from descend.optimizers.adadelta import Adadelta
from descend.optimizers.adafactor import Adafactor
from descend.optimizers.adagrad import Adagrad
from descend.optimizers.adam import Adam
from descend.optimizers.adamax import Adamax
from descend.optimizers.adamw import AdamW
from descend.optimizers.base import Optimizer
from descend.optimizers.ftrl import Ftrl
from descend.optimizers.lamb import Lamb
from descend.optimizers.lion import Lion
from descend.optimizers.loss_scale_optimizer import LossScaleOptimizer
from descend.optimizers.multi_optimizer import MultiOptimizer
from descend.optimizers.muon import Muon
from descend.optimizers.nadam import Nadam
from descend.optimizers.rmsprop import RMSprop
from descend.optimizers.schedule_free_adamw import ScheduleFreeAdamW
from descend.optimizers.sgd import SGD
from descend.registry.object_registration import (
    object_config,
    retrieve_object,
    visible_custom_objects,
)

MODULE = "descend.optimizers"

ALL_OPTIMIZERS: dict[str, type[Optimizer]] = {
    cls.__name__.lower(): cls
    for cls in (SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, Nadam, Lion, Lamb,
                Adafactor, Ftrl, Muon, LossScaleOptimizer, ScheduleFreeAdamW, MultiOptimizer)
}
"""Lower-case Keras identifier -> class."""


def serialize(optimizer: Optimizer) -> dict[str, Any]:
    """Return ``optimizer``'s configuration as a JSON-serialisable dict (without its state).

    Returns
    -------
    dict
        ``{"module", "class_name", "config", "registered_name"}``, as Keras writes it;
        ``registered_name`` is None for descend's optimizers and
        :func:`~descend.saving.get_registered_name` of a custom class.

    Examples
    --------
    >>> serialize(SGD(learning_rate=0.1))["config"]["learning_rate"]
    0.1
    """
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"serialize: expected a descend optimizer, received {optimizer!r} of type "
            f"{type(optimizer).__name__}."
        )
    cls = type(optimizer)
    builtin = ALL_OPTIMIZERS.get(cls.__name__.lower()) is cls
    return object_config(optimizer, MODULE, builtin=builtin)


def deserialize(
    config: Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None
) -> Optimizer:
    """Create an optimizer from the output of :func:`serialize`.

    Parameters
    ----------
    config : dict
        ``{"class_name": ..., "config": {...}}``; the class name is case-insensitive.
    custom_objects : dict, optional
        Extra ``name -> class`` entries for user-defined optimizers. The
        registered name, then the class name, are searched in ``custom_objects``,
        the active :func:`~descend.saving.custom_object_scope` s and the
        registered objects before the built-ins.

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
    key = config["class_name"]
    cls = retrieve_object("optimizer", key, ALL_OPTIMIZERS, custom_objects,
                          config.get("registered_name"), _builtin_key(key))
    # the optimizer's own from_config resolves a learning-rate schedule by name: hand it
    # everything the user made known (explicit, scopes, registered)
    return cls.from_config(dict(config.get("config") or {}),
                           visible_custom_objects(custom_objects))


def _builtin_key(name: Any) -> Any:
    if isinstance(name, str) and name.lower() in ALL_OPTIMIZERS:
        return name.lower()
    return name


def get(identifier: Any) -> Optimizer | None:
    """Return an optimizer from a string identifier, a config dict or an instance.

    Parameters
    ----------
    identifier : str, dict, Optimizer or None
        ``"sgd"``, ``"adam"``, ``"adamw"``, ``"rmsprop"``, ``"adagrad"``,
        ``"adadelta"``, ``"adamax"``, ``"nadam"``, ``"lion"``, ``"lamb"``,
        ``"adafactor"``, ``"ftrl"``, ``"muon"`` (case-insensitive; a new
        instance with Keras's defaults), the name of a custom optimizer class
        (given in a :func:`~descend.saving.custom_object_scope` or registered),
        a dict from :func:`serialize`, or an optimizer, returned as is. ``None``
        gives ``None``.

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
        obj = retrieve_object("optimizer", identifier, ALL_OPTIMIZERS,
                              builtin_name=_builtin_key(identifier))
        return obj() if isinstance(obj, type) else obj
    raise ValueError(
        f"Could not interpret optimizer identifier: {identifier!r}. Pass a name such as "
        "'adam', a config dict, or an optimizer instance such as descend.optimizers.Adam()."
    )
