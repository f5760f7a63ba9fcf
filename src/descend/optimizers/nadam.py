"""``Nadam``: Adam with Nesterov momentum (Dozat, 2016).

Examples
--------
>>> import numpy as np
>>> from descend.autograd import Variable
>>> from descend.optimizers import Nadam
>>> w = Variable([1.0])
>>> Nadam(learning_rate=0.1).apply([np.array([2.0])], [w])
>>> w.numpy().round(4)
array([0.8937], dtype=float32)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from descend.optimizers._checks import check_real
from descend.optimizers._layout import Group
from descend.optimizers._update_pipeline import flush_below
from descend.optimizers.adam import tiny_moment_thresholds
from descend.optimizers.base import Optimizer


class Nadam(Optimizer):
    """Nadam with Keras's update rule.

    With :math:`t` = ``iterations + 1``, :math:`\\mu_t = \\beta_1 (1 - 0.5 \\cdot
    0.96^{t})` and the running product :math:`P_t = \\prod_{i \\le t} \\mu_i`:

    .. math::
        m \\leftarrow m + (g - m)(1 - \\beta_1), \\quad
        v \\leftarrow v + (g^2 - v)(1 - \\beta_2), \\\\
        \\hat m = \\frac{\\mu_{t+1} m}{1 - P_t \\mu_{t+1}} + \\frac{(1 - \\mu_t) g}{1 - P_t},
        \\quad \\hat v = \\frac{v}{1 - \\beta_2^t}, \\quad
        w \\leftarrow w - \\frac{\\eta\\, \\hat m}{\\sqrt{\\hat v} + \\epsilon}

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.001
        :math:`\\eta`.
    beta_1 : float, default 0.9
        In [0, 1).
    beta_2 : float, default 0.999
        In [0, 1).
    epsilon : float, default 1e-7
        :math:`\\epsilon` (>= 0).
    name : str, default "nadam"
    **kwargs
        Common optimizer arguments; see :class:`Optimizer`.

    Examples
    --------
    >>> Nadam().get_config()["beta_1"]
    0.9
    """

    _default_name = "nadam"
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
        self.beta_1 = check_real("Nadam", "beta_1", beta_1, low=0.0, high=1.0, high_open=True)
        self.beta_2 = check_real("Nadam", "beta_2", beta_2, low=0.0, high=1.0, high_open=True)
        self.epsilon = check_real("Nadam", "epsilon", epsilon, low=0.0)
        self._u_product = 1.0

    def _slot_groups(self) -> list[tuple[str, ...]]:
        return [("momentum",), ("velocity",)]

    def _scalar_state(self) -> dict[str, float]:
        return {"u_product": self._u_product}

    def _set_scalar_state(self, name: str, value: float) -> None:
        if name != "u_product":
            raise KeyError(name)
        self._u_product = value

    def _mu(self, step: int) -> float:
        return self.beta_1 * (1.0 - 0.5 * 0.96**step)

    def _prepare_step(self, step: int) -> None:
        self._u_product *= self._mu(step)

    def update_step(self, gradient: np.ndarray, variable: Any, learning_rate: float) -> None:
        """One variable's Nadam update, in place (see :meth:`Optimizer.update_step`).

        ``_u_product`` is already ``prod_{i <= t} mu_i`` (``_prepare_step`` runs once
        per update, before the variables).
        """
        g, w, t = gradient, variable.data, self.iterations + 1
        b1, b2, product = self.beta_1, self.beta_2, self._u_product
        m, v = self._slot(variable, "momentum"), self._slot(variable, "velocity")
        mu_t, mu_next = self._mu(t), self._mu(t + 1)  # mu_t = b1 (1 - 0.5 * 0.96^t)
        m += (g - m) * (1 - b1)  # m <- b1 m + (1 - b1) g
        v += (g * g - v) * (1 - b2)  # v <- b2 v + (1 - b2) g^2
        m_hat = mu_next * m / (1 - product * mu_next) + (1 - mu_t) * g / (1 - product)
        #       m_hat = mu_{t+1} m / (1 - P mu_{t+1}) + (1 - mu_t) g / (1 - P)
        v_hat = v / (1 - b2**t)  # v_hat = v / (1 - b2^t)
        w -= learning_rate * m_hat / (np.sqrt(v_hat) + self.epsilon)  # lr m_hat/(sqrt(v_hat)+eps)

    def _update_flat(self, group: Group, learning_rate: float, step: int) -> None:
        w, g = group.values, group.grads
        work, work2 = group.scratch(0), group.scratch(1)
        m, v = group.slots["momentum"], group.slots["velocity"]
        mu_t, mu_next = self._mu(step), self._mu(step + 1)
        product = self._u_product
        np.subtract(g, m, out=work)  # m += (g - m) * (1 - beta_1)
        work *= 1.0 - self.beta_1
        m += work
        np.multiply(g, g, out=work)  # v += (g^2 - v) * (1 - beta_2)
        work -= v
        work *= 1.0 - self.beta_2
        v += work
        np.multiply(m, mu_next / (1.0 - product * mu_next), out=work)  # m_hat
        np.multiply(g, (1.0 - mu_t) / (1.0 - product), out=work2)
        work += work2
        np.sqrt(v, out=work2)  # sqrt(v_hat) + epsilon
        work2 *= 1.0 / math.sqrt(1.0 - self.beta_2**step)
        work2 += self.epsilon
        work /= work2
        work *= learning_rate
        w -= work

    def _flush_tiny(self, group: Group, step: int) -> None:
        # As for Adam; v_hat = v / (1 - beta_2^t) is larger than v, hence the factor.
        tiny_m, tiny_v = tiny_moment_thresholds(self.epsilon)
        flush_below(group.slots["momentum"], tiny_m * (1.0 - self.beta_1), group, signed=True)
        flush_below(group.slots["velocity"], tiny_v * (1.0 - self.beta_2**step), group,
                    signed=False)

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments."""
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config
