"""Pictures of learning: curves, the course's U-curve, decision boundaries, histograms.

Every function returns the matplotlib ``Figure`` and saves it when given
``path=`` (PNG by the file's suffix). matplotlib is imported only when a function
runs, with the headless Agg backend when there is no display (see
:mod:`descend.utils.figures`).

* :func:`plot_history` -- loss and metrics per epoch, training and validation
  (also ``history.plot()``; it lives beside :class:`~descend.callbacks.History`);
* :func:`plot_loss_curve` -- the loss as a function of one weight, the others
  fixed: the U-shaped curve of the course, the current weight, the tangent whose
  slope is the gradient backprop computes, and the step the optimizer would take;
* :func:`plot_decision_boundary` -- what a model with 1 or 2 inputs predicts over
  the input space, and how its boundary moved across epochs;
* :func:`plot_weight_histograms` -- weights (and gradients) of each layer;
* :func:`draw_network` -- the network drawn as the course draws it;
* :func:`plot_lr_finder` -- the learning-rate range test of :mod:`descend.tune`.

Examples
--------
>>> fig = plot_history({"loss": [0.9, 0.5, 0.3], "val_loss": [1.0, 0.7, 0.6]})  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from descend.callbacks.history import plot_history
from descend.explain.loss_curve import plot_loss_curve
from descend.explain.network_drawing import draw_network
from descend.explain.probe import loss_and_gradients, prepare_batch
from descend.utils.figures import finish, pyplot  # noqa: F401  (re-exported for callers)

__all__ = ["draw_network", "plot_decision_boundary", "plot_history", "plot_loss_curve",
           "plot_lr_finder", "plot_weight_histograms"]


# -------------------------------------------------------------------- decision boundary
def _scores(model: Any, inputs: np.ndarray) -> np.ndarray:
    out = np.asarray(model.predict(inputs, verbose=0, batch_size=4096), dtype=np.float64)
    return out.reshape(len(inputs), -1)


def _with_weights(model: Any, weights: Any, inputs: np.ndarray) -> np.ndarray:
    if weights is None:
        return _scores(model, inputs)
    saved = model.get_weights()
    try:
        model.set_weights(weights)
        return _scores(model, inputs)
    finally:
        model.set_weights(saved)


def _positive_share(scores: np.ndarray) -> np.ndarray:
    """Probability-like score of class 1: the output itself for one unit, else its share."""
    if scores.shape[1] == 1:
        return scores[:, 0]
    total = scores.sum(axis=1)
    with np.errstate(all="ignore"):
        return np.where(total > 0, scores[:, 1] / total, 0.5)


def plot_decision_boundary(model: Any, x: Any, y: Any, history_of_weights: Any = None,
                           resolution: int = 200, path: Any = None,
                           feature_names: Sequence[str] | None = None) -> Any:
    """What the model predicts over its input space, and how that moved while it learned.

    With 2 inputs, the plane is coloured by the predicted class (or by the
    probability, for one output unit) and the data are drawn on top; with one
    input (the course's example), the predicted probability of class 1 is drawn
    against the input, with the data at 0 and 1. Given weight snapshots, the
    boundary (probability 0.5, or where the predicted class changes) of each
    is drawn, from light (early) to dark (late).

    Parameters
    ----------
    model : Model
        A model with 1 or 2 input features.
    x : ndarray, shape (samples, 1) or (samples, 2)
    y : ndarray, shape (samples,) or (samples, 1)
        Class labels (integers) or 0/1.
    history_of_weights : WeightSnapshots or list of weight lists, optional
        E.g. a :class:`~descend.explain.WeightSnapshots` passed to ``fit``.
    resolution : int, default 200
        Grid points per axis.
    path : str or PathLike, optional
    feature_names : sequence of str, optional
        What each input feature is, for the axis labels (e.g. ``["age"]``);
        default ``"input"`` (``"input 1"``, ``"input 2"``).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If the inputs do not have 1 or 2 features, or ``feature_names`` does not
        name each of them.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x.reshape(-1, 1)
    if x.ndim != 2 or x.shape[1] not in (1, 2):
        raise ValueError(f"plot_decision_boundary: needs inputs with 1 or 2 features, received "
                         f"shape {x.shape}. Pick two features, or project the data first.")
    if feature_names is None:
        feature_names = ["input"] if x.shape[1] == 1 else ["input 1", "input 2"]
    feature_names = [str(name) for name in feature_names]
    if len(feature_names) != x.shape[1]:
        raise ValueError(f"plot_decision_boundary: feature_names must name each of the "
                         f"{x.shape[1]} input features, received {feature_names}.")
    labels = np.asarray(y).reshape(len(x), -1)
    labels = labels.argmax(axis=1) if labels.shape[1] > 1 else labels[:, 0]
    snapshots, names = [], []
    if history_of_weights is not None:
        snapshots = list(getattr(history_of_weights, "weights", history_of_weights))
        epochs = list(getattr(history_of_weights, "epochs", range(len(snapshots))))
        names = [f"after {e} epoch{'s' if e != 1 else ''}" if e else "before training"
                 for e in epochs]
    plt = pyplot()
    cmap = plt.get_cmap("viridis")
    fig, ax = plt.subplots(figsize=(7, 4.8))
    low, high = x.min(axis=0), x.max(axis=0)
    margin = 0.1 * np.maximum(high - low, 1e-3)
    low, high = low - margin, high + margin
    if x.shape[1] == 1:
        grid = np.linspace(low[0], high[0], resolution * 2).reshape(-1, 1)
        rng = np.random.default_rng(0)
        jitter = rng.uniform(-0.03, 0.03, len(x))
        ax.scatter(x[:, 0], (labels > 0).astype(float) + jitter, s=6, alpha=0.25,
                   c=np.where(labels > 0, "tab:red", "tab:blue"), label="data (class 0 / 1)")
        for i, (weights, name) in enumerate(zip(snapshots, names, strict=True)):
            share = _positive_share(_with_weights(model, weights, grid))
            ax.plot(grid[:, 0], share, color=cmap(i / max(len(snapshots) - 1, 1)), lw=1,
                    alpha=0.8, label=name if i in (0, len(snapshots) - 1) else None)
        share = _positive_share(_scores(model, grid))
        ax.plot(grid[:, 0], share, color="black", lw=2.5, label="model now")
        crossings = grid[:-1, 0][np.diff(np.sign(share - 0.5)) != 0]
        for c in crossings:
            ax.axvline(c, color="black", ls=":", lw=1)
        ax.axhline(0.5, color="grey", lw=0.8)
        ax.set_ylim(-0.08, 1.08)
        ax.set_xlabel(feature_names[0])
        ax.set_ylabel("predicted probability of class 1")
        title = "Decision boundary: where the prediction crosses 0.5"
    else:
        gx, gy = np.meshgrid(np.linspace(low[0], high[0], resolution),
                             np.linspace(low[1], high[1], resolution))
        grid = np.column_stack([gx.ravel(), gy.ravel()])
        scores = _scores(model, grid)
        if scores.shape[1] == 1:
            field_now = scores[:, 0].reshape(gx.shape)
            ax.contourf(gx, gy, field_now, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.5)
            level = [0.5]
        else:
            field_now = scores.argmax(axis=1).reshape(gx.shape)
            classes = scores.shape[1]
            ax.contourf(gx, gy, field_now, levels=np.arange(-0.5, classes), cmap="tab10",
                        alpha=0.3)
            level = list(np.arange(0.5, classes - 1))
        for i, weights in enumerate(snapshots):
            s = _with_weights(model, weights, grid)
            f = (s[:, 0] if s.shape[1] == 1 else s.argmax(axis=1)).reshape(gx.shape)
            if np.nanmin(f) < level[0] < np.nanmax(f) or len(level) > 1:
                ax.contour(gx, gy, f, levels=level, colors=[cmap(i / max(len(snapshots) - 1, 1))],
                           linewidths=1)
        ax.contour(gx, gy, field_now, levels=level, colors="black", linewidths=2)
        ax.scatter(x[:, 0], x[:, 1], c=labels, cmap="coolwarm", s=12, edgecolors="k",
                   linewidths=0.3)
        ax.set_xlabel(feature_names[0])
        ax.set_ylabel(feature_names[1])
        title = "Decision boundary" + (" (light: early epochs, black: now)" if snapshots else "")
    ax.set_title(title)
    if x.shape[1] == 1:
        ax.legend(fontsize=8, loc="center left")
    fig.tight_layout()
    return finish(fig, path)


# ---------------------------------------------------------------------- histograms
def plot_weight_histograms(model: Any, x: Any = None, y: Any = None, bins: int = 30,
                           path: Any = None) -> Any:
    """Histograms of each layer's weights and, given data, of their gradients.

    Parameters
    ----------
    model : Model
        A built model (compiled, if ``x`` and ``y`` are given).
    x, y : array_like, optional
        A batch on which to compute ``dLoss/dw`` for the second column.
    bins : int, default 30
    path : str or PathLike, optional

    Returns
    -------
    matplotlib.figure.Figure
        One row per layer with trainable weights; kernel and bias in two colours.
    """
    layers = [layer for layer in getattr(model, "layers", []) if layer.trainable_weights]
    if not layers:
        raise ValueError("plot_weight_histograms: the model has no trainable weights (build it "
                         "first, e.g. by calling it on data).")
    grads: dict[int, np.ndarray] = {}
    if x is not None and y is not None:
        xs, ys, sw = prepare_batch(model, x, y)
        probe = loss_and_gradients(model, xs, ys, sw, tap=False)
        grads = {id(w): g for w, g in zip(model.trainable_weights, probe.gradients, strict=True)}
    plt = pyplot()
    columns = 2 if grads else 1
    fig, axes = plt.subplots(len(layers), columns, figsize=(5 * columns, 2.3 * len(layers)),
                             squeeze=False)
    colors = ["tab:blue", "tab:orange", "tab:green", "tab:red"]
    for row, layer in zip(axes, layers, strict=True):
        columns_data = [[np.asarray(w.data).ravel() for w in layer.trainable_weights]]
        if grads:
            columns_data.append([np.asarray(grads[id(w)]).ravel()
                                 for w in layer.trainable_weights])
        for ax, arrays, what in zip(row, columns_data, ("", "dLoss/d"), strict=False):
            finite = np.concatenate([a[np.isfinite(a)] for a in arrays])
            edges = np.histogram_bin_edges(finite if finite.size else [0.0], bins=bins)
            for w, values, color in zip(layer.trainable_weights, arrays, colors * 4,
                                        strict=False):
                short = w.path.rsplit("/", 1)[-1]
                ax.hist(values[np.isfinite(values)], bins=edges, color=color, alpha=0.6,
                        label=f"{what}{short} {tuple(w.shape) if not what else ''}".rstrip())
        row[0].set_title(f"{layer.name}: weights", fontsize=9)
        row[0].set_xlabel("weight value", fontsize=8)
        row[0].set_ylabel("number of weights", fontsize=8)
        row[0].legend(fontsize=7)
        if grads:
            row[1].set_title(f"{layer.name}: gradients", fontsize=9)
            row[1].set_xlabel("gradient dLoss/dw", fontsize=8)
            row[1].set_ylabel("number of weights", fontsize=8)
            row[1].legend(fontsize=7)
    fig.suptitle("Each layer's weights" + (" and the gradients of the loss with respect to them"
                                            if grads else "")
                 + " (kernel: connection weights, bias: one per unit)")
    fig.tight_layout()
    return finish(fig, path)


# ----------------------------------------------------------------------- LR finder
def plot_lr_finder(result: Any, path: Any = None) -> Any:
    """Loss against learning rate (log scale) from :func:`descend.tune.find_learning_rate`.

    Parameters
    ----------
    result : LRFinderResult
        Has ``learning_rates``, ``losses``, ``smoothed`` and ``suggestion``.
    path : str or PathLike, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.4))
    lrs = np.asarray(result.learning_rates)
    ax.plot(lrs, result.losses, color="tab:blue", alpha=0.3, lw=1, label="loss of each batch")
    ax.plot(lrs, result.smoothed, color="tab:blue", lw=2, label="smoothed")
    if result.suggestion is not None:
        ax.axvline(result.suggestion, color="tab:red", ls="--",
                   label=f"suggested: {result.suggestion:.2g} (steepest descent)")
    ax.set_xscale("log")
    finite = np.asarray(result.smoothed)[np.isfinite(result.smoothed)]
    if finite.size:
        top = min(float(np.max(finite)), 4.0 * float(finite[0]) if finite[0] > 0 else np.inf)
        ax.set_ylim(float(np.min(finite)) - 0.05 * abs(float(np.min(finite))), top * 1.05)
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("training loss")
    ax.set_title("Learning-rate range test (Smith 2017)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return finish(fig, path)
