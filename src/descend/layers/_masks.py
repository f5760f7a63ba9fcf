"""Masks that travel with tensors (Keras's ``_keras_mask``), and the call rule that uses them.

A mask marks which time steps of a sequence are real (``True``) and which are
padding (``False``); shape ``(batch, steps)``. ``Embedding(mask_zero=True)`` and
``Masking`` create one; layers that understand masks (recurrent layers,
``Bidirectional``, ``TimeDistributed``, ``GlobalAveragePooling1D``) read it.

descend's tensors have fixed slots, so a mask is attached to a tensor in a side
table keyed by the tensor's identity (dropped when the tensor is freed). The
rule of :func:`call_with_masks`, used by every way of calling a layer
(``layer(x)``, ``Sequential``, functional models), is Keras's:

1. a layer whose ``call`` has a ``mask`` argument, called without one, receives
   the mask attached to its input (a list of masks for a list of inputs);
2. a layer that supports masking (``supports_masking = True`` or its own
   ``compute_mask``) attaches ``compute_mask(inputs, previous_mask)`` to its
   output(s); other layers do not pass a mask on.

Examples
--------
>>> import numpy as np
>>> from descend.layers import Embedding
>>> out = Embedding(10, 2, mask_zero=True)(np.array([[3, 0]]))
>>> get_mask(out)
array([[ True, False]])
"""

from __future__ import annotations

import inspect
import weakref
from typing import Any

import numpy as np

_MASKS: dict[int, tuple[Any, np.ndarray]] = {}
_AWARE: dict[type, tuple[bool, bool]] = {}


def _forget(key: int) -> None:
    _MASKS.pop(key, None)


def get_mask(tensor: Any) -> Any:
    """The mask attached to ``tensor`` (a list of masks for a list), or None."""
    if isinstance(tensor, (list, tuple)):
        masks = [get_mask(t) for t in tensor]
        return None if all(m is None for m in masks) else masks
    entry = _MASKS.get(id(tensor))
    if entry is None or entry[0]() is not tensor:
        return None
    return entry[1]


def set_mask(tensor: Any, mask: Any) -> None:
    """Attach ``mask`` (bool array, or None to detach) to ``tensor``."""
    key = id(tensor)
    if mask is None:
        _MASKS.pop(key, None)
        return
    mask = np.asarray(getattr(mask, "data", mask)).astype(bool, copy=False)
    if key not in _MASKS or _MASKS[key][0]() is not tensor:
        ref = weakref.ref(tensor, lambda _r, key=key: _forget(key))
    else:
        ref = _MASKS[key][0]
    _MASKS[key] = (ref, mask)


def _class_flags(cls: type) -> tuple[bool, bool]:
    """``(call takes mask, compute_mask overridden)`` for a layer class (cached)."""
    known = _AWARE.get(cls)
    if known is None:
        try:
            takes = "mask" in inspect.signature(cls.call).parameters
        except (TypeError, ValueError):
            takes = False
        from descend.layers.layer import Layer

        known = _AWARE[cls] = (takes, cls.compute_mask is not Layer.compute_mask)
    return known


def mask_aware(layer: Any) -> tuple[bool, bool]:
    """``(call takes mask, layer may attach a mask)`` for ``layer``."""
    takes, computes = _class_flags(type(layer))
    return takes, computes or bool(getattr(layer, "supports_masking", False))


def is_mask_aware(layer: Any) -> bool:
    """Whether ``layer`` reads or writes masks at all (the cheap test on every call)."""
    known = _AWARE.get(type(layer)) or _class_flags(type(layer))
    return known[0] or known[1] or layer.supports_masking is True


def call_with_masks(layer: Any, inputs: Any, call: Any, kwargs: dict, args: tuple = ()) -> Any:
    """Run ``call(inputs, *args, **kwargs)`` applying the mask rule of the module docstring."""
    takes, supports = mask_aware(layer)
    if not takes and not supports:
        return call(inputs, *args, **kwargs)
    previous = kwargs.get("mask") if takes else None
    if previous is None:
        previous = get_mask(inputs)
        if takes and previous is not None:
            kwargs["mask"] = previous
    out = call(inputs, *args, **kwargs)
    if supports:
        masks = layer.compute_mask(inputs, previous)
        if masks is not None:
            if isinstance(out, (list, tuple)):
                masks = masks if isinstance(masks, (list, tuple)) else [masks] * len(out)
                for tensor, m in zip(out, masks, strict=False):
                    if m is not None and get_mask(tensor) is None:
                        set_mask(tensor, m)
            elif get_mask(out) is None:
                set_mask(out, masks)
    return out


def any_mask_aware(layers: list[Any]) -> bool:
    """Whether any of ``layers`` reads or writes masks (array fast paths skip masks)."""
    return any(is_mask_aware(layer) for layer in layers)


def check_mask(mask: Any, inputs: Any, name: str) -> np.ndarray | None:
    """``mask`` as a bool array of shape ``inputs.shape[:2]``, or a clear error naming the layer."""
    if mask is None:
        return None
    if isinstance(mask, (list, tuple)):
        mask = mask[0]
        if mask is None:
            return None
    mask = np.asarray(getattr(mask, "data", mask))
    want = tuple(inputs.shape[:2])
    if mask.shape != want:
        raise ValueError(
            f"Layer '{name}': the mask must have shape (batch, steps) = {want} to match the "
            f"inputs of shape {tuple(inputs.shape)}, received a mask of shape {mask.shape}. "
            "Pass one boolean per time step (True = keep)."
        )
    return mask.astype(bool, copy=False)
