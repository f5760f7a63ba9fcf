"""One worker module per system. Each is run in a fresh process by ``benchmarks/run.py``.

``python -m benchmarks.workers.<module> --workload NAME [--variant V] [--quick]`` performs one
measurement and prints it as one JSON line on stdout (see :mod:`benchmarks.workers.common`).
"""
