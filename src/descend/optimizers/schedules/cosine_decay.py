"""Cosine decay of the learning rate: ``CosineDecay`` (optional warmup) and ``CosineDecayRestarts``.

See Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts"
(ICLR 2017), and Goyal et al. (2017) for the linear warmup.

Examples
--------
>>> from descend.optimizers.schedules import CosineDecay
>>> schedule = CosineDecay(0.1, decay_steps=100)
>>> schedule(0), round(schedule(50), 6), schedule(100)
(0.1, 0.05, 0.0)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from descend.optimizers._checks import check_real
from descend.optimizers.schedules.base import LearningRateSchedule, as_steps, check_steps, finish


class CosineDecay(LearningRateSchedule):
    """Cosine decay, optionally after a linear warmup.

    Without warmup (``warmup_target=None``), with :math:`s' = \\min(s, d)`:

    .. math:: \\text{lr}(s) = \\text{lr}_0 \\left((1 - \\alpha)\\,
              \\tfrac{1}{2}\\left(1 + \\cos\\frac{\\pi s'}{d}\\right) + \\alpha\\right)

    With warmup, the rate first rises linearly from ``initial_learning_rate`` to
    ``warmup_target`` over ``warmup_steps`` steps
    (:math:`\\text{lr}_0 + (\\text{target} - \\text{lr}_0)\\, s / w`), then follows
    the cosine formula above from ``warmup_target``, at step :math:`s - w`
    (the step being clipped to :math:`d + w`).

    Parameters
    ----------
    initial_learning_rate : float
        :math:`\\text{lr}_0`.
    decay_steps : int
        :math:`d`, the length of the decay, must be > 0.
    alpha : float, default 0.0
        Final rate as a fraction of the rate the decay starts from.
    name : str, default "CosineDecay"
    warmup_target : float, optional
        Rate reached at the end of the warmup; ``None`` means no warmup.
    warmup_steps : int, default 0
        :math:`w`, the length of the warmup.

    Raises
    ------
    ValueError
        If ``decay_steps <= 0`` or ``warmup_steps < 0``.

    Examples
    --------
    >>> schedule = CosineDecay(0.0, decay_steps=10, warmup_target=1.0, warmup_steps=4)
    >>> schedule(2), schedule(4), round(schedule(9), 6), schedule(14)
    (0.5, 1.0, 0.5, 0.0)
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        alpha: float = 0.0,
        name: str = "CosineDecay",
        warmup_target: float | None = None,
        warmup_steps: int = 0,
    ) -> None:
        owner = "CosineDecay"
        check_real(owner, "initial_learning_rate", initial_learning_rate)
        check_real(owner, "alpha", alpha)
        if warmup_target is not None:
            check_real(owner, "warmup_target", warmup_target)
        check_real(owner, "warmup_steps", warmup_steps, low=0.0)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = check_steps(owner, "decay_steps", decay_steps)
        self.alpha = alpha
        self.name = name
        self.warmup_steps = warmup_steps
        self.warmup_target = warmup_target

    def _decay(self, s: np.ndarray, start: float) -> np.ndarray:
        d = float(self.decay_steps)
        cosine = 0.5 * (1.0 + np.cos(math.pi * (s / d)))
        alpha = float(self.alpha)
        return start * ((1.0 - alpha) * cosine + alpha)

    def __call__(self, step: Any) -> Any:
        s = as_steps(step)
        d = float(self.decay_steps)
        lr0 = float(self.initial_learning_rate)
        if self.warmup_target is None:
            return finish(self._decay(np.minimum(s, d), lr0))
        w = float(self.warmup_steps)
        target = float(self.warmup_target)
        s = np.minimum(s, d + w)
        decayed = self._decay(s - w, target)
        if w == 0:
            return finish(decayed)
        warm = (target - lr0) * (s / w) + lr0
        return finish(np.where(s < w, warm, decayed))

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments."""
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR).

    The multiplier decays from 1 to ``alpha`` over ``first_decay_steps`` steps;
    then the rate restarts, each period lasting ``t_mul`` times longer than the
    previous one and starting from ``m_mul`` times its initial rate. With
    :math:`f = s / d_0`, the period index is :math:`i = \\lfloor f \\rfloor` and
    :math:`f \\leftarrow f - i` when ``t_mul == 1``; otherwise
    :math:`i = \\lfloor \\log(1 - f (1 - t)) / \\log t \\rfloor` and
    :math:`f \\leftarrow (f - (1 - t^i)/(1 - t)) / t^i`. Then

    .. math:: \\text{lr}(s) = \\text{lr}_0 \\left((1 - \\alpha)\\,
              \\tfrac{1}{2}\\, m^i (1 + \\cos \\pi f) + \\alpha\\right)

    Parameters
    ----------
    initial_learning_rate : float
        :math:`\\text{lr}_0`.
    first_decay_steps : int
        :math:`d_0`, length of the first period, must be > 0.
    t_mul : float, default 2.0
        :math:`t`, growth factor of the period length.
    m_mul : float, default 1.0
        :math:`m`, factor applied to the initial rate at each restart.
    alpha : float, default 0.0
        Minimum rate as a fraction of ``initial_learning_rate``.
    name : str, default "SGDRDecay"

    Raises
    ------
    ValueError
        If ``first_decay_steps <= 0``.

    Examples
    --------
    >>> schedule = CosineDecayRestarts(1.0, first_decay_steps=10, t_mul=1.0, m_mul=0.5)
    >>> schedule(0), round(schedule(5), 6), schedule(10), schedule(20)
    (1.0, 0.5, 0.5, 0.25)
    """

    def __init__(
        self,
        initial_learning_rate: float,
        first_decay_steps: int,
        t_mul: float = 2.0,
        m_mul: float = 1.0,
        alpha: float = 0.0,
        name: str = "SGDRDecay",
    ) -> None:
        owner = "CosineDecayRestarts"
        check_real(owner, "initial_learning_rate", initial_learning_rate)
        check_real(owner, "t_mul", t_mul, low=0.0, low_open=True)
        check_real(owner, "m_mul", m_mul)
        check_real(owner, "alpha", alpha)
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = check_steps(owner, "first_decay_steps", first_decay_steps)
        self._t_mul = t_mul
        self._m_mul = m_mul
        self.alpha = alpha
        self.name = name

    def __call__(self, step: Any) -> Any:
        fraction = as_steps(step) / float(self.first_decay_steps)
        t_mul, m_mul, alpha = float(self._t_mul), float(self._m_mul), float(self.alpha)
        if t_mul == 1.0:
            restart = np.floor(fraction)
            fraction = fraction - restart
        else:
            with np.errstate(invalid="ignore"):
                restart = np.floor(np.log(1.0 - fraction * (1.0 - t_mul)) / math.log(t_mul))
            done = (1.0 - t_mul**restart) / (1.0 - t_mul)
            fraction = (fraction - done) / t_mul**restart
        cosine = 0.5 * m_mul**restart * (1.0 + np.cos(math.pi * fraction))
        return finish(float(self.initial_learning_rate) * ((1.0 - alpha) * cosine + alpha))

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments."""
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self._t_mul,
            "m_mul": self._m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }
