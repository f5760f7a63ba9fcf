"""Values of ``descend.ops.nn`` and ``descend.ops.image``.

Two kinds of checks:

* every case of ``tests/ops_nn_reference.py`` against the result Keras 3.15.1
  (torch backend) gave for the same inputs, stored in
  ``tests/ops_keras_reference.json`` (Keras is not imported here);
* NumPy formulas and independent reference computations (a loop convolution,
  CTC by enumerating every alignment, ...), including the places where Keras's
  torch backend departs from Keras's documented semantics and descend follows the
  documentation: ``sparsemax`` (torch results do not sum to 1),
  ``layer_normalization``/``rms_normalization`` over one non-last axis (torch
  raises), ``average_pool`` with asymmetric ``"same"`` padding (torch counts the
  padding), ``gaussian_blur`` with ``data_format=None`` (torch reads the image as
  channels-first) and projective ``affine_transform`` (torch and JAX drop the
  division by ``c0 x + c1 y + 1``).
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest

from descend import ops
from descend.autograd import Tensor
from descend.ops import image, nn
from ops_nn_reference import CASES, run

REFERENCE = json.loads((Path(__file__).parent / "ops_keras_reference.json").read_text())


def _expected(entry: dict) -> np.ndarray:
    if "real" in entry:
        data = np.array(entry["real"]) + 1j * np.array(entry["imag"])
    else:
        data = np.array(entry["values"], dtype=np.float64 if "float" in entry["dtype"]
                        else np.int64)
    return data.reshape(entry["shape"])


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_keras(name: str) -> None:
    results = run(name, nn, image, lambda a: a, lambda t: t)
    expected = REFERENCE["cases"][name]
    assert len(results) == len(expected)
    for result, entry in zip(results, expected, strict=True):
        assert isinstance(result, Tensor), f"{name}: expected a descend Tensor"
        want = _expected(entry)
        got = result.data
        assert got.shape == want.shape, f"{name}: shape {got.shape} != Keras {want.shape}"
        if want.dtype.kind == "i":
            assert got.dtype.kind in "iu" and got.dtype == np.dtype(entry["dtype"]), name
            np.testing.assert_array_equal(got, want, err_msg=name)
        else:
            assert str(got.dtype) == entry["dtype"], f"{name}: dtype {got.dtype}"
            np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-6, err_msg=name)


NO_KERAS_CASE = {
    "sparsemax": "Keras's torch backend gives rows that do not sum to 1; tested by formula",
    "elastic_transform": "random: Keras draws from torch's generator; tested for its properties",
}


def test_every_public_name_has_a_keras_case() -> None:
    names = {n for n in (*nn.__all__, *image.__all__)}
    covered = {n for n in names if any(case == n or case.startswith(n + "_") for case in CASES)}
    assert names - covered == set(NO_KERAS_CASE)


# ----------------------------------------------------------------------------- formulas
X = np.linspace(-3.0, 3.0, 13)


@pytest.mark.parametrize("name, formula", [
    ("relu", lambda x: np.maximum(x, 0)),
    ("relu6", lambda x: np.clip(x, 0, 6)),
    ("sigmoid", lambda x: 1 / (1 + np.exp(-x))),
    ("softplus", lambda x: np.log1p(np.exp(x))),
    ("softsign", lambda x: x / (1 + np.abs(x))),
    ("silu", lambda x: x / (1 + np.exp(-x))),
    ("swish", lambda x: x / (1 + np.exp(-x))),
    ("log_sigmoid", lambda x: -np.log1p(np.exp(-x))),
    ("leaky_relu", lambda x: np.where(x >= 0, x, 0.2 * x)),
    ("hard_sigmoid", lambda x: np.clip(x / 6 + 0.5, 0, 1)),
    ("hard_silu", lambda x: x * np.clip(x / 6 + 0.5, 0, 1)),
    ("hard_swish", lambda x: x * np.clip(x / 6 + 0.5, 0, 1)),
    ("elu", lambda x: np.where(x > 0, x, np.exp(x) - 1)),
    ("selu", lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772
                                                      * (np.exp(x) - 1))),
    ("celu", lambda x: np.maximum(x, 0) + np.minimum(np.exp(x) - 1, 0)),
    ("gelu", lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))),
    ("hard_tanh", lambda x: np.clip(x, -1, 1)),
    ("hard_shrink", lambda x: np.where(np.abs(x) > 0.5, x, 0)),
    ("soft_shrink", lambda x: np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0))),
    ("tanh_shrink", lambda x: x - np.tanh(x)),
    ("squareplus", lambda x: (x + np.sqrt(x * x + 4)) / 2),
    ("sparse_plus", lambda x: np.where(x <= -1, 0, np.where(x >= 1, x, (x + 1) ** 2 / 4))),
    ("sparse_sigmoid", lambda x: np.clip((x + 1) / 2, 0, 1)),
])
def test_activation_formulas(name: str, formula) -> None:
    np.testing.assert_allclose(getattr(nn, name)(X).data, formula(X), rtol=1e-7, atol=1e-12)


def test_gelu_exact_uses_erf() -> None:
    erf = np.vectorize(math.erf)
    np.testing.assert_allclose(nn.gelu(X, approximate=False).data,
                               0.5 * X * (1 + erf(X / np.sqrt(2))), rtol=1e-12)


def test_sparsemax_projects_onto_the_simplex() -> None:
    z = np.array([[2.0, 0.0, 1.5], [0.1, 0.2, 0.3], [5.0, -1.0, -2.0]])
    out = nn.sparsemax(z).data
    np.testing.assert_allclose(out[0], [0.75, 0.0, 0.25])
    z1 = z[1]  # every entry in the support: tau = (sum - 1) / 3
    np.testing.assert_allclose(out[1], z1 - (z1.sum() - 1) / 3, atol=1e-12)
    np.testing.assert_allclose(out.sum(axis=1), 1.0)
    np.testing.assert_allclose(out[2], [1.0, 0.0, 0.0])


def test_softmax_over_two_axes() -> None:
    x = np.arange(6.0).reshape(1, 2, 3)
    e = np.exp(x - x.max())
    np.testing.assert_allclose(nn.softmax(x, axis=(1, 2)).data, e / e.sum())
    np.testing.assert_allclose(nn.log_softmax(x, axis=(1, 2)).data, np.log(e / e.sum()))


def test_one_hot_and_multi_hot() -> None:
    out = nn.one_hot(np.array([1, -1, 3]), 3, dtype="int32")
    assert out.dtype == np.int32 and not out.requires_grad
    np.testing.assert_array_equal(out.data, [[0, 1, 0], [0, 0, 0], [0, 0, 0]])
    np.testing.assert_array_equal(nn.multi_hot([[0, 0, 2]], num_tokens=3).data, [[1, 0, 1]])
    assert nn.one_hot([0], 2).dtype == np.float32


def test_crossentropy_formulas() -> None:
    t = np.array([[1.0, 0.0, 0.0], [0.0, 0.3, 0.7]])
    p = np.array([[0.5, 0.3, 0.2], [0.2, 0.2, 0.4]])
    q = np.clip(p / p.sum(-1, keepdims=True), 1e-7, 1 - 1e-7)
    np.testing.assert_allclose(nn.categorical_crossentropy(t, p).data,
                               -(t * np.log(q)).sum(-1), rtol=1e-6)
    z = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]])
    log_softmax = z - np.log(np.exp(z).sum(-1, keepdims=True))
    np.testing.assert_allclose(nn.categorical_crossentropy(t, z, from_logits=True).data,
                               -(t * log_softmax).sum(-1), rtol=1e-6)
    np.testing.assert_allclose(nn.sparse_categorical_crossentropy([2, 1], z, True).data,
                               -log_softmax[[0, 1], [2, 1]], rtol=1e-6)
    b = np.array([0.0, 1.0, 1.0])
    pb = np.array([0.2, 0.9, 1.0])
    pc = np.clip(pb, 1e-7, 1 - 1e-7)
    np.testing.assert_allclose(nn.binary_crossentropy(b, pb).data,
                               -(b * np.log(pc) + (1 - b) * np.log(1 - pc)), rtol=1e-6)


def test_soft_targets_get_a_gradient() -> None:
    target = Tensor(np.array([[0.2, 0.8]]), requires_grad=True)
    loss = nn.categorical_crossentropy(target, np.array([[0.5, 1.5]]), from_logits=True)
    loss.sum().backward()
    z = np.array([0.5, 1.5])
    np.testing.assert_allclose(target.grad[0], -(z - np.log(np.exp(z).sum())))


def _conv_reference(x, k, stride, pads, dilation):
    """Direct-loop 2-D convolution (channels last), zero padding ``pads``."""
    xp = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    kh, kw, _, f = k.shape
    oh = (xp.shape[1] - dilation * (kh - 1) - 1) // stride + 1
    ow = (xp.shape[2] - dilation * (kw - 1) - 1) // stride + 1
    out = np.zeros((x.shape[0], oh, ow, f))
    for i, j, a, b in itertools.product(range(oh), range(ow), range(kh), range(kw)):
        out[:, i, j] += xp[:, i * stride + a * dilation, j * stride + b * dilation] @ k[a, b]
    return out


def test_conv_against_loops_and_grouping() -> None:
    rng = np.random.default_rng(0)
    x, k = rng.standard_normal((2, 6, 7, 4)), rng.standard_normal((3, 3, 4, 5))
    np.testing.assert_allclose(nn.conv(x, k, strides=2, padding="same").data,
                               _conv_reference(x, k, 2, ((0, 1), (1, 1)), 1), rtol=1e-10)
    np.testing.assert_allclose(nn.conv(x, k, dilation_rate=2).data,
                               _conv_reference(x, k, 1, ((0, 0), (0, 0)), 2), rtol=1e-10)
    grouped = rng.standard_normal((3, 3, 2, 4))  # 2 groups of 2 input channels
    out = nn.conv(x, grouped).data
    for g in range(2):
        np.testing.assert_allclose(
            out[..., 2 * g: 2 * g + 2],
            _conv_reference(x[..., 2 * g: 2 * g + 2], grouped[..., 2 * g: 2 * g + 2], 1,
                            ((0, 0), (0, 0)), 1), rtol=1e-10)


def test_conv_transpose_is_the_adjoint_of_conv() -> None:
    rng = np.random.default_rng(1)
    k = rng.standard_normal((3, 3, 2, 4))  # conv_transpose kernel (k, filters=2, in=4)
    y = rng.standard_normal((1, 4, 5, 4))
    x = rng.standard_normal((1, 8, 10, 2))
    # <conv(x, k'), y> == <x, conv_transpose(y, k)> with k' (k, in=2, out=4) = k
    lhs = np.sum(nn.conv(x, k, strides=2, padding="same").data * y)
    rhs = np.sum(x * nn.conv_transpose(y, k, strides=2, padding="same").data)
    np.testing.assert_allclose(lhs, rhs, rtol=1e-10)


def test_pooling_same_padding_excludes_the_padding() -> None:
    x = np.arange(1.0, 6.0).reshape(1, 5, 1)
    np.testing.assert_allclose(nn.average_pool(x, 2, padding="same").data.ravel(),
                               [1.5, 3.5, 5.0])
    np.testing.assert_allclose(nn.max_pool(-x, 2, padding="same").data.ravel(), [-1, -3, -5])


def test_adaptive_pools_use_pytorch_bins() -> None:
    x = np.arange(7.0).reshape(1, 7, 1)  # 3 bins: [0, 3), [2, 5), [4, 7)
    np.testing.assert_allclose(nn.adaptive_average_pool(x, 3).data.ravel(), [1, 3, 5])
    np.testing.assert_allclose(nn.adaptive_max_pool(x, 3).data.ravel(), [2, 4, 6])


def test_normalizations_over_a_middle_axis() -> None:
    rng = np.random.default_rng(2)
    x, g, b = rng.standard_normal((3, 4, 5)), rng.standard_normal(4), rng.standard_normal(4)
    mean, var = x.mean(1, keepdims=True), x.var(1, keepdims=True)
    want = (x - mean) / np.sqrt(var + 1e-7) * g[:, None] + b[:, None]
    np.testing.assert_allclose(nn.layer_normalization(x, g, b, axis=1).data, want, rtol=1e-8)
    rms = x / np.sqrt((x ** 2).mean(1, keepdims=True) + 1e-3) * g[:, None]
    np.testing.assert_allclose(nn.rms_normalization(x, g, axis=1, epsilon=1e-3).data, rms,
                               rtol=1e-8)
    m, v = nn.moments(x, axes=(0, 2))
    np.testing.assert_allclose(m.data, x.mean((0, 2)))
    np.testing.assert_allclose(v.data, x.var((0, 2)))


def test_attention_formula() -> None:
    rng = np.random.default_rng(3)
    q, k, v = (rng.standard_normal((1, 3, 2, 4)) for _ in range(3))
    logits = np.einsum("btnh,bsnh->bnts", q, k) / 2.0
    logits = np.where(np.tril(np.ones((3, 3), bool)), logits, -np.inf)
    w = np.exp(logits - logits.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)
    want = np.einsum("bnts,bsnh->btnh", w, v)
    np.testing.assert_allclose(nn.dot_product_attention(q, k, v, is_causal=True).data, want,
                               rtol=1e-10)
    capped = nn.dot_product_attention(q, k, v, attn_logits_soft_cap=0.5).data
    assert capped.shape == q.shape and np.isfinite(capped).all()


def test_psnr_and_polar() -> None:
    a, b = np.zeros((2, 2)), np.full((2, 2), 0.1)
    np.testing.assert_allclose(nn.psnr(a, b, 1.0).data, 20.0, rtol=1e-10)
    z = nn.polar(np.array([2.0]), np.array([np.pi / 2]))
    assert z.dtype == np.complex128
    np.testing.assert_allclose(z.data, [2j], atol=1e-12)


def _ctc_brute_force(logits, labels, blank=0):
    """-log p(labels): sum over every frame path that collapses to ``labels``."""
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    total = 0.0
    for path in itertools.product(range(logits.shape[1]), repeat=logits.shape[0]):
        collapsed = [c for i, c in enumerate(path) if c != blank and (i == 0 or path[i - 1] != c)]
        if collapsed == list(labels):
            total += np.exp(sum(logp[t, c] for t, c in enumerate(path)))
    return -np.log(total)


def test_ctc_loss_against_every_alignment() -> None:
    rng = np.random.default_rng(4)
    logits = rng.standard_normal((2, 5, 3))
    targets = np.array([[1, 1], [2, 1]])
    out = nn.ctc_loss(targets, logits, np.array([2, 2]), np.array([5, 4])).data
    np.testing.assert_allclose(out[0], _ctc_brute_force(logits[0], [1, 1]), rtol=1e-10)
    np.testing.assert_allclose(out[1], _ctc_brute_force(logits[1, :4], [2, 1]), rtol=1e-10)
    blank2 = nn.ctc_loss(np.array([[0]]), logits[:1], [1], [5], mask_index=2).data
    np.testing.assert_allclose(blank2[0], _ctc_brute_force(logits[0], [0], blank=2), rtol=1e-10)


def test_ctc_beam_search_finds_the_most_probable_labelling() -> None:
    rng = np.random.default_rng(5)
    logits = rng.standard_normal((1, 4, 3)) * 2
    paths, scores = nn.ctc_decode(logits, [4], strategy="beam_search", beam_width=50,
                                  top_paths=2)
    candidates = {}
    for labels in [(), (1,), (2,), (1, 2), (2, 1), (1, 1), (2, 2), (1, 2, 1), (2, 1, 2),
                   (1, 1, 2), (1, 2, 2), (2, 2, 1), (2, 1, 1)]:  # every labelling 4 frames allow
        candidates[labels] = -_ctc_brute_force(logits[0], labels) if labels else np.log(
            np.exp(np.sum(logits[0, :, 0] - np.log(np.exp(logits[0]).sum(-1)))))
    best = sorted(candidates.items(), key=lambda kv: -kv[1])[:2]
    for rank, (labels, score) in enumerate(best):
        decoded = [c for c in paths.data[rank, 0] if c >= 0]
        assert tuple(decoded) == labels
        np.testing.assert_allclose(scores.data[0, rank], score, rtol=1e-5)


def test_unfold_then_fold_counts_overlaps() -> None:
    x = np.ones((1, 2, 4, 4))
    counts = nn.fold(nn.unfold(x, 3), (4, 4), 3).data
    np.testing.assert_allclose(counts[0, 0], [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2],
                                              [1, 2, 2, 1]])


def test_depth_to_space_inverts_space_to_depth() -> None:
    x = np.arange(2 * 4 * 6 * 3.0).reshape(2, 4, 6, 3)
    np.testing.assert_array_equal(nn.depth_to_space(nn.space_to_depth(x, 2), 2).data, x)


# ------------------------------------------------------------------------------- image
def test_gaussian_blur_default_format_is_channels_last() -> None:
    rng = np.random.default_rng(6)
    x = rng.standard_normal((1, 5, 6, 2))
    k = np.exp(-0.5 * np.array([-1.0, 0.0, 1.0]) ** 2)
    k /= k.sum()
    xp = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    want = sum(k[a] * k[b] * xp[:, a: a + 5, b: b + 6] for a in range(3) for b in range(3))
    np.testing.assert_allclose(image.gaussian_blur(x).data, want, rtol=1e-10)


def test_projective_affine_transform_divides() -> None:
    x = np.arange(16.0).reshape(1, 4, 4, 1)
    t = np.array([1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.1, 0.0])  # x_in = x / (0.1 x + 1)
    out = image.affine_transform(x, t, interpolation="bilinear").data[0, 0, :, 0]
    xs = np.arange(4) / (0.1 * np.arange(4) + 1)
    np.testing.assert_allclose(out, np.interp(xs, np.arange(4), x[0, 0, :, 0]), rtol=1e-10)


def test_resize_identity_and_nearest_upsampling() -> None:
    x = np.arange(6.0).reshape(1, 2, 3, 1)
    for method in ("bilinear", "bicubic", "nearest", "area", "lanczos3"):
        np.testing.assert_allclose(image.resize(x, (2, 3), interpolation=method).data, x,
                                   atol=1e-12)
    up = image.resize(x, (4, 6), interpolation="nearest").data[0, :, :, 0]
    np.testing.assert_array_equal(up, np.repeat(np.repeat(x[0, :, :, 0], 2, 0), 2, 1))
    area = image.resize(np.arange(16.0).reshape(1, 4, 4, 1), (2, 2), interpolation="area")
    np.testing.assert_allclose(area.data[0, :, :, 0], [[2.5, 4.5], [10.5, 12.5]])


def test_elastic_transform_is_seeded_and_alpha_zero_is_identity() -> None:
    rng = np.random.default_rng(7)
    x = rng.standard_normal((1, 8, 8, 2))
    a = image.elastic_transform(x, seed=3).data
    np.testing.assert_array_equal(a, image.elastic_transform(x, seed=3).data)
    assert not np.allclose(a, x)
    np.testing.assert_allclose(image.elastic_transform(x, alpha=0.0, seed=3).data, x)


def test_extract_patches_order_is_row_column_channel() -> None:
    x = np.arange(2 * 2 * 2.0).reshape(1, 2, 2, 2)
    np.testing.assert_array_equal(image.extract_patches(x, 2).data.ravel(), x.ravel())


def test_ops_namespace_exports_the_nn_family() -> None:
    assert ops.nn is nn and ops.image is image
    assert ops.relu is nn.relu and ops.one_hot is nn.one_hot
    assert not hasattr(ops, "resize")  # image ops stay in their submodule, as in Keras


def test_every_op_dispatches_symbolic_arguments() -> None:
    for module in (nn, image):
        for name in module.__all__:
            fn = getattr(module, name)
            assert hasattr(fn, "__wrapped_op__"), f"{module.__name__}.{name} lacks keras_op"
            assert fn.__name__ == name
