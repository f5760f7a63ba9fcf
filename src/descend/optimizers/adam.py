"""``Adam``: adaptive moment estimation, in Keras's "epsilon hat" form.

Examples
--------
>>> import numpy as np
>>> from descend.autograd import Variable
>>> from descend.optimizers import Adam
>>> w = Variable([1.0, -1.0])
>>> Adam(learning_rate=0.1).apply([np.array([3.0, -0.5])], [w])
>>> w.numpy().round(4)  # the first Adam step moves each weight by about learning_rate
array([ 0.9, -0.9], dtype=float32)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from descend.optimizers._checks import check_bool, check_real
from descend.optimizers._layout import Group
from descend.optimizers._update_pipeline import flush_below
from descend.optimizers.base import Optimizer


def tiny_moment_thresholds(epsilon: float) -> tuple[float, float]:
    """Flush thresholds ``(first moment, second moment)`` for Adam-like updates.

    ``|m| < 1e-23 * epsilon`` and ``v < (epsilon * 2**-25)**2``: below them, the step
    ``alpha * m / (sqrt(v) + epsilon)`` of a flushed entry would leave its weight
    bit-identical (the argument is in ``docs/derivations.md``). With ``epsilon = 0``
    nothing is flushed (0 / 0 would appear).
    """
    return 1e-23 * epsilon, (epsilon * 2.0**-25) ** 2


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with Keras's update rule.

    With :math:`t` = ``iterations + 1``:

    .. math::
        \\alpha_t = \\eta \\sqrt{1 - \\beta_2^t} / (1 - \\beta_1^t), \\quad
        m \\leftarrow m + (g - m)(1 - \\beta_1), \\quad
        v \\leftarrow v + (g^2 - v)(1 - \\beta_2), \\quad
        w \\leftarrow w - \\alpha_t\\, m / (\\sqrt{v} + \\epsilon)

    Epsilon is added to the uncorrected :math:`\\sqrt{v}` ("epsilon hat"), so
    results differ slightly from PyTorch's Adam. With ``amsgrad=True`` the
    denominator uses :math:`\\hat v \\leftarrow \\max(\\hat v, v)` instead of :math:`v`.

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.001
        :math:`\\eta`.
    beta_1 : float, default 0.9
        Decay of the first-moment estimate, in [0, 1).
    beta_2 : float, default 0.999
        Decay of the second-moment estimate, in [0, 1).
    epsilon : float, default 1e-7
        :math:`\\epsilon` (>= 0).
    amsgrad : bool, default False
        Use the AMSGrad variant (Reddi et al., 2018).
    name : str, default "adam"
    **kwargs
        Common optimizer arguments; see :class:`Optimizer`.

    Examples
    --------
    >>> Adam().get_config()["epsilon"]
    1e-07
    """

    _default_name = "adam"

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        owner = type(self).__name__
        self.beta_1 = check_real(owner, "beta_1", beta_1, low=0.0, high=1.0, high_open=True)
        self.beta_2 = check_real(owner, "beta_2", beta_2, low=0.0, high=1.0, high_open=True)
        self.epsilon = check_real(owner, "epsilon", epsilon, low=0.0)
        self.amsgrad = check_bool(owner, "amsgrad", amsgrad)

    def _slot_groups(self) -> list[tuple[str, ...]]:
        groups = [("momentum", "velocity")]
        if self.amsgrad:
            groups.append(("velocity_hat",))
        return groups

    def _update_flat(self, group: Group, learning_rate: float, step: int) -> None:
        w, g, work = group.values, group.grads, group.scratch(0)
        m, v = group.slots["momentum"], group.slots["velocity"]
        alpha = learning_rate * math.sqrt(1.0 - self.beta_2**step) / (1.0 - self.beta_1**step)
        np.subtract(g, m, out=work)  # m += (g - m) * (1 - beta_1)
        work *= 1.0 - self.beta_1
        m += work
        np.multiply(g, g, out=g)  # v += (g^2 - v) * (1 - beta_2); g is free from here on
        g -= v
        g *= 1.0 - self.beta_2
        v += g
        if self.amsgrad:
            v_hat = group.slots["velocity_hat"]
            np.maximum(v_hat, v, out=v_hat)
            v = v_hat
        np.sqrt(v, out=work)  # w -= alpha * m / (sqrt(v) + epsilon)
        work += self.epsilon
        np.divide(m, work, out=work)
        work *= alpha
        w -= work

    def _flush_tiny(self, group: Group, step: int) -> None:
        tiny_m, tiny_v = tiny_moment_thresholds(self.epsilon)
        flush_below(group.slots["momentum"], tiny_m, group, signed=True)
        flush_below(group.slots["velocity"], tiny_v, group, signed=False)
        if self.amsgrad:
            flush_below(group.slots["velocity_hat"], tiny_v, group, signed=False)

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments."""
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                       "amsgrad": self.amsgrad})
        return config
