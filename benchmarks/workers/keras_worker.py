"""Keras 3's worker: the :mod:`keras_api` workloads with ``import keras``, torch backend."""

from __future__ import annotations

import os
from typing import Any

from benchmarks import spec
from benchmarks.workers import common, keras_api

os.environ["KERAS_BACKEND"] = "torch"  # before keras is imported, in _measure


def _versions() -> dict[str, str]:
    import keras
    import torch

    return {"keras": keras.__version__, "keras_backend": keras.backend.backend(),
            "torch": torch.__version__, "torch_threads": str(torch.get_num_threads())}


def _measure(workload: spec.Workload, variant: str) -> dict[str, Any]:
    import keras

    return keras_api.measure(keras, workload)


if __name__ == "__main__":
    common.run_worker("keras", _measure, _versions)
