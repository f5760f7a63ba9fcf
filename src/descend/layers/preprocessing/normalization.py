"""``Normalization``: standardise features with a mean and variance fixed before training.

``output = (inputs - mean) / max(sqrt(variance), epsilon)`` (``epsilon`` is
``descend.config.epsilon()``, 1e-7), or with ``invert=True`` the inverse
``mean + inputs * max(sqrt(variance), epsilon)``. The statistics are either given
(``mean=``, ``variance=``; then they are stored in the layer's config) or computed by
:meth:`Normalization.adapt` from data (then they are the layer's non-trainable weights
``mean``, ``variance`` and ``count``, saved in the model file with the other weights). They
never change during ``fit``. ``axis`` names the axes that keep their own statistics (default
the last, i.e. one mean per feature); the other axes are reduced over.

Examples
--------
>>> import numpy as np
>>> from descend.layers import Normalization
>>> layer = Normalization()
>>> layer.adapt(np.array([[1.0, 10.0], [3.0, 30.0]]))
>>> layer.mean.data, layer.variance.data
(array([ 2., 20.], dtype=float32), array([  1., 100.], dtype=float32))
>>> layer(np.array([[2.0, 30.0]])).data
array([[0., 1.]], dtype=float32)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from descend import config as _config
from descend.autograd import Tensor
from descend.autograd import ops as E
from descend.layers.layer import Layer
from descend.layers.preprocessing._base import bad_value


def _axis_tuple(layer: Layer, axis: Any) -> tuple[int, ...]:
    if axis is None:
        return ()
    if isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
        return (int(axis),)
    if isinstance(axis, (list, tuple)) and all(
            isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axis):
        return tuple(int(a) for a in axis)
    raise bad_value(layer, "axis", "an int, a tuple of ints or None", axis)


def _batches(data: Any) -> Iterable[np.ndarray]:
    if isinstance(data, Tensor):
        return [data.data]
    if isinstance(data, np.ndarray):
        return [data]
    if isinstance(data, (list, tuple)) and data and all(
            isinstance(b, (np.ndarray, Tensor)) for b in data):
        return [b.data if isinstance(b, Tensor) else b for b in data]
    if isinstance(data, (list, tuple)):
        return [np.asarray(data)]
    if hasattr(data, "__iter__"):
        return (b[0] if isinstance(b, tuple) else b for b in data)
    raise TypeError(f"Normalization.adapt: expected a NumPy array, a Tensor or an iterable of "
                    f"batches, received {type(data).__name__}.")


class Normalization(Layer):
    """Feature-wise standardisation with fixed statistics.

    Parameters
    ----------
    axis : int, tuple of int or None, default -1
        Axes with their own mean and variance; ``None`` means one scalar mean and variance.
    mean, variance : float or array-like, optional
        The statistics, broadcast to the kept axes. Give both or neither (then call
        :meth:`adapt` before use).
    invert : bool, default False
        Apply the inverse transformation (undo a normalisation).
    **kwargs
        Base-layer arguments.

    Attributes
    ----------
    mean, variance : Variable or ndarray
        After build: the statistics shaped to broadcast against the input.
    """

    #: Keras 3: the mask of the input passes through to the output
    supports_masking = True

    def __init__(self, axis: Any = -1, mean: Any = None, variance: Any = None,
                 invert: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = _axis_tuple(self, axis)
        if (mean is None) != (variance is None):
            raise bad_value(self, "mean" if mean is None else "variance",
                            "both `mean` and `variance`, or neither (then call adapt())",
                            None, "Pass the missing statistic too.")
        self.input_mean = mean
        self.input_variance = variance
        self.invert = bool(invert)
        self.mean: Any = None
        self.variance: Any = None

    # ---------------------------------------------------------------- shapes
    def _keep_axes(self, input_shape: tuple) -> tuple[int, ...]:
        ndim = len(input_shape)
        for a in self.axis:
            if not -ndim <= a < ndim:
                raise bad_value(self, "axis", f"axes in [-{ndim}, {ndim}) for inputs of shape "
                                f"{tuple(input_shape)}", self.axis)
        keep = tuple(sorted(a % ndim for a in self.axis))
        for a in keep:
            if input_shape[a] is None:
                raise bad_value(self, "axis", "axes whose size is known", self.axis,
                                f"Input shape {tuple(input_shape)} has axis {a} unknown.")
        return keep

    def build(self, input_shape: tuple) -> None:
        """Create the statistics for inputs of ``input_shape``."""
        input_shape = tuple(input_shape)
        self._keep = self._keep_axes(input_shape)
        ndim = len(input_shape)
        self._broadcast_shape = tuple(input_shape[d] if d in self._keep else 1
                                      for d in range(ndim))
        stats_shape = tuple(input_shape[d] for d in self._keep)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(shape=stats_shape, initializer="zeros",
                                              name="mean", trainable=False)
            self.adapt_variance = self.add_weight(shape=stats_shape, initializer="ones",
                                                  name="variance", trainable=False)
            self.count = self.add_weight(shape=(), initializer="zeros", name="count",
                                         trainable=False, dtype="int64")
            self.mean, self.variance = self.adapt_mean, self.adapt_variance
        else:
            self.mean = self._broadcast_stat("mean", self.input_mean)
            self.variance = self._broadcast_stat("variance", self.input_variance)
        self.built = True
        self._build_shape = input_shape

    def _broadcast_stat(self, argument: str, value: Any) -> np.ndarray:
        array = np.asarray(value, dtype=np.dtype(self.dtype))
        if array.ndim == 0:
            return np.broadcast_to(array, self._broadcast_shape).copy()
        expanded = [1] * len(self._broadcast_shape)
        if array.ndim > len(self._keep):
            raise bad_value(self, argument, f"a scalar or an array of shape "
                            f"{tuple(self._broadcast_shape[d] for d in self._keep)}",
                            array.shape)
        for i in range(1, array.ndim + 1):
            expanded[self._keep[-i]] = array.shape[-i]
        try:
            return np.broadcast_to(array.reshape(expanded), self._broadcast_shape).copy()
        except ValueError:
            raise bad_value(self, argument, f"values that broadcast to the kept axes "
                            f"{tuple(self._broadcast_shape[d] for d in self._keep)}",
                            array.shape) from None

    # ----------------------------------------------------------------- adapt
    def adapt(self, data: Any) -> None:
        """Compute the mean and variance of ``data`` (an array, or an iterable of batches).

        The variance is the population variance (divided by the count, not count - 1).
        """
        if self.input_mean is not None:
            raise ValueError(f"Layer '{self.name}' (Normalization) was given `mean` and "
                             "`variance`; adapt() would overwrite them. Create the layer "
                             "without them to compute the statistics from data.")
        total = 0
        mean_acc: np.ndarray | None = None
        m2_acc: np.ndarray | None = None
        for batch in _batches(data):
            batch = np.asarray(batch, dtype=np.float64)
            if not self.built:
                self.build(batch.shape)
            elif batch.ndim != len(self._broadcast_shape) or any(
                    batch.shape[d] != self._broadcast_shape[d] for d in self._keep):
                raise ValueError(
                    f"Layer '{self.name}' (Normalization) was built for inputs of shape "
                    f"{self._build_shape}, but adapt() received data of shape {batch.shape}.")
            reduce = tuple(d for d in range(batch.ndim) if d not in self._keep)
            n = int(np.prod([batch.shape[d] for d in reduce])) if reduce else 1
            b_mean = batch.mean(axis=reduce) if reduce else batch
            b_m2 = ((batch - batch.mean(axis=reduce, keepdims=True)) ** 2).sum(axis=reduce) \
                if reduce else np.zeros_like(batch)
            if mean_acc is None:
                mean_acc, m2_acc, total = b_mean, b_m2, n
            else:  # Chan et al.'s parallel update
                delta = b_mean - mean_acc
                new_total = total + n
                mean_acc = mean_acc + delta * n / new_total
                m2_acc = m2_acc + b_m2 + delta ** 2 * total * n / new_total
                total = new_total
        if mean_acc is None:
            raise ValueError(f"Layer '{self.name}' (Normalization): adapt() received no data.")
        self.adapt_mean.assign(np.asarray(mean_acc, dtype=self.adapt_mean.dtype))
        self.adapt_variance.assign(np.asarray(m2_acc / total, dtype=self.adapt_variance.dtype))
        self.count.assign(np.asarray(total, dtype=np.int64))

    # ------------------------------------------------------------------ call
    def _stats(self) -> tuple[Tensor, Tensor]:
        mean, variance = self.mean, self.variance
        if not isinstance(mean, np.ndarray):
            mean = np.reshape(mean.numpy(), self._broadcast_shape)
            variance = np.reshape(variance.numpy(), self._broadcast_shape)
        std = np.maximum(np.sqrt(variance), _config.epsilon()).astype(self.dtype)
        return Tensor(mean.astype(self.dtype)), Tensor(std)

    def call(self, inputs: Tensor) -> Tensor:
        """Standardise (or, with ``invert``, de-standardise) ``inputs``."""
        mean, std = self._stats()
        x = inputs if inputs.dtype == np.dtype(self.dtype) else E.cast(inputs, self.dtype)
        if self.invert:
            return E.add(mean, E.mul(x, std))
        return E.div(E.sub(x, mean), std)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """The input shape."""
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Base keys plus ``axis``, ``invert``, ``mean`` and ``variance`` (given ones only)."""
        config = super().get_config()
        config.update(
            axis=self.axis,
            invert=self.invert,
            mean=None if self.input_mean is None else np.asarray(self.input_mean).tolist(),
            variance=None if self.input_variance is None
            else np.asarray(self.input_variance).tolist(),
        )
        return config
