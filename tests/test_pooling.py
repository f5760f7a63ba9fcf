"""Pooling primitives and layers: naive-loop references, gradcheck, shapes, errors."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from descend.autograd import Tensor, gradcheck
from descend.autograd.ops import pool as P
from descend.autograd.ops.conv import padding_amounts


def naive_pool(x, pool, strides, padding, kind):
    """Loop over output positions; padding is excluded from maxima and means."""
    pads = [padding_amounts(n, k, s, 1, padding)
            for n, k, s in zip(x.shape[1:-1], pool, strides, strict=True)]
    out = [(n + lo + hi - k) // s + 1
           for n, k, s, (lo, hi) in zip(x.shape[1:-1], pool, strides, pads, strict=True)]
    y = np.zeros((x.shape[0], *out, x.shape[-1]))
    for o in np.ndindex(*out):
        index = [slice(None)]
        for oi, k, s, (lo, _), n in zip(o, pool, strides, pads, x.shape[1:-1], strict=True):
            start = oi * s - lo
            index.append(slice(max(start, 0), min(start + k, n)))
        window = x[tuple(index)].reshape(x.shape[0], -1, x.shape[-1])
        y[(slice(None), *o)] = window.max(axis=1) if kind == "max" else window.mean(axis=1)
    return y


CASES = [
    # (spatial, pool, strides, padding)
    ((7, 5), (2, 2), (2, 2), "valid"),
    ((7, 5), (2, 2), (2, 2), "same"),
    ((7, 5), (3, 3), (1, 1), "valid"),
    ((7, 5), (3, 2), (2, 1), "same"),
    ((7, 5), (3, 3), (3, 3), "same"),
    ((6, 6), (2, 3), (1, 2), "valid"),
    ((9,), (2,), (2,), "valid"),
    ((9,), (3,), (2,), "same"),
    ((8,), (4,), (1,), "valid"),
]


@pytest.mark.parametrize("spatial, pool, strides, padding", CASES)
@pytest.mark.parametrize("kind", ["max", "average"])
def test_pool_forward_matches_naive_loop(spatial, pool, strides, padding, kind):
    x = np.random.default_rng(0).standard_normal((2, *spatial, 3))
    fn = P.max_pool if kind == "max" else P.average_pool
    y = fn(x, pool, strides, padding)
    expected = naive_pool(x, pool, strides, padding, kind)
    assert y.shape == expected.shape
    np.testing.assert_allclose(y.data, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("spatial, pool, strides, padding", CASES)
@pytest.mark.parametrize("kind", ["max", "average"])
def test_pool_gradcheck(spatial, pool, strides, padding, kind):
    # distinct values, far apart: no ties, and finite differences never swap maxima
    size = 2 * int(np.prod(spatial)) * 3
    x = np.random.default_rng(1).permutation(size).reshape(2, *spatial, 3) * 0.01
    fn = P.max_pool if kind == "max" else P.average_pool
    assert gradcheck(lambda t: fn(t, pool, strides, padding), x)


def test_max_pool_gives_a_tie_to_the_first_maximum_only():
    x = Tensor(np.ones((1, 2, 2, 1)), requires_grad=True)
    P.max_pool(x, 2).sum().backward()
    assert x.grad[0, :, :, 0].tolist() == [[1.0, 0.0], [0.0, 0.0]]
    x = Tensor(np.array([[[[0.0], [2.0], [2.0]]]]).reshape(1, 3, 1), requires_grad=True)
    P.max_pool(x, 2, strides=1).sum().backward()  # overlapping windows share the 2 at index 1
    assert x.grad.ravel().tolist() == [0.0, 2.0, 0.0]


def test_pool_keeps_float32_and_gradient_sums():
    x = Tensor(np.random.default_rng(2).random((4, 6, 6, 2)).astype(np.float32),
               requires_grad=True)
    y = P.average_pool(x, 2)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad, 0.25)
    y = P.max_pool(Tensor(x.data), 3, strides=2)
    assert y.dtype == np.float32


@pytest.mark.parametrize("size, pool, stride", list(itertools.product(
    [1, 2, 5, 7, 28], [1, 2, 3], [1, 2, 3])))
def test_pool_output_size_formulas(size, pool, stride):
    x = np.zeros((1, size, 1))
    same = P.max_pool(x, pool, stride, "same")
    assert same.shape[1] == math.floor((size - 1) / stride) + 1
    if size >= pool:
        assert P.average_pool(x, pool, stride).shape[1] == math.floor((size - pool) / stride) + 1


def test_pool_errors():
    with pytest.raises(ValueError, match="larger than the input"):
        P.max_pool(np.zeros((1, 2, 2, 1)), 3)
    with pytest.raises(ValueError, match="pool_size"):
        P.average_pool(np.zeros((1, 4, 4, 1)), 0)
    with pytest.raises(ValueError, match="padding"):
        P.max_pool(np.zeros((1, 4, 4, 1)), 2, padding="causal")
