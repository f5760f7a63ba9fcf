"""From raw per-round measurements to medians, within-run ratios and the issue's targets.

Pure Python (no NumPy), so the report can be regenerated anywhere from a results JSON file.

A *record* is one worker's JSON line plus the runner's ``round`` and ``column`` keys. A *ratio*
is always oriented so that a value above 1 means descend is faster: ``descend / peer`` for
throughput, ``peer / descend`` for time per call. It is computed in each round from the two
measurements of that round, and the median over rounds is reported, so drift in machine speed
between rounds cancels.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from benchmarks import spec

DESCEND = "descend"
#: The hand-written NumPy loop: every result is also reported as a fraction of it.
NUMPY = "numpy"
TORCH_COLUMNS = ("torch", "torch-fused")
TORCH_BEST = "torch-best"
#: The inference method compared in the main table: descend's ``predict`` (the API its target is
#: about) against each peer's idiomatic fast path for one small batch.
PRIMARY_PREDICT = {"descend": "predict", "keras": "predict_on_batch", "torch": "call",
                   "sklearn": "predict_proba", "numpy": "call"}
#: Flops of one training sample of workload B (matrix products only).
B_FLOPS_PER_SAMPLE = spec.training_matmul_flops(spec.MLP_SIZES)
#: RSS growth tolerated across the repeated fit/predict calls (allocator noise).
GROWTH_TOLERANCE_BYTES = 4 * 2**20

Record = dict[str, Any]


def median(values: Iterable[float]) -> float | None:
    """Median of ``values``, or ``None`` when there are none."""
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def speed_ratio(descend: float | None, peer: float | None, higher_is_better: bool
                ) -> float | None:
    """How many times faster descend is than the peer (``None`` if either is missing).

    >>> speed_ratio(200.0, 100.0, higher_is_better=True)
    2.0
    >>> speed_ratio(10.0, 40.0, higher_is_better=False)
    4.0
    """
    if not descend or not peer:
        return None
    return descend / peer if higher_is_better else peer / descend


def _primary(suffix: str) -> Callable[[Record], float | None]:
    def metric(record: Record) -> float | None:
        method = PRIMARY_PREDICT.get(record["system"])
        return record.get(f"{method}_{suffix}")
    return metric


#: The rows of the main table: (key, label, workload, metric, higher is better).
ROWS: list[tuple[str, str, str, Callable[[Record], float | None], bool]] = [
    *[(name, name, name, lambda r: r.get("samples_per_s"), True)
      for name in ("A", "B32", "B128", "B1024", "C", "D", "L", "T")],
    ("predict_b1024", "predict, batch 1024 (samples/s)", "predict",
     _primary("samples_per_s_b1024"), True),
    ("predict_b1", "predict, batch 1 (µs per call)", "predict", _primary("us_b1"), False),
]


def by_round(records: list[Record], workload: str, metric: Callable[[Record], float | None],
             higher_is_better: bool = True) -> dict[str, dict[int, float]]:
    """``{column: {round: value}}`` of one metric, with the derived ``torch-best`` column."""
    table: dict[str, dict[int, float]] = defaultdict(dict)
    for record in records:
        if record.get("ok") and record.get("workload") == workload:
            value = metric(record)
            if value is not None:
                table[record["column"]][record["round"]] = float(value)
    pick = max if higher_is_better else min
    rounds = {r for column in TORCH_COLUMNS for r in table.get(column, {})}
    for r in sorted(rounds):
        values = [table[c][r] for c in TORCH_COLUMNS if r in table.get(c, {})]
        table[TORCH_BEST][r] = pick(values)
    return dict(table)


def ratios(table: dict[str, dict[int, float]], higher_is_better: bool) -> dict[str, float]:
    """Median over rounds of descend's per-round speed ratio to each other column."""
    own = table.get(DESCEND, {})
    result = {}
    for column, values in table.items():
        if column == DESCEND:
            continue
        per_round = [speed_ratio(own.get(r), v, higher_is_better) for r, v in values.items()]
        value = median(per_round)
        if value is not None:
            result[column] = value
    return result


def fractions_of(table: dict[str, dict[int, float]], higher_is_better: bool,
                 reference: str = NUMPY) -> dict[str, float]:
    """Median over rounds of each column's speed as a fraction of ``reference``'s.

    Oriented like :func:`speed_ratio` (above 1: faster than the reference), computed in each
    round from that round's two measurements. Empty when the reference was not measured.

    >>> fractions_of({"numpy": {0: 100.0}, "descend": {0: 50.0}}, higher_is_better=True)
    {'numpy': 1.0, 'descend': 0.5}
    """
    own = table.get(reference, {})
    if not own:
        return {}
    result = {}
    for column, values in table.items():
        per_round = [speed_ratio(v, own.get(r), higher_is_better) for r, v in values.items()]
        value = median(per_round)
        if value is not None:
            result[column] = value
    return result


def summarize_rows(records: list[Record]) -> list[dict[str, Any]]:
    """Medians, ratios to descend and fractions of the NumPy loop of every row of :data:`ROWS`."""
    rows = []
    for key, label, workload, metric, higher in ROWS:
        table = by_round(records, workload, metric, higher)
        rows.append({
            "key": key, "label": label, "workload": workload, "higher_is_better": higher,
            "median": {c: median(v.values()) for c, v in table.items()},
            "ratio": ratios(table, higher),
            "of_numpy": fractions_of(table, higher),
            "rounds": {c: len(v) for c, v in table.items()},
        })
    return rows


def summarize_fields(records: list[Record], workload: str, skip: tuple[str, ...] = ()
                     ) -> dict[str, dict[str, float]]:
    """``{column: {field: median}}`` of every numeric field the workers of ``workload`` report."""
    values: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for record in records:
        if record.get("ok") and record.get("workload") == workload:
            for key, value in record.items():
                if isinstance(value, (int, float)) and not isinstance(value, bool) \
                        and key not in skip and key != "round":
                    values[record["column"]][key].append(float(value))
    return {c: {k: median(v) for k, v in fields.items()} for c, fields in values.items()}


def summarize_machine(records: list[Record]) -> dict[str, Any]:
    """Matmul GFLOP/s, the samples/s bound it sets on B, and the fraction each system reaches."""
    gflops = by_round(records, "matmul", lambda r: r.get("matmul_gflops")).get("machine", {})
    b1024 = by_round(records, "B1024", lambda r: r.get("samples_per_s"))
    fractions = {}
    for column, values in b1024.items():
        per_round = [v * B_FLOPS_PER_SAMPLE / (gflops[r] * 1e9)
                     for r, v in values.items() if r in gflops]
        if per_round:
            fractions[column] = median(per_round)
    best = median(gflops.values())
    return {"matmul_gflops": best, "b_flops_per_sample": B_FLOPS_PER_SAMPLE,
            "b_bound_samples_per_s": best * 1e9 / B_FLOPS_PER_SAMPLE if best else None,
            "b1024_bound_fraction": fractions}


def summarize_imports(records: list[Record]) -> dict[str, float | None]:
    """Median wall seconds of ``python -c "import X"`` per probe (fresh process each)."""
    seconds: dict[str, list[float]] = defaultdict(list)
    for record in records:
        if record.get("workload") == "import" and record.get("ok"):
            seconds[record["column"]].append(record["seconds"])
    return {column: median(values) for column, values in seconds.items()}


def summarize_memory(records: list[Record]) -> dict[str, dict[str, float]]:
    """Median memory fields per column, plus ``peak_ratio = peak RSS / budget``."""
    memory = summarize_fields(records, "mem")
    for fields in memory.values():
        if fields.get("budget_bytes"):
            fields["peak_ratio"] = fields["peak_rss_bytes"] / fields["budget_bytes"]
    return memory


def _target(text: str, goal: str, value: float | None, met: Callable[[float], bool],
            shown: str) -> dict[str, Any]:
    status = "not measured" if value is None else ("met" if met(value) else "missed")
    return {"target": text, "goal": goal, "value": value,
            "shown": "–" if value is None else shown.format(value), "status": status}


def evaluate_targets(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """Each of the issue's targets with its measured value and met / missed / not measured."""
    row = {r["key"]: r for r in summary["rows"]}

    def ratio(key: str, column: str) -> float | None:
        return row.get(key, {}).get("ratio", {}).get(column)

    def of_numpy(key: str) -> float | None:
        return row.get(key, {}).get("of_numpy", {}).get(DESCEND)

    predict = summary["predict_methods"].get(DESCEND, {})
    memory = summary["memory"].get(DESCEND, {})
    fraction = summary["machine"]["b1024_bound_fraction"].get(DESCEND)
    predict_vs_call = None
    if predict.get("predict_us_b1") and predict.get("call_us_b1"):
        predict_vs_call = predict["predict_us_b1"] / predict["call_us_b1"]
    growth = memory.get("rss_growth_bytes")
    growth_mib = None if growth is None else growth / 2**20
    at_least, at_most = (lambda g: lambda v: v >= g), (lambda g: lambda v: v <= g)
    return [
        _target("A: descend / PyTorch", "≥ 4×", ratio("A", TORCH_BEST), at_least(4), "{:.2f}×"),
        _target("A: descend / hand-written NumPy loop", "≥ 70%", of_numpy("A"),
                at_least(0.7), "{:.0%}"),
        _target("A: descend / Keras", "≥ 25×", ratio("A", "keras"), at_least(25), "{:.1f}×"),
        _target("B32: descend / PyTorch", "≥ 1.2×", ratio("B32", TORCH_BEST), at_least(1.2),
                "{:.2f}×"),
        _target("B128: descend / PyTorch", "≥ 1.2×", ratio("B128", TORCH_BEST), at_least(1.2),
                "{:.2f}×"),
        _target("B1024: descend / PyTorch", "≥ 0.9×", ratio("B1024", TORCH_BEST),
                at_least(0.9), "{:.2f}×"),
        _target("B1024: fraction of the NumPy matmul bound", "≥ 60%", fraction,
                at_least(0.6), "{:.0%}"),
        _target("C: descend / PyTorch", "≥ 1.0×", ratio("C", TORCH_BEST), at_least(1.0),
                "{:.2f}×"),
        _target("D: descend / PyTorch (Conv2DTranspose)", "≥ 1.0×", ratio("D", TORCH_BEST),
                at_least(1.0), "{:.2f}×"),
        _target("L: descend / PyTorch", "≥ 0.8×", ratio("L", TORCH_BEST), at_least(0.8),
                "{:.2f}×"),
        _target("predict, batch 1, B's network", "≤ 25 µs", predict.get("predict_us_b1"),
                at_most(25), "{:.1f} µs"),
        _target("predict, batch 1: NumPy forward pass / descend", "≥ 1/1.2 (83%)",
                of_numpy("predict_b1"), at_least(1 / 1.2), "{:.0%}"),
        _target("predict / direct call, batch 1", "≤ 1.05 (not slower)", predict_vs_call,
                at_most(1.05), "{:.2f}"),
        _target('python -c "import descend"', "≤ 0.25 s",
                summary["imports"].get(DESCEND), at_most(0.25), "{:.3f} s"),
        _target("peak RSS / (data + weights + Adam state), B1024 on 60k", "≤ 1.5",
                memory.get("peak_ratio"), at_most(1.5), "{:.2f}"),
        _target("RSS growth over repeated fit + predict", "none (≤ 4 MiB)", growth_mib,
                at_most(GROWTH_TOLERANCE_BYTES / 2**20), "{:.1f} MiB"),
    ]


def errors(records: list[Record]) -> list[dict[str, Any]]:
    """The failed measurements, one entry per distinct error with the rounds it occurred in.

    Skips by design (scikit-learn has no convolution) are not errors.
    """
    grouped: dict[tuple[str, str, str], list[int]] = {}
    for record in records:
        if not record.get("ok") and record.get("error"):
            key = (record.get("column", "?"), record.get("workload", "?"), str(record["error"]))
            grouped.setdefault(key, []).append(record.get("round", 0))
    return [{"column": c, "workload": w, "error": e, "rounds": sorted(set(r))}
            for (c, w, e), r in grouped.items()]


def summarize(records: list[Record]) -> dict[str, Any]:
    """Everything the report shows, computed from the raw records of one run."""
    summary: dict[str, Any] = {
        "rows": summarize_rows(records),
        "predict_methods": summarize_fields(records, "predict", skip=("peak_rss_bytes",)),
        "peak_rss": {w: {c: f.get("peak_rss_bytes") for c, f in
                         summarize_fields(records, w).items()}
                     for w in ("A", "B32", "B128", "B1024", "C", "D", "L", "T", "predict")},
        "machine": summarize_machine(records),
        "imports": summarize_imports(records),
        "memory": summarize_memory(records),
        "errors": errors(records),
    }
    summary["targets"] = evaluate_targets(summary)
    return summary
