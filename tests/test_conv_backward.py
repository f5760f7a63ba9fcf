"""Conv's input gradient by each of its formulations (gather, scatter).

Every formulation is checked in 1-D, 2-D and 3-D over strides, paddings and dilations: the
input gradient against its loop definition, and ``gradcheck`` in float64 on input, kernel and
bias. Which formulation a case exercises is asserted, so that a change of the selection rule
cannot leave one of them untested.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from descend.autograd import Tensor, gradcheck
from descend.autograd.ops import conv as C

# (in_channels, filters, stride): one geometry per formulation
METHODS = {
    "gather": (3, 2, 1),          # stride 1, filters <= channels
    "gather_few_channels": (2, 5, 1),  # stride 1, more filters but under 8 channels
    "scatter": (8, 3, 2),         # strided
    "scatter_stride_one": (8, 10, 1),  # 8 channels, more filters than channels
    "scatter_few_channels": (3, 4, 2),  # strided, under 8 channels
}
EXPECTED = {"gather": "gather", "gather_few_channels": "gather", "scatter": "scatter",
            "scatter_stride_one": "scatter", "scatter_few_channels": "scatter"}
SPATIAL = {1: (9,), 2: (6, 5), 3: (4, 5, 3)}
WINDOW = {1: (3,), 2: (3, 2), 3: (2, 3, 2)}
PADDINGS = {1: ("valid", "same", "causal"), 2: ("valid", "same"), 3: ("valid", "same")}
CASES = [
    (method, rank, padding, dilation)
    for method, rank in itertools.product(METHODS, (1, 2, 3))
    for padding in PADDINGS[rank]
    for dilation in (1, 2)
]


def naive_input_gradient(dz, kernel, x_shape, strides, dilation, padding):
    """``gx[b, p] += dz[b, o] @ kernel[k].T`` for every output ``o`` and offset ``k``."""
    rank = len(x_shape) - 2
    window = kernel.shape[:rank]
    pads = [C.padding_amounts(n, k, s, d, padding)
            for n, k, s, d in zip(x_shape[1:-1], window, strides, dilation, strict=True)]
    xp_shape = (x_shape[0], *(n + lo + hi for n, (lo, hi) in zip(x_shape[1:-1], pads, strict=True)),
                x_shape[-1])
    gxp = np.zeros(xp_shape)
    for o in np.ndindex(*dz.shape[1:-1]):
        for k in np.ndindex(*window):
            pos = tuple(oi * s + ki * d
                        for oi, ki, s, d in zip(o, k, strides, dilation, strict=True))
            gxp[(slice(None), *pos)] += dz[(slice(None), *o)] @ kernel[k].T
    inner = (slice(lo, lo + n) for n, (lo, _) in zip(x_shape[1:-1], pads, strict=True))
    return gxp[(slice(None), *inner)]


def case_arrays(method, rank, seed=0):
    cin, filters, stride = METHODS[method]
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, *SPATIAL[rank], cin))
    kernel = rng.standard_normal((*WINDOW[rank], cin, filters)) * 0.5
    bias = rng.standard_normal(filters)
    return x, kernel, bias, (stride,) * rank


@pytest.mark.parametrize("method, rank, padding, dilation", CASES)
def test_input_gradient_matches_definition(method, rank, padding, dilation):
    x, kernel, bias, strides = case_arrays(method, rank)
    assert C.input_gradient_method(x.shape[-1], kernel.shape[-1], strides) == EXPECTED[method]
    xt, kt = Tensor(x, requires_grad=True), Tensor(kernel, requires_grad=True)
    y = C.conv(xt, kt, strides=strides, padding=padding, dilation_rate=(dilation,) * rank)
    dz = np.random.default_rng(1).standard_normal(y.shape)
    (y * Tensor(dz)).sum().backward()
    want = naive_input_gradient(dz, kernel, x.shape, strides, (dilation,) * rank, padding)
    np.testing.assert_allclose(xt.grad, want, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("method, rank, padding, dilation", CASES)
def test_conv_gradcheck_every_formulation(method, rank, padding, dilation):
    x, kernel, bias, strides = case_arrays(method, rank, seed=2)
    x = x[:1]

    def fn(x, kernel, bias):
        return C.conv(x, kernel, bias, strides=strides, padding=padding,
                      dilation_rate=dilation, activation="tanh")

    assert gradcheck(fn, x, kernel, bias)


@pytest.mark.parametrize("method", list(METHODS))
def test_input_gradient_keeps_float32(method):
    x, kernel, _, strides = case_arrays(method, 2)
    xt = Tensor(x.astype(np.float32), requires_grad=True)
    y = C.conv(xt, Tensor(kernel.astype(np.float32)), strides=strides, padding="same")
    y.sum().backward()
    assert xt.grad.dtype == np.float32
