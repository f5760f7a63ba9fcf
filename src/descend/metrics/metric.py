"""The ``Metric`` protocol and the reduction metrics ``Mean``, ``Sum``, ``MeanMetricWrapper``.

Metrics work on NumPy arrays, never on the graph: they run after every batch
and must stay cheap. State is kept in Python floats (float64), so long epochs
accumulate without float32 rounding.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from descend import config
from descend.autograd import Tensor, Variable, no_grad
from descend.losses import squeeze_or_expand_to_same_rank


def to_snake_case(name: str) -> str:
    """Keras's class-name to snake-case rule (``"TopKCategoricalAccuracy"`` -> ``"top_k_..."``).

    Examples
    --------
    >>> to_snake_case("KLDivergence"), to_snake_case("RootMeanSquaredError")
    ('kl_divergence', 'root_mean_squared_error')
    """
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def as_array(x: Any) -> np.ndarray:
    """The NumPy data of a Tensor, or ``numpy.asarray(x)``.

    Examples
    --------
    >>> as_array([1, 2])
    array([1, 2])"""
    return x.data if isinstance(x, Tensor) else np.asarray(x)


class Metric:
    """Base class of metrics: accumulate with ``update_state``, read with ``result``.

    Two styles of subclass work:

    - Keras's: create the state in ``__init__`` with :meth:`add_variable`
      (or :meth:`add_weight`) after ``super().__init__()``, update it with
      ``variable.assign_add(...)``; the default :meth:`reset_state` sets every
      variable to zeros, as Keras does;
    - plain Python: keep the state in attributes that :meth:`reset_state`
      (called once by ``__init__`` and at the start of each epoch) creates.

    ``result()`` may return a float, a NumPy value, a Tensor or a Variable (a
    dict of them for several values); :func:`result_value` turns it into floats.

    Parameters
    ----------
    name : str, optional
        The log key; defaults to the class name in snake case.
    dtype : str, optional
        Float type of the values handed to the metric (default floatx).

    Attributes
    ----------
    variables : list of Variable
        The state created with :meth:`add_variable`, then that of metrics held
        in attributes.
    _direction : {"up", "down"} or None
        Whether larger values are better (used by ``mode="auto"`` callbacks).

    Examples
    --------
    >>> class Count(Metric):
    ...     def __init__(self, name="count", **kwargs):
    ...         super().__init__(name=name, **kwargs)
    ...         self.n = self.add_variable(shape=(), initializer="zeros", name="n")
    ...     def update_state(self, y_true, y_pred, sample_weight=None):
    ...         self.n.assign_add(len(y_true))
    ...     def result(self):
    ...         return self.n.value
    >>> m = Count()
    >>> m.update_state([1, 2], [1, 2]); m.name, float(m.result())
    ('count', 2.0)
    >>> m.reset_state(); float(m.result()), len(m.variables)
    (0.0, 1)
    """

    _direction: str | None = None

    def __init__(self, name: str | None = None, dtype: Any = None) -> None:
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}: name must be a string, received {name!r}.")
        self.name = name or to_snake_case(type(self).__name__)
        self.dtype = np.dtype(dtype or config.floatx()).name
        self._variables: list[Variable] = []
        try:
            self.reset_state()
        except AttributeError:
            # A Keras-style subclass's reset_state refers to variables that its own
            # __init__ creates after this call; they start at their initial values.
            if type(self).reset_state is Metric.reset_state:
                raise

    # ------------------------------------------------------------------ state
    def add_variable(self, shape: Any, initializer: Any, dtype: Any = None,
                     aggregation: str = "sum", name: str | None = None) -> Variable:
        """Create a state variable (non-trainable) tracked in :attr:`variables`.

        Parameters
        ----------
        shape : tuple of int
            ``()`` for a scalar count.
        initializer : str, Initializer or callable
            E.g. ``"zeros"``.
        dtype : dtype, optional
            Defaults to the metric's dtype.
        aggregation : str, default "sum"
            Keras's cross-replica rule; descend runs on one device.
        name : str, optional

        Returns
        -------
        Variable
        """
        if not hasattr(self, "_variables"):
            raise RuntimeError(
                f"{type(self).__name__}: call super().__init__() at the start of __init__ "
                "before creating variables."
            )
        if isinstance(shape, int):
            shape = (shape,)
        variable = Variable(initializer, shape=tuple(shape), dtype=dtype or self.dtype,
                            trainable=False, aggregation=aggregation, name=name)
        variable.path = f"{self.name}/{variable.name}"
        self._variables.append(variable)
        return variable

    def add_weight(self, shape: Any = (), initializer: Any = None, dtype: Any = None,
                   name: str | None = None) -> Variable:
        """Alias of :meth:`add_variable` (Keras's older name); ``initializer`` defaults to zeros."""
        return self.add_variable(shape=shape, initializer=initializer or "zeros", dtype=dtype,
                                 name=name)

    @property
    def variables(self) -> list[Variable]:
        """State variables: this metric's, then those of metrics held in its attributes."""
        out = list(getattr(self, "_variables", ()))
        for value in vars(self).values():
            if isinstance(value, Metric) and value is not self:
                out.extend(value.variables)
        return out

    def reset_state(self) -> None:
        """Forget everything accumulated (called at the start of each epoch).

        By default every variable of :attr:`variables` is set to zeros, as in Keras.
        """
        for variable in self.variables:
            variable.assign(np.zeros(variable.shape, dtype=variable.dtype))

    def update_state(self, *args: Any, **kwargs: Any) -> None:
        """Accumulate one batch (subclasses implement this)."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_state.")

    def result(self) -> Any:
        """Return the current value (subclasses implement this)."""
        raise NotImplementedError(f"{type(self).__name__} must implement result.")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Update with one batch and return the result."""
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments as a JSON-serialisable dict."""
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Metric:
        """Create a metric from :meth:`get_config` output."""
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


def result_value(result: Any, name: str = "metric") -> float | dict[str, float]:
    """A metric result as a Python float (a dict of floats for a dict result).

    Accepts floats, NumPy scalars and one-element arrays, Tensors and Variables.

    Raises
    ------
    ValueError
        If the result has more than one element.

    Examples
    --------
    >>> result_value(np.float32(0.5)), result_value({"a": Tensor(2.0)})
    (0.5, {'a': 2.0})
    """
    if isinstance(result, Mapping):
        return {key: result_value(value, f"{name}[{key!r}]") for key, value in result.items()}
    array = np.asarray(as_array(result))
    if array.size != 1:
        raise ValueError(
            f"Metric {name!r}: result() must return a scalar (or a dict of scalars), received "
            f"a value of shape {array.shape}. Reduce it, e.g. with ops.mean."
        )
    return float(array.reshape(()))


def reduce_to_samplewise_values(
    values: np.ndarray, sample_weight: Any, dtype: Any
) -> tuple[np.ndarray, np.ndarray | None]:
    """Keras's weighting rule for ``Mean``: average values down to the weights' rank.

    Returns the per-sample weighted values (shape (N,) or scalar) and the
    weights reduced alike (or None).

    Examples
    --------
    >>> values, weights = reduce_to_samplewise_values(np.ones((2, 3)), [1.0, 2.0], None)
    >>> values.tolist(), weights.tolist()
    ([1.0, 2.0], [1.0, 2.0])
    """
    values = np.asarray(values, dtype=np.float64)
    weights = None
    if sample_weight is not None:
        weights = np.asarray(as_array(sample_weight), dtype=np.float64)
        values, weights = squeeze_or_expand_to_same_rank(values, weights)
        if values.ndim > weights.ndim:
            values = values.mean(axis=tuple(range(weights.ndim, values.ndim)))
        try:
            weights = np.broadcast_to(weights, values.shape)
        except ValueError:
            raise ValueError(
                f"sample_weight of shape {np.shape(sample_weight)} does not match values of "
                f"shape {values.shape}. Pass one weight per sample."
            ) from None
        values = values * weights
        if weights.ndim > 1:
            weights = weights.mean(axis=tuple(range(1, weights.ndim)))
    if values.ndim > 1:
        values = values.mean(axis=tuple(range(1, values.ndim)))
    return values, weights


class Mean(Metric):
    """The (weighted) mean of the values given to ``update_state``.

    ``result = sum(w * v) / sum(w)``; values with several axes are first
    averaged per sample. The training loop tracks the loss with
    ``Mean(name="loss")`` and ``sample_weight = batch size``.

    Parameters
    ----------
    name : str, default "mean"
    dtype : str, optional

    Examples
    --------
    >>> m = Mean()
    >>> m.update_state(0.5, sample_weight=32); m.update_state(1.0, sample_weight=8)
    >>> m.result()
    0.6
    """

    def reset_state(self) -> None:
        self.total = 0.0
        self.count = 0.0

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        """Add ``values`` (a scalar or an array, first axis = samples) with optional weights."""
        # fast paths for what the training loop sends every batch
        if type(values) is float and type(sample_weight) in (int, float):
            self.total += values * sample_weight
            self.count += sample_weight
            return
        if sample_weight is None and type(values) is np.ndarray and values.ndim == 1:
            self.total += float(np.add.reduce(values, dtype=np.float64))
            self.count += values.shape[0]
            return
        values, weights = reduce_to_samplewise_values(as_array(values), sample_weight,
                                                      self.dtype)
        self.total += float(np.sum(values))
        if weights is not None:
            self.count += float(np.sum(weights))
        else:
            self.count += float(values.shape[0]) if values.ndim else 1.0

    def result(self) -> float:
        return self.total / self.count if self.count else 0.0


class Sum(Metric):
    """The (weighted) sum of the values given to ``update_state``.

    Parameters
    ----------
    name : str, default "sum"
    dtype : str, optional

    Examples
    --------
    >>> s = Sum()
    >>> s.update_state([1.0, 2.0]); s.update_state(3.0)
    >>> s.result()
    6.0
    """

    def reset_state(self) -> None:
        self.total = 0.0

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        """Add ``values`` (optionally weighted) to the total."""
        values = np.asarray(as_array(values), dtype=np.float64)
        if sample_weight is not None:
            weights = np.asarray(as_array(sample_weight), dtype=np.float64)
            values, weights = squeeze_or_expand_to_same_rank(values, weights)
            if weights.ndim < values.ndim:
                weights = weights.reshape(weights.shape + (1,) * (values.ndim - weights.ndim))
            values = values * weights
        self.total += float(np.sum(values))

    def result(self) -> float:
        return self.total


def _output_mask(y_pred: Any) -> np.ndarray | None:
    if not isinstance(y_pred, Tensor):
        return None
    from descend.layers._masks import get_mask  # the layers package imports metrics

    mask = get_mask(y_pred)
    return None if isinstance(mask, list) else mask


def masked_sample_weight(sample_weight: Any, mask: Any) -> np.ndarray:
    """Keras's ``apply_mask(..., reduction="sum")`` for metrics: weights times the mask.

    A metric that averages per-entry values (every :class:`MeanMetricWrapper`:
    accuracies, ``mae``, ...) then averages over the unmasked entries only. One
    weight per sample (shape ``(batch,)``) for a mask ``(batch, steps)`` weights
    each of its steps.

    Parameters
    ----------
    sample_weight : array_like or None
    mask : ndarray of bool, e.g. shape (batch, steps)

    Returns
    -------
    ndarray of float64

    Examples
    --------
    >>> masked_sample_weight([2.0, 1.0], np.array([[True, False], [True, True]])).tolist()
    [[2.0, 0.0], [1.0, 1.0]]
    """
    from descend.losses.loss import apply_mask

    weights = None if sample_weight is None else np.asarray(as_array(sample_weight),
                                                            dtype=np.float64)
    return apply_mask(weights, np.asarray(mask), "sum")


class MeanMetricWrapper(Mean):
    """The mean of ``fn(y_true, y_pred, **kwargs)`` over all samples seen.

    ``fn`` returns per-sample values as a NumPy array or a Tensor (loss
    functions are evaluated without recording a graph). Labels and predictions
    first go through Keras's rank fix-up.

    Parameters
    ----------
    fn : callable
        ``fn(y_true, y_pred, **kwargs) -> values`` of shape (N,) or (N, ...).
    name : str, optional
        Defaults to ``fn.__name__``.
    dtype : str, optional
    **kwargs
        Passed to ``fn``.

    Examples
    --------
    >>> import numpy as np
    >>> def within_one(y_true, y_pred):
    ...     return (np.abs(y_true - y_pred) <= 1).astype("float32")
    >>> m = MeanMetricWrapper(within_one)
    >>> m.update_state(np.array([1.0, 5.0]), np.array([1.5, 2.0]))
    >>> m.name, m.result()
    ('within_one', 0.5)
    """

    def __init__(self, fn: Callable[..., Any], name: str | None = None, dtype: Any = None,
                 **kwargs: Any) -> None:
        if not callable(fn):
            raise TypeError(
                f"MeanMetricWrapper: fn must be a function of (y_true, y_pred), received {fn!r}."
            )
        self._fn = fn
        self._fn_kwargs = kwargs
        super().__init__(name=name or getattr(fn, "__name__", None), dtype=dtype)
        from descend import losses

        if self._direction is None and fn in losses.FUNCTIONS:
            self._direction = "down"

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Evaluate ``fn`` on one batch and add its per-sample values to the mean.

        As in Keras, a mask that travels with ``y_pred`` (a model output fed by
        ``Embedding(mask_zero=True)``) leaves the masked entries out
        (:func:`masked_sample_weight`).
        """
        mask = _output_mask(y_pred)
        if mask is not None:
            sample_weight = masked_sample_weight(sample_weight, mask)
        y_true, y_pred = squeeze_or_expand_to_same_rank(as_array(y_true), as_array(y_pred))
        with no_grad():
            values = self._fn(y_true, y_pred, **self._fn_kwargs)
        super().update_state(as_array(values), sample_weight=sample_weight)

    def get_config(self) -> dict[str, Any]:
        out = super().get_config()
        if type(self) is MeanMetricWrapper:
            from descend import metrics

            # a name, or {"class_name": "function", ...} for a registered custom function
            out["fn"] = metrics.serialize(self._fn)
        out.update(self._fn_kwargs)
        return out

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Metric:
        config = dict(config)
        if cls is MeanMetricWrapper:
            return cls(_resolve_function(config.pop("fn", None)), **config)
        return cls(**config)


def _builtin_functions() -> dict[str, Callable[..., Any]]:
    """descend's metric and loss functions by name: what a saved ``fn`` may name."""
    from descend import losses
    from descend.metrics import accuracy_metrics, regression_metrics

    table: dict[str, Callable[..., Any]] = {fn.__name__: fn for fn in losses.FUNCTIONS}
    for alias in ("bce", "BCE", "kld", "KLD", "mae", "MAE", "mape", "MAPE", "mse", "MSE",
                  "msle", "MSLE", "logcosh"):
        table[alias] = getattr(losses, alias)
    for fn in (accuracy_metrics.accuracy, accuracy_metrics.binary_accuracy,
               accuracy_metrics.categorical_accuracy,
               accuracy_metrics.sparse_categorical_accuracy,
               accuracy_metrics.top_k_categorical_accuracy,
               accuracy_metrics.sparse_top_k_categorical_accuracy,
               regression_metrics.cosine_similarity):
        table[fn.__name__] = fn
    return table


def _resolve_function(spec: Any) -> Callable[..., Any]:
    """The function a saved ``MeanMetricWrapper`` config names.

    Only custom objects (explicit, scoped or registered) and descend's own metric
    and loss functions can be named; never an arbitrary attribute of a module.
    """
    from descend.registry.object_registration import resolve_config, retrieve_object

    kind = "metric function"
    if isinstance(spec, str):
        fn = retrieve_object(kind, spec, _builtin_functions())
    elif isinstance(spec, Mapping):
        fn, args = resolve_config(kind, spec, _builtin_functions())
        if isinstance(fn, type):
            fn = fn.from_config(args or {}) if hasattr(fn, "from_config") else fn(**(args or {}))
    else:
        raise ValueError(
            "MeanMetricWrapper.from_config: expected 'fn' to be a metric or loss function name "
            f"or a function config {{'class_name': 'function', ...}}, received fn={spec!r}."
        )
    if not callable(fn):
        raise TypeError(f"MeanMetricWrapper.from_config: fn={spec!r} names {fn!r}, which is "
                        "not a function of (y_true, y_pred).")
    return fn
