"""The primitive-operation protocol: forward and backward side by side.

Every differentiable primitive in descend is a small subclass of :class:`Function`
with two methods:

``forward(*arrays, **options) -> ndarray``
    computes the result from NumPy arrays and saves on ``self`` what the backward
    pass will need (only when ``self.needs_grad`` is not ``None``);
``backward(grad) -> tuple``
    receives the gradient of the loss with respect to the output and returns one
    gradient per input (``None`` for an input that needs none).

A gradient may come back with the *broadcast* shape of the output; the engine
reduces it to the input's shape in exactly one place, :func:`unbroadcast`, when
it reaches the parent. Backward methods must never write into ``grad``, and must
return freshly computed arrays (or ``grad`` itself, or an input's gradient sink
they wrote into, see :meth:`Function.input_sink`), never an array saved on
``self``: a leaf may keep a returned array as its ``.grad`` and later add
into it in place (the rule is ``tensor._may_keep``).

Examples
--------
>>> import numpy as np
>>> from descend.autograd import Function, Tensor
>>> class Cube(Function):
...     def forward(self, x):
...         self.x = x
...         return x ** 3
...     def backward(self, grad):
...         return (grad * 3 * self.x ** 2,)
>>> x = Tensor([2.0], requires_grad=True)
>>> Cube.apply(x).sum().backward()
>>> x.grad
array([12.], dtype=float32)
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from descend.autograd import grad_mode

_creation_order = itertools.count(1)
"""Numbers recorded nodes in creation order; ``backward`` processes them in reverse."""


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` over the axes along which an input of ``shape`` was broadcast.

    Parameters
    ----------
    grad : ndarray
        Gradient with the broadcast (output) shape.
    shape : tuple of int
        Shape of the input that was broadcast.

    Returns
    -------
    ndarray
        Gradient with exactly ``shape``.

    Examples
    --------
    >>> import numpy as np
    >>> unbroadcast(np.ones((4, 3)), (3,))
    array([4., 4., 4.])
    >>> unbroadcast(np.ones((4, 3)), (4, 1)).shape
    (4, 1)
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


class Function:
    """Base class of all primitive operations (see the module docstring).

    Attributes
    ----------
    parents : tuple of Tensor
        The inputs, kept only while a graph is recorded.
    needs_grad : tuple of bool or None
        Which inputs need a gradient; ``None`` when no graph is recorded (then
        ``forward`` need not save anything).
    """

    parents: tuple = ()
    needs_grad: tuple[bool, ...] | None = None
    seq: int = 0

    def input_sink(self, index: int) -> np.ndarray | None:
        """The gradient sink of input ``index``, when ``backward`` may write into it directly.

        A leaf with a gradient sink (:meth:`Tensor.set_grad_sink`) that has no
        gradient yet in this pass, and is input ``index`` only (not also another
        input of this node), will receive its gradient in the sink anyway: a
        primitive may compute it there (``np.matmul(..., out=sink)``) and return
        the sink, which saves a copy. Returns None otherwise, and then the
        primitive returns a fresh array as usual.
        """
        parent = self.parents[index]
        sink = parent.grad_sink
        if sink is None or parent.grad is not None or parent._ctx is not None:
            return None
        if sum(p is parent for p in self.parents) != 1:
            return None
        return sink

    def forward(self, *arrays: np.ndarray, **options: Any) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def backward(self, grad: np.ndarray) -> tuple:  # pragma: no cover
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs: Any, **options: Any):
        """Run the operation on tensors and record it in the graph when needed.

        Parameters
        ----------
        *inputs : Tensor
            The tensor operands (non-tensor options go in ``options``).
        **options
            Keyword arguments forwarded to ``forward``.

        Returns
        -------
        Tensor
        """
        fn = cls()
        record = False
        if grad_mode.STATE.enabled:
            needs = tuple([t.requires_grad for t in inputs])
            if True in needs:
                fn.needs_grad = needs
                record = True
        out = fn.forward(*[t.data for t in inputs], **options)
        if type(out) is not np.ndarray:  # full reductions give NumPy scalars
            out = np.asarray(out)
        if record:
            fn.parents = inputs
            fn.seq = next(_creation_order)
            return Tensor._make(out, True, fn)
        return Tensor._make(out, False, None)


from descend.autograd.tensor import Tensor  # noqa: E402  (circular: Tensor uses Function)
