"""Turning schedules into JSON-ready dicts and back (``serialize`` / ``deserialize``).

The format is Keras's: ``{"module", "class_name", "config", "registered_name"}``.

Examples
--------
>>> from descend.optimizers import schedules
>>> config = schedules.serialize(schedules.ExponentialDecay(0.1, 100, 0.9))
>>> config["class_name"], config["config"]["decay_rate"]
('ExponentialDecay', 0.9)
>>> schedules.deserialize(config)(100)
0.09000000000000001
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from descend.optimizers.schedules.base import LearningRateSchedule
from descend.optimizers.schedules.cosine_decay import CosineDecay, CosineDecayRestarts
from descend.optimizers.schedules.exponential_decay import ExponentialDecay
from descend.optimizers.schedules.inverse_time_decay import InverseTimeDecay
from descend.optimizers.schedules.piecewise_constant_decay import PiecewiseConstantDecay
from descend.optimizers.schedules.polynomial_decay import PolynomialDecay
from descend.registry.object_registration import get_registered_name, retrieve_object

MODULE = "descend.optimizers.schedules"

ALL_SCHEDULES: dict[str, type[LearningRateSchedule]] = {
    cls.__name__: cls
    for cls in (
        ExponentialDecay,
        InverseTimeDecay,
        PiecewiseConstantDecay,
        PolynomialDecay,
        CosineDecay,
        CosineDecayRestarts,
    )
}


def serialize(schedule: LearningRateSchedule) -> dict[str, Any]:
    """Return ``schedule`` as a JSON-serialisable dict.

    Parameters
    ----------
    schedule : LearningRateSchedule

    Returns
    -------
    dict
        ``{"module", "class_name", "config", "registered_name"}``;
        ``registered_name`` is None for descend's schedules and
        :func:`~descend.saving.get_registered_name` of a custom class
        (``"package>Name"`` when it was registered with
        :func:`~descend.saving.register_keras_serializable`).

    Raises
    ------
    TypeError
        If ``schedule`` is not a :class:`LearningRateSchedule`.
    """
    if not isinstance(schedule, LearningRateSchedule):
        raise TypeError(
            f"serialize: expected a LearningRateSchedule, received {schedule!r} of type "
            f"{type(schedule).__name__}."
        )
    cls = type(schedule)
    builtin = ALL_SCHEDULES.get(cls.__name__) is cls
    return {
        "module": MODULE if builtin else cls.__module__,
        "class_name": cls.__name__,
        "config": schedule.get_config(),
        "registered_name": None if builtin else get_registered_name(cls),
    }


def deserialize(
    config: Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None
) -> LearningRateSchedule:
    """Rebuild a schedule from the output of :func:`serialize`.

    Parameters
    ----------
    config : dict
        ``{"class_name": ..., "config": {...}}`` (other keys are ignored).
    custom_objects : dict, optional
        Extra ``name -> class`` entries for user-defined schedules. The
        registered name, then the class name, are searched in
        ``custom_objects``, the active :func:`~descend.saving.custom_object_scope`
        s and the registered objects, then descend's schedules.

    Raises
    ------
    ValueError
        If the class name is unknown (the closest known names are suggested),
        or the config does not describe a schedule.
    TypeError
        If ``config`` is not a dict with a ``class_name``.
    """
    if not isinstance(config, Mapping) or "class_name" not in config:
        raise TypeError(
            "deserialize: expected a dict with keys 'class_name' and 'config' (the output of "
            f"descend.optimizers.schedules.serialize), received {config!r}."
        )
    cls = retrieve_object("learning rate schedule", config["class_name"], ALL_SCHEDULES,
                          custom_objects, config.get("registered_name"))
    if not (isinstance(cls, type) and issubclass(cls, LearningRateSchedule)):
        raise ValueError(
            f"deserialize: {config['class_name']!r} names {cls!r}, which is not a "
            "LearningRateSchedule subclass; pass the schedule class in custom_objects."
        )
    inner = config.get("config") or {}
    if not isinstance(inner, Mapping):
        raise ValueError(f"deserialize: the 'config' of schedule {config['class_name']!r} must "
                         f"be a dict of constructor arguments, received {inner!r}.")
    return cls.from_config(dict(inner))
