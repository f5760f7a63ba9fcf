"""Metrics with Keras names, computed on NumPy arrays after every batch.

A metric accumulates batches with ``update_state(y_true, y_pred,
sample_weight=None)`` and reports a Python float with ``result()``;
``reset_state()`` starts over (``fit`` does so every epoch). ``resolve`` turns
what ``compile(metrics=[...])`` received into metric objects, mapping
``"accuracy"``/``"acc"`` by Keras's shape rule and naming each metric exactly as
the user wrote it. The loss functions are also available here under their Keras
names (``descend.metrics.categorical_crossentropy``).

Modules: ``metric`` (protocol, ``Mean``, ``Sum``, ``MeanMetricWrapper``),
``accuracy_metrics``, ``regression_metrics``, ``probabilistic_metrics``,
``confusion_metrics``, ``sensitivity_specificity`` (rate at a required rate),
``f_score_metrics``, ``r2_score``, ``iou_metrics``, ``correlation_metrics``.

Examples
--------
>>> import numpy as np
>>> from descend import metrics
>>> m = metrics.resolve("acc", (4,), (None, 3))
>>> type(m).__name__, m.name
('SparseCategoricalAccuracy', 'acc')
>>> m.update_state(np.array([0, 2]), np.array([[0.8, 0.1, 0.1], [0.5, 0.3, 0.2]]))
>>> m.result()
0.5
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from descend.losses import (
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    categorical_hinge,
    hinge,
    huber,
    is_binary_or_sparse_categorical,
    kl_divergence,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
)
from descend.metrics.accuracy_metrics import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from descend.metrics.confusion_metrics import (
    AUC,
    FalseNegatives,
    FalsePositives,
    Precision,
    Recall,
    TrueNegatives,
    TruePositives,
)
from descend.metrics.correlation_metrics import (
    ConcordanceCorrelation,
    PearsonCorrelation,
    concordance_correlation,
    pearson_correlation,
)
from descend.metrics.f_score_metrics import F1Score, FBetaScore
from descend.metrics.iou_metrics import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from descend.metrics.metric import Mean, MeanMetricWrapper, Metric, Sum, to_snake_case
from descend.metrics.probabilistic_metrics import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    CategoricalHinge,
    Hinge,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
    SquaredHinge,
)
from descend.metrics.r2_score import R2Score
from descend.metrics.regression_metrics import (
    CosineSimilarity,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    RootMeanSquaredError,
    cosine_similarity,
)
from descend.metrics.sensitivity_specificity import (
    PrecisionAtRecall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
)
from descend.registry import Family

# Keras's short names of the loss functions
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kl_divergence
bce = BCE = binary_crossentropy
logcosh = log_cosh

__all__ = [
    "BinaryIoU", "ConcordanceCorrelation", "F1Score", "FBetaScore", "IoU", "MeanIoU",
    "OneHotIoU", "OneHotMeanIoU", "PearsonCorrelation", "PrecisionAtRecall", "R2Score",
    "RecallAtPrecision", "SensitivityAtSpecificity", "SpecificityAtSensitivity",
    "binary_focal_crossentropy", "categorical_focal_crossentropy", "concordance_correlation",
    "huber", "pearson_correlation",
    "AUC", "Accuracy", "BCE", "BinaryAccuracy", "BinaryCrossentropy", "CategoricalAccuracy",
    "CategoricalCrossentropy", "CategoricalHinge", "CosineSimilarity", "FalseNegatives",
    "FalsePositives", "Hinge", "KLD", "KLDivergence", "LogCoshError", "MAE", "MAPE", "MSE",
    "MSLE", "Mean", "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanMetricWrapper",
    "MeanSquaredError", "MeanSquaredLogarithmicError", "Metric", "Poisson", "Precision",
    "Recall", "RootMeanSquaredError", "SparseCategoricalAccuracy",
    "SparseCategoricalCrossentropy", "SparseTopKCategoricalAccuracy", "SquaredHinge", "Sum",
    "TopKCategoricalAccuracy", "TrueNegatives", "TruePositives", "accuracy", "bce",
    "binary_accuracy", "binary_crossentropy", "categorical_accuracy",
    "categorical_crossentropy", "categorical_hinge", "cosine_similarity", "deserialize", "get",
    "hinge", "kl_divergence", "kld", "log_cosh", "logcosh", "mae", "mape",
    "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_error",
    "mean_squared_logarithmic_error", "mse", "msle", "poisson", "resolve", "serialize",
    "sparse_categorical_accuracy", "sparse_categorical_crossentropy",
    "sparse_top_k_categorical_accuracy", "squared_hinge", "top_k_categorical_accuracy",
]

_CLASSES = [
    AUC, Accuracy, BinaryAccuracy, BinaryCrossentropy, CategoricalAccuracy,
    CategoricalCrossentropy, CategoricalHinge, CosineSimilarity, FalseNegatives, FalsePositives,
    Hinge, KLDivergence, LogCoshError, Mean, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanMetricWrapper, MeanSquaredError, MeanSquaredLogarithmicError, Metric, Poisson,
    Precision, Recall, RootMeanSquaredError, SparseCategoricalAccuracy,
    SparseCategoricalCrossentropy, SparseTopKCategoricalAccuracy, SquaredHinge, Sum,
    TopKCategoricalAccuracy, TrueNegatives, TruePositives, BinaryIoU, ConcordanceCorrelation,
    F1Score, FBetaScore, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU, PearsonCorrelation,
    PrecisionAtRecall, R2Score, RecallAtPrecision, SensitivityAtSpecificity,
    SpecificityAtSensitivity,
]
_TABLE: dict[str, Any] = {cls.__name__: cls for cls in _CLASSES}
_TABLE.update({to_snake_case(cls.__name__): cls for cls in _CLASSES})
_TABLE.update({
    "bce": BinaryCrossentropy, "BCE": BinaryCrossentropy, "mse": MeanSquaredError,
    "MSE": MeanSquaredError, "mae": MeanAbsoluteError, "MAE": MeanAbsoluteError,
    "mape": MeanAbsolutePercentageError, "MAPE": MeanAbsolutePercentageError,
    "msle": MeanSquaredLogarithmicError, "MSLE": MeanSquaredLogarithmicError,
    "logcosh": LogCoshError,
})

_HELP = ("Pass a name such as 'accuracy' or 'mae', a Metric, a config dict or a function of "
         "(y_true, y_pred).")
_FAMILY = Family("metric", _TABLE, Metric, module="keras.metrics", hint=_HELP,
                 cannot_name="use a named function or a Metric subclass with get_config.")


def serialize(metric: Any) -> Any:
    """Return a Keras-style config of a metric (functions give their name).

    Parameters
    ----------
    metric : Metric, callable or None

    Returns
    -------
    dict, str or None

    Examples
    --------
    >>> serialize(BinaryAccuracy(threshold=0.7))["config"]["threshold"]
    0.7
    """
    return _FAMILY.serialize(metric)


def deserialize(config: str | Mapping[str, Any],
                custom_objects: Mapping[str, Any] | None = None) -> Any:
    """Build a metric from a name or from a config dict made by :func:`serialize`.

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
    Metric or callable

    Examples
    --------
    >>> deserialize("mae").name
    'mean_absolute_error'
    """
    return _FAMILY.deserialize(config, custom_objects)


def get(identifier: Any) -> Any:
    """Resolve a metric identifier as Keras's ``metrics.get`` does.

    Parameters
    ----------
    identifier : None, str, dict, Metric, class or callable
        Strings are class names, their snake case, or the aliases ``mse``,
        ``mae``, ``mape``, ``msle``, ``bce`` (unknown names raise ``ValueError``
        suggesting the closest) and give an instance; note ``"accuracy"`` here
        means exact-match :class:`Accuracy` (``resolve`` applies the shape rule).

    Returns
    -------
    Metric, callable or None

    Examples
    --------
    >>> type(get("binary_accuracy")).__name__
    'BinaryAccuracy'
    >>> get("acuracy")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: Unknown metric: 'acuracy'. Did you mean 'accuracy'...
    """
    return _FAMILY.get(identifier)


def resolve(identifier: Any, y_true_shape: tuple, y_pred_shape: tuple) -> Metric | None:
    """Turn one entry of ``compile(metrics=[...])`` into a metric object (Keras's rule).

    ``"accuracy"``/``"acc"`` (any case) become, from the shapes alone:
    :class:`BinaryAccuracy` when the output has one unit, else
    :class:`SparseCategoricalAccuracy` when the labels have lower rank than the
    output or end in a length-1 axis, else :class:`CategoricalAccuracy`. Other
    identifiers go through :func:`get`; functions are wrapped in
    :class:`MeanMetricWrapper`. A string identifier becomes the metric's
    ``name`` (the log key) exactly as written.

    Parameters
    ----------
    identifier : None, str, dict, Metric, class or callable
    y_true_shape : tuple
        Shape of the labels.
    y_pred_shape : tuple
        Shape of the model output (the batch entry may be None).

    Returns
    -------
    Metric or None

    Examples
    --------
    >>> m = resolve("accuracy", (100,), (None, 1))
    >>> type(m).__name__, m.name
    ('BinaryAccuracy', 'accuracy')
    >>> type(resolve("accuracy", (100, 10), (None, 10))).__name__
    'CategoricalAccuracy'
    """
    if identifier is None:
        return None
    if str(identifier).lower() in ("accuracy", "acc"):
        is_binary, is_sparse = is_binary_or_sparse_categorical(y_true_shape, y_pred_shape)
        if is_binary:
            metric: Any = BinaryAccuracy(name=str(identifier))
        elif is_sparse:
            metric = SparseCategoricalAccuracy(name=str(identifier))
        else:
            metric = CategoricalAccuracy(name=str(identifier))
    else:
        metric = get(identifier)
    if not isinstance(metric, Metric):
        metric = MeanMetricWrapper(metric)
    if isinstance(identifier, str):
        metric.name = identifier
    return metric
