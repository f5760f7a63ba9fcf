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
                  activation: str, out: np.ndarray | None = None) -> np.ndarray:
    """``activation(x @ kernel + bias)`` on arrays, into one new array (or into ``out``).

    Parameters
    ----------
    x : ndarray, shape (..., in)
    kernel : ndarray, shape (in, units)
    bias : ndarray, shape (units,), or None
    activation : one of ``FUSED_ACTIVATIONS``
    out : ndarray, shape (..., units), optional
        Where to write the result (a work buffer the caller reuses).

    Returns
    -------
    ndarray, shape (..., units)
    """
    z = np.matmul(x, kernel) if out is None else np.matmul(x, kernel, out=out)
    if bias is not None:
        z += bias
    return activate_(z, activation)


def dense_backward(grad: np.ndarray, x: np.ndarray, kernel: np.ndarray, out: np.ndarray,
                   activation: str, kernel_grad: bool, kernel_sink: np.ndarray | None,
                   bias_grad: bool, bias_sink: np.ndarray | None,
                   input_grad: bool) -> tuple:
    """One dense layer's backward on arrays: ``(d input, d kernel, d bias)``, None where skipped.

    The activation's derivative comes from the saved output ``out``. The kernel
    gradient ``x.T @ dz`` is computed only if ``kernel_grad``, written into
    ``kernel_sink`` when one is given (else a new array); the same for the bias
    gradient ``sum(dz, axis=0)``; the input gradient ``dz @ kernel.T`` only if
    ``input_grad``.

    Parameters
    ----------
    grad : ndarray, shape (..., units)
        Gradient with respect to the layer's output. Not modified.
    x : ndarray, shape (..., in)
        The layer's input.
    kernel : ndarray, shape (in, units)
    out : ndarray, shape (..., units)
        The layer's output.
    activation : one of ``FUSED_ACTIVATIONS``
    kernel_grad, bias_grad, input_grad : bool
        Which gradients to compute.
    kernel_sink : ndarray, shape (in, units), or None
    bias_sink : ndarray, shape (units,), or None
    """
    dz = activation_backward(grad, out, activation)
    dz2 = dz.reshape(-1, dz.shape[-1]) if dz.ndim != 2 else dz
    gk = gb = None
    if kernel_grad:
        x2 = x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x
        gk = np.matmul(x2.T, dz2) if kernel_sink is None else np.matmul(x2.T, dz2,
                                                                         out=kernel_sink)
    if bias_grad:
        gb = np.add.reduce(dz2, axis=0, out=bias_sink)
    gx = np.matmul(dz, kernel.T) if input_grad else None
    return gx, gk, gb


def dense_chain_forward(x: np.ndarray, layers: Any,
                        buffers: list | None = None) -> list[np.ndarray]:
    """A chain of dense layers on arrays; returns every layer's output, in order.

    Parameters
    ----------
    x : ndarray, shape (..., in)
    layers : sequence of (kernel, bias or None, activation)
        Arrays and one of ``FUSED_ACTIVATIONS`` per layer.
    buffers : list of (ndarray or None), optional
        One per layer: where to write that layer's output (None: a new array).
    """
    outputs = []
    h = x
    for i, (kernel, bias, activation) in enumerate(layers):
        h = dense_forward(h, kernel, bias, activation, None if buffers is None else buffers[i])
        outputs.append(h)
    return outputs


def dense_chain_backward(grad: np.ndarray, x: np.ndarray, layers: Any, outputs: list,
                         targets: list, input_grad: bool) -> tuple:
    """Backward through :func:`dense_chain_forward`: the last layer first.

    Parameters
    ----------
    grad : ndarray
        Gradient with respect to the chain's output.
    x, layers, outputs
        As given to and returned by :func:`dense_chain_forward`.
    targets : list of tuple
        Per layer ``(kernel_grad, kernel_sink, bias_grad, bias_sink)`` (see
        :func:`dense_backward`).
    input_grad : bool
        Whether the gradient with respect to ``x`` is needed.

    Returns
    -------
    tuple
        ``(d x or None, [(d kernel or None, d bias or None) per layer])``.
    """
    weight_grads: list = [None] * len(layers)
    g = grad
    for i in range(len(layers) - 1, -1, -1):
        kernel, _, activation = layers[i]
        g, gk, gb = dense_backward(g, outputs[i - 1] if i else x, kernel, outputs[i],
                                   activation, *targets[i], bool(i) or input_grad)
        weight_grads[i] = (gk, gb)
    return g, weight_grads


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
        needs = self.needs_grad
        bias = self.has_bias and needs[2]
        gx, gk, gb = dense_backward(
            grad, self.x, self.kernel, self.out, self.activation,
            needs[1], self.input_sink(1) if needs[1] else None,
            bias, self.input_sink(2) if bias else None, needs[0])
        return (gx, gk, gb) if self.has_bias else (gx, gk)


class DenseStack(Function):
    """A chain of fused dense layers in one node: ``act_k(... act_1(x @ K_1 + b_1) ...)``.

    Inputs: ``x`` (..., in), then for each layer its kernel (in_i, units_i) and,
    where ``has_bias[i]``, its bias (units_i,). Options ``activations`` (one of
    ``FUSED_ACTIVATIONS`` per layer) and ``has_bias`` (one bool per layer). The
    result equals chaining :class:`Dense` nodes, operation for operation
    (:func:`dense_chain_forward`, :func:`dense_chain_backward`); one node instead
    of one per layer saves the engine's per-node work (recording, ordering,
    handing gradients on), which dominates small networks. Backward walks the
    layers in reverse: the activation's derivative from the saved output, the
    weight gradients (straight into a weight's gradient sink where it has one,
    :meth:`Function.input_sink`), and the input gradient of each layer, skipped
    for the first when ``x`` needs none.
    """

    def forward(self, x, *params, activations: tuple = (), has_bias: tuple = ()):
        layers, indices, k = [], [], 0
        for activation, bias in zip(activations, has_bias, strict=True):
            layers.append((params[k], params[k + 1] if bias else None, activation))
            indices.append((1 + k, 2 + k if bias else None))
            k += 2 if bias else 1
        if k != len(params):
            raise ValueError(f"DenseStack: expected {k} parameter arrays, received {len(params)}.")
        outputs = dense_chain_forward(x, layers)
        if self.needs_grad is not None:
            self.x, self.layers, self.indices, self.outputs = x, layers, indices, outputs
        return outputs[-1]

    def backward(self, grad):
        needs = self.needs_grad
        targets = []
        for k, b in self.indices:
            bias = b is not None and needs[b]
            targets.append((needs[k], self.input_sink(k) if needs[k] else None,
                            bias, self.input_sink(b) if bias else None))
        gx, weight_grads = dense_chain_backward(grad, self.x, self.layers, self.outputs,
                                                targets, needs[0])
        grads: list = [gx if needs[0] else None]
        for (_, b), (gk, gb) in zip(self.indices, weight_grads, strict=True):
            grads.append(gk)
            if b is not None:
                grads.append(gb)
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


class SquaredError(Function):
    """Elementwise squared error ``(x - t)²`` against ``target`` (an option, no gradient).

    The gradient ``g·d + g·d`` with ``d = x - t`` is what the engine gives
    ``square(x - t)`` (a product of ``d`` with itself receives ``g·d`` from each
    factor), so both record the same numbers.
    """

    def forward(self, x, target: Any = None):
        d = x - np.asarray(target, dtype=x.dtype)
        if self.needs_grad is not None:
            self.d = d
        return d * d

    def backward(self, grad):
        gd = grad * self.d
        return (gd + gd,)


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
