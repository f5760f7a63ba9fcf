"""``draw_network``: a dense network drawn as the course draws it.

Columns of nodes -- the input layer, each hidden layer, the output layer -- and
an edge from every node to every node of the next layer. Each edge's colour and
width show its weight (blue negative, red positive, thicker = larger), each
node's colour its bias. Layers with more than ``max_units`` units are shown with
their first and last units and a gap marked with their size.

Examples
--------
>>> import descend
>>> from descend.layers import Dense
>>> model = descend.Sequential([Dense(3, activation="relu", input_shape=(2,)), Dense(1)])
>>> fig = draw_network(model)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.explain.taps import activation_name
from descend.utils.figures import finish, pyplot

__all__ = ["draw_network", "shown_units"]


def shown_units(n: int, max_units: int) -> list[int | None]:
    """Which units of a layer of ``n`` to draw; ``None`` marks the gap.

    Examples
    --------
    >>> shown_units(4, 6)
    [0, 1, 2, 3]
    >>> shown_units(16, 6)
    [0, 1, 2, None, 14, 15]
    """
    if n <= max_units:
        return list(range(n))
    head = (max_units - 1) // 2 + (max_units - 1) % 2
    tail = max_units - 1 - head
    return list(range(head)) + [None] + list(range(n - tail, n))


def _dense_layers(model: Any) -> list[Any]:
    dense = []
    for layer in getattr(model, "layers", []):
        kernel = getattr(layer, "kernel", None)
        if kernel is not None and getattr(kernel, "ndim", 0) == 2:
            dense.append(layer)
        elif layer.weights:
            raise ValueError(
                f"draw_network draws dense networks; layer '{layer.name}' "
                f"({type(layer).__name__}) is not a dense layer. Draw a model made of Dense "
                "layers (Dropout, Activation and Flatten layers are allowed)."
            )
    if not dense:
        raise ValueError("draw_network: the model has no built Dense layer to draw (build it "
                         "first, e.g. with an input_shape or by calling it on data).")
    return dense


def draw_network(model: Any, max_units: int = 12, path: Any = None,
                 title: str | None = None) -> Any:
    """Draw a small dense network: nodes, edges coloured and sized by weight.

    Parameters
    ----------
    model : Model
        A built model made of Dense layers (layers without weights are skipped).
    max_units : int, default 12
        Larger layers are summarised: their first and last units and a gap.
    path : str or PathLike, optional
        Save the figure there.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If the model has a layer with weights that is not dense, or ``max_units < 3``.
    """
    if isinstance(max_units, bool) or not isinstance(max_units, int) or max_units < 3:
        raise ValueError(f"draw_network: `max_units` must be an int >= 3, received {max_units!r}.")
    layers = _dense_layers(model)
    kernels = [np.asarray(layer.kernel.data, dtype=np.float64) for layer in layers]
    biases = [None if getattr(layer, "bias", None) is None
              else np.asarray(layer.bias.data, dtype=np.float64) for layer in layers]
    sizes = [kernels[0].shape[0]] + [k.shape[1] for k in kernels]
    shown = [shown_units(n, max_units) for n in sizes]
    scale = max(float(np.max(np.abs(k))) for k in kernels) or 1.0
    bias_scale = max([float(np.max(np.abs(b))) for b in biases if b is not None and b.size]
                     + [1e-12])
    plt = pyplot()
    from matplotlib.collections import LineCollection
    from matplotlib.colors import Normalize

    cmap = plt.get_cmap("coolwarm")
    norm = Normalize(-scale, scale)
    tallest = max(len(s) for s in shown)
    fig, ax = plt.subplots(figsize=(2.4 * len(sizes) + 1.5, max(3.5, 0.42 * tallest + 1.8)))

    def position(column: int, slot: int) -> tuple[float, float]:
        count = len(shown[column])
        return float(column), (count - 1) / 2.0 - slot

    for column, kernel in enumerate(kernels):
        segments, colors, widths = [], [], []
        for i, source in enumerate(shown[column]):
            if source is None:
                continue
            for j, target in enumerate(shown[column + 1]):
                if target is None:
                    continue
                value = kernel[source, target]
                segments.append([position(column, i), position(column + 1, j)])
                colors.append(cmap(norm(value)))
                widths.append(0.3 + 3.2 * abs(value) / scale)
        order = np.argsort(widths)  # thick edges on top
        ax.add_collection(LineCollection([segments[k] for k in order],
                                         colors=[colors[k] for k in order],
                                         linewidths=[widths[k] for k in order], alpha=0.85,
                                         zorder=1))
    for column, units in enumerate(shown):
        bias = biases[column - 1] if column > 0 else None
        for slot, unit in enumerate(units):
            cx, cy = position(column, slot)
            if unit is None:
                ax.text(cx, cy, f"... {sizes[column] - len(units) + 1} more ...", ha="center",
                        va="center", fontsize=7, zorder=3,
                        bbox={"boxstyle": "round", "fc": "white", "ec": "none"})
                continue
            face = "lightgrey" if bias is None else \
                plt.get_cmap("PiYG")(0.5 + 0.5 * bias[unit] / bias_scale)
            ax.scatter([cx], [cy], s=260, color=face, edgecolors="black", linewidths=0.8,
                       zorder=2)
        if column == 0:
            label = f"input layer\n{sizes[0]} input{'s' if sizes[0] != 1 else ''}"
        else:
            layer = layers[column - 1]
            kind = "output layer" if column == len(sizes) - 1 else "hidden layer"
            label = (f"{kind} '{layer.name}'\n{sizes[column]} unit"
                     f"{'s' if sizes[column] != 1 else ''}, {activation_name(layer) or 'linear'}")
        ax.text(column, -(tallest - 1) / 2.0 - 0.9, label, ha="center", va="top", fontsize=8)
    ax.set_xlim(-0.5, len(sizes) - 0.5)
    ax.set_ylim(-(tallest - 1) / 2.0 - 2.0, (tallest - 1) / 2.0 + 0.8)
    ax.axis("off")
    mappable = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
    bar = fig.colorbar(mappable, ax=ax, shrink=0.6, pad=0.02)
    bar.set_label("weight (edge colour; width = |weight|)")
    ax.set_title(title or f"{getattr(model, 'name', 'model')}: "
                 f"{' -> '.join(str(n) for n in sizes)} units; node colour = bias "
                 "(green > 0 > pink)", fontsize=10)
    return finish(fig, path)
