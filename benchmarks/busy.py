"""Training on a busy machine: descend's slowdown when other processes keep every core busy.

The case of ``examples/mnist_mlp.py`` (the classic Keras MLP: 784 -> 512 -> 512 -> 10,
RMSprop, batch 128) trained for a fixed number of steps, first on the machine as it is
("idle"), then while competing CPU-bound processes run beside it ("busy"): by default one per
core, each another NumPy program doing matrix products with NumPy's default BLAS threads (as
other training jobs would), or a pure-Python busy loop (``--kind python``). Each phase is
measured with descend's own choice of
BLAS threads (``DESCEND_BLAS_THREADS=auto``, the default) and with NumPy's default threads
(``off``: descend leaves the BLAS library alone), in interleaved rounds; each number is
the median over rounds. The slowdown is idle samples/s over busy samples/s; the target is
at most 2.5x with descend's choice. (With ``k`` competitors on ``k`` cores a fair scheduler
gives the training process about 1 / (k + 1) of the machine, so 2.5x is not far above
what any program can do on 2 cores.)

Run from the repository root (about 2 minutes; ``--quick`` for a smoke test)::

    python benchmarks/busy.py
    python benchmarks/busy.py --rounds 5 --competitors 2 --out benchmarks/results

It prints a Markdown report and writes ``busy-<UTC timestamp>.json`` into ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGET_SLOWDOWN = 2.5
SIZES = (784, 512, 512, 10)
BATCH_SIZE = 128
HOGS = {
    # a pure-Python busy loop: one thread, always runnable
    "python": "while True:\n    pass\n",
    # another NumPy program: matrix products with NumPy's default BLAS threads
    "numpy": ("import numpy as np\na = np.ones((384, 384), dtype=np.float32)\n"
              "while True:\n    a @ a\n"),
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--steps", type=int, default=120, help="timed steps per run (default 120)")
    parser.add_argument("--competitors", type=int, default=None,
                        help="competing processes (default: one per usable core)")
    parser.add_argument("--kind", choices=sorted(HOGS), default="numpy",
                        help="what competes: NumPy matrix products with default threads "
                             "(default) or a pure-Python busy loop")
    parser.add_argument("--quick", action="store_true", help="1 round of 10 steps: smoke test")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"),
                        help="folder for the results JSON (default benchmarks/results)")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.steps = 1, 10
    if args.rounds < 1 or args.steps < 1:
        parser.error("--rounds and --steps must be at least 1")
    return args


def build(seed: int = 1234) -> tuple[Any, Any, Any]:
    """The MLP of ``examples/mnist_mlp.py`` (without dropout), compiled, and its data."""
    import descend
    from benchmarks import spec
    from descend import layers

    descend.utils.set_random_seed(seed)
    x, y = spec.make_data("mlp", 4096)
    model = descend.Sequential([layers.Input(shape=(SIZES[0],))]
                               + [layers.Dense(n, activation="relu") for n in SIZES[1:-1]]
                               + [layers.Dense(SIZES[-1], activation="softmax")])
    model.compile(optimizer=descend.optimizers.RMSprop(), loss="sparse_categorical_crossentropy")
    model.fit(x[:BATCH_SIZE * 3], y[:BATCH_SIZE * 3], batch_size=BATCH_SIZE, verbose=0)  # warm up
    return model, x, y


def samples_per_s(model: Any, x: Any, y: Any, steps: int, setting: Any) -> float:
    """Train ``steps`` steps with the BLAS-thread ``setting``; samples per second."""
    from descend import config

    config.set_blas_threads(setting)
    n = steps * BATCH_SIZE
    reps = -(-n // len(x))
    xs, ys = (x,) * reps, (y,) * reps
    import numpy as np

    data_x, data_y = np.concatenate(xs)[:n], np.concatenate(ys)[:n]
    start = time.perf_counter()
    model.fit(data_x, data_y, batch_size=BATCH_SIZE, epochs=1, shuffle=False, verbose=0)
    return n / (time.perf_counter() - start)


def start_competitors(count: int, kind: str = "python") -> list[subprocess.Popen]:
    """``count`` CPU-bound processes of ``kind`` (see :data:`HOGS`), running until stopped."""
    return [subprocess.Popen([sys.executable, "-c", HOGS[kind]], stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(count)]


def stop_competitors(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def slowdown(idle: float | None, busy: float | None) -> float | None:
    """How many times slower the busy run is (idle samples/s over busy samples/s).

    >>> slowdown(1000.0, 400.0)
    2.5
    >>> slowdown(None, 400.0) is None
    True
    """
    if not idle or not busy:
        return None
    return idle / busy


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """All rounds: per round, idle then busy, each with ``auto`` and NumPy's default threads."""
    from descend import threads

    competitors = args.competitors or threads.usable_cores()
    model, x, y = build()
    runs: dict[str, list[float]] = {key: [] for key in
                                    ("idle_auto", "idle_off", "busy_auto", "busy_off")}
    load: dict[str, list[float]] = {"idle": [], "busy": []}
    for round_index in range(args.rounds):
        settings = ["auto", None] if round_index % 2 == 0 else [None, "auto"]
        for setting in settings:
            load["idle"].append(os.getloadavg()[0])
            runs[f"idle_{'auto' if setting else 'off'}"].append(
                samples_per_s(model, x, y, args.steps, setting))
        hogs = start_competitors(competitors, args.kind)
        try:
            time.sleep(0.5)  # let them reach full speed
            for setting in settings:
                runs[f"busy_{'auto' if setting else 'off'}"].append(
                    samples_per_s(model, x, y, args.steps, setting))
            load["busy"].append(os.getloadavg()[0])
        finally:
            stop_competitors(hogs)
        time.sleep(0.5)
    medians = {key: statistics.median(values) for key, values in runs.items()}
    return {
        "runs": runs, "medians": medians, "competitors": competitors, "kind": args.kind,
        "cores": threads.usable_cores(), "steps": args.steps, "rounds": args.rounds,
        "batch_size": BATCH_SIZE, "sizes": list(SIZES), "quick": args.quick,
        "load_average": {k: [round(v, 2) for v in values] for k, values in load.items()},
        "slowdown_auto": slowdown(medians["idle_auto"], medians["busy_auto"]),
        "slowdown_off": slowdown(medians["idle_off"], medians["busy_off"]),
        "busy_auto_vs_off": slowdown(medians["busy_auto"], medians["busy_off"]),
        "target_slowdown": TARGET_SLOWDOWN,
    }


def report(result: dict[str, Any]) -> str:
    """The Markdown table of one result."""
    m = result["medians"]
    auto, off = result["slowdown_auto"], result["slowdown_off"]
    met = auto is not None and auto <= result["target_slowdown"]
    lines = [
        f"Training on a busy machine: MLP {'-'.join(map(str, result['sizes']))}, batch "
        f"{result['batch_size']}, {result['steps']} steps, {result['competitors']} competing "
        f"{result.get('kind', 'python')} process(es) on {result['cores']} core(s), median of "
        f"{result['rounds']} round(s).",
        "",
        "| BLAS threads | idle machine | busy machine | slowdown |",
        "|---|---|---|---|",
        f"| descend's choice (auto) | {m['idle_auto']:,.0f} samples/s | "
        f"{m['busy_auto']:,.0f} samples/s | **{auto:.2f}x** |",
        f"| NumPy's default (off) | {m['idle_off']:,.0f} samples/s | "
        f"{m['busy_off']:,.0f} samples/s | {off:.2f}x |",
        "",
        f"Target: slowdown with descend's choice <= {result['target_slowdown']}x: "
        f"{'met' if met else '**missed**'}. On the busy machine descend's choice trains "
        f"{result['busy_auto_vs_off']:.1f}x as fast as NumPy's default threads. Load average "
        f"(1 min) during the idle runs: {result['load_average']['idle']}; busy: "
        f"{result['load_average']['busy']}.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    result = measure(args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    path = out / f"busy-{stamp}{'-quick' if args.quick else ''}.json"
    path.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(report(result))
    print(f"\nwrote {path}")
    return result


if __name__ == "__main__":
    main()
