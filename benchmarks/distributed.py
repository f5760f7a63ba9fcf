"""Data-parallel scaling: workloads B1024 and C on 1 and on 2 processes (MPI), one BLAS thread each.

Each measurement is a fresh ``mpiexec -n P python benchmarks/distributed.py --worker ...``
run of the workload's ``fit`` (the code of ``benchmarks/workers/keras_api.py``: same data,
model, optimizer, warm-up and timed epochs) under ``descend.distribution.DataParallel`` with
``DESCEND_BLAS_THREADS=1`` and ``DESCEND_NUMBA=1`` unless set otherwise: with numba
installed, Adam's one-pass kernel runs from the first step, as it does in the long runs that
data parallelism is for (by default a process loads it only once it has paid off, which
these short timed runs would not reach). The global batch is the workload's (1024 for B, 64
for C), so both runs do the same arithmetic; the 2-process run splits every batch in two and
adds the gradient communication of every step. Rounds are interleaved (1 process, 2
processes, next workload...), and the speedup of each round is the ratio of its samples/s to
the same round's 1-process samples/s; the report gives the median over rounds. Process 0
also reports the communication time per step (with the wait for the other process), the
bytes handed to MPI per step and the time of one ``Allreduce`` of the gradients alone, from
which ``docs/distributed.md`` projects larger runs.

Run from the repository root (needs ``pip install descend[mpi]``; about 3 minutes)::

    python benchmarks/distributed.py
    python benchmarks/distributed.py --rounds 5 --out benchmarks/results
    python benchmarks/distributed.py --quick        # smoke test, seconds

It prints a Markdown table with the load average seen before and after, and writes
``distributed-<UTC timestamp>.json`` into ``--out``.

``--project`` measures instead, in this process with one BLAS thread, the CPU time of one
training step of each workload at the local batch sizes of 1, 8 and 64 processes
(global batch / P), and projects the speedup at 8 and 64 processes over 10 and
100 Gb/s networks with the cost model of ``docs/distributed.md``::

    python benchmarks/distributed.py --project

The target is at least 1.7x at 2 processes for B1024 -- on a machine with 2 free cores:
with other programs on the cores the ratio measures the competition, so read it next to
the load average.

By default the 2-process runs are made twice per round, with the sharded optimizer update
(``DataParallel``'s default: ``Reduce_scatter_block``, each process updates its half of the
weights, ``Allgather``) and with the replicated one (``sharded_update=False``: one
``Allreduce``, the whole update on every process); ``--update`` picks one. ``--phases``
adds the time of each phase of a step (forward, loss, backward, communication, update
rule, the rest of ``fit``) on process 0, wall and CPU time.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for entry in (ROOT / "src", ROOT):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

TARGET_SPEEDUP = {"B1024": 1.7}
WORKLOADS = ("B1024", "C")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--workloads", default=",".join(WORKLOADS),
                        help="comma-separated subset of B1024,C")
    parser.add_argument("--processes", type=int, default=2,
                        help="processes of the parallel run (default 2)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to check it runs")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"),
                        help="folder for the results JSON")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per measurement")
    parser.add_argument("--project", action="store_true",
                        help="measure steps at local batch sizes and project 8 and 64 processes")
    parser.add_argument("--latency-us", type=float, default=25.0,
                        help="--project: network latency per message, microseconds (default 25)")
    parser.add_argument("--update", choices=("sharded", "replicated", "both"), default="both",
                        help="the parallel runs' optimizer update: sharded among the processes "
                        "(DataParallel's default), replicated (sharded_update=False: one "
                        "Allreduce, the whole update on every process) or both, interleaved "
                        "(default)")
    parser.add_argument("--phases", action="store_true",
                        help="also time the phases of every step (forward, loss, backward, "
                        "communication, update rule, the rest of fit), wall and CPU time")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--workload", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# --------------------------------------------------------------------------- the worker
def worker(name: str, quick: bool, update: str = "sharded", phases: bool = False) -> None:
    """One timed fit of ``name`` under DataParallel; process 0 prints one JSON line.

    ``update``: ``"sharded"`` (DataParallel's default) or ``"replicated"``
    (``sharded_update=False``). ``phases``: also time the phases of every step.
    """
    import descend
    from benchmarks import spec
    from benchmarks.workers import keras_api

    descend.distribution.set_distribution(descend.distribution.DataParallel(
        sharded_update=update == "sharded"))
    strategy = descend.distribution.distribution()
    workload = spec.get_workload(name, quick=quick)
    x, y = spec.make_data(workload.network, workload.n_samples)
    model = keras_api.compiled_model(descend, workload)
    warm = workload.warmup_steps * workload.batch_size
    model.fit(x[:warm], y[:warm], batch_size=workload.batch_size, epochs=1, verbose=0)
    timers = instrument(descend, model) if phases else None
    before = strategy.statistics
    start, cpu = time.perf_counter(), time.process_time()
    model.fit(x, y, batch_size=workload.batch_size, epochs=workload.epochs, verbose=0)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    after = strategy.statistics
    steps = workload.steps
    parameters = sum(int(w.size) for w in model.trainable_weights)
    alone = allreduce_alone(parameters)
    if strategy.process_index == 0:
        record = {
            "workload": name, "processes": strategy.num_processes,
            "update": update if strategy.num_processes > 1 else "-",
            "samples_per_s": workload.samples / seconds, "seconds": seconds, "steps": steps,
            "seconds_per_step": seconds / steps, "cpu_seconds_per_step": cpu / steps,
            "parameters": parameters, "gradient_bytes": 4 * parameters,
            "allreduce_alone_seconds": alone,
            "blas_threads": descend.threads.blas_threads(),
        }
        for what in ("allreduce", "reduce_scatter", "allgather"):
            for unit in ("calls", "bytes", "seconds"):
                key = f"{what}_{unit}"
                record[f"{key}_per_step"] = (after[key] - before[key]) / steps
        record["communication_seconds_per_step"] = sum(
            record[f"{what}_seconds_per_step"] for what in ("allreduce", "reduce_scatter",
                                                             "allgather"))
        if timers is not None:
            timers["fit"] = [seconds, cpu]
            record["phases_ms_per_step"] = {k: [round(1e3 * v / steps, 3) for v in pair]
                                            for k, pair in timers.items()}
        print(json.dumps(record), flush=True)


def instrument(descend: Any, model: Any) -> dict[str, list[float]]:
    """Wrap the phases of ``model``'s training step with timers: a dict phase -> [wall
    seconds, CPU seconds of this thread], filled by every later step. Phases: forward,
    loss, backward, the optimizer's step (which contains the gradient communication and
    the update rule, also timed alone), and the step function as a whole (``fit``'s
    remaining time is batch slicing and the loop)."""
    from descend import _distributed
    from descend.autograd import Tensor

    timers: dict[str, list[float]] = {}

    def wrap(owner: Any, attribute: str, phase: str) -> None:
        function = getattr(owner, attribute)
        total = timers.setdefault(phase, [0.0, 0.0])

        def timed(*args: Any, **kwargs: Any) -> Any:
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                total[0] += time.perf_counter() - wall
                total[1] += time.thread_time() - cpu

        setattr(owner, attribute, timed)

    wrap(model, "_forward", "forward")
    wrap(model, "_step_loss", "loss")
    wrap(Tensor, "backward", "backward")
    optimizer = model.optimizer
    wrap(optimizer, "step", "optimizer step (all below)")
    replicas = _distributed.replicas()
    if replicas is not None:
        wrap(replicas, "reduce_gradients", "  Allreduce")
        wrap(replicas.updates, "reduce_scatter", "  Reduce_scatter")
        wrap(replicas.updates, "allgather_values", "  Allgather")
    wrap(optimizer, "_update_flat", "  update rule")
    make = model.make_train_function

    def make_timed() -> Any:
        step = make()
        holder = type("Step", (), {"run": staticmethod(step)})
        wrap(holder, "run", "step function (all above)")
        return holder.run

    model.make_train_function = make_timed
    return timers


# ----------------------------------------------------------------------- the projection
def allreduce_seconds(nbytes: float, processes: int, gbit_per_s: float,
                      latency_s: float) -> float:
    """Cost model of a large ``Allreduce`` (reduce-scatter then all-gather, as MPICH runs it):
    each process sends and receives ``2 (P-1)/P`` times the buffer, in ``2 log2 P`` rounds.

    Examples
    --------
    >>> round(allreduce_seconds(1e6, 8, 10.0, 0.0) * 1e3, 3)   # 1 MB over 10 Gb/s, 8 processes
    1.4
    """
    if processes == 1:
        return 0.0
    bandwidth = gbit_per_s * 1e9 / 8
    rounds = 2 * math.ceil(math.log2(processes))
    return 2 * (processes - 1) / processes * nbytes / bandwidth + rounds * latency_s


def step_seconds(name: str, batch_size: int, steps: int, repeats: int = 3) -> float:
    """CPU seconds per training step of workload ``name`` at ``batch_size`` (one BLAS
    thread): the median over ``repeats`` timed ``fit`` calls of ``steps`` steps each, after
    one untimed call. CPU time rather than wall time, so that other programs on a busy
    machine do not inflate it: it is what the step costs on a core of its own."""
    import descend
    from benchmarks import spec
    from benchmarks.workers import keras_api

    workload = spec.get_workload(name)
    x, y = spec.make_data(workload.network, batch_size * steps)
    model = keras_api.compiled_model(descend, workload)
    model.fit(x, y, batch_size=batch_size, verbose=0)
    times = []
    for _ in range(repeats):
        start = time.process_time()
        model.fit(x, y, batch_size=batch_size, verbose=0)
        times.append((time.process_time() - start) / steps)
    return statistics.median(times)


def project(names: list[str], latency_us: float) -> str:
    """Measure the step at the local batches of 1, 8 and 64 processes; project the speedups."""
    import descend
    from benchmarks import spec

    descend.config.set_blas_threads(1)
    lines = [f"Load average (1, 5, 15 min): {[round(v, 2) for v in os.getloadavg()]} on "
             f"{os.cpu_count()} cores; network latency {latency_us:g} µs per message.", "",
             "| workload | gradient bytes | step at global batch (1 process, CPU time) | local "
             "batch at 8 / 64 | step at local batch, 8 / 64 | 8 proc. 10 Gb/s | 8 proc. 100 Gb/s | "
             "64 proc. 10 Gb/s | 64 proc. 100 Gb/s |",
             "|---|---:|---:|---|---|---:|---:|---:|---:|"]
    for name in names:
        workload = spec.get_workload(name)
        parameters = (spec.dense_parameter_count(spec.MLP_SIZES) if workload.network == "mlp"
                      else _parameters(name))
        nbytes = 4 * parameters
        batch = workload.batch_size
        whole = step_seconds(name, batch, 16)
        local = {p: step_seconds(name, max(1, batch // p), 64) for p in (8, 64)}
        cells = []
        for p in (8, 64):
            for gbit in (10, 100):
                per_step = local[p] + allreduce_seconds(nbytes, p, gbit, latency_us * 1e-6)
                cells.append(f"{whole / per_step:.1f}x")
        lines.append(
            f"| {name} | {nbytes:,} | {whole * 1e3:.1f} ms | {max(1, batch // 8)} / "
            f"{max(1, batch // 64)} | {local[8] * 1e3:.2f} / {local[64] * 1e3:.2f} ms | "
            + " | ".join(cells) + " |")
    return "\n".join(lines)


def _parameters(name: str) -> int:
    import descend
    from benchmarks import spec
    from benchmarks.workers import keras_api

    return sum(int(w.size) for w in keras_api.compiled_model(
        descend, spec.get_workload(name)).trainable_weights)


def allreduce_alone(size: int, repeats: int = 30) -> float:
    """Median seconds of one ``Allreduce`` of ``size`` float32 values after a ``Barrier``:
    the transfer alone, without the wait for the slowest process that the in-``fit``
    figure includes. 0 on one process."""
    if descend_processes() == 1:
        return 0.0
    import numpy as np
    from mpi4py import MPI

    comm, buffer, times = MPI.COMM_WORLD, np.ones(size, dtype=np.float32), []
    for _ in range(repeats):
        comm.Barrier()
        start = time.perf_counter()
        comm.Allreduce(MPI.IN_PLACE, buffer, op=MPI.SUM)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def descend_processes() -> int:
    import descend

    return descend.distribution.num_processes()


# --------------------------------------------------------------------------- the runner
def measure(name: str, processes: int, quick: bool, timeout: float, update: str = "sharded",
            phases: bool = False) -> dict[str, Any]:
    """Run one measurement in fresh processes; returns process 0's JSON record."""
    command = [shutil.which("mpiexec") or "mpiexec", "-n", str(processes), sys.executable,
               str(Path(__file__).resolve()), "--worker", "--workload", name, "--update", update]
    if quick:
        command.append("--quick")
    if phases:
        command.append("--phases")
    env = dict(os.environ, DESCEND_BLAS_THREADS="1", PYTHONPATH=os.pathsep.join(
        [str(ROOT / "src"), str(ROOT), os.environ.get("PYTHONPATH", "")]))
    env.setdefault("DESCEND_NUMBA", "1")  # a long run's update (see the module docstring)
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(records: list[dict[str, Any]], load: dict[str, Any], processes: int) -> str:
    """The Markdown table: medians over rounds and the per-round speedup, one row per
    workload and update of the parallel runs; then the phases, if timed."""
    lines = [f"Load average (1, 5, 15 min): before {load['before']}, after {load['after']} "
             f"on {os.cpu_count()} cores.", "",
             f"| workload | update | 1 process samples/s | {processes} processes samples/s | "
             "speedup (median of rounds) | rounds | communication per step in fit (with "
             "waiting) | Allreduce alone | bytes communicated per step | step (1 process) | "
             "target |",
             "|---|---|---:|---:|---:|---|---:|---:|---:|---:|---|"]
    for name in dict.fromkeys(r["workload"] for r in records):
        one = {r["round"]: r for r in records if r["workload"] == name and r["processes"] == 1}
        for update in dict.fromkeys(r["update"] for r in records
                                    if r["workload"] == name and r["processes"] == processes):
            many = [r for r in records if r["workload"] == name and r["processes"] == processes
                    and r["update"] == update]
            ratios = [r["samples_per_s"] / one[r["round"]]["samples_per_s"] for r in many]
            speedup = statistics.median(ratios)
            target = TARGET_SPEEDUP.get(name)
            verdict = "" if target is None else (f"≥ {target}: " + (
                "met" if speedup >= target else "**missed**"))
            moved = statistics.median(r["allreduce_bytes_per_step"]
                                      + r["reduce_scatter_bytes_per_step"]
                                      + r["allgather_bytes_per_step"] for r in many)
            lines.append(
                f"| {name} | {update} | "
                f"{statistics.median(r['samples_per_s'] for r in one.values()):,.0f} | "
                f"{statistics.median(r['samples_per_s'] for r in many):,.0f} | {speedup:.2f}x | "
                f"{', '.join(f'{x:.2f}' for x in ratios)} | "
                f"{1e3 * statistics.median(r['communication_seconds_per_step'] for r in many):.2f}"
                f" ms | "
                f"{1e3 * statistics.median(r['allreduce_alone_seconds'] for r in many):.3f} ms | "
                f"{moved:,.0f} | "
                f"{1e3 * statistics.median(r['seconds_per_step'] for r in one.values()):.1f} ms |"
                f" {verdict} |")
    timed = [r for r in records if "phases_ms_per_step" in r]
    if timed:
        lines += ["", "Phases of a step, process 0, ms per step, wall / CPU (median over rounds):",
                  ""]
        columns = list(dict.fromkeys((r["workload"], r["processes"], r["update"])
                                     for r in timed))
        phases = list(dict.fromkeys(p for r in timed for p in r["phases_ms_per_step"]))
        lines.append("| phase | " + " | ".join(
            f"{w} {p} proc. {u if u != '-' else ''}".strip() for w, p, u in columns) + " |")
        lines.append("|---|" + "---:|" * len(columns))
        for phase in phases:
            cells = []
            for column in columns:
                values = [r["phases_ms_per_step"].get(phase) for r in timed
                          if (r["workload"], r["processes"], r["update"]) == column]
                values = [v for v in values if v is not None]
                cells.append("" if not values else
                             f"{statistics.median(v[0] for v in values):.2f} / "
                             f"{statistics.median(v[1] for v in values):.2f}")
            inner = " (part of the optimizer step)" if phase.startswith("  ") else ""
            lines.append(f"| {phase.strip()}{inner} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        worker(args.workload, args.quick, args.update, args.phases)
        return 0
    names = [n.strip() for n in args.workloads.split(",") if n.strip()]
    if args.project:
        print(project(names, args.latency_us))
        return 0
    if shutil.which("mpiexec") is None:
        print("mpiexec is not on PATH: pip install 'descend[mpi]'", file=sys.stderr)
        return 2
    load = {"before": [round(v, 2) for v in os.getloadavg()]}
    records = []
    updates = ("sharded", "replicated") if args.update == "both" else (args.update,)
    runs = [(1, "sharded")] + [(args.processes, update) for update in updates]
    for round_index in range(args.rounds):
        for name in names:
            for processes, update in (runs if round_index % 2 == 0 else runs[::-1]):
                record = measure(name, processes, args.quick, args.timeout, update, args.phases)
                record["round"] = round_index
                records.append(record)
                print(f"round {round_index + 1}: {name} on {processes} process(es)"
                      f"{'' if processes == 1 else ', ' + update + ' update'}: "
                      f"{record['samples_per_s']:,.0f} samples/s", file=sys.stderr)
    load["after"] = [round(v, 2) for v in os.getloadavg()]
    text = report(records, load, args.processes)
    print(text)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    (out / f"distributed-{stamp}.json").write_text(json.dumps(
        {"records": records, "load_average": load, "cpu_count": os.cpu_count(),
         "command": sys.argv, "quick": args.quick}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
