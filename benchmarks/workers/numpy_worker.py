"""The hand-written NumPy loop: the floor any NumPy program can reach on workloads A and B.

No framework: the network of :mod:`keras_api` written out by hand with NumPy, the way a careful
NumPy programmer would write it for speed. Same data (:func:`spec.make_data`), same
initialisation rule (Glorot-uniform weights, zero biases), same loss and the same Adam arithmetic
as descend (Keras's form: ``alpha_t = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)``, epsilon added
to the uncorrected ``sqrt(v)``), same shuffling every epoch, same number of steps:

- the weights live in one flat float32 buffer and their gradients in another, so Adam updates
  every weight with a handful of in-place NumPy calls (ten passes over the buffer);
- each weight gradient is written straight into its slice of the gradient buffer
  (``np.matmul(..., out=...)``), the bias gradient by ``np.sum(..., out=...)``;
- ReLU is applied in place, and its derivative is a multiplication by the saved mask;
- B ends in softmax cross-entropy computed from the logits (what descend does for a softmax
  output with ``sparse_categorical_crossentropy``); A keeps its two sigmoid units and Keras's
  cross-entropy on probabilities (renormalise, clip to ``[1e-7, 1 - 1e-7]``, log), with the
  gradient written out by hand.

It runs on one BLAS thread when the largest matrix product of a step is small (descend's rule,
:func:`spec.hand_written_blas_threads`, set by the runner before NumPy is imported), else with
NumPy's default threads. Nothing is fused or cached beyond that, and there is no Python
overhead besides the loop itself: whatever descend spends beyond this loop is the price of
being a library. The ``predict``
workload times the forward pass on plain arrays (``call`` at batch 1 and 1024). Convolutional
and recurrent workloads are not written by hand and are reported as skipped.
"""

from __future__ import annotations

import itertools
import math
import time
from typing import Any

import numpy as np

from benchmarks import spec
from benchmarks.workers import common

BETA_1, BETA_2, EPSILON = 0.9, 0.999, 1e-7
CLIP = 1e-7  # Keras's epsilon in the probability cross-entropy


class NumpyNet:
    """A stack of dense layers (ReLU between, sigmoid or softmax at the end) trained with Adam.

    Parameters
    ----------
    sizes : tuple of int
        Widths, input first (``spec.COURSE_SIZES`` or ``spec.MLP_SIZES``).
    output : {"sigmoid", "softmax"}
        Activation of the last layer.
    learning_rate : float
        Adam's learning rate.
    rng : numpy.random.Generator
        Source of the Glorot-uniform weights.
    """

    def __init__(self, sizes: tuple[int, ...], output: str, learning_rate: float,
                 rng: np.random.Generator) -> None:
        self.output, self.learning_rate = output, learning_rate
        shapes = [(n_in, n_out) for n_in, n_out in itertools.pairwise(sizes)]
        total = sum(n_in * n_out + n_out for n_in, n_out in shapes)
        self.params = np.zeros(total, np.float32)
        self.grads = np.zeros(total, np.float32)
        self.m = np.zeros(total, np.float32)
        self.v = np.zeros(total, np.float32)
        self.work = np.empty(total, np.float32)
        self.weights, self.biases, self.weight_grads, self.bias_grads = [], [], [], []
        offset = 0
        for n_in, n_out in shapes:
            for store, grads, shape in ((self.weights, self.weight_grads, (n_in, n_out)),
                                        (self.biases, self.bias_grads, (n_out,))):
                size = math.prod(shape)
                store.append(self.params[offset:offset + size].reshape(shape))
                grads.append(self.grads[offset:offset + size].reshape(shape))
                offset += size
        for w in self.weights:  # Glorot uniform; biases stay zero
            limit = math.sqrt(6.0 / sum(w.shape))
            w[...] = rng.uniform(-limit, limit, w.shape)
        self.step_count = 0

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Output probabilities of a batch ``x`` of shape ``(batch, sizes[0])`` (inference)."""
        h = x
        for w, b in zip(self.weights[:-1], self.biases[:-1], strict=True):
            h = h @ w
            h += b
            np.maximum(h, 0.0, out=h)
        z = h @ self.weights[-1]
        z += self.biases[-1]
        return _sigmoid(z) if self.output == "sigmoid" else _softmax(z)

    def train_step(self, x: np.ndarray, y: np.ndarray) -> None:
        """One Adam step on the batch ``(x, y)`` (``y``: int class ids)."""
        inputs, masks = [x], []
        h = x
        for w, b in zip(self.weights[:-1], self.biases[:-1], strict=True):
            h = h @ w
            h += b
            masks.append(h > 0)
            h *= masks[-1]
            inputs.append(h)
        z = h @ self.weights[-1]
        z += self.biases[-1]
        dz = self._loss_gradient(z, y)
        for i in range(len(self.weights) - 1, -1, -1):
            np.matmul(inputs[i].T, dz, out=self.weight_grads[i])
            np.sum(dz, axis=0, out=self.bias_grads[i])
            if i:
                dz = dz @ self.weights[i].T
                dz *= masks[i - 1]
        self._adam()

    def _loss_gradient(self, z: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Gradient of the mean cross-entropy with respect to the logits ``z``."""
        n, rows = len(y), np.arange(len(y))
        if self.output == "softmax":  # d/dz of logsumexp(z) - z[y] is softmax(z) - onehot(y)
            p = _softmax(z)
            p[rows, y] -= 1.0
            p *= 1.0 / n
            return p
        # sigmoid units s, q = s / sum(s), loss = -log(clip(q[y])): where q[y] is not clipped,
        # d loss / d s_k = 1 / sum(s) - [k = y] / s_y, then times s_k (1 - s_k)
        s = _sigmoid(z)
        total = s.sum(axis=1)
        s_label = s[rows, y]
        q = s_label / total
        kept = (q >= CLIP) & (q <= 1.0 - CLIP)
        ds = np.repeat((1.0 / total)[:, None], s.shape[1], axis=1).astype(np.float32)
        ds[rows, y] -= 1.0 / s_label
        ds *= (kept / n).astype(np.float32)[:, None]
        ds *= s * (1.0 - s)
        return ds

    def _adam(self) -> None:
        """Keras's Adam on the flat buffers: m, v, then the weights, all in place."""
        self.step_count += 1
        t = self.step_count
        alpha = self.learning_rate * math.sqrt(1.0 - BETA_2**t) / (1.0 - BETA_1**t)
        g, m, v, work = self.grads, self.m, self.v, self.work
        np.subtract(g, m, out=work)  # m += (g - m) * (1 - beta_1)
        work *= 1.0 - BETA_1
        m += work
        g *= g  # v += (g^2 - v) * (1 - beta_2)
        g -= v
        g *= 1.0 - BETA_2
        v += g
        np.sqrt(v, out=work)  # w -= alpha * m / (sqrt(v) + epsilon)
        work += EPSILON
        np.divide(m, work, out=work)
        work *= alpha
        self.params -= work


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (np.tanh(0.5 * z) + 1.0)  # no overflow for large |z|


def _softmax(z: np.ndarray) -> np.ndarray:
    e = z - z.max(axis=1, keepdims=True)
    np.exp(e, out=e)
    e /= e.sum(axis=1, keepdims=True)
    return e


def build(workload: spec.Workload) -> NumpyNet:
    """The network of ``workload`` (A: the course network with sigmoid output; B: the MLP)."""
    if workload.network == "course":
        return NumpyNet(spec.COURSE_SIZES, "sigmoid", workload.learning_rate,
                        np.random.default_rng(spec.MODEL_SEED))
    return NumpyNet(spec.MLP_SIZES, "softmax", workload.learning_rate,
                    np.random.default_rng(spec.MODEL_SEED))


def train(net: NumpyNet, x: np.ndarray, y: np.ndarray, batch_size: int, epochs: int,
          rng: np.random.Generator) -> None:
    """Shuffle every epoch, then one :meth:`NumpyNet.train_step` per batch (last one partial)."""
    n = len(x)
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            index = order[start:start + batch_size]
            net.train_step(x[index], y[index])


def measure_train(workload: spec.Workload) -> dict[str, Any]:
    """Warm up with ``warmup_steps`` steps, then time ``epochs`` epochs of the loop."""
    x, y = spec.make_data(workload.network, workload.n_samples)
    net = build(workload)
    rng = np.random.default_rng(spec.MODEL_SEED)
    warm = workload.warmup_steps * workload.batch_size
    train(net, x[:warm], y[:warm], workload.batch_size, 1, rng)
    start = time.perf_counter()
    train(net, x, y, workload.batch_size, workload.epochs, rng)
    result = common.train_result(workload, time.perf_counter() - start)
    probabilities = net.forward(x[:1024])
    result["final_loss"] = float(-np.mean(np.log(np.clip(
        probabilities[np.arange(len(probabilities)), y[:1024]]
        / probabilities.sum(axis=1), CLIP, 1.0 - CLIP))))
    return result


def measure_predict(workload: spec.Workload) -> dict[str, Any]:
    """Time the forward pass on plain arrays at batch 1 and 1024."""
    x, _ = spec.make_data(workload.network, 1024)
    net = build(workload)
    x1 = x[:1]
    return common.predict_fields("call", lambda: net.forward(x1), lambda: net.forward(x),
                                 workload.min_seconds)


def _measure(workload: spec.Workload, variant: str) -> dict[str, Any]:
    common.require_kind(workload, "train", "predict")
    if workload.network not in ("course", "mlp"):
        raise common.NotApplicable("the hand-written NumPy loop covers the dense networks only")
    if workload.kind == "train":
        return measure_train(workload)
    return measure_predict(workload)


def _versions() -> dict[str, str]:
    return {}


if __name__ == "__main__":
    common.run_worker("numpy", _measure, _versions)
