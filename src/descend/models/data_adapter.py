"""Checking and preparing the arrays given to ``fit``, ``evaluate`` and ``predict``.

Everything a user passes is validated here, where data enters, so that bad input
fails before any training step with a message that names the argument, what was
expected, what was received and how to fix it. Inputs and targets are kept as
lists of arrays (one per model input / output) so that single- and multi-input
models share one code path.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from descend import config
from descend.autograd import Tensor


def _to_array(value: Any, what: str) -> np.ndarray:
    if isinstance(value, Tensor):
        value = value.data
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"`{what}` could not be converted to a NumPy array ({exc}). Pass a numeric "
            "NumPy array (or a list of them for models with several inputs/outputs)."
        ) from None
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise TypeError(
            f"`{what}` must be numeric, received an array of dtype {arr.dtype}"
            + (f" (first element {arr.flat[0]!r})" if arr.size else "")
            + ". Convert strings/categories to numbers first, e.g. with "
            "numpy.asarray(x, dtype='float32') or by encoding labels as integer ids."
        )
    return arr


def as_list(value: Any) -> list[Any]:
    """Return ``value`` as a list (a single array becomes a one-element list)."""
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, (list, tuple)) and value and not np.isscalar(value[0]) and (
        isinstance(value[0], (np.ndarray, Tensor, list, tuple))
        and not _is_nested_numbers(value)
    ):
        return list(value)
    return [value]


def _is_nested_numbers(value: Any) -> bool:
    """True when ``value`` is a plain nested list of numbers (one array, not several)."""
    try:
        arr = np.asarray(value)
    except ValueError:
        return False
    return arr.dtype != object and not isinstance(value[0], np.ndarray)


def prepare_inputs(x: Any, what: str = "x") -> list[np.ndarray]:
    """Validate model inputs: numeric, finite, non-empty; floats converted to floatx."""
    if type(x) is np.ndarray and x.ndim and x.shape[0] and x.dtype == config.floatx():
        # the common case (one plain array of floatx, e.g. predict at batch 1): the loop
        # below would only check it for NaN and infinity
        check_finite(x, what)
        return [x]
    if x is None:
        raise ValueError(f"`{what}` is required, received None.")
    arrays = []
    items = as_list(x)
    target = np.dtype(config.floatx())
    for i, item in enumerate(items):
        label = what if len(items) == 1 else f"{what}[{i}]"
        arr = _to_array(item, label)
        if arr.ndim == 0:
            raise ValueError(f"`{label}` must have a batch axis, received a scalar {arr!r}.")
        if len(arr) == 0:
            raise ValueError(f"`{label}` is empty (shape {arr.shape}): there is nothing to train "
                             "on. Check how the data was loaded or split.")
        if arr.dtype != target:  # ints, bools and other float widths become floatx
            arr = arr.astype(target)
        check_finite(arr, label)
        arrays.append(arr)
    return arrays


def adjust_input_rank(xs: list[np.ndarray], expected: list[tuple]) -> None:
    """Give each input array the rank its model input expects, as Keras does (in place).

    Keras 3 (``Functional._adjust_input_rank``) accepts an array with one axis
    fewer than the input when the input's last axis has size 1 (the course's ages
    of shape ``(2100,)`` for ``Input(shape=(1,))``: a view of shape ``(2100, 1)``)
    and one axis more when the array's last axis has size 1 (it is squeezed).
    Any other mismatch is left for the model's shape check to report.

    Parameters
    ----------
    xs : list of ndarray
        The prepared inputs, one per model input; entries are replaced by views.
    expected : list of tuple
        The model's input shapes, batch axis included (``(None, 1)``).
    """
    if len(xs) != len(expected):
        return
    for i, (x, ref) in enumerate(zip(xs, expected, strict=True)):
        if x.ndim == len(ref) - 1 and ref[-1] == 1:
            xs[i] = x[..., None]
        elif x.ndim == len(ref) + 1 and x.shape[-1] == 1:
            xs[i] = x[..., 0]


def prepare_targets(y: Any, what: str = "y") -> list[np.ndarray]:
    """Validate targets: numeric and finite; integer labels stay integers."""
    arrays = []
    for i, item in enumerate(as_list(y)):
        label = what if len(as_list(y)) == 1 else f"{what}[{i}]"
        arr = _to_array(item, label)
        if arr.ndim == 0:
            raise ValueError(f"`{label}` must have a batch axis, received a scalar {arr!r}.")
        if arr.dtype.kind == "b":
            arr = arr.astype(config.floatx())
        elif arr.dtype.kind == "f":
            if arr.dtype.name != config.floatx():
                arr = arr.astype(config.floatx())
            check_finite(arr, label)
        arrays.append(arr)
    return arrays


def check_finite(arr: np.ndarray, what: str) -> None:
    """Raise ``ValueError`` if ``arr`` holds NaN or infinity, saying where."""
    if arr.dtype.kind != "f":
        return
    # A small array: count the finite values (two quick calls, no conversion, no floating
    # point warnings). A large one: NaN and inf propagate through a sum, so no full-size
    # boolean mask is needed; it is summed in its own dtype (a float64 sum of float32 data
    # costs a conversion pass: docs/benchmarks.md) and if that overflows on large finite
    # values, the exact check below decides.
    if arr.size <= 4096:
        if np.count_nonzero(np.isfinite(arr)) == arr.size:
            return
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            total = np.add.reduce(arr, axis=None)
        if np.isfinite(total):
            return
    if not np.isfinite(arr).all():
        bad = ~np.isfinite(arr)
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"`{what}` contains {int(bad.sum())} NaN or infinite value(s) (first at index "
            f"{first}: {arr[first]}). Remove or impute them before training, e.g. with "
            "numpy.nan_to_num or by dropping those rows."
        )


def prepare_sample_weight(sample_weight: Any, n: int, what: str = "sample_weight") -> np.ndarray:
    """Validate per-sample weights: shape (n,) (or (n, ...)), finite, non-negative."""
    sw = _to_array(sample_weight, what).astype(config.floatx())
    if sw.ndim == 0 or len(sw) != n:
        raise ValueError(
            f"`{what}` must have one weight per sample: expected shape ({n},), received "
            f"{sw.shape}."
        )
    check_finite(sw, what)
    if (sw < 0).any():
        raise ValueError(f"`{what}` must be non-negative, received a minimum of {sw.min()}.")
    return sw


def check_lengths(xs: list[np.ndarray], ys: list[np.ndarray] | None) -> int:
    """Return the number of samples, raising if inputs and targets disagree."""
    sizes = {f"x[{i}]" if len(xs) > 1 else "x": len(a) for i, a in enumerate(xs)}
    if ys is not None:
        sizes.update({f"y[{i}]" if len(ys) > 1 else "y": len(a) for i, a in enumerate(ys)})
    if len(set(sizes.values())) > 1:
        detail = ", ".join(f"{k}: {v}" for k, v in sizes.items())
        raise ValueError(
            f"Data cardinality is ambiguous: inputs and targets must have the same number of "
            f"samples (first axis). Received {detail}. Make sure x and y describe the same "
            "samples."
        )
    return next(iter(sizes.values()))


def check_batch_size(batch_size: Any, what: str = "batch_size") -> int | None:
    """Validate a batch size (None means the default, 32)."""
    if batch_size is None:
        return None
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
            or batch_size <= 0:
        raise ValueError(
            f"`{what}` must be a positive integer, received {batch_size!r}. Use e.g. "
            f"{what}=32, or {what}=len(x) for full-batch gradient descent."
        )
    return int(batch_size)


def check_steps(steps: Any, what: str = "steps") -> int | None:
    """Validate a number of batches: a positive integer, or None for all of the data.

    Raises
    ------
    ValueError
        For zero, a negative number, a bool, a float or anything else.
    """
    if steps is None:
        return None
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps <= 0:
        raise ValueError(
            f"`{what}` must be a positive integer (a number of batches) or None (all the "
            f"data), received {steps!r}."
        )
    return int(steps)


def check_loss_weights(loss_weights: Any) -> None:
    """Validate ``compile(loss_weights=...)``: None, a number, or a list/tuple/dict of numbers.

    Raises
    ------
    TypeError
        For anything else (``loss_weights="x"``), naming what was received.
    ValueError
        For a NaN or infinite weight.
    """
    if loss_weights is None:
        return
    if isinstance(loss_weights, dict):
        values = list(loss_weights.values())
    elif isinstance(loss_weights, (list, tuple)):
        values = list(loss_weights)
    else:
        values = [loss_weights]
    for value in values:
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer,
                                                               np.floating)):
            raise TypeError(
                "compile: expected `loss_weights` to be a float (one output) or a list, tuple "
                f"or dict of floats (one per output), received {value!r} of type "
                f"{type(value).__name__} in loss_weights={loss_weights!r}."
            )
        if not np.isfinite(value):
            raise ValueError(f"compile: every entry of `loss_weights` must be a finite number, "
                             f"received {value!r} in loss_weights={loss_weights!r}.")


def check_epochs(epochs: Any, initial_epoch: Any) -> tuple[int, int]:
    """Validate ``epochs`` and ``initial_epoch`` (non-negative integers)."""
    for name, value in (("epochs", epochs), ("initial_epoch", initial_epoch)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f"`{name}` must be a non-negative integer, received {value!r}.")
    return int(epochs), int(initial_epoch)


def slice_arrays(arrays: list[np.ndarray] | None, index: Any) -> list[np.ndarray] | None:
    """Select the same samples from every array."""
    if arrays is None:
        return None
    return [a[index] for a in arrays]


def train_validation_split(
    xs: list[np.ndarray], ys: list[np.ndarray], sw: np.ndarray | None, validation_split: float
) -> tuple[tuple, tuple]:
    """Keras's rule: the validation data is the *last* fraction, taken before shuffling.

    Warns when the held-out tail contains a single class while the training part
    has several (the classic trap when data are sorted by label).
    """
    if not isinstance(validation_split, (int, float)) or not 0 <= validation_split < 1:
        raise ValueError(
            f"`validation_split` must be a float in [0, 1), received {validation_split!r}."
        )
    n = len(xs[0])
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise ValueError(
            f"Training data contains {n} samples, which is not sufficient to split it into a "
            f"validation and training set as specified by `validation_split={validation_split}`"
            ". Either provide more data, or a different value for the `validation_split` "
            "argument."
        )
    train = (slice_arrays(xs, slice(0, split_at)), slice_arrays(ys, slice(0, split_at)),
             None if sw is None else sw[:split_at])
    val = (slice_arrays(xs, slice(split_at, n)), slice_arrays(ys, slice(split_at, n)),
           None if sw is None else sw[split_at:])
    _warn_single_class_tail(ys[0][:split_at], ys[0][split_at:])
    return train, val


def _class_ids(y: np.ndarray) -> np.ndarray | None:
    if y.ndim >= 2 and y.shape[-1] > 1:
        return y.reshape(-1, y.shape[-1]).argmax(-1)
    flat = y.reshape(-1)
    if flat.dtype.kind in "iu" or (flat.size and np.all(flat == np.round(flat))
                                   and len(np.unique(flat[:10000])) <= 1000):
        return flat
    return None


def _warn_single_class_tail(y_train: np.ndarray, y_val: np.ndarray) -> None:
    train_ids, val_ids = _class_ids(y_train), _class_ids(y_val)
    if train_ids is None or val_ids is None:
        return
    train_classes = np.unique(train_ids)
    val_classes = np.unique(val_ids)
    if len(val_classes) == 1 and len(train_classes) > 1:
        warnings.warn(
            f"validation_split took the last {len(y_val)} samples, and they all belong to class "
            f"{val_classes[0].item()!r} while the training part has {len(train_classes)} classes. "
            "Keras (and descend) take the validation tail BEFORE shuffling, so data sorted by "
            "label gives a meaningless validation score. Shuffle x and y together first "
            "(idx = np.random.permutation(len(x)); x, y = x[idx], y[idx]) or pass "
            "validation_data.",
            UserWarning, stacklevel=4,
        )


def class_weight_to_sample_weight(y: np.ndarray, class_weight: dict) -> np.ndarray:
    """Per-sample weights from ``{class_id: weight}``; unlisted classes weigh 1.0."""
    if not isinstance(class_weight, dict):
        raise TypeError(f"`class_weight` must be a dict {{class_id: weight}}, received "
                        f"{type(class_weight).__name__}.")
    for key, weight in class_weight.items():
        if isinstance(key, bool) or not isinstance(key, (int, np.integer)) or key < 0:
            raise ValueError(
                f"Expected `class_weight` to be a dict with keys from 0 to one less than the "
                f"number of classes, found {class_weight}"
            )
        # the same rule as sample_weight: a NaN, infinite or negative weight would turn
        # every weight of the model into NaN (or train it to maximise the loss)
        if isinstance(weight, bool) or not isinstance(weight, (int, float, np.integer,
                                                                 np.floating)) \
                or not np.isfinite(weight) or weight < 0:
            raise ValueError(
                f"`class_weight` must map each class to a finite, non-negative number; class "
                f"{key!r} has weight {weight!r}. Use 0 to ignore a class."
            )
    ids = y.reshape(len(y), -1).argmax(-1) if y.ndim >= 2 and y.shape[-1] > 1 else \
        y.reshape(len(y)).astype(np.int64)
    if ids.size and int(ids.min()) < 0:
        raise ValueError(f"`class_weight` needs class ids >= 0 in `y`, found {int(ids.min())}.")
    size = int(ids.max()) + 1 if ids.size else 0
    table = np.ones(size, dtype=config.floatx())
    for key, weight in class_weight.items():
        if int(key) < size:  # classes absent from y need no entry (and no memory)
            table[int(key)] = weight
    return table[ids]
