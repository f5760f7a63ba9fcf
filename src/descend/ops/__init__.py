"""``descend.ops``: the differentiable operations, under Keras's ``keras.ops`` name.

Custom losses, metrics and layers written for Keras 3 use ``from keras import ops``;
with descend they use ``from descend import ops``. The families are Keras's:
:mod:`descend.ops.numpy`, :mod:`~descend.ops.nn`, :mod:`~descend.ops.linalg`,
:mod:`~descend.ops.image` and the core and math ops. Every function accepts
descend tensors, NumPy arrays and Python numbers, returns a descend ``Tensor``
and, where Keras's is differentiable, records its gradient in descend's engine
(:mod:`descend.autograd.ops`); the non-differentiable ones (comparisons,
indices, rounding...) are listed with the reason in each family's tests. Given
a symbolic ``KerasTensor`` (inside a functional model), an op records itself
in the model's graph (:mod:`descend.layers.op_layer`).

Examples
--------
>>> import numpy as np
>>> from descend import ops
>>> def my_mse(y_true, y_pred):
...     return ops.mean(ops.square(y_pred - y_true), axis=-1)
>>> y_pred = ops.as_tensor(np.ones((2, 3)))
>>> my_mse(np.zeros((2, 3)), y_pred).data
array([1., 1.])
"""

from __future__ import annotations

from descend.autograd.ops import *  # noqa: F403
from descend.autograd.ops import __all__ as _engine_all
from descend.ops import core as core  # noqa: E402
from descend.ops import image as image  # noqa: E402
from descend.ops import linalg as linalg  # noqa: E402
from descend.ops import math as math  # noqa: E402
from descend.ops import nn as nn  # noqa: E402
from descend.ops import numpy as numpy  # noqa: E402
from descend.ops.core import *  # noqa: E402,F403
from descend.ops.linalg import *  # noqa: E402,F403
from descend.ops.math import *  # noqa: E402,F403
from descend.ops.nn import *  # noqa: E402,F403
from descend.ops.numpy import *  # noqa: E402,F403

__all__ = sorted({*_engine_all, *core.__all__, *linalg.__all__,
                  *math.__all__, *nn.__all__, *numpy.__all__})


def _accept_symbolic_everywhere() -> None:
    """Give every public op (the engine's too) Keras's symbolic behaviour (see ``_dispatch``)."""
    from descend.ops._dispatch import keras_op

    namespace = globals()
    for name in __all__:
        fn = namespace.get(name)
        if callable(fn) and not isinstance(fn, type) and not hasattr(fn, "__wrapped_op__"):
            namespace[name] = keras_op(fn)


_accept_symbolic_everywhere()
