"""Pooling layers (channels-last): max and average over windows, and global pooling.

``MaxPooling2D(pool_size=(2, 2))`` keeps the largest value of every 2×2 window,
halving the height and the width; ``AveragePooling2D`` keeps their mean. The
windows move by ``strides`` (default: ``pool_size``, i.e. non-overlapping).
Output sizes (Keras): ``floor((size - pool) / stride) + 1`` with
``padding="valid"`` and ``floor((size - 1) / stride) + 1`` with ``"same"``
(padding is never counted: a max ignores it, a mean divides by the number of
real elements). Global pooling reduces every spatial axis at once.

The computation is done by the engine primitives in
:mod:`descend.autograd.ops.pool` (no Python loop over positions).

Examples
--------
>>> import numpy as np
>>> from descend.layers.pooling import GlobalAveragePooling2D, MaxPooling2D
>>> MaxPooling2D()(np.zeros((2, 26, 26, 32), dtype="float32")).shape
(2, 13, 13, 32)
>>> GlobalAveragePooling2D(keepdims=True)(np.ones((2, 5, 5, 3), dtype="float32")).shape
(2, 1, 1, 3)
"""

from __future__ import annotations

from typing import Any

from descend.autograd import Tensor, ops
from descend.autograd.ops import pool as _pool
from descend.autograd.ops.conv import output_size
from descend.layers._spatial import (
    channels_first_hint,
    check_data_format,
    check_input_rank,
    describe,
    normalize_padding,
    normalize_tuple,
    spatial_names,
)
from descend.layers.fusion import FusionSpec
from descend.layers.layer import Layer

__all__ = [
    "AveragePooling1D", "AveragePooling2D", "AveragePooling3D", "GlobalAveragePooling1D",
    "GlobalAveragePooling2D", "GlobalAveragePooling3D", "GlobalMaxPooling1D",
    "GlobalMaxPooling2D", "GlobalMaxPooling3D", "MaxPooling1D", "MaxPooling2D", "MaxPooling3D",
]


class BasePooling(Layer):
    """Shared implementation of the windowed pooling layers.

    Parameters
    ----------
    rank : int
        Number of spatial axes.
    pool_size : int or tuple of int
        Window size; strictly positive.
    strides : int or tuple of int or None
        Step between windows; ``None`` means ``pool_size``.
    padding : {"valid", "same"}
    data_format : {None, "channels_last"}
    **kwargs
        Base-layer arguments.
    """

    _operation = staticmethod(_pool.max_pool)

    def __init__(self, rank: int, pool_size: Any, strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        owner = describe(self)
        self.rank = rank
        self.pool_size = normalize_tuple(pool_size, rank, "pool_size", owner)
        self.strides = (self.pool_size if strides is None
                        else normalize_tuple(strides, rank, "strides", owner))
        self.padding = normalize_padding(padding, owner)
        self.data_format = check_data_format(data_format, owner, rank)

    def _output_spatial(self, shape: tuple) -> tuple[int | None, ...]:
        out = []
        for axis, (n, k, s) in enumerate(zip(shape[1:-1], self.pool_size, self.strides,
                                             strict=True)):
            size = output_size(n, k, s, 1, self.padding)
            if size is not None and size < 1:
                raise ValueError(
                    f"{describe(self)}: the pool size {k} is larger than the input along "
                    f"{spatial_names(self.rank)[axis]} (size {n}) of input shape "
                    f"{tuple(shape)}; use padding='same', a smaller pool_size, or fewer "
                    f"pooling layers before it.{channels_first_hint(tuple(shape), self.rank)}"
                )
            out.append(size)
        return tuple(out)

    def build(self, input_shape: tuple) -> None:
        """Check the input shape (pooling has no weights)."""
        check_input_rank(tuple(input_shape), self.rank, describe(self), warn=True)
        self._output_spatial(tuple(input_shape))
        self.built = True

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """``(batch, *out, channels)``."""
        input_shape = tuple(input_shape)
        check_input_rank(input_shape, self.rank, describe(self))
        return (input_shape[0], *self._output_spatial(input_shape), input_shape[-1])

    def _check_input(self, inputs: Any) -> None:
        check_input_rank(tuple(inputs.shape), self.rank, describe(self))
        self._output_spatial(tuple(inputs.shape))

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        """Pool every window."""
        return type(self)._operation(inputs, self.pool_size, self.strides, self.padding)

    def fusion_spec(self) -> FusionSpec | None:
        """``FusionSpec("max_pool")`` for max pooling (the plan may pool before a ReLU)."""
        if type(self)._operation is _pool.max_pool and type(self).call is BasePooling.call:
            return FusionSpec("max_pool")
        return None

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, Keras's keys."""
        config = super().get_config()
        config.update(pool_size=self.pool_size, padding=self.padding, strides=self.strides,
                      data_format=self.data_format)
        return config


class MaxPooling1D(BasePooling):
    """Max pooling over time steps (Keras's ``MaxPooling1D``).

    Parameters
    ----------
    pool_size : int or tuple of 1 int, default 2
        Window size.
    strides : int or tuple of 1 int, optional
        Step between windows; defaults to ``pool_size``.
    padding : {"valid", "same"}, default "valid"
        Case-insensitive.
    data_format : {None, "channels_last"}, optional
        ``"channels_first"`` raises an error explaining how to transpose the data.
    **kwargs
        Base-layer arguments (``name``, ``dtype``...).

    Notes
    -----
    Input ``(batch, steps, channels)``; output with every spatial size
    ``floor((size - pool) / stride) + 1`` (``"valid"``) or
    ``floor((size - 1) / stride) + 1`` (``"same"``).

    Examples
    --------
    >>> import numpy as np
    >>> MaxPooling1D()(np.zeros((2, 9, 3), dtype="float32")).shape
    (2, 4, 3)
    """

    _operation = staticmethod(_pool.max_pool)

    def __init__(self, pool_size: Any = 2, strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(1, pool_size, strides=strides, padding=padding,
                         data_format=data_format, **kwargs)


class MaxPooling2D(BasePooling):
    """Max pooling over images (Keras's ``MaxPooling2D``).

    Parameters
    ----------
    pool_size : int or tuple of 2 int, default (2, 2)
        Window size.
    strides : int or tuple of 2 int, optional
        Step between windows; defaults to ``pool_size``.
    padding : {"valid", "same"}, default "valid"
        Case-insensitive.
    data_format : {None, "channels_last"}, optional
        ``"channels_first"`` raises an error explaining how to transpose the data.
    **kwargs
        Base-layer arguments (``name``, ``dtype``...).

    Notes
    -----
    Input ``(batch, height, width, channels)``; output with every spatial size
    ``floor((size - pool) / stride) + 1`` (``"valid"``) or
    ``floor((size - 1) / stride) + 1`` (``"same"``).

    Examples
    --------
    >>> import numpy as np
    >>> MaxPooling2D(pool_size=(2, 2))(np.zeros((2, 7, 5, 3), dtype="float32")).shape
    (2, 3, 2, 3)
    """

    _operation = staticmethod(_pool.max_pool)

    def __init__(self, pool_size: Any = (2, 2), strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(2, pool_size, strides=strides, padding=padding,
                         data_format=data_format, **kwargs)


class MaxPooling3D(BasePooling):
    """Max pooling over volumes (Keras's ``MaxPooling3D``).

    Parameters
    ----------
    pool_size : int or tuple of 3 int, default (2, 2, 2)
        Window size.
    strides : int or tuple of 3 int, optional
        Step between windows; defaults to ``pool_size``.
    padding : {"valid", "same"}, default "valid"
        Case-insensitive.
    data_format : {None, "channels_last"}, optional
        ``"channels_first"`` raises an error explaining how to transpose the data.
    **kwargs
        Base-layer arguments (``name``, ``dtype``...).

    Notes
    -----
    Input ``(batch, depth, height, width, channels)``; output with every spatial size
    ``floor((size - pool) / stride) + 1`` (``"valid"``) or
    ``floor((size - 1) / stride) + 1`` (``"same"``).

    Examples
    --------
    >>> import numpy as np
    >>> MaxPooling3D()(np.zeros((1, 4, 4, 4, 2), dtype="float32")).shape
    (1, 2, 2, 2, 2)
    """

    _operation = staticmethod(_pool.max_pool)

    def __init__(self, pool_size: Any = (2, 2, 2), strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(3, pool_size, strides=strides, padding=padding,
                         data_format=data_format, **kwargs)


class AveragePooling1D(BasePooling):
    """Average pooling over time steps (Keras's ``AveragePooling1D``).

    Parameters
    ----------
    pool_size : int or tuple of 1 int, default 2
        Window size.
    strides : int or tuple of 1 int, optional
        Step between windows; defaults to ``pool_size``.
    padding : {"valid", "same"}, default "valid"
        Case-insensitive.
    data_format : {None, "channels_last"}, optional
        ``"channels_first"`` raises an error explaining how to transpose the data.
    **kwargs
        Base-layer arguments (``name``, ``dtype``...).

    Notes
    -----
    Input ``(batch, steps, channels)``; output with every spatial size
    ``floor((size - pool) / stride) + 1`` (``"valid"``) or
    ``floor((size - 1) / stride) + 1`` (``"same"``).

    Examples
    --------
    >>> import numpy as np
    >>> AveragePooling1D(padding="same")(np.zeros((2, 9, 3), dtype="float32")).shape
    (2, 5, 3)
    """

    _operation = staticmethod(_pool.average_pool)

    def __init__(self, pool_size: Any = 2, strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(1, pool_size, strides=strides, padding=padding,
                         data_format=data_format, **kwargs)


class AveragePooling2D(BasePooling):
    """Average pooling over images (Keras's ``AveragePooling2D``).

    Parameters
    ----------
    pool_size : int or tuple of 2 int, default (2, 2)
        Window size.
    strides : int or tuple of 2 int, optional
        Step between windows; defaults to ``pool_size``.
    padding : {"valid", "same"}, default "valid"
        Case-insensitive.
    data_format : {None, "channels_last"}, optional
        ``"channels_first"`` raises an error explaining how to transpose the data.
    **kwargs
        Base-layer arguments (``name``, ``dtype``...).

    Notes
    -----
    Input ``(batch, height, width, channels)``; output with every spatial size
    ``floor((size - pool) / stride) + 1`` (``"valid"``) or
    ``floor((size - 1) / stride) + 1`` (``"same"``).

    Examples
    --------
    >>> import numpy as np
    >>> AveragePooling2D(3, strides=1)(np.zeros((2, 7, 5, 3), dtype="float32")).shape
    (2, 5, 3, 3)
    """

    _operation = staticmethod(_pool.average_pool)

    def __init__(self, pool_size: Any = (2, 2), strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(2, pool_size, strides=strides, padding=padding,
                         data_format=data_format, **kwargs)


class AveragePooling3D(BasePooling):
    """Average pooling over volumes (Keras's ``AveragePooling3D``).

    Parameters
    ----------
    pool_size : int or tuple of 3 int, default (2, 2, 2)
        Window size.
    strides : int or tuple of 3 int, optional
        Step between windows; defaults to ``pool_size``.
    padding : {"valid", "same"}, default "valid"
        Case-insensitive.
    data_format : {None, "channels_last"}, optional
        ``"channels_first"`` raises an error explaining how to transpose the data.
    **kwargs
        Base-layer arguments (``name``, ``dtype``...).

    Notes
    -----
    Input ``(batch, depth, height, width, channels)``; output with every spatial size
    ``floor((size - pool) / stride) + 1`` (``"valid"``) or
    ``floor((size - 1) / stride) + 1`` (``"same"``).

    Examples
    --------
    >>> import numpy as np
    >>> AveragePooling3D()(np.zeros((1, 4, 4, 4, 2), dtype="float32")).shape
    (1, 2, 2, 2, 2)
    """

    _operation = staticmethod(_pool.average_pool)

    def __init__(self, pool_size: Any = (2, 2, 2), strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(3, pool_size, strides=strides, padding=padding,
                         data_format=data_format, **kwargs)


class BaseGlobalPooling(Layer):
    """Shared implementation of global pooling: reduce every spatial axis.

    Parameters
    ----------
    rank : int
        Number of spatial axes.
    data_format : {None, "channels_last"}
    keepdims : bool, default False
        Keep the spatial axes with length 1: ``(batch, 1, ..., 1, channels)``
        instead of ``(batch, channels)``.
    **kwargs
        Base-layer arguments.
    """

    _reduce = staticmethod(ops.mean)

    def __init__(self, rank: int, data_format: str | None = None, keepdims: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rank = rank
        self.data_format = check_data_format(data_format, describe(self), rank)
        self.keepdims = bool(keepdims)

    def build(self, input_shape: tuple) -> None:
        """Check the input shape (no weights)."""
        check_input_rank(tuple(input_shape), self.rank, describe(self), warn=True)
        self.built = True

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """``(batch, channels)``, or ``(batch, 1, ..., 1, channels)`` with ``keepdims``."""
        input_shape = tuple(input_shape)
        check_input_rank(input_shape, self.rank, describe(self))
        if self.keepdims:
            return (input_shape[0], *(1,) * self.rank, input_shape[-1])
        return (input_shape[0], input_shape[-1])

    def _check_input(self, inputs: Any) -> None:
        check_input_rank(tuple(inputs.shape), self.rank, describe(self))

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        """Reduce the spatial axes."""
        axes = tuple(range(1, self.rank + 1))
        return type(self)._reduce(inputs, axis=axes, keepdims=self.keepdims)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, Keras's keys."""
        config = super().get_config()
        config.update(data_format=self.data_format, keepdims=self.keepdims)
        return config


class GlobalAveragePooling1D(BaseGlobalPooling):
    """Mean over all time steps (Keras's ``GlobalAveragePooling1D``).

    Parameters
    ----------
    data_format : {None, "channels_last"}, optional
        ``"channels_first"`` raises an error explaining how to transpose the data.
    keepdims : bool, default False
        Keep the reduced axes with length 1.
    **kwargs
        Base-layer arguments.

    Notes
    -----
    Input ``(batch, steps, channels)``; output ``(batch, channels)``, or
    ``(batch, 1, channels)`` with ``keepdims=True``.

    Examples
    --------
    >>> import numpy as np
    >>> GlobalAveragePooling1D()(np.ones((2, 4, 3), dtype="float32")).shape
    (2, 3)
    """

    #: Keras 3: the mask of the input passes through to the output
    supports_masking = True

    _reduce = staticmethod(ops.mean)

    def __init__(self, data_format: str | None = None, keepdims: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(1, data_format=data_format, keepdims=keepdims, **kwargs)

    def call(self, inputs: Tensor, training: bool = False, mask: Any = None) -> Tensor:
        """Mean over the steps; with a mask (batch, steps), over the unmasked steps only.

        Keras's formula: ``sum(where(mask, x, 0), axis=1) / sum(mask, axis=1)``.
        """
        if mask is None:
            return super().call(inputs, training)
        from descend.layers._masks import check_mask

        keep = check_mask(mask, inputs, self.name)[:, :, None]
        total = ops.sum(ops.where(keep, inputs, 0.0), axis=1, keepdims=self.keepdims)
        count = keep.sum(axis=1, keepdims=self.keepdims).astype(inputs.dtype)
        return total / count

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> None:
        """No mask after pooling over the steps."""
        return None


class GlobalAveragePooling2D(BaseGlobalPooling):
    """Mean over height and width (Keras's ``GlobalAveragePooling2D``).

    Parameters
    ----------
    data_format : {None, "channels_last"}, optional
        ``"channels_first"`` raises an error explaining how to transpose the data.
    keepdims : bool, default False
        Keep the reduced axes with length 1.
    **kwargs
        Base-layer arguments.

    Notes
    -----
    Input ``(batch, height, width, channels)``; output ``(batch, channels)``, or
    ``(batch, 1, 1, channels)`` with ``keepdims=True``.

    Examples
    --------
    >>> import numpy as np
    >>> GlobalAveragePooling2D()(np.ones((2, 4, 4, 3), dtype="float32")).shape
    (2, 3)
    """

    _reduce = staticmethod(ops.mean)

    def __init__(self, data_format: str | None = None, keepdims: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(2, data_format=data_format, keepdims=keepdims, **kwargs)


class GlobalAveragePooling3D(BaseGlobalPooling):
    """Mean over depth, height and width (Keras's ``GlobalAveragePooling3D``).

    Parameters
    ----------
    data_format : {None, "channels_last"}, optional
        ``"channels_first"`` raises an error explaining how to transpose the data.
    keepdims : bool, default False
        Keep the reduced axes with length 1.
    **kwargs
        Base-layer arguments.

    Notes
    -----
    Input ``(batch, depth, height, width, channels)``; output ``(batch, channels)``, or
    ``(batch, 1, 1, 1, channels)`` with ``keepdims=True``.

    Examples
    --------
    >>> import numpy as np
    >>> GlobalAveragePooling3D()(np.ones((2, 4, 4, 4, 3), dtype="float32")).shape
    (2, 3)
    """

    _reduce = staticmethod(ops.mean)

    def __init__(self, data_format: str | None = None, keepdims: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(3, data_format=data_format, keepdims=keepdims, **kwargs)


class GlobalMaxPooling1D(BaseGlobalPooling):
    """Maximum over all time steps (Keras's ``GlobalMaxPooling1D``).

    Parameters
    ----------
    data_format : {None, "channels_last"}, optional
        ``"channels_first"`` raises an error explaining how to transpose the data.
    keepdims : bool, default False
        Keep the reduced axes with length 1.
    **kwargs
        Base-layer arguments.

    Notes
    -----
    Input ``(batch, steps, channels)``; output ``(batch, channels)``, or
    ``(batch, 1, channels)`` with ``keepdims=True``.

    Examples
    --------
    >>> import numpy as np
    >>> GlobalMaxPooling1D()(np.ones((2, 4, 3), dtype="float32")).shape
    (2, 3)
    """

    _reduce = staticmethod(ops.max)

    def __init__(self, data_format: str | None = None, keepdims: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(1, data_format=data_format, keepdims=keepdims, **kwargs)


class GlobalMaxPooling2D(BaseGlobalPooling):
    """Maximum over height and width (Keras's ``GlobalMaxPooling2D``).

    Parameters
    ----------
    data_format : {None, "channels_last"}, optional
        ``"channels_first"`` raises an error explaining how to transpose the data.
    keepdims : bool, default False
        Keep the reduced axes with length 1.
    **kwargs
        Base-layer arguments.

    Notes
    -----
    Input ``(batch, height, width, channels)``; output ``(batch, channels)``, or
    ``(batch, 1, 1, channels)`` with ``keepdims=True``.

    Examples
    --------
    >>> import numpy as np
    >>> GlobalMaxPooling2D()(np.ones((2, 4, 4, 3), dtype="float32")).shape
    (2, 3)
    """

    _reduce = staticmethod(ops.max)

    def __init__(self, data_format: str | None = None, keepdims: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(2, data_format=data_format, keepdims=keepdims, **kwargs)


class GlobalMaxPooling3D(BaseGlobalPooling):
    """Maximum over depth, height and width (Keras's ``GlobalMaxPooling3D``).

    Parameters
    ----------
    data_format : {None, "channels_last"}, optional
        ``"channels_first"`` raises an error explaining how to transpose the data.
    keepdims : bool, default False
        Keep the reduced axes with length 1.
    **kwargs
        Base-layer arguments.

    Notes
    -----
    Input ``(batch, depth, height, width, channels)``; output ``(batch, channels)``, or
    ``(batch, 1, 1, 1, channels)`` with ``keepdims=True``.

    Examples
    --------
    >>> import numpy as np
    >>> GlobalMaxPooling3D()(np.ones((2, 4, 4, 4, 3), dtype="float32")).shape
    (2, 3)
    """

    _reduce = staticmethod(ops.max)

    def __init__(self, data_format: str | None = None, keepdims: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(3, data_format=data_format, keepdims=keepdims, **kwargs)
