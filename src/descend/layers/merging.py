"""Merging layers: combine a list of tensors into one (Keras's ``layers.merging``).

``Add``, ``Subtract``, ``Multiply``, ``Average``, ``Maximum`` and ``Minimum`` work
elementwise; ``Concatenate`` joins along an axis; ``Dot``
(:mod:`descend.layers.dot`) takes per-sample dot products. They are called on a
*list* of tensors, usually symbolic ones in a functional model, and have no weights.
Each has a lower-case functional alias (``add([a, b])`` is ``Add()([a, b])``), as in
Keras.

Elementwise layers broadcast as Keras does: the batch axis stays first, the
other axes are aligned from the right, and an axis of length 1 stretches to
match. An input of lower rank gets length-1 axes inserted just after the batch
axis.

Examples
--------
>>> import descend
>>> from descend import layers
>>> a = layers.Input(shape=(4,))
>>> b = layers.Input(shape=(4,))
>>> layers.Add()([a, b]).shape
(None, 4)
>>> layers.concatenate([a, b]).shape
(None, 8)
>>> model = descend.Model([a, b], layers.Dense(1)(layers.multiply([a, b])))
>>> len(model.layers)  # two InputLayers, Multiply, Dense
4
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from descend.autograd import Tensor, ops
from descend.layers.layer import Layer

__all__ = [
    "Add", "Average", "Concatenate", "Maximum", "Merge", "Minimum", "Multiply", "Subtract",
    "add", "average", "concatenate", "maximum", "minimum", "multiply", "subtract",
]


def _is_shape_list(input_shape: Any) -> bool:
    """True when ``input_shape`` is a list of shapes (a call on a list of tensors)."""
    return isinstance(input_shape, (list, tuple)) and len(input_shape) > 0 and all(
        s is None or isinstance(s, (list, tuple)) for s in input_shape)


def _shape_text(shapes: Sequence[Any]) -> str:
    return "[" + ", ".join(str(tuple(s)) for s in shapes) + "]"


def _broadcast_dims(shape1: tuple, shape2: tuple, layer: str, shapes: Any) -> tuple:
    """Keras's elementwise output shape of two shapes without their batch axis."""
    if len(shape1) < len(shape2):
        shape1, shape2 = shape2, shape1
    out = list(shape1[: len(shape1) - len(shape2)])
    for i, j in zip(shape1[len(shape1) - len(shape2):], shape2, strict=True):
        if i is None or j is None:
            out.append(None)
        elif i == 1:
            out.append(j)
        elif j == 1 or i == j:
            out.append(i)
        else:
            raise ValueError(
                f"Layer '{layer}': inputs have incompatible shapes {_shape_text(shapes)} "
                "(axes must be equal or 1, compared from the right after the batch axis). "
                "Reshape or project the inputs (e.g. with a Dense layer) to a common shape."
            )
    return tuple(out)


class Merge(Layer):
    """Base class of the merging layers: checks that it is called on a list of tensors.

    Parameters
    ----------
    **kwargs
        Base-layer arguments (``name``, ``dtype``, ``trainable``).

    Notes
    -----
    Subclasses implement :meth:`_merge` (a list of tensors of equal rank to one
    tensor) and, when the output is not the broadcast of the inputs,
    :meth:`compute_output_shape`.
    """

    #: Keras 3: the mask of the input passes through to the output
    supports_masking = True

    min_inputs = 1
    max_inputs: int | None = None

    def _check_list(self, input_shape: Any) -> list[tuple]:
        kind = type(self).__name__
        if not _is_shape_list(input_shape):
            raise ValueError(
                f"A `{kind}` layer ('{self.name}') should be called on a list of inputs, "
                f"received a single input of shape {input_shape}. Write {kind}()([a, b])."
            )
        shapes = [tuple(s) for s in input_shape]
        n = len(shapes)
        if n < self.min_inputs or (self.max_inputs is not None and n > self.max_inputs):
            wanted = (f"exactly {self.min_inputs}" if self.max_inputs == self.min_inputs
                      else f"at least {self.min_inputs}")
            raise ValueError(
                f"A `{kind}` layer ('{self.name}') should be called on {wanted} inputs, "
                f"received {n} (shapes {_shape_text(shapes)})."
            )
        return shapes

    def build(self, input_shape: Any) -> None:
        """Validate the list of input shapes (there are no weights to create)."""
        self.compute_output_shape(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape: Any) -> tuple:
        """The broadcast of the input shapes (batch axis first)."""
        shapes = self._check_list(input_shape)
        out = shapes[0][1:]
        for shape in shapes[1:]:
            out = _broadcast_dims(out, shape[1:], self.name, shapes)
        batch = {s[0] for s in shapes} - {None}
        return (batch.pop() if len(batch) == 1 else None, *out)

    def _check_input(self, inputs: Any) -> None:
        items = inputs if isinstance(inputs, (list, tuple)) else [inputs]
        self.compute_output_shape([tuple(t.shape) for t in items])

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """Keras's rule: the logical OR of the inputs' masks; None if one input has none.

        Parameters
        ----------
        inputs : list of Tensor
        mask : list of (ndarray of bool or None), optional

        Returns
        -------
        ndarray of bool or None
        """
        masks = self._mask_list(inputs, mask)
        if masks is None or any(m is None for m in masks):
            return None
        out = np.asarray(masks[0], bool)
        for m in masks[1:]:
            out = np.logical_or(out, np.asarray(m, bool))
        return out

    def _mask_list(self, inputs: Any, mask: Any) -> list | None:
        if mask is None:
            return None
        if not isinstance(mask, (list, tuple)) or not isinstance(inputs, (list, tuple)) or \
                len(mask) != len(inputs):
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}': `mask` must be a list with one "
                f"entry (or None) per input; received mask={mask!r} for "
                f"{len(inputs) if isinstance(inputs, (list, tuple)) else 1} input(s)."
            )
        return [None if m is None else np.asarray(getattr(m, "data", m)) for m in mask]

    def call(self, inputs: Any, training: bool = False) -> Tensor:
        """Merge the list of tensors ``inputs`` into one tensor."""
        items = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        rank = max(t.ndim for t in items)
        aligned = []
        for t in items:
            while t.ndim < rank:  # keep the batch axis first, align the rest from the right
                t = ops.expand_dims(t, 1)
            aligned.append(t)
        return self._merge(aligned)

    def _merge(self, inputs: list[Tensor]) -> Tensor:
        raise NotImplementedError


class Add(Merge):
    """Elementwise sum of a list of tensors: ``inputs[0] + inputs[1] + ...``.

    Parameters
    ----------
    **kwargs
        Base-layer arguments (``name``, ``dtype``).

    Notes
    -----
    Input: a list of tensors of broadcastable shapes ``(batch, ...)``; output:
    their broadcast shape.

    Examples
    --------
    >>> import numpy as np
    >>> Add()([np.ones((2, 3)), np.full((2, 3), 2.0)]).numpy()[0].tolist()
    [3.0, 3.0, 3.0]
    """

    def _merge(self, inputs: list[Tensor]) -> Tensor:
        out = inputs[0]
        for t in inputs[1:]:
            out = out + t
        return out


class Subtract(Merge):
    """Elementwise difference of exactly two tensors: ``inputs[0] - inputs[1]``.

    Parameters
    ----------
    **kwargs
        Base-layer arguments.

    Examples
    --------
    >>> import numpy as np
    >>> Subtract()([np.full((1, 2), 5.0), np.ones((1, 2))]).numpy().tolist()
    [[4.0, 4.0]]
    """

    min_inputs = max_inputs = 2

    def _merge(self, inputs: list[Tensor]) -> Tensor:
        return inputs[0] - inputs[1]


class Multiply(Merge):
    """Elementwise product of a list of tensors.

    Parameters
    ----------
    **kwargs
        Base-layer arguments.

    Examples
    --------
    >>> import numpy as np
    >>> Multiply()([np.full((1, 2), 3.0), np.full((1, 2), 2.0)]).numpy().tolist()
    [[6.0, 6.0]]
    """

    def _merge(self, inputs: list[Tensor]) -> Tensor:
        out = inputs[0]
        for t in inputs[1:]:
            out = out * t
        return out


class Average(Merge):
    """Elementwise mean of a list of tensors: ``(inputs[0] + ... + inputs[n-1]) / n``.

    Parameters
    ----------
    **kwargs
        Base-layer arguments.

    Examples
    --------
    >>> import numpy as np
    >>> Average()([np.zeros((1, 2)), np.full((1, 2), 4.0)]).numpy().tolist()
    [[2.0, 2.0]]
    """

    def _merge(self, inputs: list[Tensor]) -> Tensor:
        out = inputs[0]
        for t in inputs[1:]:
            out = out + t
        return out * (1.0 / len(inputs))


class Maximum(Merge):
    """Elementwise maximum of a list of tensors (the gradient flows to the larger input).

    Parameters
    ----------
    **kwargs
        Base-layer arguments.

    Examples
    --------
    >>> import numpy as np
    >>> Maximum()([np.array([[1.0, 5.0]]), np.array([[3.0, 2.0]])]).numpy().tolist()
    [[3.0, 5.0]]
    """

    def _merge(self, inputs: list[Tensor]) -> Tensor:
        out = inputs[0]
        for t in inputs[1:]:
            out = ops.maximum(out, t)
        return out


class Minimum(Merge):
    """Elementwise minimum of a list of tensors.

    Parameters
    ----------
    **kwargs
        Base-layer arguments.

    Examples
    --------
    >>> import numpy as np
    >>> Minimum()([np.array([[1.0, 5.0]]), np.array([[3.0, 2.0]])]).numpy().tolist()
    [[1.0, 2.0]]
    """

    def _merge(self, inputs: list[Tensor]) -> Tensor:
        out = inputs[0]
        for t in inputs[1:]:
            out = ops.minimum(out, t)
        return out


def _check_axis(axis: Any, layer: str, what: str = "axis") -> int:
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{layer}: `{what}` must be an int, received {axis!r}.")
    return int(axis)


class Concatenate(Merge):
    """Join a list of tensors along ``axis``.

    Parameters
    ----------
    axis : int, default -1
        The axis to join along (the batch axis is 0). All other axes must match.
    **kwargs
        Base-layer arguments.

    Notes
    -----
    Inputs ``(batch, ..., d_i, ...)`` of equal rank; output ``(batch, ..., sum(d_i), ...)``.

    Examples
    --------
    >>> import numpy as np
    >>> Concatenate()([np.zeros((2, 3)), np.ones((2, 1))]).shape
    (2, 4)
    >>> Concatenate(axis=0)([np.zeros((2, 3)), np.ones((1, 3))]).shape
    (3, 3)
    """

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = _check_axis(axis, "Concatenate")

    def compute_output_shape(self, input_shape: Any) -> tuple:
        """The shared shape, with the sizes along ``axis`` summed (None if one is unknown)."""
        shapes = self._check_list(input_shape)
        rank = len(shapes[0])
        if not -rank <= self.axis < rank:
            raise ValueError(
                f"Concatenate layer '{self.name}': axis={self.axis} is out of range for inputs "
                f"of rank {rank} (shapes {_shape_text(shapes)})."
            )
        axis = self.axis % rank
        out = list(shapes[0])
        for shape in shapes[1:]:
            if len(shape) != rank:
                raise ValueError(
                    f"A `Concatenate` layer ('{self.name}') requires inputs of the same rank, "
                    f"received shapes {_shape_text(shapes)}."
                )
            for i, (a, b) in enumerate(zip(out, shape, strict=True)):
                if i == axis:
                    out[i] = None if a is None or b is None else a + b
                elif a is None:
                    out[i] = b
                elif b is not None and a != b:
                    raise ValueError(
                        f"A `Concatenate` layer ('{self.name}') requires inputs with matching "
                        f"shapes except for the concatenation axis {self.axis}. Received: "
                        f"input_shape={_shape_text(shapes)} (they differ at axis {i})."
                    )
        return tuple(out)

    def call(self, inputs: Any, training: bool = False) -> Tensor:
        """``concatenate(inputs, axis)``."""
        items = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if len(items) == 1:
            return items[0]
        return ops.concatenate(items, axis=self.axis)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """Keras's rule: the inputs' masks (all-True for an input without one), expanded
        to the inputs' rank, concatenated along ``axis`` and reduced with ``any`` over
        the last axis; None when no input has a mask."""
        masks = self._mask_list(inputs, mask)
        if masks is None or all(m is None for m in masks):
            return None
        full = []
        for tensor, m in zip(inputs, masks, strict=True):
            shape = tuple(tensor.shape)
            if m is None:
                full.append(np.ones(shape, bool))
            elif m.ndim < len(shape):
                full.append(np.broadcast_to(np.expand_dims(m.astype(bool), -1), shape))
            else:
                full.append(m.astype(bool))
        return np.any(np.concatenate(full, axis=self.axis), axis=-1)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments (``axis``)."""
        config = super().get_config()
        config["axis"] = self.axis
        return config


# ------------------------------------------------------------ functional aliases
def add(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """``Add(**kwargs)(inputs)``: elementwise sum of a list of tensors.

    Examples
    --------
    >>> import numpy as np
    >>> add([np.ones((1, 2)), np.ones((1, 2))]).numpy().tolist()
    [[2.0, 2.0]]
    """
    return Add(**kwargs)(inputs)


def subtract(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """``Subtract(**kwargs)(inputs)``: ``inputs[0] - inputs[1]``.

    Examples
    --------
    >>> import numpy as np
    >>> subtract([np.ones((1, 2)), np.ones((1, 2))]).numpy().tolist()
    [[0.0, 0.0]]
    """
    return Subtract(**kwargs)(inputs)


def multiply(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """``Multiply(**kwargs)(inputs)``: elementwise product of a list of tensors.

    Examples
    --------
    >>> import numpy as np
    >>> multiply([np.full((1, 2), 2.0), np.full((1, 2), 3.0)]).numpy().tolist()
    [[6.0, 6.0]]
    """
    return Multiply(**kwargs)(inputs)


def average(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """``Average(**kwargs)(inputs)``: elementwise mean of a list of tensors.

    Examples
    --------
    >>> import numpy as np
    >>> average([np.zeros((1, 2)), np.full((1, 2), 2.0)]).numpy().tolist()
    [[1.0, 1.0]]
    """
    return Average(**kwargs)(inputs)


def maximum(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """``Maximum(**kwargs)(inputs)``: elementwise maximum of a list of tensors.

    Examples
    --------
    >>> import numpy as np
    >>> maximum([np.zeros((1, 2)), np.ones((1, 2))]).numpy().tolist()
    [[1.0, 1.0]]
    """
    return Maximum(**kwargs)(inputs)


def minimum(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """``Minimum(**kwargs)(inputs)``: elementwise minimum of a list of tensors.

    Examples
    --------
    >>> import numpy as np
    >>> minimum([np.zeros((1, 2)), np.ones((1, 2))]).numpy().tolist()
    [[0.0, 0.0]]
    """
    return Minimum(**kwargs)(inputs)


def concatenate(inputs: Sequence[Any], axis: int = -1, **kwargs: Any) -> Any:
    """``Concatenate(axis=axis, **kwargs)(inputs)``: join tensors along ``axis``.

    Examples
    --------
    >>> import numpy as np
    >>> concatenate([np.zeros((2, 1)), np.ones((2, 2))]).shape
    (2, 3)
    """
    return Concatenate(axis=axis, **kwargs)(inputs)
