"""The activation functions, built from the engine's primitives (Keras's names and formulas).

Every activation takes a :class:`~descend.autograd.Tensor` (or anything
:func:`~descend.autograd.ops.as_tensor` accepts) and returns a Tensor of the same shape;
gradients come from the engine. They live in ``core`` (identity, rectifiers, squashing
functions), ``smooth`` (ELU family, GELU, softplus...), ``piecewise`` (hard sigmoid,
shrinkage...) and ``structured`` (GLU, sparsemax).

This is the one place each formula is written: :mod:`descend.activations` (the Keras family:
names, ``get``, ``serialize``) and :mod:`descend.ops.nn` (Keras's ``ops.nn`` signatures) both
use these functions.

Examples
--------
>>> from descend.autograd import Tensor
>>> from descend.autograd.activations import relu6
>>> relu6(Tensor([-1.0, 3.0, 9.0])).data
array([0., 3., 6.], dtype=float32)
"""

from __future__ import annotations

from descend.autograd.activations.core import (
    exponential,
    leaky_relu,
    linear,
    log_softmax,
    relu,
    relu6,
    sigmoid,
    softmax,
    tanh,
    threshold,
)
from descend.autograd.activations.piecewise import (
    hard_shrink,
    hard_sigmoid,
    hard_silu,
    hard_swish,
    hard_tanh,
    soft_shrink,
    sparse_plus,
    sparse_sigmoid,
)
from descend.autograd.activations.smooth import (
    celu,
    elu,
    gelu,
    log_sigmoid,
    mish,
    selu,
    silu,
    softplus,
    softsign,
    squareplus,
    swish,
    tanh_shrink,
)
from descend.autograd.activations.structured import glu, sparsemax

__all__ = [
    "celu", "elu", "exponential", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu",
    "hard_swish", "hard_tanh", "leaky_relu", "linear", "log_sigmoid", "log_softmax", "mish",
    "relu", "relu6", "selu", "sigmoid", "silu", "soft_shrink", "softmax", "softplus", "softsign",
    "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus", "swish", "tanh", "tanh_shrink",
    "threshold",
]
