"""Shared test configuration.

Data sets: tests never download. The accuracy tests read the real data sets from
``$DESCEND_DATASETS`` when it is set, else from the data directory beside the
repository (``../shared/datasets`` relative to the repository root, where this
project's development machines keep a copy). When neither holds the data, those
tests are skipped and the run ends with a visible line saying so and how to
provide the data.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
NEIGHBOUR_DATASETS = REPO_ROOT.parent / "shared" / "datasets"
DATA_SUBDIRS = ("mnist", "fashion-mnist", "mnist1d")

#: the start of the reason every test skipped for want of data gives (how the summary,
#: which also sees the reports of pytest-xdist's workers, counts them)
NO_DATA = "no data sets in "


def find_datasets() -> tuple[Path | None, str]:
    """The data set root the tests use, and where it came from (or why there is none).

    Returns
    -------
    path : Path or None
        ``$DESCEND_DATASETS`` if set (non-blank), else the neighbour directory, provided
        it holds at least one data set folder; None otherwise.
    origin : str
        A phrase for messages, e.g. ``"DESCEND_DATASETS=/data"``.
    """
    env = os.environ.get("DESCEND_DATASETS", "").strip()
    if env:
        candidate, origin = Path(env).expanduser(), f"DESCEND_DATASETS={env}"
    else:
        candidate, origin = NEIGHBOUR_DATASETS, f"the neighbour directory {NEIGHBOUR_DATASETS}"
    if candidate.is_dir() and any((candidate / sub).is_dir() for sub in DATA_SUBDIRS):
        return candidate, origin
    return None, origin


@pytest.fixture
def shared_datasets(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point descend's loaders at the test data sets (skipped, and reported, if absent)."""
    root, origin = find_datasets()
    if root is None:
        pytest.skip(f"{NO_DATA}{origin} (expected folders {', '.join(DATA_SUBDIRS)})")
    monkeypatch.setenv("DESCEND_DATASETS", str(root))
    return root


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Say plainly, in every run (not only under ``-rs``), when data-set tests were skipped."""
    skipped = [report for report in terminalreporter.stats.get("skipped", [])
               if NO_DATA in str(report.longrepr)]
    if not skipped:
        return
    _, origin = find_datasets()
    terminalreporter.write_line(
        f"NOTE: {len(skipped)} accuracy test(s) on real data sets were SKIPPED: no "
        f"data sets found in {origin}. Point DESCEND_DATASETS at a folder holding "
        f"{'/, '.join(DATA_SUBDIRS)}/ (see README.md, 'Data sets') to run them.",
        yellow=True, bold=True,
    )


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
