"""The formula behind a compiled loss, in words a learner can check by hand.

Examples
--------
>>> from descend import losses
>>> print(loss_formula(losses.MeanSquaredError()))
mean over the batch of mean_j (y_pred_j - y_true_j)^2
"""

from __future__ import annotations

from typing import Any

from descend import config
from descend.explain.formatting import num

__all__ = ["loss_formula", "loss_function_name"]

_FORMULAS = {
    "mean_squared_error": "mean over the batch of mean_j (y_pred_j - y_true_j)^2",
    "mean_absolute_error": "mean over the batch of mean_j |y_pred_j - y_true_j|",
    "mean_absolute_percentage_error":
        "mean over the batch of 100 * mean_j |(y_true_j - y_pred_j) / y_true_j|",
    "mean_squared_logarithmic_error":
        "mean over the batch of mean_j (log(1 + y_pred_j) - log(1 + y_true_j))^2",
    "binary_crossentropy": (
        "mean over the batch of -mean_j [y_j * log(p_j) + (1 - y_j) * log(1 - p_j)], "
        "p clipped to [{eps}, 1 - {eps}]"),
    "binary_crossentropy/logits": (
        "mean over the batch of -mean_j [y_j * log(sigmoid(z_j)) + (1 - y_j) * "
        "log(1 - sigmoid(z_j))] (z = the outputs, computed stably)"),
    "categorical_crossentropy": (
        "mean over the batch of -sum_k y_k * log(p_k), where p = output / sum(output) "
        "clipped to [{eps}, 1 - {eps}]"),
    "categorical_crossentropy/logits":
        "mean over the batch of -sum_k y_k * log(softmax(z)_k) (z = the outputs)",
    "sparse_categorical_crossentropy": (
        "mean over the batch of -log(p[label]), where p = output / sum(output) clipped "
        "to [{eps}, 1 - {eps}]"),
    "sparse_categorical_crossentropy/logits":
        "mean over the batch of -log(softmax(z)[label]) (z = the outputs)",
    "hinge": "mean over the batch of mean_j max(0, 1 - t_j * y_pred_j), t = labels as -1/+1",
    "squared_hinge":
        "mean over the batch of mean_j max(0, 1 - t_j * y_pred_j)^2, t = labels as -1/+1",
}


def loss_function_name(loss: Any) -> str:
    """The underlying function's name of a loss object (``"mean_squared_error"``...).

    Examples
    --------
    >>> from descend import losses
    >>> loss_function_name(losses.get("mse"))
    'mean_squared_error'
    """
    fn = getattr(loss, "fn", None)
    if fn is not None:
        return getattr(fn, "__name__", type(fn).__name__)
    if callable(loss) and hasattr(loss, "__name__"):
        return loss.__name__
    return getattr(loss, "name", type(loss).__name__)


def loss_formula(loss: Any) -> str:
    """How ``loss`` turns predictions and labels into one number.

    Parameters
    ----------
    loss : Loss or callable
        A compiled loss object (``model.compiled_loss.losses[0]``).

    Returns
    -------
    str
        The formula with Keras's conventions (clipping, renormalisation), or
        the loss's name when descend has no formula for it.
    """
    name = loss_function_name(loss)
    kwargs = getattr(loss, "_fn_kwargs", {}) or {}
    key = name + ("/logits" if kwargs.get("from_logits") else "")
    text = _FORMULAS.get(key)
    if text is None:
        return f"{name} (see its documentation for the formula)"
    text = text.replace("{eps}", num(config.epsilon()))
    smoothing = kwargs.get("label_smoothing")
    if smoothing:
        text += f"; labels smoothed by {num(smoothing)}"
    reduction = getattr(loss, "reduction", "sum_over_batch_size")
    if reduction == "sum":
        text = text.replace("mean over the batch of", "sum over the batch of")
    return text
