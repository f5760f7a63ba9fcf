"""What every worker shares: the command line, clocks, memory probes and the JSON line it prints.

A worker measures one (system, workload) pair and prints exactly one JSON object on the last line
of stdout. On success it has ``"ok": true`` and the measured fields; when the system cannot run
the workload by design (scikit-learn has no convolution) it has ``"ok": false, "skipped": why``;
on any error it has ``"ok": false, "error": ...`` and the process exits with status 1.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

from benchmarks import spec


class NotApplicable(Exception):
    """Raised by a worker for a workload its system cannot express (reported as skipped)."""


def require_kind(workload: spec.Workload, *kinds: str) -> None:
    """Raise :class:`NotApplicable` unless ``workload.kind`` is one of ``kinds``."""
    if workload.kind not in kinds:
        raise NotApplicable(f"this worker does not measure {workload.kind} workloads")


def peak_rss_bytes() -> int:
    """Peak resident set size of this process so far, in bytes (``getrusage``)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def current_rss_bytes() -> int | None:
    """Resident set size now, in bytes, or ``None`` where it cannot be read."""
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        pass
    try:
        import psutil

        return int(psutil.Process().memory_info().rss)
    except ImportError:
        return None


def train_result(workload: spec.Workload, seconds: float) -> dict[str, Any]:
    """The fields of a timed training run of ``workload`` that took ``seconds``."""
    return {
        "samples_per_s": workload.samples / seconds,
        "seconds": seconds,
        "steps": workload.steps,
        "samples": workload.samples,
        "batch_size": workload.batch_size,
    }


def seconds_per_call(fn: Callable[[], Any], min_seconds: float, min_calls: int = 20,
                     chunks: int = 7) -> float:
    """Seconds per call of ``fn``: the median over ``chunks`` timed chunks.

    After 3 untimed calls, each chunk calls ``fn`` in groups of ``min_calls``
    until ``min_seconds / chunks`` have passed and records the mean time per
    call; the median over the chunks is returned, so a burst of activity on the
    machine during one chunk does not move the result.
    """
    for _ in range(3):
        fn()
    per_chunk = min_seconds / chunks
    samples = []
    for _ in range(chunks):
        calls = 0
        start = time.perf_counter()
        while True:
            for _ in range(min_calls):
                fn()
            calls += min_calls
            elapsed = time.perf_counter() - start
            if elapsed >= per_chunk:
                break
        samples.append(elapsed / calls)
    return statistics.median(samples)


def predict_fields(prefix: str, call_1: Callable[[], Any], call_1024: Callable[[], Any],
                   min_seconds: float) -> dict[str, float]:
    """Time one inference method at batch 1 (us per call) and batch 1024 (samples/s)."""
    return {
        f"{prefix}_us_b1": 1e6 * seconds_per_call(call_1, min_seconds),
        f"{prefix}_samples_per_s_b1024": 1024 / seconds_per_call(call_1024, min_seconds, 3),
    }


def memory_fields(x_bytes: int, y_bytes: int, n_params: int, rss_after_import: int | None,
                  rss_series: list[int | None]) -> dict[str, Any]:
    """Fields of the ``memory`` workload: peak RSS against (data + weights + Adam state)."""
    budget = x_bytes + y_bytes + 3 * 4 * n_params
    series = [r for r in rss_series if r is not None]
    return {
        "peak_rss_bytes": peak_rss_bytes(),
        "budget_bytes": budget,
        "data_bytes": x_bytes + y_bytes,
        "n_params": n_params,
        "rss_after_import_bytes": rss_after_import,
        "rss_series_bytes": series,
        "rss_growth_bytes": (series[-1] - series[0]) if len(series) > 1 else None,
    }


def base_versions() -> dict[str, str]:
    """Versions every worker reports (Python, NumPy, platform)."""
    import numpy

    return {"python": platform.python_version(), "numpy": numpy.__version__}


def run_worker(system: str, measure: Callable[[spec.Workload, str], dict[str, Any]],
               versions: Callable[[], dict[str, str]]) -> None:
    """Parse the command line, run ``measure(workload, variant)`` and print the JSON line."""
    parser = argparse.ArgumentParser(description=f"Run one {system} benchmark measurement.")
    parser.add_argument("--workload", required=True, choices=spec.WORKLOAD_NAMES)
    parser.add_argument("--variant", default="", help="system-specific variant (e.g. fused)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes for a smoke test")
    args = parser.parse_args()
    workload = spec.get_workload(args.workload, quick=args.quick)
    record: dict[str, Any] = {"system": system, "variant": args.variant,
                              "workload": workload.name, "quick": args.quick}
    status = 0
    try:
        record.update(measure(workload, args.variant))
        record["ok"] = True
    except NotApplicable as reason:
        record.update(ok=False, skipped=str(reason))
    except Exception as error:  # reported to the runner, never swallowed
        tail = traceback.format_exc().strip().splitlines()[-6:]
        record.update(ok=False, error=f"{type(error).__name__}: {error}", traceback=tail)
        status = 1
    record.setdefault("peak_rss_bytes", peak_rss_bytes())
    try:
        record["versions"] = {**base_versions(), **versions()}
    except Exception as error:
        record["versions"] = {"error": repr(error)}
    sys.stdout.flush()
    print(json.dumps(record), flush=True)
    sys.exit(status)
