"""The DenseStack primitive: several fused dense layers as one graph node.

Checks its gradients against central differences in float64 (every fused
activation, with and without bias, rank-3 input, input gradient on or off), that
it equals a chain of Dense nodes exactly, that gradients land in the
optimizer's flat buffer, and that Sequential training with the stack gives the
same weights, bit for bit, as training the same model layer by layer.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import descend
from descend import layers, ops
from descend.autograd import Tensor, Variable, gradcheck
from descend.autograd.ops import nn as _nn
from descend.models import Sequential

ACTIVATIONS = ["linear", "relu", "sigmoid", "tanh", "softmax"]


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


def _mlp(seed, plain: bool):
    """784-style MLP; ``plain=False`` uses a Dense subclass, which is never stacked."""
    dense = layers.Dense if plain else type("UnstackedDense", (layers.Dense,), {})
    descend.utils.set_random_seed(seed)
    model = Sequential([layers.Input((12,)), dense(16, activation="relu"),
                        dense(8, activation="tanh"), layers.Dropout(0.25),
                        dense(6, activation="relu"), dense(3, activation="softmax")])
    model.compile(descend.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    return model


def test_sequential_stacks_dense_runs_and_trains_identically():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((64, 12)).astype(np.float32)
    y = rng.integers(0, 3, 64)
    stacked, plain = _mlp(7, plain=True), _mlp(7, plain=False)
    out = stacked._forward([x], True)[0]
    assert isinstance(out._ctx, _nn.DenseStack)  # the last run (two Dense) is one node
    assert not isinstance(plain._forward([x], True)[0]._ctx, _nn.DenseStack)
    descend.utils.set_random_seed(11)
    h1 = stacked.fit(x, y, batch_size=16, epochs=3, verbose=0)
    descend.utils.set_random_seed(11)
    h2 = plain.fit(x, y, batch_size=16, epochs=3, verbose=0)
    assert h1.history["loss"] == h2.history["loss"]
    for a, b in zip(stacked.get_weights(), plain.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_tapped_layers_are_not_stacked():
    from descend.explain.taps import tap_layers

    model = _mlp(0, plain=True)
    x = np.zeros((2, 12), np.float32)
    with tap_layers(model.layers) as calls:
        model._forward([x], True)
    assert len(calls) == len(model.layers)
