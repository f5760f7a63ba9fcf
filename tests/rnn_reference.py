"""NumPy implementations of Keras 3's recurrent formulas, for the recurrent-layer tests.

Written from Keras's documented equations (``LSTMCell``, ``GRUCell``, ``SimpleRNNCell``
and ``backend.rnn``'s mask rule), independently of descend's code, in float64.
"""

from __future__ import annotations

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def lstm_step(x, states, kernel, recurrent_kernel, bias):
    h, c = states
    z = x @ kernel + h @ recurrent_kernel + (0 if bias is None else bias)
    i, f, g, o = np.split(z, 4, axis=-1)
    c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    h = sigmoid(o) * np.tanh(c)
    return h, [h, c]


def gru_step(x, states, kernel, recurrent_kernel, bias, reset_after=True):
    (h,) = states
    u = h.shape[-1]
    if reset_after:
        b_in, b_rec = (0, 0) if bias is None else (bias[0], bias[1])
        xz, xr, xh = np.split(x @ kernel + b_in, 3, axis=-1)
        hz, hr, hh_ = np.split(h @ recurrent_kernel + b_rec, 3, axis=-1)
        z, r = sigmoid(xz + hz), sigmoid(xr + hr)
        cand = np.tanh(xh + r * hh_)
    else:
        xz, xr, xh = np.split(x @ kernel + (0 if bias is None else bias), 3, axis=-1)
        z = sigmoid(xz + h @ recurrent_kernel[:, :u])
        r = sigmoid(xr + h @ recurrent_kernel[:, u:2 * u])
        cand = np.tanh(xh + (r * h) @ recurrent_kernel[:, 2 * u:])
    h = z * h + (1 - z) * cand
    return h, [h]


def simple_step(x, states, kernel, recurrent_kernel, bias):
    (h,) = states
    h = np.tanh(x @ kernel + (0 if bias is None else bias) + h @ recurrent_kernel)
    return h, [h]


def run_rnn(step, x, states, mask=None, go_backwards=False, zero_output_for_mask=False):
    """Keras's ``backend.rnn`` loop: (last output, outputs (batch, steps, units), states)."""
    steps = x.shape[1]
    order = range(steps - 1, -1, -1) if go_backwards else range(steps)
    outputs = []
    prev = None
    masks = []
    for t in order:
        out, new = step(x[:, t], states)
        if mask is not None:
            m = mask[:, t][:, None]
            prev = np.zeros_like(out) if prev is None else prev
            out = np.where(m, out, prev)
            new = [np.where(m, a, b) for a, b in zip(new, states, strict=True)]
            masks.append(m)
        outputs.append(out)
        states = new
        prev = out
    seq = np.stack(outputs, axis=1)
    last = seq[:, -1]
    if mask is not None and zero_output_for_mask:
        keep = np.stack(masks, axis=1)
        seq = np.where(keep, seq, 0.0)
        last = seq[:, -1]
    return last, seq, states
