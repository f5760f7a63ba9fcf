"""``RMSprop``: divide the gradient by a running root mean square of recent gradients.

Examples
--------
>>> import numpy as np
>>> from descend.autograd import Variable
>>> from descend.optimizers import RMSprop
>>> w = Variable([1.0])
>>> RMSprop(learning_rate=0.01).apply([np.array([2.0])], [w])
>>> w.numpy()  # 1 - 0.01 * 2 / sqrt(0.1 * 4 + 1e-7)
array([0.96837723], dtype=float32)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from descend.optimizers._checks import check_bool, check_real
from descend.optimizers._layout import Group
from descend.optimizers._update_pipeline import flush_below
from descend.optimizers.base import Optimizer
from descend.optimizers.sgd import TINY_VELOCITY


class RMSprop(Optimizer):
    """RMSprop (Hinton, 2012) with Keras's update rule (epsilon inside the square root).

    .. math::
        v \\leftarrow \\rho v + (1 - \\rho) g^2, \\quad
        \\Delta = \\eta\\, g / \\sqrt{v + \\epsilon}, \\quad
        w \\leftarrow w - \\Delta

    With ``centered=True``, :math:`\\bar g \\leftarrow \\rho \\bar g + (1 - \\rho) g` and
    the denominator is :math:`\\sqrt{v - \\bar g^2 + \\epsilon}`. With momentum
    :math:`\\mu > 0`, :math:`b \\leftarrow \\mu b + \\Delta` and :math:`w \\leftarrow w - b`.

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.001
        :math:`\\eta`.
    rho : float, default 0.9
        Decay of the mean square, in [0, 1].
    momentum : float, default 0.0
        :math:`\\mu`, in [0, 1].
    epsilon : float, default 1e-7
        :math:`\\epsilon` (>= 0).
    centered : bool, default False
        Normalise by the estimated variance instead of the mean square.
    name : str, default "rmsprop"
    **kwargs
        Common optimizer arguments; see :class:`Optimizer`.

    Examples
    --------
    >>> RMSprop(centered=True).get_config()["rho"]
    0.9
    """

    _default_name = "rmsprop"
    elementwise_rule = True  # the update may run on a part of the flat buffers

    def __init__(
        self,
        learning_rate: Any = 0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-7,
        centered: bool = False,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho = check_real("RMSprop", "rho", rho, low=0.0, high=1.0)
        self.momentum = check_real("RMSprop", "momentum", momentum, low=0.0, high=1.0)
        self.epsilon = check_real("RMSprop", "epsilon", epsilon, low=0.0)
        self.centered = check_bool("RMSprop", "centered", centered)

    def _slot_groups(self) -> list[tuple[str, ...]]:
        groups = [("velocity",)]
        if self.momentum > 0:
            groups.append(("momentum",))
        if self.centered:
            groups.append(("average_gradient",))
        return groups

    def update_step(self, gradient: np.ndarray, variable: Any, learning_rate: float) -> None:
        """One variable's RMSprop update, in place (see :meth:`Optimizer.update_step`)."""
        g, w, rho = gradient, variable.data, self.rho
        v = self._slot(variable, "velocity")
        v[...] = rho * v + (1 - rho) * (g * g)  # v <- rho v + (1 - rho) g^2
        if self.centered:
            a = self._slot(variable, "average_gradient")
            a[...] = rho * a + (1 - rho) * g  # a <- rho a + (1 - rho) g
            denominator = np.sqrt(v - a * a + self.epsilon)  # sqrt(v - a^2 + eps)
        else:
            denominator = np.sqrt(v + self.epsilon)  # sqrt(v + eps)
        increment = learning_rate * g / denominator  # delta = lr g / denominator
        if self.momentum > 0:
            b = self._slot(variable, "momentum")
            b[...] = self.momentum * b + increment  # b <- mu b + delta
            w -= b  # w <- w - b
        else:
            w -= increment  # w <- w - delta

    def _update_flat(self, group: Group, learning_rate: float, step: int) -> None:
        w, g, work = group.values, group.grads, group.scratch(0)
        rho = self.rho
        v = group.slots["velocity"]
        np.multiply(g, g, out=work)  # v = rho * v + (1 - rho) * g^2
        work *= 1.0 - rho
        v *= rho
        v += work
        if self.centered:
            average = group.slots["average_gradient"]  # a = rho * a + (1 - rho) * g
            np.multiply(g, 1.0 - rho, out=work)
            average *= rho
            average += work
            np.multiply(average, average, out=work)  # denominator^2 = v - a^2 + eps
            np.subtract(v, work, out=work)
            work += self.epsilon
        else:
            np.add(v, self.epsilon, out=work)
        np.sqrt(work, out=work)
        np.divide(g, work, out=work)  # increment = lr * g / denominator
        work *= learning_rate
        if self.momentum > 0:
            b = group.slots["momentum"]
            b *= self.momentum
            b += work
            w -= b
        else:
            w -= work

    def _flush_tiny(self, group: Group, step: int) -> None:
        # v + epsilon == epsilon exactly in float32 when v < epsilon * 2**-25 (half an ulp),
        # and the flushed amount only shrinks afterwards: no result changes.
        tiny_v = self.epsilon * 2.0**-25
        flush_below(group.slots["velocity"], tiny_v, group, signed=False)
        if self.centered:
            flush_below(group.slots["average_gradient"], math.sqrt(tiny_v), group, signed=True)
        if self.momentum > 0:
            flush_below(group.slots["momentum"], TINY_VELOCITY, group, signed=True)

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments."""
        config = super().get_config()
        config.update({"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                       "centered": self.centered})
        return config
