"""Data-parallel training on MPI: 2 processes under ``mpiexec`` against 1 process in-process.

Each test runs scenarios of ``tests/distributed/scenarios.py`` once here (one process,
no distribution) and once with ``mpiexec -n 2`` (``DataParallel``), and compares every
process's weights, history, ``evaluate`` and ``predict`` with the one-process run:
float64 within 1e-12, float32 within 1e-5, relative to the largest magnitude of the
model's weights (a bias in front of BatchNormalization has no gradient and is
rounding noise around 0 in both runs).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

import descend

pytest.importorskip("mpi4py", reason="mpi4py is not installed (pip install descend[mpi])")
MPIEXEC = shutil.which("mpiexec")
pytestmark = pytest.mark.skipif(
    MPIEXEC is None, reason="mpiexec is not on PATH (pip install descend[mpi] installs MPICH)")

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tests" / "distributed" / "scenarios.py"


def _scenarios():
    spec = importlib.util.spec_from_file_location("distributed_scenarios", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


scenarios = _scenarios()


@pytest.fixture(autouse=True)
def _restore_floatx():
    floatx = descend.config.floatx()
    yield
    descend.config.set_floatx(floatx)


def mpiexec(out_dir: Path, *names: str, timeout: float = 240) -> subprocess.CompletedProcess:
    """Run the scenarios on 2 processes; returns the finished process (output captured)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]), OPENBLAS_NUM_THREADS="1")
    return subprocess.run([MPIEXEC, "-n", "2", sys.executable, str(SCRIPT), str(out_dir),
                           *names], env=env, capture_output=True, text=True, timeout=timeout)


def assert_same(reference: dict, path: Path, tolerance: float, prefix: str = "") -> None:
    """The keys of ``reference`` that start with ``prefix`` equal those saved in ``path``
    within ``tolerance`` relative to the largest weight (keys ``<prefix>weight_*``)."""
    got = np.load(path)
    reference = {k: v for k, v in reference.items() if k.startswith(prefix)}
    scale = max(float(np.max(np.abs(v))) for k, v in reference.items()
                if k.startswith(f"{prefix}weight_"))
    assert set(reference) <= set(got.files), sorted(set(reference) - set(got.files))
    for key, expected in reference.items():
        expected = np.asarray(expected, dtype=np.float64)
        actual = got[key].astype(np.float64)
        assert actual.shape == expected.shape, key
        bound = tolerance * max(scale, float(np.max(np.abs(expected), initial=0.0)))
        error = float(np.max(np.abs(actual - expected), initial=0.0))
        assert error <= bound, f"{path.name} {key}: error {error:.3g} > {bound:.3g}"


def test_two_processes_train_as_one(tmp_path):
    """Dense (float64 and float32), CNN, BatchNormalization and custom-train_step models:
    weights, history (with EarlyStopping and ReduceLROnPlateau deciding), the per-batch logs
    a callback sees, evaluate and predict; a LossScaleOptimizer step skipped on every process
    when one process's gradients overflow."""
    run = mpiexec(tmp_path, "dense", "dense32", "cnn", "batchnorm", "custom_step", "loss_scale")
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout == ""  # verbose=0 and no other output from any process
    for name, tolerance in (("dense", 1e-12), ("dense32", 1e-5), ("cnn", 1e-5),
                            ("batchnorm", 1e-12), ("custom_step", 1e-12), ("loss_scale", 1e-5)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # loss_scale's overflow, on purpose
            reference = getattr(scenarios, name)(str(tmp_path))
        for process in (0, 1):
            assert_same(reference, tmp_path / f"{name}.{process}.npz", tolerance)
    assert float(np.load(tmp_path / "loss_scale.1.npz")["scale"]) < 2.0**15  # steps skipped
    dense = np.load(tmp_path / "dense.0.npz")
    assert len(dense["history_loss"]) < 6  # EarlyStopping stopped both processes together
    # BLAS threads: each of the 2 processes on this machine takes half of its cores
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if cores == os.cpu_count():
        assert int(dense["usable_cores"]) == max(1, cores // 2)


def test_sharded_update_equals_the_replicated_one_and_one_process(tmp_path):
    """``fit``'s sharded optimizer update (each process updates its part of the flat
    buffers; here 57 float64 values split 29/28 and 4 float32 ones, uneven last batch) for
    every elementwise optimizer: weights, the optimizer state the callbacks see at every
    epoch end and at the end, and the history equal those of
    ``DataParallel(sharded_update=False)`` bit for bit (2 processes add 2 parts, in either
    order the same) and those of one process within float32 rounding, on both processes.
    Per-variable rules (LAMB) and ``clipnorm`` take the ``Allreduce`` path."""
    run = mpiexec(tmp_path, "sharded")
    assert run.returncode == 0, run.stdout + run.stderr
    reference = scenarios.sharded(str(tmp_path))
    got = [np.load(tmp_path / f"sharded.{process}.npz") for process in (0, 1)]
    for name in scenarios.SHARDED_OPTIMIZERS:
        for process in (0, 1):
            assert_same(reference, tmp_path / f"sharded.{process}.npz", 1e-5, f"{name}_")
    steps = 18 * 2  # 6 steps per epoch, 3 epochs, 2 flat groups (float64, float32)
    for name in scenarios.SHARDED_OPTIMIZERS:
        sharded = name not in ("lamb", "adam_clipnorm")
        assert int(got[0][f"{name}_calls_reduce_scatter_calls"]) == (steps if sharded else 0)
        assert int(got[0][f"{name}_calls_allgather_calls"]) == (steps if sharded else 0)
        assert int(got[0][f"{name}_calls_allreduce_calls"]) == (0 if sharded else steps)
        assert int(got[0][f"replicated_{name}_calls_reduce_scatter_calls"]) == 0
        keys = [k for k in reference if k.startswith(f"{name}_")]
        assert any(k.startswith(f"{name}_state_epoch0_") and "/" in k for k in keys)  # slots
        for key in keys:
            for process in (0, 1):
                np.testing.assert_array_equal(got[process][key],
                                              got[process][f"replicated_{key}"], err_msg=key)
            np.testing.assert_array_equal(got[0][key], got[1][key], err_msg=key)


def test_resume_from_one_process_backup_and_only_process_zero_writes(tmp_path):
    """A backup written by one process resumes on two; the result equals the one-process
    resume. ModelCheckpoint, CSVLogger and model.save write on process 0 only."""
    reference_dir, mpi_dir = tmp_path / "one", tmp_path / "two"
    scenarios.start_backup(str(reference_dir / "backup"))
    shutil.copytree(reference_dir / "backup", mpi_dir / "backup")
    reference = scenarios.resume(str(reference_dir))
    run = mpiexec(mpi_dir, "resume")
    assert run.returncode == 0, run.stdout + run.stderr
    for process in (0, 1):
        assert_same(reference, mpi_dir / f"resume.{process}.npz", 1e-12)
    assert len(reference["history_loss"]) == 2  # resumed at epoch 2 of 4
    written = sorted(p.name for p in mpi_dir.iterdir())
    assert written == ["checkpoint_0.weights.npz", "log_0.csv", "model_0.descend",
                       "resume.0.npz", "resume.1.npz"]  # the backup was deleted at the end
    assert (mpi_dir / "log_0.csv").read_text().count("\n") == 3


def test_killed_process_ends_the_run_within_30_seconds(tmp_path):
    run = mpiexec(tmp_path, "kill", timeout=120)
    ended = time.time()
    assert run.returncode != 0
    killed = float((tmp_path / "fault_at").read_text())
    assert ended - killed < 30, f"the run ended {ended - killed:.1f} s after the kill"


def test_exception_on_one_process_aborts_every_process(tmp_path):
    run = mpiexec(tmp_path, "fail", timeout=120)
    ended = time.time()
    assert run.returncode != 0
    assert "process 1 of 2 failed; aborting the run" in run.stderr, (run.returncode, run.stdout)
    assert "a failure on process 1 only" in run.stderr
    assert ended - float((tmp_path / "fault_at").read_text()) < 30


def test_data_or_model_mismatch_is_detected_at_start(tmp_path):
    run = mpiexec(tmp_path, "mismatch", timeout=120)
    assert run.returncode == 3, run.stdout + run.stderr
    assert run.stdout.count("process 1 has samples = 21, process 0 has 20") == 2
    assert run.stdout.count("A batch of 1 samples cannot be shared among 2 processes") == 2
    assert run.stdout.count("process 1 builds a different model (weights") == 2
    assert "(4, 8) float64 on process 0, " in run.stdout and "(4, 9) float64 there" in run.stdout


def test_example_runs_unchanged_on_one_and_two_processes(tmp_path, shared_datasets):
    """examples/distributed_mnist.py (--quick): ``python`` and ``mpiexec -n 2`` print the
    same test accuracy (once, from process 0) and the same loss to 4 decimals; the backup
    is gone after the complete run and only the checkpoint remains."""
    script = ROOT / "examples" / "distributed_mnist.py"
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), OPENBLAS_NUM_THREADS="1")
    outputs = []
    for launcher, out in (([], tmp_path / "one"), ([MPIEXEC, "-n", "2"], tmp_path / "two")):
        run = subprocess.run([*launcher, sys.executable, str(script), "--quick", "--out",
                              str(out)], env=env, capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stdout + run.stderr
        outputs.append(run.stdout)
        assert sorted(p.name for p in out.iterdir()) == ["best.weights.npz"]
    lines = [[line.split() for line in out.splitlines() if line.startswith("Test accuracy")]
             for out in outputs]
    assert len(lines[0]) == len(lines[1]) == 1  # printed once, by process 0
    one, two = lines[0][0], lines[1][0]
    assert one[2] == two[2]  # the accuracy
    assert abs(float(one[-1]) - float(two[-1])) <= 1e-4  # the loss, printed to 4 decimals
    assert outputs[1].count("val_loss:") == 1  # one progress line, from process 0
