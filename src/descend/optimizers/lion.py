"""``Lion``: evolved sign momentum (Chen et al., 2023).

Examples
--------
>>> import numpy as np
>>> from descend.autograd import Variable
>>> from descend.optimizers import Lion
>>> w = Variable([1.0, -1.0])
>>> Lion(learning_rate=0.1).apply([np.array([3.0, -0.5])], [w])
>>> w.numpy()  # every weight moves by exactly the learning rate
array([ 0.9, -0.9], dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.optimizers._checks import check_real
from descend.optimizers._layout import Group
from descend.optimizers.base import Optimizer


class Lion(Optimizer):
    """Lion: steps of fixed size ``learning_rate`` in the sign of an interpolated momentum.

    .. math::
        w \\leftarrow w - \\eta\\, \\mathrm{sign}(\\beta_1 m + (1 - \\beta_1) g), \\quad
        m \\leftarrow \\beta_2 m + (1 - \\beta_2) g

    Because every step has size :math:`\\eta` in each coordinate, Lion wants a
    learning rate 3-10 times smaller than Adam's (and a larger weight decay).

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.001
    beta_1 : float, default 0.9
        Interpolation of the step direction, in (0, 1].
    beta_2 : float, default 0.99
        Decay of the momentum, in [0, 1].
    name : str, default "lion"
    **kwargs
        Common optimizer arguments; see :class:`Optimizer`.

    Examples
    --------
    >>> Lion().get_config()["beta_2"]
    0.99
    """

    _default_name = "lion"
    elementwise_rule = True  # the update may run on a part of the flat buffers

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.99,
                 name: str | None = None, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        owner = type(self).__name__
        self.beta_1 = check_real(owner, "beta_1", beta_1, low=0.0, high=1.0, low_open=True)
        self.beta_2 = check_real(owner, "beta_2", beta_2, low=0.0, high=1.0)

    def _slot_groups(self) -> list[tuple[str, ...]]:
        return [("momentum",)]

    def update_step(self, gradient: np.ndarray, variable: Any, learning_rate: float) -> None:
        """One variable's Lion update, in place (see :meth:`Optimizer.update_step`)."""
        g, w, b1, b2 = gradient, variable.data, self.beta_1, self.beta_2
        m = self._slot(variable, "momentum")
        w -= learning_rate * np.sign(b1 * m + (1 - b1) * g)  # w <- w - lr sign(b1 m + (1 - b1) g)
        m[...] = b2 * m + (1 - b2) * g  # m <- b2 m + (1 - b2) g

    def _update_flat(self, group: Group, learning_rate: float, step: int) -> None:
        w, g, work = group.values, group.grads, group.scratch(0)
        m = group.slots["momentum"]
        np.multiply(m, self.beta_1, out=work)  # w -= lr * sign(beta_1 m + (1 - beta_1) g)
        work += g * (1.0 - self.beta_1)
        np.sign(work, out=work)
        work *= learning_rate
        w -= work
        m *= self.beta_2  # m = beta_2 m + (1 - beta_2) g
        g *= 1.0 - self.beta_2
        m += g

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments."""
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2})
        return config
