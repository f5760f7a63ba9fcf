"""``Input`` / ``InputLayer`` and the symbolic tensors that describe a network's wiring.

``Input(shape=(784,))`` returns a :class:`KerasTensor`: a placeholder with a shape
(batch axis ``None``) and no values. Calling a layer on one returns another
``KerasTensor`` that remembers the layer and its inputs; a functional
``descend.Model(inputs, outputs)`` replays that record on real data. As the first
element of a ``Sequential`` model, ``Input`` fixes the input shape so that the
model is built at once.

Examples
--------
>>> from descend import layers
>>> x = layers.Input(shape=(4,))
>>> x.shape
(None, 4)
>>> layers.Dense(3)(x).shape
(None, 3)
"""

from __future__ import annotations

import inspect
import itertools
from typing import Any

from descend.layers.layer import Layer, shape_tuple

_CREATED = itertools.count()


class KerasTensor:
    """A symbolic tensor: shape and dtype, plus the layer call that produced it.

    Attributes
    ----------
    shape : tuple
        Shape with the batch axis first (``None`` when unknown).
    dtype : str
    layer : Layer
        The layer whose call produced this tensor.
    inputs : list of KerasTensor
        The symbolic inputs of that call (empty for an ``Input``).
    index : int
        Position among the outputs of that call.
    call_kwargs : dict
        Extra keyword arguments of the call, replayed on real data.
    seq : int
        An increasing number: the order in which the symbolic calls happened.

    A symbolic tensor has no values: using one as a Python bool, iterating over
    it or converting it to an array raises (as in Keras), so that Python code
    cannot silently take a branch or a length it would not take on data.
    """

    __slots__ = ("shape", "dtype", "layer", "inputs", "index", "call_kwargs", "name",
                 "call_template", "seq")

    def __init__(self, shape: tuple, dtype: str, layer: Layer, inputs: list[KerasTensor],
                 index: int = 0, call_kwargs: dict[str, Any] | None = None,
                 name: str | None = None) -> None:
        self.shape = tuple(shape)
        self.dtype = dtype
        self.layer = layer
        self.inputs = inputs
        self.index = index
        self.call_kwargs = call_kwargs or {}
        self.name = name or layer.name
        # (args, kwargs) with slots for ``inputs`` when the call had symbolic tensors
        # beyond its first argument (``layer(targets, logits)``); else None
        self.call_template: Any = None
        self.seq = next(_CREATED)

    @property
    def ndim(self) -> int:
        """Number of dimensions, batch axis included."""
        return len(self.shape)

    def __repr__(self) -> str:
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    # Operators record an operation in the functional graph, as Keras's do
    # (see :mod:`descend.layers.op_layer`).
    __array_ufunc__ = None  # ``ndarray <op> KerasTensor`` defers to the methods below
    __hash__ = object.__hash__

    def __bool__(self) -> bool:
        raise TypeError(
            f"A symbolic KerasTensor ({self.name}, shape {self.shape}) cannot be used as a "
            "boolean: it has no values yet. Compute the condition with descend.ops "
            "(ops.where, ops.cond) instead of Python's if/and/or.")

    def __iter__(self) -> Any:
        raise TypeError(f"Iterating over a symbolic KerasTensor ({self.name}) is not "
                        "supported: index it (x[:, 0]) or use descend.ops (ops.unstack).")

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        raise TypeError(f"A symbolic KerasTensor ({self.name}) has no values to convert to "
                        "a NumPy array; call the model on data instead.")

    def _op(self, name: str, *args: Any) -> Any:
        from descend import ops
        from descend.layers.op_layer import symbolic_op_call

        fn = getattr(ops, name)
        return symbolic_op_call(getattr(fn, "__wrapped_op__", fn), args, {})

    def __add__(self, other: Any) -> Any:
        return self._op("add", self, other)

    def __radd__(self, other: Any) -> Any:
        return self._op("add", other, self)

    def __sub__(self, other: Any) -> Any:
        return self._op("sub", self, other)

    def __rsub__(self, other: Any) -> Any:
        return self._op("sub", other, self)

    def __mul__(self, other: Any) -> Any:
        return self._op("mul", self, other)

    def __rmul__(self, other: Any) -> Any:
        return self._op("mul", other, self)

    def __truediv__(self, other: Any) -> Any:
        return self._op("div", self, other)

    def __rtruediv__(self, other: Any) -> Any:
        return self._op("div", other, self)

    def __pow__(self, other: Any) -> Any:
        return self._op("pow", self, other)

    def __rpow__(self, other: Any) -> Any:
        return self._op("pow", other, self)

    def __matmul__(self, other: Any) -> Any:
        return self._op("matmul", self, other)

    def __rmatmul__(self, other: Any) -> Any:
        return self._op("matmul", other, self)

    def __neg__(self) -> Any:
        return self._op("neg", self)

    def __abs__(self) -> Any:
        return self._op("abs", self)

    def __getitem__(self, index: Any) -> Any:
        return self._op("getitem", self, index)


def record_call(layer: Layer, inputs: Any, outputs: Any) -> None:
    """Remember one symbolic call of ``layer`` (what ``layer.input``/``layer.output`` show)."""
    layer.__dict__.setdefault("_inbound_calls", []).append((inputs, outputs))


def call_attribute(layer: Layer, which: str) -> Any:
    """``layer.input`` or ``layer.output``: the symbolic tensors of the layer's first call.

    A single tensor is returned as itself, several as a list (Keras's rule).

    Raises
    ------
    AttributeError
        If the layer was never called on symbolic tensors.
    """
    calls = layer.__dict__.get("_inbound_calls")
    if not calls:
        raise AttributeError(f"The layer {layer.name} has never been called and thus has no "
                             f"defined {which}.")
    value = calls[0][0] if which == "input" else calls[0][1]
    if isinstance(value, list) and len(value) == 1:
        return value[0]
    return value


def _output_shape(layer: Layer, shapes: Any, kwargs: dict) -> Any:
    """``layer.compute_output_shape(shapes)``, given the call options it declares (``reverse``)."""
    if kwargs:
        params = inspect.signature(layer.compute_output_shape).parameters
        options = {k: v for k, v in kwargs.items() if k in params}
        if options:
            return layer.compute_output_shape(shapes, **options)
    return layer.compute_output_shape(shapes)


def call_on_symbolic(layer: Layer, inputs: Any, args: tuple, kwargs: dict) -> Any:
    """``layer(inputs, *args, **kwargs)`` where some argument is a symbolic tensor: record it."""
    from descend.ops._dispatch import has_symbolic

    try:
        if args or has_symbolic(kwargs):
            return symbolic_templated_call(layer, inputs, args, kwargs)
        return symbolic_call(layer, inputs, **kwargs)
    finally:
        layer._clear_losses()  # shape inference runs call: its add_loss values are not real


def symbolic_call(layer: Layer, inputs: Any, **kwargs: Any) -> Any:
    """Record ``layer(inputs)`` on symbolic tensors and return the symbolic output(s)."""
    from descend.layers.input_spec import assert_input_compatibility

    assert_input_compatibility(getattr(layer, "input_spec", None), inputs, layer.name)
    many = isinstance(inputs, (list, tuple))
    items = list(inputs) if many else [inputs]
    shapes = [t.shape for t in items] if many else items[0].shape
    if not layer.built:
        layer._maybe_build(shapes)
    out_shape = _output_shape(layer, shapes, kwargs)
    dtype = _symbolic_dtype(layer, items[0].dtype)
    if isinstance(out_shape, list) and any(isinstance(s, list) for s in out_shape):
        # nested outputs (RNN(StackedRNNCells(...), return_state=True): states per cell):
        # the tensors are numbered in flat order, which is how a model finds them
        numbers = iter(range(1 << 30))

        def make(shape: Any) -> Any:
            if isinstance(shape, list):
                return [make(s) for s in shape]
            return KerasTensor(shape, dtype, layer, items, next(numbers), kwargs)

        out: Any = make(out_shape)
    elif isinstance(out_shape, list):
        out = [KerasTensor(s, dtype, layer, items, i, kwargs)
               for i, s in enumerate(out_shape)]
    else:
        out = KerasTensor(out_shape, dtype, layer, items, 0, kwargs)
    record_call(layer, list(inputs) if many else inputs, out)
    return out


def _symbolic_dtype(layer: Layer, first_input_dtype: str) -> str:
    """The dtype a layer's symbolic outputs carry.

    A layer that declares its output dtype (``output_dtype``, e.g. ``Discretization``
    with integer bucket ids) gives it; a layer that reads integer ids (``Embedding``)
    outputs its own float dtype; any other layer keeps its first input's dtype.
    """
    declared = getattr(layer, "output_dtype", None)
    if isinstance(declared, str):
        return declared
    return layer.dtype if layer._integer_inputs else first_input_dtype


def symbolic_templated_call(layer: Layer, inputs: Any, args: tuple, kwargs: dict) -> Any:
    """Record ``layer(inputs, *args, **kwargs)`` where symbolic tensors appear anywhere.

    Keras lets a layer take tensors in any argument (``Endpoint()(targets,
    logits)``). Every symbolic tensor becomes an input of the recorded node; the
    call's arguments are kept as a template whose slots the model fills when it
    runs. The layer is built from its first argument's shape; the output shape
    comes from running ``call`` on zeros (unknown sizes as 2, then 3).
    """
    import numpy as np

    from descend.autograd import Tensor, no_grad
    from descend.layers._calling import _merge_shapes, _output_shapes
    from descend.layers._templates import _fill, _template
    from descend.layers.hooks import silenced

    found: list[KerasTensor] = []
    template = (_template((inputs, *args), found), _template(dict(kwargs), found))
    if not layer.built:
        first = [t.shape for t in inputs] if isinstance(inputs, (list, tuple)) else (
            inputs.shape if isinstance(inputs, KerasTensor) else None)
        if first is not None:
            layer._maybe_build(first)
        else:
            layer.built = True

    def run(fill: int) -> Any:
        values = [Tensor._make(np.zeros([fill if s is None else s for s in t.shape], t.dtype),
                               False, None) for t in found]
        call_args, call_kwargs = _fill(template[0], values), _fill(template[1], values)
        with no_grad(), np.errstate(all="ignore"), silenced():
            try:
                out = layer._invoke(call_args[0], False, *call_args[1:], **call_kwargs)
            finally:
                layer._clear_losses()
        return _output_shapes(out)

    out_shape = _merge_shapes(run(2), run(3))
    dtype = _symbolic_dtype(layer, found[0].dtype)
    shapes = out_shape if isinstance(out_shape, list) else [out_shape]
    outputs = [KerasTensor(shape, dtype, layer, found, i) for i, shape in enumerate(shapes)]
    for tensor in outputs:
        tensor.call_template = template
    out: Any = outputs if isinstance(out_shape, list) else outputs[0]
    record_call(layer, inputs, out)
    return out


class InputLayer(Layer):
    """The entry point of a network: fixes the input shape, passes data through.

    Parameters
    ----------
    shape : tuple of int, optional
        Shape of one sample, without the batch axis (``None`` entries allowed).
    batch_size : int, optional
        Fixed batch size, if any.
    dtype : str, optional
        Defaults to ``descend.config.floatx()``.
    batch_shape : tuple, optional
        Full shape including the batch axis (instead of ``shape``).
    name : str, optional
    """

    def __init__(self, shape: Any = None, batch_size: int | None = None, dtype: Any = None,
                 batch_shape: Any = None, name: str | None = None, **kwargs: Any) -> None:
        if "input_shape" in kwargs and shape is None:
            shape = kwargs.pop("input_shape")
        kwargs.pop("sparse", None)
        kwargs.pop("ragged", None)
        if kwargs.pop("optional", False):
            raise ValueError("InputLayer: optional=True (an input that may be None) is not "
                             "supported by descend; give every input a value.")
        super().__init__(name=name, dtype=dtype, **kwargs)
        if batch_shape is not None:
            batch_shape = tuple(batch_shape)
            batch_size, shape = batch_shape[0], batch_shape[1:]
        if shape is None:
            raise ValueError(
                "InputLayer: expected `shape` (the shape of one sample, without the batch "
                "axis), received None. Pass for example Input(shape=(784,))."
            )
        self.shape = shape_tuple(shape, "Input shape")
        self.batch_size = batch_size
        self.batch_shape = (batch_size, *self.shape)
        self.built = True
        record_call(self, [], [KerasTensor(self.batch_shape, self.dtype, self, [])])

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """The input shape, unchanged."""
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments (``batch_shape``, ``dtype``, ``name``)."""
        return {"batch_shape": list(self.batch_shape), "dtype": self.dtype, "name": self.name}


def Input(  # noqa: N802  (Keras's name: a function that looks like a class)
    shape: Any = None,
    batch_size: int | None = None,
    dtype: Any = None,
    batch_shape: Any = None,
    name: str | None = None,
    **kwargs: Any,
) -> KerasTensor:
    """Create a symbolic input of ``shape`` (without the batch axis).

    Parameters
    ----------
    shape : tuple of int
        Shape of one sample, e.g. ``(784,)`` or ``(28, 28, 1)``.
    batch_size : int, optional
    dtype : str, optional
    batch_shape : tuple, optional
        Full shape including the batch axis.
    name : str, optional

    Returns
    -------
    KerasTensor
        With shape ``(batch_size, *shape)``.
    """
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype,
                       batch_shape=batch_shape, name=name, **kwargs)
    return layer.output
