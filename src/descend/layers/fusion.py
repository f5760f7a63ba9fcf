"""How a layer describes itself to a model's execution plan.

A layer computes in ``call``; that is the reference, and every layer has it.
Some layers also say *what* they compute in terms the execution plan
(:mod:`descend.models.plan`) knows how to run with less work, through
``layer.fusion_spec()``:

* ``FusionSpec("dense", activation)``: ``activation(x @ kernel + bias)`` with
  one of :data:`FUSED_ACTIVATIONS` (``Dense``). The plan may run a chain of
  them as one ``DenseStack`` node, or on plain arrays for ``predict``.
* ``FusionSpec("conv", activation)``: ``activation(layer.convolve(x))``
  (the convolution layers). The plan may apply a ReLU after the max pooling
  that follows instead of before it.
* ``FusionSpec("max_pool")``: max pooling over windows (``MaxPooling1D/2D/3D``).

A layer that answers None (the default) always runs through its ``call``. A
layer answers None too when it cannot be described: a subclass that overrides
``call``, an activation outside :data:`FUSED_ACTIVATIONS`, an activity
regularizer (which must see the layer's own output).

Examples
--------
>>> from descend.layers import Dense
>>> Dense(4, activation="relu").fusion_spec()
FusionSpec(op='dense', activation='relu')
>>> Dense(4, activation="elu").fusion_spec() is None
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from descend import activations
from descend.autograd.ops._fused_activation import FUSED_ACTIVATIONS

__all__ = ["FUSED_ACTIVATIONS", "FusionSpec", "fused_activation_name"]


@dataclass(frozen=True)
class FusionSpec:
    """What a layer computes, as the execution plan can fuse it.

    Attributes
    ----------
    op : {"dense", "conv", "max_pool"}
    activation : str, default "linear"
        One of :data:`FUSED_ACTIVATIONS`.
    """

    op: str
    activation: str = "linear"


def fused_activation_name(fn: Any) -> str | None:
    """The name of a built-in activation that fused primitives apply themselves, or None.

    Parameters
    ----------
    fn : callable
        An activation function (as ``descend.activations.get`` returns it).

    Returns
    -------
    str or None
        One of :data:`FUSED_ACTIVATIONS`, or None for any other function
        (including a user's function that happens to be named ``relu``).
    """
    name = getattr(fn, "__name__", None)
    if name in FUSED_ACTIVATIONS and getattr(fn, "__module__", "") == activations.__name__:
        return name
    return None
