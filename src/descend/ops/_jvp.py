"""``jvp``: forward-mode Jacobian-vector products from reverse mode (re-exported by ``linalg``).

descend's engine is reverse mode only. The product ``J @ t`` is exact all the
same: each backward pass from one output element gives one row of the Jacobian,
whose dot product with the tangents is that element of ``J @ t``. The cost is
one backward pass per output element, so this is meant for small outputs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from descend.autograd.grad_mode import enable_grad
from descend.autograd.tensor import Tensor
from descend.ops._dispatch import keras_op
from descend.ops._opargs import array_of, constant, float_tensor


def _flat_outputs(out: Any) -> list[Tensor]:
    if isinstance(out, Tensor):
        return [out]
    if isinstance(out, (list, tuple)):
        return [t for item in out for t in _flat_outputs(item)]
    if isinstance(out, dict):
        return [t for key in sorted(out) for t in _flat_outputs(out[key])]
    raise TypeError(f"jvp: fun must return tensors (or lists/tuples/dicts of them), "
                    f"received {type(out).__name__}.")


def _rebuild(out: Any, values: list) -> Any:
    if isinstance(out, Tensor):
        return values.pop(0)
    if isinstance(out, (list, tuple)):
        return type(out)(_rebuild(item, values) for item in out)
    return {key: _rebuild(out[key], values) for key in sorted(out)}


@keras_op
def jvp(fun: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any],
        has_aux: bool = False) -> tuple:
    """Jacobian-vector product ``J(primals) @ tangents`` of ``fun``.

    descend differentiates in reverse mode, so the product is computed exactly
    from one backward pass per output element (each gives one row of the
    Jacobian): meant for small outputs.

    Parameters
    ----------
    fun : callable
        Takes one tensor per primal; returns a tensor (or a list/tuple/dict of
        tensors), or ``(output, aux)`` when ``has_aux``.
    primals : sequence of tensor
        Where to evaluate ``fun``.
    tangents : sequence of tensor
        One per primal, same shapes.
    has_aux : bool, default False

    Returns
    -------
    tuple
        ``(primals_out, tangents_out)``, or ``(primals_out, tangents_out, aux)``;
        ``tangents_out`` has the structure and shapes of ``primals_out``.

    Examples
    --------
    >>> from descend.ops import linalg
    >>> out, tangent = linalg.jvp(lambda x: x * x, (3.0,), (1.0,))
    >>> float(out.data), float(tangent.data)
    (9.0, 6.0)
    """
    if not isinstance(primals, (list, tuple)) or not isinstance(tangents, (list, tuple)):
        raise TypeError("jvp: primals and tangents must be lists or tuples (one entry per "
                        f"argument of fun), received {type(primals).__name__} and "
                        f"{type(tangents).__name__}.")
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: primals and tangents must have the same length, received "
                         f"{len(primals)} and {len(tangents)}.")
    inputs = []
    for p in primals:
        data = np.array(float_tensor(p, "jvp", "primals").data)
        inputs.append(Tensor._make(data, True, None))
    tangent_arrays = []
    for p, t in zip(inputs, tangents, strict=True):
        t_data = np.asarray(array_of(t), p.data.dtype)
        if t_data.shape != p.shape:
            raise ValueError(f"jvp: each tangent must have its primal's shape; received "
                             f"{t_data.shape} for a primal of shape {p.shape}.")
        tangent_arrays.append(t_data)
    with enable_grad():
        result = fun(*inputs)
    out, aux = (result[0], result[1]) if has_aux else (result, None)
    flat = _flat_outputs(out)
    tangents_out = []
    for y in flat:
        column = np.zeros(y.data.size, np.result_type(y.data.dtype, np.float32))
        if y.requires_grad:
            for j in range(y.data.size):
                for p in inputs:
                    p.grad = None
                seed = np.zeros(y.data.size, y.data.dtype)
                seed[j] = 1
                y.backward(seed.reshape(y.shape), retain_graph=True)
                column[j] = sum(
                    float(np.vdot(p.grad, t)) for p, t in zip(inputs, tangent_arrays, strict=True)
                    if p.grad is not None
                )
        tangents_out.append(constant(column.reshape(y.shape).astype(y.data.dtype)))
    values = [constant(y.data) for y in flat]
    primals_out, tangents_tree = _rebuild(out, values), _rebuild(out, tangents_out)
    return (primals_out, tangents_tree, aux) if has_aux else (primals_out, tangents_tree)
