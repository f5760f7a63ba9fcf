"""``Variable``: a model weight, a leaf tensor whose storage can be relocated.

Layers create their weights as variables. An optimizer may move every variable
it trains into one contiguous buffer (``Variable.data`` becomes a view into it)
and give each a slice of a matching gradient buffer, so that one update is a
handful of vectorised NumPy calls for the whole model. For that reason a
variable is always changed in place (:meth:`Variable.assign`), never rebound.

Examples
--------
>>> import numpy as np
>>> from descend.autograd import Variable
>>> v = Variable(np.zeros((2, 3)), name="kernel")
>>> v.assign(np.ones((2, 3)))
>>> float(v.numpy().sum())
6.0
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend import config
from descend.autograd.tensor import Tensor


class Variable(Tensor):
    """A trainable (or frozen) weight.

    Parameters
    ----------
    value : array_like
        Initial value; converted to ``dtype``.
    trainable : bool, default True
        Whether optimizers update it (``requires_grad`` follows it).
    name : str, optional
        Short name such as ``"kernel"``; ``path`` adds the owning layer.
    dtype : dtype, optional
        Defaults to ``descend.config.floatx()``.

    Attributes
    ----------
    path : str
        ``"<layer name>/<name>"`` once a layer owns it.
    """

    __slots__ = ("_trainable", "_declared_trainable", "_grad_buffer", "path")

    def __init__(
        self,
        value: Any,
        trainable: bool = True,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        data = value.data if isinstance(value, Tensor) else value
        super().__init__(np.array(data, dtype=dtype or config.floatx()), requires_grad=trainable,
                         name=name)
        self._trainable = bool(trainable)
        self._declared_trainable = bool(trainable)
        self._grad_buffer: np.ndarray | None = None
        self.path = name or "variable"

    @property
    def trainable(self) -> bool:
        """Whether an optimizer updates this variable."""
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        self.requires_grad = bool(value)

    @property
    def value(self) -> np.ndarray:
        """The current value (the live array, not a copy)."""
        return self.data

    def numpy(self) -> np.ndarray:
        """Return a copy of the value, as ``keras.Variable.numpy`` does."""
        return self.data.copy()

    def assign(self, value: Any) -> None:
        """Overwrite the value in place.

        Raises
        ------
        ValueError
            If ``value`` does not have this variable's shape.
        """
        arr = np.asarray(value.data if isinstance(value, Tensor) else value)
        if arr.shape != self.data.shape:
            raise ValueError(
                f"Variable '{self.path}': cannot assign a value of shape {arr.shape} to a "
                f"variable of shape {self.data.shape}."
            )
        np.copyto(self.data, arr, casting="unsafe")

    def relocate(self, data: np.ndarray, grad: np.ndarray | None) -> None:
        """Move the value into ``data`` (a view of the same shape) and set the grad buffer.

        Used by optimizers that keep all variables in one flat buffer.
        """
        np.copyto(data, self.data)
        self.data = data
        self._grad_buffer = grad
        self.grad = None

    def _accumulate(self, grad: np.ndarray, owned: bool) -> None:
        if self.grad is None and self._grad_buffer is not None:
            np.copyto(self._grad_buffer, grad, casting="unsafe")
            self.grad = self._grad_buffer
        else:
            super()._accumulate(grad, owned)

    def __repr__(self) -> str:
        return (
            f"<Variable path={self.path!r}, shape={self.shape}, dtype={self.dtype}, "
            f"trainable={self.trainable}>"
        )
