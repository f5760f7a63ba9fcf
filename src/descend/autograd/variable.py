"""``Variable``: a model weight, a leaf tensor that is only ever changed in place.

Layers create their weights as variables; custom layers and metrics written for
Keras 3 create them directly (``keras.Variable`` has the same signature). Whoever
keeps many variables side by side in one buffer (an optimizer does, so that one
update is a handful of vectorised NumPy calls for the whole model) moves a
variable's values there with :meth:`Tensor.use_storage` and may give it a
gradient sink (:meth:`Tensor.set_grad_sink`). For that reason a variable is
always changed in place (:meth:`Variable.assign`), never rebound.

A variable is a :class:`~descend.autograd.Tensor`: it takes part in arithmetic
(``v * 2``, ``x @ v``), in ``descend.ops`` functions and in NumPy
(``np.asarray(v)``), and gradients flow to it when it is trainable.

Examples
--------
>>> import numpy as np
>>> from descend.autograd import Variable
>>> v = Variable(np.zeros((2, 3)), name="kernel")
>>> v.assign(np.ones((2, 3))) is v
True
>>> float(v.numpy().sum())
6.0
>>> Variable("ones", shape=(2,), name="bias")
<Variable path=bias, shape=(2,), dtype=float32, value=[1. 1.]>
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend import config
from descend.autograd.name_scope import current_path
from descend.autograd.tensor import Tensor

_AGGREGATIONS = ("none", "mean", "sum", "only_first_replica")
_SYNCHRONIZATIONS = ("none", "on_write", "on_read", "auto")


def _initial_value(initializer: Any, shape: Any, dtype: Any) -> np.ndarray:
    """The first value of a variable: an array as given, or an initializer called on ``shape``."""
    if isinstance(initializer, str):
        from descend import initializers  # the building floor, only for a name

        initializer = initializers.get(initializer)
    if callable(initializer) and not isinstance(initializer, (Tensor, np.ndarray)):
        if shape is None:
            raise ValueError(
                "Variable: when creating a variable from an initializer, the `shape` argument "
                f"must be given. Received initializer={initializer!r} and shape=None; write "
                "Variable(initializer, shape=(3, 4))."
            )
        shape = tuple(int(s) for s in shape)
        dtype = dtype or config.floatx()
        value = np.asarray(_data(initializer(shape, dtype=dtype)), dtype=dtype)
        if value.shape != shape:
            raise ValueError(f"Variable: the initializer {initializer!r} returned shape "
                             f"{value.shape} for shape={shape}.")
        return value
    data = _data(initializer)
    if isinstance(data, (np.ndarray, np.generic)):
        if dtype is None and data.dtype.kind not in "fiub":
            raise TypeError(f"Variable: expected a numeric initial value, received an array "
                            f"of dtype {data.dtype}.")
        value = np.array(data, dtype=dtype or data.dtype)  # arrays keep their dtype (Keras)
    else:
        try:
            value = np.array(data, dtype=dtype or config.floatx())
        except (TypeError, ValueError):
            raise TypeError(
                "Variable: the initial value must be an array, a number, a Tensor, an "
                f"initializer name such as 'zeros', or a callable initializer; received "
                f"{initializer!r}."
            ) from None
    if shape is not None and tuple(value.shape) != tuple(shape):
        raise ValueError(
            f"Variable: the initial value has shape {value.shape} but shape={tuple(shape)} was "
            "given. Pass a value of that shape, or leave shape out."
        )
    return value


def _data(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


class Variable(Tensor):
    """A trainable (or frozen) weight, with ``keras.Variable``'s signature.

    Parameters
    ----------
    initializer : array_like, Tensor, str or callable
        The initial value (an array, a number, a Tensor), or an initializer:
        a name such as ``"zeros"`` or ``"glorot_uniform"``, an
        :class:`~descend.initializers.Initializer`, or any
        ``f(shape, dtype=None) -> array``. An initializer needs ``shape``.
    shape : tuple of int, optional
        Required with an initializer; checked against an array value.
    dtype : dtype, optional
        Defaults to the dtype of an array value, else ``descend.config.floatx()``.
    trainable : bool, default True
        Whether optimizers update it (``requires_grad`` follows it).
    autocast, aggregation, synchronization
        Keras's distribution options, accepted for compatibility and validated;
        descend runs on one device, so they change nothing.
    name : str, optional
        Short name such as ``"kernel"``; ``path`` adds the owning layer.

    Attributes
    ----------
    path : str
        ``"<layer name>/<name>"`` once a layer owns it, else ``name``.

    Raises
    ------
    ValueError
        If an initializer is given without ``shape``, or ``shape`` contradicts
        the value.
    """

    __slots__ = ("_trainable", "_declared_trainable", "path", "_initializer",
                 "aggregation", "synchronization", "autocast")

    def __init__(
        self,
        initializer: Any,
        shape: Any = None,
        dtype: Any = None,
        trainable: bool = True,
        autocast: bool = True,
        aggregation: str = "none",
        synchronization: str = "auto",
        name: str | None = None,
    ) -> None:
        if name is not None and not isinstance(name, str):
            raise TypeError(f"Variable: name must be a str, received {name!r}.")
        if name is not None and "/" in name:
            raise ValueError(f"Variable: name must not contain '/', received name={name!r}.")
        if aggregation not in _AGGREGATIONS:
            raise ValueError(f"Variable: aggregation must be one of {_AGGREGATIONS}, received "
                             f"{aggregation!r}.")
        if synchronization not in _SYNCHRONIZATIONS:
            raise ValueError(f"Variable: synchronization must be one of {_SYNCHRONIZATIONS}, "
                             f"received {synchronization!r}.")
        value = _initial_value(initializer, shape, dtype)
        super().__init__(value, requires_grad=trainable and value.dtype.kind in "fc",
                         dtype=value.dtype, name=name or "variable")
        self._trainable = bool(trainable)
        self._declared_trainable = bool(trainable)
        self._initializer = initializer if callable(initializer) or isinstance(
            initializer, str) else None
        self.aggregation = aggregation
        self.synchronization = synchronization
        self.autocast = bool(autocast)
        scope = current_path()
        self.path = f"{scope}/{self.name}" if scope else self.name

    @property
    def trainable(self) -> bool:
        """Whether an optimizer updates this variable."""
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        self.requires_grad = bool(value) and self.data.dtype.kind in "fc"

    @property
    def value(self) -> Tensor:
        """The current value as a tensor (the variable itself, so gradients reach it).

        As in Keras, ``v.value`` can be used wherever a tensor is expected; use
        :meth:`numpy` for a NumPy copy.
        """
        return self

    def numpy(self) -> np.ndarray:
        """Return a copy of the value, as ``keras.Variable.numpy`` does."""
        return self.data.copy()

    def assign(self, value: Any) -> Variable:
        """Overwrite the value in place and return the variable.

        Parameters
        ----------
        value : array_like or Tensor
            Same shape as the variable; cast to its dtype.

        Returns
        -------
        Variable
            ``self`` (Keras returns the new value; the variable holds it).

        Raises
        ------
        ValueError
            If ``value`` does not have this variable's shape.
        """
        arr = np.asarray(_data(value))
        if arr.shape != self.data.shape:
            raise ValueError(
                f"Variable '{self.path}': cannot assign a value of shape {arr.shape} to a "
                f"variable of shape {self.data.shape}; the shapes must match."
            )
        np.copyto(self.data, arr, casting="unsafe")
        return self

    def assign_add(self, value: Any) -> Variable:
        """``v <- v + value`` in place; returns the variable.

        Examples
        --------
        >>> v = Variable(1.0)
        >>> float(v.assign_add(2.0))
        3.0
        """
        return self.assign(self.data + np.asarray(_data(value)))

    def assign_sub(self, value: Any) -> Variable:
        """``v <- v - value`` in place; returns the variable."""
        return self.assign(self.data - np.asarray(_data(value)))

    @property
    def initializer(self) -> Any:
        """The initializer the variable was created with (None when created from a value)."""
        return self._initializer

    __hash__ = Tensor.__hash__  # compared elementwise (Tensor.__eq__), hashed by identity

    def __float__(self) -> float:
        return float(self.data)

    def __int__(self) -> int:
        return int(self.data)

    def __pos__(self) -> Variable:
        return self

    def __repr__(self) -> str:
        value = np.array2string(self.data)
        return (f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}, "
                f"value={value}>")
