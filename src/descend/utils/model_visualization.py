"""``plot_model``: draw a model's layer graph to an image with matplotlib (no graphviz).

Each layer is a box with its name and type (and, on request, its input and output shapes,
dtype, activation and trainability); arrows follow the data from the inputs to the outputs.
Layers are placed in rows by depth (the longest path from an input), top to bottom
(``rankdir="TB"``) or left to right (``"LR"``). Sequential models are drawn as a chain that
starts with their ``InputLayer``; functional models show their branches and merges. Models
nested as layers are drawn as one box (``expand_nested`` is accepted and ignored).

Examples
--------
>>> import descend
>>> from descend import layers
>>> model = descend.Sequential([layers.Input((4,)), layers.Dense(3), layers.Dense(1)])
>>> fig = plot_model(model, "model.png", show_shapes=True)  # doctest: +SKIP
"""

from __future__ import annotations

import os
from typing import Any

from descend.utils.figures import pyplot

__all__ = ["model_graph", "plot_model"]


def _shape_text(shape: Any) -> str:
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return "[" + ", ".join(_shape_text(s) for s in shape) + "]"
    return "(" + ", ".join("None" if s is None else str(s) for s in shape) + \
        ("," if len(shape) == 1 else "") + ")"


def model_graph(model: Any) -> tuple[list[dict[str, Any]], list[tuple[int, int]]]:
    """The boxes and arrows of ``model``.

    Returns
    -------
    nodes : list of dict
        One per layer: ``layer``, ``input_shape`` and ``output_shape`` (text).
    edges : list of (int, int)
        Index pairs ``(source, target)`` into ``nodes``.
    """
    if hasattr(model, "_nodes"):  # functional: follow the recorded graph
        index: dict[int, int] = {}
        nodes: list[dict[str, Any]] = []
        edges: list[tuple[int, int]] = []
        for node in model._nodes:
            layer = node.layer
            if id(layer) not in index:
                index[id(layer)] = len(nodes)
                outs = sorted(node.outputs, key=lambda t: t.index)
                out_shape = outs[0].shape if len(outs) == 1 else [t.shape for t in outs]
                ins = [t.shape for t in node.inputs]
                in_shape = None if not ins else (ins[0] if len(ins) == 1 else ins)
                if not ins:
                    in_shape = out_shape
                nodes.append({"layer": layer, "input_shape": _shape_text(in_shape),
                              "output_shape": _shape_text(out_shape)})
            for tensor in node.inputs:
                edge = (index[id(tensor.layer)], index[id(layer)])
                if edge not in edges:
                    edges.append(edge)
        return nodes, edges
    layers = list(getattr(model, "_all_layers", lambda: model.layers)())
    shape = model._input_shape() if hasattr(model, "_input_shape") else None
    nodes = []
    for layer in layers:
        in_shape = shape
        if type(layer).__name__ == "InputLayer":
            out_shape = layer.batch_shape
        elif shape is not None:
            try:
                out_shape = tuple(layer.compute_output_shape(shape))
            except Exception:  # noqa: BLE001  (a custom layer without shape inference)
                out_shape = None
        else:
            out_shape = None
        shape = out_shape
        nodes.append({"layer": layer, "input_shape": _shape_text(in_shape),
                      "output_shape": _shape_text(out_shape)})
    return nodes, [(i, i + 1) for i in range(len(nodes) - 1)]


def _label(entry: dict[str, Any], show_shapes: bool, show_dtype: bool, show_layer_names: bool,
           show_layer_activations: bool, show_trainable: bool) -> str:
    layer = entry["layer"]
    kind = type(layer).__name__
    lines = [f"{layer.name} ({kind})" if show_layer_names else kind]
    activation = getattr(layer, "activation", None)
    if show_layer_activations and activation is not None:
        name = getattr(activation, "__name__", None) or str(activation)
        lines.append(f"activation: {name}")
    if show_shapes:
        lines.append(f"input: {entry['input_shape']}")
        lines.append(f"output: {entry['output_shape']}")
    if show_dtype:
        lines.append(f"dtype: {getattr(layer, 'dtype', '?')}")
    if show_trainable:
        lines.append("trainable" if layer.trainable else "frozen")
    return "\n".join(lines)


def _depths(count: int, edges: list[tuple[int, int]]) -> list[int]:
    depth = [0] * count
    for _ in range(count):
        changed = False
        for a, b in edges:
            if depth[b] < depth[a] + 1:
                depth[b] = depth[a] + 1
                changed = True
        if not changed:
            break
    return depth


def plot_model(model: Any, to_file: str | os.PathLike[str] | None = "model.png",
               show_shapes: bool = False, show_dtype: bool = False,
               show_layer_names: bool = False, rankdir: str = "TB",
               expand_nested: bool = False, dpi: int = 200,
               show_layer_activations: bool = False, show_trainable: bool = False,
               **kwargs: Any) -> Any:
    """Draw ``model`` as a graph of layer boxes and save it.

    Parameters
    ----------
    model : Sequential or functional Model
        It must be built (have an input shape) for shapes to be known.
    to_file : str or os.PathLike or None, default "model.png"
        Output file (format from the extension); None only returns the figure.
    show_shapes, show_dtype, show_layer_names, show_layer_activations, show_trainable : bool
        What each box shows besides the layer type (Keras's defaults: all False).
    rankdir : {"TB", "LR"}, default "TB"
        Top-to-bottom or left-to-right.
    expand_nested : bool, default False
        Accepted for compatibility; nested models are drawn as one box.
    dpi : int, default 200
    **kwargs
        Keras's graphviz-only options (``splines``...) are accepted and ignored.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if rankdir not in ("TB", "LR"):
        raise ValueError(f"plot_model: `rankdir` must be 'TB' or 'LR', received "
                         f"rankdir={rankdir!r}.")
    if not hasattr(model, "layers"):
        raise TypeError(f"plot_model: expected a model, received {type(model).__name__}.")
    nodes, edges = model_graph(model)
    if not nodes:
        raise ValueError(f"plot_model: model '{model.name}' has no layers to draw.")
    labels = [_label(n, show_shapes, show_dtype, show_layer_names, show_layer_activations,
                     show_trainable) for n in nodes]
    depth = _depths(len(nodes), edges)
    rows: dict[int, list[int]] = {}
    for i, d in enumerate(depth):
        rows.setdefault(d, []).append(i)
    width_chars = max(len(line) for text in labels for line in text.split("\n"))
    box_lines = max(text.count("\n") + 1 for text in labels)
    box_w, box_h = 0.11 * width_chars + 0.5, 0.28 * box_lines + 0.3
    step_main = box_h + 0.6 if rankdir == "TB" else box_w + 0.8
    step_side = box_w + 0.5 if rankdir == "TB" else box_h + 0.5
    widest = max(len(r) for r in rows.values())
    positions = {}
    for d, members in rows.items():
        for k, i in enumerate(members):
            side = (k - (len(members) - 1) / 2) * step_side
            positions[i] = (side, -d * step_main) if rankdir == "TB" else (d * step_main, -side)
    plt = pyplot()
    levels = len(rows)
    if rankdir == "TB":
        size = (max(widest * step_side, box_w + 0.5), levels * step_main)
    else:
        size = (levels * step_main, max(widest * step_side, box_h + 0.5))
    fig, ax = plt.subplots(figsize=size)
    for a, b in edges:
        (xa, ya), (xb, yb) = positions[a], positions[b]
        if rankdir == "TB":
            start, end = (xa, ya - box_h / 2), (xb, yb + box_h / 2)
        else:
            start, end = (xa + box_w / 2, ya), (xb - box_w / 2, yb)
        ax.annotate("", xy=end, xytext=start,
                    arrowprops={"arrowstyle": "-|>", "color": "#444444", "lw": 1.2})
    for i, text in enumerate(labels):
        x, y = positions[i]
        ax.add_patch(plt.Rectangle((x - box_w / 2, y - box_h / 2), box_w, box_h,
                                   facecolor="#e8f0fb", edgecolor="#3b5b8c", lw=1.2))
        ax.text(x, y, text, ha="center", va="center", fontsize=9, family="monospace")
    xs = [p[0] for p in positions.values()]
    ys = [p[1] for p in positions.values()]
    ax.set_xlim(min(xs) - box_w / 2 - 0.2, max(xs) + box_w / 2 + 0.2)
    ax.set_ylim(min(ys) - box_h / 2 - 0.2, max(ys) + box_h / 2 + 0.2)
    ax.set_aspect("equal")
    ax.axis("off")
    if to_file is not None:
        folder = os.path.dirname(os.fspath(to_file))
        if folder:
            os.makedirs(folder, exist_ok=True)
        fig.savefig(to_file, dpi=dpi, bbox_inches="tight")
    return fig
