"""Run the benchmark suite: ``python benchmarks/run.py`` (see benchmarks/README.md).

Every (system, workload) measurement runs in a fresh ``python -m benchmarks.workers.<system>``
process. Rounds are interleaved: round 1 runs the workloads in order A B32 … and the systems in
order descend torch …, round 2 starts one further along both lists, and so on, so a change in
machine speed hits every system alike. Each round also times NumPy's matrix product and a few
fresh ``python -c "import descend"`` processes; the memory workload runs in the first round only.
The raw records and their summary go to ``<out>/<timestamp>.json``; the Markdown report is
printed (and written to ``--docs`` when given).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import report, spec, stats, systems  # noqa: E402

DEFAULT_WORKLOADS = ("A", "B32", "B128", "B1024", "C", "D", "L", "T", "predict", "mem",
                     "import")
#: ``python -c`` probes of the import measurement: column -> code.
IMPORT_PROBES = {"python": "pass", "numpy": "import numpy", "descend": "import descend"}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line (``--help`` lists it)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (median)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test only")
    parser.add_argument("--systems", default=",".join(systems.SYSTEMS),
                        help="comma-separated subset of " + ",".join(systems.SYSTEMS))
    parser.add_argument("--workloads", default=",".join(DEFAULT_WORKLOADS),
                        help="comma-separated subset of " + ",".join(DEFAULT_WORKLOADS))
    parser.add_argument("--out", type=Path, default=systems.ROOT / "benchmarks" / "results",
                        help="folder of the results JSON")
    parser.add_argument("--docs", type=Path, default=None,
                        help="also write the Markdown report here (e.g. docs/benchmarks.md); "
                             "default: only print it")
    parser.add_argument("--import-repeats", type=int, default=3,
                        help="fresh processes per import probe and round")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per measurement")
    args = parser.parse_args(argv)
    args.systems = _split(args.systems, systems.SYSTEMS, "--systems")
    args.workloads = _split(args.workloads, DEFAULT_WORKLOADS, "--workloads")
    if args.rounds < 1:
        parser.error(f"--rounds must be at least 1; got {args.rounds}")
    return args


def _split(text: str, allowed: Any, option: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in allowed]
    if unknown or not names:
        raise SystemExit(f"{option} takes a comma-separated subset of {','.join(allowed)}; "
                         f"got {text!r}")
    return names


def _environment(system: systems.System, workload: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    if system.name == "numpy" and workload is not None:
        threads = spec.hand_written_blas_threads(spec.get_workload(workload))
        if threads is not None:  # set before the worker imports NumPy
            for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
                env[variable] = str(threads)
    paths = [str(systems.ROOT)] + ([str(systems.ROOT / "src")] if system.name == "descend" else [])
    env["PYTHONPATH"] = os.pathsep.join(paths + [p for p in [env.get("PYTHONPATH")] if p])
    if system.name == "keras":
        env["KERAS_BACKEND"] = "torch"
    return env


def run_worker(system: systems.System, variant: str, workload: str, quick: bool,
               timeout: float) -> dict[str, Any]:
    """Run one measurement in a fresh process and return its record (never raises)."""
    command = [sys.executable, "-m", system.module, "--workload", workload]
    command += ["--variant", variant] if variant else []
    command += ["--quick"] if quick else []
    start = time.perf_counter()
    try:
        done = subprocess.run(command, cwd=systems.ROOT, env=_environment(system, workload),
                              capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"timed out after {timeout:.0f} s"}
    wall = time.perf_counter() - start
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    try:
        record = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        tail = " | ".join(done.stderr.strip().splitlines()[-3:])
        record = {"ok": False, "error": f"exit status {done.returncode}, no result: {tail}"}
    record["wall_s"] = wall
    return record


def time_import(code: str, env: dict[str, str]) -> dict[str, Any]:
    """Wall seconds of one fresh ``python -c code`` process."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], cwd=systems.ROOT, env=env,
                          capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode:
        return {"ok": False, "error": (done.stderr.strip().splitlines() or ["?"])[-1]}
    return {"ok": True, "seconds": seconds}


def rotate(items: list[Any], by: int) -> list[Any]:
    """``items`` started ``by`` places further along (round-robin order of a round).

    >>> rotate(["A", "B", "C"], 1)
    ['B', 'C', 'A']
    """
    if not items:
        return []
    by %= len(items)
    return items[by:] + items[:by]


def schedule(args: argparse.Namespace, available: list[systems.System], round_index: int
             ) -> list[tuple[systems.System, str, str]]:
    """The (system, variant, workload) jobs of one round, in the order they run."""
    workloads = [w for w in args.workloads if w != "import"]
    if round_index > 0:
        workloads = [w for w in workloads if w != "mem"]
    jobs = []
    for workload in rotate(workloads + ["matmul"], round_index):
        if workload == "matmul":
            jobs.append((systems.MACHINE, "", workload))
            continue
        kind = spec.get_workload(workload).kind
        pairs = [(s, v) for s in available for v in (s.variants if kind == "train"
                                                      else s.variants[:1])]
        jobs += [(s, v, workload) for s, v in rotate(pairs, round_index)]
    return jobs


def describe(record: dict[str, Any]) -> str:
    """One progress line for a finished measurement."""
    if record.get("skipped"):
        return f"skipped ({record['skipped']})"
    if not record.get("ok"):
        return f"ERROR {record.get('error')}"
    for key, unit in (("samples_per_s", "samples/s"), ("matmul_gflops", "GFLOP/s")):
        if key in record:
            return f"{record[key]:,.0f} {unit}"
    if "peak_rss_bytes" in record and "budget_bytes" in record:
        return f"peak RSS {record['peak_rss_bytes'] / 2**20:,.0f} MiB"
    us = [f"{k[:-6]} {v:,.1f} us" for k, v in record.items() if k.endswith("_us_b1")]
    return ", ".join(us) or "done"


def machine_info() -> dict[str, Any]:
    """What the report says about the machine."""
    info = {"platform": platform.platform(), "cpu": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(), "python": platform.python_version()}
    try:
        with open("/proc/cpuinfo") as handle:
            names = [line.split(":", 1)[1].strip() for line in handle
                     if line.startswith("model name")]
        info["cpu"] = names[0] if names else info["cpu"]
    except OSError:
        pass
    try:
        info["load_average_start"] = os.getloadavg()
    except OSError:
        pass
    return info


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the suite and return the results that were written."""
    args = parse_args(argv)
    available, skipped = [], {}
    for name in args.systems:
        system = systems.SYSTEMS[name]
        missing = systems.missing_requirement(system)
        if missing:
            skipped[name] = f"not installed: {missing}"
        else:
            available.append(system)
    for name, why in skipped.items():
        print(f"skipping {name} ({why})")
    load = machine_info().get("load_average_start")
    if load and load[0] > 0.5:
        print(f"warning: load average {load[0]:.2f}; other processes will distort the numbers "
              "(multi-threaded peers most of all)")
    started = dt.datetime.now(dt.timezone.utc)
    results: dict[str, Any] = {
        "command": shlex.join(["python", "benchmarks/run.py", *(sys.argv[1:] if argv is None
                                                                 else argv)]),
        "started": started.isoformat(timespec="seconds"),
        "machine": machine_info(), "rounds": args.rounds, "quick": args.quick,
        "systems": [s.name for s in available], "skipped": skipped,
        "workloads": args.workloads,
        "workload_specs": {name: dataclasses.asdict(spec.get_workload(name, args.quick))
                           for name in spec.WORKLOAD_NAMES},
        "records": [],
    }
    import_env = _environment(systems.SYSTEMS["descend"])
    for round_index in range(args.rounds):
        for system, variant, workload in schedule(args, available, round_index):
            record = run_worker(system, variant, workload, args.quick, args.timeout)
            record.update(round=round_index, system=system.name, variant=variant,
                          column=system.column(variant), workload=workload)
            results["records"].append(record)
            print(f"[round {round_index + 1}/{args.rounds}] {workload:8s} "
                  f"{system.column(variant):12s} {describe(record)}", flush=True)
        if "import" in args.workloads:
            probes = {c: code for c, code in IMPORT_PROBES.items()
                      if c != "descend" or "descend" not in skipped}
            for _ in range(args.import_repeats):
                for column, code in rotate(list(probes.items()), round_index):
                    record = time_import(code, import_env)
                    record.update(round=round_index, system="import", column=column,
                                  workload="import")
                    results["records"].append(record)
    results["finished"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    try:
        results["machine"]["load_average_end"] = os.getloadavg()
    except OSError:
        pass
    results["versions"] = collect_versions(results["records"])
    results["summary"] = stats.summarize(results["records"])
    args.out.mkdir(parents=True, exist_ok=True)
    suffix = "-quick" if args.quick else ""
    path = args.out / f"{started.strftime('%Y%m%d-%H%M%S')}{suffix}.json"
    path.write_text(json.dumps(results, indent=1) + "\n")
    try:
        shown = path.resolve().relative_to(systems.ROOT)
    except ValueError:
        shown = path
    markdown = report.render(results, str(shown))
    print("\n" + markdown)
    if args.docs is not None:
        report.write_page(args.docs, markdown)
        print(f"wrote {args.docs}")
    print(f"wrote {path}\nregenerate the report with: python benchmarks/report.py {path}")
    return results


def collect_versions(records: list[dict[str, Any]]) -> dict[str, str]:
    """The versions the workers reported (first report of each package wins)."""
    versions: dict[str, str] = {}
    for record in records:
        for package, version in (record.get("versions") or {}).items():
            versions.setdefault(package, version)
    return versions


if __name__ == "__main__":
    main()
