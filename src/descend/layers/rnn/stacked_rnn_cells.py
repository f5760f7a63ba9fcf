"""``StackedRNNCells``: several cells run as one, each feeding the next at every step.

Examples
--------
>>> import numpy as np
>>> from descend.layers import RNN, LSTMCell, GRUCell, StackedRNNCells
>>> cells = StackedRNNCells([LSTMCell(4), GRUCell(3)])
>>> cells.state_size, cells.output_size
([[4, 4], 3], 3)
>>> RNN(cells)(np.ones((2, 5, 6), "float32")).shape
(2, 3)
>>> out, lstm_states, gru_states = RNN(cells, return_state=True)(np.ones((2, 5, 6), "float32"))
>>> [tuple(s.shape) for s in lstm_states], [tuple(s.shape) for s in gru_states]
([(2, 4), (2, 4)], [(2, 3)])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.layers.layer import Layer, call_accepts_training
from descend.layers.serialization import deserialize_layer, serialize_layer

__all__ = ["StackedRNNCells"]


def _flat_sizes(size: Any) -> list[int]:
    if isinstance(size, (list, tuple)):
        return [n for s in size for n in _flat_sizes(s)]
    return [int(size)]


def _flatten(states: Any) -> list[Any]:
    if isinstance(states, (list, tuple)):
        return [leaf for s in states for leaf in _flatten(s)]
    return [states]


class StackedRNNCells(Layer):
    """Wrap a list of cells so that an ``RNN`` runs them as one cell.

    Parameters
    ----------
    cells : list of Layer
        Cells with ``state_size`` and ``call(inputs, states)``; the output of
        each is the input of the next.
    **kwargs
        Base-layer arguments.

    Notes
    -----
    As in Keras, states are nested per cell: ``state_size`` is the list of the
    cells' ``state_size`` (``[[4, 4], 3]`` for an ``LSTMCell(4)`` and a
    ``GRUCell(3)``), ``call`` takes and returns one list of states per cell,
    ``get_initial_state`` and ``RNN(..., return_state=True)`` give
    ``[[h1, c1], [h2]]`` and ``initial_state`` is given the same way (a flat
    list of every state in order is accepted too). ``output_size`` is the last
    cell's.
    """

    def __init__(self, cells: list[Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        cells = list(cells)
        for cell in cells:
            if not hasattr(cell, "call") or not hasattr(cell, "state_size"):
                raise ValueError(
                    f"StackedRNNCells: every cell needs `call(inputs, states)` and "
                    f"`state_size`, received {cell!r}."
                )
        self.cells = cells

    @property
    def state_size(self) -> list[Any]:
        """The cells' state sizes, one entry per cell (an int or a list of ints)."""
        return [cell.state_size for cell in self.cells]

    def _counts(self) -> list[int]:
        return [len(_flat_sizes(cell.state_size)) for cell in self.cells]

    def nest_states(self, flat: list[Any]) -> list[list[Any]]:
        """Group a flat list of states (every cell's, in order) into one list per cell.

        Parameters
        ----------
        flat : list of Tensor or ndarray

        Returns
        -------
        list of list
        """
        nested, position = [], 0
        for count in self._counts():
            nested.append(list(flat[position:position + count]))
            position += count
        return nested

    def flatten_states(self, states: Any) -> list[Any]:
        """Every state in cell order, from nested (per cell) or already flat states.

        Raises
        ------
        ValueError
            When the number of states is not the cells' total.
        """
        flat = _flatten(states)
        want = sum(self._counts())
        if len(flat) != want:
            raise ValueError(
                f"StackedRNNCells '{self.name}': expected {want} states, one list per cell "
                f"with state sizes {self.state_size}; received {len(flat)}."
            )
        return flat

    def get_initial_state(self, batch_size: int) -> list[list[Any]]:
        """Zero states, one list per cell: ``[[zeros(batch_size, size), ...], ...]``."""
        from descend.autograd import Tensor

        nested = []
        for cell in self.cells:
            own = getattr(cell, "get_initial_state", None)
            if own is not None:
                states = own(batch_size=batch_size)
                nested.append(list(states) if isinstance(states, (list, tuple)) else [states])
            else:
                nested.append([Tensor._make(np.zeros((batch_size, n), self.dtype), False, None)
                               for n in _flat_sizes(cell.state_size)])
        return nested

    @property
    def output_size(self) -> int:
        last = self.cells[-1]
        size = getattr(last, "output_size", None)
        return int(size) if size is not None else _flat_sizes(last.state_size)[0]

    def build(self, input_shape: Any) -> None:
        """Build each cell on the previous one's output size."""
        shape = tuple(input_shape)
        for cell in self.cells:
            if not cell.built:
                cell.build(shape)
                cell.built = True
            size = getattr(cell, "output_size", None)
            size = int(size) if size is not None else _flat_sizes(cell.state_size)[0]
            shape = (shape[0], size)
        self.built = True

    def call(self, inputs: Any, states: Any, training: bool = False) -> tuple:
        """One step: ``(last cell's output, new states as one list per cell)``.

        ``states`` is one list per cell (as returned), or every state flat in order.
        """
        nested = self.nest_states(self.flatten_states(states))
        new_states: list[list[Any]] = []
        for cell, carried in zip(self.cells, nested, strict=True):
            if call_accepts_training(cell):
                inputs, new = cell.call(inputs, carried, training=training)
            else:
                inputs, new = cell.call(inputs, carried)
            new_states.append(list(new) if isinstance(new, (list, tuple)) else [new])
        return inputs, new_states

    def get_config(self) -> dict[str, Any]:
        """Keras's keys: the serialized ``cells``."""
        config = super().get_config()
        config["cells"] = [serialize_layer(cell) for cell in self.cells]
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: dict | None = None
                    ) -> StackedRNNCells:
        """Recreate the cells, then the stack."""
        config = dict(config)
        cells = [deserialize_layer(c, custom_objects) for c in config.pop("cells")]
        return cls(cells, **config)
