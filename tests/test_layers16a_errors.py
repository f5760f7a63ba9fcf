"""Bad arguments and inputs of the issue-16 layers: errors name the layer and the argument."""

from __future__ import annotations

import numpy as np
import pytest

from descend import layers


@pytest.mark.parametrize("make,match", [
    (lambda: layers.ReLU(max_value=-1.0), "ReLU.*max_value"),
    (lambda: layers.ReLU(negative_slope=-0.1), "ReLU.*negative_slope"),
    (lambda: layers.ReLU(threshold="a"), "ReLU.*threshold"),
    (lambda: layers.LeakyReLU(negative_slope=-1), "LeakyReLU.*negative_slope"),
    (lambda: layers.PReLU(shared_axes=[0]), "PReLU.*shared_axes"),
    (lambda: layers.Softmax(axis="last"), "Softmax.*axis"),
    (lambda: layers.Conv2DTranspose(2, 3, strides=2, output_padding=2),
     "Conv2DTranspose.*output_padding.*strides"),
    (lambda: layers.Conv2DTranspose(2, 3, strides=2, dilation_rate=2),
     "Conv2DTranspose.*dilation_rate"),
    (lambda: layers.Conv1DTranspose(2, 3, padding="causal"), "Conv1DTranspose.*padding"),
    (lambda: layers.Conv3DTranspose(0, 3), "Conv3DTranspose.*filters"),
    (lambda: layers.Conv2D(4, 3, groups=3), "Conv2D.*groups.*filters"),
    (lambda: layers.Conv2D(4, 3, groups=0), "Conv2D.*groups"),
    (lambda: layers.DepthwiseConv2D(3, depth_multiplier=0), "DepthwiseConv2D.*depth_multiplier"),
    (lambda: layers.DepthwiseConv1D(3, padding="causal"), "DepthwiseConv1D.*padding"),
    (lambda: layers.SeparableConv2D(0, 3), "SeparableConv2D.*filters"),
    (lambda: layers.SeparableConv2D(2, 3, data_format="channels_first"),
     "SeparableConv2D.*channels_last"),
    (lambda: layers.UpSampling2D(interpolation="bicubic"), "UpSampling2D.*interpolation"),
    (lambda: layers.UpSampling3D(size=0), "UpSampling3D.*size"),
    (lambda: layers.UpSampling1D(interpolation="bilinear"), "UpSampling1D.*interpolation"),
    (lambda: layers.AdaptiveAveragePooling2D((2, 0)), "AdaptiveAveragePooling2D.*output_size"),
    (lambda: layers.Cropping3D(cropping=(1, 2)), "Cropping3D.*cropping"),
    (lambda: layers.ZeroPadding3D(padding=-1), "ZeroPadding3D.*padding"),
    (lambda: layers.GroupNormalization(groups=0), "GroupNormalization.*groups"),
    (lambda: layers.SpectralNormalization(layers.Dense(2), power_iterations=0),
     "SpectralNormalization.*power_iterations"),
    (lambda: layers.SpectralNormalization("dense"), "SpectralNormalization.*layer"),
    (lambda: layers.GaussianNoise(-0.1), "GaussianNoise.*stddev"),
    (lambda: layers.GaussianDropout(1.5), "GaussianDropout.*rate"),
    (lambda: layers.AlphaDropout(-0.5), "AlphaDropout.*rate"),
    (lambda: layers.ActivityRegularization(l1=-1), "ActivityRegularization.*l1"),
    (lambda: layers.Lambda(3), "Lambda.*function"),
    (lambda: layers.Lambda(abs, arguments=[1]), "Lambda.*arguments"),
    (lambda: layers.Permute((1, 3)), "Permute.*dims"),
    (lambda: layers.RepeatVector(0), "RepeatVector.*n"),
])
def test_bad_arguments(make, match) -> None:
    with pytest.raises((ValueError, TypeError), match=match):
        make()


@pytest.mark.parametrize("layer,x,match", [
    (lambda: layers.Conv2DTranspose(2, 3), np.zeros((1, 5, 5)), "Conv2DTranspose.*4-D"),
    (lambda: layers.Conv2D(4, 3, groups=2), np.zeros((1, 5, 5, 3)), "Conv2D.*groups.*channels"),
    (lambda: layers.DepthwiseConv2D(5), np.zeros((1, 3, 3, 1)), "DepthwiseConv2D.*kernel size"),
    (lambda: layers.SeparableConv1D(2, 3), np.zeros((1, 5)), "SeparableConv1D.*3-D"),
    (lambda: layers.UpSampling2D(), np.zeros((1, 5, 5)), "UpSampling2D.*4-D"),
    (lambda: layers.AdaptiveMaxPooling3D(2), np.zeros((1, 4, 4, 4)), "AdaptiveMaxPooling3D"),
    (lambda: layers.Cropping3D(2), np.zeros((1, 4, 4, 4, 1)), "Cropping3D.*crop"),
    (lambda: layers.GroupNormalization(groups=3), np.zeros((1, 4)), "GroupNormalization.*3"),
    (lambda: layers.GroupNormalization(groups=8), np.zeros((1, 4)), "GroupNormalization.*8"),
    (lambda: layers.PReLU(shared_axes=[3]), np.zeros((1, 4)), "PReLU.*shared axis 3"),
    (lambda: layers.Permute((2, 1)), np.zeros((1, 2, 3, 4)), "Permute.*dims"),
    (lambda: layers.RepeatVector(2), np.zeros((1, 2, 3)), "RepeatVector.*2-D"),
    (lambda: layers.SpectralNormalization(layers.Flatten()), np.zeros((1, 2)),
     "SpectralNormalization.*kernel"),
    (lambda: layers.Softmax(), np.zeros((2, 3)), "Softmax.*mask"),
])
def test_bad_inputs(layer, x, match) -> None:
    kwargs = {"mask": np.ones((4, 3))} if "Softmax" in match else {}
    with pytest.raises(ValueError, match=match):
        layer()(x.astype("float32"), **kwargs)


def test_wrong_channel_count_after_build_names_the_layer() -> None:
    layer = layers.Conv2DTranspose(2, 3)
    layer(np.zeros((1, 4, 4, 3), "float32"))
    with pytest.raises(ValueError, match="conv2d_transpose.*axis -1.*3"):
        layer(np.zeros((1, 4, 4, 2), "float32"))
    depthwise = layers.DepthwiseConv1D(2)
    depthwise(np.zeros((1, 4, 3), "float32"))
    with pytest.raises(ValueError, match="depthwise_conv1d.*axis -1.*3"):
        depthwise(np.zeros((1, 4, 2), "float32"))
