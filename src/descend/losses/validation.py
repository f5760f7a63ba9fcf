"""Label checks run once before training: does ``y`` fit the loss and the output shape?

Each validator takes ``(name, y_true, output_shape, **loss_kwargs)`` and raises
``ValueError`` naming the loss, the label layout it expects, what it received
and how to fix it, before any training step; Keras would instead fail (or
silently compute nonsense) deep inside the first batch.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _who(name: str, fn_name: str) -> str:
    return f"Loss '{name}'" if name == fn_name else f"Loss '{name}' ({fn_name})"


def _same(a: Any, b: Any) -> bool:
    """Dimension equality where None (unknown) matches anything."""
    return a is None or b is None or a == b


def _shapes_match(y_shape: tuple, out_shape: tuple) -> bool:
    """Equal shapes, the batch axis (first) and None entries being wildcards."""
    if len(y_shape) != len(out_shape):
        return False
    return all(_same(a, b) for a, b in zip(y_shape[1:], out_shape[1:], strict=True))


def _after_rank_fixup(y_shape: tuple, out_shape: tuple) -> tuple[tuple, tuple]:
    """Shapes after Keras's squeeze_or_expand_to_same_rank (trailing length-1 axes)."""
    if len(y_shape) == len(out_shape) + 1 and y_shape[-1] == 1:
        return y_shape[:-1], out_shape
    if len(out_shape) == len(y_shape) + 1 and out_shape[-1] == 1:
        return y_shape, out_shape[:-1]
    return y_shape, out_shape


def _check_batch(who: str, y: np.ndarray, output_shape: tuple) -> None:
    if y.ndim and output_shape and output_shape[0] is not None and y.shape[0] != output_shape[0]:
        raise ValueError(
            f"{who}: received {y.shape[0]} labels for {output_shape[0]} predictions. Pass "
            "exactly one label per input sample."
        )


def _looks_like_ids(y: np.ndarray) -> bool:
    if y.dtype.kind in "iub":
        return True
    return y.dtype.kind == "f" and bool(np.all(y == np.floor(y)))


def sparse_categorical(
    name: str, y: np.ndarray, output_shape: tuple, from_logits: bool = False,
    ignore_class: int | None = None, axis: int = -1,
) -> None:
    """Labels must be integer class ids in ``[0, K)``, shape (N,) or (N, 1).

    Examples
    --------
    >>> sparse_categorical("loss", np.array([0, 2, 1]), (None, 3))"""
    who = _who(name, "sparse_categorical_crossentropy")
    _check_batch(who, y, output_shape)
    k = output_shape[axis] if output_shape else None
    rank = len(output_shape)
    expected_shape = tuple(output_shape[:axis % rank]) + tuple(output_shape[axis % rank + 1:])
    ids = y[..., 0] if (y.ndim == rank and y.shape[-1] == 1) else y
    if y.ndim == rank and y.shape[-1] != 1 and _same(y.shape[-1], k) and axis in (-1, rank - 1):
        raise ValueError(
            f"{who} expects integer class ids of shape (N,) or (N, 1) with values in "
            f"0..{'K-1' if k is None else k - 1}, but received labels of shape {y.shape}, the "
            f"output's shape {output_shape}: they look one-hot (or multi-label) encoded. "
            "Use loss='categorical_crossentropy' for one-hot labels, or pass integer class "
            "ids y.argmax(-1)."
        )
    if not _shapes_match(ids.shape, expected_shape):
        raise ValueError(
            f"{who}: Arguments `target` and `output` must have the same shape up until the "
            f"last dimension, but received labels of shape {y.shape} for an output of shape "
            f"{output_shape}. Pass one integer class id per sample: shape "
            f"{('N',) + tuple(expected_shape[1:])} or with a trailing 1."
        )
    if not _looks_like_ids(ids):
        example = ids[ids != np.floor(ids)].reshape(-1)[:3].tolist()
        raise ValueError(
            f"{who} expects integer class ids, but received non-integer labels such as "
            f"{example}. For soft or probability targets use categorical_crossentropy with "
            "one-hot shaped labels; otherwise round or re-encode the labels as 0..K-1."
        )
    valid = ids if ignore_class is None else ids[ids != ignore_class]
    if valid.size == 0 or k is None:
        return
    low, high = int(valid.min()), int(valid.max())
    if low < 0:
        raise ValueError(
            f"{who} expects class ids in 0..{k - 1}, but received negative ids (minimum "
            f"{low}). Re-encode the labels as 0..{k - 1}, e.g. with "
            "numpy.unique(y, return_inverse=True)."
        )
    if high >= k and k == 1:
        raise ValueError(
            f"{who} received class ids up to {high} for an output of 1 unit, which can only "
            "predict class 0. For a yes/no problem use loss='binary_crossentropy' with "
            "Dense(1, activation='sigmoid'), or give the last layer one unit per class: "
            f"Dense({high + 1}, activation='softmax')."
        )
    if high >= k:
        raise ValueError(
            f"{who} expects class ids in 0..{k - 1} for an output of {k} unit(s), but the "
            f"labels go up to {high}. Give the last layer {high + 1} units (one per class) or "
            f"re-encode the labels as 0..{k - 1}."
        )


def categorical(
    name: str, y: np.ndarray, output_shape: tuple, from_logits: bool = False,
    label_smoothing: float = 0.0, axis: int = -1,
) -> None:
    """Labels must be one-hot (or probability) rows with the output's shape (N, K).

    Examples
    --------
    >>> categorical("loss", np.eye(3), (None, 3))"""
    who = _who(name, "categorical_crossentropy")
    _check_batch(who, y, output_shape)
    k = output_shape[-1] if output_shape else None
    rank = len(output_shape)
    integer_layout = y.ndim == rank - 1 or (y.ndim == rank and y.shape[-1] == 1)
    if integer_layout and k is not None and k > 1:
        raise ValueError(
            f"{who} expects one-hot labels of shape (N, {k}) matching the output "
            f"{output_shape}, but received labels of shape {y.shape}: one class id per "
            "sample. Use loss='sparse_categorical_crossentropy' for integer labels, or "
            f"one-hot encode them with descend.utils.to_categorical(y, {k})."
        )
    y_shape, out_shape = _after_rank_fixup(y.shape, tuple(output_shape))
    if not _shapes_match(y_shape, out_shape):
        hint = ""
        if y.ndim == rank and y.shape[-1] != k:
            hint = f" The labels have {y.shape[-1]} columns: give the last layer that many units."
        raise ValueError(
            f"{who}: Arguments `target` and `output` must have the same shape. Received: "
            f"target.shape={y.shape}, output.shape={output_shape}.{hint}"
        )


def binary(
    name: str, y: np.ndarray, output_shape: tuple, from_logits: bool = False,
    label_smoothing: float = 0.0, axis: int = -1,
) -> None:
    """Labels must be in [0, 1] with the output's shape (up to a trailing 1).

    Examples
    --------
    >>> binary("loss", np.array([0, 1, 1]), (None, 1))"""
    who = _who(name, "binary_crossentropy")
    _check_batch(who, y, output_shape)
    y_shape, out_shape = _after_rank_fixup(y.shape, tuple(output_shape))
    if not _shapes_match(y_shape, out_shape):
        hint = " Give the last layer one unit per label column."
        k = output_shape[-1] if output_shape else None
        if y.ndim < len(output_shape) and k and k > 1 and _looks_like_ids(y):
            hint = (
                f" For one class id per sample with a {k}-unit output use "
                "loss='sparse_categorical_crossentropy'; for a yes/no problem use Dense(1, "
                "activation='sigmoid')."
            )
        raise ValueError(
            f"{who}: Arguments `target` and `output` must have the same shape. Received: "
            f"target.shape={y.shape}, output.shape={output_shape}.{hint}"
        )
    if y.size and (y.min() < 0 or y.max() > 1):
        raise ValueError(
            f"{who} expects labels in [0, 1] (0/1 classes or probabilities), but received "
            f"values from {y.min()} to {y.max()}. For class ids 0..K-1 use "
            "sparse_categorical_crossentropy with a Dense(K, activation='softmax') output; "
            "for -1/+1 labels map them with (y + 1) / 2 or use the hinge loss."
        )


def same_shape(name: str, y: np.ndarray, output_shape: tuple, **kwargs: Any) -> None:
    """Regression-style losses: labels broadcastable to the output after the rank fix-up.

    Examples
    --------
    >>> same_shape("mse", np.ones((4, 2)), (None, 3))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: Loss 'mse': labels of shape (4, 2) do not match the output of shape (None, 3)..."""
    fn_name = kwargs.pop("_fn_name", name)
    who = _who(name, fn_name)
    _check_batch(who, y, output_shape)
    y_shape, out_shape = _after_rank_fixup(y.shape, tuple(output_shape))
    # the batch axis takes the labels' length; unknown sizes broadcast
    full_out = tuple(1 if d is None else d for d in out_shape)
    if y_shape and out_shape:
        full_out = (y_shape[0],) + full_out[1:]
    try:
        np.broadcast_shapes(tuple(y_shape), full_out)
    except ValueError:
        raise ValueError(
            f"{who}: labels of shape {y.shape} do not match the output of shape "
            f"{output_shape}. Pass labels with the output's shape (N, "
            f"{', '.join(str(d) for d in output_shape[1:])})."
        ) from None
