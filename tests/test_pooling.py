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
    ((7, 5), (2, 2), (3, 3), "valid"),
    ((8, 7), (2, 3), (3, 4), "same"),
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


def naive_max_pool_gradient(x, grad, pool, strides, padding):
    """Each output's gradient goes to the first maximum of its window (row-major order)."""
    pads = [padding_amounts(n, k, s, 1, padding)
            for n, k, s in zip(x.shape[1:-1], pool, strides, strict=True)]
    gx = np.zeros_like(x)
    for b, c in np.ndindex(x.shape[0], x.shape[-1]):
        for o in np.ndindex(*grad.shape[1:-1]):
            best, where = -np.inf, None
            for offset in np.ndindex(*pool):
                i = tuple(oi * s - lo + k for oi, s, (lo, _), k in
                          zip(o, strides, pads, offset, strict=True))
                if all(0 <= ii < n for ii, n in zip(i, x.shape[1:-1], strict=True)):
                    if x[(b, *i, c)] > best:
                        best, where = x[(b, *i, c)], i
            gx[(b, *where, c)] += grad[(b, *o, c)]
    return gx


@pytest.mark.parametrize("spatial, pool, strides, padding", CASES + [
    ((5, 4, 6), (2, 2, 2), (2, 2, 2), "valid"), ((4, 5, 3), (2, 3, 1), (1, 2, 1), "same"),
    ((6, 6), (1, 1), (1, 1), "valid"), ((6, 6), (4, 4), (2, 2), "same")])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_max_pool_gradient_goes_to_the_first_maximum_with_many_ties(spatial, pool, strides,
                                                                     padding, dtype):
    # values from {0, 1, 2}, like ReLU outputs: most windows hold ties
    rng = np.random.default_rng(3)
    x = np.maximum(rng.integers(-2, 3, (2, *spatial, 3)), 0).astype(dtype)
    t = Tensor(x, requires_grad=True)
    y = P.max_pool(t, pool, strides, padding)
    grad = rng.standard_normal(y.shape).astype(dtype)
    (y * Tensor(grad)).sum().backward()
    assert t.grad.dtype == dtype
    np.testing.assert_allclose(t.grad, naive_max_pool_gradient(x, grad, pool, strides, padding),
                               rtol=1e-6, atol=1e-6)


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


# ------------------------------------------------------------------- layers
from descend.layers.pooling import (  # noqa: E402
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)


@pytest.mark.parametrize("cls", [MaxPooling2D, AveragePooling2D])
@pytest.mark.parametrize("n, pool, stride, padding", [
    case for case in itertools.product([1, 2, 5, 7, 28], [1, 2, 3], [None, 1, 2, 3],
                                       ["valid", "same"])
    if case[3] == "same" or case[0] >= case[1]
])
def test_pooling2d_layer_shapes_follow_keras_formulas(cls, n, pool, stride, padding):
    layer = cls(pool_size=(pool, 1), strides=None if stride is None else (stride, 1),
                padding=padding)
    s = pool if stride is None else stride
    size = math.floor((n - pool) / s) + 1 if padding == "valid" else math.floor((n - 1) / s) + 1
    assert layer(np.zeros((1, n, 2, 3), "float32")).shape == (1, size, 2, 3)
    assert layer.compute_output_shape((None, n, 2, 3)) == (None, size, 2, 3)


def test_pooling_layer_defaults_and_config():
    layer = MaxPooling2D()
    assert layer.pool_size == (2, 2) and layer.strides == (2, 2) and layer.padding == "valid"
    assert MaxPooling1D().pool_size == (2,) and AveragePooling3D().pool_size == (2, 2, 2)
    config = AveragePooling1D(3, strides=1, padding="SAME", name="p").get_config()
    assert config == {"name": "p", "trainable": True, "dtype": "float32", "pool_size": (3,),
                      "padding": "same", "strides": (1,), "data_format": "channels_last"}
    assert AveragePooling1D.from_config(config).get_config() == config
    assert MaxPooling2D().count_params() == 0


@pytest.mark.parametrize("layer, shape", [
    (MaxPooling2D(), (2, 7, 5, 3)),
    (MaxPooling2D((3, 2), strides=(2, 1), padding="same"), (2, 7, 5, 3)),
    (AveragePooling2D(3, strides=2, padding="same"), (2, 7, 5, 3)),
    (MaxPooling1D(3, strides=2), (2, 9, 2)),
    (AveragePooling1D(2, padding="same"), (2, 9, 2)),
    (MaxPooling3D(2), (1, 3, 4, 5, 2)),
    (GlobalAveragePooling2D(), (2, 5, 3, 2)),
    (GlobalMaxPooling2D(keepdims=True), (2, 5, 3, 2)),
    (GlobalMaxPooling1D(), (2, 7, 3)),
    (GlobalAveragePooling1D(keepdims=True), (2, 7, 3)),
])
def test_pooling_layer_gradcheck(layer, shape):
    size = int(np.prod(shape))
    x = np.random.default_rng(3).permutation(size).reshape(shape) * 0.01
    assert gradcheck(lambda t: layer(t), x)


def test_global_pooling_values_and_shapes():
    x = np.random.default_rng(4).standard_normal((2, 4, 3, 5)).astype("float32")
    np.testing.assert_allclose(GlobalAveragePooling2D()(x).data, x.mean(axis=(1, 2)),
                               rtol=1e-6)
    np.testing.assert_array_equal(GlobalMaxPooling2D()(x).data, x.max(axis=(1, 2)))
    assert GlobalAveragePooling2D(keepdims=True)(x).shape == (2, 1, 1, 5)
    assert GlobalMaxPooling3D().compute_output_shape((None, 2, 3, 4, 6)) == (None, 6)
    assert GlobalAveragePooling1D(keepdims=True).compute_output_shape((None, 7, 3)) == (
        None, 1, 3)
    assert GlobalMaxPooling1D().get_config()["keepdims"] is False


def test_pooling_layer_errors():
    with pytest.raises(ValueError, match="pool size 3 is larger than the input along height"):
        MaxPooling2D(3)(np.zeros((1, 2, 9, 1), "float32"))
    with pytest.raises(ValueError, match=r"x.reshape\(-1, 28, 28, 1\)"):
        MaxPooling2D()(np.zeros((5, 28, 28), "float32"))
    with pytest.raises(ValueError, match="strictly positive"):
        MaxPooling2D(pool_size=0)
    with pytest.raises(ValueError, match="strides"):
        AveragePooling2D(strides=(1, 0))
    with pytest.raises(ValueError, match="padding"):
        MaxPooling1D(padding="causal")
    with pytest.raises(ValueError, match="transpose"):
        MaxPooling2D(data_format="channels_first")
    with pytest.raises(ValueError, match="3-D input"):
        GlobalAveragePooling1D()(np.zeros((2, 3), "float32"))
    assert MaxPooling2D(3, padding="same")(np.zeros((1, 2, 9, 1), "float32")).shape == (
        1, 1, 3, 1)
