"""``BatchNormalization``: normalise each feature with batch statistics, then scale and shift.

While training, every feature (every channel, for images) is standardised with
the mean and the biased variance of the current batch, over all the other axes,
then scaled by ``gamma`` and shifted by ``beta`` (both learned)::

    output = gamma * (x - mean(x)) / sqrt(var(x) + epsilon) + beta

and running estimates of the statistics are kept for inference::

    moving_mean     = moving_mean * momentum     + mean(x) * (1 - momentum)
    moving_variance = moving_variance * momentum + var(x) * (1 - momentum)

At inference (``evaluate``, ``predict``, ``training=False``) the moving
statistics replace the batch's. As in Keras, a frozen layer
(``trainable=False``) always runs in inference mode, even while the rest of the
model trains. The moving statistics are non-trainable weights, so they are
saved with the model. The layer is one fused engine primitive
(:mod:`descend.autograd.ops.normalization`).

Examples
--------
>>> import numpy as np
>>> from descend.layers.normalization import BatchNormalization
>>> layer = BatchNormalization()
>>> x = np.array([[1.0, 10.0], [3.0, 30.0]], dtype="float32")
>>> layer(x, training=True).data.round(2)
array([[-1., -1.],
       [ 1.,  1.]], dtype=float32)
>>> layer.moving_mean.numpy().round(4)  # 0.99 * 0 + 0.01 * [2, 20]
array([0.02, 0.2 ], dtype=float32)
>>> [w.path.split("/")[-1] for w in layer.weights]
['gamma', 'beta', 'moving_mean', 'moving_variance']
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend import _distributed, constraints, initializers, regularizers
from descend.autograd import Tensor
from descend.autograd.ops import normalization as _norm
from descend.layers._spatial import describe
from descend.layers.layer import Layer

__all__ = ["BatchNormalization"]


class BatchNormalization(Layer):
    """Batch normalisation (Keras's ``BatchNormalization``).

    Parameters
    ----------
    axis : int or list of int, default -1
        The feature axis (the channels, for channels-last images): one ``gamma``,
        ``beta`` and pair of statistics per entry along it.
    momentum : float, default 0.99
        Weight of the old value in the moving averages (PyTorch's momentum is
        ``1 - momentum``).
    epsilon : float, default 1e-3
        Added to the variance before the square root.
    center : bool, default True
        Learn the offset ``beta``.
    scale : bool, default True
        Learn the scale ``gamma``.
    beta_initializer, gamma_initializer : str or Initializer, default "zeros", "ones"
    moving_mean_initializer, moving_variance_initializer : default "zeros", "ones"
    beta_regularizer, gamma_regularizer : optional
    beta_constraint, gamma_constraint : str, Constraint or callable, optional
        Applied to ``beta``/``gamma`` after each optimizer step.
    renorm : bool, default False
        Batch renormalisation is not supported (True raises an error).
    synchronized : bool, default False
        Accepted for compatibility. Under data-parallel training
        (:mod:`descend.distribution`) the statistics are always those of the
        whole global batch, as if ``synchronized=True`` (``docs/distributed.md``).
    **kwargs
        Base-layer arguments.

    Notes
    -----
    Weights, in Keras's order: ``gamma``, ``beta`` (trainable, shape
    ``(features,)``), ``moving_mean``, ``moving_variance`` (non-trainable).
    Training mode (batch statistics, moving-average update) applies only when
    ``training`` is true **and** the layer is trainable.
    """

    def __init__(
        self,
        axis: Any = -1,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        moving_mean_initializer: Any = "zeros",
        moving_variance_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        renorm: bool = False,
        renorm_clipping: Any = None,
        renorm_momentum: float = 0.99,
        synchronized: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        owner = describe(self)
        if renorm:
            raise ValueError(f"{owner}: renorm=True (batch renormalisation) is not supported.")
        if isinstance(axis, (list, tuple)):
            self.axis: int | list[int] = [int(a) for a in axis]
        elif isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
            self.axis = int(axis)
        else:
            raise TypeError(
                f"{owner}: `axis` must be an int or a list of ints, received axis={axis!r}."
            )
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) \
                or not 0 <= momentum <= 1:
            raise ValueError(
                f"{owner}: `momentum` must be a float in [0, 1] (Keras's default 0.99), "
                f"received momentum={momentum!r}."
            )
        if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float)) or epsilon <= 0:
            raise ValueError(
                f"{owner}: `epsilon` must be a positive float (default 1e-3), received "
                f"epsilon={epsilon!r}."
            )
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.synchronized = bool(synchronized)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.gamma: Any = None
        self.beta: Any = None
        self.moving_mean: Any = None
        self.moving_variance: Any = None
        self._ones: Tensor | None = None
        self._zeros: Tensor | None = None

    def _feature_shape(self, input_shape: tuple) -> tuple[int, ...]:
        ndim = len(input_shape)
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        shape = []
        for a in axes:
            if not -ndim <= a < ndim:
                raise ValueError(
                    f"{describe(self)}: axis {a} is out of range for an input of shape "
                    f"{tuple(input_shape)} ({ndim}-D)."
                )
            size = input_shape[a % ndim]
            if size is None:
                raise ValueError(
                    f"{describe(self)}: axis {a} of the input must have a known size, received "
                    f"input shape {tuple(input_shape)}."
                )
            shape.append(int(size))
        return tuple(shape)

    def build(self, input_shape: tuple) -> None:
        """Create ``gamma``, ``beta``, ``moving_mean`` and ``moving_variance`` (in that order)."""
        shape = self._feature_shape(tuple(input_shape))
        if self.scale:
            self.gamma = self.add_weight(shape=shape, initializer=self.gamma_initializer,
                                         name="gamma", regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint)
        else:
            self._ones = Tensor(np.ones(shape, self.dtype))
        if self.center:
            self.beta = self.add_weight(shape=shape, initializer=self.beta_initializer,
                                        name="beta", regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint)
        else:
            self._zeros = Tensor(np.zeros(shape, self.dtype))
        self.moving_mean = self.add_weight(shape=shape, initializer=self.moving_mean_initializer,
                                           name="moving_mean", trainable=False)
        self.moving_variance = self.add_weight(
            shape=shape, initializer=self.moving_variance_initializer, name="moving_variance",
            trainable=False)
        self.built = True

    def _check_input(self, inputs: Any) -> None:
        expected = self.moving_mean.shape
        if self._feature_shape(tuple(inputs.shape)) != expected:
            raise ValueError(
                f"Input 0 of layer '{self.name}' is incompatible with the layer: expected axis "
                f"{self.axis} of input shape to have size {expected}, but received input with "
                f"shape {tuple(inputs.shape)}."
            )

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        """Normalise with batch statistics (training) or the moving ones (inference)."""
        gamma = self.gamma if self.gamma is not None else self._ones
        beta = self.beta if self.beta is not None else self._zeros
        if training and self.trainable:
            replicas = _distributed.replicas()  # data-parallel: global-batch statistics
            synchronized = None if replicas is None else replicas.batch_norm
            if synchronized is None:
                mean, variance = _norm.moments(inputs, self.axis)
            else:
                mean, variance = synchronized.moments(inputs, self.axis)
            momentum = self.momentum
            self.moving_mean.assign(self.moving_mean.data * momentum + mean * (1 - momentum))
            self.moving_variance.assign(
                self.moving_variance.data * momentum + variance * (1 - momentum))
            return _norm.batch_norm(
                inputs, gamma, beta, mean, variance, axis=self.axis, epsilon=self.epsilon,
                batch_statistics=True,
                global_sums=None if synchronized is None else synchronized.global_sums)
        return _norm.batch_norm(inputs, gamma, beta, self.moving_mean.data,
                                self.moving_variance.data, axis=self.axis,
                                epsilon=self.epsilon)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """The input shape, unchanged."""
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, Keras's keys."""
        config = super().get_config()
        config.update(
            axis=self.axis,
            momentum=self.momentum,
            epsilon=self.epsilon,
            center=self.center,
            scale=self.scale,
            beta_initializer=initializers.serialize(self.beta_initializer),
            gamma_initializer=initializers.serialize(self.gamma_initializer),
            moving_mean_initializer=initializers.serialize(self.moving_mean_initializer),
            moving_variance_initializer=initializers.serialize(
                self.moving_variance_initializer),
            beta_regularizer=regularizers.serialize(self.beta_regularizer),
            gamma_regularizer=regularizers.serialize(self.gamma_regularizer),
            beta_constraint=constraints.serialize(self.beta_constraint),
            gamma_constraint=constraints.serialize(self.gamma_constraint),
            synchronized=self.synchronized,
        )
        return config
