"""``LayerNormalization``: normalise each example over its feature axes (Ba et al., 2016).

For each example, over the axes in ``axis``:

    mean, var = mean(x), var(x)                     (population variance)
    y = (x - mean) / sqrt(var + epsilon) * gamma + beta

``center=False`` drops ``beta``, ``scale=False`` drops ``gamma``. With
``rms_scaling=True`` (Keras's flag) the output is ``x / sqrt(var + epsilon) * gamma``:
no centring and no ``beta`` (note: Keras divides by the variance, not by the mean
square). Unlike batch normalisation there are no moving statistics and training
and inference compute the same thing. The layer composes
:func:`descend.ops.layer_normalization`; the engine differentiates it.

Examples
--------
>>> import numpy as np
>>> layer = LayerNormalization()
>>> y = layer(np.array([[1.0, 2.0, 3.0]], "float32"))
>>> [round(float(v), 3) for v in y.data[0]]
[-1.224, 0.0, 1.224]
"""

from __future__ import annotations

from typing import Any

from descend import constraints, initializers, ops, regularizers
from descend.layers.layer import Layer

__all__ = ["LayerNormalization"]


class LayerNormalization(Layer):
    """Layer normalisation (see the module docstring for the formula).

    Parameters
    ----------
    axis : int or list of int, default -1
        Axes normalised (each example separately); the weights have their sizes.
    epsilon : float, default 1e-3
        Added to the variance.
    center : bool, default True
        Add the trainable offset ``beta`` (ignored with ``rms_scaling``).
    scale : bool, default True
        Multiply by the trainable ``gamma``.
    rms_scaling : bool, default False
        ``x / sqrt(var + epsilon) * gamma``: no centring, no ``beta``; ``gamma`` is
        created even with ``scale=False``.
    beta_initializer : default "zeros"
    gamma_initializer : default "ones"
    beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint : optional
    **kwargs
        Base-layer arguments.

    Notes
    -----
    Weights: ``gamma`` then ``beta``, each of shape ``[input_shape[a] for a in axis]``
    (sorted axes). Output shape = input shape.
    """

    #: Keras 3: the mask of the input passes through to the output
    supports_masking = True

    def __init__(self, axis: Any = -1, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, rms_scaling: bool = False,
                 beta_initializer: Any = "zeros", gamma_initializer: Any = "ones",
                 beta_regularizer: Any = None, gamma_regularizer: Any = None,
                 beta_constraint: Any = None, gamma_constraint: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            self.axis: Any = list(axis)
        elif isinstance(axis, int) and not isinstance(axis, bool):
            self.axis = axis
        else:
            raise TypeError(
                f"Layer '{self.name}' (LayerNormalization): expected an int or a list/tuple of "
                f"ints for the argument 'axis', but received: {axis!r}."
            )
        if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float)) or epsilon < 0:
            raise ValueError(f"Layer '{self.name}' (LayerNormalization): `epsilon` must be a "
                             f"non-negative float, received {epsilon!r}.")
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.rms_scaling = bool(rms_scaling)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.gamma: Any = None
        self.beta: Any = None
        self._axes: list[int] = []

    def _resolve_axes(self, rank: int) -> list[int]:
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        resolved = []
        for a in axes:
            if not -rank <= a < rank:
                raise ValueError(
                    f"Layer '{self.name}' (LayerNormalization): invalid axis {a} for an input "
                    f"of rank {rank}. Use an axis in [{-rank}, {rank - 1}]."
                )
            resolved.append(a % rank)
        if 0 in resolved:
            raise ValueError(f"Layer '{self.name}' (LayerNormalization): axis 0 (the batch axis) "
                             "cannot be normalised; use the feature axes (default -1).")
        return sorted(resolved)

    def build(self, input_shape: tuple) -> None:
        """Create ``gamma`` and ``beta`` of the normalised axes' shape."""
        input_shape = tuple(input_shape)
        self._axes = self._resolve_axes(len(input_shape))
        shape = tuple(input_shape[a] for a in self._axes)
        if any(s is None for s in shape):
            raise ValueError(f"Layer '{self.name}' (LayerNormalization): the normalised axes "
                             f"must have known sizes, received input shape {input_shape}.")
        self._input_rank = len(input_shape)
        self._norm_shape = shape
        if self.scale or self.rms_scaling:
            self.gamma = self.add_weight(name="gamma", shape=shape,
                                         initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint)
        if self.center and not self.rms_scaling:
            self.beta = self.add_weight(name="beta", shape=shape,
                                        initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint)
        self.built = True

    def _check_input(self, inputs: Any) -> None:
        shape = tuple(inputs.shape)
        if len(shape) != self._input_rank or \
                tuple(shape[a] for a in self._axes) != self._norm_shape:
            raise ValueError(
                f"Input 0 of layer '{self.name}' (LayerNormalization) is incompatible with the "
                f"layer: it was built for rank {self._input_rank} with sizes "
                f"{self._norm_shape} on axes {self._axes}, received shape {shape}."
            )

    def call(self, inputs: Any, training: bool = False) -> Any:
        """Normalise (see the module docstring)."""
        return ops.layer_normalization(inputs, self.gamma, self.beta, self._axes, self.epsilon,
                                       rms_scaling=self.rms_scaling)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """The input shape."""
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, Keras's keys."""
        config = super().get_config()
        config.update(
            axis=self.axis, epsilon=self.epsilon, center=self.center, scale=self.scale,
            rms_scaling=self.rms_scaling,
            beta_initializer=initializers.serialize(self.beta_initializer),
            gamma_initializer=initializers.serialize(self.gamma_initializer),
            beta_regularizer=regularizers.serialize(self.beta_regularizer),
            gamma_regularizer=regularizers.serialize(self.gamma_regularizer),
            beta_constraint=constraints.serialize(self.beta_constraint),
            gamma_constraint=constraints.serialize(self.gamma_constraint),
        )
        return config
