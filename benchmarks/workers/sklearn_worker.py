"""scikit-learn's worker: ``MLPClassifier(solver="adam")`` on workloads A and B.

Stopping rules are disabled (``tol=0``, huge ``n_iter_no_change``, no early stopping) and the L2
penalty is zero, so ``fit`` runs exactly ``epochs`` epochs of the same number of Adam steps as the
other systems. For workload A's two classes scikit-learn uses one logistic output unit instead of
two sigmoid units. It has no convolution, so workloads C and D are reported as skipped.
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np

from benchmarks import spec
from benchmarks.workers import common


def make_classifier(workload: spec.Workload, max_iter: int) -> Any:
    """An ``MLPClassifier`` with the workload's hidden layers, batch size and learning rate."""
    from sklearn.neural_network import MLPClassifier

    hidden = (16, 32) if workload.network == "course" else (256, 128)
    return MLPClassifier(hidden_layer_sizes=hidden, activation="relu", solver="adam", alpha=0.0,
                         batch_size=workload.batch_size, learning_rate_init=workload.learning_rate,
                         max_iter=max_iter, shuffle=True, random_state=spec.MODEL_SEED, tol=0.0,
                         n_iter_no_change=10**9, early_stopping=False, warm_start=True)


def _warmed_up(workload: spec.Workload, x: np.ndarray, y: np.ndarray, rows: int) -> Any:
    classifier = make_classifier(workload, workload.epochs)
    classes = np.arange(spec.NETWORKS[workload.network][1])
    classifier.partial_fit(x[:rows], y[:rows], classes=classes)
    return classifier


def measure_train(workload: spec.Workload) -> dict[str, Any]:
    """Warm up with ``partial_fit`` on ``warmup_steps`` batches, then time ``fit`` (warm start)."""
    x, y = spec.make_data(workload.network, workload.n_samples)
    classifier = _warmed_up(workload, x, y, workload.warmup_steps * workload.batch_size)
    start = time.perf_counter()
    classifier.fit(x, y)
    result = common.train_result(workload, time.perf_counter() - start)
    result["dtype"] = str(classifier.coefs_[0].dtype)
    return result


def measure_predict(workload: spec.Workload) -> dict[str, Any]:
    """Time ``predict_proba`` at batch 1 and 1024."""
    x, y = spec.make_data(workload.network, 1024)
    classifier = _warmed_up(workload, x, y, 1024)
    x1 = x[:1]
    return common.predict_fields("predict_proba", lambda: classifier.predict_proba(x1),
                                 lambda: classifier.predict_proba(x), workload.min_seconds)


def measure_memory(workload: spec.Workload) -> dict[str, Any]:
    """Peak RSS of one epoch on the full data, then RSS after each repeated fit+predict."""
    rss_after_import = common.current_rss_bytes()
    x, y = spec.make_data(workload.network, workload.n_samples)
    classifier = make_classifier(workload, 1)
    classifier.fit(x, y)
    rows = min(8192, workload.n_samples)
    series = []
    for _ in range(workload.repeats):
        classifier.fit(x[:rows], y[:rows])
        classifier.predict_proba(x[:rows])
        series.append(common.current_rss_bytes())
    n_params = sum(a.size for a in classifier.coefs_ + classifier.intercepts_)
    return common.memory_fields(x.nbytes, y.nbytes, n_params, rss_after_import, series)


def _measure(workload: spec.Workload, variant: str) -> dict[str, Any]:
    common.require_kind(workload, "train", "predict", "memory")
    if workload.network in ("cnn", "deconv"):
        raise common.NotApplicable("scikit-learn has no convolutional network")
    if workload.network == "lstm":
        raise common.NotApplicable("scikit-learn has no recurrent network")
    if workload.network == "transformer":
        raise common.NotApplicable("scikit-learn has no attention layer")
    import sklearn.neural_network  # noqa: F401 - imported before the memory probes start

    warnings.filterwarnings("ignore", message=".*Stochastic Optimizer.*")  # max_iter reached
    if workload.kind == "train":
        return measure_train(workload)
    if workload.kind == "predict":
        return measure_predict(workload)
    return measure_memory(workload)


def _versions() -> dict[str, str]:
    import sklearn

    return {"sklearn": sklearn.__version__}


if __name__ == "__main__":
    common.run_worker("sklearn", _measure, _versions)
