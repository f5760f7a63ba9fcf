"""Activation functions with Keras names, built from the engine's primitives.

Every activation takes a :class:`~descend.autograd.Tensor` (or anything
:func:`~descend.autograd.ops.as_tensor` accepts) and returns a Tensor of the same
shape; gradients come from the engine. ``__name__`` is the Keras name, so
``serialize(relu) == "relu"``. The five activations the fused dense primitive
knows (``linear``, ``relu``, ``sigmoid``, ``tanh``, ``softmax``) are plain
functions that layers may recognise by name.

The functions live in ``core`` (identity, rectifiers, squashing functions),
``smooth`` (ELU family, GELU, softplus...), ``piecewise`` (hard sigmoid,
shrinkage...) and ``structured`` (GLU, sparsemax); all are re-exported here.

Examples
--------
>>> from descend import activations
>>> from descend.autograd import Tensor
>>> activations.get("relu")(Tensor([-1.0, 2.0])).data
array([0., 2.], dtype=float32)
>>> activations.get(None).__name__
'linear'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from descend._registry import lookup
from descend.activations.core import (
    exponential,
    leaky_relu,
    linear,
    log_softmax,
    relu,
    relu6,
    sigmoid,
    softmax,
    tanh,
    threshold,
)
from descend.activations.piecewise import (
    hard_shrink,
    hard_sigmoid,
    hard_silu,
    hard_swish,
    hard_tanh,
    soft_shrink,
    sparse_plus,
    sparse_sigmoid,
)
from descend.activations.smooth import (
    celu,
    elu,
    gelu,
    log_sigmoid,
    mish,
    selu,
    silu,
    softplus,
    softsign,
    squareplus,
    swish,
    tanh_shrink,
)
from descend.activations.structured import glu, sparsemax
from descend.autograd import Tensor

__all__ = [
    "celu", "deserialize", "elu", "exponential", "gelu", "get", "glu", "hard_shrink",
    "hard_sigmoid", "hard_silu", "hard_swish", "hard_tanh", "leaky_relu", "linear",
    "log_sigmoid", "log_softmax", "mish", "relu", "relu6", "selu", "serialize", "sigmoid",
    "silu", "soft_shrink", "softmax", "softplus", "softsign", "sparse_plus", "sparse_sigmoid",
    "sparsemax", "squareplus", "swish", "tanh", "tanh_shrink", "threshold",
]

_ALL = [
    celu, elu, exponential, gelu, glu, hard_shrink, hard_sigmoid, hard_silu, hard_tanh,
    leaky_relu, linear, log_sigmoid, log_softmax, mish, relu, relu6, selu, sigmoid, silu,
    soft_shrink, softmax, softplus, softsign, sparse_plus, sparse_sigmoid, sparsemax,
    squareplus, tanh, tanh_shrink, threshold,
]
for _fn in _ALL:  # the public home of every activation, as in ``descend.activations.relu``
    _fn.__module__ = __name__
del _fn

_TABLE: dict[str, Callable[..., Tensor]] = {fn.__name__: fn for fn in _ALL}
_TABLE.update({"swish": silu, "hard_swish": hard_silu})


def serialize(activation: Callable[..., Any]) -> str:
    """Return the Keras name of an activation function.

    Parameters
    ----------
    activation : callable
        A function from this module or any named callable.

    Returns
    -------
    str

    Examples
    --------
    >>> serialize(relu)
    'relu'
    >>> serialize(swish)
    'silu'
    """
    name = getattr(activation, "__name__", None)
    if name is None:
        get_config = getattr(activation, "get_config", None)
        name = get_config().get("name") if callable(get_config) else None
    if not isinstance(name, str) or name == "<lambda>":
        raise ValueError(
            f"serialize: cannot name the activation {activation!r}; pass a named function "
            "(def my_activation(x): ...) or one of descend.activations."
        )
    return name


def deserialize(
    config: str | Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None
) -> Callable[..., Tensor]:
    """Return the activation function named by ``config``.

    Parameters
    ----------
    config : str or dict
        A Keras name (``"relu"``) or a Keras serialized dict such as
        ``{"class_name": "function", "config": "relu"}``.
    custom_objects : dict, optional
        Extra ``name -> function`` entries, searched first.

    Returns
    -------
    callable

    Examples
    --------
    >>> deserialize("tanh").__name__
    'tanh'
    """
    if isinstance(config, Mapping):
        name = config.get("config")
        if not isinstance(name, str):
            name = config.get("class_name")
        config = name
    if not isinstance(config, str):
        raise TypeError(
            f"Could not interpret activation function identifier: {config!r}. "
            "Pass a name such as 'relu', a callable or None."
        )
    table = {**_TABLE, **dict(custom_objects or {})}
    return lookup("activation", config, table)


def get(identifier: str | Callable[..., Any] | Mapping[str, Any] | None) -> Callable[..., Any]:
    """Resolve an activation identifier (Keras's ``activations.get``).

    Parameters
    ----------
    identifier : None, str, dict or callable
        None gives :func:`linear`; a string is looked up by Keras name (unknown
        names raise ``ValueError`` suggesting the closest); a callable is
        returned unchanged.

    Returns
    -------
    callable

    Examples
    --------
    >>> get("sigmoid") is sigmoid
    True
    >>> get("sigmiod")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: Unknown activation: 'sigmiod'. Did you mean 'sigmoid' or ...
    """
    if identifier is None:
        return linear
    if isinstance(identifier, (str, Mapping)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise TypeError(
        f"Could not interpret activation function identifier: {identifier!r}. "
        "Pass a name such as 'relu', a callable or None."
    )
