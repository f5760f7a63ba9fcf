"""The execution plan's training step on plain arrays, for a model that is one dense chain.

The graph path of a training step records a node per operation, walks the graph
backwards and hands gradients from node to node; for a small network that
bookkeeping costs more than the arithmetic. When a model's plan is exactly one
chain of fused dense layers and its loss is one built-in loss with a fused
engine primitive, the plan (:meth:`ExecutionPlan.array_train_step
<descend.models.plan.ExecutionPlan.array_train_step>`) offers this step instead.
It runs the same kernels in the same order on arrays, with nothing recorded:

1. forward: :func:`~descend.autograd.ops.nn.dense_chain_forward` (each hidden
   layer's output into a work buffer kept per batch size and dtype; the model's
   output is always a new array, since metrics receive it);
2. the per-sample losses and their gradient: the loss's primitive
   (:meth:`Loss.fusion_spec <descend.losses.LossFunctionWrapper.fusion_spec>`),
   its ``forward`` then ``backward``, around the mean's
   (:class:`~descend.autograd.ops.reduce.Mean`; for binary cross-entropy and
   mean squared error first each sample's mean over its output values);
3. backward: :func:`~descend.autograd.ops.nn.dense_chain_backward`, writing each
   weight's gradient into its gradient sink (the optimizer's flat gradient
   buffer) where it has one, as the engine does;
4. ``optimizer.step()``: the optimizer's own update, unchanged.

The numbers are those of the graph path, operation for operation
(``tests/test_array_step.py`` compares both). A call returns None, and the
trainer takes the graph path for that batch, whenever the batch does not fit:
not one 2-D input with the first layer's width, labels of another layout than
the loss's (class ids ``(batch,)`` or ``(batch, 1)``, else the output's shape, or
``(batch,)`` for one output unit where the loss averages over output values),
a weight that already holds a gradient or does not require one, or a loss
primitive that rejects the labels (the graph path then raises its own error).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend import config
from descend.autograd.ops.nn import dense_chain_backward, dense_chain_forward
from descend.autograd.ops.reduce import Mean

__all__ = ["ArrayTrainStep"]


class ArrayTrainStep:
    """One training step of a dense chain on arrays (see the module docstring).

    Parameters
    ----------
    params : list of (Variable, Variable or None, str)
        Each layer's kernel, bias and fused activation, in order.
    spec : LossSpec
        The loss's primitive (:mod:`descend.losses.fusion`).
    optimizer : Optimizer
        Its ``step()`` applies the update.
    """

    __slots__ = ("params", "spec", "optimizer", "width", "units", "buffers")

    def __init__(self, params: list[tuple[Any, Any, str]], spec: Any, optimizer: Any) -> None:
        self.params, self.spec, self.optimizer = params, spec, optimizer
        self.width = params[0][0].shape[0]
        self.units = params[-1][0].shape[1]
        self.buffers: dict[tuple, list] = {}  # (batch, dtype) -> hidden outputs' buffers

    def _buffers(self, n: int, dtype: np.dtype) -> list:
        key = (n, dtype)
        buffers = self.buffers.get(key)
        if buffers is None:
            if len(self.buffers) >= 4:  # a few batch sizes (the last batch is often partial)
                self.buffers.clear()
            buffers = [np.empty((n, kernel.shape[1]), dtype) for kernel, _, _ in self.params]
            buffers[-1] = None  # the model's output: a new array every step
            self.buffers[key] = buffers
        return buffers

    def __call__(self, xs: list[np.ndarray], ys: list[np.ndarray] | None) -> Any:
        """Train on one batch; ``(loss, output)`` arrays, or None if the batch does not fit.

        Parameters
        ----------
        xs : list of ndarray
            The model's inputs (one, shape ``(batch, width)``).
        ys : list of ndarray
            The targets (one).

        Returns
        -------
        tuple or None
            The loss (0-d array) and the model's output ``(batch, units)``.
        """
        if len(xs) != 1 or ys is None or len(ys) != 1:
            return None
        x, y = xs[0], ys[0]
        if x.ndim != 2 or x.shape[1] != self.width:
            return None
        n, spec = x.shape[0], self.spec
        if spec.sparse:
            if y.shape != (n,) and y.shape != (n, 1):
                return None
        elif y.shape != (n, self.units):
            if not (spec.per_sample_mean and self.units == 1 and y.shape == (n,)):
                return None
            y = y.reshape(n, 1)  # the reference's rank fix-up for one output unit
        arrays, targets, weights = [], [], []
        for kernel, bias, activation in self.params:
            if kernel.grad is not None or not kernel.requires_grad:
                return None
            if bias is None:
                arrays.append((kernel.data, None, activation))
                targets.append((True, kernel.grad_sink, False, None))
            else:
                if bias.grad is not None or not bias.requires_grad:
                    return None
                arrays.append((kernel.data, bias.data, activation))
                targets.append((True, kernel.grad_sink, True, bias.grad_sink))
            weights.append((kernel, bias))
        dtype = x.dtype if x.dtype == arrays[0][0].dtype else \
            np.result_type(x.dtype, arrays[0][0].dtype)
        outputs = dense_chain_forward(x, arrays, self._buffers(n, dtype))
        out = outputs[-1]
        loss_fn = spec.kernel()
        loss_fn.needs_grad = (True,)
        options = dict(spec.options, eps=config.epsilon()) if spec.epsilon else spec.options
        try:
            values = loss_fn.forward(out, target=y, **options)
        except ValueError:
            return None  # the graph path raises the loss's own message
        per_sample = None
        if spec.per_sample_mean:  # each sample's loss: the mean over its output values
            per_sample = Mean()
            per_sample.needs_grad = (True,)
            values = per_sample.forward(values, axis=-1)
        mean = Mean()
        mean.needs_grad = (True,)
        loss = np.asarray(mean.forward(values))
        seed = np.array(1, dtype=loss.dtype).reshape(loss.shape)  # d loss / d loss
        grad = mean.backward(seed)[0]
        if per_sample is not None:
            grad = per_sample.backward(grad)[0]
        (grad,) = loss_fn.backward(grad)
        _, weight_grads = dense_chain_backward(grad, x, arrays, outputs, targets, False)
        for (kernel, bias), (gk, gb) in zip(weights, weight_grads, strict=True):
            # as the engine's leaves receive them: in the weight's dtype
            kernel.grad = gk if gk.dtype == kernel.data.dtype else gk.astype(kernel.data.dtype)
            if bias is not None:
                bias.grad = gb if gb.dtype == bias.data.dtype else gb.astype(bias.data.dtype)
        self.optimizer.step()
        return loss, out
