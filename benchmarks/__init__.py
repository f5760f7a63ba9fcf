"""descend's benchmark suite: descend against PyTorch, Keras 3 and scikit-learn on a CPU.

Run it with ``python benchmarks/run.py`` (see ``benchmarks/README.md``). The package holds the
workload definitions (:mod:`benchmarks.spec`), one worker module per system (``workers/``), the
scheduler (``run.py``), the statistics (:mod:`benchmarks.stats`) and the Markdown report
(``report.py``).
"""
