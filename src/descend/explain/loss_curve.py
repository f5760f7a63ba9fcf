"""The U-curve of the course: the loss as one weight varies, and the step the optimizer takes.

:func:`plot_loss_curve` draws two panels. The left one shows the loss over a range
of values of one weight (all other weights fixed), wide enough to show where the
curve bottoms out, with the tangent at the current value, whose slope is the
gradient backpropagation computes. The right one magnifies the neighbourhood of
the current value until the optimizer's next step is visible: the weight before
and after, with enough digits to tell them apart, and the rule that produced the
step (for Adam, not learning rate x gradient: the plain gradient step is given
beside it for comparison).

Examples
--------
>>> fig = plot_loss_curve(model, x, y, layer="dense_2", index=(12, 0))  # doctest: +SKIP
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from descend.explain.probe import loss_and_gradients, model_loss, prepare_batch
from descend.explain.update_rules import explain_update, slots_of
from descend.utils.figures import finish, pyplot

__all__ = ["plot_loss_curve", "step_rule", "visible_digits"]

_MAX_WIDENING = 6      # the range may double this many times to reach the bottom of the curve
_RESOLVABLE = 1e-4     # loss changes below this fraction of the loss drown in float32 rounding


def _find_layer(model: Any, layer: Any) -> Any:
    layers = list(getattr(model, "layers", []))
    if isinstance(layer, (int, np.integer)) and not isinstance(layer, bool):
        if not -len(layers) <= layer < len(layers):
            raise ValueError(f"layer index {layer} is out of range: the model has "
                             f"{len(layers)} layers.")
        return layers[layer]
    if isinstance(layer, str):
        for candidate in layers:
            if candidate.name == layer:
                return candidate
        names = [candidate.name for candidate in layers]
        raise ValueError(f"no layer named {layer!r}; the layers are {names}.")
    if layer in layers:
        return layer
    raise TypeError(f"`layer` must be a layer index, a layer name or one of the model's layers, "
                    f"received {layer!r}.")


def _find_weight(layer: Any, weight: str) -> Any:
    for w in layer.trainable_weights:
        if w.path.rsplit("/", 1)[-1] == weight or w.path == weight:
            return w
    raise ValueError(f"layer '{layer.name}' has no trainable weight {weight!r}; it has "
                     f"{[w.path.rsplit('/', 1)[-1] for w in layer.trainable_weights]}.")


def visible_digits(value: float, change: float) -> int:
    """Decimal places that show ``value`` and ``value + change`` as different numbers.

    Parameters
    ----------
    value : float
    change : float

    Returns
    -------
    int
        At least 3; one more than the decimal place of the first significant
        digit of ``change`` (so that two digits of the change show).

    Examples
    --------
    >>> visible_digits(-0.345, -2.3e-6)
    7
    >>> f"{-0.345:.7f} -> {-0.345 - 2.3e-6:.7f}"
    '-0.3450000 -> -0.3450023'
    """
    if change == 0 or not math.isfinite(change):
        return 3
    return max(3, 1 - int(math.floor(math.log10(abs(change)))))


def step_rule(rule: str) -> str:
    """The line of an optimizer's update rule that moves the weight, without its notes.

    Parameters
    ----------
    rule : str
        :attr:`UpdateExplanation.rule`, one line per formula.

    Returns
    -------
    str
        E.g. ``"w <- w - alpha_t * m / (sqrt(v) + epsilon)"``.

    Examples
    --------
    >>> step_rule("m <- b * m + g\\nw <- w - lr * m   (a note)\\nwith lr = 0.1")
    'w <- w - lr * m'
    """
    for line in rule.splitlines():
        if line.lstrip().startswith("w <-"):
            return line.split("   (", 1)[0].strip()
    return rule.splitlines()[0] if rule else ""


def _sweep(model: Any, variable: Any, index: tuple, values: np.ndarray, batch: tuple) -> list:
    original = variable.data[index].copy()
    losses = []
    try:
        for value in values:
            variable.data[index] = value
            losses.append(model_loss(model, *batch))
    finally:
        variable.data[index] = original
    return losses


def plot_loss_curve(model: Any, x: Any, y: Any, layer: Any = -1, index: Any = None,
                    weight: str = "kernel", span: float | None = None, points: int = 81,
                    path: Any = None) -> Any:
    """The course's U-curve: the loss as one weight varies, every other weight held fixed.

    Left panel: the loss on ``(x, y)`` for values of the chosen weight around its
    current value, the current value, the tangent there (its slope is the
    gradient ``dLoss/dw`` computed by backpropagation) and the lowest loss of
    the slice. Unless ``span`` is given, the range is widened (up to 64 times)
    until the curve turns upward on both sides, so that the U is visible even
    for a freshly built model. Right panel: the next step of the model's own
    optimizer, magnified until it is visible, with the weight before and after
    and the rule that computed it (``w - lr * g`` for plain SGD; Adam's rule with
    its current state, compared with the plain gradient step). The model is left
    unchanged.

    Parameters
    ----------
    model : Model
        A compiled model.
    x, y : array_like
        The data the loss is computed on (the whole training set, or a batch).
    layer : int, str or Layer, default -1
        The layer (index, name or object); default the last.
    index : tuple of int, optional
        Which entry of the weight, e.g. ``(0, 1)``; default the entry with the
        largest gradient (the most interesting slice).
    weight : str, default "kernel"
        The layer's weight, e.g. ``"kernel"`` or ``"bias"``.
    span : float, optional
        Plot ``w0 - span`` to ``w0 + span`` in the left panel (default: at
        least 1, chosen to show the bottom of the curve).
    points : int, default 81
        Values of the weight at which the loss is computed, per panel.
    path : str or PathLike, optional

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    The loss is computed in inference mode (no dropout) with the compiled loss
    plus the regularisation penalties, as :func:`descend.explain.step` shows it.
    """
    xs, ys, sw = prepare_batch(model, x, y, training=True)
    batch = (xs, ys, sw)
    variable = _find_weight(_find_layer(model, layer), weight)
    weights = list(model.trainable_weights)
    probe = loss_and_gradients(model, xs, ys, sw, tap=False)
    grads = {id(w): g for w, g in zip(weights, probe.gradients, strict=True)}
    gradient = grads[id(variable)]
    if index is None:
        index = np.unravel_index(int(np.argmax(np.abs(gradient))), gradient.shape)
    index = tuple(int(i) for i in np.atleast_1d(index)) if gradient.ndim else ()
    try:
        w0 = float(variable.data[index])
    except IndexError:
        raise ValueError(f"index {index} is out of range for {variable.path} of shape "
                         f"{variable.shape}.") from None
    g, loss0 = float(gradient[index]), probe.loss
    optimizer = model.optimizer
    name = type(optimizer).__name__
    learning_rate = float(optimizer.learning_rate)
    norm = float(np.sqrt(sum(np.sum(np.asarray(v, np.float64) ** 2) for v in probe.gradients)))
    update = explain_update(optimizer, variable, variable.data, gradient,
                            slots_of(optimizer, variable), learning_rate=learning_rate,
                            step=int(optimizer.iterations) + 1, global_norm=norm)
    w_next = float(update.after[index]) if update.after is not None else None

    # left: wide enough to show the bottom of the U
    fixed_span = span is not None
    if span is None:
        reach = abs(w_next - w0) if w_next is not None else 0.0
        span = max(1.0, 2.0 * abs(w0), 4.0 * reach)
    for _ in range(_MAX_WIDENING + 1):
        values = np.linspace(w0 - span, w0 + span, int(points))
        losses = _sweep(model, variable, index, values, batch)
        lowest = int(np.argmin(losses))
        if fixed_span or 0 < lowest < len(values) - 1:
            break
        span *= 2.0

    plt = pyplot()
    fig, (ax, zoom) = plt.subplots(1, 2, figsize=(12, 4.8),
                                   gridspec_kw={"width_ratios": [1.25, 1]})
    label = f"{variable.path}{list(index) if index else ''}"
    ax.plot(values, losses, color="tab:blue", lw=2, label="loss as this weight varies")
    tangent = np.linspace(w0 - span / 3, w0 + span / 3, 2)
    ax.plot(tangent, loss0 + g * (tangent - w0), "--", color="tab:red",
            label=f"tangent: slope = gradient = {g:.4g}")
    ax.plot([w0], [loss0], "o", color="black", zorder=5, label=f"current weight {w0:.4g}")
    best = values[lowest]
    ax.axvline(best, color="grey", lw=0.8, ls=":",
               label=f"lowest loss of this slice at weight {best:.4g}")
    ax.set_xlabel(f"weight {label} (all other weights fixed)")
    ax.set_ylabel("loss")
    ax.set_title("The loss as one weight varies: downhill is against the gradient", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)

    # right: the next step, magnified until it is visible
    plain = -learning_rate * g
    if w_next is None:
        zoom.text(0.5, 0.5, f"no step shown: the update rule of {name} is not known",
                  ha="center", va="center", transform=zoom.transAxes)
        zoom.set_axis_off()
        fig.suptitle(f"The U-curve of {label}")
    else:
        delta = w_next - w0
        width = 3.0 * max(abs(delta), abs(plain), 1e-12)
        near = np.linspace(w0 - width, w0 + width, int(points))
        near_losses = np.asarray(_sweep(model, variable, index, near, batch)) - loss0
        next_change = _sweep(model, variable, index, np.array([w_next]), batch)[0] - loss0
        d = visible_digits(w0, delta)
        if abs(g) * width < _RESOLVABLE * max(abs(loss0), 1e-12):
            # below float32's resolution of the loss: at this scale the curve is its tangent
            near_losses = g * (near - w0)
            next_change = g * delta
            zoom.text(0.02, 0.02, "at this scale the curve is its tangent:\nchange of loss = "
                      "gradient x change of weight", transform=zoom.transAxes, fontsize=7.5,
                      color="dimgray")
        zoom.plot(near - w0, near_losses, color="tab:blue", lw=2)
        zoom.plot([0.0], [0.0], "o", color="black", zorder=5,
                  label=f"before: w = {w0:.{d}f}")
        zoom.plot([delta], [next_change], "o", color="tab:green", zorder=5,
                  label=f"after one {name} step: w = {w_next:.{d}f}")
        zoom.annotate("", xy=(delta, next_change), xytext=(0.0, 0.0),
                      arrowprops={"arrowstyle": "->", "color": "tab:green", "lw": 2})
        if name != "SGD" or getattr(optimizer, "momentum", 0.0):
            zoom.axvline(plain, color="tab:red", lw=1, ls="--",
                         label=f"plain gradient step, -learning rate x gradient = {plain:+.2g}")
        zoom.set_xlabel(f"change of the weight (the step is {delta:+.2g})")
        zoom.set_ylabel(f"change of the loss (from {loss0:.6g})")
        zoom.grid(alpha=0.3)
        zoom.legend(fontsize=7.5, loc="best")
        zoom.set_title(f"{name}'s step: {step_rule(update.rule)}", fontsize=10, pad=14)
        fig.suptitle(f"One step of gradient descent on {label}: new weight = old weight "
                     f"{'-' if delta <= 0 else '+'} {abs(delta):.2g}")
    fig.tight_layout()
    return finish(fig, path)
