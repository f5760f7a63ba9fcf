"""The same MLP as a Sequential, a functional and a subclassed model: fit and predict times.

A subclassed model's plan is traced from its ``call`` (``descend.models.tracing``), so the
three styles should train and predict equally fast; the subclassed model with fusion off
(its eager ``call``, the reference path) is measured beside them. One process, the styles
interleaved in every round, one BLAS thread by default; each number is the median over rounds.

Run from the repository root::

    OPENBLAS_NUM_THREADS=1 python benchmarks/model_styles.py --rounds 7

It prints one Markdown table: seconds per epoch of ``fit`` (batch 32) and per 1,000
``predict`` calls at batch 1, and each as a ratio to the Sequential model.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import descend  # noqa: E402
from descend import layers  # noqa: E402

FEATURES, HIDDEN, CLASSES = 64, (128, 64), 10


class SubclassedMLP(descend.Model):
    """The MLP with its layers in attributes and its forward pass in ``call``."""

    def __init__(self) -> None:
        super().__init__()
        self.first = layers.Dense(HIDDEN[0], activation="relu")
        self.second = layers.Dense(HIDDEN[1], activation="relu")
        self.logits = layers.Dense(CLASSES, activation="softmax")

    def call(self, inputs, training=None):
        return self.logits(self.second(self.first(inputs)))


def sequential() -> descend.Model:
    return descend.Sequential([
        layers.Input((FEATURES,)), layers.Dense(HIDDEN[0], activation="relu"),
        layers.Dense(HIDDEN[1], activation="relu"), layers.Dense(CLASSES, activation="softmax")])


def functional() -> descend.Model:
    inputs = layers.Input((FEATURES,))
    h = layers.Dense(HIDDEN[0], activation="relu")(inputs)
    h = layers.Dense(HIDDEN[1], activation="relu")(h)
    return descend.Model(inputs, layers.Dense(CLASSES, activation="softmax")(h))


STYLES = {"Sequential": (sequential, True), "functional": (functional, True),
          "subclassed": (SubclassedMLP, True), "subclassed, fusion off": (SubclassedMLP, False)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--samples", type=int, default=8192)
    parser.add_argument("--predicts", type=int, default=1000)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((args.samples, FEATURES)).astype("float32")
    y = rng.integers(0, CLASSES, args.samples)
    models = {}
    for name, (make, fused) in STYLES.items():
        descend.config.set_fusion(fused)
        descend.utils.set_random_seed(0)
        model = make()
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        model.fit(x[:256], y[:256], batch_size=32, verbose=0)  # built, traced, warm
        model.predict(x[:1], verbose=0)
        models[name] = (model, fused)
    fit_times = {name: [] for name in models}
    predict_times = {name: [] for name in models}
    for _ in range(args.rounds):
        for name, (model, fused) in models.items():
            descend.config.set_fusion(fused)
            start = time.perf_counter()
            model.fit(x, y, batch_size=32, epochs=1, verbose=0)
            fit_times[name].append(time.perf_counter() - start)
            start = time.perf_counter()
            for i in range(args.predicts):
                model.predict(x[i:i + 1], verbose=0)
            predict_times[name].append((time.perf_counter() - start) * 1000 / args.predicts)
    descend.config.set_fusion(True)
    base_fit = float(np.median(fit_times["Sequential"]))
    base_predict = float(np.median(predict_times["Sequential"]))
    print(f"{args.rounds} interleaved rounds, OPENBLAS_NUM_THREADS="
          f"{os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}, load average "
          f"{os.getloadavg()[0]:.2f}\n")
    print("| model | fit, s per epoch | vs Sequential | predict batch 1, s per 1,000 | "
          "vs Sequential |")
    print("|---|---|---|---|---|")
    for name in models:
        fit, predict = float(np.median(fit_times[name])), float(np.median(predict_times[name]))
        print(f"| {name} | {fit:.3f} | {fit / base_fit:.2f} | {predict:.3f} | "
              f"{predict / base_predict:.2f} |")


if __name__ == "__main__":
    main()
