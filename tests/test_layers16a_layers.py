"""Layers of issue 16: values (Keras's definitions), shapes, and float64 gradchecks."""

from __future__ import annotations

import numpy as np
import pytest

import descend
from descend import layers
from descend.autograd import Tensor, gradcheck

RNG = np.random.default_rng(160)


@pytest.fixture(autouse=True)
def _float64() -> None:
    descend.config.set_floatx("float64")


def check_layer(layer, x: np.ndarray, training: bool = False, weight_owner=None) -> None:
    """gradcheck with respect to the input and every trainable weight; checks the shape rule."""
    out = layer(Tensor(x))
    assert tuple(layer.compute_output_shape(x.shape)) == out.shape
    owner = weight_owner or layer
    weights = [w for w in owner.weights if w.trainable]
    names = [w.path.split("/")[-1] for w in weights]

    def fn(inp, *values):
        for name, value in zip(names, values, strict=True):
            setattr(owner, name, value)
        try:
            return layer._invoke(inp, training)
        finally:
            for name, weight in zip(names, weights, strict=True):
                setattr(owner, name, weight)

    assert gradcheck(fn, x, *[w.numpy() for w in weights])


def away_from_kinks(shape, kinks=(0.0,)) -> np.ndarray:
    x = RNG.standard_normal(shape)
    for k in kinks:
        x[np.abs(x - k) < 0.05] += 0.1
    return x


# ------------------------------------------------------------------ activations
def test_relu_variants_values_computed_with_keras() -> None:
    x = np.array([[-1.0, 0.5, 1.0, 1.5, 3.0]])
    got = layers.ReLU(max_value=2.0, negative_slope=0.5, threshold=1.0)(x).data
    np.testing.assert_allclose(got, [[-1.0, -0.25, 0.0, 1.5, 2.0]])
    np.testing.assert_allclose(layers.ReLU()(x).data, np.maximum(x, 0))
    np.testing.assert_allclose(layers.ReLU(max_value=6.0)(x * 5).data, np.clip(x * 5, 0, 6))
    np.testing.assert_allclose(layers.LeakyReLU()(x).data, np.where(x >= 0, x, 0.3 * x))
    np.testing.assert_allclose(layers.LeakyReLU(alpha=0.1)(x).data, np.where(x >= 0, x, 0.1 * x))
    np.testing.assert_allclose(layers.ELU(alpha=0.7)(x).data,
                               np.where(x > 0, x, 0.7 * (np.exp(x) - 1)))


@pytest.mark.parametrize("layer", [
    lambda: layers.ReLU(), lambda: layers.ReLU(max_value=1.0, negative_slope=0.2, threshold=0.3),
    lambda: layers.LeakyReLU(0.2), lambda: layers.ELU(0.5), lambda: layers.Softmax(axis=1),
    lambda: layers.Softmax(axis=(1, 2)), lambda: layers.PReLU(alpha_initializer="ones"),
    lambda: layers.PReLU(shared_axes=[1], alpha_initializer="random_normal"),
])
def test_activation_layers_gradcheck(layer) -> None:
    check_layer(layer(), away_from_kinks((2, 3, 4), (0.0, 0.3, 1.0)))


def test_prelu_weight_shape_and_values() -> None:
    layer = layers.PReLU(shared_axes=[1, 2])
    layer(np.zeros((1, 4, 5, 3)))
    assert layer.alpha.shape == (1, 1, 3)
    layer = layers.PReLU()
    layer.build((None, 2))
    layer.set_weights([np.array([0.25, 0.5])])
    np.testing.assert_allclose(layer(np.array([[-2.0, 3.0]])).data, [[-0.5, 3.0]])


def test_softmax_axis_tuple_and_mask() -> None:
    x = RNG.standard_normal((2, 3, 4))
    got = layers.Softmax(axis=(1, 2))(x).data
    e = np.exp(x - x.max(axis=(1, 2), keepdims=True))
    np.testing.assert_allclose(got, e / e.sum(axis=(1, 2), keepdims=True))
    mask = np.array([[1, 1, 0, 1]] * 3)
    got = layers.Softmax()(x, mask=mask).data
    e = np.where(mask > 0.5, np.exp(x - x.max(-1, keepdims=True)), 0.0)
    np.testing.assert_allclose(got, e / e.sum(-1, keepdims=True), atol=1e-12)
    everything_masked = layers.Softmax()(x, mask=np.zeros(4, bool)).data
    np.testing.assert_array_equal(everything_masked, 0.0)


# ------------------------------------------------------------------ convolutions
TRANSPOSE_LAYERS = [
    (layers.Conv1DTranspose, (2, 5, 3), dict(kernel_size=3, strides=2, padding="same")),
    (layers.Conv1DTranspose, (2, 4, 2), dict(kernel_size=2, strides=3, output_padding=1)),
    (layers.Conv1DTranspose, (2, 5, 2), dict(kernel_size=3, dilation_rate=2)),
    (layers.Conv2DTranspose, (2, 3, 4, 2), dict(kernel_size=3, strides=2, padding="same",
                                                activation="relu")),
    (layers.Conv2DTranspose, (2, 3, 3, 2), dict(kernel_size=(2, 3), strides=(2, 1),
                                                output_padding=(1, 0), activation="tanh")),
    (layers.Conv2DTranspose, (2, 4, 4, 2), dict(kernel_size=3, dilation_rate=2, padding="same",
                                                use_bias=False)),
    (layers.Conv3DTranspose, (1, 2, 3, 2, 2), dict(kernel_size=2, strides=(2, 1, 2))),
]


@pytest.mark.parametrize("cls,shape,kwargs", TRANSPOSE_LAYERS)
def test_conv_transpose_layers_gradcheck_and_shapes(cls, shape, kwargs) -> None:
    layer = cls(2, bias_initializer="random_normal", **kwargs)
    check_layer(layer, away_from_kinks(shape))
    assert layer.kernel.shape == (*layer.kernel_size, 2, shape[-1])


def test_conv2d_transpose_values_computed_with_keras() -> None:
    layer = layers.Conv2DTranspose(1, 3, strides=2, padding="same")
    layer.build((None, 2, 2, 1))
    layer.set_weights([np.arange(9.0).reshape(3, 3, 1, 1), np.array([0.5])])
    got = layer(np.arange(1.0, 5.0).reshape(1, 2, 2, 1)).data[0, :, :, 0]
    np.testing.assert_array_equal(got, np.array([[0, 1, 2, 2], [3, 4, 11, 8], [6, 10, 26, 18],
                                                 [9, 12, 27, 16]]) + 0.5)
    assert layer.compute_output_shape((None, 7, 9, 1)) == (None, 14, 18, 1)
    assert layers.Conv2DTranspose(4, 3, strides=2).compute_output_shape((None, 7, None, 2)) \
        == (None, 15, None, 4)


GROUP_LAYERS = [
    (layers.Conv1D, (2, 7, 4), dict(filters=6, kernel_size=3, groups=2, padding="causal")),
    (layers.Conv2D, (2, 5, 5, 4), dict(filters=4, kernel_size=3, groups=4, strides=2,
                                       activation="relu")),
    (layers.Conv2D, (2, 6, 6, 6), dict(filters=3, kernel_size=3, groups=3, dilation_rate=2,
                                       padding="same")),
    (layers.Conv3D, (1, 3, 4, 4, 2), dict(filters=4, kernel_size=2, groups=2)),
]


@pytest.mark.parametrize("cls,shape,kwargs", GROUP_LAYERS)
def test_grouped_conv_layers_gradcheck_and_kernel_shape(cls, shape, kwargs) -> None:
    layer = cls(bias_initializer="random_normal", **kwargs)
    check_layer(layer, away_from_kinks(shape))
    assert layer.kernel.shape[-2:] == (shape[-1] // kwargs["groups"], kwargs["filters"])


def test_grouped_conv_equals_separate_convolutions_per_group() -> None:
    x = RNG.standard_normal((2, 6, 6, 4))
    grouped = layers.Conv2D(6, 3, groups=2, padding="same")
    y = grouped(x).data
    kernel, bias = grouped.get_weights()
    for g in range(2):
        single = layers.Conv2D(3, 3, padding="same")
        single.build((None, 6, 6, 2))
        single.set_weights([kernel[..., 3 * g:3 * g + 3], bias[3 * g:3 * g + 3]])
        np.testing.assert_allclose(y[..., 3 * g:3 * g + 3],
                                   single(x[..., 2 * g:2 * g + 2]).data, atol=1e-12)


DEPTHWISE_LAYERS = [
    (layers.DepthwiseConv1D, (2, 7, 3), dict(kernel_size=3, depth_multiplier=2)),
    (layers.DepthwiseConv1D, (2, 8, 2), dict(kernel_size=2, strides=2, padding="same")),
    (layers.DepthwiseConv2D, (2, 5, 5, 3), dict(kernel_size=3, strides=2, padding="same",
                                                depth_multiplier=2)),
    (layers.DepthwiseConv2D, (2, 6, 6, 2), dict(kernel_size=(2, 3), dilation_rate=2,
                                                activation="tanh")),
    (layers.SeparableConv1D, (2, 7, 3), dict(filters=4, kernel_size=3, depth_multiplier=2)),
    (layers.SeparableConv2D, (2, 5, 5, 3), dict(filters=2, kernel_size=3, strides=2,
                                                padding="same", activation="relu")),
    (layers.SeparableConv2D, (2, 6, 5, 2), dict(filters=3, kernel_size=2, dilation_rate=2,
                                                use_bias=False)),
]


@pytest.mark.parametrize("cls,shape,kwargs", DEPTHWISE_LAYERS)
def test_depthwise_and_separable_gradcheck(cls, shape, kwargs) -> None:
    check_layer(cls(bias_initializer="random_normal", **kwargs), away_from_kinks(shape))


def test_depthwise_values_computed_with_keras_and_definition() -> None:
    layer = layers.DepthwiseConv1D(2, depth_multiplier=2, use_bias=False)
    layer.build((None, 3, 2))
    layer.set_weights([np.arange(8.0).reshape(2, 2, 2)])
    got = layer(np.arange(6.0).reshape(1, 3, 2)).data[0]
    np.testing.assert_array_equal(got, [[8, 10, 20, 24], [16, 22, 36, 44]])
    # separable = depthwise then pointwise 1x1 convolution, then bias
    x = RNG.standard_normal((2, 6, 5, 3))
    sep = layers.SeparableConv2D(4, 3, depth_multiplier=2, bias_initializer="random_normal")
    y = sep(x).data
    dw, pw, bias = sep.get_weights()
    assert dw.shape == (3, 3, 3, 2) and pw.shape == (1, 1, 6, 4) and bias.shape == (4,)
    depth = np.zeros((2, 4, 3, 6))
    for i, j in np.ndindex(4, 3):
        patch = x[:, i:i + 3, j:j + 3, :]  # (b, 3, 3, c)
        depth[:, i, j] = np.einsum("bklc,klcm->bcm", patch, dw).reshape(2, 6)
    np.testing.assert_allclose(y, depth @ pw[0, 0] + bias, atol=1e-12)


# ------------------------------------------------------------------ upsampling / pooling
@pytest.mark.parametrize("layer,shape", [
    (lambda: layers.UpSampling1D(3), (2, 4, 2)),
    (lambda: layers.UpSampling2D((2, 3)), (2, 3, 2, 2)),
    (lambda: layers.UpSampling2D(2, interpolation="bilinear"), (2, 3, 4, 2)),
    (lambda: layers.UpSampling3D((1, 2, 2)), (1, 2, 2, 3, 2)),
])
def test_upsampling_gradcheck_and_shapes(layer, shape) -> None:
    check_layer(layer(), RNG.standard_normal(shape))


def test_upsampling_values() -> None:
    x = RNG.standard_normal((2, 3, 4, 2))
    np.testing.assert_array_equal(layers.UpSampling2D((2, 3))(x).data,
                                  np.repeat(np.repeat(x, 2, axis=1), 3, axis=2))
    got = layers.UpSampling2D(2, interpolation="bilinear")(
        np.arange(4.0).reshape(1, 2, 2, 1)).data[0, :, :, 0]
    np.testing.assert_allclose(got, [[0, 0.25, 0.75, 1], [0.5, 0.75, 1.25, 1.5],
                                     [1.5, 1.75, 2.25, 2.5], [2, 2.25, 2.75, 3]])


@pytest.mark.parametrize("layer,shape", [
    (lambda: layers.AdaptiveAveragePooling1D(3), (2, 7, 2)),
    (lambda: layers.AdaptiveMaxPooling1D(4), (2, 9, 2)),
    (lambda: layers.AdaptiveAveragePooling2D((2, 3)), (2, 5, 7, 2)),
    (lambda: layers.AdaptiveMaxPooling2D(2), (2, 5, 4, 2)),
    (lambda: layers.AdaptiveAveragePooling3D((2, 1, 2)), (1, 3, 3, 5, 2)),
    (lambda: layers.AdaptiveMaxPooling3D(2), (1, 3, 4, 3, 2)),
])
def test_adaptive_pooling_gradcheck_and_shapes(layer, shape) -> None:
    check_layer(layer(), RNG.standard_normal(shape))


def test_adaptive_pooling_values_against_window_definition() -> None:
    x = np.arange(5.0).reshape(1, 5, 1)
    np.testing.assert_allclose(layers.AdaptiveAveragePooling1D(3)(x).data.ravel(),
                               [0.5, 2.0, 3.5])
    x = np.arange(9.0).reshape(1, 3, 3, 1)
    np.testing.assert_array_equal(layers.AdaptiveMaxPooling2D(2)(x).data[0, :, :, 0],
                                  [[4, 5], [7, 8]])
    x = RNG.standard_normal((2, 7, 5, 3))
    got = layers.AdaptiveAveragePooling2D((3, 2))(x).data
    for i, j in np.ndindex(3, 2):
        rows = slice(int(np.floor(i * 7 / 3)), int(np.ceil((i + 1) * 7 / 3)))
        cols = slice(int(np.floor(j * 5 / 2)), int(np.ceil((j + 1) * 5 / 2)))
        np.testing.assert_allclose(got[:, i, j], x[:, rows, cols].mean(axis=(1, 2)))


@pytest.mark.parametrize("cls,rank", [
    (layers.GlobalAveragePooling1D, 1), (layers.GlobalAveragePooling2D, 2),
    (layers.GlobalAveragePooling3D, 3), (layers.GlobalMaxPooling1D, 1),
    (layers.GlobalMaxPooling2D, 2), (layers.GlobalMaxPooling3D, 3),
])
def test_every_global_pooling_layer_has_keepdims(cls, rank) -> None:
    x = RNG.standard_normal((2, *(3,) * rank, 4))
    layer = cls(keepdims=True)
    out = layer(x)
    assert out.shape == (2, *(1,) * rank, 4) == layer.compute_output_shape(x.shape)
    assert layer.get_config()["keepdims"] is True


def test_zero_padding_and_cropping_3d() -> None:
    x = RNG.standard_normal((1, 4, 5, 3, 2))
    padded = layers.ZeroPadding3D((1, 0, 2))(x).data
    assert padded.shape == (1, 6, 5, 7, 2)
    np.testing.assert_array_equal(padded[:, 1:5, :, 2:5], x)
    assert padded.sum() == pytest.approx(x.sum())
    cropped = layers.Cropping3D(((1, 0), (1, 2), (0, 1)))(x).data
    np.testing.assert_array_equal(cropped, x[:, 1:, 1:3, :2])
    check_layer(layers.ZeroPadding3D(1), x)
    check_layer(layers.Cropping3D(((1, 0), (1, 2), (0, 1))), x)


# ------------------------------------------------------------------ normalization / noise
def test_group_normalization_values() -> None:
    got = layers.GroupNormalization(groups=2)(np.array([[1.0, 2.0, 3.0, 5.0]])).data
    np.testing.assert_allclose(got, [[-0.998006, 0.998006, -0.9995, 0.9995]], atol=1e-6)
    x = RNG.standard_normal((2, 3, 4, 6))
    layer = layers.GroupNormalization(groups=3, gamma_initializer="random_normal",
                                      beta_initializer="random_normal")
    y = layer(x).data
    groups = x.reshape(2, 3, 4, 3, 2)
    mean = groups.mean(axis=(1, 2, 4), keepdims=True)
    var = groups.var(axis=(1, 2, 4), keepdims=True)
    want = ((groups - mean) / np.sqrt(var + 1e-3)).reshape(x.shape)
    np.testing.assert_allclose(y, want * layer.gamma.numpy() + layer.beta.numpy(), atol=1e-12)
    instance = layers.GroupNormalization(groups=-1)
    instance(x)
    assert instance.groups == 6


@pytest.mark.parametrize("layer,shape", [
    (lambda: layers.GroupNormalization(groups=2, gamma_initializer="random_normal"), (2, 3, 4)),
    (lambda: layers.GroupNormalization(groups=2, axis=1, center=False), (2, 4, 3)),
    (lambda: layers.UnitNormalization(), (3, 4)),
    (lambda: layers.UnitNormalization(axis=(1, 2)), (2, 3, 4)),
    (lambda: layers.RMSNormalization(), (2, 3, 4)),
    (lambda: layers.RMSNormalization(axis=(1, 2)), (2, 3, 4)),
])
def test_normalization_gradcheck(layer, shape) -> None:
    check_layer(layer(), RNG.standard_normal(shape))


def test_unit_and_rms_normalization_values() -> None:
    x = RNG.standard_normal((3, 5))
    np.testing.assert_allclose(layers.UnitNormalization()(x).data,
                               x / np.linalg.norm(x, axis=-1, keepdims=True))
    np.testing.assert_array_equal(layers.UnitNormalization()(np.zeros((1, 3))).data, 0.0)
    np.testing.assert_allclose(layers.RMSNormalization()(np.array([[1.0, 2.0, 3.0, 5.0]])).data,
                               [[0.320256, 0.640513, 0.960769, 1.601281]], atol=1e-6)
    layer = layers.RMSNormalization(axis=(1, 2))
    y = layer(np.ones((2, 3, 4)))
    assert layer.scale.shape == (3, 4) and y.shape == (2, 3, 4)


def test_spectral_normalization_makes_the_largest_singular_value_one() -> None:
    # its own draws: the module's RNG depends on which tests ran before in this process
    # (pytest-xdist), and the power iteration's accuracy on the kernel's singular values
    rng = np.random.default_rng(0)
    descend.utils.set_random_seed(0)
    layer = layers.SpectralNormalization(layers.Dense(4), power_iterations=30)
    x = rng.standard_normal((3, 5))
    before = layer(x).data  # inference: unchanged kernel
    np.testing.assert_allclose(before, x @ layer.layer.kernel.numpy())
    layer(x, training=True)
    assert np.linalg.svd(layer.layer.kernel.numpy(), compute_uv=False)[0] == \
        pytest.approx(1.0, rel=1e-6)
    assert [w.path.split("/")[-1] for w in layer.weights] == ["kernel", "vector_u", "bias"]
    assert not layer.vector_u.trainable
    conv = layers.SpectralNormalization(layers.Conv2D(3, 2), power_iterations=50)
    conv(rng.standard_normal((1, 4, 4, 2)), training=True)
    matrix = conv.layer.kernel.numpy().reshape(-1, 3)
    assert np.linalg.svd(matrix, compute_uv=False)[0] == pytest.approx(1.0, rel=1e-6)


def test_spectral_normalization_matches_keras_power_iteration() -> None:
    """One training call of Keras's definition, written out in NumPy."""
    layer = layers.SpectralNormalization(layers.Dense(2), power_iterations=2)
    layer.build((None, 3))
    kernel = RNG.standard_normal((3, 2))
    u = RNG.standard_normal((1, 2))
    layer.layer.kernel.assign(kernel)
    layer.vector_u.assign(u)
    layer(np.ones((1, 3)), training=True)
    for _ in range(2):
        v = u @ kernel.T
        v = v / np.linalg.norm(v)
        u = v @ kernel
        u = u / np.linalg.norm(u)
    sigma = (v @ kernel @ u.T).item()
    np.testing.assert_allclose(layer.layer.kernel.numpy(), kernel / sigma)
    np.testing.assert_allclose(layer.vector_u.numpy(), u)


def test_noise_layers_are_identity_outside_training_and_seeded_in_training() -> None:
    x = RNG.standard_normal((200, 50))
    for make in (lambda: layers.GaussianNoise(0.3, seed=1),
                 lambda: layers.GaussianDropout(0.2, seed=1),
                 lambda: layers.AlphaDropout(0.2, seed=1)):
        np.testing.assert_array_equal(make()(x).data, x)
        first, second = make()(x, training=True).data, make()(x, training=True).data
        np.testing.assert_array_equal(first, second)
        assert not np.array_equal(first, x)
    noise = layers.GaussianNoise(0.3, seed=2)(x, training=True).data - x
    assert abs(noise.std() - 0.3) < 0.01 and abs(noise.mean()) < 0.01
    factor = layers.GaussianDropout(0.2, seed=2)(np.ones((400, 50)), training=True).data
    assert abs(factor.mean() - 1) < 0.01 and abs(factor.std() - np.sqrt(0.25)) < 0.01


def test_alpha_dropout_keeps_mean_and_variance_of_standard_inputs() -> None:
    x = np.random.default_rng(3).standard_normal((400, 500))
    y = layers.AlphaDropout(0.3, seed=4)(x, training=True).data
    assert abs(y.mean()) < 0.01 and abs(y.var() - 1.0) < 0.02
    alpha_p = -1.6732632423543772 * 1.0507009873554805
    a = ((1 - 0.3) * (1 + 0.3 * alpha_p ** 2)) ** -0.5
    values = np.unique(np.round(y[np.abs(y - (a * x + (-a * alpha_p * 0.3))) > 1e-9], 9))
    np.testing.assert_allclose(values, [a * alpha_p - a * alpha_p * 0.3], rtol=1e-6)


@pytest.mark.parametrize("layer", [
    lambda: layers.GaussianNoise(0.5, seed=0), lambda: layers.GaussianDropout(0.3, seed=0),
    lambda: layers.AlphaDropout(0.3, seed=0), lambda: layers.AlphaDropout(0.3, (None, 1), 0),
])
def test_noise_layers_gradcheck_in_training(layer) -> None:
    # a fixed draw per check: rebuild the seeded layer for every evaluation
    x = RNG.standard_normal((3, 4))

    def fn(a):
        return layer()._invoke(a, True)

    assert gradcheck(fn, x)


def test_activity_regularization_adds_the_penalty() -> None:
    x = np.array([[1.0, -2.0], [0.5, 0.0]])
    layer = layers.ActivityRegularization(l1=0.1, l2=0.01)
    np.testing.assert_array_equal(layer(x).data, x)
    # Keras 3: the penalty over the batch, divided by the batch size (2)
    assert float(layer.losses[0].data) == pytest.approx((0.1 * 3.5 + 0.01 * 5.25) / 2)
    check_layer(layers.ActivityRegularization(l2=0.5), x)


# ------------------------------------------------------------------ structure layers
def test_permute_repeat_identity_lambda_values_and_gradcheck() -> None:
    x = RNG.standard_normal((2, 3, 4, 5))
    np.testing.assert_array_equal(layers.Permute((3, 1, 2))(x).data, x.transpose(0, 3, 1, 2))
    check_layer(layers.Permute((2, 1)), RNG.standard_normal((2, 3, 4)))
    v = RNG.standard_normal((2, 3))
    np.testing.assert_array_equal(layers.RepeatVector(4)(v).data,
                                  np.repeat(v[:, None], 4, axis=1))
    check_layer(layers.RepeatVector(4), v)
    np.testing.assert_array_equal(layers.Identity()(x).data, x)
    check_layer(layers.Identity(), v)
    square = layers.Lambda(lambda t, power: t ** power, arguments={"power": 2})
    np.testing.assert_allclose(square(v).data, v ** 2)
    check_layer(square, v)
    assert layers.Lambda(lambda t: t[:, :2], output_shape=(2,)).compute_output_shape(
        (None, 3)) == (None, 2)
    assert layers.Lambda(lambda t: t[:, :2]).compute_output_shape((None, 3)) == (None, 2)


def test_lambda_passes_training_and_mask_when_the_function_takes_them() -> None:
    seen = {}

    def fn(t, training=False, mask=None):
        seen.update(training=training, mask=mask)
        return t

    layers.Lambda(fn)(np.ones((1, 2)), training=True)
    assert seen == {"training": True, "mask": None}


def test_flatten_and_reshape_edge_cases() -> None:
    assert layers.Flatten()(np.ones((3,))).shape == (3, 1)
    assert layers.Flatten().compute_output_shape((None,)) == (None, 1)
    x = np.arange(24.0).reshape(1, 2, 3, 4)
    np.testing.assert_array_equal(layers.Flatten(data_format="channels_first")(x).data,
                                  x.transpose(0, 2, 3, 1).reshape(1, -1))
    assert layers.Flatten().compute_output_shape((None, 3, None)) == (None, None)
    assert layers.Reshape((-1, 2)).compute_output_shape((None, 3, 4)) == (None, 6, 2)
    assert layers.Reshape((-1, 2)).compute_output_shape((None, None, 4)) == (None, None, 2)
    assert layers.Reshape((-1,))(np.ones((2, 3, 4))).shape == (2, 12)


def test_wrapper_tracks_and_builds_the_inner_layer() -> None:
    class Twice(layers.Wrapper):
        def call(self, inputs, training=False):
            return self.layer(inputs) * 2.0

    wrapped = Twice(layers.Dense(3))
    x = RNG.standard_normal((2, 4))
    np.testing.assert_allclose(wrapped(x).data, 2 * (x @ wrapped.layer.kernel.numpy()))
    assert len(wrapped.trainable_weights) == 2
    assert wrapped.compute_output_shape((None, 4)) == (None, 3)
