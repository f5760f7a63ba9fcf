"""Bad arguments to ``descend.ops.nn`` and ``descend.ops.image`` raise clear errors.

Each error is a ValueError or TypeError whose message names the op and the
offending argument (or the shapes involved).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from descend.ops import image, nn

X4 = np.zeros((1, 4, 4, 3))

BAD: list[tuple[str, Callable[[], object], type[Exception], tuple[str, ...]]] = [
    ("one_hot-classes", lambda: nn.one_hot([0], 0), ValueError, ("one_hot", "num_classes")),
    ("one_hot-float-ids", lambda: nn.one_hot([0.5], 2), TypeError, ("one_hot", "integer")),
    ("one_hot-sparse", lambda: nn.one_hot([0], 2, sparse=True), ValueError, ("one_hot", "sparse")),
    ("multi_hot-kwargs", lambda: nn.multi_hot([[0]], 2, bogus=1), TypeError, ("multi_hot",)),
    ("binary_crossentropy-shapes", lambda: nn.binary_crossentropy(np.zeros(3), np.zeros(4)),
     ValueError, ("binary_crossentropy", "shape")),
    ("categorical_crossentropy-shapes",
     lambda: nn.categorical_crossentropy(np.zeros((2, 3)), np.ones((2, 4))), ValueError,
     ("categorical_crossentropy", "shape")),
    ("categorical_crossentropy-axis",
     lambda: nn.categorical_crossentropy(np.zeros((2, 3)), np.ones((2, 3)), axis=2),
     ValueError, ("categorical_crossentropy", "axis")),
    ("sparse_categorical_crossentropy-shape",
     lambda: nn.sparse_categorical_crossentropy([0, 1, 2], np.ones((2, 3))), ValueError,
     ("sparse_categorical_crossentropy", "target")),
    ("sparse_categorical_crossentropy-range",
     lambda: nn.sparse_categorical_crossentropy([0, 3], np.ones((2, 3))), ValueError,
     ("sparse_categorical_crossentropy", "target")),
    ("conv-kernel-rank", lambda: nn.conv(X4, np.zeros((3, 3, 3))), ValueError,
     ("conv", "kernel")),
    ("conv-groups", lambda: nn.conv(X4, np.zeros((3, 3, 2, 4))), ValueError,
     ("conv", "channels")),
    ("conv-padding", lambda: nn.conv(X4, np.zeros((3, 3, 3, 4)), padding="full"), ValueError,
     ("conv", "padding")),
    ("conv-strides", lambda: nn.conv(X4, np.zeros((3, 3, 3, 4)), strides=(1, 0)), ValueError,
     ("conv", "strides")),
    ("conv-data_format", lambda: nn.conv(X4, np.zeros((3, 3, 3, 4)), data_format="nhwc"),
     ValueError, ("conv", "data_format")),
    ("conv-rank", lambda: nn.conv(np.zeros((4, 3)), np.zeros((3, 3, 4))), ValueError,
     ("conv", "shape")),
    ("depthwise_conv-kernel", lambda: nn.depthwise_conv(X4, np.zeros((3, 3, 2, 1))),
     ValueError, ("depthwise_conv", "kernel")),
    ("separable_conv-pointwise",
     lambda: nn.separable_conv(X4, np.zeros((3, 3, 3, 1)), np.zeros((1, 1, 4, 2))),
     ValueError, ("separable_conv", "pointwise_kernel")),
    ("conv_transpose-kernel", lambda: nn.conv_transpose(X4, np.zeros((3, 3, 3, 2))),
     ValueError, ("conv_transpose", "kernel")),
    ("max_pool-pool_size", lambda: nn.max_pool(X4, 0), ValueError, ("max_pool", "pool_size")),
    ("average_pool-padding", lambda: nn.average_pool(X4, 2, padding="causal"), ValueError,
     ("average_pool", "padding")),
    ("adaptive_max_pool-output_size", lambda: nn.adaptive_max_pool(X4, (2, 2, 2)), ValueError,
     ("adaptive_max_pool", "output_size")),
    ("depth_to_space-channels", lambda: nn.depth_to_space(X4, 2), ValueError,
     ("depth_to_space", "channels")),
    ("space_to_depth-block", lambda: nn.space_to_depth(X4, 3), ValueError,
     ("space_to_depth", "block_size")),
    ("unfold-rank", lambda: nn.unfold(np.zeros((4, 4)), 2), ValueError, ("unfold", "4-D")),
    ("fold-blocks", lambda: nn.fold(np.zeros((1, 4, 5)), (4, 4), 2), ValueError,
     ("fold", "output_size")),
    ("moments-axis", lambda: nn.moments(np.zeros((2, 3)), axes=[2]), ValueError,
     ("moments", "axis")),
    ("batch_normalization-mean", lambda: nn.batch_normalization(
        np.zeros((2, 3)), np.zeros(4), np.ones(3), axis=1), ValueError,
     ("batch_normalization", "mean")),
    ("layer_normalization-kwargs", lambda: nn.layer_normalization(np.zeros(3), center=True),
     TypeError, ("layer_normalization",)),
    ("layer_normalization-gamma", lambda: nn.layer_normalization(np.zeros((2, 3)), np.ones(4)),
     ValueError, ("layer_normalization", "gamma")),
    ("softmax-axis", lambda: nn.softmax(np.ones(3), axis=5), ValueError, ("softmax", "axis")),
    ("normalize-order", lambda: nn.normalize(np.ones(3), order=0), ValueError,
     ("normalize", "order")),
    ("dot_product_attention-rank", lambda: nn.dot_product_attention(
        np.zeros((2, 3, 4)), np.zeros((2, 3, 4)), np.zeros((2, 3, 4))), ValueError,
     ("dot_product_attention", "4-D")),
    ("dot_product_attention-heads", lambda: nn.dot_product_attention(
        np.zeros((1, 2, 3, 4)), np.zeros((1, 2, 2, 4)), np.zeros((1, 2, 2, 4))), ValueError,
     ("dot_product_attention", "heads")),
    ("psnr-shapes", lambda: nn.psnr(np.zeros(3), np.zeros(4), 1.0), ValueError,
     ("psnr", "shape")),
    ("polar-complex", lambda: nn.polar(np.array([1j]), np.zeros(1)), TypeError,
     ("polar", "abs_")),
    ("ctc_loss-lengths", lambda: nn.ctc_loss(np.zeros((1, 2), int), np.zeros((1, 3, 3)), [3],
                                             [3]), ValueError, ("ctc_loss", "target_length")),
    ("ctc_loss-blank-label", lambda: nn.ctc_loss(np.zeros((1, 2), int), np.zeros((1, 3, 3)),
                                                 [2], [3]), ValueError, ("ctc_loss", "blank")),
    ("ctc_decode-strategy", lambda: nn.ctc_decode(np.zeros((1, 3, 3)), [3], strategy="best"),
     ValueError, ("ctc_decode", "strategy")),
    ("ctc_decode-top_paths", lambda: nn.ctc_decode(np.zeros((1, 3, 3)), [3],
                                                   strategy="beam_search", beam_width=2,
                                                   top_paths=3), ValueError,
     ("ctc_decode", "top_paths")),
    ("resize-interpolation", lambda: image.resize(X4, (2, 2), interpolation="cubic"),
     ValueError, ("resize", "interpolation")),
    ("resize-size", lambda: image.resize(X4, (2,)), ValueError, ("resize", "size")),
    ("resize-both-aspect", lambda: image.resize(X4, (2, 2), crop_to_aspect_ratio=True,
                                                pad_to_aspect_ratio=True), ValueError,
     ("resize", "crop_to_aspect_ratio")),
    ("resize-rank", lambda: image.resize(np.zeros((4, 4)), (2, 2)), ValueError,
     ("resize", "shape")),
    ("resize-strings", lambda: image.resize(np.array([["a"]]), (2, 2)), TypeError,
     ("resize", "numeric")),
    ("scale_and_translate-method", lambda: image.scale_and_translate(
        X4, (1, 2, 2, 3), [1, 1], [0, 0], (1, 2), "box"), ValueError,
     ("scale_and_translate", "method")),
    ("pad_images-three-given", lambda: image.pad_images(X4, 1, 1, 1, 1, target_height=6),
     ValueError, ("pad_images", "top_padding")),
    ("crop_images-too-much", lambda: image.crop_images(X4, 3, 0, 3, 0), ValueError,
     ("crop_images", "top_cropping")),
    ("map_coordinates-count", lambda: image.map_coordinates(np.zeros((3, 3)), [np.zeros(2)], 1),
     ValueError, ("map_coordinates", "coordinates")),
    ("map_coordinates-order", lambda: image.map_coordinates(
        np.zeros((3, 3)), [np.zeros(2), np.zeros(2)], 3), ValueError,
     ("map_coordinates", "order")),
    ("affine_transform-shape", lambda: image.affine_transform(X4, np.zeros(6)), ValueError,
     ("affine_transform", "transform")),
    ("affine_transform-fill_mode", lambda: image.affine_transform(X4, np.zeros(8),
                                                                  fill_mode="edge"),
     ValueError, ("affine_transform", "fill_mode")),
    ("perspective_transform-points", lambda: image.perspective_transform(
        X4, np.zeros((3, 2)), np.zeros((3, 2))), ValueError,
     ("perspective_transform", "start_points")),
    ("elastic_transform-sigma", lambda: image.elastic_transform(X4, sigma=0.0), ValueError,
     ("elastic_transform", "sigma")),
    ("rgb_to_grayscale-channels", lambda: image.rgb_to_grayscale(np.zeros((1, 2, 2, 2))),
     ValueError, ("rgb_to_grayscale", "channels")),
    ("rgb_to_hsv-dtype", lambda: image.rgb_to_hsv(np.zeros((2, 2, 3), np.uint8)), ValueError,
     ("rgb_to_hsv", "float")),
    ("gaussian_blur-sigma", lambda: image.gaussian_blur(X4, sigma=(0.0, 1.0)), ValueError,
     ("gaussian_blur", "sigma")),
    ("ssim-shapes", lambda: image.ssim(X4, np.zeros((1, 4, 5, 3))), ValueError,
     ("ssim", "shape")),
    ("ssim-filter", lambda: image.ssim(X4, X4), ValueError, ("ssim", "filter_size")),
    ("extract_patches-rank", lambda: image.extract_patches(np.zeros((4, 4)), 2), ValueError,
     ("extract_patches", "rank")),
    ("extract_patches_3d-size", lambda: image.extract_patches_3d(np.zeros((1, 4, 4, 4, 1)),
                                                                 (2, 2)), ValueError,
     ("extract_patches_3d", "size")),
]


@pytest.mark.parametrize("name, call, error, words", BAD, ids=[b[0] for b in BAD])
def test_bad_arguments_raise_clear_errors(name, call, error, words) -> None:
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    for word in words:
        assert word in message, f"{name}: {word!r} not in {message!r}"
