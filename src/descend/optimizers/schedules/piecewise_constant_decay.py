"""``PiecewiseConstantDecay``: a learning rate that is constant between step boundaries.

Examples
--------
>>> from descend.optimizers.schedules import PiecewiseConstantDecay
>>> schedule = PiecewiseConstantDecay(boundaries=[100, 110], values=[1.0, 0.5, 0.1])
>>> schedule(100), schedule(101), schedule(111)
(1.0, 0.5, 0.1)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.optimizers._checks import check_real
from descend.optimizers.schedules.base import LearningRateSchedule, as_steps, finish


class PiecewiseConstantDecay(LearningRateSchedule):
    """Piecewise constant learning rate.

    ``values[0]`` while ``step <= boundaries[0]``, ``values[i]`` while
    ``boundaries[i-1] < step <= boundaries[i]``, and ``values[-1]`` once
    ``step > boundaries[-1]``.

    Parameters
    ----------
    boundaries : list of int, length n
        Strictly increasing step numbers.
    values : list of float, length n + 1
        The learning rate on each interval.
    name : str, default "PiecewiseConstant"

    Raises
    ------
    ValueError
        If ``len(boundaries) != len(values) - 1`` or the boundaries do not increase.

    Examples
    --------
    >>> schedule = PiecewiseConstantDecay([2], [0.1, 0.01])
    >>> [schedule(s) for s in range(4)]
    [0.1, 0.1, 0.1, 0.01]
    """

    def __init__(self, boundaries: list[Any], values: list[Any], name: str = "PiecewiseConstant"):
        boundaries, values = list(boundaries), list(values)
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "PiecewiseConstantDecay: the length of boundaries should be 1 less than the length "
                f"of values. Received: boundaries={boundaries} of length {len(boundaries)}, and "
                f"values={values} of length {len(values)}."
            )
        for i, b in enumerate(boundaries):
            check_real("PiecewiseConstantDecay", f"boundaries[{i}]", b)
        for i, v in enumerate(values):
            check_real("PiecewiseConstantDecay", f"values[{i}]", v)
        if any(b >= c for b, c in zip(boundaries[:-1], boundaries[1:], strict=True)):
            raise ValueError(
                "PiecewiseConstantDecay: `boundaries` must be strictly increasing, received "
                f"{boundaries}. Sort them and remove duplicates."
            )
        self.boundaries = boundaries
        self.values = values
        self.name = name
        self._bounds = np.asarray(boundaries, dtype=np.float64)
        self._table = np.asarray(values, dtype=np.float64)

    def __call__(self, step: Any) -> Any:
        index = np.searchsorted(self._bounds, as_steps(step), side="left")
        return finish(self._table[index])

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments."""
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}
