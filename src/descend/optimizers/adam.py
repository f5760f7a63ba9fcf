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

from descend.optimizers import _kernels
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


_KERNEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def adam_update(w: np.ndarray, g: np.ndarray, m: np.ndarray, v: np.ndarray, t: int,
                learning_rate: float, beta_1: float, beta_2: float, epsilon: float,
                v_hat: np.ndarray | None = None) -> None:
    """Keras's Adam rule on one array, in place: the rule written once.

    Parameters
    ----------
    w, g, m, v : ndarray, one shape
        Weights, gradient, first and second moments (``w``, ``m``, ``v`` are updated).
    t : int
        The step number, from 1.
    learning_rate, beta_1, beta_2, epsilon : float
    v_hat : ndarray, optional
        AMSGrad's running maximum of ``v`` (updated, and used in place of ``v``).
    """
    alpha = learning_rate * math.sqrt(1 - beta_2**t) / (1 - beta_1**t)  # lr sqrt(1-b2^t)/(1-b1^t)
    m += (g - m) * (1 - beta_1)  # m <- m + (g - m)(1 - b1) = b1 m + (1 - b1) g
    v += (g * g - v) * (1 - beta_2)  # v <- v + (g^2 - v)(1 - b2) = b2 v + (1 - b2) g^2
    if v_hat is not None:
        np.maximum(v_hat, v, out=v_hat)  # v_hat <- max(v_hat, v)   (AMSGrad)
        v = v_hat
    w -= alpha * m / (np.sqrt(v) + epsilon)  # w <- w - alpha m / (sqrt(v) + eps)


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
    elementwise_rule = True  # the update may run on a part of the flat buffers

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

    def update_step(self, gradient: np.ndarray, variable: Any, learning_rate: float) -> None:
        """One variable's Adam update, in place (see :meth:`Optimizer.update_step`)."""
        adam_update(variable.data, gradient, self._slot(variable, "momentum"),
                    self._slot(variable, "velocity"), self.iterations + 1, learning_rate,
                    self.beta_1, self.beta_2, self.epsilon,
                    self._slot(variable, "velocity_hat") if self.amsgrad else None)

    def _update_flat(self, group: Group, learning_rate: float, step: int) -> None:
        # update_step's rule over the whole group: one compiled pass when numba is
        # installed and loading it has paid off (optimizers/_kernels.py, bit-identical),
        # else twelve NumPy passes
        w, g = group.values, group.grads
        m, v = group.slots["momentum"], group.slots["velocity"]
        c1, c2 = 1.0 - self.beta_1, 1.0 - self.beta_2
        alpha = learning_rate * math.sqrt(1.0 - self.beta_2**step) / (1.0 - self.beta_1**step)
        kernel = _kernels.adam(self.amsgrad, w.size) if w.dtype in _KERNEL_DTYPES else None
        if kernel is not None:
            scalar = w.dtype.type
            hat = (group.slots["velocity_hat"],) if self.amsgrad else ()
            kernel(w, g, m, v, *hat, scalar(c1), scalar(c2), scalar(self.epsilon), scalar(alpha))
            return
        work = group.scratch(0)
        np.subtract(g, m, out=work)  # m += (g - m) * (1 - beta_1)
        work *= c1
        m += work
        np.multiply(g, g, out=g)  # v += (g^2 - v) * (1 - beta_2); g is free from here on
        g -= v
        g *= c2
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
