"""``SGD``: gradient descent, optionally with (Nesterov) momentum.

Examples
--------
>>> import numpy as np
>>> from descend.autograd import Variable
>>> from descend.optimizers import SGD
>>> w = Variable([1.0])
>>> SGD(learning_rate=0.1).apply([np.array([2.0])], [w])
>>> w.numpy()
array([0.8], dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.optimizers._checks import check_bool, check_real
from descend.optimizers._layout import Group
from descend.optimizers._update_pipeline import flush_below
from descend.optimizers.base import Optimizer

TINY_VELOCITY = 1e-30
"""Momentum entries below this are flushed to 0: ``w + m`` equals ``w`` in float32 for
any ``|w| > 2**25 * 1e-30`` (about 3e-23), so results are unchanged."""


class SGD(Optimizer):
    """Stochastic gradient descent (Keras's ``SGD``).

    Without momentum: :math:`w \\leftarrow w - \\eta g`. With momentum
    :math:`\\mu`: :math:`m \\leftarrow \\mu m - \\eta g`, then
    :math:`w \\leftarrow w + m`, or with ``nesterov=True``
    :math:`w \\leftarrow w + \\mu m - \\eta g`. ``m`` starts at 0.

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.01
        :math:`\\eta`.
    momentum : float, default 0.0
        :math:`\\mu`, in [0, 1].
    nesterov : bool, default False
        Use Nesterov momentum.
    name : str, default "SGD"
    **kwargs
        Common optimizer arguments (``weight_decay``, ``clipnorm``, ``clipvalue``,
        ``global_clipnorm``, ``use_ema``, ...); see :class:`Optimizer`.

    Examples
    --------
    >>> SGD(momentum=0.9, nesterov=True).get_config()["momentum"]
    0.9
    """

    _default_name = "SGD"
    elementwise_rule = True  # the update may run on a part of the flat buffers

    def __init__(
        self,
        learning_rate: Any = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.momentum = check_real("SGD", "momentum", momentum, low=0.0, high=1.0)
        self.nesterov = check_bool("SGD", "nesterov", nesterov)

    def _slot_groups(self) -> list[tuple[str, ...]]:
        return [("momentum",)] if self.momentum != 0 else []

    def update_step(self, gradient: np.ndarray, variable: Any, learning_rate: float) -> None:
        """One variable's SGD update, in place (see :meth:`Optimizer.update_step`)."""
        g, w = gradient, variable.data
        if self.momentum == 0:
            w -= learning_rate * g  # w <- w - lr g
            return
        m = self._slot(variable, "momentum")
        m[...] = self.momentum * m - learning_rate * g  # m <- mu m - lr g
        if self.nesterov:
            w += self.momentum * m - learning_rate * g  # w <- w + mu m - lr g
        else:
            w += m  # w <- w + m

    def _update_flat(self, group: Group, learning_rate: float, step: int) -> None:
        w, g = group.values, group.grads
        g *= learning_rate  # g <- lr * g
        if self.momentum == 0:
            w -= g
            return
        m = group.slots["momentum"]
        m *= self.momentum
        m -= g
        if self.nesterov:
            work = group.scratch(0)
            np.multiply(m, self.momentum, out=work)
            work -= g
            w += work
        else:
            w += m

    def _flush_tiny(self, group: Group, step: int) -> None:
        if self.momentum != 0:
            flush_below(group.slots["momentum"], TINY_VELOCITY, group, signed=True)

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments."""
        config = super().get_config()
        config.update({"momentum": self.momentum, "nesterov": self.nesterov})
        return config
