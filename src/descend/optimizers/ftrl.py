"""``Ftrl``: follow the regularized leader (McMahan et al., 2013), Keras's variant.

Examples
--------
>>> import numpy as np
>>> from descend.autograd import Variable
>>> from descend.optimizers import Ftrl
>>> w = Variable([0.0, 0.0])
>>> Ftrl(learning_rate=0.1, l1_regularization_strength=1.0).apply([np.array([3.0, 0.5])], [w])
>>> w.numpy().round(4)  # the small gradient stays inside the L1 dead zone
array([-0.0663,  0.    ], dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.optimizers._checks import check_real
from descend.optimizers._layout import Group
from descend.optimizers.base import Optimizer


class Ftrl(Optimizer):
    """FTRL-proximal with L1, L2 and L2-shrinkage regularization.

    With accumulator :math:`n` and linear term :math:`z` (Keras's rule),
    :math:`p = -` ``learning_rate_power``, :math:`\\eta` the learning rate,
    :math:`\\lambda_2' = \\lambda_2 + \\beta / (2\\eta)`:

    .. math::
        n' = n + g^2, \\quad
        z \\leftarrow z + g + 2\\lambda_{shrink} w - \\frac{n'^p - n^p}{\\eta} w, \\quad
        w \\leftarrow \\frac{\\mathrm{clip}(z, -\\lambda_1, \\lambda_1) - z}
        {n'^p / \\eta + 2\\lambda_2'}, \\quad n \\leftarrow n'

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.001
    learning_rate_power : float, default -0.5
        <= 0; 0 gives a fixed learning rate.
    initial_accumulator_value : float, default 0.1
        Starting value of :math:`n` (>= 0).
    l1_regularization_strength : float, default 0.0
    l2_regularization_strength : float, default 0.0
    l2_shrinkage_regularization_strength : float, default 0.0
        Magnitude penalty applied through the gradient (>= 0).
    beta : float, default 0.0
    name : str, default "ftrl"
    **kwargs
        Common optimizer arguments; see :class:`Optimizer`.

    Examples
    --------
    >>> Ftrl().get_config()["learning_rate_power"]
    -0.5
    """

    _default_name = "ftrl"
    elementwise_rule = True  # the update may run on a part of the flat buffers

    def __init__(self, learning_rate: Any = 0.001, learning_rate_power: float = -0.5,
                 initial_accumulator_value: float = 0.1, l1_regularization_strength: float = 0.0,
                 l2_regularization_strength: float = 0.0,
                 l2_shrinkage_regularization_strength: float = 0.0, beta: float = 0.0,
                 name: str | None = None, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        owner = type(self).__name__
        self.learning_rate_power = check_real(owner, "learning_rate_power", learning_rate_power,
                                              high=0.0)
        self.initial_accumulator_value = check_real(
            owner, "initial_accumulator_value", initial_accumulator_value, low=0.0)
        self.l1_regularization_strength = check_real(
            owner, "l1_regularization_strength", l1_regularization_strength, low=0.0)
        self.l2_regularization_strength = check_real(
            owner, "l2_regularization_strength", l2_regularization_strength, low=0.0)
        self.l2_shrinkage_regularization_strength = check_real(
            owner, "l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength,
            low=0.0)
        self.beta = check_real(owner, "beta", beta, low=0.0)

    def _slot_groups(self) -> list[tuple[str, ...]]:
        return [("accumulator", "linear")]

    def _slot_initial_value(self, name: str) -> float:
        return self.initial_accumulator_value if name == "accumulator" else 0.0

    def update_step(self, gradient: np.ndarray, variable: Any, learning_rate: float) -> None:
        """One variable's FTRL-proximal update, in place (see :meth:`Optimizer.update_step`)."""
        g, w, lr = gradient, variable.data, learning_rate
        n, z = self._slot(variable, "accumulator"), self._slot(variable, "linear")
        p = -self.learning_rate_power  # p = -learning_rate_power (1/2 by default)
        l1 = self.l1_regularization_strength
        l2 = self.l2_regularization_strength + self.beta / (2 * lr)  # l2 + beta / (2 lr)
        n_new = n + g * g  # n' = n + g^2
        z += g + 2 * self.l2_shrinkage_regularization_strength * w - (n_new**p - n**p) / lr * w
        #    z <- z + g + 2 l2_shrinkage w - (n'^p - n^p) / lr w
        n[...] = n_new
        quadratic = n_new**p / lr + 2 * l2  # n'^p / lr + 2 l2
        w[...] = (np.clip(z, -l1, l1) - z) / quadratic  # w = (clip(z, -l1, l1) - z) / quadratic

    def _update_flat(self, group: Group, learning_rate: float, step: int) -> None:
        w, g = group.values, group.grads
        n, z = group.slots["accumulator"], group.slots["linear"]
        power_old, power_new = group.scratch(0), group.scratch(1)
        p = -self.learning_rate_power
        l2 = self.l2_regularization_strength + self.beta / (2.0 * learning_rate)
        l1 = self.l1_regularization_strength
        np.power(n, p, out=power_old)  # n^p before the update
        np.multiply(g, g, out=power_new)  # n' = n + g^2 (the accumulator is final from here on)
        n += power_new
        np.power(n, p, out=power_new)
        # z += g + 2 shrink w - (n'^p - n^p) / lr * w
        z += g
        if self.l2_shrinkage_regularization_strength:
            z += w * (2.0 * self.l2_shrinkage_regularization_strength)
        power_old -= power_new
        power_old /= learning_rate
        power_old *= w
        z += power_old
        # w = (clip(z, -l1, l1) - z) / (n'^p / lr + 2 l2)
        power_new /= learning_rate
        power_new += 2.0 * l2
        np.clip(z, -l1, l1, out=w)
        w -= z
        w /= power_new

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments."""
        config = super().get_config()
        config.update({
            "learning_rate_power": self.learning_rate_power,
            "initial_accumulator_value": self.initial_accumulator_value,
            "l1_regularization_strength": self.l1_regularization_strength,
            "l2_regularization_strength": self.l2_regularization_strength,
            "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
            "beta": self.beta,
        })
        return config
