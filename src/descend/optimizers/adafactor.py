"""``Adafactor``: Adam-like steps with a factored second moment (Shazeer & Stern, 2018).

Examples
--------
>>> import numpy as np
>>> from descend.autograd import Variable
>>> from descend.optimizers import Adafactor
>>> w = Variable(np.ones((2, 2)))
>>> Adafactor(learning_rate=0.1).apply([np.array([[1.0, -2.0], [0.5, 0.0]])], [w])
>>> w.numpy().round(3)
array([[0.926, 1.083],
       [0.834, 1.   ]])
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from descend.optimizers._checks import check_bool, check_real
from descend.optimizers.base import Optimizer


def _rms(x: np.ndarray) -> float:
    return math.sqrt(float(np.mean(np.square(x)))) if x.size else 0.0


class Adafactor(Optimizer):
    """Adafactor with Keras's update rule.

    With :math:`t` = ``iterations + 1``, :math:`\\rho_t = \\min(\\eta, 1/\\sqrt t)`,
    :math:`\\hat\\beta_{2,t} = 1 - t^{d}` (``d = beta_2_decay``) and
    :math:`G = g^2 + \\epsilon_1`, for each variable:

    * a matrix (rank >= 2) keeps the row means :math:`R` and column means
      :math:`C` of :math:`G` as moving averages and uses the rank-1
      estimate :math:`V = (R / \\mathrm{mean}(R)) \\otimes C`;
    * a vector or scalar keeps :math:`V` itself as a moving average of :math:`G`;

    then :math:`U = g / \\sqrt V`,
    :math:`w \\leftarrow w - \\max(\\epsilon_2, \\mathrm{RMS}(w))\\, \\rho_t\\,
    U / \\max(1, \\mathrm{RMS}(U) / d_{clip})`.

    With ``relative_step`` and a constant learning rate, :math:`\\eta` is first
    capped at :math:`1/\\sqrt t` (it already is inside :math:`\\rho_t`).

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.001
    beta_2_decay : float, default -0.8
        :math:`d` (< 0 so that :math:`\\hat\\beta_{2,t}` grows towards 1).
    epsilon_1 : float, default 1e-30
        Added to the squared gradients.
    epsilon_2 : float, default 1e-3
        Lower bound of the step scale.
    clip_threshold : float, default 1.0
        :math:`d_{clip}` (> 0).
    relative_step : bool, default True
    name : str, default "adafactor"
    **kwargs
        Common optimizer arguments; see :class:`Optimizer`.

    Notes
    -----
    descend keeps every state array in the flat layout: the row and column
    statistics of a matrix are stored at the start of its segment of the
    ``velocity_row`` / ``velocity_col`` slots (the rest stays 0), which costs
    memory that Keras does not spend but lets the state be saved and restored
    like any other optimizer's.

    Examples
    --------
    >>> Adafactor().get_config()["beta_2_decay"]
    -0.8
    """

    _default_name = "adafactor"

    def __init__(self, learning_rate: Any = 0.001, beta_2_decay: float = -0.8,
                 epsilon_1: float = 1e-30, epsilon_2: float = 1e-3, clip_threshold: float = 1.0,
                 relative_step: bool = True, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        owner = type(self).__name__
        self.beta_2_decay = check_real(owner, "beta_2_decay", beta_2_decay, high=0.0,
                                       high_open=True)
        self.epsilon_1 = check_real(owner, "epsilon_1", epsilon_1, low=0.0)
        self.epsilon_2 = check_real(owner, "epsilon_2", epsilon_2, low=0.0)
        self.clip_threshold = check_real(owner, "clip_threshold", clip_threshold, low=0.0,
                                         low_open=True)
        self.relative_step = check_bool(owner, "relative_step", relative_step)

    def _slot_groups(self) -> list[tuple[str, ...]]:
        return [("velocity_row", "velocity_col", "velocity")]

    def update_step(self, gradient: np.ndarray, variable: Any, learning_rate: float) -> None:
        """One variable's Adafactor update, in place (see :meth:`Optimizer.update_step`).

        A matrix (or a batch of them: rank >= 2) keeps only row and column means
        of the squared gradients; other variables keep the full average.
        """
        g, w, t = gradient, variable.data, self.iterations + 1
        if self.relative_step and type(self._learning_rate) is float:
            learning_rate = min(learning_rate, 1.0 / math.sqrt(t))  # relative step size
        rho = min(learning_rate, 1.0 / math.sqrt(t))  # rho_t = min(lr, 1 / sqrt(t))
        beta = 1.0 - t**self.beta_2_decay  # beta_t = 1 - t^beta_2_decay
        v = self._slot(variable, "velocity")
        squared = np.square(g) + self.epsilon_1  # g^2 + eps_1
        if w.ndim >= 2:
            r, c = self._factored_slots(variable)
            r[...] = beta * r + (1 - beta) * squared.mean(axis=-1)  # r <- beta r + (1-beta) rows
            c[...] = beta * c + (1 - beta) * squared.mean(axis=-2)  # c <- beta c + (1-beta) cols
            v[...] = (r / r.mean(axis=-1, keepdims=True))[..., None] * c[..., None, :]
            #        v = r c^T / mean(r)
        else:
            v[...] = beta * v + (1 - beta) * squared  # v <- beta v + (1 - beta)(g^2 + eps_1)
        alpha = max(self.epsilon_2, _rms(w)) * rho  # alpha = max(eps_2, rms(w)) rho_t
        u = g / np.sqrt(v)  # u = g / sqrt(v)
        u /= max(1.0, _rms(u) / self.clip_threshold)  # u <- u / max(1, rms(u) / d)
        w -= alpha * u  # w <- w - alpha u

    def _factored_slots(self, variable: Any) -> tuple[np.ndarray, np.ndarray]:
        """The row and column averages of a variable of rank >= 2 (at the start of its
        segment of the ``velocity_row`` and ``velocity_col`` slots)."""
        segment = self._layout.index[id(variable)]
        shape = segment.shape
        row_shape, col_shape = shape[:-1], shape[:-2] + shape[-1:]
        slots, start = segment.group.slots, segment.start
        rows = slots["velocity_row"][start:start + math.prod(row_shape)]
        cols = slots["velocity_col"][start:start + math.prod(col_shape)]
        return rows.reshape(row_shape), cols.reshape(col_shape)

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments."""
        config = super().get_config()
        config.update({"beta_2_decay": self.beta_2_decay, "epsilon_1": self.epsilon_1,
                       "epsilon_2": self.epsilon_2, "clip_threshold": self.clip_threshold,
                       "relative_step": self.relative_step})
        return config
