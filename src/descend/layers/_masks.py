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

As in Keras 3, the layers that change values but not the time axis (``Dense``,
``Activation`` and the activation layers, ``Dropout`` and the noise layers,
``BatchNormalization``, ``LayerNormalization``, ``Rescaling``, ...) have
``supports_masking = True``: they pass the mask through unchanged, so a mask
made by ``Embedding(mask_zero=True)`` reaches the model's output and the loss
(see :mod:`descend.losses.loss`). Such a pure pass-through layer cannot create
a mask, so the array fast paths stay on for models without a mask-creating or
mask-reading layer (:func:`any_mask_aware`).

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


def _passes_through(layer: Any) -> bool:
    """Whether ``layer`` only hands its input's mask on (``supports_masking`` and the
    default ``compute_mask``, no ``mask`` argument)."""
    known = _AWARE.get(type(layer)) or _class_flags(type(layer))
    return not known[0] and not known[1]


def makes_or_reads_masks(layer: Any) -> bool:
    """Whether ``layer`` reads or computes masks itself (more than handing its input's
    mask on): a model made only of other layers carries no mask, so it can run on plain
    arrays."""
    return is_mask_aware(layer) and not (layer.supports_masking is True
                                         and _passes_through(layer))


def call_with_masks(layer: Any, inputs: Any, call: Any, kwargs: dict, args: tuple = ()) -> Any:
    """Run ``call(inputs, *args, **kwargs)`` applying the mask rule of the module docstring."""
    takes, supports = mask_aware(layer)
    if not takes and not supports:
        return call(inputs, *args, **kwargs)
    if supports and _passes_through(layer):  # the common case (Dense, Dropout, ...): cheap
        out = call(inputs, *args, **kwargs)
        previous = get_mask(inputs)
        if previous is not None:
            _attach(out, previous)
        return out
    previous = kwargs.get("mask") if takes else None
    if previous is None:
        previous = get_mask(inputs)
        if takes and previous is not None:
            kwargs["mask"] = previous
    out = call(inputs, *args, **kwargs)
    if supports:
        masks = layer.compute_mask(inputs, previous)
        if masks is not None:
            _attach(out, masks)
    return out


def _attach(out: Any, masks: Any) -> None:
    """Pair the (flattened) outputs with the (flattened) masks, as Keras does.

    A single mask for several outputs goes to the first output only (e.g. the
    attention output, not its scores); outputs that already carry a mask keep it.
    """
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    ms = list(masks) if isinstance(masks, (list, tuple)) else [masks]
    for tensor, m in zip(outs, ms, strict=False):
        if m is not None and get_mask(tensor) is None:
            set_mask(tensor, m)


def any_mask_aware(layers: list[Any]) -> bool:
    """Whether any of ``layers`` creates or reads masks (array fast paths skip masks).

    Layers that only pass a mask through (``supports_masking`` with the default
    ``compute_mask``) do not count: without a layer that creates a mask there is
    none to pass on.
    """
    return any(is_mask_aware(layer) and not (layer.supports_masking is True
                                             and _passes_through(layer))
               for layer in layers)


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
