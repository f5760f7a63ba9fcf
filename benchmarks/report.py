"""Render a results JSON as Markdown: ``python benchmarks/report.py <results.json>``.

Prints the report; writes it to a file only when asked, with ``--docs PATH`` (the published page:
``--docs docs/benchmarks.md``). The summary is recomputed from the raw records with
:mod:`benchmarks.stats`, so a report can be regenerated from any results file. If
``benchmarks/notes.md`` exists, its text closes the report: that is where the explanation of each
missed target is written after a run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import spec, stats, systems  # noqa: E402

PEERS = ("keras", "torch", "torch-fused", "torch-best", "sklearn", "numpy")
MEASURED = ("descend", "keras", "torch", "torch-fused", "sklearn", "numpy")
#: Columns of the table of fractions of the hand-written NumPy loop.
OF_NUMPY = ("descend", "keras", "torch", "torch-fused", "torch-best", "sklearn")
NOTES = systems.ROOT / "benchmarks" / "notes.md"
TRAIN_LABELS = {
    "A": "A: course network 1→16→32→2, batch 10",
    "B32": "B: MLP 784→256→128→10, batch 32",
    "B128": "B at batch 128",
    "B1024": "B at batch 1024",
    "C": "C: CNN conv32-pool-conv64-pool-dense10, batch 64",
    "D": "D: Conv2DTranspose 14×14×16 → 28×28×32, pool, dense10, batch 64",
    "L": "L: LSTM(128), 28 steps of 28 inputs, batch 64",
    "T": "T: Transformer encoder block, 32 steps of width 64, batch 64",
}


def si(value: float | None) -> str:
    """A throughput in three significant digits with k/M suffix.

    >>> si(27731.4), si(1_234_567.0), si(950.0), si(None)
    ('27.7k', '1.23M', '950', '–')
    """
    if value is None:
        return "–"
    for scale, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:.3g}{suffix}"
    return f"{value:.3g}"


def times(value: float | None) -> str:
    """A ratio as ``1.23×``; ``–`` when missing.

    >>> times(1.234), times(None)
    ('1.23×', '–')
    """
    return "–" if value is None else f"{value:.2f}×"


def percent(value: float | None) -> str:
    """A fraction as a whole percentage; ``–`` when missing.

    >>> percent(0.456), percent(1.5), percent(None)
    ('46%', '150%', '–')
    """
    return "–" if value is None else f"{value:.0%}"


def mib(value: float | None) -> str:
    """Bytes as MiB with one decimal.

    >>> mib(3 * 2**20)
    '3.0'
    """
    return "–" if value is None else f"{value / 2**20:,.1f}"


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Markdown table lines.

    >>> table(["a", "b"], [["1", "2"]])
    ['| a | b |', '|---|---|', '| 1 | 2 |']
    """
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _columns(summary: dict[str, Any], candidates: tuple[str, ...]) -> list[str]:
    present = {c for row in summary["rows"] for c in row["median"]}
    return [c for c in candidates if c in present]


def _row_label(row: dict[str, Any]) -> str:
    return TRAIN_LABELS.get(row["key"], row["label"])


def _cell(row: dict[str, Any], column: str) -> str:
    value = row["median"].get(column)
    if value is None:
        return "–"
    return f"{value:,.1f} µs" if not row["higher_is_better"] else si(value)


def header_section(results: dict[str, Any], path: str) -> list[str]:
    """Title, date, machine, versions and the exact command."""
    machine, versions = results["machine"], results.get("versions", {})
    lines = ["# Benchmarks", ""]
    if results.get("quick"):
        lines += ["> **Smoke run (`--quick`)**: tiny sizes that only check that the suite runs.",
                  "> These numbers measure start-up costs, not speed.", ""]
    shown = {k: v for k, v in versions.items() if k not in ("descend_path", "error")}
    lines += [
        f"- **Date**: {results['started']} to {results.get('finished', '?')} (UTC)",
        f"- **Machine**: {machine.get('cpu')}, {machine.get('cpu_count')} logical cores, "
        f"{machine.get('platform')}; load average at start "
        f"{_load(machine.get('load_average_start'))}, at end "
        f"{_load(machine.get('load_average_end'))}",
        "- **Versions**: " + ", ".join(f"{k} {v}" for k, v in sorted(shown.items())),
        f"- **Command**: `{results['command']}` ({results['rounds']} interleaved rounds; "
        "each cell is the median over rounds)",
        f"- **Report**: `python benchmarks/report.py {path} --docs docs/benchmarks.md`",
    ]
    if results.get("skipped"):
        lines.append("- **Skipped** (not installed): " + ", ".join(
            f"{name} ({why})" for name, why in results["skipped"].items()))
    return lines + [""]


def _load(value: Any) -> str:
    return "?" if not value else "/".join(f"{v:.2f}" for v in value)


def speed_section(summary: dict[str, Any]) -> list[str]:
    """Samples/s (or µs per call) per system, then descend's ratio to each peer."""
    columns = _columns(summary, MEASURED)
    rows = [[_row_label(r)] + [_cell(r, c) for c in columns] for r in summary["rows"]]
    lines = ["## Speed", "", "Samples per second (higher is better) unless marked µs per call. "
             "The predict rows compare descend's `model.predict` with each peer's fast path: "
             "Keras `predict_on_batch`, PyTorch `model(x)` under `no_grad` (shown in its "
             "default column), scikit-learn `predict_proba`; every method is listed under "
             "Inference methods.", "",
             *table(["workload"] + [systems.COLUMN_LABELS[c] for c in columns], rows), ""]
    peers = _columns(summary, PEERS)
    ratio_rows = [[_row_label(r)] + [times(r["ratio"].get(c)) for c in peers]
                  for r in summary["rows"]]
    lines += ["## descend / peer", "",
              "How many times faster descend is (above 1: descend is faster). Computed in each "
              "round from that round's two measurements; the median over rounds is shown.", "",
              *table(["workload"] + [f"vs {systems.COLUMN_LABELS[c]}" for c in peers],
                     ratio_rows), ""]
    return lines + numpy_section(summary)


def numpy_section(summary: dict[str, Any]) -> list[str]:
    """Every system's speed as a fraction of the hand-written NumPy loop (where it ran)."""
    rows = [r for r in summary["rows"] if r.get("of_numpy")]
    if not rows:
        return []
    present = {c for r in rows for c in r["of_numpy"]}
    columns = [c for c in OF_NUMPY if c in present]
    body = [[_row_label(r)] + [percent(r["of_numpy"].get(c)) for c in columns] for r in rows]
    return ["## Fraction of the hand-written NumPy loop", "",
            "Each system's speed as a fraction of the same network trained (or run, for "
            "predict) by a hand-written NumPy loop with the same data, initialisation, loss and "
            "Adam arithmetic (`benchmarks/workers/numpy_worker.py`): the floor any NumPy program "
            "can reach. 100% is as fast as that loop; above 100% is faster. Computed in each "
            "round from that round's two measurements; the median over rounds is shown.", "",
            *table(["workload"] + [systems.COLUMN_LABELS[c] for c in columns], body), ""]


def targets_section(summary: dict[str, Any]) -> list[str]:
    """The issue's targets with met / missed."""
    mark = {"met": "met", "missed": "**missed**", "not measured": "not measured"}
    rows = [[t["target"], t["goal"], t["shown"], mark[t["status"]]] for t in summary["targets"]]
    lines = ["## Targets", "",
             "\"PyTorch\" is the faster of its default and fused-Adam loops in each round.", "",
             *table(["target", "goal", "measured", "status"], rows), ""]
    missed = [t["target"] for t in summary["targets"] if t["status"] == "missed"]
    if missed and not NOTES.is_file():
        lines += ["Missed: " + "; ".join(missed) + ". The explanation belongs in "
                  "`benchmarks/notes.md` (appended below when present).", ""]
    return lines


def bound_section(summary: dict[str, Any]) -> list[str]:
    """NumPy's matmul speed and the fraction of the bound each system reaches on B1024."""
    machine = summary["machine"]
    if not machine.get("matmul_gflops"):
        return []
    fractions = machine["b1024_bound_fraction"]
    rows = [[systems.COLUMN_LABELS[c], f"{fractions[c]:.0%}"]
            for c in (*MEASURED, "torch-best") if c in fractions]
    return ["## The matrix-product bound", "",
            f"NumPy's float32 1024×1024 matrix product ran at **{machine['matmul_gflops']:.1f} "
            f"GFLOP/s**. Training one sample of B costs {machine['b_flops_per_sample']:,} flops "
            "of matrix products (forward, weight gradients, and input gradients of every layer "
            "but the first), so no NumPy program trains B faster than "
            f"**{si(machine['b_bound_samples_per_s'])} samples/s** here. Fraction of that bound "
            "reached at batch 1024:", "", *table(["system", "fraction"], rows), ""]


def predict_section(summary: dict[str, Any]) -> list[str]:
    """Every inference method of every system at batch 1 and 1024."""
    rows = []
    for column in MEASURED:
        fields = summary["predict_methods"].get(column, {})
        for key in sorted(k for k in fields if k.endswith("_us_b1")):
            method = key[: -len("_us_b1")]
            rows.append([systems.SYSTEMS[column].label, f"`{method}`", f"{fields[key]:,.1f}",
                         si(fields.get(f"{method}_samples_per_s_b1024"))])
    if not rows:
        return []
    return ["## Inference methods (B's network)", "",
            "`call` is the direct call `model(x)` (PyTorch: in eval mode under `no_grad`; "
            "`call_numpy` adds `torch.from_numpy` and `.numpy()`).", "",
            *table(["system", "method", "µs per call, batch 1", "samples/s, batch 1024"], rows),
            ""]


def memory_section(summary: dict[str, Any]) -> list[str]:
    """Peak RSS against the data + weights + optimizer budget, RSS growth, import time."""
    lines = []
    memory = summary["memory"]
    if memory:
        rows = [[systems.COLUMN_LABELS[c], mib(m.get("peak_rss_bytes")), mib(m.get("budget_bytes")),
                 f"{m['peak_ratio']:.2f}" if m.get("peak_ratio") else "–",
                 mib(m.get("rss_after_import_bytes")), mib(m.get("rss_growth_bytes"))]
                for c in MEASURED if (m := memory.get(c))]
        lines += ["## Memory", "",
                  "Training B at batch 1024 for one epoch (peak RSS of the whole process, from "
                  "`getrusage`), against the bytes of the data plus float32 weights plus Adam's "
                  "two moments; then RSS growth between the first and last of several repeated "
                  "`fit` + `predict` calls on 8,192 rows. MiB.", "",
                  *table(["system", "peak RSS", "data + weights + Adam", "ratio",
                          "RSS after import", "growth"], rows), ""]
    peaks = summary["peak_rss"]
    columns = [c for c in MEASURED if any(c in peaks[w] for w in peaks)]
    if columns:
        rows = [[w] + [mib(peaks[w].get(c)) for c in columns] for w in peaks if peaks[w]]
        lines += ["Peak RSS of each speed measurement's process, MiB:", "",
                  *table(["workload"] + [systems.COLUMN_LABELS[c] for c in columns], rows), ""]
    imports = summary["imports"]
    if imports:
        rows = [[f"`python -c \"{code}\"`", f"{imports[c]:.3f}"]
                for c, code in (("python", "pass"), ("numpy", "import numpy"),
                                ("descend", "import descend")) if imports.get(c)]
        lines += ["## Start-up", "", "Wall seconds of a fresh process, median:", "",
                  *table(["command", "seconds"], rows), ""]
    return lines


def method_section(results: dict[str, Any]) -> list[str]:
    """The workloads' sizes and the fairness choices, so the numbers can be read."""
    rows = []
    stored = results.get("workload_specs", {})
    for name in ("A", "B32", "B128", "B1024", "C", "D", "L", "T"):
        w = (spec.Workload(**stored[name]) if name in stored
             else spec.get_workload(name, quick=bool(results.get("quick"))))
        rows.append([name, f"{w.n_samples:,}", str(w.batch_size), str(w.epochs), f"{w.steps:,}",
                     str(w.warmup_steps), f"{w.learning_rate:g}"])
    return ["## How the numbers are made", "",
            *table(["workload", "samples", "batch", "epochs", "timed steps", "warm-up steps",
                    "Adam lr"], rows), "",
            "Same standard-normal float32 data (labels from a fixed random linear teacher) and "
            "the same number of Adam steps for every system, default threads, each measurement "
            "in a fresh process, warm-up steps not timed, data reshuffled every epoch. descend "
            "and Keras run the same Keras code (only the import differs): softmax/sigmoid output "
            "with `sparse_categorical_crossentropy`, no metrics. PyTorch runs the idiomatic loop "
            "over pre-made tensors with `nn.CrossEntropyLoss` on logits (for A too, instead of "
            "two sigmoid units). The NumPy loop is the same network written by hand (flat "
            "weight and gradient buffers, in-place Adam, softmax cross-entropy from logits for "
            "B, A's sigmoid units with Keras's cross-entropy on probabilities, descend's "
            "BLAS-thread rule instead of default threads). scikit-learn runs "
            "`MLPClassifier(solver=\"adam\", alpha=0)` "
            "with its stopping rules disabled; it uses one logistic output for A's two classes "
            "and has no convolution (C). See `benchmarks/README.md`.", ""]


def render(results: dict[str, Any], path: str = "<results.json>") -> str:
    """The whole Markdown report of one run."""
    summary = stats.summarize(results["records"])
    lines = header_section(results, path)
    lines += speed_section(summary) + targets_section(summary) + bound_section(summary)
    lines += predict_section(summary) + memory_section(summary) + method_section(results)
    if summary["errors"]:
        lines += ["## Errors", ""]
        for e in summary["errors"]:
            rounds = ", ".join(str(r + 1) for r in e["rounds"])
            lines.append(f"- {e['column']}, {e['workload']} (round {rounds}): {e['error']}")
        lines.append("")
    if NOTES.is_file():
        lines += ["## Notes", "", NOTES.read_text().strip(), ""]
    return "\n".join(lines)


def write_page(path: Path, markdown: str) -> None:
    """Write ``markdown`` to ``path`` atomically (a reader never sees half a page)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(markdown)
    os.replace(partial, path)


def main(argv: list[str] | None = None) -> None:
    """Command line: render a results file, print it and, with ``--docs PATH``, write it there."""
    parser = argparse.ArgumentParser(description="Render a benchmark results JSON as Markdown.")
    parser.add_argument("results", type=Path, help="a file written by benchmarks/run.py")
    parser.add_argument("--docs", type=Path, default=None,
                        help="also write the report here (e.g. docs/benchmarks.md); "
                             "default: only print it")
    args = parser.parse_args(argv)
    results = json.loads(args.results.read_text())
    try:
        shown = args.results.resolve().relative_to(systems.ROOT)
    except ValueError:
        shown = args.results
    markdown = render(results, str(shown))
    print(markdown)
    if args.docs is not None:
        write_page(args.docs, markdown)
        print(f"wrote {args.docs}", file=sys.stderr)


if __name__ == "__main__":
    main()
