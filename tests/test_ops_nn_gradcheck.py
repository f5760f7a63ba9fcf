"""Gradients of ``descend.ops.nn`` and ``descend.ops.image`` against float64 central differences.

Every public name of the two modules has a case here or an entry in
``NON_DIFFERENTIABLE`` with the reason; ``test_every_name_is_covered`` fails
otherwise. Points are chosen away from kinks (the corners of the piecewise
activations, ties of max pooling) where central differences are meaningless.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from descend import gradcheck
from descend.autograd import ops as engine
from descend.ops import image, nn

NON_DIFFERENTIABLE = {
    "one_hot": "integer class ids in, an indicator array out",
    "multi_hot": "integer class ids in, an indicator array out",
    "ctc_decode": "a discrete search over label sequences",
    "polar": "complex result; the engine has no complex gradients",
}

_rng = np.random.default_rng(2024)
CASES: list[tuple[str, str, Callable[..., Any], tuple[np.ndarray, ...]]] = []


def case(name: str, op: str, fn: Callable[..., Any], *inputs: np.ndarray) -> None:
    CASES.append((name, op, fn, inputs))


def normal(*shape: int) -> np.ndarray:
    return _rng.standard_normal(shape)


def uniform(*shape: int, low: float = 0.0, high: float = 1.0) -> np.ndarray:
    return _rng.uniform(low, high, shape)


def distinct(*shape: int) -> np.ndarray:
    """All values different (no ties for max pooling), 0.1 apart."""
    n = int(np.prod(shape))
    return (_rng.permutation(n).reshape(shape) - n / 2) * 0.1


AWAY_FROM_KINKS = np.array([[-3.4, -2.7, -1.6, -0.8, -0.3, 0.2, 0.7, 1.3, 2.2, 3.4, 6.3]])

for name in ["relu", "relu6", "sigmoid", "sparse_sigmoid", "softplus", "softsign",
             "soft_shrink", "sparse_plus", "silu", "swish", "squareplus", "log_sigmoid",
             "leaky_relu", "hard_sigmoid", "hard_silu", "hard_swish", "elu", "selu", "gelu",
             "celu", "hard_tanh", "hard_shrink", "tanh_shrink"]:
    case(name, name, getattr(nn, name), AWAY_FROM_KINKS)
case("gelu-exact", "gelu", lambda x: nn.gelu(x, approximate=False), AWAY_FROM_KINKS)
case("threshold", "threshold", lambda x: nn.threshold(x, 0.5, -2.0), AWAY_FROM_KINKS)
case("glu", "glu", lambda x: nn.glu(x, axis=0), normal(4, 3))
case("softmax", "softmax", nn.softmax, normal(3, 4))
case("softmax-two-axes", "softmax", lambda x: nn.softmax(x, axis=(0, 2)), normal(2, 3, 4))
case("log_softmax", "log_softmax", lambda x: nn.log_softmax(x, axis=0), normal(3, 4))
case("log_softmax-two-axes", "log_softmax", lambda x: nn.log_softmax(x, axis=(1, 2)),
     normal(2, 3, 4))
case("sparsemax", "sparsemax", nn.sparsemax, normal(3, 5))

TARGET = (uniform(3, 4) > 0.5).astype(float)
case("binary_crossentropy", "binary_crossentropy",
     lambda p: nn.binary_crossentropy(TARGET, p), uniform(3, 4, low=0.1, high=0.9))
case("binary_crossentropy-logits-target", "binary_crossentropy",
     lambda t, z: nn.binary_crossentropy(t, z, from_logits=True), uniform(3, 4), normal(3, 4))
case("binary_crossentropy-probabilities-target", "binary_crossentropy",
     lambda t, p: nn.binary_crossentropy(t, p), uniform(3, 4), uniform(3, 4, low=0.1, high=0.9))
case("categorical_crossentropy", "categorical_crossentropy",
     lambda p: nn.categorical_crossentropy(np.eye(4)[[0, 2, 1]], p, axis=-1),
     uniform(3, 4, low=0.1, high=1.0))
case("categorical_crossentropy-logits-axis0", "categorical_crossentropy",
     lambda z: nn.categorical_crossentropy(np.eye(4)[[0, 2, 1]].T, z, from_logits=True, axis=0),
     normal(4, 3))
case("categorical_crossentropy-soft-target", "categorical_crossentropy",
     lambda t, z: nn.categorical_crossentropy(t, z, from_logits=True), uniform(3, 4),
     normal(3, 4))
case("categorical_crossentropy-probabilities-target", "categorical_crossentropy",
     lambda t, p: nn.categorical_crossentropy(t, p), uniform(3, 4), uniform(3, 4, low=0.1))
case("sparse_categorical_crossentropy", "sparse_categorical_crossentropy",
     lambda p: nn.sparse_categorical_crossentropy([0, 2, 1], p), uniform(3, 4, low=0.1))
case("sparse_categorical_crossentropy-logits-axis1", "sparse_categorical_crossentropy",
     lambda z: nn.sparse_categorical_crossentropy([[0, 2], [1, 3]], z, True, axis=1),
     normal(2, 4, 2))

case("conv-2d-same-strided", "conv",
     lambda x, k: nn.conv(x, k, strides=2, padding="same"), normal(2, 5, 6, 3),
     normal(3, 2, 3, 4))
case("conv-1d-grouped-dilated", "conv",
     lambda x, k: nn.conv(x, k, dilation_rate=2), normal(2, 9, 4), normal(2, 2, 6))
case("conv-channels-first", "conv",
     lambda x, k: nn.conv(x, k, data_format="channels_first", padding="same"),
     normal(1, 2, 5, 4), normal(3, 3, 2, 2))
case("depthwise_conv", "depthwise_conv",
     lambda x, k: nn.depthwise_conv(x, k, padding="same"), normal(2, 5, 4, 3),
     normal(3, 3, 3, 2))
case("depthwise_conv-dilated-strided", "depthwise_conv",
     lambda x, k: nn.depthwise_conv(x, k, strides=(2, 1), dilation_rate=(1, 2)),
     normal(2, 7, 6, 2), normal(2, 2, 2, 3))
case("separable_conv", "separable_conv",
     lambda x, d, p: nn.separable_conv(x, d, p, strides=2), normal(2, 6, 5, 2),
     normal(2, 2, 2, 2), normal(1, 1, 4, 3))
case("conv_transpose-same-s2", "conv_transpose",
     lambda x, k: nn.conv_transpose(x, k, strides=2, padding="same"), normal(2, 3, 4, 3),
     normal(3, 3, 2, 3))
case("conv_transpose-valid-output-padding", "conv_transpose",
     lambda x, k: nn.conv_transpose(x, k, strides=3, output_padding=1), normal(2, 4, 2),
     normal(2, 3, 2))
case("max_pool-same", "max_pool", lambda x: nn.max_pool(x, 3, strides=2, padding="same"),
     distinct(2, 5, 6, 2))
case("average_pool-same", "average_pool",
     lambda x: nn.average_pool(x, 2, padding="same"), normal(2, 5, 5, 2))
case("adaptive_average_pool", "adaptive_average_pool",
     lambda x: nn.adaptive_average_pool(x, (3, 2)), normal(2, 7, 5, 2))
case("adaptive_max_pool", "adaptive_max_pool", lambda x: nn.adaptive_max_pool(x, (3, 2)),
     distinct(2, 7, 5, 2))
case("depth_to_space", "depth_to_space", lambda x: nn.depth_to_space(x, 2), normal(1, 2, 3, 8))
case("space_to_depth", "space_to_depth",
     lambda x: nn.space_to_depth(x, 2, data_format="channels_first"), normal(1, 2, 4, 6))
case("unfold", "unfold", lambda x: nn.unfold(x, 2, padding=1, stride=2), normal(1, 2, 5, 4))
case("fold", "fold", lambda x: nn.fold(x, (4, 5), 2, stride=1), normal(1, 8, 12))
case("moments", "moments", lambda x: engine.stack(list(nn.moments(x, axes=(0, 2)))),
     normal(3, 4, 5))
case("batch_normalization", "batch_normalization",
     lambda x, m, v, o, s: nn.batch_normalization(x, m, v, axis=1, offset=o, scale=s),
     normal(3, 4, 2), normal(4), uniform(4, low=0.5, high=2.0), normal(4), normal(4))
case("layer_normalization", "layer_normalization",
     lambda x, g, b: nn.layer_normalization(x, g, b, axis=(1, 2)), normal(3, 4, 2),
     normal(4, 2), normal(4, 2))
case("rms_normalization", "rms_normalization",
     lambda x, s: nn.rms_normalization(x, s, axis=1), normal(3, 4, 2), normal(4))
case("normalize", "normalize", nn.normalize, normal(3, 4))
case("normalize-l3", "normalize", lambda x: nn.normalize(x, axis=0, order=3), normal(3, 4))
case("dot_product_attention-gqa-causal-bias", "dot_product_attention",
     lambda q, k, v, b: nn.dot_product_attention(q, k, v, bias=b, is_causal=True),
     normal(2, 3, 4, 2), normal(2, 3, 2, 2), normal(2, 3, 2, 2), normal(1, 4, 3, 3))
case("dot_product_attention-mask-softcap", "dot_product_attention",
     lambda q, k, v: nn.dot_product_attention(q, k, v, mask=np.tril(np.ones((3, 4), bool)),
                                              attn_logits_soft_cap=2.0),
     normal(1, 3, 2, 2), normal(1, 4, 2, 2), normal(1, 4, 2, 2))
case("psnr", "psnr", lambda a, b: nn.psnr(a, b, 2.0), normal(2, 3), normal(2, 3))
case("ctc_loss", "ctc_loss",
     lambda z: nn.ctc_loss(np.array([[1, 2, 2], [3, 1, 0]]), z, np.array([3, 2]),
                           np.array([7, 5])), normal(2, 7, 4))

# image
case("resize-bilinear", "resize", lambda x: image.resize(x, (5, 3)), normal(1, 3, 4, 2))
case("resize-bicubic-antialias", "resize",
     lambda x: image.resize(x, (2, 3), interpolation="bicubic", antialias=True),
     normal(1, 5, 6, 2))
case("resize-nearest-pad", "resize",
     lambda x: image.resize(x, (4, 4), interpolation="nearest", pad_to_aspect_ratio=True),
     normal(1, 3, 5, 2))
case("resize-area", "resize", lambda x: image.resize(x, (2, 3), interpolation="area"),
     normal(1, 5, 4, 2))
case("scale_and_translate", "scale_and_translate",
     lambda x: image.scale_and_translate(x, (1, 6, 3, 2), [1.5, 0.7], [0.3, -0.1], (1, 2),
                                         "lanczos3"), normal(1, 4, 4, 2))
case("crop_images", "crop_images", lambda x: image.crop_images(x, 1, 0, 1, 2),
     normal(2, 4, 5, 2))
case("pad_images", "pad_images",
     lambda x: image.pad_images(x, 1, 2, target_height=6, target_width=7),
     normal(2, 4, 5, 2))
case("map_coordinates", "map_coordinates",
     lambda x: image.map_coordinates(x, [np.array([[0.3, 2.6], [-0.7, 1.2]]),
                                         np.array([[1.4, 3.9], [0.5, 2.2]])], 1,
                                     fill_mode="reflect"), normal(3, 4))
case("affine_transform", "affine_transform",
     lambda x: image.affine_transform(x, [0.9, 0.1, 0.3, -0.2, 1.1, 0.4, 0.0, 0.0]),
     normal(2, 4, 5, 2))
case("perspective_transform", "perspective_transform",
     lambda x: image.perspective_transform(x, [[0, 0], [4, 0], [0, 3], [4, 3]],
                                           [[0.5, 0.2], [3.7, 0.1], [0.2, 2.9], [4.1, 3.3]]),
     normal(1, 4, 5, 2))
case("elastic_transform", "elastic_transform",
     lambda x: image.elastic_transform(x, alpha=2.0, sigma=1.0, seed=5), normal(1, 5, 5, 2))
case("rgb_to_grayscale", "rgb_to_grayscale", image.rgb_to_grayscale, uniform(2, 3, 3, 3))
case("rgb_to_hsv", "rgb_to_hsv", image.rgb_to_hsv, uniform(2, 3, 3, 3, low=0.1))
case("hsv_to_rgb", "hsv_to_rgb", image.hsv_to_rgb, uniform(2, 3, 3, 3))
case("gaussian_blur", "gaussian_blur",
     lambda x: image.gaussian_blur(x, (3, 3), (0.8, 1.3)), normal(1, 4, 5, 2))
case("sobel_edges", "sobel_edges", image.sobel_edges, normal(1, 4, 5, 2))
case("ssim", "ssim", lambda a, b: image.ssim(a, b, filter_size=3), uniform(1, 4, 5, 2),
     uniform(1, 4, 5, 2))
case("extract_patches", "extract_patches",
     lambda x: image.extract_patches(x, 2, strides=1, padding="same"), normal(1, 3, 4, 2))
case("extract_patches_3d", "extract_patches_3d",
     lambda x: image.extract_patches_3d(x, 2), normal(1, 2, 4, 4, 1))


@pytest.mark.parametrize("name, op, fn, inputs", CASES, ids=[c[0] for c in CASES])
def test_gradcheck(name: str, op: str, fn: Callable[..., Any], inputs: tuple) -> None:
    assert gradcheck(fn, *inputs)


def test_every_name_is_covered() -> None:
    public = set(nn.__all__) | set(image.__all__)
    checked = {op for _, op, _, _ in CASES}
    assert checked <= public
    assert set(NON_DIFFERENTIABLE) <= public
    assert public - checked - set(NON_DIFFERENTIABLE) == set()
    assert checked & set(NON_DIFFERENTIABLE) == set()


@pytest.mark.parametrize("name", sorted(NON_DIFFERENTIABLE))
def test_non_differentiable_results_need_no_gradient(name: str) -> None:
    from descend.autograd import Tensor
    x = Tensor(np.array([[0.0, 1.0]]), requires_grad=True)
    calls = {
        "one_hot": lambda: nn.one_hot(np.array([1]), 2),
        "multi_hot": lambda: nn.multi_hot(np.array([[1]]), 2),
        "ctc_decode": lambda: nn.ctc_decode(engine.reshape(x, (1, 1, 2)), [1])[1],
        "polar": lambda: nn.polar(x, x),
    }
    assert not calls[name]().requires_grad
