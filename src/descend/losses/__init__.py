"""Loss functions and loss objects with Keras names, defaults and math.

Functions (``mean_squared_error``, ``binary_crossentropy``, ...) return
per-sample losses; classes (``MeanSquaredError``, ``BinaryCrossentropy``, ...)
add Keras's rank fix-up, sample weighting and reduction (default
``"sum_over_batch_size"``) and return a scalar Tensor to call ``backward`` on.
Every loss is selectable by its Keras string; ``resolve`` also maps
``"crossentropy"``/``"ce"`` by Keras's shape rule, and every built-in loss object
has ``validate(y_true, output_shape)`` to reject label layouts that do not fit.

Modules: ``loss`` (the protocol, reductions), ``regression``, ``probabilistic``
(cross-entropies, KL, Poisson), ``focal`` (focal cross-entropies), ``overlap``
(Dice, Tversky), ``circle`` (metric learning), ``ctc`` (sequence labels),
``generalized_cross_entropy``, ``hinge``, ``validation`` (label checks).

Examples
--------
>>> import numpy as np
>>> from descend import losses
>>> from descend.autograd import Tensor
>>> loss = losses.get("SparseCategoricalCrossentropy")
>>> round(loss(np.array([1, 0]), Tensor([[0.25, 0.75], [0.5, 0.5]])).item(), 4)
0.4904
>>> losses.resolve("ce", (32,), (None, 10)).fn.__name__
'sparse_categorical_crossentropy'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from descend.losses.circle import Circle, circle
from descend.losses.ctc import CTC, ctc
from descend.losses.focal import (
    BinaryFocalCrossentropy,
    CategoricalFocalCrossentropy,
    binary_focal_crossentropy,
    categorical_focal_crossentropy,
)
from descend.losses.generalized_cross_entropy import (
    CategoricalGeneralizedCrossEntropy,
    categorical_generalized_cross_entropy,
)
from descend.losses.hinge import (
    CategoricalHinge,
    Hinge,
    SquaredHinge,
    categorical_hinge,
    hinge,
    squared_hinge,
)
from descend.losses.loss import (
    Loss,
    LossFunctionWrapper,
    is_binary_or_sparse_categorical,
    reduce_weighted_values,
    squeeze_or_expand_to_same_rank,
    standardize_reduction,
)
from descend.losses.overlap import Dice, Tversky, dice, tversky
from descend.losses.probabilistic import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
    binary_crossentropy,
    categorical_crossentropy,
    kl_divergence,
    poisson,
    sparse_categorical_crossentropy,
)
from descend.losses.regression import (
    CosineSimilarity,
    Huber,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    cosine_similarity,
    huber,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)
from descend.registry import Family

# Keras's short names
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kl_divergence
bce = BCE = binary_crossentropy
logcosh = log_cosh

__all__ = [
    "BinaryFocalCrossentropy", "CTC", "CategoricalFocalCrossentropy", "ctc",
    "CategoricalGeneralizedCrossEntropy", "Circle", "Dice", "Tversky",
    "binary_focal_crossentropy", "categorical_focal_crossentropy",
    "categorical_generalized_cross_entropy", "circle", "dice", "tversky",
    "BCE", "BinaryCrossentropy", "CategoricalCrossentropy", "CategoricalHinge",
    "CosineSimilarity", "Hinge", "Huber", "KLD", "KLDivergence", "LogCosh", "Loss",
    "LossFunctionWrapper", "MAE", "MAPE", "MSE", "MSLE", "MeanAbsoluteError",
    "MeanAbsolutePercentageError", "MeanSquaredError", "MeanSquaredLogarithmicError", "Poisson",
    "SparseCategoricalCrossentropy", "SquaredHinge", "bce", "binary_crossentropy",
    "categorical_crossentropy", "categorical_hinge", "cosine_similarity", "deserialize", "get",
    "hinge", "huber", "is_binary_or_sparse_categorical", "kl_divergence", "kld", "log_cosh",
    "logcosh", "mae", "mape", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_error", "mean_squared_logarithmic_error", "mse", "msle", "poisson",
    "reduce_weighted_values", "resolve", "serialize", "sparse_categorical_crossentropy",
    "squared_hinge", "squeeze_or_expand_to_same_rank", "standardize_reduction",
]

_CLASSES = [
    BinaryCrossentropy, CategoricalCrossentropy, CategoricalHinge, CosineSimilarity, Hinge,
    Huber, KLDivergence, LogCosh, Loss, LossFunctionWrapper, MeanAbsoluteError,
    MeanAbsolutePercentageError, MeanSquaredError, MeanSquaredLogarithmicError, Poisson,
    SparseCategoricalCrossentropy, SquaredHinge, BinaryFocalCrossentropy,
    CategoricalFocalCrossentropy, CategoricalGeneralizedCrossEntropy, Circle, Dice, Tversky,
    CTC,
]
FUNCTIONS = [
    binary_crossentropy, categorical_crossentropy, categorical_hinge, cosine_similarity, hinge,
    huber, kl_divergence, log_cosh, mean_absolute_error, mean_absolute_percentage_error,
    mean_squared_error, mean_squared_logarithmic_error, poisson,
    sparse_categorical_crossentropy, squared_hinge, binary_focal_crossentropy,
    categorical_focal_crossentropy, categorical_generalized_cross_entropy, circle, dice,
    tversky, ctc,
]
_TABLE: dict[str, Any] = {obj.__name__: obj for obj in _CLASSES + FUNCTIONS}
_TABLE.update({
    "bce": bce, "BCE": BCE, "kld": kld, "KLD": KLD, "mae": mae, "MAE": MAE, "mse": mse,
    "MSE": MSE, "mape": mape, "MAPE": MAPE, "msle": msle, "MSLE": MSLE, "logcosh": log_cosh,
})

_HELP = ("Pass a name such as 'mse' or 'sparse_categorical_crossentropy', a Loss, a config "
         "dict or a function of (y_true, y_pred).")
_FAMILY = Family("loss", _TABLE, Loss, module="keras.losses", hint=_HELP,
                 cannot_name="use a named function or a Loss subclass with get_config.")


def serialize(loss: Loss | Callable[..., Any] | None) -> Any:
    """Return a Keras-style config of a loss (functions give their name; None stays None).

    Parameters
    ----------
    loss : Loss, callable or None

    Returns
    -------
    dict, str or None

    Examples
    --------
    >>> serialize(mean_squared_error)
    'mean_squared_error'
    >>> serialize(Huber(delta=2.0))["config"]["delta"]
    2.0
    """
    return _FAMILY.serialize(loss)


def deserialize(
    config: str | Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None
) -> Loss | Callable[..., Any]:
    """Return the loss named by ``config`` (a name or a dict made by :func:`serialize`).

    Parameters
    ----------
    config : str or dict
    custom_objects : dict, optional
        Extra ``name -> class or function`` entries. Names are searched in
        ``custom_objects``, then the active
        :func:`~descend.saving.custom_object_scope` s, then the registered
        objects (``"package>name"``), then the built-ins.

    Returns
    -------
    Loss or callable
        A class name gives an instance; a function name gives the function.

    Examples
    --------
    >>> deserialize("mse") is mean_squared_error
    True
    """
    return _FAMILY.deserialize(config, custom_objects)


def get(identifier: Any) -> Loss | Callable[..., Any] | None:
    """Resolve a loss identifier as Keras's ``losses.get`` does.

    Parameters
    ----------
    identifier : None, str, dict, Loss, class or callable
        Strings are Keras names (unknown names raise ``ValueError`` suggesting
        the closest). A class name or class gives an instance with defaults; a
        function name gives the function itself.

    Returns
    -------
    Loss, callable or None

    Examples
    --------
    >>> get("BinaryCrossentropy").name
    'binary_crossentropy'
    >>> get("mean_sqared_error")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: Unknown loss: 'mean_sqared_error'. Did you mean 'mean_squared_error'...
    """
    return _FAMILY.get(identifier)


def resolve(identifier: Any, y_true_shape: tuple, y_pred_shape: tuple) -> Loss | None:
    """Turn what ``compile(loss=...)`` received into a :class:`Loss` object.

    ``"crossentropy"``/``"ce"`` (any case) become binary, sparse categorical or
    categorical cross-entropy by Keras's shape rule (see
    :func:`is_binary_or_sparse_categorical`). Functions are wrapped in a
    :class:`LossFunctionWrapper` named by the string the user wrote (or the
    function's name).

    Parameters
    ----------
    identifier : None, str, dict, Loss, class or callable
    y_true_shape : tuple
        Shape of the labels.
    y_pred_shape : tuple
        Shape of the model output (the batch entry may be None).

    Returns
    -------
    Loss or None

    Examples
    --------
    >>> resolve("crossentropy", (100, 1), (None, 1)).fn.__name__
    'binary_crossentropy'
    >>> resolve("mse", (100,), (None, 1)).name
    'mse'
    """
    if identifier is None:
        return None
    if isinstance(identifier, str) and identifier.lower() in ("crossentropy", "ce"):
        is_binary, is_sparse = is_binary_or_sparse_categorical(y_true_shape, y_pred_shape)
        if is_binary:
            obj: Any = binary_crossentropy
        elif is_sparse:
            obj = sparse_categorical_crossentropy
        else:
            obj = categorical_crossentropy
    else:
        obj = get(identifier)
    if isinstance(obj, Loss):
        return obj
    name = identifier if isinstance(identifier, str) else getattr(obj, "__name__", None)
    return LossFunctionWrapper(obj, name=name)
