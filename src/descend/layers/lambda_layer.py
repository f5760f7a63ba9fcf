"""``Lambda``: wrap an arbitrary function of tensors as a layer.

``Lambda(fn)`` calls ``fn(inputs, **arguments)`` (also passing ``mask`` and
``training`` when ``fn`` accepts them). It has no weights.

**Saving.** The function is stored as Keras stores it: a named function by
reference (``{"module", "class_name": "function", "config": name}``), an
anonymous ``lambda`` as its marshalled byte code (``{"class_name":
"__lambda__", "config": {"code", "defaults", "closure"}}``). Byte code is
Python-version specific and running it means running whatever a file contains,
so descend never loads it: a file with a ``Lambda`` is refused unless
``load_model(..., safe_mode=False)`` is passed, and even then only a *named*
function that is given in ``custom_objects`` (or registered, or one of
descend's activations) is accepted. Rebuild a model with a ``lambda`` by
defining the function with ``def`` and passing it in ``custom_objects``.

Examples
--------
>>> import numpy as np
>>> from descend.layers import Lambda
>>> Lambda(lambda x: x * 2)(np.ones((1, 2), "float32")).data
array([[2., 2.]], dtype=float32)
>>> Lambda(lambda x, k: x + k, arguments={"k": 1.0})(np.zeros((1, 2), "float32")).data
array([[1., 1.]], dtype=float32)
"""

from __future__ import annotations

import base64
import inspect
import json
import marshal
import types
from typing import Any

from descend import _plugins as plugins
from descend.autograd import Tensor
from descend.layers.layer import Layer

__all__ = ["Lambda"]


def _is_anonymous(fn: Any) -> bool:
    return isinstance(fn, types.LambdaType) and fn.__name__ == "<lambda>"


def _plain(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def serialize_function(fn: Any) -> dict[str, Any]:
    """Keras's config of a function: byte code for a ``lambda``, a reference otherwise."""
    if _is_anonymous(fn):
        code = base64.encodebytes(marshal.dumps(fn.__code__)).decode("ascii")
        closure = None
        if fn.__closure__:
            contents = tuple(cell.cell_contents for cell in fn.__closure__)
            closure = list(contents) if _plain(list(contents)) else None
        defaults = list(fn.__defaults__) if fn.__defaults__ and _plain(
            list(fn.__defaults__)) else None
        return {"class_name": "__lambda__",
                "config": {"code": code, "defaults": defaults, "closure": closure}}
    return plugins.serialize_keras_object(fn)


def deserialize_function(config: Any, custom_objects: Any, owner: str) -> Any:
    """The function a config names; byte code is refused (never run)."""
    if isinstance(config, dict) and config.get("class_name") in ("__lambda__", "__function__"):
        raise ValueError(
            f"{owner}: the config holds the byte code of an anonymous function (a Python "
            "lambda). descend never loads or runs code from a file, whatever safe_mode says. "
            "Define the function with `def`, rebuild the Lambda with it and pass it in "
            "custom_objects={'name': function} (with safe_mode=False)."
        )
    if isinstance(config, str):
        if custom_objects and config in custom_objects:
            return custom_objects[config]
        from descend import activations

        return activations.get(config)
    return plugins.deserialize_keras_object(config, custom_objects=custom_objects)


class Lambda(Layer):
    """Wrap a function as a layer (Keras's ``Lambda``).

    Parameters
    ----------
    function : callable
        ``function(inputs, **arguments)`` returning a tensor; built from
        descend's differentiable operations so that gradients flow.
    output_shape : tuple of int or callable, optional
        Shape of one output sample (without the batch axis), or
        ``fn(input_shape) -> output_shape``; inferred by running ``function``
        when omitted.
    mask : callable or tensor, optional
        Output mask (kept for Keras compatibility).
    arguments : dict, optional
        Extra keyword arguments for ``function``.
    **kwargs
        Base-layer arguments.

    Notes
    -----
    See the module docstring for how the function is saved and why byte code is
    never loaded.
    """

    def __init__(self, function: Any, output_shape: Any = None, mask: Any = None,
                 arguments: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not callable(function):
            raise ValueError(
                f"Layer '{self.name}' (Lambda): `function` must be callable, received "
                f"function={function!r} of type {type(function).__name__}."
            )
        if arguments is not None and not isinstance(arguments, dict):
            raise ValueError(
                f"Layer '{self.name}' (Lambda): `arguments` must be a dict of keyword "
                f"arguments for the function, received arguments={arguments!r}."
            )
        self.function = function
        self.arguments = dict(arguments or {})
        self.mask = mask
        if output_shape is not None and not callable(output_shape):
            output_shape = tuple(output_shape)
        self._output_shape = output_shape
        try:
            params = inspect.signature(function).parameters
        except (TypeError, ValueError):
            params = {}
        self._fn_takes = {name for name in ("mask", "training") if name in params}

    def call(self, inputs: Tensor, mask: Any = None, training: bool = False) -> Tensor:
        """``function(inputs, **arguments)``."""
        kwargs = dict(self.arguments)
        if "mask" in self._fn_takes:
            kwargs["mask"] = mask
        if "training" in self._fn_takes:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """From ``output_shape`` when given, else by running the function."""
        if self._output_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self._output_shape):
            return tuple(self._output_shape(tuple(input_shape)))
        return (tuple(input_shape)[0], *self._output_shape)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """``mask(inputs, mask)`` when ``mask`` is callable, else ``mask``."""
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def get_config(self) -> dict[str, Any]:
        """Keras's keys; the function as in the module docstring."""
        config = super().get_config()
        config["function"] = serialize_function(self.function)
        if self._output_shape is not None:
            config["output_shape"] = (serialize_function(self._output_shape)
                                      if callable(self._output_shape) else self._output_shape)
        if self.mask is not None:
            config["mask"] = serialize_function(self.mask) if callable(self.mask) else self.mask
        config["arguments"] = self.arguments
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Lambda:
        """Rebuild from a config naming a function; byte code raises ``ValueError``."""
        config = dict(config)
        owner = f"Lambda layer '{config.get('name', 'lambda')}'"
        config["function"] = deserialize_function(config["function"], custom_objects, owner)
        shape = config.get("output_shape")
        if isinstance(shape, dict):
            config["output_shape"] = deserialize_function(shape, custom_objects, owner)
        elif isinstance(shape, list):
            config["output_shape"] = tuple(shape)
        if isinstance(config.get("mask"), dict):
            config["mask"] = deserialize_function(config["mask"], custom_objects, owner)
        return cls(**config)
