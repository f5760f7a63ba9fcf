"""Activation layers: ``ReLU``, ``LeakyReLU``, ``PReLU``, ``ELU`` and ``Softmax``.

Each applies one activation function elementwise (``Softmax``: along an axis);
``PReLU`` learns its negative slope. They compose differentiable operations and
hold no backward pass of their own.

Examples
--------
>>> import numpy as np
>>> from descend.layers import ReLU, LeakyReLU
>>> ReLU(max_value=6.0)(np.array([[-1.0, 3.0, 9.0]], "float32")).data
array([[0., 3., 6.]], dtype=float32)
>>> LeakyReLU(negative_slope=0.5)(np.array([[-2.0, 2.0]], "float32")).data
array([[-1.,  2.]], dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend import activations, constraints, initializers, regularizers
from descend.autograd import Tensor, ops
from descend.layers._spatial import describe
from descend.layers.layer import Layer

__all__ = ["ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax"]


def _number(value: Any, owner: str, name: str, minimum: float | None = 0.0,
            allow_none: bool = False) -> float | None:
    """Validate a real-valued argument (``>= minimum``) and return it as a float."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or (
            minimum is not None and value < minimum):
        bound = "" if minimum is None else f" >= {minimum}"
        none = " or None" if allow_none else ""
        raise ValueError(
            f"{owner}: the `{name}` argument must be a number{bound}{none}, received "
            f"{name}={value!r}."
        )
    return float(value)


class ReLU(Layer):
    """Rectified linear unit, Keras's generalised form.

    ``f(x) = min(x, max_value)`` for ``x > threshold``, otherwise
    ``negative_slope * (x - threshold)``; with the defaults ``max(x, 0)``.

    Parameters
    ----------
    max_value : float or None, default None
        Saturation value (>= 0); None: unbounded.
    negative_slope : float, default 0.0
        Slope below the threshold (>= 0).
    threshold : float, default 0.0
        Values at or below it are damped (>= 0).
    **kwargs
        Base-layer arguments.

    Notes
    -----
    Input of any shape; output of the same shape.
    """

    #: Keras 3: the mask of the input passes through to the output
    supports_masking = True

    def __init__(self, max_value: float | None = None, negative_slope: float = 0.0,
                 threshold: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        owner = describe(self)
        self.max_value = _number(max_value, owner, "max_value", allow_none=True)
        self.negative_slope = _number(negative_slope, owner, "negative_slope")
        self.threshold = _number(threshold, owner, "threshold")

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        """The generalised ReLU of ``inputs``."""
        return activations.relu(inputs, negative_slope=self.negative_slope,
                                max_value=self.max_value, threshold=self.threshold)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """The input shape."""
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, Keras's keys."""
        config = super().get_config()
        config.update(max_value=self.max_value, negative_slope=self.negative_slope,
                      threshold=self.threshold)
        return config


class LeakyReLU(Layer):
    """Leaky rectified linear unit: ``f(x) = x`` for ``x >= 0``, else ``negative_slope * x``.

    Parameters
    ----------
    negative_slope : float, default 0.3
        Slope for negative inputs (>= 0). The deprecated Keras 2 name
        ``alpha`` is accepted.
    **kwargs
        Base-layer arguments.
    """

    #: Keras 3: the mask of the input passes through to the output
    supports_masking = True

    def __init__(self, negative_slope: float = 0.3, **kwargs: Any) -> None:
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        self.negative_slope = _number(negative_slope, describe(self), "negative_slope")

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        """``where(x >= 0, x, negative_slope * x)``."""
        return activations.leaky_relu(inputs, negative_slope=self.negative_slope)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """The input shape."""
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, Keras's keys."""
        config = super().get_config()
        config["negative_slope"] = self.negative_slope
        return config


class PReLU(Layer):
    """Parametric ReLU: ``f(x) = relu(x) - alpha * relu(-x)`` with a learned ``alpha``.

    Parameters
    ----------
    alpha_initializer : str or Initializer, default "Zeros"
    alpha_regularizer : optional
    alpha_constraint : optional
    shared_axes : int or list of int, optional
        Axes (1-based, counting the batch axis as 0) along which one slope is
        shared; e.g. ``[1, 2]`` for one slope per channel of an image.
    **kwargs
        Base-layer arguments.

    Notes
    -----
    Weight ``alpha`` has the shape of one sample, with 1 on each shared axis.
    """

    #: Keras 3: the mask of the input passes through to the output
    supports_masking = True

    def __init__(self, alpha_initializer: Any = "Zeros", alpha_regularizer: Any = None,
                 alpha_constraint: Any = None, shared_axes: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        else:
            axes = [shared_axes] if isinstance(shared_axes, (int, np.integer)) \
                else list(shared_axes)
            if not all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) and a >= 1
                       for a in axes):
                raise ValueError(
                    f"{describe(self)}: `shared_axes` must be an int or a list of ints >= 1 "
                    f"(axis 0 is the batch), received shared_axes={shared_axes!r}."
                )
            self.shared_axes = [int(a) for a in axes]
        self.alpha: Any = None

    def build(self, input_shape: tuple) -> None:
        """Create ``alpha`` of the shape of one sample, 1 on the shared axes."""
        shape = list(tuple(input_shape)[1:])
        for axis in self.shared_axes or ():
            if axis > len(shape):
                raise ValueError(
                    f"{describe(self)}: shared axis {axis} does not exist in input shape "
                    f"{tuple(input_shape)}."
                )
            shape[axis - 1] = 1
        if any(s is None for s in shape):
            raise ValueError(
                f"{describe(self)}: every non-shared axis must have a known size, received "
                f"input shape {tuple(input_shape)}; share the unknown axes with shared_axes."
            )
        self.alpha = self.add_weight(shape=tuple(shape), initializer=self.alpha_initializer,
                                     name="alpha", regularizer=self.alpha_regularizer,
                                     constraint=self.alpha_constraint)
        self.built = True

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        """``relu(x) - alpha * relu(-x)``."""
        return ops.relu(inputs) - self.alpha * ops.relu(-inputs)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """The input shape."""
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, Keras's keys."""
        config = super().get_config()
        config.update(
            alpha_initializer=initializers.serialize(self.alpha_initializer),
            alpha_regularizer=regularizers.serialize(self.alpha_regularizer),
            alpha_constraint=constraints.serialize(self.alpha_constraint),
            shared_axes=self.shared_axes,
        )
        return config


class ELU(Layer):
    """Exponential linear unit: ``f(x) = x`` for ``x > 0``, else ``alpha * (exp(x) - 1)``.

    Parameters
    ----------
    alpha : float, default 1.0
        Scale of the negative part.
    **kwargs
        Base-layer arguments.
    """

    #: Keras 3: the mask of the input passes through to the output
    supports_masking = True

    def __init__(self, alpha: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.alpha = _number(alpha, describe(self), "alpha", minimum=None)

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        """``elu(x, alpha)``."""
        return activations.elu(inputs, alpha=self.alpha)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """The input shape."""
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, Keras's keys."""
        config = super().get_config()
        config["alpha"] = self.alpha
        return config


class Softmax(Layer):
    """Softmax along ``axis``: ``exp(x) / sum(exp(x))``, optionally masked.

    Parameters
    ----------
    axis : int or tuple of int, default -1
        Axis (or axes) along which the outputs sum to 1.
    **kwargs
        Base-layer arguments.

    Notes
    -----
    ``call(inputs, mask=None)``: ``mask`` (broadcastable to ``inputs``; true,
    or > 0.5, to keep) replaces masked inputs by -1e9 before the softmax and
    sets the masked outputs to 0 after it (Keras's definition).

    Examples
    --------
    >>> import numpy as np
    >>> Softmax()(np.zeros((1, 4), "float32"), mask=np.array([[1, 1, 0, 0]])).data
    array([[0.5, 0.5, 0. , 0. ]], dtype=float32)
    """

    #: Keras 3: the mask of the input passes through to the output
    supports_masking = True

    def __init__(self, axis: Any = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            axis = tuple(int(a) for a in axis)
        elif isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
            axis = int(axis)
        else:
            raise ValueError(
                f"{describe(self)}: `axis` must be an int or a tuple of ints, received "
                f"axis={axis!r}."
            )
        self.axis = axis

    def call(self, inputs: Tensor, mask: Any = None, training: bool = False) -> Tensor:
        """Softmax of ``inputs`` along ``axis``; masked positions give 0."""
        keep = None
        if mask is not None:
            keep = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
            if keep.ndim > inputs.ndim or any(
                    m != 1 and m != i
                    for m, i in zip(keep.shape[::-1], inputs.shape[::-1], strict=False)):
                raise ValueError(
                    f"{describe(self)}: the `mask` must be broadcastable to `inputs`, "
                    f"received inputs.shape={inputs.shape} and mask.shape={keep.shape}."
                )
            keep = keep if keep.dtype == bool else keep > 0.5
            inputs = ops.where(keep, inputs, -1e9)
        if isinstance(self.axis, tuple) and len(self.axis) > 1:
            outputs = ops.exp(inputs - ops.logsumexp(inputs, axis=self.axis, keepdims=True))
        else:
            axis = self.axis[0] if isinstance(self.axis, tuple) else self.axis
            outputs = ops.softmax(inputs, axis=axis)
        if keep is not None:
            outputs = ops.where(keep, outputs, 0.0)
        return outputs

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """The input shape."""
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, Keras's keys."""
        config = super().get_config()
        config["axis"] = self.axis
        return config
