"""descend's engine: reverse-mode automatic differentiation over NumPy arrays.

``Tensor`` records the operations applied to it; ``Tensor.backward`` walks the
recorded graph backwards and accumulates gradients into ``.grad``. Primitives
live in :mod:`descend.autograd.ops`; ``gradcheck`` verifies any of them (or any
composition) against central differences in float64. ``Variable`` is the leaf
tensor that holds a model weight.
"""

from descend.autograd import ops
from descend.autograd.function import Function, unbroadcast
from descend.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad
from descend.autograd.gradcheck import GradcheckError, gradcheck
from descend.autograd.tensor import Tensor
from descend.autograd.variable import Variable

__all__ = [
    "Function", "GradcheckError", "Tensor", "Variable", "enable_grad", "gradcheck",
    "is_grad_enabled", "no_grad", "ops", "unbroadcast",
]
