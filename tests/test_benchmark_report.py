"""Smoke tests of the benchmark harness's pure-Python parts (no timing, no torch/keras)."""

from __future__ import annotations

import doctest
import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import report, run, spec, stats  # noqa: E402


def _record(column, workload, round_index, **fields):
    system = column.split("-")[0]
    return {"ok": True, "column": column, "system": system, "workload": workload,
            "round": round_index, **fields}


def _records():
    records = []
    for r, drift in enumerate((1.0, 0.5, 1.0)):  # round 1 ran on a machine twice as slow
        for column, speed in (("descend", 300.0), ("torch", 100.0), ("torch-fused", 150.0),
                              ("keras", 10.0), ("sklearn", 200.0)):
            records.append(_record(column, "A", r, samples_per_s=speed * drift))
            records.append(_record(column, "B1024", r, samples_per_s=1e5 * speed / 300 * drift))
        records.append(_record("machine", "matmul", r, matmul_gflops=200.0 * drift))
        for column, us in (("descend", 20.0), ("torch", 40.0), ("keras", 800.0)):
            method = stats.PRIMARY_PREDICT[column]
            records.append(_record(column, "predict", r, **{
                f"{method}_us_b1": us / drift, f"{method}_samples_per_s_b1024": 1e5 * drift}))
        records[-3]["call_us_b1"] = 21.0 / drift
        records.append({"ok": True, "workload": "import", "column": "descend", "round": r,
                        "system": "import", "seconds": 0.2})
    records.append(_record("descend", "mem", 0, peak_rss_bytes=300.0, budget_bytes=250.0,
                           rss_growth_bytes=0.0))
    records.append({"ok": False, "column": "descend", "workload": "C", "round": 0,
                    "system": "descend", "error": "AttributeError: no Conv2D"})
    return records


def test_speed_ratio_is_oriented_so_above_one_means_descend_is_faster():
    assert stats.speed_ratio(300.0, 100.0, higher_is_better=True) == 3.0
    assert stats.speed_ratio(20.0, 40.0, higher_is_better=False) == 2.0
    assert stats.speed_ratio(None, 40.0, higher_is_better=False) is None


def test_ratios_are_medians_of_per_round_ratios_and_torch_best_is_the_faster_loop():
    table = stats.by_round(_records(), "A", lambda r: r.get("samples_per_s"))
    assert table["torch-best"] == {0: 150.0, 1: 75.0, 2: 150.0}
    ratio = stats.ratios(table, higher_is_better=True)
    assert ratio["torch-best"] == pytest.approx(2.0)
    assert ratio["keras"] == pytest.approx(30.0)
    assert stats.median([3.0, None, 1.0, 2.0]) == 2.0


def test_summary_evaluates_the_targets():
    summary = stats.summarize(_records())
    status = {t["target"]: t["status"] for t in summary["targets"]}
    assert status["A: descend / PyTorch"] == "missed"  # 2x < 4x
    assert status["A: descend / Keras"] == "met"  # 30x >= 25x
    assert status["C: descend / PyTorch"] == "not measured"
    assert status["predict, batch 1, B's network"] == "met"
    assert status["predict / direct call, batch 1"] == "met"  # 20 us vs 21 us
    assert status['python -c "import descend"'] == "met"
    assert status["peak RSS / (data + weights + Adam state), B1024 on 60k"] == "met"
    fraction = summary["machine"]["b1024_bound_fraction"]["descend"]
    assert fraction == pytest.approx(1e5 * spec.training_matmul_flops(spec.MLP_SIZES) / 200e9)
    assert summary["errors"] == [{"rounds": [0], "column": "descend", "workload": "C",
                                  "error": "AttributeError: no Conv2D"}]


def test_report_renders_tables_targets_and_errors():
    results = {"started": "2026-01-01T00:00:00+00:00", "finished": "2026-01-01T00:10:00+00:00",
               "machine": {"cpu": "test cpu", "cpu_count": 2, "platform": "linux"},
               "versions": {"numpy": "2.0"}, "command": "python benchmarks/run.py --rounds 3",
               "rounds": 3, "quick": False, "skipped": {"sklearn": "not installed: sklearn"},
               "records": _records()}
    markdown = report.render(results, "benchmarks/results/x.json")
    assert "`python benchmarks/run.py --rounds 3`" in markdown
    assert "| A: course network 1→16→32→2, batch 10 | 300 |" in markdown
    assert "| A: descend / PyTorch | ≥ 4× | 2.00× | **missed** |" in markdown
    assert "- descend, C (round 1): AttributeError: no Conv2D" in markdown
    assert "sklearn (not installed: sklearn)" in markdown


def _results():
    return {"started": "2026-01-01T00:00:00+00:00", "finished": "2026-01-01T00:10:00+00:00",
            "machine": {"cpu": "test cpu", "cpu_count": 2, "platform": "linux"},
            "versions": {"numpy": "2.0"}, "command": "python benchmarks/run.py --rounds 3",
            "rounds": 3, "quick": False, "skipped": {}, "records": _records()}


def _files(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_report_writes_the_docs_page_only_with_docs(tmp_path, monkeypatch, capsys):
    # the repository root moved to an empty folder: any default page would land there
    monkeypatch.setattr(report.systems, "ROOT", tmp_path)
    monkeypatch.chdir(tmp_path)
    results = tmp_path / "results.json"
    results.write_text(json.dumps(_results()))
    report.main([str(results)])
    printed = capsys.readouterr().out
    assert "# Benchmarks" in printed and "wrote" not in printed
    assert _files(tmp_path) == ["results.json"]
    page = tmp_path / "site" / "benchmarks.md"
    report.main([str(results), "--docs", str(page)])
    assert page.read_text() == report.render(_results(), "results.json")
    assert _files(tmp_path) == ["results.json", "site/benchmarks.md"]  # no partial file left


def _fake_runner(monkeypatch, root):
    monkeypatch.setattr(run.systems, "ROOT", root)
    monkeypatch.setattr(run.systems, "missing_requirement", lambda system: None)
    monkeypatch.setattr(run, "run_worker", lambda system, variant, workload, quick, timeout:
                        {"ok": True, "samples_per_s": 100.0})


@pytest.mark.parametrize("docs", [None, "page.md"])
def test_runner_writes_the_docs_page_only_with_docs(tmp_path, monkeypatch, capsys, docs):
    _fake_runner(monkeypatch, tmp_path)
    monkeypatch.chdir(tmp_path)
    argv = ["--systems", "descend", "--workloads", "A", "--rounds", "1", "--out", "out"]
    run.main(argv + (["--docs", str(tmp_path / docs)] if docs else []))
    capsys.readouterr()
    written = _files(tmp_path)
    assert len(written) == (2 if docs else 1) and written[0].startswith("out/")
    if docs:
        assert (tmp_path / docs).read_text().startswith("# Benchmarks")
    assert run.parse_args([]).docs is None


def test_formatting_helpers():
    assert report.si(27_731.4) == "27.7k"
    assert report.times(None) == "–"
    assert report.table(["a"], [["1"]]) == ["| a |", "|---|", "| 1 |"]
    for module in (report, stats, run, spec):
        assert doctest.testmod(module).failed == 0


def test_workload_arithmetic_and_data():
    assert spec.training_matmul_flops(spec.MLP_SIZES) == 1_007_104
    assert spec.dense_parameter_count(spec.MLP_SIZES) == 235_146
    b32 = spec.get_workload("B32")
    assert b32.steps == b32.n_samples // 32
    x, y = spec.make_data("cnn", 8)
    assert x.dtype == np.float32 and x.shape == (8, 28, 28, 1)
    assert y.dtype == np.int64 and y.shape == (8,)
    x, y = spec.make_data("deconv", 4)
    assert x.shape == (4, 14, 14, 16) and spec.get_workload("D").steps == 32
    np.testing.assert_array_equal(spec.make_data("course", 5)[0], spec.make_data("course", 5)[0])
    with pytest.raises(ValueError, match="workload must be one of"):
        spec.get_workload("Z")


def test_rounds_are_rotated_and_memory_runs_once():
    args = run.parse_args(["--workloads", "A,mem,B32", "--systems", "descend,torch"])
    available = [run.systems.SYSTEMS["descend"], run.systems.SYSTEMS["torch"]]
    first = [(s.name, v, w) for s, v, w in run.schedule(args, available, 0)]
    second = [(s.name, v, w) for s, v, w in run.schedule(args, available, 1)]
    assert first[:3] == [("descend", "", "A"), ("torch", "", "A"), ("torch", "fused", "A")]
    assert ("descend", "", "mem") in first and ("torch", "fused", "mem") not in first
    assert all(w != "mem" for _, _, w in second)
    assert second[0] == ("torch", "", "B32") and second[-1][2] == "A"
    with pytest.raises(SystemExit):
        run.parse_args(["--workloads", "Z"])


def test_missing_peers_are_detected_for_skipping():
    absent = run.systems.System("ghost", "benchmarks.workers.ghost", ("no_such_package_3f9a",))
    assert run.systems.missing_requirement(absent) == "no_such_package_3f9a"
    assert run.systems.missing_requirement(run.systems.SYSTEMS["descend"]) is None


@pytest.mark.parametrize("name", ["A", "B32"])
def test_numpy_loop_does_descends_arithmetic(name):
    """The hand-written loop is a fair floor: from the same weights, three steps land where
    descend's three ``train_on_batch`` steps land (same loss, gradients and Adam)."""
    from benchmarks.workers import keras_api, numpy_worker

    import descend

    workload = spec.get_workload(name, quick=True)
    net = numpy_worker.build(workload)
    model = keras_api.compiled_model(descend, workload)
    mine = [a for pair in zip(net.weights, net.biases, strict=True) for a in pair]
    model.set_weights([a.copy() for a in mine])
    x, y = spec.make_data(workload.network, 3 * workload.batch_size)
    for start in range(0, len(x), workload.batch_size):
        batch = slice(start, start + workload.batch_size)
        net.train_step(x[batch], y[batch])
        model.train_on_batch(x[batch], y[batch])
    for theirs, ours in zip(model.get_weights(), mine, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=2e-6)
    assert np.abs(net.forward(x) - model.predict(x, verbose=0)).max() < 1e-5
    assert net.step_count == 3 and np.any(net.m != 0)
