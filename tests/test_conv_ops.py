"""Convolution and padding primitives: forward against a naive loop, gradcheck, geometry."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from descend.autograd import Tensor, gradcheck, no_grad
from descend.autograd.ops import _fused_activation as F
from descend.autograd.ops import conv as C


def naive_conv(x, kernel, bias, strides, dilation, padding):
    """Direct definition: a loop over output positions and kernel offsets."""
    rank = x.ndim - 2
    window = kernel.shape[:rank]
    pads = [C.padding_amounts(n, k, s, d, padding)
            for n, k, s, d in zip(x.shape[1:-1], window, strides, dilation, strict=True)]
    xp = np.pad(x, [(0, 0), *pads, (0, 0)])
    out = [C.output_size(n, k, s, d, padding)
           for n, k, s, d in zip(x.shape[1:-1], window, strides, dilation, strict=True)]
    y = np.zeros((x.shape[0], *out, kernel.shape[-1]))
    for o in np.ndindex(*out):
        for k in np.ndindex(*window):
            pos = tuple(oi * s + ki * d for oi, ki, s, d in zip(o, k, strides, dilation,
                                                               strict=True))
            y[(slice(None), *o)] += xp[(slice(None), *pos)] @ kernel[k]
    if bias is not None:
        y += bias
    return y


CASES_2D = [
    # (image shape, kernel size, strides, dilation, padding)
    ((7, 5), (3, 3), (1, 1), (1, 1), "valid"),
    ((7, 5), (3, 2), (2, 2), (1, 1), "valid"),
    ((7, 5), (3, 3), (3, 3), (1, 1), "same"),
    ((7, 5), (2, 3), (2, 1), (1, 1), "same"),
    ((7, 5), (3, 3), (1, 1), (2, 2), "valid"),
    ((7, 5), (3, 2), (1, 1), (2, 2), "same"),
    ((6, 6), (2, 2), (2, 2), (1, 1), "same"),
    ((5, 4), (1, 1), (1, 1), (1, 1), "valid"),
]


@pytest.mark.parametrize("spatial, window, strides, dilation, padding", CASES_2D)
def test_conv2d_forward_matches_naive_loop(spatial, window, strides, dilation, padding):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, *spatial, 3))
    kernel = rng.standard_normal((*window, 3, 4))
    bias = rng.standard_normal(4)
    y = C.conv(x, kernel, bias, strides=strides, padding=padding, dilation_rate=dilation)
    expected = naive_conv(x, kernel, bias, strides, dilation, padding)
    assert y.shape == expected.shape
    np.testing.assert_allclose(y.data, expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("length, window, stride, dilation, padding", [
    (9, 3, 1, 1, "valid"), (9, 3, 2, 1, "same"), (9, 3, 3, 1, "causal"),
    (9, 3, 1, 2, "causal"), (8, 4, 1, 2, "same"), (7, 2, 1, 3, "valid"),
])
def test_conv1d_forward_matches_naive_loop(length, window, stride, dilation, padding):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, length, 2))
    kernel = rng.standard_normal((window, 2, 5))
    y = C.conv(x, kernel, strides=stride, padding=padding, dilation_rate=dilation)
    expected = naive_conv(x, kernel, None, (stride,), (dilation,), padding)
    np.testing.assert_allclose(y.data, expected, rtol=1e-10, atol=1e-10)


def test_causal_output_never_sees_the_future():
    x = np.zeros((1, 8, 1))
    x[0, 5, 0] = 1.0
    y = C.conv(x, np.ones((3, 1, 1)), padding="causal", dilation_rate=2).data.ravel()
    assert y[:5].tolist() == [0.0] * 5
    assert y.shape == (8,)


@pytest.mark.parametrize("spatial, window, strides, dilation, padding", CASES_2D[:7])
@pytest.mark.parametrize("activation", ["linear", "tanh"])
def test_conv2d_gradcheck(spatial, window, strides, dilation, padding, activation):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, *spatial, 3))
    kernel = rng.standard_normal((*window, 3, 2)) * 0.5
    bias = rng.standard_normal(2)

    def fn(x, kernel, bias):
        return C.conv(x, kernel, bias, strides=strides, padding=padding,
                      dilation_rate=dilation, activation=activation)

    assert gradcheck(fn, x, kernel, bias)


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "softmax"])
def test_conv_fused_activations_gradcheck(activation):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 5, 4, 2))
    kernel = rng.standard_normal((2, 2, 2, 3))

    def fn(x, kernel):
        return C.conv(x, kernel, strides=(1, 2), padding="same", activation=activation)

    assert gradcheck(fn, x, kernel)


@pytest.mark.parametrize("stride, dilation, padding", [
    (1, 1, "causal"), (2, 1, "causal"), (1, 2, "causal"), (3, 1, "same"), (1, 2, "valid"),
])
def test_conv1d_gradcheck(stride, dilation, padding):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 9, 3))
    kernel = rng.standard_normal((3, 3, 2))
    bias = rng.standard_normal(2)

    def fn(x, kernel, bias):
        return C.conv(x, kernel, bias, strides=stride, padding=padding, dilation_rate=dilation)

    assert gradcheck(fn, x, kernel, bias)


SINGLE_CHANNEL_CASES = [
    # (input shape without batch and channel, kernel size, strides, dilation, padding)
    ((9,), (3,), (1,), (1,), "valid"),
    ((9,), (3,), (2,), (2,), "causal"),
    ((7, 5), (3, 3), (1, 1), (1, 1), "valid"),
    ((7, 6), (3, 2), (2, 3), (1, 1), "same"),
    ((7, 5), (2, 3), (1, 1), (2, 1), "same"),
    ((6, 7), (1, 1), (2, 2), (1, 1), "valid"),
    ((4, 5, 3), (2, 3, 2), (2, 1, 1), (1, 1, 2), "same"),
]


@pytest.mark.parametrize("spatial, window, strides, dilation, padding", SINGLE_CHANNEL_CASES)
@pytest.mark.parametrize("with_bias", [True, False])
def test_single_channel_conv_forward_and_gradcheck(spatial, window, strides, dilation, padding,
                                                   with_bias):
    # one input channel takes im2col's transposed (offset-major) layout
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, *spatial, 1))
    kernel = rng.standard_normal((*window, 1, 3))
    bias = rng.standard_normal(3) if with_bias else None
    options = dict(strides=strides, padding=padding, dilation_rate=dilation)
    y = C.conv(x, kernel, bias, **options)
    np.testing.assert_allclose(y.data, naive_conv(x, kernel, bias, strides, dilation, padding),
                               rtol=1e-10, atol=1e-10)
    if with_bias:
        assert gradcheck(lambda x, k, b: C.conv(x, k, b, activation="tanh", **options),
                         x, kernel, bias)
    else:
        assert gradcheck(lambda x, k: C.conv(x, k, activation="tanh", **options), x, kernel)


@pytest.mark.parametrize("channels", [1, 3])
def test_im2col_layouts_agree(channels):
    rng = np.random.default_rng(8)
    x = rng.standard_normal((2, 7, 8, channels)).astype(np.float32)
    cols = C.im2col(x, (3, 2), (2, 3), (2, 2), (1, 2), ones_column=True)
    windows = C.windows(x, (3, 2), (2, 3), (2, 2), (1, 2))
    assert cols.shape == (2 * 3 * 2, 2 * 3 * channels + 1) and cols.dtype == np.float32
    np.testing.assert_array_equal(cols[:, :-1], windows.reshape(12, -1))
    np.testing.assert_array_equal(cols[:, -1], 1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size", [1, 5, F._ZERO_BLOCK, F._ZERO_BLOCK + 3, 2 * F._ZERO_BLOCK])
def test_relu_in_place_matches_maximum(dtype, size):
    z = np.random.default_rng(9).standard_normal(size).astype(dtype)
    z[0] = np.nan
    expected = np.maximum(z, 0)
    assert F.relu_(z) is z
    np.testing.assert_array_equal(z, expected)
    strided = np.arange(-3.0, 3.0).reshape(2, 3).T  # not C-contiguous
    np.testing.assert_array_equal(F.relu_(strided), [[0, 0], [0, 1], [0, 2]])


def test_conv_gradients_only_where_needed():
    rng = np.random.default_rng(5)
    x = Tensor(rng.standard_normal((2, 6, 6, 1)).astype(np.float32))
    kernel = Tensor(rng.standard_normal((3, 3, 1, 4)).astype(np.float32), requires_grad=True)
    y = C.conv(x, kernel, activation="relu")
    assert y.dtype == np.float32
    y.sum().backward()
    assert kernel.grad.dtype == np.float32 and kernel.grad.shape == (3, 3, 1, 4)
    assert x.grad is None


def test_conv_records_no_graph_under_no_grad():
    kernel = Tensor(np.ones((2, 2, 1, 1)), requires_grad=True)
    with no_grad():
        y = C.conv(np.ones((1, 3, 3, 1)), kernel)
    assert y._ctx is None and not y.requires_grad


def test_conv_3d_forward_matches_naive_loop():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((1, 4, 5, 3, 2))
    kernel = rng.standard_normal((2, 3, 2, 2, 3))
    y = C.conv(x, kernel, strides=(2, 1, 1), padding="same")
    expected = naive_conv(x, kernel, None, (2, 1, 1), (1, 1, 1), "same")
    np.testing.assert_allclose(y.data, expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("size, window, stride, dilation",
                         list(itertools.product([1, 2, 5, 7, 28], [1, 2, 3, 5], [1, 2, 3],
                                                [1, 2])))
def test_output_size_formulas(size, window, stride, dilation):
    dilated = dilation * (window - 1) + 1
    assert C.output_size(size, window, stride, dilation, "valid") == (
        math.floor((size - dilated) / stride) + 1)
    assert C.output_size(size, window, stride, dilation, "same") == math.ceil(size / stride)
    lo, hi = C.padding_amounts(size, window, stride, dilation, "same")
    assert 0 <= hi - lo <= 1
    # the padded input yields exactly the "same" output size with a valid convolution
    assert C.output_size(size + lo + hi, window, stride, dilation, "valid") == math.ceil(
        size / stride)
    lo, hi = C.padding_amounts(size, window, stride, dilation, "causal")
    assert (lo, hi) == (dilated - 1, 0)
    assert C.output_size(None, window, stride, dilation) is None


def test_pad_forward_and_gradcheck():
    x = np.arange(6.0).reshape(1, 2, 3, 1)
    y = C.pad(x, [(1, 0), (0, 2)])
    assert y.shape == (1, 3, 5, 1)
    np.testing.assert_array_equal(y.data[0, 1:, :3, 0], x[0, :, :, 0])
    assert y.data.sum() == x.sum()
    assert gradcheck(lambda t: C.pad(t, [(1, 2), (2, 0)]), np.random.default_rng(7).random(
        (2, 3, 2, 2)))


def test_conv_errors_are_clear():
    x = np.ones((1, 3, 3, 1))
    with pytest.raises(ValueError, match="larger than the input"):
        C.conv(x, np.ones((4, 4, 1, 1)))
    with pytest.raises(ValueError, match="padding must be one of"):
        C.conv(x, np.ones((2, 2, 1, 1)), padding="full")
    with pytest.raises(ValueError, match="strides must be"):
        C.conv(x, np.ones((2, 2, 1, 1)), strides=0)
    with pytest.raises(ValueError, match="kernel of shape"):
        C.conv(x, np.ones((2, 2, 3, 1)))
    with pytest.raises(ValueError, match="activation"):
        C.conv(x, np.ones((2, 2, 1, 1)), activation="gelu")
    with pytest.raises(ValueError, match="before, after"):
        C.pad(x, [(1, 1)])
