"""Weight constraints with Keras names: MaxNorm, MinMaxNorm, NonNeg and UnitNorm.

A constraint is a function of a weight's value, applied by the training step
right after each optimizer update: ``weight <- constraint(weight)``. It works
on NumPy arrays (it is not part of the graph, so it has no gradient) and keeps
the array's shape and dtype. Layers take them as ``kernel_constraint=`` /
``bias_constraint=`` (``beta_constraint=`` / ``gamma_constraint=`` for
``BatchNormalization``).

The norms are Euclidean norms along ``axis`` (for a ``Dense`` kernel of shape
``(input_dim, units)``, ``axis=0`` constrains each unit's incoming weight
vector; for a ``Conv2D`` kernel ``(rows, cols, channels, filters)`` use
``axis=[0, 1, 2]``). As in Keras, ``epsilon = 1e-7`` guards the divisions.

Examples
--------
>>> import numpy as np
>>> from descend import constraints
>>> w = np.array([[3.0, 0.1], [4.0, 0.0]])  # column norms 5 and 0.1
>>> constraints.get("max_norm")(w).round(4)  # max_value=2: the first column is rescaled
array([[1.2, 0.1],
       [1.6, 0. ]])
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from descend.registry import Family

__all__ = [
    "Constraint", "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm", "deserialize", "get",
    "max_norm", "min_max_norm", "non_neg", "serialize", "unit_norm",
]

#: Keras's ``backend.epsilon()``, added to the norms before dividing.
EPSILON = 1e-7


def _number(value: Any, name: str, owner: str, low: float = 0.0,
            high: float = math.inf) -> float:
    """Validate a finite float in ``[low, high]``."""
    if (isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating))
            or not math.isfinite(value) or not low <= value <= high):
        bounds = f"in [{low:g}, {high:g}]" if math.isfinite(high) else f">= {low:g}"
        raise ValueError(f"{owner}: invalid value for argument `{name}`: expected a finite "
                         f"number {bounds}, received {name}={value!r}.")
    return float(value)


def _axis(value: Any, owner: str) -> int | tuple[int, ...]:
    """Validate ``axis``: an int or a non-empty list/tuple of ints."""
    def is_int(a: Any) -> bool:
        return isinstance(a, (int, np.integer)) and not isinstance(a, bool)

    if is_int(value):
        return int(value)
    if isinstance(value, (list, tuple)) and value and all(is_int(a) for a in value):
        return tuple(int(a) for a in value)
    raise TypeError(f"{owner}: `axis` must be an int or a list of ints (the axes along which "
                    f"the norms are computed), received axis={value!r}.")


def _norms(w: np.ndarray, axis: int | tuple[int, ...], owner: str) -> np.ndarray:
    """``sqrt(sum(w**2, axis, keepdims=True))``, with a clear error for a bad axis."""
    try:
        return np.sqrt(np.sum(np.square(w), axis=axis, keepdims=True))
    except ValueError as exc:  # numpy's AxisError
        raise ValueError(f"{owner}: axis={axis!r} is out of range for a weight of shape "
                         f"{w.shape}; pass an axis between {-w.ndim} and {w.ndim - 1}.") from exc


def _config_axis(axis: int | tuple[int, ...]) -> int | list[int]:
    return list(axis) if isinstance(axis, tuple) else axis


class Constraint:
    """Base class: ``__call__(w) -> w`` (the identity) plus a config round trip.

    Subclass it and implement ``__call__(w: ndarray) -> ndarray`` (same shape)
    and ``get_config`` to make a custom constraint that can be saved.

    Examples
    --------
    >>> import numpy as np
    >>> class Clip(Constraint):
    ...     def __init__(self, limit=1.0):
    ...         self.limit = limit
    ...     def __call__(self, w):
    ...         return np.clip(w, -self.limit, self.limit)
    ...     def get_config(self):
    ...         return {"limit": self.limit}
    >>> Clip(0.5)(np.array([-2.0, 0.25]))
    array([-0.5 ,  0.25])
    >>> Clip.from_config(Clip(0.5).get_config()).limit
    0.5
    """

    def __call__(self, w: np.ndarray) -> np.ndarray:
        return w

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments as a JSON-serialisable dict."""
        return {}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Constraint:
        """Create a constraint from :meth:`get_config` output."""
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class MaxNorm(Constraint):
    """Rescale the weight vectors whose norm exceeds ``max_value``.

    ``w * clip(n, 0, max_value) / (epsilon + n)`` with
    ``n = sqrt(sum(w**2, axis, keepdims=True))`` and ``epsilon = 1e-7``.

    Parameters
    ----------
    max_value : float, default 2
        Largest norm allowed (>= 0).
    axis : int or list of int, default 0
        Axis (axes) along which the norms are computed.

    Examples
    --------
    >>> import numpy as np
    >>> MaxNorm(1.0)(np.array([[3.0], [4.0]])).round(4)
    array([[0.6],
           [0.8]])
    """

    def __init__(self, max_value: float = 2, axis: int | list[int] = 0) -> None:
        self.max_value = _number(max_value, "max_value", "MaxNorm")
        self.axis = _axis(axis, "MaxNorm")

    def __call__(self, w: np.ndarray) -> np.ndarray:
        w = np.asarray(w)
        norms = _norms(w, self.axis, "MaxNorm")
        desired = np.clip(norms, 0, self.max_value)
        return w * (desired / (EPSILON + norms))

    def get_config(self) -> dict[str, Any]:
        return {"max_value": self.max_value, "axis": _config_axis(self.axis)}


class MinMaxNorm(Constraint):
    """Move the norm of each weight vector into ``[min_value, max_value]``.

    ``w * d / (epsilon + n)`` with ``n = sqrt(sum(w**2, axis, keepdims=True))``
    and ``d = rate * clip(n, min_value, max_value) + (1 - rate) * n``;
    ``rate=1`` enforces the bounds at once, a smaller rate moves towards them.

    Parameters
    ----------
    min_value : float, default 0.0
        Smallest norm (>= 0).
    max_value : float, default 1.0
        Largest norm (>= min_value).
    rate : float, default 1.0
        Strength of the rescaling, in [0, 1].
    axis : int or list of int, default 0
        Axis (axes) along which the norms are computed.

    Examples
    --------
    >>> import numpy as np
    >>> MinMaxNorm(min_value=1.0, max_value=2.0)(np.array([[0.3], [0.4]])).round(4)
    array([[0.6],
           [0.8]])
    """

    def __init__(self, min_value: float = 0.0, max_value: float = 1.0, rate: float = 1.0,
                 axis: int | list[int] = 0) -> None:
        self.min_value = _number(min_value, "min_value", "MinMaxNorm")
        self.max_value = _number(max_value, "max_value", "MinMaxNorm")
        if self.max_value < self.min_value:
            raise ValueError(f"MinMaxNorm: max_value must be >= min_value, received "
                             f"min_value={min_value!r} and max_value={max_value!r}.")
        self.rate = _number(rate, "rate", "MinMaxNorm", 0.0, 1.0)
        self.axis = _axis(axis, "MinMaxNorm")

    def __call__(self, w: np.ndarray) -> np.ndarray:
        w = np.asarray(w)
        norms = _norms(w, self.axis, "MinMaxNorm")
        desired = (self.rate * np.clip(norms, self.min_value, self.max_value)
                   + (1 - self.rate) * norms)
        return w * (desired / (EPSILON + norms))

    def get_config(self) -> dict[str, Any]:
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": _config_axis(self.axis)}


class NonNeg(Constraint):
    """Zero the negative entries: ``w * (w >= 0)``.

    Examples
    --------
    >>> import numpy as np
    >>> NonNeg()(np.array([-1.5, 0.0, 2.0]))
    array([-0.,  0.,  2.])
    """

    def __call__(self, w: np.ndarray) -> np.ndarray:
        w = np.asarray(w)
        return w * (w >= 0).astype(w.dtype)


class UnitNorm(Constraint):
    """Rescale each weight vector to norm 1: ``w / (epsilon + sqrt(sum(w**2, axis)))``.

    Parameters
    ----------
    axis : int or list of int, default 0
        Axis (axes) along which the norms are computed.

    Examples
    --------
    >>> import numpy as np
    >>> UnitNorm(axis=1)(np.array([[3.0, 4.0]])).round(4)
    array([[0.6, 0.8]])
    """

    def __init__(self, axis: int | list[int] = 0) -> None:
        self.axis = _axis(axis, "UnitNorm")

    def __call__(self, w: np.ndarray) -> np.ndarray:
        w = np.asarray(w)
        return w / (EPSILON + _norms(w, self.axis, "UnitNorm"))

    def get_config(self) -> dict[str, Any]:
        return {"axis": _config_axis(self.axis)}


# Keras's lower-case names for the classes (``constraints.max_norm(3)``).
max_norm = MaxNorm
min_max_norm = MinMaxNorm
non_neg = NonNeg
unit_norm = UnitNorm

_CLASSES = (Constraint, MaxNorm, MinMaxNorm, NonNeg, UnitNorm)
_TABLE: dict[str, Any] = {cls.__name__: cls for cls in _CLASSES}
_TABLE.update({"constraint": Constraint, "max_norm": MaxNorm, "min_max_norm": MinMaxNorm,
               "non_neg": NonNeg, "unit_norm": UnitNorm})
_HELP = ("Pass 'max_norm', 'min_max_norm', 'non_neg', 'unit_norm', a config dict, a Constraint "
         "or a function of the weight array.")
_FAMILY = Family(
    "constraint", _TABLE, Constraint, module="keras.constraints", hint=_HELP,
    cannot_name="use a named function or subclass descend.constraints.Constraint and "
                "implement get_config.",
)


def serialize(constraint: Constraint | Callable[..., Any] | None) -> Any:
    """Return a Keras-style config for a constraint (None stays None).

    Parameters
    ----------
    constraint : Constraint, callable or None

    Returns
    -------
    dict, str or None
        ``{"module", "class_name", "config", "registered_name"}`` for a
        :class:`Constraint` (``registered_name`` is None for descend's own
        classes, :func:`~descend.saving.get_registered_name` of a custom one);
        Keras's ``{"class_name": "function", ...}`` for a function registered
        with :func:`~descend.saving.register_keras_serializable`; another named
        function gives its ``__name__``.

    Raises
    ------
    ValueError
        For a lambda or an object that cannot be named.

    Examples
    --------
    >>> serialize(MaxNorm(3.0))["config"]
    {'max_value': 3.0, 'axis': 0}
    """
    return _FAMILY.serialize(constraint)


def deserialize(config: str | Mapping[str, Any],
                custom_objects: Mapping[str, Any] | None = None
                ) -> Constraint | Callable[..., Any]:
    """Build a constraint from a name or from a config dict made by :func:`serialize`.

    Parameters
    ----------
    config : str or dict
        ``"max_norm"``, ``"NonNeg"``..., a registered name (``"Custom>Clip"``),
        or ``{"class_name": ..., "config": {...}}``.
    custom_objects : dict, optional
        Extra ``name -> class or function`` entries. Names are searched in
        ``custom_objects``, then the active
        :func:`~descend.saving.custom_object_scope` s, then the registered
        objects, then the built-ins.

    Returns
    -------
    Constraint or callable
        A class name gives an instance (default arguments for a bare name).

    Raises
    ------
    ValueError
        For an unknown name (the closest names are suggested).
    TypeError
        For anything else than a string or a config dict.

    Examples
    --------
    >>> deserialize({"class_name": "MaxNorm", "config": {"max_value": 3, "axis": 0}}).max_value
    3.0
    >>> type(deserialize("unit_norm")).__name__
    'UnitNorm'
    """
    return _FAMILY.deserialize(config, custom_objects)


def get(identifier: Any) -> Constraint | Callable[..., Any] | None:
    """Resolve a constraint identifier (Keras's ``constraints.get``).

    Parameters
    ----------
    identifier : None, str, dict, Constraint, class or callable
        None stays None; strings are the class names or their snake case
        (``"max_norm"``, ``"min_max_norm"``, ``"non_neg"``, ``"unit_norm"``) and
        give an instance with default arguments; a class is instantiated;
        instances and functions ``f(w: ndarray) -> ndarray`` are returned
        unchanged.

    Returns
    -------
    Constraint, callable or None

    Raises
    ------
    ValueError
        For an unknown name.
    TypeError
        For an object that is not callable.

    Examples
    --------
    >>> get("non_neg")
    NonNeg()
    >>> get("max_nrom")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: Unknown constraint: 'max_nrom'. Did you mean 'max_norm'...
    """
    return _FAMILY.get(identifier)
