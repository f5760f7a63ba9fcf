"""Gradient check of a whole model: ``model.check_gradients(x, y)``.

Backpropagation is only as right as every layer's and every loss's backward
pass. A user who writes a custom layer, a custom ``Function`` or a custom loss
can verify the whole chain in one line: :func:`check_model_gradients` compares,
for a sample of the weights of every layer, the gradient ``backward`` computes
with the central difference

    dLoss/dw ~ (Loss(w + eps) - Loss(w - eps)) / (2 * eps),

the course's definition of a derivative made numeric. To make the comparison
exact the check runs on a **float64 copy** of the model (rebuilt from its
``get_config`` with every layer in float64, then given the same weights), so
the model itself is not touched. The loss is the compiled loss plus the
regularisation penalties, exactly what ``fit`` minimises, evaluated in inference
mode (no dropout) so that it is deterministic.

For each entry the relative error is ``|analytic - numeric| / max(|analytic|,
|numeric|, floor)``; the check passes when the worst one is at most
``tolerance``. Where a ReLU sits exactly at its kink (an input and bias of
exactly 0) the two one-sided derivatives differ and the check may report a
mismatch that is not a bug.

Examples
--------
>>> import numpy as np
>>> import descend
>>> from descend.layers import Dense
>>> model = descend.Sequential([Dense(4, activation="tanh", input_shape=(3,)), Dense(1)])
>>> model.compile(optimizer="sgd", loss="mse")
>>> x = np.random.default_rng(0).standard_normal((8, 3))
>>> result = model.check_gradients(x, x[:, :1] ** 2)
>>> result.ok, [layer.checked for layer in result.layers]
(True, [16, 5])
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from descend.explain.formatting import index_text
from descend.explain.probe import (
    loss_and_gradients,
    model_loss,
    prepare_batch,
    require_compiled,
)

__all__ = ["GradientCheckResult", "LayerGradientCheck", "check_model_gradients",
           "float64_copy"]


@dataclass
class LayerGradientCheck:
    """The check of one layer's weights.

    Attributes
    ----------
    layer : str
        The layer's name.
    checked : int
        How many weight entries were compared.
    max_relative_error : float
        The worst relative error among them.
    worst : str
        Which entry it was, e.g. ``"dense/kernel[2, 0]"``.
    analytic, numeric : float
        Backprop's and the central difference's value for that entry.
    ok : bool
        ``max_relative_error <= tolerance``.
    """

    layer: str
    checked: int
    max_relative_error: float
    worst: str
    analytic: float
    numeric: float
    ok: bool


@dataclass
class GradientCheckResult:
    """What :func:`check_model_gradients` found; ``print(result)`` shows a table.

    Attributes
    ----------
    layers : list of LayerGradientCheck
        One per layer with trainable weights, in model order.
    tolerance : float
    eps : float
    """

    layers: list[LayerGradientCheck] = field(default_factory=list)
    tolerance: float = 1e-4
    eps: float = 1e-6

    @property
    def ok(self) -> bool:
        """True when every layer passed."""
        return all(layer.ok for layer in self.layers)

    @property
    def max_relative_error(self) -> float:
        """The worst relative error over all layers."""
        return max((layer.max_relative_error for layer in self.layers), default=0.0)

    def table(self) -> str:
        """The per-layer results as a text table (what ``str(result)`` returns)."""
        header = ("layer", "checked", "max rel. error", "worst entry", "backprop",
                  "numeric", "")
        rows = [(c.layer, str(c.checked), f"{c.max_relative_error:.2e}", c.worst,
                 f"{c.analytic:.6g}", f"{c.numeric:.6g}", "ok" if c.ok else "FAILED")
                for c in self.layers]
        widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]
        lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
        lines.append("  ".join("-" * w for w in widths[:-1]))
        lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip()
                  for r in rows]
        verdict = ("gradients OK" if self.ok else "GRADIENTS WRONG in "
                   + ", ".join(f"'{c.layer}'" for c in self.layers if not c.ok))
        lines.append(f"{verdict}: backprop vs central differences (float64, eps={self.eps:g}), "
                     f"tolerance {self.tolerance:g}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()


def _retype(config: Any) -> Any:
    """A copy of a model config with every float dtype set to float64."""
    if isinstance(config, dict):
        out = {}
        for key, value in config.items():
            if key == "dtype" and value in ("float16", "float32", "float64", "bfloat16"):
                out[key] = "float64"
            else:
                out[key] = _retype(value)
        return out
    if isinstance(config, list):
        return [_retype(v) for v in config]
    return config


def float64_copy(model: Any, xs: list[np.ndarray]) -> Any:
    """A float64 copy of ``model``: same architecture and weights, every layer in float64.

    Parameters
    ----------
    model : Model
        A built model.
    xs : list of ndarray
        A batch (used to build the copy when the configuration has no input shape).

    Returns
    -------
    Model
        Compiled with the same (already resolved) loss.

    Raises
    ------
    ValueError
        If the model cannot be rebuilt from its configuration (a custom layer
        whose ``get_config`` misses constructor arguments).
    """
    import inspect

    custom = {type(layer).__name__: type(layer) for layer in model._flat_layers()}
    config = _retype(model.get_config())
    try:
        from_config = type(model).from_config
        if "custom_objects" in inspect.signature(from_config).parameters:
            copy = from_config(config, custom_objects=custom)
        else:
            copy = from_config(config)
        copy._ensure_built([x.astype(np.float64) for x in xs])
        copy.set_weights(model.get_weights())
    except Exception as exc:  # noqa: BLE001 - any failure means the same thing to the user
        raise ValueError(
            f"check_gradients: could not make a float64 copy of model '{model.name}' from its "
            f"config ({type(exc).__name__}: {exc}). Make sure every custom layer's get_config() "
            "returns all its constructor arguments (and accepts `dtype`)."
        ) from exc
    copy.compiled_loss = model.compiled_loss
    return copy


def _carried_states(model: Any, copy: Any) -> Any:
    """Give the copy's stateful recurrent layers the model's carried states; return a
    function that puts them back (every loss evaluation starts from the same states)."""
    def stateful(m: Any) -> list[Any]:
        return [layer for layer in m._flatten_layers(include_self=False)
                if getattr(layer, "stateful", False) and getattr(layer, "_states", None)]

    pairs = list(zip(stateful(model), stateful(copy), strict=False))
    saved = [[np.array(s, dtype=np.float64) for s in src._states] for src, _ in pairs]

    def restore() -> None:
        for (_, dst), states in zip(pairs, saved, strict=True):
            for kept, value in zip(dst._states, states, strict=True):
                kept[...] = value

    restore()
    return restore


def check_model_gradients(model: Any, x: Any, y: Any, n_samples: int = 20, eps: float = 1e-6,
                          seed: int = 0, tolerance: float = 1e-4, floor: float = 1e-5,
                          sample_weight: Any = None) -> GradientCheckResult:
    """Compare backprop with float64 central differences on a sample of every layer's weights.

    Parameters
    ----------
    model : Model
        A compiled model.
    x, y : array_like
        A batch of inputs and targets (a few samples suffice).
    n_samples : int, default 20
        Weight entries checked per layer (all of them if the layer has fewer),
        drawn at random over the layer's trainable weights.
    eps : float, default 1e-6
        The finite-difference step.
    seed : int, default 0
        Seed of the sampling.
    tolerance : float, default 1e-4
        The largest relative error that passes.
    floor : float, default 1e-5
        Denominator floor of the relative error, so that gradients that are
        (nearly) 0 compare by absolute difference.
    sample_weight : array_like, shape (samples,), optional

    Returns
    -------
    GradientCheckResult
        ``.ok``, ``.layers`` and a readable ``str()``.

    Raises
    ------
    ValueError
        If the model is not compiled, arguments are out of range, or the
        float64 copy cannot be made.
    """
    require_compiled(model, "check_gradients")
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) \
            or n_samples < 1:
        raise ValueError(f"check_gradients: `n_samples` must be a positive int, received "
                         f"{n_samples!r}.")
    if not (isinstance(eps, (int, float)) and 0 < eps < 1):
        raise ValueError(f"check_gradients: `eps` must be a small positive float such as 1e-6, "
                         f"received {eps!r}.")
    xs, ys, sw = prepare_batch(model, x, y, sample_weight)
    copy = float64_copy(model, xs)
    xs64 = [a.astype(np.float64) for a in xs]
    sw64 = None if sw is None else sw.astype(np.float64)
    weights = list(copy.trainable_weights)
    restore = _carried_states(model, copy)
    analytic = {id(w): g for w, g in zip(
        weights, loss_and_gradients(copy, xs64, ys, sw64, tap=False).gradients, strict=True)}
    rng = np.random.default_rng(seed)
    result = GradientCheckResult(tolerance=float(tolerance), eps=float(eps))
    for layer in copy.layers:
        entries = [(w, k) for w in layer.trainable_weights if id(w) in analytic
                   for k in range(w.data.size)]
        if not entries:
            continue
        if len(entries) > n_samples:
            entries = [entries[i] for i in np.sort(rng.choice(len(entries), n_samples,
                                                              replace=False))]
        worst = (-1.0, "", 0.0, 0.0)
        for w, k in entries:
            flat = w.data.reshape(-1)
            original = flat[k]
            flat[k] = original + eps
            restore()
            plus = model_loss(copy, xs64, ys, sw64)
            flat[k] = original - eps
            restore()
            minus = model_loss(copy, xs64, ys, sw64)
            flat[k] = original
            numeric = (plus - minus) / (2 * eps)
            grad = float(analytic[id(w)].reshape(-1)[k])
            error = abs(grad - numeric) / max(abs(grad), abs(numeric), floor)
            if not math.isfinite(error):
                error = math.inf
            if error > worst[0]:
                index = tuple(int(i) for i in np.unravel_index(k, w.data.shape))
                worst = (error, f"{w.path}{index_text(index)}", grad, numeric)
        result.layers.append(LayerGradientCheck(
            layer.name, len(entries), worst[0], worst[1], worst[2], worst[3],
            worst[0] <= tolerance))
    return result
