"""New engine primitives of issue 16: transposed, grouped convolution, upsampling.

Forward against direct loop definitions (and values computed with Keras 3.15),
backward against float64 central differences over every argument that changes
the computation.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from descend.autograd import Tensor, gradcheck
from descend.autograd.ops import upsampling as U
from descend.autograd.ops.conv_transpose import conv_transpose, transpose_geometry
from descend.autograd.ops.grouped_conv import grouped_conv

RNG = np.random.default_rng(16)


def naive_conv_transpose(x, kernel, bias, strides, dilation, padding, output_padding):
    """Scatter definition: every input position adds ``x @ kernel[k].T`` at ``i * s + k * d``."""
    rank = x.ndim - 2
    window = kernel.shape[:rank]
    extras = output_padding or (None,) * rank
    geometry = [transpose_geometry(n, k, s, d, padding, e) for n, k, s, d, e in
                zip(x.shape[1:-1], window, strides, dilation, extras, strict=True)]
    full = [(n - 1) * s + d * (k - 1) + 1 + 10 for n, k, s, d in
            zip(x.shape[1:-1], window, strides, dilation, strict=True)]
    y = np.zeros((x.shape[0], *full, kernel.shape[rank]))
    for i in np.ndindex(*x.shape[1:-1]):
        for k in np.ndindex(*window):
            pos = tuple(a * s + b * d for a, b, s, d in zip(i, k, strides, dilation, strict=True))
            y[(slice(None), *pos)] += x[(slice(None), *i)] @ kernel[k].T
    index = (slice(None), *(slice(c, c + o) for o, c in geometry), slice(None))
    y = y[index]
    return y if bias is None else y + bias


def naive_grouped_conv(x, kernel, groups, strides, dilation, pads):
    rank = x.ndim - 2
    window = kernel.shape[:rank]
    xp = np.pad(x, [(0, 0), *pads, (0, 0)])
    out = [(n - d * (k - 1) - 1) // s + 1 for n, k, s, d in
           zip(xp.shape[1:-1], window, strides, dilation, strict=True)]
    cg, filters = kernel.shape[rank], kernel.shape[rank + 1]
    fg = filters // groups
    y = np.zeros((x.shape[0], *out, filters))
    for o in np.ndindex(*out):
        for k in np.ndindex(*window):
            pos = tuple(a * s + b * d for a, b, s, d in zip(o, k, strides, dilation, strict=True))
            for g in range(groups):
                patch = xp[(slice(None), *pos, slice(g * cg, (g + 1) * cg))]
                y[(slice(None), *o, slice(g * fg, (g + 1) * fg))] += \
                    patch @ kernel[(*k, slice(None), slice(g * fg, (g + 1) * fg))]
    return y


TRANSPOSE_CASES = [
    # (spatial, kernel, strides, dilation, padding, output_padding)
    ((4,), (3,), (2,), (1,), "same", None),
    ((4,), (2,), (3,), (1,), "valid", (2,)),
    ((5,), (3,), (1,), (2,), "same", None),
    ((3, 4), (3, 3), (2, 2), (1, 1), "same", None),
    ((3, 4), (3, 2), (2, 3), (1, 1), "valid", None),
    ((3, 3), (3, 3), (2, 2), (1, 1), "valid", (1, 0)),
    ((3, 3), (2, 2), (3, 2), (1, 1), "same", (2, 1)),
    ((4, 3), (4, 4), (2, 2), (1, 1), "same", None),
    ((4, 3), (3, 3), (1, 1), (2, 1), "valid", None),
    ((2, 3, 2), (2, 2, 3), (2, 1, 2), (1, 1, 1), "same", None),
]


@pytest.mark.parametrize("case", TRANSPOSE_CASES)
def test_conv_transpose_matches_scatter_definition_and_gradcheck(case) -> None:
    spatial, window, strides, dilation, padding, extra = case
    x = RNG.standard_normal((2, *spatial, 3))
    kernel = RNG.standard_normal((*window, 2, 3))
    bias = RNG.standard_normal(2)
    got = conv_transpose(x, kernel, bias, strides, padding, extra, dilation).data
    want = naive_conv_transpose(x, kernel, bias, strides, dilation, padding, extra)
    np.testing.assert_allclose(got, want, atol=1e-10)

    def fn(a, k, b):
        return conv_transpose(a, k, b, strides, padding, extra, dilation)

    assert gradcheck(fn, x, kernel, bias)
    assert gradcheck(lambda a, k: conv_transpose(a, k, None, strides, padding, extra, dilation),
                     x, kernel)


def test_conv_transpose_values_computed_with_keras() -> None:
    x = np.arange(1.0, 5.0).reshape(1, 2, 2, 1)
    k = np.arange(9.0).reshape(3, 3, 1, 1)
    same = conv_transpose(x, k, strides=2, padding="same").data[0, :, :, 0]
    np.testing.assert_array_equal(same, [[0, 1, 2, 2], [3, 4, 11, 8], [6, 10, 26, 18],
                                         [9, 12, 27, 16]])
    valid = conv_transpose(x, k, strides=2, output_padding=1).data[0, :, :, 0]
    np.testing.assert_array_equal(valid, [[0, 1, 2, 2, 4, 0], [3, 4, 11, 8, 10, 0],
                                          [6, 10, 26, 18, 24, 0], [9, 12, 27, 16, 20, 0],
                                          [18, 21, 48, 28, 32, 0], [0, 0, 0, 0, 0, 0]])
    dilated = conv_transpose(x, k, np.ones(1), padding="same", dilation_rate=2).data
    np.testing.assert_array_equal(dilated[0, :, :, 0], [[5, 9], [13, 17]])
    x1 = np.arange(1.0, 4.0).reshape(1, 3, 1)
    k1 = np.array([1.0, 10.0]).reshape(2, 1, 1)
    np.testing.assert_array_equal(conv_transpose(x1, k1, strides=3).data.ravel(),
                                  [1, 10, 0, 2, 20, 0, 3, 30, 0])


def test_conv_transpose_is_the_adjoint_of_conv() -> None:
    """<conv(x), y> == <x, conv_transpose(y)> for the same kernel and geometry."""
    from descend.autograd.ops.conv import conv

    x = RNG.standard_normal((2, 8, 7, 3))
    kernel = RNG.standard_normal((3, 3, 3, 4))  # conv layout: (k, k, in, out)
    y = conv(x, kernel, strides=2, padding="same").data
    dy = RNG.standard_normal(y.shape)
    back = conv_transpose(dy, kernel, strides=2, padding="same", output_padding=(1, 0)).data
    assert back.shape == x.shape
    np.testing.assert_allclose(np.sum(y * dy), np.sum(x * back), rtol=1e-10)


GROUP_CASES = [
    # (spatial, kernel, channels, filters, groups, strides, dilation, pads)
    ((7,), (3,), 4, 6, 2, (1,), (1,), ((1, 1),)),
    ((7,), (2,), 4, 4, 4, (2,), (1,), ((0, 0),)),
    ((8,), (3,), 3, 6, 3, (1,), (2,), ((4, 0),)),
    ((5, 6), (3, 3), 4, 4, 2, (1, 1), (1, 1), ((1, 1), (1, 1))),
    ((6, 5), (2, 3), 6, 3, 3, (2, 2), (1, 1), ((0, 0), (0, 0))),
    ((6, 6), (3, 3), 2, 4, 2, (1, 1), (2, 2), ((2, 2), (2, 2))),
    ((3, 4, 4), (2, 2, 2), 4, 2, 2, (1, 2, 1), (1, 1, 1), ((0, 0),) * 3),
]


@pytest.mark.parametrize("case", GROUP_CASES)
def test_grouped_conv_matches_loop_definition_and_gradcheck(case) -> None:
    spatial, window, channels, filters, groups, strides, dilation, pads = case
    x = RNG.standard_normal((2, *spatial, channels))
    kernel = RNG.standard_normal((*window, channels // groups, filters))
    bias = RNG.standard_normal(filters)
    padding = "valid"
    if any(p != (0, 0) for p in pads):
        padding = "causal" if pads[0][1] == 0 else "same"
    got = grouped_conv(x, kernel, bias, groups, strides, padding, dilation).data
    want = naive_grouped_conv(x, kernel, groups, strides, dilation, pads) + bias
    np.testing.assert_allclose(got, want, atol=1e-10)
    assert gradcheck(lambda a, k, b: grouped_conv(a, k, b, groups, strides, padding, dilation),
                     x, kernel, bias)
    assert gradcheck(lambda a, k: grouped_conv(a, k, None, groups, strides, padding, dilation),
                     x, kernel)


def test_grouped_conv_values_computed_with_keras() -> None:
    x = np.array([[[1.0, 2.0], [3.0, 4.0]]])
    kernel = np.array([[[10.0, 100.0]]])
    np.testing.assert_array_equal(grouped_conv(x, kernel, groups=2).data[0],
                                  [[10, 200], [30, 400]])


@pytest.mark.parametrize("axis,repeats", [(1, 2), (2, 3), (-1, 2)])
def test_repeat_forward_and_gradcheck(axis, repeats) -> None:
    x = RNG.standard_normal((2, 3, 4))
    np.testing.assert_array_equal(U.Repeat.apply(Tensor(x), repeats=repeats, axis=axis).data,
                                  np.repeat(x, repeats, axis=axis))
    assert gradcheck(lambda a: U.Repeat.apply(a, repeats=repeats, axis=axis), x)


@pytest.mark.parametrize("length,new", [(2, 4), (3, 9), (5, 10), (1, 3), (4, 4)])
def test_linear_resize_matrix_rows_and_gradcheck(length, new) -> None:
    m = U.linear_resize_matrix(length, new)
    np.testing.assert_allclose(m.sum(axis=1), 1.0)
    assert (m >= 0).all()
    x = RNG.standard_normal((2, length, 3))
    np.testing.assert_allclose(U.AxisLinear.apply(Tensor(x), matrix=m, axis=1).data,
                               np.einsum("ij,bjc->bic", m, x))
    assert gradcheck(lambda a: U.AxisLinear.apply(a, matrix=m, axis=1), x)


def test_linear_resize_matrix_values_computed_with_keras() -> None:
    """``keras.layers.UpSampling2D((1, 3), interpolation="bilinear")`` on ``[0, 3, 9]``."""
    got = U.linear_resize_matrix(3, 9) @ np.array([0.0, 3.0, 9.0])
    np.testing.assert_allclose(got, [0, 0, 1, 2, 3, 5, 7, 9, 9], atol=1e-12)


def test_transpose_geometry_matches_keras_output_length_formula() -> None:
    for n, k, s, d, pad, extra in itertools.product(range(1, 6), range(1, 5), range(1, 4),
                                                    (1, 2), ("valid", "same"),
                                                    (None, 0, 1, 2)):
        if extra is not None and extra >= max(s, 1) and not (s == 1 and extra == 0):
            continue
        if s > 1 and d > 1:
            continue
        dk = d * (k - 1) + 1
        if extra is None:
            want = n * s + max(dk - s, 0) if pad == "valid" else n * s
        else:
            want = (n - 1) * s + dk - 2 * (dk // 2 if pad == "same" else 0) + extra
        assert transpose_geometry(n, k, s, d, pad, extra)[0] == want
