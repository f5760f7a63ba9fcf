"""A custom loss and custom metrics: plain functions of ``(y_true, y_pred)``, and a
``Metric`` subclass that accumulates over the batches of an epoch.

The loss is built from descend's differentiable operations, so the engine computes
its gradient; ``descend.gradcheck`` compares that gradient with finite differences
before we train with it. Metrics only report, they are never differentiated: they
receive NumPy arrays (``y_true`` as given, ``y_pred`` as the model's output).

Run: ``python examples/custom_loss_and_metric.py``
"""

import numpy as np

import descend
from descend import layers
from descend.autograd import ops
from descend.utils import set_random_seed


def log_cosh(y_true, y_pred):
    """Per-sample mean of log(cosh(error)): like MSE/2 for small errors, like MAE for large.

    Written as |e| + log(1 + exp(-2|e|)) - log(2), which never overflows.
    """
    error = ops.abs(y_pred - y_true)
    return ops.mean(error + ops.log(1.0 + ops.exp(-2.0 * error)) - np.log(2.0), axis=-1)


def worst_error(y_true, y_pred):
    """Per-sample largest absolute error over the outputs (a metric function)."""
    return ops.max(ops.abs(y_pred - y_true), axis=-1)


class FractionWithin(descend.metrics.Metric):
    """Fraction of samples whose every output is within ``tolerance`` of the target."""

    def __init__(self, tolerance=0.1, name="fraction_within", **kwargs):
        self.tolerance = tolerance
        super().__init__(name=name, **kwargs)

    def reset_state(self):
        self.hits = 0.0
        self.total = 0.0

    def update_state(self, y_true, y_pred, sample_weight=None):
        close = np.all(np.abs(np.asarray(y_pred) - np.asarray(y_true)) <= self.tolerance, axis=-1)
        weight = np.ones(len(close)) if sample_weight is None else np.asarray(sample_weight)
        self.hits += float(np.sum(weight * close))
        self.total += float(np.sum(weight))

    def result(self):
        return self.hits / self.total if self.total else 0.0

    def get_config(self):
        return {**super().get_config(), "tolerance": self.tolerance}


# 1. The engine's gradient of the loss agrees with central differences (float64).
rng = np.random.default_rng(0)
y_true, y_pred = rng.standard_normal((5, 2)), rng.standard_normal((5, 2))
print("gradcheck of log_cosh:", descend.gradcheck(lambda p: log_cosh(y_true, p), y_pred))

# 2. Train with it: two noisy targets, one of them with outliers that MSE would chase.
set_random_seed(0)
x = rng.uniform(-1, 1, size=(512, 3)).astype("float32")
y = np.stack([x[:, 0] - x[:, 1], 0.5 * x[:, 2]], axis=1)
y += rng.normal(0, 0.02, y.shape) + (rng.random(y.shape) < 0.03) * 5.0
y = y.astype("float32")

model = descend.Sequential([layers.Input((3,)), layers.Dense(16, activation="tanh"),
                            layers.Dense(2)])
model.compile(optimizer=descend.optimizers.Adam(learning_rate=0.01), loss=log_cosh,
              metrics=[worst_error, FractionWithin(tolerance=0.1)])
history = model.fit(x, y, epochs=30, batch_size=32, verbose=0)
for key in ("loss", "worst_error", "fraction_within"):
    print(f"{key}: {history.history[key][0]:.4f} -> {history.history[key][-1]:.4f}")
print(model.evaluate(x, y, verbose=0, return_dict=True))
