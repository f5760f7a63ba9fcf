"""``Lamb``: Adam with a layer-wise trust ratio (You et al., 2020).

Examples
--------
>>> import numpy as np
>>> from descend.autograd import Variable
>>> from descend.optimizers import Lamb
>>> w = Variable([3.0, -4.0])
>>> Lamb(learning_rate=0.1).apply([np.array([1.0, 1.0])], [w])
>>> w.numpy().round(4)  # the step is scaled to lr * ||w|| = 0.5 in norm
array([ 2.6464, -4.3536], dtype=float32)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from descend.optimizers._checks import check_real
from descend.optimizers._layout import Group
from descend.optimizers.base import Optimizer


class Lamb(Optimizer):
    """LAMB: the bias-corrected Adam direction, rescaled per variable.

    With :math:`t` = ``iterations + 1``, for each variable:

    .. math::
        m \\leftarrow m + (g - m)(1 - \\beta_1), \\quad
        v \\leftarrow v + (g^2 - v)(1 - \\beta_2), \\\\
        u = \\frac{m / (1 - \\beta_1^t)}{\\sqrt{v / (1 - \\beta_2^t)} + \\epsilon}, \\quad
        r = \\|w\\| / \\|u\\| \\ (1 \\text{ if either norm is } 0), \\quad
        w \\leftarrow w - \\eta\\, r\\, u

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.001
    beta_1 : float, default 0.9
    beta_2 : float, default 0.999
    epsilon : float, default 1e-7
    name : str, default "lamb"
    **kwargs
        Common optimizer arguments; see :class:`Optimizer`.

    Examples
    --------
    >>> Lamb().get_config()["epsilon"]
    1e-07
    """

    _default_name = "lamb"

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        owner = type(self).__name__
        self.beta_1 = check_real(owner, "beta_1", beta_1, low=0.0, high=1.0, high_open=True)
        self.beta_2 = check_real(owner, "beta_2", beta_2, low=0.0, high=1.0, high_open=True)
        self.epsilon = check_real(owner, "epsilon", epsilon, low=0.0)

    def _slot_groups(self) -> list[tuple[str, ...]]:
        return [("momentum", "velocity")]

    def update_step(self, gradient: np.ndarray, variable: Any, learning_rate: float) -> None:
        """One variable's Lamb update, in place (see :meth:`Optimizer.update_step`)."""
        g, w, t = gradient, variable.data, self.iterations + 1
        b1, b2 = self.beta_1, self.beta_2
        m, v = self._slot(variable, "momentum"), self._slot(variable, "velocity")
        m += (g - m) * (1 - b1)  # m <- b1 m + (1 - b1) g
        v += (g * g - v) * (1 - b2)  # v <- b2 v + (1 - b2) g^2
        u = (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + self.epsilon)
        #   u = m_hat / (sqrt(v_hat) + eps), m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t)
        w_norm = math.sqrt(float(np.sum(w * w)))  # ||w||
        u_norm = math.sqrt(float(np.sum(u * u)))  # ||u||
        ratio = w_norm / u_norm if w_norm > 0 and u_norm > 0 else 1.0  # trust ratio
        w -= ratio * learning_rate * u  # w <- w - ratio lr u

    def _update_flat(self, group: Group, learning_rate: float, step: int) -> None:
        w, g, u = group.values, group.grads, group.scratch(0)
        m, v = group.slots["momentum"], group.slots["velocity"]
        np.subtract(g, m, out=u)  # m += (g - m)(1 - beta_1)
        u *= 1.0 - self.beta_1
        m += u
        np.multiply(g, g, out=g)  # v += (g^2 - v)(1 - beta_2)
        g -= v
        g *= 1.0 - self.beta_2
        v += g
        # u = m_hat / (sqrt(v_hat) + eps), for the whole group at once
        np.divide(v, 1.0 - self.beta_2**step, out=u)
        np.sqrt(u, out=u)
        u += self.epsilon
        np.divide(m, u, out=u)
        u /= 1.0 - self.beta_1**step
        # the trust ratio is per variable
        for segment in group.segments:
            w_seg, u_seg = w[segment.start:segment.stop], u[segment.start:segment.stop]
            w_norm = math.sqrt(float(np.dot(w_seg, w_seg)))
            u_norm = math.sqrt(float(np.dot(u_seg, u_seg)))
            ratio = w_norm / u_norm if w_norm > 0 and u_norm > 0 else 1.0
            u_seg *= ratio * learning_rate
        w -= u

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments."""
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config
