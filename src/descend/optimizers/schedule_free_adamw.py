"""``ScheduleFreeAdamW``: AdamW without a learning-rate schedule (Defazio et al., 2024).

Examples
--------
>>> import numpy as np
>>> from descend.autograd import Variable
>>> from descend.optimizers import ScheduleFreeAdamW
>>> w = Variable([1.0, -1.0])
>>> ScheduleFreeAdamW(learning_rate=0.1).apply([np.array([3.0, -0.5])], [w])
>>> w.numpy().round(4)
array([ 0.9, -0.9], dtype=float32)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from descend.optimizers._checks import check_int, check_real
from descend.optimizers._layout import Group
from descend.optimizers.base import Optimizer


class ScheduleFreeAdamW(Optimizer):
    """Schedule-free AdamW with Keras's update rule.

    Three sequences are kept: the base sequence :math:`z` (the ``momentum``
    slot, starting at the initial weights), its running average :math:`x`, and
    the point :math:`y` where gradients are evaluated (the model's weights).
    With :math:`t` = ``iterations + 1`` and :math:`\\eta_t = \\eta \\min(1, t / T_w)`
    (``warmup_steps`` :math:`T_w`; no warm-up when 0):

    .. math::
        x = (y - (1 - \\beta_1) z) / \\beta_1, \\quad
        v \\leftarrow v + (g^2 - v)(1 - \\beta_2), \\quad
        z \\leftarrow z - \\eta_t\\, g / (\\sqrt{v / (1 - \\beta_2^t)} + \\epsilon), \\\\
        x \\leftarrow (1 - 1/t)\\, x + z / t, \\quad
        y \\leftarrow (1 - \\beta_1) z + \\beta_1 x

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.0025
    beta_1 : float, default 0.9
        Interpolation between the average and the base sequence, in (0, 1].
    beta_2 : float, default 0.999
    epsilon : float, default 1e-8
    warmup_steps : int, default 0
    name : str, default "schedule_free_adamw"
    **kwargs
        Common optimizer arguments; see :class:`Optimizer`.

    Notes
    -----
    As in Keras, the model always holds :math:`y` (the method's authors evaluate
    at :math:`x`). :math:`x` is recovered from the base sequence *before* its
    update, as Keras's code intends (``momentum_old``); Keras 3.15's torch
    backend updates that value in place first, so its numbers differ slightly.

    Examples
    --------
    >>> ScheduleFreeAdamW().get_config()["warmup_steps"]
    0
    """

    _default_name = "schedule_free_adamw"

    def __init__(self, learning_rate: Any = 0.0025, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8, warmup_steps: int = 0, name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        owner = type(self).__name__
        self.beta_1 = check_real(owner, "beta_1", beta_1, low=0.0, high=1.0, low_open=True)
        self.beta_2 = check_real(owner, "beta_2", beta_2, low=0.0, high=1.0, high_open=True)
        self.epsilon = check_real(owner, "epsilon", epsilon, low=0.0)
        self.warmup_steps = check_int(owner, "warmup_steps", warmup_steps, low=0)

    def _slot_groups(self) -> list[tuple[str, ...]]:
        return [("momentum", "velocity")]

    def build(self, variables: Iterable[Any]) -> None:
        """Build as :meth:`Optimizer.build`; ``z`` of each new variable starts at its value."""
        variables = list(variables)
        previous = self._layout
        if previous is not None and previous.same_variables(variables):
            return
        super().build(variables)
        for segment in self._layout.segments:
            if previous is None or id(segment.variable) not in previous.index:
                np.copyto(segment.slot("momentum"), segment.value)

    def update_step(self, gradient: np.ndarray, variable: Any, learning_rate: float) -> None:
        """One variable's schedule-free AdamW update, in place (see
        :meth:`Optimizer.update_step`). ``variable`` holds ``y``; ``z`` is kept in the
        ``momentum`` slot, ``x`` is recovered from both."""
        g, y, t = gradient, variable.data, self.iterations + 1
        b1, b2 = self.beta_1, self.beta_2
        z, v = self._slot(variable, "momentum"), self._slot(variable, "velocity")
        if self.warmup_steps:
            learning_rate *= min(t / self.warmup_steps, 1.0)  # linear warm-up
        x = (y - (1 - b1) * z) / b1  # x = (y - (1 - b1) z) / b1, before z moves
        v += (g * g - v) * (1 - b2)  # v <- b2 v + (1 - b2) g^2
        z -= learning_rate * g / (np.sqrt(v / (1 - b2**t)) + self.epsilon)
        #    z <- z - lr g / (sqrt(v / (1 - b2^t)) + eps)
        x = (1 - 1 / t) * x + z / t  # x <- (1 - 1/t) x + z / t
        y[...] = (1 - b1) * z + b1 * x  # y = (1 - b1) z + b1 x

    def _update_flat(self, group: Group, learning_rate: float, step: int) -> None:
        y, g = group.values, group.grads
        z, v = group.slots["momentum"], group.slots["velocity"]
        x, work = group.scratch(0), group.scratch(1)
        if self.warmup_steps:
            learning_rate *= min(step / self.warmup_steps, 1.0)
        b1 = self.beta_1
        np.multiply(z, 1.0 - b1, out=x)  # x = (y - (1 - beta_1) z) / beta_1, before z moves
        np.subtract(y, x, out=x)
        x /= b1
        np.multiply(g, g, out=work)  # v += (g^2 - v)(1 - beta_2)
        work -= v
        work *= 1.0 - self.beta_2
        v += work
        np.divide(v, 1.0 - self.beta_2**step, out=work)  # z -= lr g / (sqrt(v_hat) + eps)
        np.sqrt(work, out=work)
        work += self.epsilon
        np.divide(g, work, out=work)
        work *= learning_rate
        z -= work
        weight = 1.0 / step  # x = (1 - 1/t) x + z / t
        x *= 1.0 - weight
        np.multiply(z, weight, out=work)
        x += work
        np.multiply(z, 1.0 - b1, out=y)  # y = (1 - beta_1) z + beta_1 x
        x *= b1
        y += x

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments."""
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                       "warmup_steps": self.warmup_steps})
        return config
