"""Einstein summation and the log-determinant: products of many axes at once.

Examples
--------
>>> import numpy as np
>>> from descend.autograd import Tensor
>>> from descend.autograd.ops.tensor_algebra import Einsum
>>> a = Tensor(np.ones((2, 3)), requires_grad=True)
>>> b = Tensor(np.ones((3, 4)))
>>> Einsum.apply(a, b, inputs=("ij", "jk"), output="ik").sum().backward()
>>> a.grad  # each a_ij meets the 4 entries of row j of b
array([[4., 4., 4.],
       [4., 4., 4.]])
"""

from __future__ import annotations

import numpy as np

from descend.autograd.function import Function

#: Above this many elements in all operands, an einsum of two or more operands is planned
#: (``optimize="greedy"``): NumPy then contracts through BLAS (``tensordot``) instead of its
#: element-by-element loop, at a planning cost of some tens of microseconds.
_PLAN_ABOVE = 8192


def _einsum(subscripts: str, *arrays: np.ndarray) -> np.ndarray:
    """``np.einsum``, planned through BLAS when the operands are large (see ``_PLAN_ABOVE``)."""
    if len(arrays) > 1 and sum(a.size for a in arrays) > _PLAN_ABOVE:
        return np.einsum(subscripts, *arrays, optimize="greedy")
    return np.einsum(subscripts, *arrays)


class Einsum(Function):
    """``np.einsum`` with explicit letters: ``inputs`` (one string per operand) and ``output``.

    The gradient for operand ``i`` is itself an einsum of ``grad`` with the other
    operands, written to the operand's distinct letters; letters that appear
    nowhere else (summed out of this operand alone) are broadcast back, and
    repeated letters (a diagonal such as ``"ii"``) are written onto the diagonal.
    Ellipses must have been expanded to letters by the caller. Large contractions go
    through BLAS (NumPy's planned einsum).
    """

    def forward(self, *arrays, inputs: tuple[str, ...] = (), output: str = ""):
        self.inputs, self.output = inputs, output
        if self.needs_grad is not None:
            self.arrays = arrays
        return np.asarray(_einsum(f"{','.join(inputs)}->{output}", *arrays))

    def backward(self, grad):
        sizes: dict[str, int] = {}
        for letters, array in zip(self.inputs, self.arrays, strict=False):
            for letter, n in zip(letters, array.shape, strict=False):
                sizes[letter] = max(sizes.get(letter, 1), n)
        grads = []
        for i, (letters, array) in enumerate(zip(self.inputs, self.arrays, strict=False)):
            if not self.needs_grad[i]:
                grads.append(None)
                continue
            others = [j for j in range(len(self.arrays)) if j != i]
            seen = set(self.output).union(*(self.inputs[j] for j in others))
            distinct = "".join(dict.fromkeys(letters))
            kept = "".join(c for c in distinct if c in seen)
            spec = ",".join([self.output] + [self.inputs[j] for j in others])
            g = _einsum(f"{spec}->{kept}", grad, *[self.arrays[j] for j in others])
            if kept != distinct:  # letters summed in this operand only: broadcast back
                g = g.reshape([sizes[c] if c in kept else 1 for c in distinct])
                g = np.broadcast_to(g, [sizes[c] for c in distinct])
            if distinct != letters:  # a repeated letter: the gradient lies on a diagonal
                full = np.zeros(array.shape, g.dtype)
                np.einsum(f"{letters}->{distinct}", full)[...] = g
                g = full
            grads.append(np.array(g, dtype=grad.dtype))
        return tuple(grads)


class LogAbsDet(Function):
    """``log|det(a)|`` of square matrices ``(..., n, n)``; d/da = inv(a)ᵀ."""

    def forward(self, a):
        _, logdet = np.linalg.slogdet(a)
        if self.needs_grad is not None:
            self.a = a
        return logdet

    def backward(self, grad):
        inverse_t = np.swapaxes(np.linalg.inv(self.a), -1, -2)
        return (np.asarray(grad)[..., None, None] * inverse_t,)

