"""Sequence primitives: embedding lookup and whole-sequence LSTM and GRU.

Each recurrent primitive runs a full sequence in one graph node: the input
projection of every step is one matrix product, the loop over time does one
``(batch, units) @ (units, k*units)`` product per step, and the backward pass
(backpropagation through time) walks the steps in reverse, keeping the gate
values saved by the forward pass, then forms the weight gradients with one
product each. The formulas are Keras's (``keras.layers.LSTMCell`` and
``GRUCell``), with the same weight layouts, so weights copied from Keras give
the same numbers. A mask carries the state over masked steps, as Keras's
``backend.rnn`` does.

Examples
--------
>>> import numpy as np
>>> from descend.autograd import Tensor
>>> from descend.autograd.ops.recurrent import LSTMSequence
>>> rng = np.random.default_rng(0)
>>> x = Tensor(rng.normal(size=(2, 5, 3)))
>>> h0 = c0 = Tensor(np.zeros((2, 4)))
>>> w, r, b = (Tensor(rng.normal(size=s) * 0.3) for s in [(3, 16), (4, 16), (16,)])
>>> LSTMSequence.apply(x, h0, c0, w, r, b).shape  # 5 hidden states, then the last carry
(2, 6, 4)
"""

from __future__ import annotations

import numpy as np

from descend.autograd.function import Function


def _sigmoid_(z: np.ndarray) -> np.ndarray:
    """In-place logistic sigmoid, ``0.5 * (1 + tanh(z / 2))`` (stable for all z)."""
    z *= 0.5
    np.tanh(z, out=z)
    z += 1.0
    z *= 0.5
    return z


class EmbeddingLookup(Function):
    """Rows of a table: ``out[...] = table[ids[...]]``.

    The gradient with respect to the table is a scatter-add of the output
    gradient into the rows that were used. When the table has a gradient sink
    (``Function.input_sink``: a flat buffer holding many gradients, say) it is
    written there directly: no dense ``(input_dim, output_dim)`` temporary is made.

    Parameters (forward)
    --------------------
    table : ndarray, shape (input_dim, output_dim)
    ids : ndarray of int (option), any shape ``S``; every id in ``[0, input_dim)``

    Returns
    -------
    ndarray, shape ``S + (output_dim,)``
    """

    def forward(self, table, ids=None):
        self.ids = ids
        self.shape = table.shape
        return table[ids]

    def backward(self, grad):
        flat_ids = self.ids.reshape(-1)
        rows = grad.reshape(-1, self.shape[1])
        sink = self.input_sink(0)
        out = sink if sink is not None else np.empty(self.shape, grad.dtype)
        out.fill(0)
        np.add.at(out, flat_ids, rows)
        return (out,)


class LSTMSequence(Function):
    """A whole LSTM sequence (Keras's ``LSTMCell`` with tanh and sigmoid).

    For each step t (``z = x_t @ kernel + h @ recurrent_kernel + bias``, split
    in four along the last axis in Keras's gate order i, f, c, o)::

        i = sigmoid(z_i); f = sigmoid(z_f); g = tanh(z_c); o = sigmoid(z_o)
        c_t = f * c_{t-1} + i * g
        h_t = o * tanh(c_t)

    Where ``mask[:, t]`` is false, ``h`` and ``c`` keep their previous values.

    Parameters (forward)
    --------------------
    x : ndarray, shape (batch, steps, features)
    h0, c0 : ndarray, shape (batch, units)
    kernel : ndarray, shape (features, 4 * units)
    recurrent_kernel : ndarray, shape (units, 4 * units)
    bias : ndarray, shape (4 * units,)
    mask : ndarray of bool (option), shape (batch, steps), optional

    Returns
    -------
    ndarray, shape (batch, steps + 1, units)
        ``h_1 ... h_T`` then the last carry ``c_T``.
    """

    def forward(self, x, h0, c0, kernel, recurrent_kernel, bias, mask=None):
        steps, u = x.shape[1], h0.shape[1]
        # Internally the gates are reordered to i, f, o, c so that the three sigmoids are one
        # block, and the sigmoid columns are halved: sigmoid(z) = (1 + tanh(z / 2)) / 2, so
        # one tanh over all gates computes them all. Time-major arrays keep each step's slice
        # contiguous.
        order, scale = _lstm_order(u, x.dtype)
        rk = recurrent_kernel[:, order] * scale
        gates = np.matmul(x.transpose(1, 0, 2), kernel[:, order] * scale)  # (steps, batch, 4u)
        gates += bias[order] * scale
        hs = np.empty((steps + 1,) + h0.shape, x.dtype)
        cs = np.empty_like(hs)
        tcs = np.empty((steps,) + h0.shape, x.dtype)
        hs[0], cs[0] = h0, c0
        skip = None if mask is None else ~mask.T[:, :, None]  # (steps, batch, 1)
        product = np.empty((x.shape[0], 4 * u), x.dtype)
        for t in range(steps):
            z = gates[t]
            z += np.matmul(hs[t], rk, out=product)
            np.tanh(z, out=z)
            sig = z[:, :3 * u]
            sig *= 0.5
            sig += 0.5
            i, f, o, g = z[:, :u], z[:, u:2 * u], z[:, 2 * u:3 * u], z[:, 3 * u:]
            c = np.multiply(f, cs[t], out=cs[t + 1])
            c += i * g
            tc = np.tanh(c, out=tcs[t])
            np.multiply(o, tc, out=hs[t + 1])
            if skip is not None:
                np.copyto(cs[t + 1], cs[t], where=skip[t])
                np.copyto(hs[t + 1], hs[t], where=skip[t])
        out = np.empty((x.shape[0], steps + 1, u), x.dtype)
        out[:, :steps] = hs[1:].transpose(1, 0, 2)
        out[:, steps] = cs[steps]
        if self.needs_grad is not None:
            self.x, self.kernel, self.recurrent_kernel = x, kernel, recurrent_kernel
            self.gates, self.hs, self.cs, self.tcs, self.skip = gates, hs, cs, tcs, skip
            self.order = order
        return out

    def backward(self, grad):
        x, gates, hs, cs, tcs, skip = self.x, self.gates, self.hs, self.cs, self.tcs, self.skip
        batch, steps, features = x.shape
        u = hs.shape[2]
        order = self.order
        rk_t = np.ascontiguousarray(self.recurrent_kernel[:, order].T)
        grad_h = grad[:, :steps].transpose(1, 0, 2)
        dc = np.array(grad[:, steps], copy=True)
        dh = np.zeros((batch, u), grad.dtype)
        # The activation derivatives depend only on the forward values: computed for all
        # steps at once, they leave ten NumPy calls per step in the loop below.
        deriv = np.empty_like(gates)  # sigmoid' = s (1 - s); tanh' = 1 - g^2
        np.subtract(1.0, gates[..., :3 * u], out=deriv[..., :3 * u])
        deriv[..., :3 * u] *= gates[..., :3 * u]
        np.multiply(gates[..., 3 * u:], gates[..., 3 * u:], out=deriv[..., 3 * u:])
        np.subtract(1.0, deriv[..., 3 * u:], out=deriv[..., 3 * u:])
        through_h = np.multiply(tcs, tcs)  # d c_t / d h_t = o (1 - tanh(c_t)^2)
        np.subtract(1.0, through_h, out=through_h)
        through_h *= gates[..., 2 * u:3 * u]
        dz_all = np.empty_like(gates)
        tmp = np.empty((batch, u), grad.dtype)
        for t in range(steps - 1, -1, -1):
            dh += grad_h[t]
            z, dz = gates[t], dz_all[t]
            kept_dc = None if skip is None else dc.copy()
            np.multiply(dh, tcs[t], out=dz[:, 2 * u:3 * u])  # d o
            dc += np.multiply(dh, through_h[t], out=tmp)  # d c_t
            np.multiply(dc, z[:, 3 * u:], out=dz[:, :u])  # d i = dc g
            np.multiply(dc, cs[t], out=dz[:, u:2 * u])  # d f = dc c_{t-1}
            np.multiply(dc, z[:, :u], out=dz[:, 3 * u:])  # d g = dc i
            dz *= deriv[t]
            dc *= z[:, u:2 * u]  # d c_{t-1} = dc f
            if skip is None:
                dh = np.matmul(dz, rk_t)
            else:
                dz *= ~skip[t]
                np.copyto(dc, kept_dc, where=skip[t])
                dh_t = dh
                dh = np.matmul(dz, rk_t)
                np.add(dh, dh_t, out=dh, where=skip[t])
        needs = self.needs_grad
        back = np.argsort(order)
        dz_flat = dz_all.reshape(steps * batch, 4 * u)
        dx = None
        if needs[0]:
            dx = np.matmul(dz_all, self.kernel[:, order].T).transpose(1, 0, 2)
        dkernel = None
        if needs[3]:
            xt = x.transpose(1, 0, 2).reshape(steps * batch, features)
            dkernel = np.matmul(xt.T, dz_flat)[:, back]
        drec = None
        if needs[4]:
            drec = np.matmul(hs[:steps].reshape(steps * batch, u).T, dz_flat)[:, back]
        dbias = dz_flat.sum(axis=0)[back] if needs[5] else None
        return dx, dh, dc, dkernel, drec, dbias


def _lstm_order(units: int, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """Column order i, f, o, c of Keras's i, f, c, o layout, and the 1/2 of the sigmoid columns."""
    u = units
    order = np.concatenate([np.arange(2 * u), np.arange(3 * u, 4 * u), np.arange(2 * u, 3 * u)])
    scale = np.full(4 * u, 0.5, dtype)
    scale[3 * u:] = 1.0
    return order, scale


class GRUSequence(Function):
    """A whole GRU sequence (Keras's ``GRUCell`` with tanh and sigmoid).

    Keras's gate order is z (update), r (reset), h (candidate). With
    ``reset_after=True`` (Keras's default; ``bias`` has shape (2, 3 * units):
    input bias, then recurrent bias)::

        x_z, x_r, x_h = split(x_t @ kernel + bias[0])
        h_z, h_r, h_h = split(h @ recurrent_kernel + bias[1])
        z = sigmoid(x_z + h_z); r = sigmoid(x_r + h_r)
        hh = tanh(x_h + r * h_h)
        h_t = z * h + (1 - z) * hh

    With ``reset_after=False`` (``bias`` shape (3 * units,), added to the
    input projection), ``h_z``, ``h_r`` use the first two thirds of the
    recurrent kernel and ``hh = tanh(x_h + (r * h) @ recurrent_kernel[:, 2u:])``.
    Where ``mask[:, t]`` is false, ``h`` keeps its previous value.

    Parameters (forward)
    --------------------
    x : ndarray, shape (batch, steps, features)
    h0 : ndarray, shape (batch, units)
    kernel : ndarray, shape (features, 3 * units)
    recurrent_kernel : ndarray, shape (units, 3 * units)
    bias : ndarray, shape (2, 3 * units) or (3 * units,)
    reset_after : bool (option), default True
    mask : ndarray of bool (option), shape (batch, steps), optional

    Returns
    -------
    ndarray, shape (batch, steps, units)
        ``h_1 ... h_T``.
    """

    def forward(self, x, h0, kernel, recurrent_kernel, bias, reset_after=True, mask=None):
        batch, steps, _ = x.shape
        u = h0.shape[1]
        x_all = np.matmul(x, kernel)
        x_all += bias[0] if reset_after else bias
        rec_bias = bias[1] if reset_after else None
        out = np.empty((batch, steps, u), x.dtype)
        save = self.needs_grad is not None
        if save:
            zr_all = np.empty((batch, steps, 2 * u), x.dtype)
            hh_all = np.empty((batch, steps, u), x.dtype)
            inner_all = np.empty((batch, steps, u), x.dtype)  # h_h (after) or r*h (before)
        h = h0
        for t in range(steps):
            xt = x_all[:, t]
            if reset_after:
                rec = np.matmul(h, recurrent_kernel)
                rec += rec_bias
            else:
                rec = np.matmul(h, recurrent_kernel[:, :2 * u])
            zr = rec[:, :2 * u] + xt[:, :2 * u]
            _sigmoid_(zr)
            r = zr[:, u:]
            if reset_after:
                inner = rec[:, 2 * u:]
                hh = r * inner
            else:
                inner = r * h
                hh = np.matmul(inner, recurrent_kernel[:, 2 * u:])
            hh += xt[:, 2 * u:]
            np.tanh(hh, out=hh)
            z = zr[:, :u]
            h_new = z * h
            h_new += (1.0 - z) * hh
            if mask is not None:
                h_new = np.where(mask[:, t:t + 1], h_new, h)
            if save:
                zr_all[:, t] = zr
                hh_all[:, t] = hh
                inner_all[:, t] = inner
            out[:, t] = h_new
            h = h_new
        if save:
            self.x, self.h0, self.kernel, self.recurrent_kernel = x, h0, kernel, recurrent_kernel
            self.zr, self.hh, self.inner, self.out = zr_all, hh_all, inner_all, out
            self.reset_after, self.mask, self.bias_shape = reset_after, mask, bias.shape
        return out

    def backward(self, grad):
        x, zr_all, hh_all, inner_all, mask = self.x, self.zr, self.hh, self.inner, self.mask
        batch, steps, features = x.shape
        u = self.h0.shape[1]
        after = self.reset_after
        rk = self.recurrent_kernel
        h_prev_all = np.concatenate([self.h0[:, None], self.out[:, :steps - 1]], axis=1)
        dx_all = np.empty((batch, steps, 3 * u), grad.dtype)  # d(x @ kernel + input bias)
        drec_all = np.empty((batch, steps, 3 * u), grad.dtype)  # d(inputs of recurrent products)
        dh = np.zeros((batch, u), grad.dtype)
        rk_zr_t = rk[:, :2 * u].T
        rk_h_t = rk[:, 2 * u:].T
        rk_t = rk.T
        for t in range(steps - 1, -1, -1):
            dh_t = dh + grad[:, t]
            z, r = zr_all[:, t, :u], zr_all[:, t, u:]
            hh, inner, h_prev = hh_all[:, t], inner_all[:, t], h_prev_all[:, t]
            dxt, drt = dx_all[:, t], drec_all[:, t]
            da_h = dh_t * (1.0 - z)
            da_h *= 1.0 - hh * hh
            dxt[:, 2 * u:] = da_h
            dz = dh_t * (h_prev - hh)
            dz *= z * (1.0 - z)
            if after:
                dr = da_h * inner
                np.multiply(da_h, r, out=drt[:, 2 * u:])
            else:
                d_inner = np.matmul(da_h, rk_h_t)
                dr = d_inner * h_prev
                drt[:, 2 * u:] = da_h
            dr *= r * (1.0 - r)
            dxt[:, :u] = dz
            dxt[:, u:2 * u] = dr
            drt[:, :2 * u] = dxt[:, :2 * u]
            if mask is not None:
                m = mask[:, t:t + 1]
                dxt *= m
                drt *= m
            if after:
                dh_new = np.matmul(drt, rk_t)
            else:
                dh_new = np.matmul(drt[:, :2 * u], rk_zr_t)
                dh_new += d_inner * r if mask is None else d_inner * r * m
            direct = dh_t * z
            if mask is not None:
                direct = np.where(m, direct, dh_t)
            dh_new += direct
            dh = dh_new
        needs = self.needs_grad
        flat_x = dx_all.reshape(batch * steps, 3 * u)
        flat_r = drec_all.reshape(batch * steps, 3 * u)
        dx = np.matmul(dx_all, self.kernel.T) if needs[0] else None
        dkernel = np.matmul(x.reshape(batch * steps, features).T, flat_x) if needs[2] else None
        drec = None
        if needs[3]:
            if after:
                drec = np.matmul(h_prev_all.reshape(batch * steps, u).T, flat_r)
            else:
                drec = np.empty_like(rk)
                np.matmul(h_prev_all.reshape(batch * steps, u).T, flat_r[:, :2 * u],
                          out=drec[:, :2 * u])
                np.matmul(inner_all.reshape(batch * steps, u).T, flat_r[:, 2 * u:],
                          out=drec[:, 2 * u:])
        dbias = None
        if needs[4]:
            dbias = np.stack([flat_x.sum(axis=0), flat_r.sum(axis=0)]) if after \
                else flat_x.sum(axis=0)
        return dx, dh, dkernel, drec, dbias
