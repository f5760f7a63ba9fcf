"""``descend.ops.numpy``: Keras's ``keras.ops.numpy`` family, on descend tensors.

Every function has Keras's name, signature and defaults, accepts descend
tensors, NumPy arrays, Python numbers and lists, and returns a descend
:class:`~descend.autograd.Tensor` (or a tuple/list of them). Float results are
differentiable wherever Keras's are; indices, counts, comparisons and other
int/bool results carry no gradient. Dtypes follow Keras's rules (see
:mod:`descend.ops._numpy_base`). The implementation is split by theme:

=====================  ==========================================================
``_numpy_arithmetic``  elementwise binary arithmetic: add, divide, power, mod...
``_numpy_unary``       abs, sqrt, exp/log, trigonometric, sign and rounding
``_numpy_logic``       comparisons, logical, bitwise, where/select/clip
``_numpy_reduce``      sum, mean, max, var, std, prod, all/any, argmax, nan*
``_numpy_order``       sort, argsort, quantiles, cumsum/cumprod, searchsorted
``_numpy_shape``       reshape, transpose, concatenate/stack, split
``_numpy_index``       take, flip, roll, tile, repeat, pad, diagonals, tril/triu
``_numpy_create``      arange, linspace, zeros/ones/full, eye, windows, meshgrid
``_numpy_products``    matmul, dot, tensordot, einsum, kron, cross, correlate
``_numpy_misc``        histogram, bincount, unique, isin, view, vectorize
=====================  ==========================================================

Examples
--------
>>> import numpy as np
>>> from descend import ops
>>> x = np.array([[3.0, 1.0], [2.0, 5.0]])
>>> ops.numpy.sort(x, axis=-1).data
array([[1., 3.],
       [2., 5.]])
>>> ops.numpy.argsort(x, axis=-1).data
array([[1, 0],
       [0, 1]], dtype=int32)
"""

from __future__ import annotations

from descend.ops import (
    _numpy_arithmetic,
    _numpy_create,
    _numpy_index,
    _numpy_logic,
    _numpy_misc,
    _numpy_order,
    _numpy_products,
    _numpy_reduce,
    _numpy_shape,
    _numpy_unary,
)
from descend.ops._numpy_arithmetic import *  # noqa: F403
from descend.ops._numpy_create import *  # noqa: F403
from descend.ops._numpy_index import *  # noqa: F403
from descend.ops._numpy_logic import *  # noqa: F403
from descend.ops._numpy_misc import *  # noqa: F403
from descend.ops._numpy_order import *  # noqa: F403
from descend.ops._numpy_products import *  # noqa: F403
from descend.ops._numpy_reduce import *  # noqa: F403
from descend.ops._numpy_shape import *  # noqa: F403
from descend.ops._numpy_unary import *  # noqa: F403

__all__: list[str] = sorted(
    name
    for module in (_numpy_arithmetic, _numpy_create, _numpy_index, _numpy_logic, _numpy_misc,
                   _numpy_order, _numpy_products, _numpy_reduce, _numpy_shape, _numpy_unary)
    for name in module.__all__
)
