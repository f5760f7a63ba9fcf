"""``Permute``: reorder the axes of each sample.

Examples
--------
>>> import numpy as np
>>> from descend.layers import Permute
>>> Permute((2, 1))(np.zeros((5, 3, 4), "float32")).shape
(5, 4, 3)
"""

from __future__ import annotations

from typing import Any

from descend.autograd import Tensor
from descend.autograd.ops import movement as _mv
from descend.layers._spatial import describe
from descend.layers.layer import Layer

__all__ = ["Permute"]


class Permute(Layer):
    """Permute the non-batch axes (Keras's ``Permute``).

    Parameters
    ----------
    dims : tuple of int
        A permutation of ``1, ..., n`` (axis 0, the batch, stays in place):
        ``(2, 1)`` swaps the two axes of a 2-D sample.
    **kwargs
        Base-layer arguments.

    Notes
    -----
    Input ``(batch, d1, ..., dn)``; output axis ``i`` is input axis ``dims[i - 1]``.
    """

    def __init__(self, dims: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        try:
            dims = tuple(int(d) for d in dims)
        except (TypeError, ValueError):
            raise ValueError(
                f"{describe(self)}: `dims` must be a tuple of ints, received dims={dims!r}."
            ) from None
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(
                f"{describe(self)}: invalid permutation argument `dims`. The set of indices in "
                f"`dims` must be consecutive and start from 1. Received dims={dims}."
            )
        self.dims = dims

    def _check_rank(self, shape: tuple) -> None:
        if len(shape) != len(self.dims) + 1:
            raise ValueError(
                f"{describe(self)}: dims={self.dims} permutes {len(self.dims)} axes but the "
                f"input shape {shape} has {len(shape) - 1} non-batch axes."
            )

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """``(batch, *(input_shape[d] for d in dims))``."""
        input_shape = tuple(input_shape)
        self._check_rank(input_shape)
        return (input_shape[0], *(input_shape[d] for d in self.dims))

    def _check_input(self, inputs: Any) -> None:
        self._check_rank(tuple(inputs.shape))

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        """Transpose with ``(0, *dims)``."""
        return _mv.Transpose.apply(inputs, axes=(0, *self.dims))

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, Keras's keys."""
        config = super().get_config()
        config["dims"] = self.dims
        return config
