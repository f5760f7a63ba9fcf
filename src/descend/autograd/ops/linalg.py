"""Matrix product (``@``), batched and broadcasting like :func:`numpy.matmul`."""

from __future__ import annotations

import numpy as np

from descend.autograd.function import Function


class MatMul(Function):
    """``a @ b``.

    For 2-D operands, d/da = grad @ bᵀ and d/db = aᵀ @ grad. Leading (batch)
    dimensions broadcast as in NumPy; the engine sums the gradient over the
    broadcast ones. 1-D operands are treated as a row (``a``) or a column (``b``)
    vector, as NumPy does.
    """

    def forward(self, a, b):
        self.a, self.b = a, b
        return np.matmul(a, b)

    def backward(self, grad):
        a, b = self.a, self.b
        need_a, need_b = self.needs_grad
        if a.ndim == 1 and b.ndim == 1:  # inner product: a 0-d output
            return (grad * b if need_a else None), (grad * a if need_b else None)
        a2 = a[np.newaxis, :] if a.ndim == 1 else a
        b2 = b[:, np.newaxis] if b.ndim == 1 else b
        g = grad
        if a.ndim == 1:
            g = np.expand_dims(g, -2)
        if b.ndim == 1:
            g = np.expand_dims(g, -1)
        ga = gb = None
        if need_a:
            ga = np.matmul(g, np.swapaxes(b2, -1, -2))
            if a.ndim == 1:
                ga = ga.reshape(-1, a.shape[0]).sum(axis=0)
        if need_b:
            if a2.ndim == 2 and g.ndim > 2:
                # (n,k) @ (..., k, m): fold the batch into the rows of the product
                gb = np.matmul(
                    np.swapaxes(np.broadcast_to(a2, g.shape[:-2] + a2.shape), -1, -2), g
                )
            else:
                gb = np.matmul(np.swapaxes(a2, -1, -2), g)
            if b.ndim == 1:
                gb = gb.reshape(-1, b.shape[0]).sum(axis=0)
        return ga, gb
