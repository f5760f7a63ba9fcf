"""Weight regularizers with Keras names: L1, L2, L1L2 and OrthogonalRegularizer penalties.

A regularizer is called on a weight tensor and returns a scalar
:class:`~descend.autograd.Tensor` built from engine operations, so its gradient
flows into the weight. Layers add these penalties to the training loss (and to
the logged ``loss``), as Keras does. There is no 1/2 factor: ``L2(l2)`` is
``l2 * sum(w^2)``.

Examples
--------
>>> import numpy as np
>>> from descend import regularizers
>>> from descend.autograd import Tensor
>>> w = Tensor(np.array([[1.0, -2.0], [0.5, 0.0]]))
>>> round(regularizers.get("l2")(w).item(), 6)
0.0525
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from descend.autograd import Tensor, ops
from descend.ops import normalize
from descend.registry import Family

__all__ = [
    "L1", "L1L2", "L2", "OrthogonalRegularizer", "Regularizer", "deserialize", "get", "l1",
    "l1_l2", "l2", "orthogonal_regularizer", "serialize",
]


def _factor(value: Any, name: str, owner: str) -> float:
    """Validate a penalty factor: a finite float >= 0."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or math.isnan(value)
        or math.isinf(value)
        or value < 0
    ):
        raise ValueError(
            f"{owner}: invalid value for argument {name}: expected a non-negative float, "
            f"received {name}={value!r}."
        )
    return float(value)


class Regularizer:
    """Base class: ``__call__(weight) -> scalar Tensor`` plus a config round trip.

    Examples
    --------
    >>> from descend.autograd import Tensor, ops
    >>> class SumOfWeights(Regularizer):
    ...     def __call__(self, x):
    ...         return ops.sum(x) * 0.1
    >>> round(SumOfWeights()(Tensor([1.0, 2.0])).item(), 4)
    0.3
    """

    def __call__(self, x: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(x).")

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments as a JSON-serialisable dict."""
        return {}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Regularizer:
        """Create a regularizer from :meth:`get_config` output."""
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class L1(Regularizer):
    """L1 penalty ``l1 * sum(|x|)``.

    Parameters
    ----------
    l1 : float, default 0.01
        Non-negative factor.

    Examples
    --------
    >>> from descend.autograd import Tensor
    >>> round(L1(0.1)(Tensor([1.0, -2.0])).item(), 4)
    0.3
    """

    def __init__(self, l1: float = 0.01) -> None:
        self.l1 = _factor(0.01 if l1 is None else l1, "l1", "L1")

    def __call__(self, x: Tensor) -> Tensor:
        return ops.sum(ops.abs(x)) * self.l1

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1}


class L2(Regularizer):
    """L2 penalty ``l2 * sum(x^2)`` (no 1/2 factor, as in Keras).

    Parameters
    ----------
    l2 : float, default 0.01
        Non-negative factor.

    Examples
    --------
    >>> from descend.autograd import Tensor
    >>> round(L2(0.1)(Tensor([1.0, -2.0])).item(), 4)
    0.5
    """

    def __init__(self, l2: float = 0.01) -> None:
        self.l2 = _factor(0.01 if l2 is None else l2, "l2", "L2")

    def __call__(self, x: Tensor) -> Tensor:
        return ops.sum(ops.square(x)) * self.l2

    def get_config(self) -> dict[str, Any]:
        return {"l2": self.l2}


class L1L2(Regularizer):
    """Both penalties: ``l1 * sum(|x|) + l2 * sum(x^2)``.

    Parameters
    ----------
    l1 : float, default 0.0
    l2 : float, default 0.0

    Examples
    --------
    >>> from descend.autograd import Tensor
    >>> round(L1L2(l1=0.1, l2=0.1)(Tensor([1.0, -2.0])).item(), 4)
    0.8
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1 = _factor(0.0 if l1 is None else l1, "l1", "L1L2")
        self.l2 = _factor(0.0 if l2 is None else l2, "l2", "L1L2")

    def __call__(self, x: Tensor) -> Tensor:
        x = ops.as_tensor(x)
        penalty = None
        if self.l1:
            penalty = ops.sum(ops.abs(x)) * self.l1
        if self.l2:
            term = ops.sum(ops.square(x)) * self.l2
            penalty = term if penalty is None else penalty + term
        if penalty is None:  # both factors zero: a constant 0 of the weight's dtype
            penalty = ops.sum(x) * 0.0
        return penalty

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1, "l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Push the rows (or columns) of a 2-D weight towards being orthogonal.

    With each row ``r_i`` scaled to unit length (``descend.ops.normalize``), the penalty is
    ``factor * 0.5 * sum_{i != j} |r_i . r_j| / (n (n - 1) / 2)``: the mean absolute cosine
    between pairs of the ``n`` rows, times ``factor`` (Keras's formula; ``mode="columns"``
    uses the columns).

    Parameters
    ----------
    factor : float, default 0.01
        Non-negative factor.
    mode : {"rows", "columns"}, default "rows"

    Examples
    --------
    >>> import numpy as np
    >>> from descend.autograd import Tensor
    >>> round(OrthogonalRegularizer(1.0)(Tensor(np.eye(3))).item(), 6)
    0.0
    >>> round(OrthogonalRegularizer(1.0)(Tensor([[1.0, 0.0], [1.0, 1.0]])).item(), 4)
    0.7071
    """

    def __init__(self, factor: float = 0.01, mode: str = "rows") -> None:
        self.factor = _factor(factor, "factor", "OrthogonalRegularizer")
        if mode not in ("rows", "columns"):
            raise ValueError(
                "OrthogonalRegularizer: invalid value for argument `mode`, expected 'rows' or "
                f"'columns', received mode={mode!r}."
            )
        self.mode = mode

    def __call__(self, x: Tensor) -> Tensor:
        x = ops.as_tensor(x)
        if x.ndim != 2:
            raise ValueError(
                "OrthogonalRegularizer: the weight must have rank 2 (e.g. a Dense kernel), "
                f"received shape {tuple(x.shape)}."
            )
        if self.mode == "rows":
            unit = normalize(x, axis=1)
            product, size = ops.matmul(unit, ops.transpose(unit)), x.shape[0]
        else:
            unit = normalize(x, axis=0)
            product, size = ops.matmul(ops.transpose(unit), unit), x.shape[1]
        off_diagonal = product * (1.0 - np.eye(size, dtype=x.dtype))
        pairs = size * (size - 1.0) / 2.0
        return ops.sum(ops.abs(off_diagonal)) * (self.factor * 0.5 / pairs)

    def get_config(self) -> dict[str, Any]:
        return {"factor": self.factor, "mode": self.mode}


# Keras's lower-case names for the classes (``regularizers.l2(0.001)``).
l1 = L1
l2 = L2
l1_l2 = L1L2
orthogonal_regularizer = OrthogonalRegularizer

_TABLE: dict[str, Any] = {"L1": L1, "L2": L2, "L1L2": L1L2, "l1": L1, "l2": L2, "l1_l2": L1L2,
                          "OrthogonalRegularizer": OrthogonalRegularizer,
                          "orthogonal_regularizer": OrthogonalRegularizer}
_HELP = "Pass 'l1', 'l2', 'l1_l2', a config dict, a Regularizer or a function of the weight."


def _from_string(name: str, obj: Any) -> Any:
    if obj is L1L2 and name == "l1_l2":
        return L1L2(l1=0.01, l2=0.01)  # the string form uses 0.01 for both, as in Keras 2
    return None


_FAMILY = Family(
    "regularizer", _TABLE, Regularizer, module="keras.regularizers", hint=_HELP,
    cannot_name="subclass descend.regularizers.Regularizer and implement get_config.",
    from_string=_from_string,
)


def serialize(regularizer: Regularizer | Callable[..., Any] | None) -> Any:
    """Return a Keras-style config for a regularizer (None stays None).

    Parameters
    ----------
    regularizer : Regularizer, callable or None

    Returns
    -------
    dict, str or None
        ``{"module", "class_name", "config", "registered_name"}`` for a
        :class:`Regularizer` (``registered_name`` is None for descend's own
        classes and :func:`~descend.saving.get_registered_name` of a custom
        class); for a function registered with
        :func:`~descend.saving.register_keras_serializable`, Keras's
        ``{"class_name": "function", ...}`` dict; another function gives its
        ``__name__``.

    Examples
    --------
    >>> serialize(L2(0.001))["config"]
    {'l2': 0.001}
    """
    return _FAMILY.serialize(regularizer)


def deserialize(
    config: str | Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None
) -> Regularizer | Callable[..., Any]:
    """Build a regularizer from a name or from a config dict made by :func:`serialize`.

    Parameters
    ----------
    config : str or dict
        ``"l2"`` (factor 0.01), ``"L1L2"``, a registered name
        (``"Custom>MyPenalty"``), or ``{"class_name": ..., "config": {...}}``.
    custom_objects : dict, optional
        Extra ``name -> class or function`` entries. Names are searched in
        ``custom_objects``, then the active
        :func:`~descend.saving.custom_object_scope` s, then the registered
        objects, then the built-ins.

    Returns
    -------
    Regularizer or callable

    Raises
    ------
    ValueError
        For an unknown name (the closest names are suggested).

    Examples
    --------
    >>> deserialize({"class_name": "L1", "config": {"l1": 0.5}}).l1
    0.5
    >>> deserialize("l1_l2").get_config()
    {'l1': 0.01, 'l2': 0.01}
    """
    return _FAMILY.deserialize(config, custom_objects)


def get(identifier: Any) -> Regularizer | Callable[..., Any] | None:
    """Resolve a regularizer identifier (Keras's ``regularizers.get``).

    Parameters
    ----------
    identifier : None, str, dict, Regularizer, class or callable
        None stays None; strings ``"l1"``, ``"l2"``, ``"l1_l2"`` (factors 0.01)
        or the class names; a class is instantiated with its defaults; instances
        and functions ``f(weight) -> scalar Tensor`` are returned unchanged.

    Returns
    -------
    Regularizer, callable or None

    Examples
    --------
    >>> get("l2").l2
    0.01
    >>> get("l22")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: Unknown regularizer: 'l22'. Did you mean 'l2'...
    """
    return _FAMILY.get(identifier)
