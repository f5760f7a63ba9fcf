"""``Tensor``: a NumPy array that remembers how it was computed.

A tensor holds ``data`` (an ``ndarray``), ``grad`` (the gradient of a loss with
respect to it, filled by :meth:`Tensor.backward`), ``requires_grad`` and the
:class:`~descend.autograd.function.Function` node that produced it. Calling
``loss.backward()`` walks the recorded graph from the loss back to the leaves,
applying the chain rule at each node: this is backpropagation.

Examples
--------
>>> from descend.autograd import Tensor
>>> w = Tensor([0.5, -1.0], requires_grad=True)
>>> x = Tensor([2.0, 3.0])
>>> loss = ((w * x).sum() - 1.0) ** 2
>>> loss.backward()
>>> w.grad  # d loss / d w = 2 * (w.x - 1) * x
array([-12., -18.], dtype=float32)
"""

from __future__ import annotations

import builtins
from heapq import heappop, heappush
from typing import Any

import numpy as np

from descend import config
from descend.autograd.function import Function, unbroadcast


def _as_array(data: Any, dtype: Any = None) -> np.ndarray:
    if isinstance(data, Tensor):
        data = data.data
    if dtype is None and not isinstance(data, np.ndarray) and not isinstance(data, np.generic):
        arr = np.asarray(data)
        if arr.dtype.kind == "f":
            return arr.astype(config.floatx(), copy=False)
    else:
        arr = np.asarray(data, dtype=dtype)
    if dtype is None and arr.dtype.kind not in "fc":
        if arr.dtype.kind not in "biu":
            raise TypeError(
                f"Tensor: expected numeric data, received an array of dtype {arr.dtype}. "
                "Convert it with numpy.asarray(data, dtype='float32') first."
            )
        arr = arr.astype(config.floatx())
    return arr


class Tensor:
    """An n-dimensional array with reverse-mode automatic differentiation.

    Parameters
    ----------
    data : array_like
        The values. Python numbers and lists, and integer or boolean arrays, are
        converted to the default float type (``descend.config.floatx()``,
        float32 unless changed); float NumPy arrays keep their dtype.
    requires_grad : bool, default False
        Whether operations on this tensor are recorded so that ``backward`` can
        compute its gradient.
    dtype : dtype, optional
        Convert the data to this dtype.
    name : str, optional
        A label shown in ``repr`` and in error messages.

    Attributes
    ----------
    data : ndarray
        The values, shape ``shape``.
    grad : ndarray or None
        Gradient accumulated by ``backward`` (same shape and dtype as ``data``).
    grad_sink : ndarray or None
        Where ``backward`` writes this leaf's gradient (see :meth:`set_grad_sink`);
        None: a fresh array, or one a primitive made, becomes ``grad``.
    """

    __slots__ = ("data", "grad", "grad_sink", "requires_grad", "_ctx", "name", "__weakref__")
    __array_priority__ = 1000.0  # ndarray <op> Tensor defers to Tensor
    __array_ufunc__ = None  # make numpy binary operators return NotImplemented

    def __init__(
        self,
        data: Any,
        requires_grad: bool = False,
        dtype: Any = None,
        name: str | None = None,
    ) -> None:
        self.data = _as_array(data, dtype)
        self.grad: np.ndarray | None = None
        self.grad_sink: np.ndarray | None = None
        self.requires_grad = bool(requires_grad)
        self._ctx: Function | None = None
        self.name = name

    @staticmethod
    def _make(data: np.ndarray, requires_grad: bool, ctx: Function | None) -> Tensor:
        t = Tensor.__new__(Tensor)
        t.data = data
        t.grad = None
        t.grad_sink = None
        t.requires_grad = requires_grad
        t._ctx = ctx
        t.name = None
        return t

    # ----------------------------------------------------------------- basics
    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of ``data``."""
        return self.data.shape

    @property
    def ndim(self) -> int:
        """Number of dimensions of ``data``."""
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        """dtype of ``data``."""
        return self.data.dtype

    @property
    def size(self) -> int:
        """Number of elements of ``data``."""
        return self.data.size

    @property
    def is_leaf(self) -> bool:
        """True for tensors not produced by a recorded operation."""
        return self._ctx is None

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        extra = ", requires_grad=True" if self.requires_grad else ""
        label = f", name={self.name!r}" if self.name else ""
        return f"Tensor({np.array2string(self.data, separator=', ')}{extra}{label})"

    def numpy(self) -> np.ndarray:
        """Return the underlying array (not a copy)."""
        return self.data

    def item(self) -> float:
        """Return the value of a one-element tensor as a Python number."""
        return self.data.item()

    def detach(self) -> Tensor:
        """Return a tensor sharing ``data`` but cut from the graph."""
        return Tensor._make(self.data, False, None)

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (sets ``grad`` to ``None``)."""
        self.grad = None

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if copy:
            return np.array(self.data, dtype=dtype, copy=True)
        return self.data if dtype is None else self.data.astype(dtype, copy=False)

    # ----------------------------------------------------- storage and sink
    def use_storage(self, storage: np.ndarray) -> None:
        """Keep this tensor's values in ``storage`` from now on (copying them there).

        ``storage`` is any writable array of the tensor's shape, typically a view
        of a larger buffer that holds many tensors side by side, so that one
        NumPy call can update them all. ``data`` becomes ``storage``.

        Parameters
        ----------
        storage : ndarray
            Writable, same shape as ``data``; values are cast to its dtype.

        Raises
        ------
        ValueError
            If the shape differs or ``storage`` is read-only.
        """
        _check_buffer("use_storage", "storage", storage, self.data.shape)
        np.copyto(storage, self.data, casting="unsafe")
        self.data = storage

    def set_grad_sink(self, sink: np.ndarray | None) -> None:
        """Give this leaf a gradient sink: the array ``backward`` writes its gradient into.

        With a sink, the first gradient a ``backward`` pass delivers to the leaf
        is written into ``sink`` (a primitive may even compute it there, see
        :meth:`Function.input_sink`) and ``grad`` becomes ``sink``; further
        contributions are added into it in place. ``zero_grad`` (``grad = None``)
        makes the next pass overwrite it. ``None`` removes the sink. Clears
        ``grad``.

        Parameters
        ----------
        sink : ndarray or None
            Writable, same shape as ``data``.

        Raises
        ------
        ValueError
            If the shape differs or ``sink`` is read-only.

        Examples
        --------
        >>> buffer = np.zeros(5, dtype="float32")
        >>> w = Tensor([1.0, 2.0], requires_grad=True)
        >>> w.set_grad_sink(buffer[1:3])
        >>> (w * 3.0).sum().backward()
        >>> buffer
        array([0., 3., 3., 0., 0.], dtype=float32)
        >>> w.grad.base is buffer
        True
        """
        if sink is not None:
            _check_buffer("set_grad_sink", "sink", sink, self.data.shape)
        self.grad_sink = sink
        self.grad = None

    # --------------------------------------------------------------- backward
    def _receive(self, grad: np.ndarray, keep: bool) -> None:
        """Accumulate ``grad`` into this leaf's ``grad``: through its sink, or by
        keeping the array itself when the ownership rule allows (``keep``)."""
        if self.grad is not None:
            np.add(self.grad, grad, out=self.grad, casting="unsafe")
        elif self.grad_sink is not None:
            if grad is not self.grad_sink:  # else a primitive already wrote it there
                np.copyto(self.grad_sink, grad, casting="unsafe")
            self.grad = self.grad_sink
        elif keep and grad.dtype == self.data.dtype:
            self.grad = grad
        else:
            self.grad = np.array(grad, dtype=self.data.dtype)

    def backward(self, grad: Any = None, retain_graph: bool = False) -> None:
        """Backpropagate: accumulate d(self)/d(leaf) into every leaf's ``grad``.

        Nodes are visited in reverse topological order; each receives its
        complete gradient, calls its ``backward`` and passes one gradient to
        each parent: a leaf accumulates it (into its sink, if it has one), an
        inner node collects it until its own turn. Gradients of inner tensors
        are freed once propagated and, unless ``retain_graph`` is true, so are
        the saved forward values. No recursion: chains of any length work.

        Parameters
        ----------
        grad : array_like, optional
            Gradient of the final objective with respect to this tensor, same
            shape. Defaults to 1 for a one-element tensor (a scalar loss).
        retain_graph : bool, default False
            Keep the graph so that ``backward`` can be called again.

        Raises
        ------
        RuntimeError
            If the tensor does not require grad, or if the graph behind it was
            already freed by an earlier ``backward`` (without ``retain_graph``).
        ValueError
            If ``grad`` is omitted for a tensor with more than one element, or
            has the wrong shape.
        """
        seed = self._seed(grad)
        if self._ctx is None:
            self._receive(seed, keep=False)
            return
        # Every node is created after its parents, so it has a larger creation number
        # (``Function.seq``): popping the largest pending number first is a reverse
        # topological order, found without sorting the graph.
        owed = {id(self): seed}  # gradients collected for the pending inner nodes
        pending = [(-self._ctx.seq, id(self), self)]
        passed = {id(seed)}  # arrays handed on in this pass (see _may_keep)
        while pending:
            node = heappop(pending)[2]
            g = owed.pop(id(node))
            ctx = node._ctx
            parent_grads = ctx.backward(g)
            for parent, pg in zip(ctx.parents, parent_grads, strict=True):
                if pg is None or not parent.requires_grad:
                    continue
                if pg.shape != parent.data.shape:
                    pg = unbroadcast(pg, parent.data.shape)
                keep = _may_keep(pg, g, parent_grads, passed)
                pid = id(parent)
                if parent._ctx is None:
                    parent._receive(pg, keep)
                elif pid in owed:
                    owed[pid] = owed[pid] + pg
                else:
                    owed[pid] = pg
                    heappush(pending, (-parent._ctx.seq, pid, parent))
            if not retain_graph:
                node._ctx = _FREED

    def _seed(self, grad: Any) -> np.ndarray:
        """The gradient ``backward`` starts from, checked."""
        if not self.requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require grad (no input of the computation "
                "had requires_grad=True, or it was computed under no_grad())."
            )
        if grad is None:
            if self.data.size != 1:
                raise ValueError(
                    f"backward: grad can be omitted only for a one-element tensor (a scalar "
                    f"loss); this tensor has shape {self.shape}. Pass grad=ones_like or reduce "
                    "it with .sum() or .mean() first."
                )
            return np.array(1, dtype=self.data.dtype).reshape(self.data.shape)
        grad = np.asarray(grad.data if isinstance(grad, Tensor) else grad, self.dtype)
        if grad.shape != self.shape:
            raise ValueError(
                f"backward: grad must have the tensor's shape {self.shape}, received "
                f"{grad.shape}."
            )
        return grad

    # ------------------------------------------------------------- operators
    def __add__(self, other: Any) -> Tensor:
        return _ops.add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return _ops.add(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return _ops.sub(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return _ops.sub(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return _ops.mul(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return _ops.mul(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return _ops.div(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return _ops.div(other, self)

    def __neg__(self) -> Tensor:
        return _ops.neg(self)

    def __pow__(self, other: Any) -> Tensor:
        return _ops.pow(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return _ops.pow(other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return _ops.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return _ops.matmul(other, self)

    def __abs__(self) -> Tensor:
        return _ops.abs(self)

    def __getitem__(self, index: Any) -> Tensor:
        return _ops.getitem(self, index)

    # comparisons give plain boolean arrays: they have no gradient
    def __lt__(self, other: Any) -> np.ndarray:
        return self.data < _data(other)

    def __le__(self, other: Any) -> np.ndarray:
        return self.data <= _data(other)

    def __gt__(self, other: Any) -> np.ndarray:
        return self.data > _data(other)

    def __ge__(self, other: Any) -> np.ndarray:
        return self.data >= _data(other)

    # elementwise, as in Keras (``ops.cast(a, "int32") == b``); hashing stays by identity
    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        return self.data == _data(other)

    def __ne__(self, other: Any) -> Any:  # type: ignore[override]
        return self.data != _data(other)

    __hash__ = object.__hash__

    # Python conversions and the remaining operators of Keras's tensors; these go
    # through descend.ops (floor division and modulo have no gradient, as in Keras)
    def __float__(self) -> float:
        return float(self.data)

    def __int__(self) -> int:
        return int(self.data)

    def __bool__(self) -> bool:
        return bool(self.data)

    def __pos__(self) -> Tensor:
        return self

    def __floordiv__(self, other: Any) -> Tensor:
        from descend import ops

        return ops.floor_divide(self, other)

    def __rfloordiv__(self, other: Any) -> Tensor:
        from descend import ops

        return ops.floor_divide(other, self)

    def __mod__(self, other: Any) -> Tensor:
        from descend import ops

        return ops.mod(self, other)

    def __rmod__(self, other: Any) -> Tensor:
        from descend import ops

        return ops.mod(other, self)

    def __and__(self, other: Any) -> Tensor:
        from descend import ops

        return ops.logical_and(self, other)

    def __or__(self, other: Any) -> Tensor:
        from descend import ops

        return ops.logical_or(self, other)

    def __xor__(self, other: Any) -> Tensor:
        from descend import ops

        return ops.logical_xor(self, other)

    def __invert__(self) -> Tensor:
        from descend import ops

        return ops.logical_not(self)

    # --------------------------------------------------------------- methods
    def sum(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Sum over ``axis`` (all axes by default); see :func:`descend.autograd.ops.sum`."""
        return _ops.sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Mean over ``axis``; see :func:`descend.autograd.ops.mean`."""
        return _ops.mean(self, axis=axis, keepdims=keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Maximum over ``axis``; see :func:`descend.autograd.ops.max`."""
        return _ops.max(self, axis=axis, keepdims=keepdims)

    def min(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Minimum over ``axis``; see :func:`descend.autograd.ops.min`."""
        return _ops.min(self, axis=axis, keepdims=keepdims)

    def reshape(self, *shape: Any) -> Tensor:
        """Reshape; accepts ``reshape(2, 3)`` or ``reshape((2, 3))``."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return _ops.reshape(self, shape)

    def transpose(self, *axes: Any) -> Tensor:
        """Permute axes (reverse them when none are given)."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return _ops.transpose(self, axes or None)

    @property
    def T(self) -> Tensor:  # noqa: N802  (NumPy's name)
        """The tensor with its axes reversed."""
        return _ops.transpose(self, None)

    def exp(self) -> Tensor:
        """Elementwise ``e**x``."""
        return _ops.exp(self)

    def log(self) -> Tensor:
        """Elementwise natural logarithm."""
        return _ops.log(self)

    def sqrt(self) -> Tensor:
        """Elementwise square root."""
        return _ops.sqrt(self)

    def abs(self) -> Tensor:
        """Elementwise absolute value."""
        return _ops.abs(self)

    def clip(self, min_value: Any = None, max_value: Any = None) -> Tensor:
        """Clip values to ``[min_value, max_value]``."""
        return _ops.clip(self, min_value, max_value)

    def sigmoid(self) -> Tensor:
        """Elementwise logistic sigmoid ``1 / (1 + e**-x)``."""
        return _ops.sigmoid(self)

    def tanh(self) -> Tensor:
        """Elementwise hyperbolic tangent."""
        return _ops.tanh(self)

    def relu(self) -> Tensor:
        """Elementwise ``max(x, 0)``."""
        return _ops.relu(self)

    def softmax(self, axis: int = -1) -> Tensor:
        """Softmax along ``axis``."""
        return _ops.softmax(self, axis=axis)

    def log_softmax(self, axis: int = -1) -> Tensor:
        """Log-softmax along ``axis``."""
        return _ops.log_softmax(self, axis=axis)

    def logsumexp(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """``log(sum(exp(x)))`` along ``axis``, computed stably."""
        return _ops.logsumexp(self, axis=axis, keepdims=keepdims)

    def astype(self, dtype: Any) -> Tensor:
        """Cast to ``dtype`` (differentiable)."""
        return _ops.cast(self, dtype)


def _data(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


def _may_keep(grad: Any, incoming: np.ndarray, siblings: tuple, passed: set[int]) -> bool:
    """The ownership rule of ``backward``, the only place that decides it.

    A gradient array handed to a parent may be *kept* by a leaf as its ``grad``
    (and later added into in place) only if nothing else can see it: it is a
    plain ndarray owning its writable memory (no view, no scalar), not the
    gradient the node itself received (``incoming``, which its giver may hold),
    not returned for two parents of the node (``siblings``), and not handed on
    before in this pass (``passed``, updated here). Otherwise the leaf copies.
    """
    key = id(grad)
    seen = key in passed
    passed.add(key)
    return (not seen and grad is not incoming and type(grad) is np.ndarray
            and grad.flags.owndata and grad.flags.writeable
            and builtins.sum(q is grad for q in siblings) == 1)


def _check_buffer(what: str, name: str, array: Any, shape: tuple[int, ...]) -> None:
    if not isinstance(array, np.ndarray) or array.shape != shape or not array.flags.writeable:
        raise ValueError(
            f"Tensor.{what}: `{name}` must be a writable ndarray of the tensor's shape {shape}; "
            f"received {type(array).__name__}"
            + (f" of shape {array.shape}" if isinstance(array, np.ndarray) else "") + "."
        )


class _FreedGraph(Function):
    """Stands in for a node whose graph a ``backward`` call has already freed."""

    seq = 0

    def backward(self, grad: np.ndarray) -> tuple:
        raise RuntimeError(
            "backward: part of this graph was already freed by a previous backward() call. "
            "Pass retain_graph=True to the first backward() to backpropagate through the "
            "same graph again, recompute the forward pass, or use .detach() on a tensor "
            "kept from the old graph to treat it as a constant."
        )


_FREED = _FreedGraph()


from descend.autograd import ops as _ops  # noqa: E402  (circular: ops build Tensors)
