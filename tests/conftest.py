"""Shared test configuration: data sets come from ../shared/datasets, never the network."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

SHARED_DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"


@pytest.fixture
def shared_datasets(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point descend's loaders at the shared copy of the data sets (skip if absent)."""
    if not SHARED_DATASETS.is_dir():
        pytest.skip(f"shared data sets not found at {SHARED_DATASETS}")
    monkeypatch.setenv("DESCEND_DATASETS", str(SHARED_DATASETS))
    return SHARED_DATASETS


@pytest.fixture(autouse=True)
def _fresh_state() -> None:
    """Each test starts with default float type and fresh automatic layer names."""
    from descend import config
    from descend.layers.layer import reset_names

    config.set_floatx("float32")
    reset_names()


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)
