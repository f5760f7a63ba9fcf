"""Reshaping layers: ``Reshape``, ``ZeroPadding1D/2D`` and ``Cropping1D/2D`` (channels-last).

``Reshape(target_shape)`` rearranges each sample into ``target_shape`` (the
batch axis is kept; one entry may be -1, inferred from the others).
``ZeroPadding2D`` adds rows and columns of zeros around each image (so that a
following convolution keeps the size, or to reach a size a network needs) and
``Cropping2D`` removes them.

Examples
--------
>>> import numpy as np
>>> from descend.layers.reshaping import Reshape, ZeroPadding2D
>>> Reshape((28, 28, 1))(np.zeros((2, 784), dtype="float32")).shape
(2, 28, 28, 1)
>>> ZeroPadding2D(padding=((1, 0), (2, 2)))(np.ones((2, 3, 3, 1), dtype="float32")).shape
(2, 4, 7, 1)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.autograd import Tensor
from descend.autograd.ops import conv as _conv
from descend.autograd.ops import movement as _mv
from descend.layers._spatial import (
    check_data_format,
    check_input_rank,
    describe,
    normalize_tuple,
    spatial_names,
)
from descend.layers.layer import Layer

__all__ = ["Cropping1D", "Cropping2D", "Reshape", "ZeroPadding1D", "ZeroPadding2D"]


class Reshape(Layer):
    """Reshape each sample to ``target_shape`` (Keras's ``Reshape``).

    Parameters
    ----------
    target_shape : tuple of int
        The new shape of one sample (without the batch axis). At most one entry
        may be -1: it is inferred so that the number of values is unchanged.
    **kwargs
        Base-layer arguments.

    Notes
    -----
    Input ``(batch, ...)``; output ``(batch, *target_shape)``.

    Examples
    --------
    >>> import numpy as np
    >>> Reshape((-1, 2))(np.zeros((3, 4, 2, 2), dtype="float32")).shape
    (3, 8, 2)
    """

    def __init__(self, target_shape: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        owner = describe(self)
        if isinstance(target_shape, (int, np.integer)):
            target_shape = (target_shape,)
        try:
            shape = tuple(target_shape)
        except TypeError:
            shape = None
        if shape is None or not all(
            isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in shape
        ):
            raise ValueError(
                f"{owner}: `target_shape` must be a tuple of ints (the shape of one sample, "
                f"without the batch axis), received target_shape={target_shape!r}."
            )
        shape = tuple(int(s) for s in shape)
        if shape.count(-1) > 1 or any(s == 0 or s < -1 for s in shape):
            raise ValueError(
                f"{owner}: `target_shape` entries must be positive, with at most one -1 (an "
                f"inferred size), received target_shape={shape}."
            )
        self.target_shape = shape

    def _resolve(self, input_shape: tuple) -> tuple[int | None, ...]:
        """``target_shape`` with its -1 inferred from ``input_shape`` (None when unknown)."""
        sample = tuple(input_shape)[1:]
        known = self.target_shape
        if any(s is None for s in sample):
            return tuple(None if s == -1 else s for s in known)
        total = int(np.prod(sample, dtype=np.int64))
        fixed = int(np.prod([s for s in known if s != -1], dtype=np.int64))
        if -1 in known:
            if fixed == 0 or total % fixed:
                raise self._mismatch(input_shape)
            return tuple(total // fixed if s == -1 else s for s in known)
        if fixed != total:
            raise self._mismatch(input_shape)
        return known

    def _mismatch(self, input_shape: tuple) -> ValueError:
        sample = tuple(input_shape)[1:]
        return ValueError(
            f"{describe(self)}: the total size of the target shape must equal that of the "
            f"input: target_shape={self.target_shape} cannot hold samples of shape {sample} "
            f"({int(np.prod(sample, dtype=np.int64))} values each). Choose a target_shape "
            "with the same number of values, or use -1 for one inferred entry."
        )

    def build(self, input_shape: tuple) -> None:
        """Check that ``target_shape`` fits the input (no weights)."""
        self._resolve(tuple(input_shape))
        self.built = True

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """``(batch, *target_shape)`` with the -1 entry inferred."""
        return (tuple(input_shape)[0], *self._resolve(tuple(input_shape)))

    def _check_input(self, inputs: Any) -> None:
        self._resolve(tuple(inputs.shape))

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        """Reshape to ``(batch, *target_shape)``."""
        return _mv.Reshape.apply(inputs, shape=(inputs.shape[0], *self.target_shape))

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments."""
        config = super().get_config()
        config["target_shape"] = self.target_shape
        return config


def _pairs(value: Any, rank: int, name: str, owner: str) -> tuple[tuple[int, int], ...]:
    """Per-axis ``(before, after)`` amounts from an int, ``rank`` ints or ``rank`` pairs."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        one = normalize_tuple(value, 1, name, owner, allow_zero=True)[0]
        return ((one, one),) * rank
    try:
        items = tuple(value)
    except TypeError:
        items = ()
    if rank == 1 and len(items) == 2 and all(isinstance(v, (int, np.integer)) for v in items):
        return (normalize_tuple(items, 2, name, owner, allow_zero=True),)
    if len(items) == rank and all(isinstance(v, (int, np.integer)) for v in items):
        sym = normalize_tuple(items, rank, name, owner, allow_zero=True)
        return tuple((v, v) for v in sym)
    if len(items) == rank and all(not isinstance(v, (int, np.integer)) for v in items):
        return tuple(normalize_tuple(v, 2, name, owner, allow_zero=True) for v in items)
    forms = ("an int or a tuple (before, after)" if rank == 1 else
             f"an int, a tuple of {rank} ints, or a tuple of {rank} (before, after) tuples")
    raise ValueError(f"{owner}: `{name}` must be {forms}, received {name}={value!r}.")


class _SpatialEdges(Layer):
    """Shared implementation of zero padding and cropping (``rank`` spatial axes)."""

    _argument = "padding"
    _sign = 1

    def __init__(self, rank: int, amounts: Any, data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        owner = describe(self)
        self.rank = rank
        self.data_format = check_data_format(data_format, owner, rank)
        self._amounts = _pairs(amounts, rank, self._argument, owner)

    def _spatial(self, input_shape: tuple) -> tuple[int | None, ...]:
        out = []
        for axis, (n, (lo, hi)) in enumerate(zip(tuple(input_shape)[1:-1], self._amounts,
                                                 strict=True)):
            size = None if n is None else n + self._sign * (lo + hi)
            if size is not None and size < 1:
                raise ValueError(
                    f"{describe(self)}: cropping {lo + hi} from {spatial_names(self.rank)[axis]} "
                    f"leaves nothing of input shape {tuple(input_shape)}; crop less."
                )
            out.append(size)
        return tuple(out)

    def build(self, input_shape: tuple) -> None:
        """Check the input shape (no weights)."""
        check_input_rank(tuple(input_shape), self.rank, describe(self), warn=True)
        self._spatial(tuple(input_shape))
        self.built = True

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """``(batch, *resized spatial axes, channels)``."""
        input_shape = tuple(input_shape)
        check_input_rank(input_shape, self.rank, describe(self))
        return (input_shape[0], *self._spatial(input_shape), input_shape[-1])

    def _check_input(self, inputs: Any) -> None:
        check_input_rank(tuple(inputs.shape), self.rank, describe(self))
        self._spatial(tuple(inputs.shape))

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        """Pad with zeros or crop."""
        if self._sign > 0:
            return _conv.Pad.apply(inputs, pads=self._amounts)
        index = (slice(None), *(slice(lo, n - hi) for n, (lo, hi) in
                                zip(inputs.shape[1:-1], self._amounts, strict=True)),
                 slice(None))
        return _mv.GetItem.apply(inputs, index=index)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, Keras's keys."""
        config = super().get_config()
        amounts = self._amounts[0] if self.rank == 1 else self._amounts
        config[self._argument] = amounts
        if self.rank > 1:
            config["data_format"] = self.data_format
        return config


class ZeroPadding1D(_SpatialEdges):
    """Add zeros at the start and end of the time axis (Keras's ``ZeroPadding1D``).

    Parameters
    ----------
    padding : int or tuple of 2 int, default 1
        Zeros added on both sides, or ``(left, right)``.
    **kwargs
        Base-layer arguments.

    Notes
    -----
    Input ``(batch, steps, channels)``; output ``(batch, steps + left + right, channels)``.

    Examples
    --------
    >>> import numpy as np
    >>> ZeroPadding1D((2, 0))(np.ones((1, 3, 1), dtype="float32")).data.ravel()
    array([0., 0., 1., 1., 1.], dtype=float32)
    """

    def __init__(self, padding: Any = 1, **kwargs: Any) -> None:
        super().__init__(1, padding, **kwargs)
        self.padding = self._amounts[0]


class ZeroPadding2D(_SpatialEdges):
    """Add rows and columns of zeros around each image (Keras's ``ZeroPadding2D``).

    Parameters
    ----------
    padding : int, tuple of 2 int, or tuple of 2 tuples of 2 int, default (1, 1)
        ``p``: ``p`` on every side; ``(h, w)``: ``h`` rows above and below, ``w``
        columns left and right; ``((top, bottom), (left, right))``.
    data_format : {None, "channels_last"}, optional
    **kwargs
        Base-layer arguments.

    Notes
    -----
    Input ``(batch, height, width, channels)``; output
    ``(batch, height + top + bottom, width + left + right, channels)``.

    Examples
    --------
    >>> import numpy as np
    >>> ZeroPadding2D()(np.ones((1, 2, 2, 1), dtype="float32")).data[0, :, :, 0]
    array([[0., 0., 0., 0.],
           [0., 1., 1., 0.],
           [0., 1., 1., 0.],
           [0., 0., 0., 0.]], dtype=float32)
    """

    def __init__(self, padding: Any = (1, 1), data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(2, padding, data_format=data_format, **kwargs)
        self.padding = self._amounts


class Cropping1D(_SpatialEdges):
    """Remove steps at the start and end of the time axis (Keras's ``Cropping1D``).

    Parameters
    ----------
    cropping : int or tuple of 2 int, default (1, 1)
        Steps removed on both sides, or ``(start, end)``.
    **kwargs
        Base-layer arguments.

    Notes
    -----
    Input ``(batch, steps, channels)``; output ``(batch, steps - start - end, channels)``.

    Examples
    --------
    >>> import numpy as np
    >>> Cropping1D((1, 2))(np.arange(5.0).reshape(1, 5, 1)).data.ravel()
    array([1., 2.], dtype=float32)
    """

    _argument = "cropping"
    _sign = -1

    def __init__(self, cropping: Any = (1, 1), **kwargs: Any) -> None:
        super().__init__(1, cropping, **kwargs)
        self.cropping = self._amounts[0]


class Cropping2D(_SpatialEdges):
    """Remove rows and columns at the edges of each image (Keras's ``Cropping2D``).

    Parameters
    ----------
    cropping : int, tuple of 2 int, or tuple of 2 tuples of 2 int, default ((0, 0), (0, 0))
        Same forms as ``ZeroPadding2D``'s ``padding``.
    data_format : {None, "channels_last"}, optional
    **kwargs
        Base-layer arguments.

    Notes
    -----
    Input ``(batch, height, width, channels)``; output
    ``(batch, height - top - bottom, width - left - right, channels)``.

    Examples
    --------
    >>> import numpy as np
    >>> Cropping2D(((1, 0), (0, 2)))(np.zeros((1, 4, 5, 3), dtype="float32")).shape
    (1, 3, 3, 3)
    """

    _argument = "cropping"
    _sign = -1

    def __init__(self, cropping: Any = ((0, 0), (0, 0)), data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(2, cropping, data_format=data_format, **kwargs)
        self.cropping = self._amounts
