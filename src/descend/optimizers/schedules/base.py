"""``LearningRateSchedule``: a learning rate that depends on the optimizer step.

A schedule is a callable ``schedule(step) -> learning rate``. Any optimizer
accepts one as ``learning_rate=`` and evaluates it at every optimizer step with
``step = optimizer.iterations`` (the number of updates already applied), as
Keras does. Schedules are plain Python: they return a Python ``float`` for a
scalar step and an array for an array of steps (handy for plotting).

Examples
--------
>>> from descend.optimizers.schedules import LearningRateSchedule
>>> class Halving(LearningRateSchedule):
...     def __init__(self, initial_learning_rate):
...         self.initial_learning_rate = initial_learning_rate
...     def __call__(self, step):
...         return self.initial_learning_rate / 2 ** (step // 10)
...     def get_config(self):
...         return {"initial_learning_rate": self.initial_learning_rate}
>>> Halving(0.1)(25)
0.025
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.optimizers._checks import check_real


class LearningRateSchedule:
    """Base class of learning-rate schedules.

    Subclasses implement ``__call__(step)`` and, to be serialisable,
    ``get_config()``; ``from_config(config)`` calls ``cls(**config)``.

    Examples
    --------
    >>> from descend.optimizers.schedules import ExponentialDecay
    >>> isinstance(ExponentialDecay(0.1, 10, 0.5), LearningRateSchedule)
    True
    """

    def __call__(self, step: Any) -> Any:
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `__call__(self, step)`."
        )

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments as a JSON-serialisable dict."""
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `get_config()` in "
            "order to be serializable."
        )

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LearningRateSchedule:
        """Create a schedule from the output of :meth:`get_config`."""
        return cls(**config)

    def __repr__(self) -> str:
        try:
            args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        except NotImplementedError:
            args = ""
        return f"{type(self).__name__}({args})"


def as_steps(step: Any) -> np.ndarray:
    """Return ``step`` (int, float, array or Tensor) as a float64 array."""
    data = getattr(step, "data", step) if not isinstance(step, np.ndarray) else step
    return np.asarray(data, dtype=np.float64)


def finish(value: np.ndarray) -> Any:
    """Return a Python float for a 0-d result, the array otherwise."""
    value = np.asarray(value, dtype=np.float64)
    return float(value) if value.ndim == 0 else value


def check_steps(owner: str, name: str, value: Any) -> Any:
    """Check that a number of steps is > 0 (Keras: "Argument `decay_steps` must be > 0")."""
    check_real(owner, name, value, low=0.0, low_open=True)
    return value
