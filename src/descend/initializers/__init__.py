"""Weight initializers with Keras names, defaults and formulas.

An initializer is called as ``init(shape, dtype=None)`` and returns a NumPy array
of that shape (dtype defaults to ``descend.config.floatx()``). Random
initializers take ``seed``: an int seed gives the same values on every call (as
in Keras); ``seed=None`` draws from descend's global generator, which
:func:`descend.utils.set_random_seed` makes repeatable.

Every initializer can be named by its Keras string, in snake case
(``"glorot_uniform"``) or as its class name (``"GlorotUniform"``).

Examples
--------
>>> from descend import initializers
>>> w = initializers.get("glorot_uniform")((784, 10))
>>> w.shape, w.dtype
((784, 10), dtype('float32'))
>>> bool(abs(w).max() <= (6 / (784 + 10)) ** 0.5)
True
>>> initializers.get("zeros")((2,))
array([0., 0.], dtype=float32)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from descend.initializers.base import Initializer, RandomInitializer, compute_fans
from descend.initializers.constant_initializers import Constant, Identity, Ones, Zeros
from descend.initializers.random_initializers import (
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    LecunNormal,
    LecunUniform,
    Orthogonal,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
)
from descend.initializers.stft import STFT
from descend.registry import Family

__all__ = [
    "Constant", "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "Identity",
    "IdentityInitializer", "Initializer", "LecunNormal", "LecunUniform", "Ones", "Orthogonal",
    "OrthogonalInitializer", "RandomInitializer", "RandomNormal", "RandomUniform", "STFT",
    "STFTInitializer",
    "TruncatedNormal", "VarianceScaling", "Zeros", "compute_fans", "deserialize", "get",
    "serialize",
    "constant", "glorot_normal", "glorot_uniform", "he_normal", "he_uniform", "identity",
    "lecun_normal", "lecun_uniform", "ones", "orthogonal", "random_normal", "random_uniform",
    "stft", "truncated_normal", "variance_scaling", "zeros",
]

# Keras's class names for these two
OrthogonalInitializer = Orthogonal
IdentityInitializer = Identity
STFTInitializer = stft = STFT
# Keras's lower-case aliases of the classes (``initializers.glorot_uniform(seed=1)``)
constant, glorot_normal, glorot_uniform = Constant, GlorotNormal, GlorotUniform
he_normal, he_uniform, identity = HeNormal, HeUniform, Identity
lecun_normal, lecun_uniform, ones, orthogonal = LecunNormal, LecunUniform, Ones, Orthogonal
random_normal, random_uniform = RandomNormal, RandomUniform
truncated_normal, variance_scaling, zeros = TruncatedNormal, VarianceScaling, Zeros

_CLASSES = [
    Constant, GlorotNormal, GlorotUniform, HeNormal, HeUniform, Identity, LecunNormal,
    LecunUniform, Ones, Orthogonal, RandomNormal, RandomUniform, TruncatedNormal,
    VarianceScaling, Zeros, STFT,
]
_TABLE: dict[str, Any] = {cls.__name__: cls for cls in _CLASSES}
_TABLE.update({
    "constant": Constant, "glorot_normal": GlorotNormal, "glorot_uniform": GlorotUniform,
    "he_normal": HeNormal, "he_uniform": HeUniform, "identity": Identity,
    "lecun_normal": LecunNormal, "lecun_uniform": LecunUniform, "ones": Ones,
    "orthogonal": Orthogonal, "random_normal": RandomNormal, "random_uniform": RandomUniform,
    "truncated_normal": TruncatedNormal, "variance_scaling": VarianceScaling, "zeros": Zeros,
    # Keras's aliases
    "OrthogonalInitializer": Orthogonal, "IdentityInitializer": Identity, "stft": STFT,
    "STFTInitializer": STFT,
    "uniform": RandomUniform, "normal": RandomNormal, "one": Ones, "zero": Zeros,
})

_HELP = ("Pass a name such as 'glorot_uniform', a config dict, an Initializer or a function "
         "f(shape, dtype=None).")
_FAMILY = Family(
    "initializer", _TABLE, Initializer, module="keras.initializers", hint=_HELP,
    cannot_name="subclass descend.initializers.Initializer and implement get_config.",
)


def serialize(initializer: Initializer | Callable[..., Any] | None) -> Any:
    """Return a Keras-style config for an initializer (None stays None).

    Parameters
    ----------
    initializer : Initializer, callable or None

    Returns
    -------
    dict, str or None
        ``{"module", "class_name", "config", "registered_name"}`` for an
        :class:`Initializer` (``registered_name`` is None for descend's own
        classes and :func:`~descend.saving.get_registered_name` of a custom
        class); for a function registered with
        :func:`~descend.saving.register_keras_serializable`, Keras's
        ``{"class_name": "function", ...}`` dict; another function gives its
        ``__name__``.

    Examples
    --------
    >>> serialize(GlorotUniform(seed=3))["config"]
    {'seed': 3}
    """
    return _FAMILY.serialize(initializer)


def deserialize(
    config: str | Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None
) -> Initializer | Callable[..., Any]:
    """Build an initializer from a name or from a config dict made by :func:`serialize`.

    Parameters
    ----------
    config : str or dict
        ``"he_normal"``, ``"HeNormal"``, a registered name (``"Custom>MyInit"``),
        or ``{"class_name": ..., "config": {...}, "registered_name": ...}``.
    custom_objects : dict, optional
        Extra ``name -> class or function`` entries. Names are searched in
        ``custom_objects``, then the active
        :func:`~descend.saving.custom_object_scope` s, then the registered
        objects, then the built-ins.

    Returns
    -------
    Initializer or callable
        A class is instantiated (from the config's arguments, or its defaults);
        a function is returned as is.

    Raises
    ------
    ValueError
        For an unknown name (the closest names are suggested).

    Examples
    --------
    >>> deserialize({"class_name": "RandomNormal", "config": {"stddev": 1.0}}).stddev
    1.0
    """
    return _FAMILY.deserialize(config, custom_objects)


def get(identifier: Any) -> Initializer | Callable[..., Any] | None:
    """Resolve an initializer identifier (Keras's ``initializers.get``).

    Parameters
    ----------
    identifier : None, str, dict, Initializer, class or callable
        None stays None; strings are Keras names in snake or Camel case (an
        unknown name raises ``ValueError`` suggesting the closest); a class is
        instantiated with its defaults; instances and functions
        ``f(shape, dtype=None)`` are returned unchanged.

    Returns
    -------
    Initializer, callable or None

    Examples
    --------
    >>> type(get("he_normal")).__name__
    'HeNormal'
    >>> get("he_normall")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: Unknown initializer: 'he_normall'. Did you mean 'he_normal'...
    """
    return _FAMILY.get(identifier)
