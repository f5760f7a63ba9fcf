"""The DenseStack primitive: several fused dense layers as one graph node.

Checks its gradients against central differences in float64 (every fused
activation, with and without bias, rank-3 input, input gradient on or off), that
it equals a chain of Dense nodes exactly, that gradients land in the
optimizer's flat buffer (models training with the stack: tests/test_execution_plan.py).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from descend import ops
from descend.autograd import Tensor, Variable, gradcheck
from descend.layers.fusion import FUSED_ACTIVATIONS

ACTIVATIONS = list(FUSED_ACTIVATIONS)


def _params(rng, sizes, biases):
    out = []
    for (n_in, n_out), bias in zip(itertools.pairwise(sizes), biases, strict=True):
        out.append(rng.standard_normal((n_in, n_out)) * 0.7)
        if bias:
            out.append(rng.standard_normal(n_out) * 0.3)
    return out


def _layers_from(tensors, activations, biases):
    result, k = [], 0
    for activation, bias in zip(activations, biases, strict=True):
        result.append((tensors[k], tensors[k + 1] if bias else None, activation))
        k += 2 if bias else 1
    return result


@pytest.mark.parametrize("first,last", list(itertools.product(ACTIVATIONS, ACTIVATIONS)))
def test_gradcheck_every_activation_pair(first, last):
    rng = np.random.default_rng(0)
    activations, biases = (first, "tanh", last), (True, False, True)
    x = rng.standard_normal((4, 3))
    params = _params(rng, (3, 5, 4, 3), biases)

    def fn(x, *p):
        return ops.dense_stack(x, _layers_from(p, activations, biases))

    assert gradcheck(fn, x, *params)


def test_gradcheck_rank3_input():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 4))
    params = _params(rng, (4, 5, 2), (True, True))
    assert gradcheck(lambda x, *p: ops.dense_stack(
        x, _layers_from(p, ("relu", "sigmoid"), (True, True))), x, *params)


def test_equals_chain_of_dense_nodes_exactly_and_skips_unneeded_gradients():
    rng = np.random.default_rng(2)
    x = Tensor(rng.standard_normal((6, 3)).astype(np.float32))  # needs no gradient
    weights = [Variable(a.astype(np.float32)) for a in _params(rng, (3, 8, 2), (True, True))]
    stacked = ops.dense_stack(x, [(weights[0], weights[1], "relu"),
                                  (weights[2], weights[3], "softmax")])
    chained = ops.dense(ops.dense(x, weights[0], weights[1], "relu"), weights[2], weights[3],
                        "softmax")
    np.testing.assert_array_equal(stacked.data, chained.data)
    (chained * chained).sum().backward()
    expected = [w.grad.copy() for w in weights]
    for w in weights:
        w.grad = None
    (stacked * stacked).sum().backward()
    for w, g in zip(weights, expected, strict=True):
        np.testing.assert_array_equal(w.grad, g)
    assert x.grad is None


def test_frozen_kernel_gets_no_gradient():
    rng = np.random.default_rng(3)
    x = Tensor(rng.standard_normal((5, 3)), requires_grad=True)
    kernel = Tensor(rng.standard_normal((3, 4)))  # requires_grad False: frozen
    k2 = Variable(rng.standard_normal((4, 2)))
    out = ops.dense_stack(x, [(kernel, None, "tanh"), (k2, None, "linear")])
    out.sum().backward()
    assert kernel.grad is None and k2.grad is not None and x.grad.shape == (5, 3)


def test_bad_arguments_are_named():
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match="activation must be one of"):
        ops.dense_stack(x, [(Tensor(np.ones((3, 2))), None, "elu")])
    with pytest.raises(ValueError, match="at least one"):
        ops.dense_stack(x, [])
