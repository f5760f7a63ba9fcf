"""``model.summary()``: Keras 3's table of layers, output shapes and parameter counts."""

from __future__ import annotations

from typing import Any

import numpy as np


def _bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.2f} {unit}"
        n /= 1024
    return f"{n:.2f} TB"  # pragma: no cover


def _shape_text(layer: Any, shape: Any) -> str:
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return "[" + ", ".join(_shape_text(layer, s) for s in shape) + "]"
    return "(" + ", ".join("None" if s is None else str(s) for s in shape) + \
        ("," if len(shape) == 1 else "") + ")"


def _rows(model: Any) -> list[tuple[str, str, str, str]]:
    rows = []
    shape = model._build_shape if getattr(model, "_build_shape", None) is not None else None
    if not hasattr(model, "_input_layer"):  # a subclassed model: the wiring is in call()
        shape = None
    layers = getattr(model, "_summary_layers", None)
    entries = layers() if callable(layers) else [(layer, None) for layer in model.layers]
    for layer, out_shape in entries:
        if out_shape is None and shape is not None:
            try:
                shape = tuple(layer.compute_output_shape(shape))
            except Exception:  # noqa: BLE001  (a custom layer without shape inference)
                shape = None
            out_shape = shape
        if layer.built:
            params = f"{layer.count_params():,}"
        else:
            params = "0 (unbuilt)"
        trainable = "Y" if layer.trainable else "N"
        rows.append((f"{layer.name} ({type(layer).__name__})", _shape_text(layer, out_shape),
                     params, trainable))
    return rows


def print_summary(model: Any, line_length: int | None = None, positions: Any = None,
                  print_fn: Any = None, show_trainable: bool = False) -> None:
    """Render the summary table with box-drawing characters, as Keras 3 does."""
    width = line_length or 88
    positions = positions or [0.45, 0.80, 1.0]
    edges = [int(width * p) for p in positions]
    widths = [edges[0]] + [edges[i] - edges[i - 1] for i in range(1, len(edges))]
    widths = [w - 3 for w in widths]
    headers = ["Layer (type)", "Output Shape", "Param #"]
    aligns = ["<", "<", ">"]
    if show_trainable:
        headers.append("Trainable")
        widths.append(9)
        aligns.append("^")
    rows = _rows(model)
    for row in rows:
        for i in range(len(headers)):
            widths[i] = max(widths[i], len(row[i]))

    def line(left: str, fill: str, mid: str, right: str) -> str:
        return left + mid.join(fill * (w + 2) for w in widths) + right

    def cells(values: list[str], bar: str) -> str:
        return bar + bar.join(f" {v:{a}{w}} " for v, a, w in zip(values, aligns, widths,
                                                                   strict=False)) + bar

    out = [f'Model: "{model.name}"', line("┏", "━", "┳", "┓"), cells(headers, "┃"),
           line("┡", "━", "╇", "┩")]
    for i, row in enumerate(rows):
        out.append(cells(list(row[: len(headers)]), "│"))
        out.append(line("├", "─", "┼", "┤") if i < len(rows) - 1 else line("└", "─", "┴", "┘"))
    if not rows:
        out.append(line("└", "─", "┴", "┘"))
    weights = model.weights
    trainable = sum(w.size for w in weights if w.trainable)
    frozen = sum(w.size for w in weights if not w.trainable)
    size_t = sum(w.size * w.dtype.itemsize for w in weights if w.trainable)
    size_f = sum(w.size * w.dtype.itemsize for w in weights if not w.trainable)
    optimizer = getattr(model, "optimizer", None)
    opt_count, opt_size = 0, 0
    if optimizer is not None and getattr(optimizer, "built", False):
        opt_vars = [np.asarray(v) for v in optimizer.variables]
        opt_count = int(sum(v.size for v in opt_vars))
        opt_size = int(sum(v.nbytes for v in opt_vars))
    total = trainable + frozen + opt_count
    out.append(f" Total params: {total:,} ({_bytes(size_t + size_f + opt_size)})")
    out.append(f" Trainable params: {trainable:,} ({_bytes(size_t)})")
    out.append(f" Non-trainable params: {frozen:,} ({_bytes(size_f)})")
    if opt_count:
        out.append(f" Optimizer params: {opt_count:,} ({_bytes(opt_size)})")
    text = "\n".join(out)
    (print_fn or print)(text)
