"""Turn integer indices into ``int``, ``one_hot``, ``multi_hot`` or ``count`` outputs.

Shared by ``CategoryEncoding``, ``Discretization`` and ``Hashing``; the rules are Keras's
``encode_categorical_inputs``:

- ``"int"``: the indices, unchanged.
- ``"one_hot"``: one vector of length ``depth`` per index; a trailing axis of size 1 is
  replaced (``(B, 1) -> (B, depth)``), otherwise one is added (``(B,) -> (B, depth)``).
- ``"multi_hot"``: per sample, 1 at every index present: ``(B, T) -> (B, depth)``,
  ``(T,) -> (depth,)``.
- ``"count"``: like multi_hot but counts occurrences (optionally weighted).
"""

from __future__ import annotations

import numpy as np

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count")


def encode(indices: np.ndarray, output_mode: str, depth: int, dtype: str,
           count_weights: np.ndarray | None = None) -> np.ndarray:
    """Encode integer ``indices`` (values in ``[0, depth)``) as ``output_mode`` says."""
    if output_mode == "int":
        return indices
    if indices.ndim == 0:
        indices = indices[None]
    if output_mode == "one_hot":
        if indices.ndim > 1 and indices.shape[-1] == 1:
            indices = indices[..., 0]
        return (indices[..., None] == np.arange(depth)).astype(dtype)
    one_hot = (indices[..., None] == np.arange(depth)).astype(np.float64)
    if output_mode == "multi_hot":
        return one_hot.max(axis=-2).astype(dtype)
    if count_weights is not None:
        one_hot = one_hot * np.asarray(count_weights, np.float64)[..., None]
    axis = 1 if indices.ndim > 1 else 0
    return one_hot.sum(axis=axis).astype(dtype)


def encoded_shape(input_shape: tuple, output_mode: str, depth: int) -> tuple:
    """The output shape for ``input_shape`` under :func:`encode`."""
    input_shape = tuple(input_shape)
    if output_mode == "int":
        return input_shape
    if output_mode == "one_hot":
        if len(input_shape) > 1 and input_shape[-1] == 1:
            return input_shape[:-1] + (depth,)
        return input_shape + (depth,)
    if len(input_shape) >= 2:
        return (input_shape[0],) + input_shape[2:] + (depth,)
    return (depth,)
