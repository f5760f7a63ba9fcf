"""Neural-network primitives: activations, softmax, the fused dense layer, fused losses.

These are primitives (not compositions) either because a stable formula needs
it (sigmoid, softmax, log-softmax, cross-entropy from logits) or because fusing
saves NumPy calls on the training hot path (dense + bias + activation). Each one
has its own backward, verified by ``gradcheck`` in the test suite.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from descend.autograd.function import Function
from descend.autograd.ops._fused_activation import (
    FUSED_ACTIVATIONS,  # noqa: F401  (re-exported: descend.autograd.ops.nn.FUSED_ACTIVATIONS)
    activate_,
    activation_backward,
    relu,
    softmax,
    stable_sigmoid,
)


class Sigmoid(Function):
    """Logistic sigmoid; d/dx = s·(1 - s)."""

    def forward(self, x):
        self.out = stable_sigmoid(x)
        return self.out

    def backward(self, grad):
        s = self.out
        return (grad * s * (1 - s),)


class Tanh(Function):
    """Hyperbolic tangent; d/dx = 1 - tanh²."""

    def forward(self, x):
        self.out = np.tanh(x)
        return self.out

    def backward(self, grad):
        return (grad * (1 - self.out * self.out),)


class Relu(Function):
    """``max(x, 0)``; d/dx = 1 where x > 0, else 0."""

    def forward(self, x):
        self.out = relu(x)
        return self.out

    def backward(self, grad):
        return (np.multiply(grad, self.out > 0),)


class Softmax(Function):
    """``exp(x) / sum(exp(x))`` along ``axis`` (shifted by the max for stability).

    Backward: ``s * (grad - sum(grad * s, axis))``.
    """

    def forward(self, x, axis: int = -1):
        self.axis = axis
        self.out = softmax(x, axis)
        return self.out

    def backward(self, grad):
        s = self.out
        return (s * (grad - np.sum(grad * s, axis=self.axis, keepdims=True)),)


class LogSoftmax(Function):
    """``x - logsumexp(x)`` along ``axis``. Backward: ``grad - softmax * sum(grad)``."""

    def forward(self, x, axis: int = -1):
        self.axis = axis
        shifted = x - np.max(x, axis=axis, keepdims=True)
        out = shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
        self.out = out
        return out

    def backward(self, grad):
        return (grad - np.exp(self.out) * np.sum(grad, axis=self.axis, keepdims=True),)


def dense_forward(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray | None,
                  activation: str) -> np.ndarray:
    """``activation(x @ kernel + bias)`` on arrays, into one new array.

    Parameters
    ----------
    x : ndarray, shape (..., in)
    kernel : ndarray, shape (in, units)
    bias : ndarray, shape (units,), or None
    activation : one of ``FUSED_ACTIVATIONS``

    Returns
    -------
    ndarray, shape (..., units)
    """
    z = np.matmul(x, kernel)
    if bias is not None:
        z += bias
    return activate_(z, activation)


def _dense_backward(fn: Function, grad: np.ndarray, x: np.ndarray, kernel: np.ndarray,
                    out: np.ndarray, activation: str, kernel_index: int, bias_index: int | None,
                    input_grad: bool) -> tuple:
    """One dense layer's backward: ``(d input or None, d kernel or None, d bias or None)``.

    The activation's derivative comes from the saved output; the kernel and bias
    gradients are skipped where ``fn.needs_grad`` says so and otherwise written
    straight into the weight's gradient sink when it has one (:meth:`Function.input_sink`);
    the input gradient is computed only if ``input_grad``.
    """
    needs = fn.needs_grad
    dz = activation_backward(grad, out, activation)
    dz2 = dz.reshape(-1, dz.shape[-1]) if dz.ndim != 2 else dz
    gk = gb = None
    if needs[kernel_index]:
        x2 = x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x
        gk = np.matmul(x2.T, dz2, out=fn.input_sink(kernel_index))
    if bias_index is not None and needs[bias_index]:
        gb = np.add.reduce(dz2, axis=0, out=fn.input_sink(bias_index))
    gx = np.matmul(dz, kernel.T) if input_grad else None
    return gx, gk, gb


class Dense(Function):
    """Fused ``activation(x @ kernel + bias)``: the whole dense layer in one node.

    Inputs ``x`` (..., in), ``kernel`` (in, units) and optionally ``bias``
    (units,); ``activation`` is one of ``FUSED_ACTIVATIONS``. The derivative of
    the activation is computed from the saved output (relu: out > 0, sigmoid:
    out·(1-out), tanh: 1-out², softmax: its Jacobian-vector product), so the
    pre-activation is never kept. The input gradient is skipped when ``x`` needs
    none (the first layer), saving one matrix product per step.
    """

    def forward(self, x, kernel, bias=None, activation: str = "linear"):
        z = dense_forward(x, kernel, bias, activation)
        if self.needs_grad is not None:
            self.x, self.kernel, self.out, self.activation = x, kernel, z, activation
            self.has_bias = bias is not None
        return z

    def backward(self, grad):
        gx, gk, gb = _dense_backward(self, grad, self.x, self.kernel, self.out, self.activation,
                                     1, 2 if self.has_bias else None, self.needs_grad[0])
        return (gx, gk, gb) if self.has_bias else (gx, gk)


class DenseStack(Function):
    """A chain of fused dense layers in one node: ``act_k(... act_1(x @ K_1 + b_1) ...)``.

    Inputs: ``x`` (..., in), then for each layer its kernel (in_i, units_i) and,
    where ``has_bias[i]``, its bias (units_i,). Options ``activations`` (one of
    ``FUSED_ACTIVATIONS`` per layer) and ``has_bias`` (one bool per layer). The
    result equals chaining :class:`Dense` nodes, operation for operation; one
    node instead of one per layer saves the engine's per-node work (recording,
    ordering, handing gradients on), which dominates small networks. Backward
    walks the layers in reverse: the activation's derivative from the saved
    output, the weight gradients (straight into a weight's gradient sink where it
    has one, :meth:`Function.input_sink`), and the input gradient of each layer,
    skipped for the first when ``x`` needs none.
    """

    def forward(self, x, *params, activations: tuple = (), has_bias: tuple = ()):
        layers, k = [], 0
        h = x
        outputs = []
        for activation, bias in zip(activations, has_bias, strict=True):
            kernel = params[k]
            b = params[k + 1] if bias else None
            layers.append((k, kernel, bias, activation))
            k += 2 if bias else 1
            h = dense_forward(h, kernel, b, activation)
            outputs.append(h)
        if k != len(params):
            raise ValueError(f"DenseStack: expected {k} parameter arrays, received {len(params)}.")
        if self.needs_grad is not None:
            self.x, self.layers, self.outputs = x, layers, outputs
        return h

    def backward(self, grad):
        needs = self.needs_grad
        grads: list = [None] * len(needs)
        layers, outputs = self.layers, self.outputs
        g = grad
        for i in range(len(layers) - 1, -1, -1):
            k, kernel, has_bias, activation = layers[i]
            g, grads[1 + k], gb = _dense_backward(
                self, g, outputs[i - 1] if i else self.x, kernel, outputs[i], activation,
                1 + k, 2 + k if has_bias else None, bool(i) or needs[0])
            if has_bias:
                grads[2 + k] = gb
        grads[0] = g if needs[0] else None
        return tuple(grads)


def _sparse_labels(target: Any, shape: tuple[int, ...], op: str) -> np.ndarray:
    """Validate class ids for predictions of ``shape`` and return them flat as ``intp``."""
    arr = target if type(target) is np.ndarray else np.asarray(target)
    n_rows, n_classes = math.prod(shape[:-1]), shape[-1]
    if arr.size != n_rows:
        raise ValueError(
            f"{op}: sparse targets must be integer class ids, one per prediction row (shape "
            f"{shape[:-1]}), received an array of shape {arr.shape}. For one-hot or probability "
            "targets pass sparse=False."
        )
    if arr.dtype.kind not in "iu" and not (
        arr.dtype.kind in "fb" and np.array_equal(arr, np.floor(arr))
    ):
        raise ValueError(
            f"{op}: sparse targets must be integer class ids, received dtype {arr.dtype} with "
            "non-integer values. Pass class ids (e.g. labels.argmax(-1) for one-hot labels)."
        )
    labels = arr.reshape(-1).astype(np.intp, copy=False)
    # one reduction checks both ends: a negative id is a huge number as unsigned
    if labels.size and np.maximum.reduce(labels.view(np.uintp)) >= n_classes:
        raise ValueError(
            f"{op}: class ids must lie in [0, {n_classes - 1}] for predictions with "
            f"{n_classes} classes, received ids from {labels.min()} to {labels.max()}. Give "
            "the output layer as many units as there are classes."
        )
    return labels


def _dense_targets(target: Any, shape: tuple[int, ...], dtype: Any, op: str) -> np.ndarray:
    """Validate one-hot/probability targets for predictions of ``shape``; return them 2-D."""
    t = np.asarray(target, dtype=dtype)
    if t.shape != shape:
        raise ValueError(
            f"{op}: with sparse=False the targets must have the predictions' shape {shape}, "
            f"received shape {t.shape}. For integer class ids pass sparse=True."
        )
    return t.reshape(-1, shape[-1])


class SoftmaxCrossEntropy(Function):
    """Cross-entropy of ``softmax(logits)`` against ``target``, per sample.

    ``target`` (an option, no gradient) holds class ids of shape
    ``logits.shape[:-1]`` when ``sparse`` is true, else class probabilities of
    ``logits.shape``. The loss is ``logsumexp(z) - z[label]`` (sparse) or
    ``-sum(t * log_softmax(z))``; its gradient is ``softmax(z)·sum(t) - t``.
    The output has shape ``logits.shape[:-1]``.
    """

    def forward(self, logits, target: Any = None, sparse: bool = True):
        c = logits.shape[-1]
        z = logits.reshape(-1, c)
        shifted = z - np.max(z, axis=1, keepdims=True)
        e = np.exp(shifted)
        total = np.sum(e, axis=1, keepdims=True)
        log_total = np.log(total)
        if sparse:
            labels = _sparse_labels(target, logits.shape, "softmax_crossentropy")
            rows = np.arange(z.shape[0])
            loss = log_total[:, 0] - shifted[rows, labels]
            self.labels, self.rows = labels, rows
        else:
            t = _dense_targets(target, logits.shape, z.dtype, "softmax_crossentropy")
            loss = np.sum(t * (log_total - shifted), axis=1)
            self.t = t
        if self.needs_grad is not None:
            e /= total
            self.softmax, self.sparse, self.shape = e, sparse, logits.shape
        return loss.reshape(logits.shape[:-1])

    def backward(self, grad):
        g = grad.reshape(-1, 1)
        if self.sparse:
            d = self.softmax.copy()
            d[self.rows, self.labels] -= 1
        else:
            d = self.softmax * np.sum(self.t, axis=1, keepdims=True) - self.t
        d *= g
        return (d.reshape(self.shape),)


class ProbabilityCrossEntropy(Function):
    """Keras's categorical cross-entropy on probabilities, per sample.

    ``q = p / sum(p)`` (renormalisation), ``qc = clip(q, eps, 1 - eps)``,
    ``loss = -sum(t * log(qc))`` (or ``-log(qc[label])`` when ``sparse``). The
    gradient passes through the clip only where ``eps <= q <= 1 - eps`` and
    through the renormalisation as ``(dq - sum(dq * q)) / sum(p)``.
    """

    def forward(self, p, target: Any = None, sparse: bool = True, eps: float = 1e-7):
        c = p.shape[-1]
        p2 = p.reshape(-1, c)
        s = np.add.reduce(p2, axis=1)
        self.sparse, self.shape, self.eps, self.s = sparse, p.shape, eps, s
        if sparse:
            # only the label's probability enters the loss: never touch the other columns
            labels = _sparse_labels(target, p.shape, "probability_crossentropy")
            q = p2[np.arange(p2.shape[0]), labels] / s
            qc = np.minimum(np.maximum(q, eps), 1 - eps)
            loss = -np.log(qc)
            self.labels, self.q, self.qc = labels, q, qc
        else:
            t = _dense_targets(target, p.shape, p.dtype, "probability_crossentropy")
            q = p2 / s[:, None]
            qc = np.minimum(np.maximum(q, eps), 1 - eps)
            loss = -np.add.reduce(t * np.log(qc), axis=1)
            self.t, self.q, self.qc = t, q, qc
        return loss.reshape(p.shape[:-1])

    def backward(self, grad):
        q, qc, eps, s = self.q, self.qc, self.eps, self.s
        g = grad.reshape(-1)
        if self.sparse:
            # q is the label's renormalised probability q_l = p_l / s, and only it
            # enters the loss: dq_l/dp_j = ([j == l] - q_l) / s, d loss/dq_l = -1/qc_l
            # inside the clip (where clipping left q unchanged, qc == q; NaN never is),
            # so dp_j = (q_l - [j == l]) * g / (qc_l * s)
            coef = np.multiply(g, qc == q)
            coef /= qc * s
            onehot = np.equal(self.labels[:, None], np.arange(self.shape[-1]))
            dp = np.subtract(q[:, None], onehot, dtype=q.dtype)
            dp *= coef[:, None]
        else:
            inside = (q >= eps) & (q <= 1 - eps)
            dq = -self.t / qc
            dq *= inside
            dp = (dq - np.add.reduce(dq * q, axis=1, keepdims=True)) / s[:, None]
            dp *= g[:, None]
        return (dp.reshape(self.shape),)


class BinaryCrossEntropy(Function):
    """Elementwise binary cross-entropy against ``target`` (an option, no gradient).

    From probabilities (Keras): ``pc = clip(p, eps, 1 - eps)``,
    ``-(t·log(pc) + (1 - t)·log(1 - pc))``, gradient ``(pc - t) / (pc·(1 - pc))``
    where ``p`` is inside the clip range. From logits ``z``: the stable
    ``max(z, 0) - z·t + log(1 + exp(-|z|))``, gradient ``sigmoid(z) - t``.
    """

    def forward(self, x, target: Any = None, from_logits: bool = False, eps: float = 1e-7):
        t = np.asarray(target, dtype=x.dtype)
        self.t, self.from_logits = t, from_logits
        if from_logits:
            loss = np.maximum(x, 0) - x * t + np.logaddexp(0, -np.abs(x))
            if self.needs_grad is not None:
                self.sig = stable_sigmoid(x)
            return loss
        pc = np.clip(x, eps, 1 - eps)
        if self.needs_grad is not None:
            self.x, self.pc, self.eps = x, pc, eps
        return -(t * np.log(pc) + (1 - t) * np.log1p(-pc))

    def backward(self, grad):
        if self.from_logits:
            return (grad * (self.sig - self.t),)
        pc, x, eps = self.pc, self.x, self.eps
        inside = (x >= eps) & (x <= 1 - eps)
        return (grad * inside * (pc - self.t) / (pc * (1 - pc)),)
