"""``Adadelta``: an adaptive rate from running averages of squared gradients and updates.

Examples
--------
>>> import numpy as np
>>> from descend.autograd import Variable
>>> from descend.optimizers import Adadelta
>>> w = Variable([1.0])
>>> Adadelta(learning_rate=1.0).apply([np.array([1.0])], [w])
>>> w.numpy()  # 1 - sqrt(1e-7) / sqrt(0.05 + 1e-7)
array([0.99858576], dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.optimizers._checks import check_real
from descend.optimizers._layout import Group
from descend.optimizers._update_pipeline import flush_below
from descend.optimizers.base import Optimizer


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012) with Keras's update rule.

    .. math::
        G \\leftarrow \\rho G + (1 - \\rho) g^2, \\quad
        \\Delta = -\\frac{\\sqrt{D + \\epsilon}}{\\sqrt{G + \\epsilon}}\\, g, \\quad
        D \\leftarrow \\rho D + (1 - \\rho) \\Delta^2, \\quad
        w \\leftarrow w + \\eta \\Delta

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.001
        :math:`\\eta` (the paper uses 1.0).
    rho : float, default 0.95
        Decay of both running averages, in [0, 1].
    epsilon : float, default 1e-7
        :math:`\\epsilon` (>= 0).
    name : str, default "adadelta"
    **kwargs
        Common optimizer arguments; see :class:`Optimizer`.

    Examples
    --------
    >>> Adadelta().get_config()["rho"]
    0.95
    """

    _default_name = "adadelta"
    elementwise_rule = True  # the update may run on a part of the flat buffers

    def __init__(
        self,
        learning_rate: Any = 0.001,
        rho: float = 0.95,
        epsilon: float = 1e-7,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho = check_real("Adadelta", "rho", rho, low=0.0, high=1.0)
        self.epsilon = check_real("Adadelta", "epsilon", epsilon, low=0.0)

    def _slot_groups(self) -> list[tuple[str, ...]]:
        return [("accumulated_grad",), ("accumulated_delta_var",)]

    def update_step(self, gradient: np.ndarray, variable: Any, learning_rate: float) -> None:
        """One variable's Adadelta update, in place (see :meth:`Optimizer.update_step`)."""
        g, w, rho, eps = gradient, variable.data, self.rho, self.epsilon
        big_g = self._slot(variable, "accumulated_grad")
        big_d = self._slot(variable, "accumulated_delta_var")
        big_g[...] = rho * big_g + (1 - rho) * (g * g)  # G <- rho G + (1 - rho) g^2
        delta = -np.sqrt(big_d + eps) * g / np.sqrt(big_g + eps)  # -sqrt(D + eps) g / sqrt(G + eps)
        big_d[...] = rho * big_d + (1 - rho) * (delta * delta)  # D <- rho D + (1 - rho) d^2
        w += learning_rate * delta  # w <- w + lr d

    def _update_flat(self, group: Group, learning_rate: float, step: int) -> None:
        w, g = group.values, group.grads
        work, work2 = group.scratch(0), group.scratch(1)
        rho, eps = self.rho, self.epsilon
        grad_avg = group.slots["accumulated_grad"]
        delta_avg = group.slots["accumulated_delta_var"]
        np.multiply(g, g, out=work)  # G = rho * G + (1 - rho) * g^2
        work *= 1.0 - rho
        grad_avg *= rho
        grad_avg += work
        np.add(delta_avg, eps, out=work)  # work = -delta = sqrt(D + eps) * g / sqrt(G + eps)
        np.sqrt(work, out=work)
        work *= g
        np.add(grad_avg, eps, out=work2)
        np.sqrt(work2, out=work2)
        work /= work2
        np.multiply(work, work, out=work2)  # D = rho * D + (1 - rho) * delta^2
        work2 *= 1.0 - rho
        delta_avg *= rho
        delta_avg += work2
        work *= learning_rate  # w = w + lr * delta
        w -= work

    def _flush_tiny(self, group: Group, step: int) -> None:
        # Both averages only appear as sqrt(x + epsilon); below half an ulp of epsilon
        # (epsilon * 2**-25) they do not change x + epsilon at all.
        tiny = self.epsilon * 2.0**-25
        flush_below(group.slots["accumulated_grad"], tiny, group, signed=False)
        flush_below(group.slots["accumulated_delta_var"], tiny, group, signed=False)

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments."""
        config = super().get_config()
        config.update({"rho": self.rho, "epsilon": self.epsilon})
        return config
