"""``PolynomialDecay``: decay the learning rate polynomially to ``end_learning_rate``.

Examples
--------
>>> from descend.optimizers.schedules import PolynomialDecay
>>> schedule = PolynomialDecay(0.1, decay_steps=10, end_learning_rate=0.0)
>>> round(schedule(5), 6), schedule(10), schedule(20)
(0.05, 0.0, 0.0)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.optimizers._checks import check_bool, check_real
from descend.optimizers.schedules.base import LearningRateSchedule, as_steps, check_steps, finish


class PolynomialDecay(LearningRateSchedule):
    """Polynomial decay of the learning rate.

    .. math:: \\text{lr}(s) = (\\text{lr}_0 - \\text{lr}_{end})
              \\left(1 - \\frac{\\min(s, d)}{d}\\right)^{p} + \\text{lr}_{end}

    With ``cycle=True`` the step is not clipped; instead :math:`d` is replaced
    by the first multiple of ``decay_steps`` that is >= ``s`` (``decay_steps``
    itself at ``s = 0``), so the decay restarts every ``decay_steps`` steps.

    Parameters
    ----------
    initial_learning_rate : float
        :math:`\\text{lr}_0`.
    decay_steps : int
        :math:`d`, must be > 0.
    end_learning_rate : float, default 0.0001
        :math:`\\text{lr}_{end}`.
    power : float, default 1.0
        :math:`p` (1.0 is a linear decay).
    cycle : bool, default False
        Restart the decay every ``decay_steps`` steps.
    name : str, default "PolynomialDecay"

    Raises
    ------
    ValueError
        If ``decay_steps <= 0``.

    Examples
    --------
    >>> schedule = PolynomialDecay(1.0, decay_steps=4, end_learning_rate=0.0, cycle=True)
    >>> [schedule(s) for s in (0, 2, 4, 6)]
    [1.0, 0.5, 0.0, 0.25]
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        end_learning_rate: float = 0.0001,
        power: float = 1.0,
        cycle: bool = False,
        name: str = "PolynomialDecay",
    ) -> None:
        owner = "PolynomialDecay"
        check_real(owner, "initial_learning_rate", initial_learning_rate)
        check_real(owner, "end_learning_rate", end_learning_rate)
        check_real(owner, "power", power)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = check_steps(owner, "decay_steps", decay_steps)
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = check_bool(owner, "cycle", cycle)
        self.name = name

    def __call__(self, step: Any) -> Any:
        s = as_steps(step)
        d = float(self.decay_steps)
        if self.cycle:
            d = d * np.where(s == 0, 1.0, np.ceil(s / d))
        else:
            s = np.minimum(s, d)
        p = s / d
        start, end = float(self.initial_learning_rate), float(self.end_learning_rate)
        return finish((start - end) * np.power(1.0 - p, float(self.power)) + end)

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments."""
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }
