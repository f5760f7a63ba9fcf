"""Reference cases for ``descend.ops.nn`` and ``descend.ops.image`` against Keras 3.15.

Each case is a function of the op family namespaces ``(nn, image, T)`` (``T``
turns an array into the family's tensor type) and draws its inputs from
:func:`inputs`, a NumPy generator seeded by the case name, so the same inputs
are rebuilt anywhere. ``ops_keras_reference.json`` holds the results that
Keras 3.15.1 (torch backend) gave for these cases, computed once offline; the
tests compare descend's results with them and never import Keras. Cases where
Keras's torch backend departs from Keras's documented semantics (noted in
``tests/test_ops_nn_values.py``) are tested against NumPy formulas instead.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

import numpy as np


class Inputs:
    """Float32 arrays drawn from a generator seeded by the case name."""

    def __init__(self, name: str) -> None:
        self.rng = np.random.default_rng(zlib.crc32(name.encode()))

    def normal(self, *shape: int) -> np.ndarray:
        return self.rng.standard_normal(shape).astype(np.float32)

    def uniform(self, *shape: int) -> np.ndarray:
        return self.rng.uniform(0.0, 1.0, shape).astype(np.float32)


def _activation(name: str, **kw: Any) -> Callable:
    return lambda nn, image, T, r: getattr(nn, name)(np.linspace(-4, 4, 17, dtype=np.float32),
                                                     **kw)


FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


def _map_coordinates_case(mode: str) -> Callable:
    def case(nn: Any, image: Any, T: Callable, r: Inputs) -> Any:
        return image.map_coordinates(
            r.normal(5, 6), [r.uniform(3, 4) * 14 - 5, r.uniform(3, 4) * 16 - 5], 1,
            fill_mode=mode, fill_value=0.5)
    return case


def _affine_case(mode: str) -> Callable:
    def case(nn: Any, image: Any, T: Callable, r: Inputs) -> Any:
        return image.affine_transform(
            r.normal(6, 7, 3), np.array([1.1, 0.2, -1, 0.1, 0.9, 0.5, 0, 0], np.float32),
            interpolation="nearest", fill_mode=mode, fill_value=0.3)
    return case


CASES: dict[str, Callable] = {}
for _name in ["relu", "relu6", "sigmoid", "sparse_sigmoid", "softplus", "softsign",
              "soft_shrink", "sparse_plus", "silu", "swish", "squareplus", "log_sigmoid",
              "leaky_relu", "hard_sigmoid", "hard_silu", "hard_swish", "elu", "selu", "gelu",
              "celu", "hard_tanh", "hard_shrink", "tanh_shrink"]:
    CASES[f"{_name}"] = _activation(_name)
CASES.update({
    "gelu_exact": _activation("gelu", approximate=False),
    "threshold": _activation("threshold", threshold=0.5, default_value=-2.0),
    "squareplus_b2": _activation("squareplus", b=2),
    "elu_alpha": _activation("elu", alpha=0.5),
    "celu_alpha": _activation("celu", alpha=2.0),
    "leaky_relu_slope": _activation("leaky_relu", negative_slope=0.1),
    "soft_shrink_1": _activation("soft_shrink", threshold=1.0),
    "glu": lambda nn, image, T, r: nn.glu(r.normal(2, 6)),
    "glu_axis0": lambda nn, image, T, r: nn.glu(r.normal(4, 3), axis=0),
    "softmax_axes": lambda nn, image, T, r: nn.softmax(r.normal(2, 3, 4), axis=(1, 2)),
    "softmax_axis1": lambda nn, image, T, r: nn.softmax(r.normal(2, 3, 4), axis=1),
    "log_softmax_axis1": lambda nn, image, T, r: nn.log_softmax(r.normal(2, 3, 4), axis=1),
    "log_softmax": lambda nn, image, T, r: nn.log_softmax(r.normal(2, 5)),
    "one_hot": lambda nn, image, T, r: nn.one_hot(np.array([[0, 2], [-1, 1]]), 3),
    "one_hot_axis1": lambda nn, image, T, r: nn.one_hot(np.array([[0, 2], [-1, 1]]), 3, axis=1),
    "multi_hot": lambda nn, image, T, r: nn.multi_hot(np.array([[0, 2], [1, 1]]), 4),
    "multi_hot_1d": lambda nn, image, T, r: nn.multi_hot(np.array([0, 2]), 4),
    "binary_crossentropy": lambda nn, image, T, r: nn.binary_crossentropy(
        r.uniform(3, 4).round(), r.uniform(3, 4)),
    "binary_crossentropy_logits": lambda nn, image, T, r: nn.binary_crossentropy(
        r.uniform(3, 4).round(), r.normal(3, 4), from_logits=True),
    "categorical_crossentropy": lambda nn, image, T, r: nn.categorical_crossentropy(
        np.eye(4, dtype=np.float32)[[0, 2, 1]], r.uniform(3, 4)),
    "categorical_crossentropy_axis0_logits": lambda nn, image, T, r:
        nn.categorical_crossentropy(np.eye(4, dtype=np.float32)[[0, 2, 1]].T, r.normal(4, 3),
                                    from_logits=True, axis=0),
    "sparse_categorical_crossentropy": lambda nn, image, T, r:
        nn.sparse_categorical_crossentropy(np.array([0, 2, 1]), r.uniform(3, 4)),
    "sparse_categorical_crossentropy_logits": lambda nn, image, T, r:
        nn.sparse_categorical_crossentropy(np.array([[0], [2], [1]]), r.normal(3, 4),
                                           from_logits=True),
    "sparse_categorical_crossentropy_axis1": lambda nn, image, T, r:
        nn.sparse_categorical_crossentropy(np.array([[0, 2], [1, 3]]), r.normal(2, 4, 2),
                                           from_logits=True, axis=1),
    "conv_1d": lambda nn, image, T, r: nn.conv(r.normal(2, 7, 3), r.normal(3, 3, 4)),
    "conv_2d_same_strided": lambda nn, image, T, r: nn.conv(
        r.normal(2, 7, 6, 3), r.normal(3, 2, 3, 4), strides=2, padding="same"),
    "conv_2d_grouped_dilated": lambda nn, image, T, r: nn.conv(
        r.normal(2, 7, 6, 4), r.normal(3, 3, 2, 6), padding="same", dilation_rate=2),
    "conv_3d": lambda nn, image, T, r: nn.conv(
        r.normal(1, 5, 4, 4, 2), r.normal(2, 2, 2, 2, 3), strides=(1, 2, 1)),
    "conv_channels_first": lambda nn, image, T, r: nn.conv(
        r.normal(2, 3, 7, 6), r.normal(3, 3, 3, 4), data_format="channels_first",
        padding="same", strides=2),
    "depthwise_conv": lambda nn, image, T, r: nn.depthwise_conv(
        r.normal(2, 7, 6, 3), r.normal(3, 3, 3, 2), padding="same"),
    "depthwise_conv_1d_strided": lambda nn, image, T, r: nn.depthwise_conv(
        r.normal(2, 9, 3), r.normal(3, 3, 2), strides=2),
    "depthwise_conv_dilated_channels_first": lambda nn, image, T, r: nn.depthwise_conv(
        r.normal(2, 4, 9, 8), r.normal(3, 2, 4, 2), dilation_rate=(2, 1), padding="same",
        data_format="channels_first"),
    "separable_conv_strided": lambda nn, image, T, r: nn.separable_conv(
        r.normal(2, 9, 8, 3), r.normal(3, 3, 3, 2), r.normal(1, 1, 6, 4), strides=2),
    "separable_conv": lambda nn, image, T, r: nn.separable_conv(
        r.normal(2, 7, 6, 3), r.normal(3, 3, 3, 2), r.normal(1, 1, 6, 5), padding="same"),
    "conv_transpose_1d": lambda nn, image, T, r: nn.conv_transpose(
        r.normal(2, 5, 3), r.normal(3, 4, 3)),
    "conv_transpose_same_s2": lambda nn, image, T, r: nn.conv_transpose(
        r.normal(2, 5, 4, 3), r.normal(3, 3, 2, 3), strides=2, padding="same"),
    "conv_transpose_valid_s2": lambda nn, image, T, r: nn.conv_transpose(
        r.normal(2, 5, 4, 3), r.normal(3, 3, 2, 3), strides=2, padding="valid"),
    "conv_transpose_output_padding": lambda nn, image, T, r: nn.conv_transpose(
        r.normal(2, 5, 4, 3), r.normal(3, 2, 2, 3), strides=(2, 3), padding="same",
        output_padding=1),
    "conv_transpose_dilated": lambda nn, image, T, r: nn.conv_transpose(
        r.normal(2, 5, 3), r.normal(3, 4, 3), dilation_rate=2, padding="same"),
    "conv_transpose_channels_first": lambda nn, image, T, r: nn.conv_transpose(
        r.normal(2, 3, 5, 4), r.normal(3, 3, 2, 3), strides=2, padding="same",
        data_format="channels_first"),
    "max_pool_1d": lambda nn, image, T, r: nn.max_pool(r.normal(2, 7, 3), 2),
    "max_pool_same": lambda nn, image, T, r: nn.max_pool(r.normal(2, 7, 6, 3), 3, strides=2,
                                                         padding="same"),
    "max_pool_channels_first": lambda nn, image, T, r: nn.max_pool(
        r.normal(2, 3, 7, 6), (2, 3), strides=(1, 2), data_format="channels_first"),
    "average_pool_3d": lambda nn, image, T, r: nn.average_pool(r.normal(2, 5, 5, 4, 3), 2),
    "average_pool_same_symmetric": lambda nn, image, T, r: nn.average_pool(
        r.normal(2, 7, 7, 3), 3, strides=1, padding="same"),
    "adaptive_average_pool_1d": lambda nn, image, T, r: nn.adaptive_average_pool(
        r.normal(2, 7, 3), 3),
    "adaptive_average_pool_2d": lambda nn, image, T, r: nn.adaptive_average_pool(
        r.normal(2, 3, 7, 5), (3, 4), data_format="channels_first"),
    "adaptive_max_pool_2d": lambda nn, image, T, r: nn.adaptive_max_pool(
        r.normal(2, 7, 5, 3), (3, 2)),
    "adaptive_max_pool_3d": lambda nn, image, T, r: nn.adaptive_max_pool(
        r.normal(2, 7, 5, 4, 3), 2),
    "depth_to_space": lambda nn, image, T, r: nn.depth_to_space(r.normal(2, 3, 4, 8), 2),
    "depth_to_space_channels_first": lambda nn, image, T, r: nn.depth_to_space(
        r.normal(2, 8, 3, 4), 2, data_format="channels_first"),
    "space_to_depth": lambda nn, image, T, r: nn.space_to_depth(r.normal(2, 4, 6, 3), 2),
    "space_to_depth_channels_first": lambda nn, image, T, r: nn.space_to_depth(
        r.normal(2, 3, 4, 6), 2, data_format="channels_first"),
    "unfold": lambda nn, image, T, r: nn.unfold(T(r.normal(2, 3, 5, 6)), 2),
    "unfold_geometry": lambda nn, image, T, r: nn.unfold(
        T(r.normal(2, 3, 7, 6)), (3, 2), dilation=(1, 2), padding=(1, 0), stride=(2, 1)),
    "fold": lambda nn, image, T, r: nn.fold(T(r.normal(2, 12, 20)), (5, 6), 2),
    "fold_geometry": lambda nn, image, T, r: nn.fold(
        T(r.normal(2, 18, 16)), (7, 6), (3, 2), dilation=(1, 2), padding=(1, 0), stride=(2, 1)),
    "moments": lambda nn, image, T, r: nn.moments(r.normal(3, 4, 5), axes=[0, 2]),
    "moments_keepdims": lambda nn, image, T, r: nn.moments(r.normal(3, 4, 5), axes=[1],
                                                           keepdims=True),
    "batch_normalization": lambda nn, image, T, r: nn.batch_normalization(
        r.normal(3, 4, 5), r.normal(4), r.uniform(4), axis=1, offset=r.normal(4),
        scale=r.normal(4)),
    "batch_normalization_plain": lambda nn, image, T, r: nn.batch_normalization(
        r.normal(3, 5), r.normal(5), r.uniform(5), axis=-1),
    "layer_normalization": lambda nn, image, T, r: nn.layer_normalization(r.normal(3, 4, 5)),
    "layer_normalization_axes": lambda nn, image, T, r: nn.layer_normalization(
        r.normal(3, 4, 5), r.normal(4, 5), r.normal(4, 5), axis=(1, 2), epsilon=1e-3),
    "layer_normalization_rms_scaling": lambda nn, image, T, r: nn.layer_normalization(
        r.normal(3, 4, 5), r.normal(5), rms_scaling=True),
    "rms_normalization": lambda nn, image, T, r: nn.rms_normalization(r.normal(3, 4, 5)),
    "rms_normalization_scale": lambda nn, image, T, r: nn.rms_normalization(
        r.normal(3, 4, 5), r.normal(5), epsilon=1e-3),
    "normalize": lambda nn, image, T, r: nn.normalize(r.normal(3, 4)),
    "normalize_l1_axis0": lambda nn, image, T, r: nn.normalize(r.normal(3, 4), axis=0, order=1),
    "normalize_l3": lambda nn, image, T, r: nn.normalize(r.normal(3, 4), order=3),
    "dot_product_attention": lambda nn, image, T, r: nn.dot_product_attention(
        r.normal(2, 3, 4, 5), r.normal(2, 6, 4, 5), r.normal(2, 6, 4, 5)),
    "dot_product_attention_gqa_causal": lambda nn, image, T, r: nn.dot_product_attention(
        r.normal(2, 3, 4, 5), r.normal(2, 6, 2, 5), r.normal(2, 6, 2, 5), is_causal=True),
    "dot_product_attention_mask_scale": lambda nn, image, T, r: nn.dot_product_attention(
        r.normal(2, 3, 4, 5), r.normal(2, 6, 1, 5), r.normal(2, 6, 1, 5),
        mask=r.uniform(2, 4, 3, 6) > 0.3, scale=0.5),
    "dot_product_attention_bias": lambda nn, image, T, r: nn.dot_product_attention(
        r.normal(2, 3, 4, 5), r.normal(2, 3, 4, 5), r.normal(2, 3, 4, 5),
        bias=r.normal(1, 4, 3, 3)),
    "dot_product_attention_mask_causal": lambda nn, image, T, r: nn.dot_product_attention(
        r.normal(2, 3, 4, 5), r.normal(2, 3, 4, 5), r.normal(2, 3, 4, 5),
        mask=r.uniform(3, 3) > 0.5, is_causal=True),
    "psnr": lambda nn, image, T, r: nn.psnr(r.uniform(2, 4, 4, 3), r.uniform(2, 4, 4, 3), 1.0),
    "polar": lambda nn, image, T, r: nn.polar(r.uniform(3), r.normal(3)),
    "ctc_loss": lambda nn, image, T, r: nn.ctc_loss(
        T(np.array([[1, 2, 2], [3, 1, 0], [1, 1, 0]])), T(r.normal(3, 8, 4)),
        T(np.array([3, 2, 2])), T(np.array([8, 5, 6]))),
    "ctc_loss_blank_last": lambda nn, image, T, r: nn.ctc_loss(
        T(np.array([[0, 2, 2], [3, 1, 0], [1, 0, 1]])), T(r.normal(3, 8, 5)),
        T(np.array([3, 2, 3])), T(np.array([8, 5, 6])), mask_index=4),
    "ctc_decode_greedy": lambda nn, image, T, r: nn.ctc_decode(
        r.normal(3, 8, 4), np.array([8, 5, 6])),
    "ctc_decode_greedy_unmerged": lambda nn, image, T, r: nn.ctc_decode(
        r.normal(3, 8, 4), np.array([8, 5, 6]), merge_repeated=False, mask_index=3),
    "ctc_decode_beam": lambda nn, image, T, r: nn.ctc_decode(
        r.normal(3, 8, 4), np.array([8, 5, 6]), strategy="beam_search", beam_width=10,
        top_paths=3),
    "ctc_decode_beam_repeats": lambda nn, image, T, r: nn.ctc_decode(
        np.repeat(r.normal(3, 4, 3), 2, axis=1) * 2, np.array([8, 5, 6]),
        strategy="beam_search", beam_width=5, top_paths=2),
    # image
    "resize_bilinear": lambda nn, image, T, r: image.resize(r.normal(2, 5, 7, 3), (8, 4)),
    "resize_nearest": lambda nn, image, T, r: image.resize(r.normal(2, 9, 8, 3), (4, 11),
                                                           interpolation="nearest"),
    "resize_bicubic": lambda nn, image, T, r: image.resize(r.normal(2, 5, 7, 3), (8, 4),
                                                           interpolation="bicubic"),
    "resize_bilinear_antialias": lambda nn, image, T, r: image.resize(
        r.normal(2, 9, 8, 3), (4, 3), antialias=True),
    "resize_bicubic_antialias": lambda nn, image, T, r: image.resize(
        r.normal(2, 9, 8, 3), (4, 3), interpolation="bicubic", antialias=True),
    "resize_bicubic_antialias_mixed": lambda nn, image, T, r: image.resize(
        r.normal(2, 5, 7, 3), (3, 9), interpolation="bicubic", antialias=True),
    "resize_bilinear_antialias_upsampling": lambda nn, image, T, r: image.resize(
        r.normal(2, 5, 7, 3), (8, 9), antialias=True),
    "resize_crop_to_aspect": lambda nn, image, T, r: image.resize(
        r.normal(2, 5, 8, 3), (4, 4), crop_to_aspect_ratio=True),
    "resize_pad_to_aspect": lambda nn, image, T, r: image.resize(
        r.normal(2, 5, 8, 3), (4, 4), pad_to_aspect_ratio=True, fill_value=0.5),
    "resize_channels_first": lambda nn, image, T, r: image.resize(
        r.normal(2, 3, 5, 8), (4, 6), data_format="channels_first"),
    "resize_uint8": lambda nn, image, T, r: image.resize(
        (r.uniform(5, 7, 3) * 255).astype(np.uint8), (8, 4)),
    "scale_and_translate_linear": lambda nn, image, T, r: image.scale_and_translate(
        r.normal(2, 5, 7, 3), (2, 8, 4, 3), np.array([1.6, 0.6]), np.array([0.5, -0.2]),
        (1, 2), "linear"),
    "scale_and_translate_cubic": lambda nn, image, T, r: image.scale_and_translate(
        r.normal(2, 5, 7, 3), (2, 8, 4, 3), np.array([1.6, 0.6]), np.array([0.5, -0.2]),
        (1, 2), "cubic", antialias=False),
    "scale_and_translate_lanczos3": lambda nn, image, T, r: image.scale_and_translate(
        r.normal(2, 5, 7, 3), (2, 8, 4, 3), np.array([1.6, 0.6]), np.array([0.0, 0.0]),
        (1, 2), "lanczos3"),
    "scale_and_translate_lanczos5": lambda nn, image, T, r: image.scale_and_translate(
        r.normal(2, 5, 7, 3), (2, 8, 4, 3), np.array([1.6, 0.6]), np.array([0.0, 0.0]),
        (1, 2), "lanczos5"),
    "pad_images": lambda nn, image, T, r: image.pad_images(r.normal(2, 5, 7, 3), 1, 2, 3, 0),
    "pad_images_target": lambda nn, image, T, r: image.pad_images(
        r.normal(2, 3, 5, 7), bottom_padding=1, target_height=8, right_padding=2,
        target_width=9, data_format="channels_first"),
    "crop_images": lambda nn, image, T, r: image.crop_images(r.normal(2, 5, 7, 3), 1, 2, 1, 0),
    "crop_images_target": lambda nn, image, T, r: image.crop_images(
        r.normal(5, 7, 3), top_cropping=1, target_height=3, left_cropping=2, target_width=4),
    "map_coordinates_linear": lambda nn, image, T, r: image.map_coordinates(
        r.normal(5, 6), [r.uniform(3, 4) * 7 - 1, r.uniform(3, 4) * 8 - 1], 1),
    "map_coordinates_nearest": lambda nn, image, T, r: image.map_coordinates(
        r.normal(5, 6), [r.uniform(3, 4) * 7 - 1, r.uniform(3, 4) * 8 - 1], 0),
    **{f"map_coordinates_{mode}": _map_coordinates_case(mode) for mode in FILL_MODES},
    "affine_transform": lambda nn, image, T, r: image.affine_transform(
        r.normal(2, 6, 7, 3), np.array([[1.1, 0.2, -1, 0.1, 0.9, 0.5, 0, 0],
                                        [0.8, -0.3, 2, 0.3, 1.2, -1, 0, 0]], np.float32)),
    **{f"affine_transform_{mode}": _affine_case(mode) for mode in FILL_MODES},
    "affine_transform_channels_first": lambda nn, image, T, r: image.affine_transform(
        r.normal(3, 6, 7), np.array([1.1, 0.2, -1, 0.1, 0.9, 0.5, 0, 0], np.float32),
        data_format="channels_first"),
    "perspective_transform": lambda nn, image, T, r: image.perspective_transform(
        r.normal(2, 6, 7, 3), np.array([[0, 0], [6, 0], [0, 5], [6, 5]], np.float32),
        np.array([[1, 0], [5, 1], [0, 4], [6, 5]], np.float32)),
    "perspective_transform_nearest": lambda nn, image, T, r: image.perspective_transform(
        r.normal(6, 7, 3), np.array([[0, 0], [6, 0], [0, 5], [6, 5]], np.float32),
        np.array([[1, 0], [5, 1], [0, 4], [6, 5]], np.float32), interpolation="nearest",
        fill_value=1.0),
    "rgb_to_grayscale": lambda nn, image, T, r: image.rgb_to_grayscale(r.uniform(2, 4, 5, 3)),
    "rgb_to_grayscale_channels_first": lambda nn, image, T, r: image.rgb_to_grayscale(
        r.uniform(3, 4, 5), data_format="channels_first"),
    "rgb_to_hsv": lambda nn, image, T, r: image.rgb_to_hsv(r.uniform(2, 4, 5, 3)),
    "rgb_to_hsv_corners": lambda nn, image, T, r: image.rgb_to_hsv(np.array(
        [[[1, 0, 0], [0, 1, 0], [0, 0, 1], [0.5, 0.5, 0.5], [0, 0, 0], [1, 1, 0],
          [0.2, 0.1, 0.9]]], np.float32)),
    "hsv_to_rgb": lambda nn, image, T, r: image.hsv_to_rgb(r.uniform(2, 4, 5, 3)),
    "hsv_to_rgb_wrapping_hue": lambda nn, image, T, r: image.hsv_to_rgb(
        (r.uniform(4, 5, 3) * np.array([3, 1, 1]) - np.array([1, 0, 0])).astype(np.float32)),
    "gaussian_blur": lambda nn, image, T, r: image.gaussian_blur(
        r.normal(2, 6, 7, 3), data_format="channels_last"),
    "gaussian_blur_5": lambda nn, image, T, r: image.gaussian_blur(
        r.normal(2, 9, 8, 3), kernel_size=(5, 5), sigma=(1.5, 0.7), data_format="channels_last"),
    "gaussian_blur_channels_first": lambda nn, image, T, r: image.gaussian_blur(
        r.normal(3, 9, 8), kernel_size=(5, 5), sigma=(2.0, 2.0), data_format="channels_first"),
    "sobel_edges": lambda nn, image, T, r: image.sobel_edges(r.normal(2, 6, 7, 3),
                                                             data_format="channels_last"),
    "sobel_edges_channels_first": lambda nn, image, T, r: image.sobel_edges(
        r.normal(2, 3, 6, 7), data_format="channels_first"),
    "ssim": lambda nn, image, T, r: image.ssim(r.uniform(2, 16, 17, 3), r.uniform(2, 16, 17, 3)),
    "ssim_options": lambda nn, image, T, r: image.ssim(
        r.uniform(16, 17, 3), r.uniform(16, 17, 3), max_val=2.0, filter_size=5, filter_sigma=1.0),
    "extract_patches": lambda nn, image, T, r: image.extract_patches(r.normal(2, 6, 7, 3), 2),
    "extract_patches_same": lambda nn, image, T, r: image.extract_patches(
        r.normal(2, 6, 7, 3), (3, 2), strides=(1, 2), padding="same"),
    "extract_patches_channels_first": lambda nn, image, T, r: image.extract_patches(
        r.normal(2, 3, 6, 7), 2, data_format="channels_first"),
    "extract_patches_3d": lambda nn, image, T, r: image.extract_patches_3d(
        r.normal(2, 4, 6, 7, 2), 2),
    "extract_patches_3d_same": lambda nn, image, T, r: image.extract_patches_3d(
        r.normal(2, 4, 6, 7, 2), (2, 3, 2), strides=1, padding="same"),
})
del _name


def run(name: str, nn: Any, image: Any, convert: Callable, to_numpy: Callable) -> list:
    """Evaluate case ``name``; the result as a list of NumPy arrays (one per output)."""
    out = CASES[name](nn, image, convert, Inputs(name))
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    return [to_numpy(o) for o in outs]
