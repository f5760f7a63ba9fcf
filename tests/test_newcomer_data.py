"""Where the tests find the data sets, and that a run without them says so visibly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import conftest

REPO = Path(__file__).resolve().parents[1]


def test_descend_datasets_comes_first(monkeypatch, tmp_path) -> None:
    (tmp_path / "mnist1d").mkdir()
    monkeypatch.setenv("DESCEND_DATASETS", str(tmp_path))
    assert conftest.find_datasets() == (tmp_path, f"DESCEND_DATASETS={tmp_path}")
    monkeypatch.setenv("DESCEND_DATASETS", str(tmp_path / "nothing-here"))
    root, origin = conftest.find_datasets()
    assert root is None and "nothing-here" in origin     # a wrong setting is not papered over


def test_the_neighbour_directory_is_the_fallback(monkeypatch) -> None:
    monkeypatch.delenv("DESCEND_DATASETS", raising=False)
    root, origin = conftest.find_datasets()
    assert conftest.NEIGHBOUR_DATASETS == REPO.parent / "shared" / "datasets"
    assert str(conftest.NEIGHBOUR_DATASETS) in origin
    assert root == (conftest.NEIGHBOUR_DATASETS if conftest.NEIGHBOUR_DATASETS.is_dir() else None)


def _run_without_data(tmp_path, *options: str) -> str:
    test_file = tmp_path / "test_needs_data.py"
    test_file.write_text("import pytest\n\n\n@pytest.mark.parametrize('i', [1, 2])\n"
                         "def test_needs_data(shared_datasets, i):\n    raise AssertionError\n")
    env = dict(os.environ, DESCEND_DATASETS=str(tmp_path / "no-data"),
               PYTHONPATH=os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "--confcutdir", str(REPO / "tests"), "--rootdir", str(tmp_path),
         "-c", os.devnull, "-p", "conftest", *options, str(test_file)],
        cwd=REPO / "tests", env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 skipped" in result.stdout
    assert "2 accuracy test(s) on real data sets were SKIPPED" in result.stdout
    assert "DESCEND_DATASETS" in result.stdout
    return result.stdout


def test_a_run_without_data_says_so_without_minus_rs(tmp_path) -> None:
    _run_without_data(tmp_path)


def test_a_parallel_run_without_data_says_so_too(tmp_path) -> None:
    # the skips happen in pytest-xdist's workers; the summary is written by the controller
    pytest.importorskip("xdist", reason="needs pytest-xdist: pip install '.[test]'")
    _run_without_data(tmp_path, "-n", "2")
