"""The state of metrics as one flat vector, so that processes can add theirs together.

Every metric descend ships accumulates sums over the samples it sees (totals and
counts, confusion-matrix cells, true/false positives per threshold, R² sums...),
so the state of the whole global batch is the sum of the processes' states. A
metric's state is

* the variables it created with ``add_variable`` (Keras's style), and
* the attributes its ``reset_state`` assigns (descend's plain-Python style: floats,
  ints, arrays, or ``None`` until the first batch),

found once per loop by running ``reset_state`` while recording the attributes it
sets (the loops reset the metrics right after, so nothing is lost). A metric whose
state is not a sum (a running maximum, say) would be added all the same: give it
state that adds up, e.g. a histogram.

Examples
--------
>>> from descend.metrics import Mean
>>> m = Mean()
>>> state = MetricState([m])
>>> m.update_state(2.0, sample_weight=3)
>>> state.pack()
array([6., 3.])
>>> with state.replaced(np.array([10.0, 4.0])):
...     m.result()
2.5
>>> m.result()
2.0
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

__all__ = ["MetricState", "state_attributes"]

_SUMMABLE = (float, int, np.ndarray, np.number, type(None))


def state_attributes(metric: Any) -> list[str]:
    """Names of the attributes ``metric.reset_state()`` assigns (it is reset meanwhile)."""
    recorded: list[str] = []
    cls = type(metric)

    def record(self: Any, name: str, value: Any) -> None:
        recorded.append(name)
        super(recorder, self).__setattr__(name, value)

    recorder = type(cls.__name__, (cls,), {"__setattr__": record, "__module__": cls.__module__})
    metric.__class__ = recorder
    try:
        metric.reset_state()
    finally:
        object.__setattr__(metric, "__class__", cls)
    return list(dict.fromkeys(recorded))


class MetricState:
    """The summable state of ``metrics``: read as one float64 vector, or replaced by one.

    Parameters
    ----------
    metrics : list of Metric

    Raises
    ------
    TypeError
        If a metric keeps state that cannot be added (a list, a string...).
    """

    def __init__(self, metrics: Sequence[Any]) -> None:
        self.entries: list[tuple[Any, str]] = []   # (owner, attribute) or (Variable, "")
        for metric in metrics:
            for name in state_attributes(metric):
                value = getattr(metric, name)
                if not isinstance(value, _SUMMABLE) or isinstance(value, bool):
                    raise TypeError(
                        f"Data-parallel training adds the metrics' states across processes, "
                        f"but metric '{metric.name}' keeps '{name}' as a "
                        f"{type(value).__name__}. Keep its state in floats or NumPy arrays "
                        "(sums over the samples seen), or leave the metric out of compile()."
                    )
                self.entries.append((metric, name))
            for variable in getattr(metric, "variables", ()):
                self.entries.append((variable, ""))

    def _values(self, copy: bool = False) -> list[Any]:
        return [(owner.data.copy() if copy else owner.data) if not name else getattr(owner, name)
                for owner, name in self.entries]

    def pack(self) -> np.ndarray:
        """Every state value, flattened into one float64 vector (``None`` takes no room)."""
        parts = [np.asarray(v, dtype=np.float64).ravel() for v in self._values() if v is not None]
        return np.concatenate(parts) if parts else np.zeros(0)

    @contextmanager
    def replaced(self, flat: np.ndarray) -> Iterator[None]:
        """Within the block, the metrics hold the state ``flat`` (laid out as :meth:`pack`)."""
        saved = self._values(copy=True)  # variables change in place
        offset = 0
        try:
            for (owner, name), value in zip(self.entries, saved, strict=True):
                if value is None:
                    continue
                size = int(np.size(value))
                part = flat[offset:offset + size]
                offset += size
                if not name:
                    owner.assign(part.reshape(owner.data.shape).astype(owner.data.dtype))
                elif isinstance(value, np.ndarray):
                    setattr(owner, name, part.reshape(value.shape).astype(value.dtype))
                elif isinstance(value, (int, np.integer)):
                    setattr(owner, name, type(value)(round(float(part[0]))))
                else:
                    setattr(owner, name, type(value)(part[0]))
            yield
        finally:
            for (owner, name), value in zip(self.entries, saved, strict=True):
                if not name:
                    owner.assign(value)
                else:
                    setattr(owner, name, value)
