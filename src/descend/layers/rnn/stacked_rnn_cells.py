"""``StackedRNNCells``: several cells run as one, each feeding the next at every step.

Examples
--------
>>> import numpy as np
>>> from descend.layers import RNN, LSTMCell, GRUCell, StackedRNNCells
>>> cells = StackedRNNCells([LSTMCell(4), GRUCell(3)])
>>> cells.state_size, cells.output_size
([4, 4, 3], 3)
>>> RNN(cells)(np.ones((2, 5, 6), "float32")).shape
(2, 3)
"""

from __future__ import annotations

from typing import Any

from descend.layers.layer import Layer, call_accepts_training
from descend.layers.serialization import deserialize_layer, serialize_layer

__all__ = ["StackedRNNCells"]


def _flat_sizes(size: Any) -> list[int]:
    return [int(s) for s in size] if isinstance(size, (list, tuple)) else [int(size)]


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
    ``state_size`` is the flat list of every cell's state sizes, in order
    (Keras nests it per cell); ``output_size`` is the last cell's.
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
    def state_size(self) -> list[int]:
        return [s for cell in self.cells for s in _flat_sizes(cell.state_size)]

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
        """``(last cell's output, flat list of new states)``."""
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        new_states: list[Any] = []
        position = 0
        for cell in self.cells:
            count = len(_flat_sizes(cell.state_size))
            carried = states[position:position + count]
            position += count
            if call_accepts_training(cell):
                inputs, new = cell.call(inputs, carried, training=training)
            else:
                inputs, new = cell.call(inputs, carried)
            new_states += list(new) if isinstance(new, (list, tuple)) else [new]
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
