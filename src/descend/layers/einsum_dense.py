"""``EinsumDense``: a dense layer whose product is an Einstein-summation equation.

``output = activation(einsum(equation, inputs, kernel) + bias)``, as in Keras.
The equation has the form ``"<input>,<kernel>-><output>"`` (e.g. ``"ab,bc->ac"``
is :class:`~descend.layers.Dense`), optionally with ``...`` at the left of the
input and output (``"...b,bc->...c"``) or at the right (``"abc...,cd->abd..."``).
The kernel's shape is read from the equation: a kernel letter found in the output
takes the output's size (from ``output_shape``), otherwise the input's. The bias
covers the output letters from the first one named in ``bias_axes`` to the end
(size 1 for the letters in that range not named), which is Keras's layout.

Examples
--------
>>> import numpy as np
>>> layer = EinsumDense("abc,cde->abde", output_shape=(None, 2, 3), bias_axes="de")
>>> layer(np.zeros((4, 5, 6), "float32")).shape
(4, 5, 2, 3)
>>> layer.kernel.shape, layer.bias.shape
((6, 2, 3), (2, 3))
"""

from __future__ import annotations

import re
from typing import Any

from descend import activations, constraints, initializers, ops, regularizers
from descend.layers.layer import Layer

__all__ = ["EinsumDense", "analyze_einsum"]


def analyze_einsum(equation: str, bias_axes: str | None, input_shape: tuple,
                   output_shape: Any, owner: str = "EinsumDense") -> tuple:
    """Kernel shape, bias shape and full output shape of an ``EinsumDense`` equation.

    Parameters
    ----------
    equation : str
        ``"X,Y->Z"``, ``"...X,Y->...Z"`` or ``"X...,Y->Z..."`` (letters only).
    bias_axes : str or None
        Output letters that carry a bias.
    input_shape : tuple
        Input shape, batch axis included.
    output_shape : int or tuple
        Output shape without the batch axis (``None`` for sizes taken from the input).
    owner : str
        Named in error messages.

    Returns
    -------
    (kernel_shape, bias_shape or None, full_output_shape)
    """
    text = equation.replace("...", "0")
    left = False
    match = re.fullmatch(r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)", text)
    if match is None:
        match = re.fullmatch(r"0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)", text)
        left = match is not None
    if match is None:
        match = re.fullmatch(r"([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0", text)
    if match is None:
        raise ValueError(
            f"{owner}: invalid einsum equation '{equation}'. Equations must be in the form "
            "[X],[Y]->[Z], ...[X],[Y]->...[Z], or [X]...,[Y]->[Z]...."
        )
    in_spec, w_spec, out_spec = match.groups()
    input_shape = tuple(input_shape)
    elided = len(input_shape) - len(in_spec)
    if elided < 0:
        raise ValueError(
            f"{owner}: the equation '{equation}' names {len(in_spec)} input axes but the input "
            f"has shape {input_shape}."
        )
    out = [output_shape] if isinstance(output_shape, int) else list(output_shape)
    out.insert(0, input_shape[0])
    if elided > 0 and left:
        for i in range(1, elided):
            out.insert(1, input_shape[i])
    elif elided > 0:
        out.extend(input_shape[len(input_shape) - elided:])
    if left:
        in_map = {d: i + elided - len(input_shape) for i, d in enumerate(in_spec)}
        out_map = {d: i + elided for i, d in enumerate(out_spec)}
    else:
        in_map = {d: i for i, d in enumerate(in_spec)}
        out_map = {d: i for i, d in enumerate(out_spec)}
    for d in in_spec:
        if d in out_map:
            if out_map[d] >= len(out):
                raise ValueError(f"{owner}: output_shape {output_shape!r} is too short for the "
                                 f"equation '{equation}'.")
            want, have = out[out_map[d]], input_shape[in_map[d]]
            if want is not None and want != have:
                raise ValueError(
                    f"{owner}: input shape and output shape do not match at shared dimension "
                    f"'{d}'. Input shape is {have}, and output shape is {want}."
                )
            out[out_map[d]] = have
    for d in out_spec:
        if d not in in_spec and d not in w_spec:
            raise ValueError(f"{owner}: dimension '{d}' of the output '{out_spec}' is neither in "
                             f"the input spec '{in_spec}' nor in the weight spec '{w_spec}'.")
    kernel = []
    for d in w_spec:
        if d in out_map:
            kernel.append(out[out_map[d]])
        elif d in in_map:
            kernel.append(input_shape[in_map[d]])
        else:
            raise ValueError(f"{owner}: weight dimension '{d}' is in neither the input spec "
                             f"'{in_spec}' nor the output spec '{out_spec}'.")
    if any(k is None for k in kernel):
        raise ValueError(f"{owner}: the kernel shape {kernel} of '{equation}' is not fully "
                         f"known for input shape {input_shape} and output_shape {output_shape!r}.")
    bias = None
    if bias_axes is not None:
        for c in bias_axes:
            if c not in out_spec:
                raise ValueError(f"{owner}: bias dimension '{c}' was requested, but is not part "
                                 f"of the output spec '{out_spec}'.")
        shift = elided if left else 0
        sizes = {c: out[i + shift] for i, c in enumerate(out_spec)}
        first = min(out_spec.find(c) for c in bias_axes)
        bias = [sizes[c] if c in bias_axes else 1 for c in out_spec[first:]]
        if not left:
            bias.extend([1] * max(elided, 0))
    return tuple(int(k) for k in kernel), (None if bias is None else tuple(bias)), tuple(out)


class EinsumDense(Layer):
    """A layer that uses ``einsum`` as the backing computation.

    Parameters
    ----------
    equation : str
        ``"ab,bc->ac"``-style equation: input, kernel, output (see the module docstring).
    output_shape : int or tuple of int/None
        Expected output shape without the batch axis; ``None`` entries are taken from
        the input.
    activation : str or callable, optional
        Applied last (default linear).
    bias_axes : str, optional
        Output letters that get a bias (default None: no bias).
    kernel_initializer : default "glorot_uniform"
    bias_initializer : default "zeros"
    kernel_regularizer, bias_regularizer, kernel_constraint, bias_constraint : optional
    **kwargs
        Base-layer arguments (``activity_regularizer`` included).

    Notes
    -----
    Weights ``kernel`` then ``bias`` (Keras's order). ``glorot_uniform`` on a kernel of
    rank > 2 uses descend's fans (last axis = fan out, second last times the rest = fan
    in), whereas Keras 3.15 counts the axes the equation contracts; the initial
    distribution differs, the computation does not.
    """

    def __init__(self, equation: str, output_shape: Any, activation: Any = None,
                 bias_axes: str | None = None, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None,
                 bias_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        for key in ("lora_rank", "lora_alpha", "quantization_config",
                    "gptq_unpacked_column_size"):
            if kwargs.pop(key, None) is not None:
                raise ValueError(f"EinsumDense: `{key}` is not supported by descend.")
        activity_regularizer = kwargs.pop("activity_regularizer", None)
        super().__init__(**kwargs)
        if not isinstance(equation, str):
            raise TypeError(f"Layer '{self.name}' (EinsumDense): `equation` must be a string, "
                            f"received {equation!r}.")
        self.equation = equation
        self.partial_output_shape = ((int(output_shape),) if isinstance(output_shape, int)
                                     else tuple(output_shape))
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.kernel: Any = None
        self.bias: Any = None
        self.full_output_shape: tuple | None = None

    def build(self, input_shape: tuple) -> None:
        """Create ``kernel`` (and ``bias`` with ``bias_axes``) from the equation."""
        owner = f"Layer '{self.name}' (EinsumDense)"
        kernel, bias, out = analyze_einsum(self.equation, self.bias_axes, tuple(input_shape),
                                           self.partial_output_shape, owner)
        self.full_output_shape = out
        self._input_rank = len(tuple(input_shape))
        self.kernel = self.add_weight(name="kernel", shape=kernel,
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        if bias is not None:
            self.bias = self.add_weight(name="bias", shape=bias,
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self.built = True

    def _check_input(self, inputs: Any) -> None:
        if len(inputs.shape) != self._input_rank:
            raise ValueError(
                f"Input 0 of layer '{self.name}' (EinsumDense) is incompatible with the layer: "
                f"expected ndim={self._input_rank}, found ndim={len(inputs.shape)}. Full shape "
                f"received: {tuple(inputs.shape)}."
            )

    def call(self, inputs: Any, training: bool = False) -> Any:
        """``activation(einsum(equation, inputs, kernel) + bias)``."""
        out = ops.einsum(self.equation, inputs, self.kernel)
        if self.bias is not None:
            out = out + self.bias
        return self.activation(out)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """The full output shape, batch axis included."""
        return analyze_einsum(self.equation, self.bias_axes, tuple(input_shape),
                              self.partial_output_shape, f"Layer '{self.name}' (EinsumDense)")[2]

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, Keras's keys."""
        config = super().get_config()
        config.update(
            output_shape=self.partial_output_shape, equation=self.equation,
            activation=activations.serialize(self.activation), bias_axes=self.bias_axes,
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
            kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
            bias_regularizer=regularizers.serialize(self.bias_regularizer),
            activity_regularizer=regularizers.serialize(self.activity_regularizer),
            kernel_constraint=constraints.serialize(self.kernel_constraint),
            bias_constraint=constraints.serialize(self.bias_constraint),
        )
        return config
