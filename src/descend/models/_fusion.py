"""How a Sequential model's training forward pass is cut into graph nodes.

Layer by layer is always correct; two patterns run with less work and give the
same numbers:

* **A run of plain Dense layers** (two or more, each with a fused activation)
  becomes one :class:`~descend.autograd.ops.nn.DenseStack` node: the same
  operations, with the engine's per-node work paid once (see
  :func:`descend.layers.core.dense_chain`).
* **A convolution with ReLU followed by max pooling** runs as convolution
  without activation, then max pooling, then ReLU: ``relu(maxpool(z))`` equals
  ``maxpool(relu(z))`` value for value (ReLU never reorders), and so do the
  gradients: where the window's maximum is positive it is the same first
  maximum either way, and where it is not, both give zero. The ReLU and its
  backward then run on the pooled tensor, a quarter of the convolution's output
  for 2x2 pooling.

Neither applies to a subclass of these layers, a layer with an activity
regularizer (it must see the layer's own output), or a layer whose ``call`` is
replaced on the instance (as :mod:`descend.explain.taps` does to watch it).

Examples
--------
>>> from descend import layers
>>> plan([layers.Dense(4, activation="relu"), layers.Dense(2)], built=False)
[('layer', 0), ('layer', 1)]
"""

from __future__ import annotations

from typing import Any

from descend.autograd import Tensor
from descend.autograd.ops import nn as _nn
from descend.autograd.ops import pool as _pool
from descend.layers import _masks
from descend.layers.convolutional import Conv1D, Conv2D, Conv3D
from descend.layers.core import Dense, dense_chain
from descend.layers.pooling import MaxPooling1D, MaxPooling2D, MaxPooling3D

_CONV_POOL = {Conv1D: MaxPooling1D, Conv2D: MaxPooling2D, Conv3D: MaxPooling3D}


def _untapped(layer: Any) -> bool:
    return "call" not in layer.__dict__


def _conv_relu_then_pool(conv: Any, pool: Any) -> bool:
    return (type(pool) is _CONV_POOL.get(type(conv)) and conv.built and pool.built
            and conv._fused == "relu" and conv.activity_regularizer is None
            and _untapped(conv) and _untapped(pool))


def plan(layers: list[Any], built: bool = True) -> list[tuple]:
    """Cut ``layers`` into steps: ``("layer", i)``, ``("dense", i, j)``, ``("conv_pool", i)``.

    Parameters
    ----------
    layers : list of Layer
    built : bool, default True
        Whether the layers are built (no fusion is planned otherwise).

    Returns
    -------
    list of tuple
        ``("dense", i, j)`` runs ``layers[i:j]`` as one DenseStack;
        ``("conv_pool", i)`` runs ``layers[i]`` (convolution with ReLU) and
        ``layers[i + 1]`` (max pooling) reordered as described above.
    """
    steps: list[tuple] = []
    i, n = 0, len(layers)
    while i < n:
        layer = layers[i]
        if built and type(layer) is Dense:
            j = i
            while j < n and type(layers[j]) is Dense and layers[j]._stackable():
                j += 1
            if j - i >= 2:
                steps.append(("dense", i, j))
                i = j
                continue
        if built and i + 1 < n and type(layer) in _CONV_POOL and \
                _conv_relu_then_pool(layer, layers[i + 1]):
            steps.append(("conv_pool", i))
            i += 2
            continue
        steps.append(("layer", i))
        i += 1
    return steps


def forward(layers: list[Any], inputs: Tensor, training: bool) -> Tensor:
    """Run ``layers`` (built and checked) on ``inputs`` along :func:`plan`'s steps."""
    out = inputs
    for step in plan(layers):
        kind = step[0]
        if kind == "layer":
            out = layers[step[1]]._invoke(out, training)
        elif kind == "dense":
            mask = _masks.get_mask(out)
            out = dense_chain(out, layers[step[1]:step[2]])
            if mask is not None:  # Dense passes a mask through (supports_masking)
                _masks.set_mask(out, mask)
        else:
            conv, pool = layers[step[1]], layers[step[1] + 1]
            out = conv.convolve(out, activation="linear")
            out = _pool.max_pool(out, pool.pool_size, pool.strides, pool.padding)
            out = _nn.Relu.apply(out)
    return out


__all__ = ["forward", "plan"]
