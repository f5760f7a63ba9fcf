"""``Adagrad``: per-parameter learning rates scaled by the sum of all past squared gradients.

Examples
--------
>>> import numpy as np
>>> from descend.autograd import Variable
>>> from descend.optimizers import Adagrad
>>> w = Variable([1.0])
>>> Adagrad(learning_rate=0.1).apply([np.array([0.3])], [w])
>>> w.numpy()  # 1 - 0.1 * 0.3 / sqrt(0.1 + 0.09 + 1e-7)
array([0.9311753], dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.optimizers._checks import check_real
from descend.optimizers._layout import Group
from descend.optimizers.base import Optimizer


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011) with Keras's update rule.

    .. math::
        a \\leftarrow a + g^2, \\quad w \\leftarrow w - \\eta\\, g / \\sqrt{a + \\epsilon}

    The accumulator :math:`a` starts at ``initial_accumulator_value``. It only
    grows, so it never decays into the subnormal range.

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.001
        :math:`\\eta`.
    initial_accumulator_value : float, default 0.1
        Starting value of :math:`a` (>= 0).
    epsilon : float, default 1e-7
        :math:`\\epsilon` (>= 0).
    name : str, default "adagrad"
    **kwargs
        Common optimizer arguments; see :class:`Optimizer`.

    Examples
    --------
    >>> Adagrad().get_config()["initial_accumulator_value"]
    0.1
    """

    _default_name = "adagrad"
    elementwise_rule = True  # the update may run on a part of the flat buffers

    def __init__(
        self,
        learning_rate: Any = 0.001,
        initial_accumulator_value: float = 0.1,
        epsilon: float = 1e-7,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.initial_accumulator_value = check_real(
            "Adagrad", "initial_accumulator_value", initial_accumulator_value, low=0.0)
        self.epsilon = check_real("Adagrad", "epsilon", epsilon, low=0.0)

    def _slot_groups(self) -> list[tuple[str, ...]]:
        return [("accumulator",)]

    def _slot_initial_value(self, name: str) -> float:
        return self.initial_accumulator_value if name == "accumulator" else 0.0

    def update_step(self, gradient: np.ndarray, variable: Any, learning_rate: float) -> None:
        """One variable's Adagrad update, in place (see :meth:`Optimizer.update_step`)."""
        g, w = gradient, variable.data
        a = self._slot(variable, "accumulator")
        a += g * g  # a <- a + g^2
        w -= learning_rate * g / np.sqrt(a + self.epsilon)  # w <- w - lr g / sqrt(a + eps)

    def _update_flat(self, group: Group, learning_rate: float, step: int) -> None:
        w, g, work = group.values, group.grads, group.scratch(0)
        accumulator = group.slots["accumulator"]
        np.multiply(g, g, out=work)
        accumulator += work
        np.add(accumulator, self.epsilon, out=work)
        np.sqrt(work, out=work)
        np.divide(g, work, out=work)
        work *= learning_rate
        w -= work

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments."""
        config = super().get_config()
        config.update({"initial_accumulator_value": self.initial_accumulator_value,
                       "epsilon": self.epsilon})
        return config
