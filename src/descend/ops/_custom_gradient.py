"""``custom_gradient``: a function whose gradient the user writes (re-exported by ``ops.core``).

The decorated function returns ``(output, grad_fn)``. descend runs it without
recording a graph, then records one node per output tensor whose backward calls
``grad_fn`` with the upstream gradient. ``grad_fn`` may follow either Keras
convention: ``grad_fn(upstream)`` (JAX/TensorFlow style) or
``grad_fn(*args, upstream=...)`` (PyTorch style); it returns one gradient
per tensor argument (a single value when there is one).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from descend.autograd.function import Function
from descend.autograd.grad_mode import STATE, no_grad
from descend.autograd.tensor import Tensor
from descend.ops._dispatch import keras_op
from descend.ops._opargs import array_of, constant
from descend.ops._structure import flatten, pack_as


def _wants_upstream_keyword(grad_fn: Callable[..., Any]) -> bool:
    try:
        params = inspect.signature(grad_fn).parameters
    except (TypeError, ValueError):
        return False
    upstream = params.get("upstream")
    if upstream is None:
        return False
    has_var_args = any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params.values())
    return upstream.kind is inspect.Parameter.KEYWORD_ONLY or has_var_args


class _CustomGradient(Function):
    """One output of a custom-gradient function; backward calls the user's ``grad_fn``."""

    def forward(self, *arrays, value: Any = None, index: int = 0, call: Any = None):
        self.index, self.call = index, call
        return value

    def backward(self, grad):
        return self.call(self.index, grad)


def custom_gradient(f: Callable[..., tuple[Any, Callable[..., Any]]]) -> Callable[..., Any]:
    """Decorate ``f(*args) -> (output, grad_fn)`` so that its gradient is ``grad_fn``'s.

    Parameters
    ----------
    f : callable
        Returns ``output`` (a tensor or a structure of tensors) and
        ``grad_fn(upstream)`` or ``grad_fn(*args, upstream=...)``, which returns
        the gradient with respect to each tensor argument (a tuple, or one value).

    Returns
    -------
    callable
        Same value as ``f(*args)[0]``, with the gradient given by ``grad_fn``.

    Examples
    --------
    >>> from descend.autograd import Tensor
    >>> from descend import ops
    >>> @custom_gradient
    ... def clipped_identity(x):
    ...     def grad(upstream):
    ...         return ops.clip(upstream, -1.0, 1.0)
    ...     return x * 1.0, grad
    >>> x = Tensor([2.0], requires_grad=True)
    >>> (clipped_identity(x) * 10.0).sum().backward()
    >>> x.grad
    array([1.], dtype=float32)
    """

    @keras_op
    @functools.wraps(f)
    def wrapper(*args: Any) -> Any:
        with no_grad():
            result = f(*args)
        if not isinstance(result, (tuple, list)) or len(result) != 2 or not callable(result[1]):
            raise TypeError(
                f"custom_gradient: {getattr(f, '__name__', 'f')} must return (output, grad_fn), "
                f"received {type(result).__name__}."
            )
        output, grad_fn = result
        arg_leaves = flatten(args)
        tensors = [t for t in arg_leaves if isinstance(t, Tensor)]
        out_leaves = [o if isinstance(o, Tensor) else constant(array_of(o))
                      for o in flatten(output)]
        if not (STATE.enabled and any(t.requires_grad for t in tensors)):
            return pack_as(output, out_leaves)
        keyword = _wants_upstream_keyword(grad_fn)

        def call(index: int, grad: np.ndarray) -> tuple:
            upstream = [np.zeros_like(o.data) for o in out_leaves]
            upstream[index] = grad
            up = [constant(u) for u in upstream]
            up_arg = up[0] if len(up) == 1 else pack_as(output, up)
            with no_grad():
                grads = grad_fn(*args, upstream=up_arg) if keyword else grad_fn(up_arg)
            grads = tuple(grads) if isinstance(grads, (tuple, list)) else (grads,)
            if len(grads) != len(tensors):
                raise ValueError(
                    f"custom_gradient: grad_fn must return one gradient per tensor argument "
                    f"({len(tensors)}), returned {len(grads)}."
                )
            return tuple(None if g is None else np.asarray(array_of(g), t.data.dtype)
                         for g, t in zip(grads, tensors, strict=True))

        nodes = [_CustomGradient.apply(*tensors, value=o.data, index=i, call=call)
                 for i, o in enumerate(out_leaves)]
        return pack_as(output, nodes)

    return wrapper
