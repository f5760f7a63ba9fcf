"""Fused training paths against an independent unfused reference.

descend's training step is fused for speed: each ``Dense`` layer is one graph node
(``ops.nn.Dense``: matmul + bias + activation), the probability cross-entropy is one
node (``ops.nn.ProbabilityCrossEntropy``: Keras's renormalise-clip-log) and Adam
updates one flat buffer holding every weight (``optimizers/_layout.py``). This
module verifies that none of that changes the mathematics: two workloads are
trained for a few steps

* fused, by descend itself (``train_on_batch`` and ``fit(shuffle=False)``), and
* unfused, by a forward pass composed from elementary primitives only (matmul,
  add, where, exp, sum, div, clip, getitem, log, mean, ...), gradients from
  ``Tensor.backward()`` and a per-array Adam (the rule of ``Adam.update_step``,
  ``optimizers.adam.adam_update``, instead of the flat buffer),

from the same initial weights on the same batches in the same order, and the
per-step losses and the final weights must agree: to float32 rounding in
float32, and to 1e-10 in float64. Around that:

* a control run with a 1% different learning rate must *not* agree, so the
  comparison is not vacuous;
* against a float64 run, the fused float32 weights are no less accurate than the
  unfused ones (the float32 differences are rounding, not other maths);
* the fused path really is fused (``nn.Dense`` and ``nn.ProbabilityCrossEntropy``
  nodes, one flat weight buffer), and ``fit(shuffle=False)`` gives bit for bit
  the weights of the ``train_on_batch`` loop.

Workload A is the course network ``1 -> 16 relu -> 32 relu -> 2 sigmoid`` on the
drug-trial ages (batch 10); workload B is ``784 -> 256 relu -> 128 relu -> 10
softmax`` on standard-normal inputs (batch 32). Both use
``sparse_categorical_crossentropy`` and ``Adam(1e-3)``.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

import descend
from descend import config, losses
from descend.autograd import Tensor, ops
from descend.autograd.ops import nn
from descend.datasets import side_effects
from descend.layers import Dense, Input
from descend.optimizers import Adam
from descend.optimizers.adam import adam_update

LR = 1e-3

# Tolerances. float32: the two paths round differently (fused matmul+bias vs a
# separate add, stable vs plain sigmoid, another summation order in the loss), a
# few ulps per step. Adam then divides each gradient by ~|g| + eps/sqrt(1 - beta_2^t),
# so where a batch's per-sample terms nearly cancel (|g| ~ 1e-6, absolute
# rounding ~1e-9) the update can differ by up to ~lr * 1e-9 / 3e-6 ~ 3e-7 per step.
# Observed over 8 steps of workload B: max |fused - unfused| = 8.6e-7, while the
# paths are 9.0e-7 (fused) and 1.5e-6 (unfused) from the float64 result (see the
# accuracy test); workload A: 4.5e-8. atol = 2e-6 (lr / 500, ~0.03% of the total
# movement) and rtol = 1e-5 (~100 ulps) are tight for that, and far below what a
# 1% change of the learning rate makes (control test: 1.3e-4 in A, 3.4e-3 in B).
# float64: the same maths at ~1e-16 rounding; observed differences are at most
# 1.3e-15 (weights) and 8.9e-16 (losses), checked at rtol 1e-10.
TOLERANCES = {"float32": {"rtol": 1e-5, "atol": 2e-6},
              "float64": {"rtol": 1e-10, "atol": 1e-12}}


# ------------------------------------------------------------------ workloads
def workload_a(dtype):
    ages, labels = side_effects.generate(n_outliers=10, n_typical=50, seed=3)
    return (1, (16, 32), 2, "sigmoid", 10), side_effects.scale(ages).astype(dtype), labels


def workload_b(dtype):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((256, 784)).astype(dtype)
    y = rng.integers(0, 10, 256)
    return (784, (256, 128), 10, "softmax", 32), x, y


WORKLOADS = {"A": workload_a, "B": workload_b}


def build_model(spec, seed=0):
    n_in, hidden, n_out, head, _ = spec
    descend.utils.set_random_seed(seed)
    layers = [Input((n_in,))] + [Dense(u, activation="relu") for u in hidden]
    model = descend.Sequential(layers + [Dense(n_out, activation=head)])
    model.compile(optimizer=Adam(learning_rate=LR),
                  loss="sparse_categorical_crossentropy")
    return model


def batches(x, y, size):
    return [(x[i:i + size], y[i:i + size]) for i in range(0, len(x), size)]


# ------------------------------------------------------------ unfused reference
def relu(z):
    # Relu's convention: no gradient where z == 0 (ages scale to exactly 0.0 at 13,
    # which makes pre-activations exactly 0 while the biases are still 0).
    return ops.where(z.data > 0, z, 0.0)


def sigmoid(z):
    return 1.0 / (ops.exp(-z) + 1.0)


def softmax(z):
    # the shift is a constant (no gradient): softmax is invariant to it
    e = ops.exp(z - np.max(z.data, axis=-1, keepdims=True))
    return e / ops.sum(e, axis=-1, keepdims=True)


def unfused_loss(params, x, y, head):
    """Keras's sparse categorical cross-entropy on probabilities, from elementary ops."""
    h = Tensor(x)
    for kernel, bias in zip(params[:-2:2], params[1:-2:2], strict=True):
        h = relu(ops.add(ops.matmul(h, kernel), bias))
    p = (sigmoid if head == "sigmoid" else softmax)(ops.matmul(h, params[-2]) + params[-1])
    q = p / ops.sum(p, axis=-1, keepdims=True)  # renormalise, then clip (Keras order)
    eps = config.epsilon()
    qc = ops.clip(q, eps, 1.0 - eps)
    picked = ops.getitem(qc, (np.arange(len(y)), np.asarray(y)))
    return ops.mean(-ops.log(picked))  # "sum_over_batch_size"


class ReferenceAdam:
    """Keras's Adam, one array at a time: the rule of ``Adam.update_step`` (imported)."""

    def __init__(self, weights, learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        self.lr, self.b1, self.b2, self.eps = learning_rate, beta_1, beta_2, epsilon
        self.m = [np.zeros_like(w) for w in weights]
        self.v = [np.zeros_like(w) for w in weights]
        self.t = 0

    def step(self, weights, grads):
        self.t += 1
        for w, g, m, v in zip(weights, grads, self.m, self.v, strict=True):
            adam_update(w, g, m, v, self.t, self.lr, self.b1, self.b2, self.eps)


def train_unfused(initial, data, head, learning_rate=LR):
    weights = [w.copy() for w in initial]
    adam, history = ReferenceAdam(weights, learning_rate), []
    for xb, yb in data:
        params = [Tensor(w, requires_grad=True) for w in weights]
        loss = unfused_loss(params, xb, yb, head)
        loss.backward()
        history.append(float(loss.data))
        adam.step(weights, [p.grad for p in params])
    return weights, history


def train_fused(spec, data):
    model = build_model(spec)
    initial = [w.copy() for w in model.get_weights()]
    history = []
    for xb, yb in data:
        model.reset_metrics()  # train_on_batch's loss is a running mean otherwise
        history.append(model.train_on_batch(xb, yb))
    return initial, model.get_weights(), history


@functools.cache  # deterministic; shared by the tests below (read only)
def run_both(name, dtype):
    spec, x, y = WORKLOADS[name](dtype)
    data = batches(x, y, spec[-1])
    initial, fused, fused_losses = train_fused(spec, data)
    unfused, unfused_losses = train_unfused(initial, data, spec[3])
    return spec, (x, y), initial, (fused, fused_losses), (unfused, unfused_losses)


def assert_same(fused, unfused, dtype):
    for i, (a, b) in enumerate(zip(fused, unfused, strict=True)):
        assert a.dtype == b.dtype == np.dtype(dtype), i
        np.testing.assert_allclose(a, b, **TOLERANCES[dtype], err_msg=f"weight {i}")


@pytest.fixture(params=["float32", "float64"])
def floatx(request):
    previous = config.floatx()
    config.set_floatx(request.param)
    try:
        yield request.param
    finally:
        config.set_floatx(previous)


# ----------------------------------------------------------------------- tests
@pytest.mark.parametrize("name", ["A", "B"])
def test_fused_training_matches_unfused_reference(name, floatx):
    spec, _, initial, (fused, f_losses), (unfused, u_losses) = run_both(name, floatx)
    assert len(f_losses) == {"A": 12, "B": 8}[name]
    # the weights moved (by ~lr per step), so agreeing means something
    assert max(np.max(np.abs(a - b)) for a, b in zip(fused, initial, strict=True)) > LR
    np.testing.assert_allclose(f_losses, u_losses, **TOLERANCES[floatx])
    assert_same(fused, unfused, floatx)


@pytest.mark.parametrize("name", ["A", "B"])
def test_fused_path_is_really_fused(name):
    """What the comparison exercises: fused Dense and loss nodes, one flat weight buffer."""
    spec, x, y = WORKLOADS[name]("float32")
    model = build_model(spec)
    model.train_on_batch(x[:10], y[:10])
    out = model(Tensor(x[:10]))
    # a direct call runs the model's plan with fusion on: the dense layers are one node
    assert isinstance(out._ctx, nn.DenseStack if config.fusion() else nn.Dense)
    loss = losses.sparse_categorical_crossentropy(y[:10], out)
    assert isinstance(loss._ctx, nn.ProbabilityCrossEntropy)
    bases = {id(v.data.base) for v in model.trainable_variables}
    assert len(bases) == 1 and model.trainable_variables[0].data.base is not None


@pytest.mark.parametrize("name", ["A", "B"])
def test_fit_matches_train_on_batch(name):
    """``fit(shuffle=False)`` runs the very same fused steps, in batch order."""
    spec, (x, y), _, (fused, _), _ = run_both(name, "float32")
    model = build_model(spec)
    model.fit(x, y, batch_size=spec[-1], epochs=1, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), fused, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", ["A", "B"])
def test_comparison_detects_a_different_learning_rate(name):
    """Control: a 1% different learning rate in the reference must fail the check."""
    spec, (x, y), initial, (fused, _), _ = run_both(name, "float32")
    data = batches(x, y, spec[-1])
    wrong, _ = train_unfused(initial, data, spec[3], learning_rate=LR * 1.01)
    with pytest.raises(AssertionError):
        assert_same(fused, wrong, "float32")


@pytest.mark.parametrize("name", ["A", "B"])
def test_fused_float32_is_as_accurate_as_unfused(name):
    """Against the float64 reference, fusing costs no accuracy: the float32 differences
    above are rounding, not a different computation."""
    spec, (x, y), initial, (fused, _), (unfused, _) = run_both(name, "float32")
    data = batches(x.astype(np.float64), y, spec[-1])
    truth, _ = train_unfused([w.astype(np.float64) for w in initial], data, spec[3])
    assert all(w.dtype == np.float64 for w in truth)

    def error(weights):
        return max(np.max(np.abs(a - b)) for a, b in zip(weights, truth, strict=True))

    assert error(fused) <= 1.5 * error(unfused)
    assert error(fused) < TOLERANCES["float32"]["atol"]
