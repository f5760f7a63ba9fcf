"""descend's worker: the Keras-API workloads of :mod:`keras_api` with ``import descend``.

The checkout's ``src/`` is put first on ``sys.path``, so the suite measures the code of this
working tree even when descend is not installed (a fresh clone).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from benchmarks import spec
from benchmarks.workers import common, keras_api

_SRC = Path(__file__).resolve().parents[2] / "src"
if (_SRC / "descend").is_dir() and str(_SRC) not in sys.path:
    sys.path.insert(0, str(_SRC))


def _versions() -> dict[str, str]:
    import descend

    return {"descend": getattr(descend, "__version__", "unknown"), "descend_path": descend.__file__}


def _measure(workload: spec.Workload, variant: str) -> dict[str, Any]:
    import descend

    return keras_api.measure(descend, workload)


if __name__ == "__main__":
    common.run_worker("descend", _measure, _versions)
