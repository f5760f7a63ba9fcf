"""The ``Dot`` merging layer: per-sample dot products of two tensors (Keras's ``layers.Dot``).

Like the other merging layers (:mod:`descend.layers.merging`) it is called on a list
of tensors and has no weights; ``dot([a, b])`` is ``Dot(axes=-1)([a, b])``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from descend.autograd import Tensor, ops
from descend.layers.merging import Merge, _check_axis, _shape_text

__all__ = ["Dot", "dot"]


def _l2_normalize(x: Tensor, axis: int) -> Tensor:
    norm2 = ops.sum(x * x, axis=axis, keepdims=True)
    return x / ops.sqrt(ops.maximum(norm2, 1e-12))


class Dot(Merge):
    """Per-sample dot product of two tensors along the given axes.

    For inputs of shape ``(batch, n)`` the output is ``(batch, 1)`` holding
    ``sum_i a[b, i] * b[b, i]``; in general the ``axes`` of the two inputs are
    contracted as a batched matrix product.

    Parameters
    ----------
    axes : int or tuple of two ints
        Axis (or one axis per input) to contract; the batch axis 0 cannot be one.
    normalize : bool, default False
        L2-normalise both inputs along those axes first, giving the cosine similarity.
    **kwargs
        Base-layer arguments.

    Notes
    -----
    Output shape: the first input's shape without ``axes[0]``, followed by the
    second input's shape without its batch axis and ``axes[1]``; a result with
    no axis besides the batch gets a length-1 axis, ``(batch, 1)``.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([[1.0, 2.0], [0.0, 1.0]])
    >>> Dot(axes=1)([a, a]).numpy().tolist()
    [[5.0], [1.0]]
    >>> Dot(axes=(2, 1))([np.ones((4, 2, 3)), np.ones((4, 3, 5))]).shape
    (4, 2, 5)
    """

    min_inputs = max_inputs = 2

    def __init__(self, axes: Any, normalize: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(axes, (list, tuple)):
            if len(axes) != 2:
                raise ValueError(f"Dot: `axes` must be an int or a pair of ints, received "
                                 f"{axes!r}.")
            axes = tuple(_check_axis(a, "Dot", "axes") for a in axes)
        else:
            axes = _check_axis(axes, "Dot", "axes")
        self.axes = axes
        self.normalize = bool(normalize)

    def _resolved_axes(self, shapes: list[tuple]) -> tuple[int, int]:
        pair = self.axes if isinstance(self.axes, tuple) else (self.axes, self.axes)
        out = []
        for axis, shape in zip(pair, shapes, strict=True):
            if not -len(shape) <= axis < len(shape) or axis % len(shape) == 0:
                raise ValueError(
                    f"Dot layer '{self.name}': axes={self.axes!r} is invalid for inputs of "
                    f"shapes {_shape_text(shapes)} (the batch axis 0 cannot be contracted)."
                )
            out.append(axis % len(shape))
        return out[0], out[1]

    def compute_mask(self, inputs: Any, mask: Any = None) -> None:
        """Always None: a dot product removes the axes a mask would describe (as Keras)."""
        return None

    def compute_output_shape(self, input_shape: Any) -> tuple:
        """Both shapes without the contracted axes (see the class notes)."""
        shapes = self._check_list(input_shape)
        a0, a1 = self._resolved_axes(shapes)
        s0, s1 = shapes
        if s0[a0] is not None and s1[a1] is not None and s0[a0] != s1[a1]:
            raise ValueError(
                f"Dot layer '{self.name}': incompatible input shapes: axis values {s0[a0]} (at "
                f"axis {a0}) != {s1[a1]} (at axis {a1}). Full input shapes: "
                f"{_shape_text(shapes)}."
            )
        out = s0[:a0] + s0[a0 + 1:] + s1[1:a1] + s1[a1 + 1:]
        return tuple(out) if len(out) > 1 else (*out, 1)

    def call(self, inputs: Any, training: bool = False) -> Tensor:
        """The batched contraction of the two inputs along ``axes``."""
        x, y = inputs
        a0, a1 = self._resolved_axes([tuple(x.shape), tuple(y.shape)])
        if self.normalize:
            x, y = _l2_normalize(x, a0), _l2_normalize(y, a1)
        batch = x.shape[0]
        x_rest = [i for i in range(1, x.ndim) if i != a0]
        y_rest = [i for i in range(1, y.ndim) if i != a1]
        xt = ops.transpose(x, (0, *x_rest, a0))
        yt = ops.transpose(y, (0, a1, *y_rest))
        x_dims = [x.shape[i] for i in x_rest]
        y_dims = [y.shape[i] for i in y_rest]
        k = x.shape[a0]
        out = ops.matmul(ops.reshape(xt, (batch, int(np.prod(x_dims, dtype=int)), k)),
                         ops.reshape(yt, (batch, k, int(np.prod(y_dims, dtype=int)))))
        shape = (batch, *x_dims, *y_dims)
        return ops.reshape(out, shape if len(shape) > 1 else (batch, 1))

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments (``axes``, ``normalize``)."""
        config = super().get_config()
        config.update(axes=list(self.axes) if isinstance(self.axes, tuple) else self.axes,
                      normalize=self.normalize)
        return config


def dot(inputs: Sequence[Any], axes: Any = -1, normalize: bool = False, **kwargs: Any) -> Any:
    """``Dot(axes=axes, normalize=normalize, **kwargs)(inputs)``: per-sample dot products.

    Examples
    --------
    >>> import numpy as np
    >>> dot([np.ones((3, 4)), np.ones((3, 4))]).numpy().ravel().tolist()
    [4.0, 4.0, 4.0]
    """
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
