"""Which function writes which layer: the converter registry and the refusal messages.

A converter is ``convert(graph, layer, inputs, call) -> list[str]``: ``graph`` is
the :class:`~descend.export.onnx.builder.GraphBuilder`, ``inputs`` the layer's
input :class:`~descend.export.onnx.builder.Value` s, ``call`` the keyword
arguments the layer was called with in the model (``{}`` usually); it returns
the names of the layer's outputs, in order. Converters register with
:func:`converts`, for a class and (through :func:`find`) its subclasses that keep
its ``call``: a subclass with its own ``call`` computes something else and is
refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Converter = Callable[..., list]

_CONVERTERS: dict[type, Converter] = {}


def converts(*classes: type) -> Callable[[Converter], Converter]:
    """Decorator: register the function as the converter of ``classes``."""
    def register(fn: Converter) -> Converter:
        for cls in classes:
            _CONVERTERS[cls] = fn
        return fn
    return register


def describe(layer: Any) -> str:
    """``layer 'name' (Class)``, as the messages name a layer."""
    return f"layer '{getattr(layer, 'name', '?')}' ({type(layer).__name__})"


def refuse(layer: Any, why: str) -> ValueError:
    """The error for a layer (or one of its settings) that ONNX export cannot write."""
    return ValueError(
        f"ONNX export: {describe(layer)} cannot be exported: {why} Nothing was written."
    )


def find(layer: Any) -> Converter:
    """The converter for ``layer``; ``ValueError`` naming it when there is none."""
    cls = type(layer)
    for base in cls.__mro__:
        fn = _CONVERTERS.get(base)
        if fn is None:
            continue
        if base is cls or _same_compute(cls, base):
            return fn
        raise refuse(layer, f"it subclasses {base.__name__} but overrides its computation "
                            "(call), which ONNX export cannot read.")
    raise refuse(layer, "ONNX export has no translation for this layer type. Exportable "
                        "layers are listed in docs/interoperability.md.")


def _same_compute(cls: type, base: type) -> bool:
    return all(getattr(cls, name, None) is getattr(base, name, None)
               for name in ("call", "_infer"))


def check_call(layer: Any, call: dict[str, Any], allowed: tuple[str, ...] = ()) -> None:
    """Refuse call arguments a converter does not translate.

    ``training=False`` (or None) is inference, which is what is exported;
    ``training=True`` fixed in the model (Monte-Carlo dropout) is refused.
    """
    if call.get("training") is True:
        raise refuse(layer, "it is called with training=True in the model; the exported "
                            "graph computes inference (training=False).")
    extra = sorted(k for k, v in call.items()
                   if k != "training" and k not in allowed and v not in (None, False))
    if extra:
        raise refuse(layer, f"it is called with {', '.join(f'{k}=' for k in extra)} in the "
                            "model, which ONNX export does not translate.")


__all__ = ["Converter", "check_call", "converts", "describe", "find", "refuse"]
