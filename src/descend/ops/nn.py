"""``descend.ops.nn``: Keras's ``keras.ops.nn`` family (see :mod:`descend.ops`).

Activations, one-hot encodings, cross-entropies, convolution and pooling,
normalisation, attention, CTC and the tensor rearrangements of ``keras.ops.nn``,
with Keras's names, signatures and defaults (``channels_last`` data, Keras's
kernel layouts). Every op takes descend tensors, NumPy arrays or Python
numbers and returns descend tensors; the differentiable ones record their
gradient. The implementations live in the private ``_nn_*`` modules.

Examples
--------
>>> import numpy as np
>>> from descend.ops import nn
>>> nn.one_hot(np.array([0, 2]), 3).data
array([[1., 0., 0.],
       [0., 0., 1.]], dtype=float32)
"""

from __future__ import annotations

from descend.ops._nn_activations import *  # noqa: F403
from descend.ops._nn_activations import __all__ as _activations
from descend.ops._nn_attention import *  # noqa: F403
from descend.ops._nn_attention import __all__ as _attention
from descend.ops._nn_conv import *  # noqa: F403
from descend.ops._nn_conv import __all__ as _conv
from descend.ops._nn_ctc import *  # noqa: F403
from descend.ops._nn_ctc import __all__ as _ctc
from descend.ops._nn_losses import *  # noqa: F403
from descend.ops._nn_losses import __all__ as _losses
from descend.ops._nn_norm import *  # noqa: F403
from descend.ops._nn_norm import __all__ as _norm
from descend.ops._nn_pool import *  # noqa: F403
from descend.ops._nn_pool import __all__ as _pool
from descend.ops._nn_rearrange import *  # noqa: F403
from descend.ops._nn_rearrange import __all__ as _rearrange

__all__ = sorted({*_activations, *_attention, *_conv, *_ctc, *_losses, *_norm, *_pool,
                  *_rearrange})
