"""``InputSpec``: what a layer accepts (rank, shape, axes, dtype), checked when it is called.

A layer may set ``self.input_spec`` (one spec, or a list with one per input);
calling the layer on data or on symbolic tensors then runs
:func:`assert_input_compatibility`, whose errors name the layer, the rule and
the shape received, as Keras's do. ``None`` in a spec's shape matches any size.

Examples
--------
>>> import numpy as np
>>> spec = InputSpec(min_ndim=2, axes={-1: 3})
>>> spec
InputSpec(min_ndim=2, axes={-1: 3})
>>> assert_input_compatibility(spec, np.zeros((4, 3)), "dense")
>>> assert_input_compatibility(spec, np.zeros((4, 5)), "dense")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: Input 0 ... expected axis -1 of input shape to have value 3, but received ... (4, 5)
"""

from __future__ import annotations

from typing import Any

from descend import tree


def _shape(shape: Any) -> tuple[int | None, ...]:
    try:
        return tuple(None if d is None else int(d) for d in shape)
    except (TypeError, ValueError):
        raise TypeError(f"InputSpec: shape must be a tuple of ints and None, received "
                        f"{shape!r}.") from None


class InputSpec:
    """The rank, shape and dtype a layer expects for one input (batch axis included).

    Parameters
    ----------
    dtype : str, optional
        Expected dtype (e.g. ``"float32"``).
    shape : tuple of int or None, optional
        Expected full shape; ``None`` entries match anything. Sets ``ndim``.
    ndim : int, optional
        Exact rank.
    max_ndim, min_ndim : int, optional
        Rank bounds.
    axes : dict of {int: int}, optional
        Required sizes of given axes (negative axes count from the end).
    allow_last_axis_squeeze : bool, default False
        Ignore a trailing axis of size 1 on either side when comparing.
    name : str, optional
        The key of this input when the layer receives a dict.
    optional : bool, default False
        Whether the input may be ``None``.

    Raises
    ------
    TypeError
        If ``axes`` has non-integer keys.
    ValueError
        If an axis in ``axes`` exceeds the declared rank.
    """

    def __init__(self, dtype: Any = None, shape: Any = None, ndim: int | None = None,
                 max_ndim: int | None = None, min_ndim: int | None = None,
                 axes: dict | None = None, allow_last_axis_squeeze: bool = False,
                 name: str | None = None, optional: bool = False) -> None:
        if dtype is not None:
            from descend.backend import standardize_dtype

            dtype = standardize_dtype(dtype)
        self.dtype = dtype
        if shape is not None:
            self.shape: tuple | None = _shape(shape)
            self.ndim = len(self.shape)
        else:
            self.shape = None
            self.ndim = ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.name = name
        self.optional = bool(optional)
        self.allow_last_axis_squeeze = bool(allow_last_axis_squeeze)
        try:
            axes = axes or {}
            self.axes = {int(k): axes[k] for k in axes}
        except (TypeError, ValueError):
            raise TypeError(f"InputSpec: axes must be a dict with integer keys, received "
                            f"axes={axes!r}.") from None
        top = self.ndim if self.ndim is not None else self.max_ndim
        if self.axes and top is not None and max(self.axes) > top - 1:
            raise ValueError(f"InputSpec: axis {max(self.axes)} is greater than the maximum "
                             f"allowed value {top - 1} for inputs of rank {top}.")

    def __repr__(self) -> str:
        parts = [f"dtype={self.dtype}" if self.dtype else "",
                 f"shape={self.shape}" if self.shape else "",
                 f"ndim={self.ndim}" if self.ndim else "",
                 f"max_ndim={self.max_ndim}" if self.max_ndim else "",
                 f"min_ndim={self.min_ndim}" if self.min_ndim else "",
                 f"axes={self.axes}" if self.axes else ""]
        return f"InputSpec({', '.join(p for p in parts if p)})"

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-serialisable)."""
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim,
                "max_ndim": self.max_ndim, "min_ndim": self.min_ndim, "axes": self.axes,
                "optional": self.optional}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> InputSpec:
        """Create a spec from :meth:`get_config` output."""
        return cls(**config)


def _check_one(index: int, x: Any, spec: InputSpec, layer_name: str) -> None:
    where = (f"Input {index} with name '{spec.name}' of layer '{layer_name}' is incompatible "
             "with the layer")
    if not hasattr(x, "shape"):
        raise ValueError(f"Inputs to a layer should be tensors or arrays. Got {x!r} (of type "
                         f"{type(x).__name__}) as input for layer '{layer_name}'.")
    shape = tuple(x.shape)
    ndim = len(shape)
    if spec.ndim is not None and not spec.allow_last_axis_squeeze and ndim != spec.ndim:
        raise ValueError(f"{where}: expected ndim={spec.ndim}, found ndim={ndim}. Full shape "
                         f"received: {shape}")
    if spec.max_ndim is not None and ndim > spec.max_ndim:
        raise ValueError(f"{where}: expected max_ndim={spec.max_ndim}, found ndim={ndim}")
    if spec.min_ndim is not None and ndim < spec.min_ndim:
        raise ValueError(f"{where}: expected min_ndim={spec.min_ndim}, found ndim={ndim}. "
                         f"Full shape received: {shape}")
    if spec.dtype is not None:
        from descend.backend import standardize_dtype

        dtype = standardize_dtype(x.dtype)
        if dtype != spec.dtype:
            raise ValueError(f"{where}: expected dtype={spec.dtype}, found dtype={dtype}")
    for axis, value in spec.axes.items():
        if not -ndim <= axis < ndim:
            raise ValueError(f"{where}: expected an axis {axis}, but the input has shape "
                             f"{shape}")
        if value is not None and shape[axis] not in (value, None):
            raise ValueError(f"{where}: expected axis {axis} of input shape to have value "
                             f"{value}, but received input with shape {shape}")
    if spec.shape is not None:
        spec_shape, got = spec.shape, shape
        if spec.allow_last_axis_squeeze:
            got = got[:-1] if got and got[-1] == 1 else got
            spec_shape = spec_shape[:-1] if spec_shape and spec_shape[-1] == 1 else spec_shape
        for want, dim in zip(spec_shape, got, strict=False):
            if want is not None and dim is not None and want != dim:
                raise ValueError(f"{where}: expected shape={spec.shape}, found shape={shape}")


def assert_input_compatibility(input_spec: Any, inputs: Any, layer_name: str) -> None:
    """Raise ``ValueError`` if ``inputs`` break ``input_spec`` (a spec or a structure of specs).

    Parameters
    ----------
    input_spec : InputSpec, list of InputSpec or None
        None checks nothing.
    inputs : array, Tensor, KerasTensor, or a list/dict of them
    layer_name : str
        Used in the messages.
    """
    if not input_spec:
        return
    specs = tree.flatten(input_spec)
    if isinstance(inputs, dict):
        names = [spec.name for spec in specs]
        if all(names):
            missing = [n for n in names if n not in inputs]
            if missing:
                raise ValueError(f"Missing data for input {missing[0]!r} of layer "
                                 f"'{layer_name}'. You passed a dict with keys {list(inputs)}; "
                                 f"expected the keys {names}.")
            inputs = [inputs[n] for n in names]
    flat = tree.flatten(inputs)
    if len(flat) != len(specs):
        raise ValueError(f"Layer '{layer_name}' expects {len(specs)} input(s), but it received "
                         f"{len(flat)} input tensors.")
    for index, (x, spec) in enumerate(zip(flat, specs, strict=True)):
        if spec is None or (x is None and spec.optional):
            continue
        _check_one(index, x, spec, layer_name)
