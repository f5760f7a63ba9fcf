"""Helpers of ``Layer.__call__``: shapes of nested inputs, runs on zeros, adopting sublayers."""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.autograd import Tensor


def _as_shape(shape: Any) -> Any:
    """A shape as a tuple; lists of shapes as tuples of tuples; dicts of shapes kept as dicts."""
    if isinstance(shape, dict):
        return {k: _as_shape(v) for k, v in shape.items()}
    return tuple(shape)


def _shapes_of(inputs: Any) -> Any:
    if isinstance(inputs, Tensor):
        return inputs.shape
    if isinstance(inputs, dict):
        return {k: _shapes_of(v) for k, v in inputs.items()}
    return [_shapes_of(t) for t in inputs]


def _zeros_like_shape(shape: Any, dtype: str, fill: int) -> Any:
    if isinstance(shape, dict):
        return {k: _zeros_like_shape(v, dtype, fill) for k, v in shape.items()}
    if shape and isinstance(shape[0], (list, tuple)):
        return [_zeros_like_shape(s, dtype, fill) for s in shape]
    return Tensor(np.zeros([fill if s is None else int(s) for s in shape], dtype))


def _run_on_zeros(layer: Any, input_shape: Any, fill: int) -> Any:
    """``call`` on zeros of ``input_shape`` (unknown sizes as ``fill``), no graph or losses."""
    from descend.autograd import no_grad
    from descend.layers.hooks import silenced

    with no_grad(), silenced():
        try:
            return layer._invoke(_zeros_like_shape(input_shape, layer.dtype, fill), False)
        finally:
            layer._clear_losses()


def _adopt_if_untracked(context: Any, layer: Any) -> None:
    """A layer first built inside another layer's call must belong to it (or be an error).

    Keras silently loses the weights of a sublayer that its parent does not
    hold in an attribute; descend attaches it to the innermost running layer,
    so that its weights are trained and saved. A layer *created* in ``call``
    after the parent's first call (new weights at every step, never trained)
    is refused.
    """
    if len(context.layers) < 2:
        return
    parent = context.layers[-2]
    if any(existing is layer for existing in parent._flatten_layers(include_self=False)):
        return
    if parent._called and not parent._replays_recorded_graph:
        raise ValueError(
            f"Layer '{layer.name}' ({type(layer).__name__}) is being built inside the call() of "
            f"layer '{parent.name}', which has run before: it was created in call(), so it would "
            "get new weights at every call and never learn. Create sublayers in __init__ (or "
            "build) and assign them to attributes, e.g. self.dense = Dense(64)."
        )
    parent._layers.append(layer)


def _output_shapes(out: Any) -> Any:
    if isinstance(out, dict):
        return {k: _output_shapes(v) for k, v in out.items()}
    if isinstance(out, (list, tuple)):
        return [_output_shapes(t) for t in out]
    return tuple(out.shape)


def _merge_shapes(a: Any, b: Any) -> Any:
    """Dimensions equal in both runs are known; the others are ``None``."""
    if isinstance(a, dict):
        return {k: _merge_shapes(a[k], b[k]) for k in a}
    if isinstance(a, list):
        return [_merge_shapes(x, y) for x, y in zip(a, b, strict=True)]
    return tuple(x if x == y else None for x, y in zip(a, b, strict=True))


def convert_inputs(layer: Any, inputs: Any) -> Any:
    """Arrays and numbers (also in lists, tuples and dicts) as tensors of ``layer``'s dtype.

    Integer arrays stay integers for layers with ``_integer_inputs`` (Embedding's
    ids); layers with ``_keeps_input_dtype`` get their raw values wrapped as they are.
    """
    if isinstance(inputs, Tensor):
        return inputs
    if layer._keeps_input_dtype and not isinstance(inputs, dict):
        return Tensor._make(np.asarray(inputs), False, None)
    if isinstance(inputs, (list, tuple)):
        return [layer._convert_inputs(t) for t in inputs]
    if isinstance(inputs, dict):
        return {k: layer._convert_inputs(v) for k, v in inputs.items()}
    if layer._integer_inputs:
        array = np.asarray(inputs)
        if array.dtype.kind in "iu":
            return Tensor._make(array, False, None)
        if array.dtype.kind not in "fb":
            raise TypeError(
                f"Layer '{layer.name}' ({type(layer).__name__}) expects integer ids, received "
                f"an array of dtype {array.dtype}. Map the tokens to ids first (e.g. with "
                "TextVectorization or StringLookup)."
            )
    return Tensor(np.asarray(inputs, dtype=layer.dtype))

