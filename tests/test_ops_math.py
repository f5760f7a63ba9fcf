"""Values, dtypes and errors of ``descend.ops.math`` against independent NumPy formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest

from descend.autograd import Tensor
from descend.ops import math as dmath


def erf_by_integration(x: float) -> float:
    """2/sqrt(pi) * integral_0^x exp(-t^2) dt by composite Simpson (4000 intervals)."""
    t = np.linspace(0.0, x, 4001)
    f = np.exp(-t * t)
    h = x / 4000
    return float(2 / np.sqrt(np.pi) * h / 3 * (f[0] + f[-1] + 4 * f[1:-1:2].sum()
                                                 + 2 * f[2:-1:2].sum()))


def dft_matrix(n: int, inverse: bool = False) -> np.ndarray:
    k = np.arange(n)
    sign = 1.0 if inverse else -1.0
    w = np.exp(sign * 2j * np.pi * np.outer(k, k) / n)
    return w / n if inverse else w


# ------------------------------------------------------------------ special functions
def test_erf_and_erfc_match_integration() -> None:
    xs = np.array([-2.5, -0.7, 0.0, 0.3, 1.0, 2.2])
    expected = np.array([erf_by_integration(x) for x in xs])
    np.testing.assert_allclose(dmath.erf(xs).data, expected, atol=1e-12)
    np.testing.assert_allclose(dmath.erfc(xs).data, 1 - expected, atol=1e-12)
    # erfc keeps its relative precision where 1 - erf(x) rounds to 0
    far = 2 / np.sqrt(np.pi) * np.trapezoid(np.exp(-np.linspace(6, 16, 200001) ** 2),
                                            np.linspace(6, 16, 200001))
    np.testing.assert_allclose(dmath.erfc(np.array([6.0])).data, [far], rtol=1e-6)
    assert dmath.erf([0.5]).dtype == np.float32
    assert dmath.erf(np.array([1], np.int64)).dtype == np.float32
    assert dmath.erf(np.array([0.5], np.float64)).dtype == np.float64


def test_erfinv_inverts_erf() -> None:
    ys = np.array([-0.999999, -0.9, -0.3, 0.0, 0.2, 0.75, 0.99999])
    xs = dmath.erfinv(ys).data
    np.testing.assert_allclose([math.erf(x) for x in xs], ys, rtol=0, atol=1e-14)
    edges = dmath.erfinv(np.array([1.0, -1.0, 1.5])).data
    assert edges[0] == np.inf and edges[1] == -np.inf and np.isnan(edges[2])


def test_rsqrt_and_logsumexp() -> None:
    x = np.array([0.25, 4.0, 9.0])
    np.testing.assert_allclose(dmath.rsqrt(x).data, 1 / np.sqrt(x))
    assert float(dmath.rsqrt(4).data) == 0.5
    a = np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, 999.0]])
    np.testing.assert_allclose(dmath.logsumexp(a[:1]).data, np.log(np.exp(a[0]).sum()))
    shift = 1000.0 + np.log(2 + np.exp(-1.0))
    np.testing.assert_allclose(dmath.logsumexp(a, axis=1).data,
                               [np.log(np.exp(a[0]).sum()), shift])
    assert dmath.logsumexp(a, axis=0, keepdims=True).shape == (1, 3)
    with pytest.raises(ValueError, match="logsumexp: axis 3"):
        dmath.logsumexp(a, axis=3)


def test_logdet() -> None:
    spd = np.array([[4.0, 1.0], [1.0, 3.0]])
    np.testing.assert_allclose(dmath.logdet(spd).data, np.log(4 * 3 - 1))
    assert np.isnan(dmath.logdet(np.array([[0.0, 1.0], [1.0, 0.0]])).data)
    with pytest.raises(ValueError, match="logdet: x must be square"):
        dmath.logdet(np.ones((2, 3)))


def test_cdist() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(3, 4)), rng.normal(size=(5, 4))
    expected = [[math.dist(a, b) for b in y] for a in x]
    np.testing.assert_allclose(dmath.cdist(x, y).data, expected)
    assert dmath.cdist(rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 4))).shape == (2, 3, 5)
    with pytest.raises(ValueError, match="cdist: x and y must have the same last"):
        dmath.cdist(x, np.ones((2, 3)))
    with pytest.raises(ValueError, match="cdist: x and y must have rank >= 2"):
        dmath.cdist(np.ones(3), np.ones(3))


# --------------------------------------------------------------------------- top k
def test_top_k_values_indices_and_ties() -> None:
    values, indices = dmath.top_k(np.array([[1.0, 3.0, 2.0, 3.0], [5.0, 4.0, 6.0, 0.0]]), 3)
    assert values.data.tolist() == [[3.0, 3.0, 2.0], [6.0, 5.0, 4.0]]
    assert indices.dtype == np.int32 and indices.data.tolist() == [[1, 3, 2], [2, 0, 1]]
    ints, _ = dmath.top_k(np.array([3, 9, 1]), 1)
    assert ints.data.tolist() == [9]
    with pytest.raises(ValueError, match="top_k: k must be an int in"):
        dmath.top_k(np.ones(3), 4)


def test_in_top_k_counts_ties_inside() -> None:
    preds = np.array([[0.1, 0.9, 0.0], [0.5, 0.2, 0.3], [0.4, 0.4, 0.2]])
    out = dmath.in_top_k(np.array([1, 2, 1]), preds, 1)
    assert out.dtype == np.bool_ and out.data.tolist() == [True, False, True]
    assert dmath.in_top_k(np.array([1, 2, 2]), preds, 2).data.tolist() == [True, True, False]
    with pytest.raises(ValueError, match="in_top_k: targets must be class indices"):
        dmath.in_top_k(np.array([3, 0, 0]), preds, 1)
    with pytest.raises(ValueError, match="in_top_k: predictions must have shape"):
        dmath.in_top_k(np.array([0]), preds, 1)


# ------------------------------------------------------------------------- segments
@pytest.mark.parametrize("name, reduce, empty", [
    ("segment_sum", np.sum, 0.0), ("segment_max", np.max, -np.inf),
    ("segment_min", np.min, np.inf), ("segment_prod", np.prod, 1.0),
])
def test_segment_reductions(name, reduce, empty) -> None:
    rng = np.random.default_rng(1)
    data = rng.normal(size=(6, 2))
    ids = np.array([0, 3, 0, -1, 3, 0])
    out = getattr(dmath, name)(data, ids, num_segments=5)
    for s in range(5):
        rows = data[ids == s]
        expected = reduce(rows, axis=0) if len(rows) else np.full(2, empty)
        np.testing.assert_allclose(out.data[s], expected)
    default = getattr(dmath, name)(data, ids)
    assert default.shape == (4, 2)


def test_segment_integer_data_and_errors() -> None:
    out = dmath.segment_max(np.array([1, 2, 3, 4]), np.array([0, 0, 2, 2]), num_segments=3)
    assert out.data.tolist() == [2, np.iinfo(np.int64).min, 4]
    with pytest.raises(ValueError, match="segment_sum: segment_ids must be < num_segments=2"):
        dmath.segment_sum(np.ones(3), np.array([0, 1, 2]), num_segments=2)
    with pytest.raises(ValueError, match="segment_sum: segment_ids must have shape"):
        dmath.segment_sum(np.ones(3), np.array([0, 1]))
    with pytest.raises(TypeError, match="segment_min: segment_ids must hold integers"):
        dmath.segment_min(np.ones(2), np.array([0.5, 1.0]))


# ------------------------------------------------------------------ framing, einops
def test_extract_sequences() -> None:
    x = np.arange(14.0).reshape(2, 7)
    out = dmath.extract_sequences(x, 3, 2).data
    expected = [[row[s:s + 3] for s in range(0, 5, 2)] for row in x]
    np.testing.assert_array_equal(out, expected)
    with pytest.raises(ValueError, match="extract_sequences: sequence_length"):
        dmath.extract_sequences(x, 8, 1)


def test_rearrange() -> None:
    x = np.arange(2 * 4 * 6 * 3.0).reshape(2, 4, 6, 3)
    np.testing.assert_array_equal(dmath.rearrange(x, "b h w c -> b c h w").data,
                                  x.transpose(0, 3, 1, 2))
    np.testing.assert_array_equal(dmath.rearrange(x, "b h w c -> (b h) w c").data,
                                  x.reshape(8, 6, 3))
    out = dmath.rearrange(x, "b (h h1) (w w1) c -> b h w (c h1 w1)", h1=2, w1=3).data
    expected = x.reshape(2, 2, 2, 2, 3, 3).transpose(0, 1, 3, 5, 2, 4).reshape(2, 2, 2, 18)
    np.testing.assert_array_equal(out, expected)
    assert dmath.rearrange(np.ones((2, 3), np.int32), "a b -> b a").dtype == np.int32
    with pytest.raises(ValueError, match="rearrange: both sides"):
        dmath.rearrange(x, "b h w c -> b h w")
    with pytest.raises(ValueError, match="rearrange: the pattern's input side has 3 axes"):
        dmath.rearrange(x, "b h w -> b h w")
    with pytest.raises(ValueError, match="cannot be split"):
        dmath.rearrange(x, "b (h h1) w c -> b h h1 w c", h1=3)
    with pytest.raises(ValueError, match="unsupported token"):
        dmath.rearrange(x, "b ... -> b ...")


# -------------------------------------------------------------------------- Fourier
def test_fft_family_against_dft_matrices() -> None:
    rng = np.random.default_rng(2)
    re, im = rng.normal(size=(2, 5)), rng.normal(size=(2, 5))
    z = re + 1j * im
    out = dmath.fft((re, im))
    expected = z @ dft_matrix(5).T
    np.testing.assert_allclose(out[0].data + 1j * out[1].data, expected, atol=1e-12)
    re2, im2 = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    z2 = re2 + 1j * im2
    spectrum = dft_matrix(3) @ z2 @ dft_matrix(4).T
    f2 = dmath.fft2((re2, im2))
    np.testing.assert_allclose(f2[0].data + 1j * f2[1].data, spectrum, atol=1e-12)
    back = dmath.ifft2((f2[0], f2[1]))
    np.testing.assert_allclose(back[0].data + 1j * back[1].data, z2, atol=1e-12)
    signal = rng.normal(size=(2, 6))
    r = dmath.rfft(signal)
    np.testing.assert_allclose(r[0].data + 1j * r[1].data, (signal @ dft_matrix(6).T)[:, :4],
                               atol=1e-12)
    np.testing.assert_allclose(dmath.irfft(r).data, signal, atol=1e-12)
    padded = dmath.rfft(signal, fft_length=8)
    assert padded[0].shape == (2, 5)
    assert dmath.rfft(signal.astype(np.float32))[0].dtype == np.float32
    with pytest.raises(ValueError, match="fft: x must be a tuple"):
        dmath.fft(re)
    with pytest.raises(ValueError, match="same shape"):
        dmath.fft((re, im[:, :3]))
    with pytest.raises(TypeError, match="float tensors"):
        dmath.fft((re.astype(int), im))


def test_stft_frames_and_istft_roundtrip() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 40))
    real, imag = dmath.stft(x, 8, 4, 8, center=False)
    n = np.arange(8)
    hann = 0.5 - 0.5 * np.cos(2 * np.pi * n / 8)
    frames = np.stack([x[:, s:s + 8] * hann for s in range(0, 33, 4)], axis=1)
    expected = frames @ dft_matrix(8).T[:, :5]
    np.testing.assert_allclose(real.data + 1j * imag.data, expected, atol=1e-12)
    centered = dmath.stft(x, 8, 2, 16)
    assert centered[0].shape == (2, 21, 9)
    y = dmath.istft(centered, 8, 2, 16, length=40)
    np.testing.assert_allclose(y.data, x, atol=1e-10)
    y = dmath.istft(dmath.stft(x, 8, 4, 8, window="hamming"), 8, 4, 8, window="hamming")
    np.testing.assert_allclose(y.data, x, atol=1e-10)
    with pytest.raises(ValueError, match="stft: fft_length must be at least"):
        dmath.stft(x, 8, 2, 4)
    with pytest.raises(ValueError, match="stft: window must be"):
        dmath.stft(x, 8, 2, 8, window="kaiser")
    with pytest.raises(TypeError, match="stft: x must be float32 or float64"):
        dmath.stft(np.ones((2, 40), np.int32), 8, 2, 8)


def test_view_as_complex_and_real() -> None:
    pairs = np.array([[1.0, 2.0], [3.0, -4.0]])
    z = dmath.view_as_complex(pairs)
    assert z.data.tolist() == [1 + 2j, 3 - 4j]
    np.testing.assert_array_equal(dmath.view_as_real(z).data, pairs)
    with pytest.raises(ValueError, match="view_as_complex: the last axis"):
        dmath.view_as_complex(np.ones((2, 3)))
    with pytest.raises(TypeError, match="view_as_real: x must be complex"):
        dmath.view_as_real(np.ones(2))


def test_tensor_inputs_give_tensors() -> None:
    out = dmath.erf(Tensor([0.1, 0.2]))
    assert isinstance(out, Tensor) and out.dtype == np.float32
