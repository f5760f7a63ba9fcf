"""Activation functions with Keras names, built from the engine's primitives.

Every activation takes a :class:`~descend.autograd.Tensor` (or anything
:func:`~descend.autograd.ops.as_tensor` accepts) and returns a Tensor of the same
shape; gradients come from the engine. ``__name__`` is the Keras name, so
``serialize(relu) == "relu"``. The five activations the fused dense primitive
knows (``linear``, ``relu``, ``sigmoid``, ``tanh``, ``softmax``) are plain
functions that layers may recognise by name.

The formulas live on the engine floor, in :mod:`descend.autograd.activations`
(one place, shared with :mod:`descend.ops.nn`); this module is the Keras family:
the names, ``get``, ``serialize`` and ``deserialize``.

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

from descend.autograd import Tensor
from descend.autograd import activations as _formulas
from descend.autograd.activations import *  # noqa: F403  (every formula, by its Keras name)
from descend.registry import Family

__all__ = sorted([*_formulas.__all__, "deserialize", "get", "serialize"])

_ALIASES = {"swish": "silu", "hard_swish": "hard_silu"}  # Keras serializes the other name
_ALL = [getattr(_formulas, name) for name in _formulas.__all__ if name not in _ALIASES]
for _fn in _ALL:  # the public home of every activation, as in ``descend.activations.relu``
    _fn.__module__ = __name__
del _fn

_TABLE: dict[str, Callable[..., Tensor]] = {fn.__name__: fn for fn in _ALL}
_TABLE.update({alias: _TABLE[name] for alias, name in _ALIASES.items()})
_FAMILY = Family(
    "activation", _TABLE, base=None, identifier_kind="activation function",
    default=_formulas.linear,
    hint="Pass a name such as 'relu', a callable or None.",
    cannot_name="pass a named function (def my_activation(x): ...) or one of "
                "descend.activations.",
)


def serialize(activation: Callable[..., Any]) -> str | dict[str, Any]:
    """Return the Keras name of a built-in activation, or the config of a custom one.

    Parameters
    ----------
    activation : callable
        A function from this module or any named callable.

    Returns
    -------
    str or dict
        A built-in's name; for a function registered with
        :func:`~descend.saving.register_keras_serializable`, Keras's
        ``{"class_name": "function", "config": name, "registered_name":
        "package>name"}`` so that reloading finds it without ``custom_objects``;
        for another named function, its name (give it in ``custom_objects`` when
        loading).

    Examples
    --------
    >>> serialize(relu)
    'relu'
    >>> serialize(swish)
    'silu'
    """
    return _FAMILY.serialize(activation)


def deserialize(
    config: str | Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None
) -> Callable[..., Tensor]:
    """Return the activation function named by ``config``.

    Parameters
    ----------
    config : str or dict
        A Keras name (``"relu"``), a registered name (``"Custom>my_act"``) or a
        Keras serialized dict such as ``{"class_name": "function", "config":
        "relu"}``.
    custom_objects : dict, optional
        Extra ``name -> function`` entries. Names are searched in
        ``custom_objects``, then the active
        :func:`~descend.saving.custom_object_scope` s, then the registered
        objects, then the built-ins.

    Returns
    -------
    callable

    Raises
    ------
    ValueError
        For an unknown name (the closest names are suggested).

    Examples
    --------
    >>> deserialize("tanh").__name__
    'tanh'
    >>> def clipped(x):
    ...     return x
    >>> deserialize("clipped", custom_objects={"clipped": clipped}) is clipped
    True
    """
    return _FAMILY.deserialize(config, custom_objects)


def get(identifier: str | Callable[..., Any] | Mapping[str, Any] | None) -> Callable[..., Any]:
    """Resolve an activation identifier (Keras's ``activations.get``).

    Parameters
    ----------
    identifier : None, str, dict or callable
        None gives :func:`linear`; a string is looked up by Keras name, custom
        objects first (see :func:`deserialize`; unknown names raise
        ``ValueError`` suggesting the closest); a callable is returned unchanged.

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
    return _FAMILY.get(identifier)
