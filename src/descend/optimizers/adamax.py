"""``Adamax``: the infinity-norm variant of Adam.

Examples
--------
>>> import numpy as np
>>> from descend.autograd import Variable
>>> from descend.optimizers import Adamax
>>> w = Variable([1.0])
>>> Adamax(learning_rate=0.1).apply([np.array([2.0])], [w])
>>> w.numpy()  # 1 - 0.1 * 0.2 / (0.1 * (2 + 1e-7))
array([0.9], dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.optimizers._checks import check_real
from descend.optimizers._layout import Group
from descend.optimizers._update_pipeline import flush_below
from descend.optimizers.adam import tiny_moment_thresholds
from descend.optimizers.base import Optimizer


class Adamax(Optimizer):
    """Adamax (Kingma & Ba, 2015, section 7) with Keras's update rule.

    With :math:`t` = ``iterations + 1``:

    .. math::
        m \\leftarrow m + (g - m)(1 - \\beta_1), \\quad
        u \\leftarrow \\max(\\beta_2 u, |g|), \\quad
        w \\leftarrow w - \\frac{\\eta\\, m}{(1 - \\beta_1^t)(u + \\epsilon)}

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.001
        :math:`\\eta`.
    beta_1 : float, default 0.9
        Decay of the first moment, in [0, 1).
    beta_2 : float, default 0.999
        Decay of the infinity norm, in [0, 1].
    epsilon : float, default 1e-7
        :math:`\\epsilon` (>= 0).
    name : str, default "adamax"
    **kwargs
        Common optimizer arguments; see :class:`Optimizer`.

    Examples
    --------
    >>> Adamax().get_config()["beta_2"]
    0.999
    """

    _default_name = "adamax"
    elementwise_rule = True  # the update may run on a part of the flat buffers

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1 = check_real("Adamax", "beta_1", beta_1, low=0.0, high=1.0, high_open=True)
        self.beta_2 = check_real("Adamax", "beta_2", beta_2, low=0.0, high=1.0)
        self.epsilon = check_real("Adamax", "epsilon", epsilon, low=0.0)

    def _slot_groups(self) -> list[tuple[str, ...]]:
        return [("momentum", "norm")]

    def update_step(self, gradient: np.ndarray, variable: Any, learning_rate: float) -> None:
        """One variable's Adamax update, in place (see :meth:`Optimizer.update_step`)."""
        g, w, t = gradient, variable.data, self.iterations + 1
        m, u = self._slot(variable, "momentum"), self._slot(variable, "norm")
        m += (g - m) * (1 - self.beta_1)  # m <- b1 m + (1 - b1) g
        np.maximum(self.beta_2 * u, np.abs(g), out=u)  # u <- max(b2 u, |g|)
        w -= learning_rate * m / ((1 - self.beta_1**t) * (u + self.epsilon))
        #    w <- w - lr m / ((1 - b1^t)(u + eps))

    def _update_flat(self, group: Group, learning_rate: float, step: int) -> None:
        w, g, work = group.values, group.grads, group.scratch(0)
        m, u = group.slots["momentum"], group.slots["norm"]
        np.subtract(g, m, out=work)  # m += (g - m) * (1 - beta_1)
        work *= 1.0 - self.beta_1
        m += work
        u *= self.beta_2  # u = max(beta_2 * u, |g|)
        np.abs(g, out=work)
        np.maximum(u, work, out=u)
        np.add(u, self.epsilon, out=work)  # w -= lr * m / ((1 - beta_1^t) * (u + eps))
        np.divide(m, work, out=work)
        work *= learning_rate / (1.0 - self.beta_1**step)
        w -= work

    def _flush_tiny(self, group: Group, step: int) -> None:
        # The denominator is >= (1 - beta_1) * epsilon, hence the factor on m's threshold;
        # u below half an ulp of epsilon leaves u + epsilon unchanged.
        tiny_m, _ = tiny_moment_thresholds(self.epsilon)
        flush_below(group.slots["momentum"], tiny_m * (1.0 - self.beta_1), group, signed=True)
        flush_below(group.slots["norm"], self.epsilon * 2.0**-25, group, signed=False)

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments."""
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config
