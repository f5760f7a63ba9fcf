"""Where the tests find the data sets, and that a run without them says so visibly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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


def test_a_run_without_data_says_so_without_minus_rs(tmp_path) -> None:
    test_file = tmp_path / "test_needs_data.py"
    test_file.write_text("def test_needs_data(shared_datasets):\n    raise AssertionError\n")
    env = dict(os.environ, DESCEND_DATASETS=str(tmp_path / "no-data"),
               PYTHONPATH=os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "--confcutdir", str(REPO / "tests"), "--rootdir", str(tmp_path),
         "-c", os.devnull, "-p", "conftest", str(test_file)],
        cwd=REPO / "tests", env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 skipped" in result.stdout
    assert "1 accuracy test(s) on real data sets were SKIPPED" in result.stdout
    assert "DESCEND_DATASETS" in result.stdout
