"""Verify analytic gradients against central finite differences in float64.

``gradcheck(fn, *inputs)`` evaluates ``fn`` in float64, projects its output on a
fixed random direction ``r`` (so that errors cannot cancel in a plain sum),
backpropagates ``sum(fn(*inputs) * r)`` and compares each input element's
gradient with the central difference

    (f(x + eps) - f(x - eps)) / (2 * eps).

Examples
--------
>>> import numpy as np
>>> from descend.autograd import gradcheck, ops
>>> x = np.array([[0.5, -1.0], [2.0, 0.1]])
>>> gradcheck(lambda t: ops.tanh(t) * t, x)
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from descend.autograd.grad_mode import enable_grad, no_grad
from descend.autograd.tensor import Tensor


class GradcheckError(AssertionError):
    """Raised by :func:`gradcheck` when an analytic gradient is wrong.

    Attributes
    ----------
    report : dict
        The worst element: ``input`` (position), ``index``, ``analytic``,
        ``numeric``, ``abs_error``, ``rel_error``.
    """

    def __init__(self, message: str, report: dict[str, Any]) -> None:
        super().__init__(message)
        self.report = report


def _as_float64(x: Any) -> Tensor:
    data = x.data if isinstance(x, Tensor) else x
    return Tensor(np.array(data, dtype=np.float64, order="C"), requires_grad=True)


def gradcheck(
    fn: Callable[..., Tensor],
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
    raise_exception: bool = True,
) -> bool:
    """Compare ``fn``'s backpropagated gradients with central differences.

    Parameters
    ----------
    fn : callable
        Takes tensors (one per input) and returns a Tensor of any shape.
    *inputs : array_like or Tensor
        Points at which to check; copied to float64 tensors with
        ``requires_grad=True``.
    eps : float, default 1e-6
        Finite-difference step.
    atol, rtol : float, default 1e-5 and 1e-3
        An element passes when ``|analytic - numeric| <= atol + rtol * |numeric|``.
    seed : int, default 0
        Seed of the random output projection.
    raise_exception : bool, default True
        Raise :class:`GradcheckError` describing the worst element on failure;
        otherwise return ``False``.

    Returns
    -------
    bool
        True when every element passes (``False`` on failure when
        ``raise_exception`` is false).

    Raises
    ------
    GradcheckError
        When some element fails (a NaN or infinite gradient always fails); the
        message names the input position, the index, the analytic and the
        numeric value of the worst element.
    TypeError
        If ``fn`` does not return a Tensor or returns one that is not float64.
    """
    tensors = [_as_float64(x) for x in inputs]
    with enable_grad():
        out = fn(*tensors)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, returned {type(out).__name__}.")
    if out.dtype != np.float64:
        raise TypeError(
            f"gradcheck: fn returned dtype {out.dtype} for float64 inputs; an operation "
            "downcast its result, so the check would not be exact."
        )
    projection = np.random.default_rng(seed).standard_normal(out.shape)

    def objective() -> float:
        with no_grad():  # finite differences need values only, no graph
            value = fn(*tensors)
        return float(np.sum(value.data * projection))

    if out.requires_grad:
        (out * Tensor(projection)).sum().backward()
    worst: dict[str, Any] = {"score": -np.inf}
    for position, t in enumerate(tensors):
        analytic = t.grad if t.grad is not None else np.zeros_like(t.data)
        flat = t.data.reshape(-1)
        for i in range(flat.size):
            original = flat[i]
            flat[i] = original + eps
            plus = objective()
            flat[i] = original - eps
            minus = objective()
            flat[i] = original
            numeric = (plus - minus) / (2 * eps)
            a = float(analytic.reshape(-1)[i])
            error = abs(a - numeric)
            score = error - (atol + rtol * abs(numeric))
            if not np.isfinite(score):  # a NaN or infinite gradient never passes
                score = np.inf
            if score > worst["score"]:
                index = np.unravel_index(i, t.shape) if t.ndim else ()
                worst = {
                    "score": score, "input": position, "index": tuple(map(int, index)),
                    "analytic": a, "numeric": numeric, "abs_error": error,
                    "rel_error": error / max(abs(numeric), 1e-12),
                }
    if worst["score"] <= 0:
        return True
    name = getattr(fn, "__qualname__", type(fn).__name__)
    message = (
        f"gradcheck failed for {name}: input {worst['input']} at index "
        f"{worst['index']}: "
        f"analytic {worst['analytic']:.8g} vs numeric {worst['numeric']:.8g} "
        f"(abs error {worst['abs_error']:.3g}, rel error {worst['rel_error']:.3g}; "
        f"tolerance atol={atol}, rtol={rtol})"
    )
    if raise_exception:
        raise GradcheckError(message, worst)
    return False
