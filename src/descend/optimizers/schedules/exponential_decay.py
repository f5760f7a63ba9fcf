"""``ExponentialDecay``: multiply the learning rate by ``decay_rate`` every ``decay_steps``.

Examples
--------
>>> from descend.optimizers.schedules import ExponentialDecay
>>> schedule = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
>>> schedule(0), schedule(10), round(schedule(5), 6)
(0.1, 0.05, 0.070711)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.optimizers._checks import check_bool, check_real
from descend.optimizers.schedules.base import LearningRateSchedule, as_steps, check_steps, finish


class ExponentialDecay(LearningRateSchedule):
    """Exponential decay of the learning rate.

    .. math:: \\text{lr}(s) = \\text{lr}_0 \\cdot r^{s / d}

    where ``s / d`` is an integer division when ``staircase`` is true.

    Parameters
    ----------
    initial_learning_rate : float
        :math:`\\text{lr}_0`, the rate at step 0.
    decay_steps : int
        :math:`d`, must be > 0.
    decay_rate : float
        :math:`r`, the factor applied every ``decay_steps`` steps.
    staircase : bool, default False
        Decay in discrete jumps instead of continuously.
    name : str, default "ExponentialDecay"

    Raises
    ------
    ValueError
        If ``decay_steps <= 0``.

    Examples
    --------
    >>> schedule = ExponentialDecay(1.0, decay_steps=2, decay_rate=0.1, staircase=True)
    >>> [round(schedule(s), 6) for s in range(5)]
    [1.0, 1.0, 0.1, 0.1, 0.01]
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        decay_rate: float,
        staircase: bool = False,
        name: str = "ExponentialDecay",
    ) -> None:
        check_real("ExponentialDecay", "initial_learning_rate", initial_learning_rate)
        check_real("ExponentialDecay", "decay_rate", decay_rate)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = check_steps("ExponentialDecay", "decay_steps", decay_steps)
        self.decay_rate = decay_rate
        self.staircase = check_bool("ExponentialDecay", "staircase", staircase)
        self.name = name

    def __call__(self, step: Any) -> Any:
        p = as_steps(step) / float(self.decay_steps)
        if self.staircase:
            p = np.floor(p)
        return finish(float(self.initial_learning_rate) * np.power(float(self.decay_rate), p))

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments."""
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }
