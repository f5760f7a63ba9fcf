"""``InverseTimeDecay``: divide the learning rate by ``1 + decay_rate * step / decay_steps``.

Examples
--------
>>> from descend.optimizers.schedules import InverseTimeDecay
>>> schedule = InverseTimeDecay(0.1, decay_steps=1, decay_rate=0.5)
>>> schedule(0), schedule(2)
(0.1, 0.05)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.optimizers._checks import check_bool, check_real
from descend.optimizers.schedules.base import LearningRateSchedule, as_steps, check_steps, finish


class InverseTimeDecay(LearningRateSchedule):
    """Inverse-time decay of the learning rate.

    .. math:: \\text{lr}(s) = \\frac{\\text{lr}_0}{1 + r \\cdot s / d}

    where ``s / d`` is an integer division when ``staircase`` is true.

    Parameters
    ----------
    initial_learning_rate : float
        :math:`\\text{lr}_0`.
    decay_steps : float
        :math:`d`, must be > 0.
    decay_rate : float
        :math:`r`.
    staircase : bool, default False
        Decay in discrete jumps instead of continuously.
    name : str, default "InverseTimeDecay"

    Raises
    ------
    ValueError
        If ``decay_steps <= 0``.

    Examples
    --------
    >>> schedule = InverseTimeDecay(1.0, decay_steps=10, decay_rate=1.0, staircase=True)
    >>> schedule(9), schedule(10), schedule(25)
    (1.0, 0.5, 0.3333333333333333)
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: float,
        decay_rate: float,
        staircase: bool = False,
        name: str = "InverseTimeDecay",
    ) -> None:
        check_real("InverseTimeDecay", "initial_learning_rate", initial_learning_rate)
        check_real("InverseTimeDecay", "decay_rate", decay_rate)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = check_steps("InverseTimeDecay", "decay_steps", decay_steps)
        self.decay_rate = decay_rate
        self.staircase = check_bool("InverseTimeDecay", "staircase", staircase)
        self.name = name

    def __call__(self, step: Any) -> Any:
        p = as_steps(step) / float(self.decay_steps)
        if self.staircase:
            p = np.floor(p)
        return finish(float(self.initial_learning_rate) / (1.0 + float(self.decay_rate) * p))

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments."""
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }
