"""Listening in on a forward pass: what each layer received and returned.

:func:`tap_layers` attaches a forward hook to some layers
(:meth:`descend.layers.Layer.register_forward_hook`) so that every computation of
them is recorded as a :class:`LayerCall`. Hooks fire on every path a model takes
(``fit``'s graph, ``predict``'s arrays, direct calls), and a model's execution plan
never fuses a hooked layer with its neighbours, so each record holds that layer's
own input and output. Nothing about the computation changes: the hooks only copy
values, and they are removed when the ``with`` block ends, even on an error. This
is how ``descend.explain`` sees the activations of the very forward pass that
``fit``'s train step runs.

Examples
--------
>>> import numpy as np
>>> import descend
>>> from descend.layers import Dense
>>> model = descend.Sequential([Dense(3, activation="relu", input_shape=(2,), name="hidden"),
...                            Dense(1, name="out")])
>>> with tap_layers(model.layers) as calls:
...     _ = model.predict(np.ones((4, 2)), verbose=0)
>>> [(c.layer.name, c.outputs.shape) for c in calls]
[('hidden', (4, 3)), ('out', (4, 1))]
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["LayerCall", "activation_name", "tap_layers"]


@dataclass
class LayerCall:
    """One call of a layer during a forward pass.

    Attributes
    ----------
    layer : Layer
        The layer that was called.
    inputs : ndarray or list of ndarray
        Copies of what it received (a list for layers with several inputs).
    outputs : ndarray
        A copy of what it returned.
    """

    layer: Any
    inputs: Any
    outputs: np.ndarray


def _copy(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_copy(v) for v in value]
    data = getattr(value, "data", value)
    return np.array(data, copy=True)


@contextmanager
def tap_layers(layers: Sequence[Any]) -> Iterator[list[LayerCall]]:
    """Record every computation of ``layers`` made inside the block.

    Parameters
    ----------
    layers : sequence of Layer
        Usually ``model.layers``. Each gets a forward hook for the duration
        of the block.

    Yields
    ------
    list of LayerCall
        Filled in call order as the forward pass runs.
    """
    calls: list[LayerCall] = []

    def record(layer: Any, inputs: Any, outputs: Any) -> None:
        calls.append(LayerCall(layer, _copy(inputs), _copy(outputs)))

    handles = []
    try:
        for layer in layers:
            handles.append(layer.register_forward_hook(record))
        yield calls
    finally:
        for handle in reversed(handles):
            handle.remove()


def activation_name(layer: Any) -> str | None:
    """The name of a layer's activation function (``"relu"``...), or None if it has none.

    Parameters
    ----------
    layer : Layer

    Returns
    -------
    str or None

    Examples
    --------
    >>> from descend.layers import Dense
    >>> activation_name(Dense(2, activation="tanh")), activation_name(Dense(2))
    ('tanh', 'linear')
    """
    fn = getattr(layer, "activation", None)
    if fn is None:
        return None
    if isinstance(fn, str):
        return fn
    return getattr(fn, "__name__", type(fn).__name__)
