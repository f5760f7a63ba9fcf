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

from descend._registry import lookup
from descend.optimizers.schedules.base import LearningRateSchedule
from descend.optimizers.schedules.cosine_decay import CosineDecay, CosineDecayRestarts
from descend.optimizers.schedules.exponential_decay import ExponentialDecay
from descend.optimizers.schedules.inverse_time_decay import InverseTimeDecay
from descend.optimizers.schedules.piecewise_constant_decay import PiecewiseConstantDecay
from descend.optimizers.schedules.polynomial_decay import PolynomialDecay

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
        ``{"module", "class_name", "config", "registered_name"}``.

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
    name = type(schedule).__name__
    return {
        "module": MODULE if name in ALL_SCHEDULES else type(schedule).__module__,
        "class_name": name,
        "config": schedule.get_config(),
        "registered_name": None if name in ALL_SCHEDULES else name,
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
        Extra ``name -> class`` entries for user-defined schedules.

    Raises
    ------
    ValueError
        If the class name is unknown (the closest known names are suggested).
    """
    if not isinstance(config, Mapping) or "class_name" not in config:
        raise TypeError(
            "deserialize: expected a dict with keys 'class_name' and 'config' (the output of "
            f"descend.optimizers.schedules.serialize), received {config!r}."
        )
    table: dict[str, Any] = dict(ALL_SCHEDULES)
    table.update(custom_objects or {})
    name = config.get("registered_name") or config["class_name"]
    if name not in table:
        name = config["class_name"]
    cls = lookup("learning rate schedule", name, table)
    return cls.from_config(dict(config.get("config", {})))
