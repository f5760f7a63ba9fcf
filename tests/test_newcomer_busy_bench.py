"""The busy-machine benchmark case: its arithmetic, its report and its competitors."""

from __future__ import annotations

import doctest
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import busy  # noqa: E402


def test_examples_and_slowdown() -> None:
    assert doctest.testmod(busy).failed == 0
    assert busy.slowdown(900.0, 300.0) == pytest.approx(3.0)
    assert busy.slowdown(0.0, 300.0) is None


def result(auto_busy: float) -> dict:
    return {"sizes": [784, 512, 512, 10], "batch_size": 128, "steps": 120, "competitors": 2,
            "cores": 2, "rounds": 3, "target_slowdown": 2.5,
            "medians": {"idle_auto": 3000.0, "idle_off": 2500.0, "busy_auto": auto_busy,
                        "busy_off": 250.0},
            "slowdown_auto": 3000.0 / auto_busy, "slowdown_off": 10.0,
            "busy_auto_vs_off": auto_busy / 250.0,
            "load_average": {"idle": [0.1], "busy": [2.1]}}


def test_report_states_the_target() -> None:
    met = busy.report(result(1500.0))
    assert "| descend's choice (auto) | 3,000 samples/s | 1,500 samples/s | **2.00x** |" in met
    assert "<= 2.5x: met" in met and "6.0x as fast as NumPy's default" in met
    assert "2 competing python process(es)" in met
    assert "**missed**" in busy.report(result(1000.0))


def test_competitors_are_cpu_bound_and_stopped() -> None:
    processes = busy.start_competitors(1, "numpy")
    try:
        assert processes[0].poll() is None          # running
    finally:
        busy.stop_competitors(processes)
    assert processes[0].poll() is not None           # and gone
