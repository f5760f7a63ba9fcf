"""``Layer``: the unit networks are built from (Keras's layer contract).

A layer owns its weights, creates them lazily in ``build(input_shape)`` the
first time it sees data, computes its output in ``call(inputs, training=...)``
by composing differentiable operations (it never writes a backward pass), and
round-trips through ``get_config()`` / ``from_config()``.

Examples
--------
>>> import numpy as np
>>> from descend.layers import Layer
>>> from descend.autograd import ops
>>> class Scale(Layer):
...     def build(self, input_shape):
...         self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones",
...                                      name="scale")
...     def call(self, inputs, training=False):
...         return inputs * self.scale
>>> layer = Scale()
>>> layer(np.ones((2, 3), dtype="float32")).shape
(2, 3)
>>> [w.path for w in layer.weights]
['scale/scale']
"""

from __future__ import annotations

import inspect
import re
from collections import defaultdict
from typing import Any

import numpy as np

from descend import config
from descend.autograd import Tensor, Variable

_NAME_COUNTS: defaultdict[str, int] = defaultdict(int)
_TAKES_TRAINING: dict[type, bool] = {}


def call_accepts_training(layer: Any) -> bool:
    """Whether ``layer.call`` takes a ``training`` argument (cached per class).

    Keras lets a layer define ``call(self, inputs)`` without it.
    """
    cls = type(layer)
    known = _TAKES_TRAINING.get(cls)
    if known is None:
        try:
            params = inspect.signature(cls.call).parameters
            known = "training" in params or any(p.kind is p.VAR_KEYWORD
                                                for p in params.values())
        except (TypeError, ValueError):
            known = True
        _TAKES_TRAINING[cls] = known
    return known


def to_snake_case(name: str) -> str:
    """``"MaxPooling2D"`` -> ``"max_pooling2d"``."""
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


def unique_name(base: str) -> str:
    """Return ``base``, then ``base_1``, ``base_2``... (Keras's automatic names)."""
    count = _NAME_COUNTS[base]
    _NAME_COUNTS[base] += 1
    return base if count == 0 else f"{base}_{count}"


def reset_names() -> None:
    """Forget the automatic-name counters (``dense``, ``dense_1`` start again)."""
    _NAME_COUNTS.clear()


def shape_tuple(shape: Any, what: str) -> tuple[int | None, ...]:
    """Validate a shape given by a user (ints or None) and return it as a tuple."""
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    try:
        out = tuple(None if s is None else int(s) for s in shape)
    except (TypeError, ValueError):
        raise TypeError(f"{what}: expected a tuple of ints, received {shape!r}.") from None
    if any(s is not None and s <= 0 for s in out):
        raise ValueError(f"{what}: dimensions must be positive, received {shape!r}.")
    return out


class Layer:
    """Base class of every layer.

    Parameters
    ----------
    trainable : bool, default True
        Whether the layer's weights are updated by training.
    name : str, optional
        Unique name; defaults to the snake-case class name (``dense``, ``dense_1``...).
    dtype : str, optional
        dtype of the weights and computations; defaults to ``descend.config.floatx()``.
    input_shape : tuple of int, optional
        Legacy Keras argument (shape without the batch axis); a ``Sequential``
        model turns it into an ``InputLayer``. Prefer ``Input(shape)``.
    input_dim : int, optional
        Legacy shorthand for ``input_shape=(input_dim,)``.

    Attributes
    ----------
    built : bool
        Whether ``build`` has created the weights.
    weights : list of Variable
        Trainable then non-trainable weights, in creation order.
    """

    def __init__(
        self,
        trainable: bool = True,
        name: str | None = None,
        dtype: Any = None,
        **kwargs: Any,
    ) -> None:
        input_shape = kwargs.pop("input_shape", None)
        input_dim = kwargs.pop("input_dim", None)
        batch_input_shape = kwargs.pop("batch_input_shape", None)
        kwargs.pop("batch_size", None)
        if kwargs:
            raise ValueError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: {kwargs}. "
                "Check the spelling against the layer's documented parameters."
            )
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}: name must be a str, received {name!r}.")
        self.name = name or unique_name(to_snake_case(type(self).__name__))
        self.dtype = np.dtype(dtype or config.floatx()).name
        self._trainable = bool(trainable)
        self.built = False
        self._weights: list[Variable] = []
        self._regularizers: list[tuple[Variable, Any]] = []
        self._weight_constraints: list[tuple[Variable, Any]] = []
        self._layers: list[Layer] = []
        self._build_shape: tuple | None = None
        self._input_shape_arg: tuple | None = None
        if input_dim is not None:
            input_shape = (input_dim,)
        if batch_input_shape is not None:
            input_shape = tuple(batch_input_shape)[1:]
        if input_shape is not None:
            self._input_shape_arg = shape_tuple(input_shape, f"{type(self).__name__} input_shape")

    # --------------------------------------------------------------- weights
    def add_weight(
        self,
        shape: Any = (),
        initializer: Any = "glorot_uniform",
        name: str | None = None,
        trainable: bool = True,
        regularizer: Any = None,
        dtype: Any = None,
        constraint: Any = None,
    ) -> Variable:
        """Create a weight owned by this layer.

        Parameters
        ----------
        shape : tuple of int, default ()
        initializer : str, Initializer or callable, default "glorot_uniform"
            ``initializer(shape, dtype) -> ndarray``.
        name : str, optional
        trainable : bool, default True
        regularizer : str, Regularizer or callable, optional
            Penalty added to the training loss (``regularizer(weight) -> scalar Tensor``).
        dtype : dtype, optional
            Defaults to the layer's dtype.
        constraint : str, Constraint or callable, optional
            ``constraint(value: ndarray) -> ndarray``, applied to the value after
            each optimizer step (see :mod:`descend.constraints`); recorded with
            the variable in ``self._weight_constraints``.

        Returns
        -------
        Variable
        """
        from descend import constraints, initializers, regularizers

        dtype = dtype or self.dtype
        shape = tuple(int(s) for s in shape)
        value = initializers.get(initializer)(shape, dtype=dtype)
        variable = Variable(value, trainable=trainable and self.trainable, name=name,
                            dtype=dtype)
        variable.path = f"{self.name}/{name or 'variable'}"
        variable._declared_trainable = bool(trainable)
        self._weights.append(variable)
        if regularizer is not None:
            self._regularizers.append((variable, regularizers.get(regularizer)))
        constraint = constraints.get(constraint)
        if constraint is not None:
            self._weight_constraints.append((variable, constraint))
        return variable

    @property
    def trainable(self) -> bool:
        """Whether training updates this layer's weights; setting it freezes or unfreezes them."""
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        for w in self._weights:
            w.trainable = bool(value) and w._declared_trainable
        for layer in self._layers:
            layer.trainable = value

    @property
    def weights(self) -> list[Variable]:
        """All weights: own trainable, own non-trainable, then those of sub-layers."""
        own = [w for w in self._weights if w.trainable]
        own += [w for w in self._weights if not w.trainable]
        for layer in self._layers:
            own += layer.weights
        return own

    @property
    def trainable_weights(self) -> list[Variable]:
        """Weights that training updates."""
        return [w for w in self.weights if w.trainable]

    @property
    def non_trainable_weights(self) -> list[Variable]:
        """Weights that training does not update (frozen, or statistics such as moving means)."""
        return [w for w in self.weights if not w.trainable]

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights
    variables = weights

    def get_weights(self) -> list[np.ndarray]:
        """Return copies of the weights' values, in ``weights`` order."""
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights: list[Any]) -> None:
        """Set the weights' values from a list of arrays in ``weights`` order.

        Raises
        ------
        ValueError
            If the number of arrays or any shape does not match, naming the weight.
        TypeError
            If an array is not real numbers (complex, text, objects), as ``fit``
            refuses such data; nothing is assigned then.
        """
        own = self.weights
        if len(weights) != len(own):
            raise ValueError(
                f"Layer '{self.name}': set_weights expected a list of {len(own)} arrays "
                f"(one per weight: {[w.path for w in own]}), received {len(weights)}."
            )
        for variable, value in zip(own, weights, strict=True):
            value = np.asarray(value)
            if value.dtype.kind not in "biuf":
                raise TypeError(
                    f"Layer '{self.name}': weight '{variable.path}' needs real numbers, "
                    f"received an array of dtype {value.dtype}. Pass a float array (for "
                    "complex values, choose what to keep, e.g. np.real(value))."
                )
            if value.shape != variable.shape:
                raise ValueError(
                    f"Layer '{self.name}': weight '{variable.path}' has shape {variable.shape}, "
                    f"received an array of shape {value.shape}."
                )
        for variable, value in zip(own, weights, strict=True):
            variable.assign(value)

    def count_params(self) -> int:
        """Total number of scalars in the layer's weights."""
        return int(sum(w.size for w in self.weights))

    @property
    def losses(self) -> list[Tensor]:
        """Regularisation penalties of this layer and its sub-layers (scalar tensors)."""
        out = [reg(w) for w, reg in self._regularizers]
        activity = getattr(self, "_activity_loss", None)
        if activity is not None:
            out.append(activity)
        for layer in self._layers:
            out += layer.losses
        return out

    # --------------------------------------------------------------- calling
    def build(self, input_shape: tuple) -> None:
        """Create the weights for inputs of ``input_shape`` (batch axis included)."""
        self.built = True

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        """Compute the output from ``inputs``; subclasses override this."""
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Output shape for ``input_shape`` (batch axis included, may be ``None``).

        The default runs ``call`` on zeros, without recording a graph, twice with
        unknown (``None``) dimensions set to 2 and then 3; dimensions that differ
        between the two runs are reported as ``None``. Layers override it with
        their formula when they have one.
        """
        from descend.autograd import no_grad

        def zeros(shape: Any, fill: int) -> Any:
            if isinstance(shape, list):
                return [zeros(s, fill) for s in shape]
            return Tensor(np.zeros([fill if s is None else s for s in shape], self.dtype))

        def shapes(out: Any) -> Any:
            return [tuple(t.shape) for t in out] if isinstance(out, (list, tuple)) \
                else tuple(out.shape)

        with no_grad():
            first = shapes(self._invoke(zeros(input_shape, 2), False))
            second = shapes(self._invoke(zeros(input_shape, 3), False))

        def merge(a: tuple, b: tuple) -> tuple:
            return tuple(x if x == y else None for x, y in zip(a, b, strict=True))

        if isinstance(first, list):
            return [merge(a, b) for a, b in zip(first, second, strict=True)]
        return merge(first, second)

    def _invoke(self, inputs: Any, training: bool, **kwargs: Any) -> Any:
        """``call``, passing ``training`` only if the layer's ``call`` accepts it."""
        if call_accepts_training(self):
            return self.call(inputs, training=training, **kwargs)
        return self.call(inputs, **kwargs)

    def _maybe_build(self, input_shape: tuple) -> None:
        if not self.built:
            self.build(tuple(input_shape))
            self.built = True
            self._build_shape = tuple(input_shape)

    def __call__(self, inputs: Any, training: bool | None = None, **kwargs: Any) -> Any:
        if type(inputs) is Tensor:
            if not self.built:
                self._maybe_build(inputs.shape)
            self._check_input(inputs)
            return self._invoke(inputs, bool(training), **kwargs)
        from descend.layers.input_layer import KerasTensor

        if isinstance(inputs, KerasTensor) or (
            isinstance(inputs, (list, tuple)) and inputs
            and all(isinstance(t, KerasTensor) for t in inputs)
        ):
            return self._call_symbolic(inputs, **kwargs)
        if isinstance(inputs, (list, tuple)):
            inputs = [t if isinstance(t, Tensor) else Tensor(np.asarray(t, self.dtype))
                      for t in inputs]
            shape = [t.shape for t in inputs]
        else:
            if not isinstance(inputs, Tensor):
                inputs = Tensor(np.asarray(inputs, dtype=self.dtype))
            shape = inputs.shape
        if not self.built:
            self._maybe_build(shape)
        self._check_input(inputs)
        return self._invoke(inputs, bool(training), **kwargs)

    def _check_input(self, inputs: Any) -> None:
        """Raise a clear error when ``inputs`` cannot be fed to the built layer."""

    def _infer(self, x: np.ndarray) -> np.ndarray:
        """Inference on one array: ``call(x, training=False)``, no graph, an array back.

        The caller runs it under ``no_grad``. Layers with a cheaper array path
        (``Dense``) override it; the result must equal ``call``'s exactly.

        Parameters
        ----------
        x : ndarray, shape (batch, ...)

        Returns
        -------
        ndarray
            The layer's output.
        """
        inputs = Tensor._make(x, False, None)
        if not self.built:
            self._maybe_build(x.shape)
        self._check_input(inputs)
        return self._invoke(inputs, False).data

    def _call_symbolic(self, inputs: Any, **kwargs: Any) -> Any:
        from descend.layers.input_layer import symbolic_call

        return symbolic_call(self, inputs, **kwargs)

    # --------------------------------------------------------- serialisation
    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments as JSON-serialisable data."""
        return {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        """Create a layer from the output of :meth:`get_config`."""
        return cls(**config)

    def get_build_config(self) -> dict[str, Any] | None:
        """The input shape the layer was built with, for rebuilding after loading."""
        if self._build_shape is None:
            return None
        return {"input_shape": list(self._build_shape)}

    def build_from_config(self, build_config: dict[str, Any] | None) -> None:
        """Build the layer from :meth:`get_build_config` output."""
        if build_config and not self.built:
            self._maybe_build(tuple(build_config["input_shape"]))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"
