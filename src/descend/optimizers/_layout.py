"""The flat layout: every trained variable lives in one contiguous buffer per dtype.

An optimizer moves the variables it trains into a single 1-D array per dtype
(``Group.values``); each variable's ``data`` becomes a view of its slice
(``Tensor.use_storage``), and the matching slice of ``Group.grads`` is its
gradient sink (``Tensor.set_grad_sink``), which ``backward`` writes into. The
optimizer's state (Adam's moments and so on) is kept in flat arrays of the same
layout (``Group.slots``). One update of the whole model is then a handful of
vectorised NumPy calls on these flat arrays, whatever the number of variables.

Examples
--------
>>> import numpy as np
>>> from descend.autograd import Variable
>>> a, b = Variable(np.ones((2, 2))), Variable(np.zeros(3))
>>> layout = FlatLayout([a, b], {"momentum": 0.0})
>>> group = layout.groups[0]
>>> group.values.shape, np.shares_memory(a.data, group.values)
((7,), True)
>>> group.slots["momentum"].shape
(7,)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from descend.autograd import Tensor


class Segment:
    """One variable's place in its group: ``[start, stop)`` of the flat arrays."""

    __slots__ = ("variable", "group", "start", "stop", "shape", "value", "grad")

    def __init__(self, variable: Any, group: Group, start: int, stop: int) -> None:
        self.variable = variable
        self.group = group
        self.start = start
        self.stop = stop
        self.shape = tuple(variable.data.shape)
        self.value = group.values[start:stop].reshape(self.shape)
        self.grad = group.grads[start:stop].reshape(self.shape)

    def slot(self, name: str) -> np.ndarray:
        """This variable's view of slot ``name``, shaped like the variable."""
        return self.group.slots[name][self.start:self.stop].reshape(self.shape)

    def adopt(self) -> None:
        """Move the variable (back) into this segment, copying its current value;
        its gradient sink is the segment's slice of the gradient buffer."""
        self.variable.use_storage(self.value)
        self.variable.set_grad_sink(self.grad)


class Group:
    """The flat arrays for all variables of one dtype.

    Attributes
    ----------
    dtype : numpy.dtype
    size : int
        Total number of scalars.
    values, grads : ndarray, shape (size,)
        The variables' values and gradients.
    slots : dict of str to ndarray, each shape (size,)
        The optimizer's per-parameter state.
    segments : list of Segment
    """

    __slots__ = ("dtype", "size", "values", "grads", "slots", "segments", "_scratch", "_mask")

    def __init__(self, dtype: np.dtype, size: int) -> None:
        self.dtype = dtype
        self.size = size
        self.values = np.empty(size, dtype=dtype)
        self.grads = np.zeros(size, dtype=dtype)
        self.slots: dict[str, np.ndarray] = {}
        self.segments: list[Segment] = []
        self._scratch: list[np.ndarray] = []
        self._mask: np.ndarray | None = None

    def scratch(self, k: int = 0) -> np.ndarray:
        """Preallocated work array number ``k`` (allocated once, on first use)."""
        while len(self._scratch) <= k:
            self._scratch.append(np.empty(self.size, dtype=self.dtype))
        return self._scratch[k]

    def mask(self) -> np.ndarray:
        """Preallocated boolean work array."""
        if self._mask is None:
            self._mask = np.empty(self.size, dtype=bool)
        return self._mask


class FlatLayout:
    """Relocate ``variables`` into flat per-dtype buffers and allocate slot arrays.

    Parameters
    ----------
    variables : sequence of Variable
        Float variables (duplicates are kept once).
    slots : mapping of str to float
        Slot name -> initial value, in the order the optimizer reports them.
    previous : FlatLayout, optional
        The layout being replaced: slot values of variables present in both are
        carried over, and variables no longer trained get their own storage back.

    Raises
    ------
    TypeError
        If a variable is not a float tensor.
    """

    def __init__(
        self,
        variables: Sequence[Any],
        slots: Mapping[str, float],
        previous: FlatLayout | None = None,
    ) -> None:
        unique: dict[int, Any] = {}
        for v in variables:
            data = getattr(v, "data", None)
            if not isinstance(v, Tensor) or not isinstance(data, np.ndarray):
                raise TypeError(
                    f"Optimizer.build: expected descend Variables, received {v!r} of type "
                    f"{type(v).__name__}. Pass model.trainable_weights."
                )
            if not np.issubdtype(data.dtype, np.floating):
                raise TypeError(
                    f"Optimizer.build: variable {getattr(v, 'path', v)!r} has dtype "
                    f"{data.dtype}; only floating-point variables can be trained."
                )
            unique.setdefault(id(v), v)
        self.variables: list[Any] = list(unique.values())
        self.requested: list[Any] = list(variables)
        sizes: dict[np.dtype, int] = {}
        for v in self.variables:
            sizes[v.data.dtype] = sizes.get(v.data.dtype, 0) + v.data.size
        self.groups = [Group(dtype, size) for dtype, size in sizes.items()]
        by_dtype = {g.dtype: g for g in self.groups}
        offsets = dict.fromkeys(sizes, 0)
        self.segments: list[Segment] = []
        for v in self.variables:
            group = by_dtype[v.data.dtype]
            start = offsets[group.dtype]
            offsets[group.dtype] = start + v.data.size
            segment = Segment(v, group, start, offsets[group.dtype])
            group.segments.append(segment)
            self.segments.append(segment)
        self.index = {id(s.variable): s for s in self.segments}
        for group in self.groups:
            for name, initial in slots.items():
                group.slots[name] = np.full(group.size, initial, dtype=group.dtype)
        if previous is not None:
            for segment in self.segments:
                old = previous.index.get(id(segment.variable))
                if old is None:
                    continue
                for name in slots:
                    if name in old.group.slots:
                        np.copyto(segment.slot(name), old.slot(name))
        for segment in self.segments:
            segment.adopt()
        if previous is not None:
            previous.release(self.index)

    def same_variables(self, variables: Sequence[Any]) -> bool:
        """Whether ``variables`` is exactly the list this layout was built from (same objects)."""
        mine = self.requested
        if len(variables) != len(mine):
            return False
        return all(a is b for a, b in zip(variables, mine, strict=True))

    def release(self, keep: Mapping[int, Any] | None = None) -> None:
        """Give variables not in ``keep`` their own storage again (they leave the buffer)."""
        for segment in self.segments:
            v = segment.variable
            if (keep is None or id(v) not in keep) and v.data is segment.value:
                v.use_storage(np.empty_like(segment.value))
                v.set_grad_sink(None)
