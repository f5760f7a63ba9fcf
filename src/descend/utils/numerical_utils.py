"""Label and array helpers with Keras semantics: one-hot encoding and L-p normalisation.

These mirror ``keras.utils.to_categorical`` and ``keras.utils.normalize``. They work on plain
NumPy arrays (anything :func:`numpy.asarray` accepts) and return NumPy arrays.
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["normalize", "to_categorical"]


def _describe_bad_labels(labels: np.ndarray, bad: np.ndarray, limit: int = 5) -> str:
    """Return ``"values [...] at flat positions [...]"`` for the first few offending labels."""
    positions = np.flatnonzero(bad)
    shown = positions[:limit]
    more = "" if positions.size <= limit else f" (and {positions.size - limit} more)"
    values = [labels[i].item() for i in shown]
    return f"values {values} at flat positions {shown.tolist()}{more}"


def to_categorical(x: ArrayLike, num_classes: int | None = None) -> np.ndarray:
    """Convert integer class labels to a one-hot (binary class) matrix.

    Parameters
    ----------
    x : array_like of int, shape (...)
        Class labels, integers in ``[0, num_classes)``. Any shape is accepted; a trailing axis of
        length 1 (for example labels of shape ``(n, 1)``) is dropped before encoding, as Keras does.
        Floats holding whole numbers (``3.0``) are accepted; other values are rejected.
    num_classes : int or None, default None
        Total number of classes. ``None`` (or ``0``) infers it as ``max(x) + 1``.

    Returns
    -------
    numpy.ndarray of float32, shape (..., num_classes)
        ``out[..., k] = 1.0`` where ``x[...] == k`` and ``0.0`` elsewhere. For input of shape
        ``(n, 1)`` the output has shape ``(n, num_classes)``.

    Raises
    ------
    ValueError
        If a label is negative, not a whole number, or ``>= num_classes``, or if ``num_classes``
        is negative. The message lists the offending values and where they are.
    TypeError
        If ``x`` is not numeric or ``num_classes`` is not an integer.

    Examples
    --------
    >>> from descend.utils.numerical_utils import to_categorical
    >>> to_categorical([0, 2, 1])
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 1., 0.]], dtype=float32)
    >>> to_categorical([[1], [3]], num_classes=4).shape
    (2, 4)
    """
    if num_classes is not None and (
        isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral)
    ):
        raise TypeError(
            "to_categorical: `num_classes` must be an int or None, "
            f"received {num_classes!r} of type {type(num_classes).__name__}. "
            "Pass the number of classes as a Python int, e.g. num_classes=10."
        )
    if num_classes is not None and num_classes < 0:
        raise ValueError(
            f"to_categorical: `num_classes` must be >= 0 (0 or None infers it), "
            f"received {num_classes}."
        )

    labels = np.asarray(x)
    if labels.dtype == object or not (
        np.issubdtype(labels.dtype, np.integer)
        or np.issubdtype(labels.dtype, np.floating)
        or labels.dtype == np.bool_
    ):
        raise TypeError(
            "to_categorical: `x` must hold integer class labels, "
            f"received an array of dtype {labels.dtype}. Convert the labels to ints first, "
            "e.g. with np.asarray(y, dtype=int)."
        )
    if np.issubdtype(labels.dtype, np.floating):
        not_whole = ~np.isfinite(labels) | (labels != np.floor(labels))
        if not_whole.any():
            raise ValueError(
                "to_categorical: `x` must hold whole-number class labels, received non-integer "
                f"{_describe_bad_labels(labels.reshape(-1), not_whole.reshape(-1))}. "
                "Round or map the labels to integers 0..num_classes-1 first."
            )

    shape = labels.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    flat = labels.reshape(-1).astype(np.int64)

    negative = flat < 0
    if negative.any():
        raise ValueError(
            "to_categorical: class labels must be >= 0, received negative "
            f"{_describe_bad_labels(flat, negative)}. "
            "Map the labels to integers 0..num_classes-1 first."
        )
    if not num_classes:
        num_classes = int(flat.max()) + 1 if flat.size else 0
    else:
        num_classes = int(num_classes)
        too_big = flat >= num_classes
        if too_big.any():
            raise ValueError(
                f"to_categorical: class labels must be < num_classes={num_classes}, received "
                f"{_describe_bad_labels(flat, too_big)}. "
                f"Increase `num_classes` to at least {int(flat.max()) + 1} or fix the labels."
            )

    out = np.zeros((flat.size, num_classes), dtype=np.float32)
    out[np.arange(flat.size), flat] = 1.0
    return out.reshape(shape + (num_classes,))


def normalize(x: ArrayLike, axis: int = -1, order: float = 2) -> np.ndarray:
    """Scale an array to unit L-p norm along one axis.

    Each slice along ``axis`` is divided by its L-p norm,
    ``y = x / ||x||_p`` with ``||x||_p = (sum_i |x_i|^p)^(1/p)`` (``max_i |x_i|`` for
    ``order=inf``). Slices whose norm is zero are left unchanged (they stay zero).

    Parameters
    ----------
    x : array_like, shape (...)
        Numeric array to normalise. At least one-dimensional.
    axis : int, default -1
        Axis along which the norm is computed; negative values count from the end.
    order : float, default 2
        The exponent ``p`` of the norm, any value ``>= 1`` or ``numpy.inf``
        (2 is the Euclidean norm, 1 the sum of absolute values).

    Returns
    -------
    numpy.ndarray, same shape as ``x``
        The normalised array. Floating input keeps its dtype; integer or boolean input gives
        float64 (NumPy true division), as in Keras.

    Raises
    ------
    ValueError
        If ``axis`` is out of range for ``x`` or ``order`` is not ``>= 1``.
    TypeError
        If ``axis`` is not an int, ``order`` is not a number, or ``x`` is not numeric.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.utils.numerical_utils import normalize
    >>> normalize(np.array([[3.0, 4.0], [0.0, 0.0]]))
    array([[0.6, 0.8],
           [0. , 0. ]])
    >>> normalize(np.array([[1.0, 3.0]]), order=1)
    array([[0.25, 0.75]])
    """
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(
            f"normalize: `axis` must be an int, received {axis!r} of type "
            f"{type(axis).__name__}. Normalise one axis at a time, e.g. axis=-1."
        )
    if isinstance(order, bool) or not isinstance(order, numbers.Real):
        raise TypeError(
            f"normalize: `order` must be a number >= 1 or numpy.inf, received {order!r} "
            f"of type {type(order).__name__}."
        )
    if not order >= 1:
        raise ValueError(
            f"normalize: `order` must be >= 1 (or numpy.inf), received {order!r}. "
            "Use order=2 for the Euclidean norm or order=1 for the sum of absolute values."
        )
    array = np.asarray(x)
    if array.dtype == object or not (
        np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_
    ):
        raise TypeError(
            f"normalize: `x` must be a numeric array, received dtype {array.dtype}. "
            "Convert it with np.asarray(x, dtype=float) first."
        )
    if array.ndim == 0:
        raise ValueError(
            "normalize: `x` must have at least one dimension, received a scalar. "
            "Wrap it in a list or use np.atleast_1d(x)."
        )
    if not -array.ndim <= axis < array.ndim:
        raise ValueError(
            f"normalize: `axis`={axis} is out of range for an input of shape {array.shape} "
            f"({array.ndim} dimensions). Use an axis in [{-array.ndim}, {array.ndim - 1}]."
        )
    norm = np.linalg.norm(array, ord=order, axis=int(axis), keepdims=True)
    norm = np.where(norm == 0, np.ones_like(norm), norm)
    return array / norm
