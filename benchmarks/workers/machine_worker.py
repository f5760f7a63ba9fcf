"""The machine's speed limit: NumPy's float32 matrix product, in GFLOP/s.

Times ``a @ b`` for two 1024x1024 float32 matrices (``2 * 1024**3`` flops each) and reports the
median of the timed products. Workload B at batch 1024 is made of products of that size, so this
bounds how many samples/s any NumPy implementation of B can train.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import numpy as np

from benchmarks import spec
from benchmarks.workers import common

SIZE = 1024


def matmul_gflops(repeats: int) -> dict[str, Any]:
    """Median GFLOP/s of ``repeats`` float32 products of size ``SIZE`` (after 3 untimed ones)."""
    rng = np.random.default_rng(spec.DATA_SEED)
    a = rng.standard_normal((SIZE, SIZE), dtype=np.float32)
    b = rng.standard_normal((SIZE, SIZE), dtype=np.float32)
    out = np.empty((SIZE, SIZE), dtype=np.float32)
    for _ in range(3):
        np.matmul(a, b, out=out)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        np.matmul(a, b, out=out)
        times.append(time.perf_counter() - start)
    seconds = statistics.median(times)
    return {"matmul_gflops": 2 * SIZE**3 / seconds / 1e9, "matmul_size": SIZE,
            "matmul_repeats": repeats}


def _measure(workload: spec.Workload, variant: str) -> dict[str, Any]:
    common.require_kind(workload, "machine")
    return matmul_gflops(workload.repeats)


def _versions() -> dict[str, str]:
    return {"blas": blas_name()}


def blas_name() -> str:
    """Name and version of the BLAS NumPy was built against, where NumPy says."""
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:  # older NumPy has no mode="dicts"
        return "unknown"


if __name__ == "__main__":
    common.run_worker("machine", _measure, _versions)
