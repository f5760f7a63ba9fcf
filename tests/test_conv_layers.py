"""Conv1D / Conv2D / Conv3D layers: shapes (Keras formulas), gradients, weights, errors."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest

from descend.autograd import Tensor, gradcheck
from descend.layers.convolutional import Conv1D, Conv2D, Conv3D


def layer_gradcheck(layer, x, names, training=False):
    """gradcheck of ``layer`` as a function of its input and of the weights ``names``."""
    layer(Tensor(x))  # build

    def fn(x, *weights):
        saved = [getattr(layer, n) for n in names]
        for n, w in zip(names, weights, strict=True):
            setattr(layer, n, w)
        try:
            return layer(x, training=training)
        finally:
            for n, w in zip(names, saved, strict=True):
                setattr(layer, n, w)

    return gradcheck(fn, x, *[getattr(layer, n).data for n in names])


def keras_size(n, k, s, d, padding):
    if padding == "valid":
        return math.floor((n - (d * (k - 1) + 1)) / s) + 1
    return math.ceil(n / s)


SHAPE_CASES = [
    case for case in itertools.product([5, 7, 8, 28], [1, 2, 3, 5], [1, 2, 3], [1, 2],
                                       ["valid", "same"])
    if not (case[2] > 1 and case[3] > 1) and keras_size(*case) >= 1
]


@pytest.mark.parametrize("n, k, s, d, padding", SHAPE_CASES)
def test_conv2d_output_shape_follows_keras_formulas(n, k, s, d, padding):
    layer = Conv2D(2, (k, 1), strides=(s, 1), dilation_rate=(d, 1), padding=padding)
    x = np.zeros((1, n, 3, 1), "float32")
    expected = (1, keras_size(n, k, s, d, padding), keras_size(3, 1, 1, 1, padding), 2)
    assert layer(x).shape == expected
    assert layer.compute_output_shape((None, n, 3, 1)) == (None, *expected[1:])


@pytest.mark.parametrize("n, k, s, d", [(9, 3, 1, 1), (9, 3, 2, 1), (9, 2, 1, 3), (4, 5, 1, 1)])
def test_conv1d_causal_output_shape(n, k, s, d):
    layer = Conv1D(3, k, strides=s, dilation_rate=d, padding="causal")
    assert layer(np.zeros((2, n, 1), "float32")).shape == (2, math.ceil(n / s), 3)
    assert layer.compute_output_shape((None, None, 1)) == (None, None, 3)


@pytest.mark.parametrize("strides, dilation, padding", [
    (1, 1, "valid"), (2, 1, "valid"), (3, 1, "same"), (2, 1, "same"), (1, 2, "valid"),
    (1, 2, "same"),
])
def test_conv2d_layer_gradcheck(strides, dilation, padding):
    rng = np.random.default_rng(0)
    layer = Conv2D(2, (3, 2), strides=strides, dilation_rate=dilation, padding=padding,
                   activation="tanh", bias_initializer="random_normal", dtype="float64")
    x = rng.standard_normal((2, 7, 5, 3))
    assert layer_gradcheck(layer, x, ["kernel", "bias"])


@pytest.mark.parametrize("strides, dilation, padding", [
    (1, 1, "causal"), (2, 1, "causal"), (1, 2, "causal"), (3, 1, "same"), (1, 2, "valid"),
])
def test_conv1d_layer_gradcheck(strides, dilation, padding):
    rng = np.random.default_rng(1)
    layer = Conv1D(3, 3, strides=strides, dilation_rate=dilation, padding=padding,
                   bias_initializer="random_normal", dtype="float64")
    assert layer_gradcheck(layer, rng.standard_normal((2, 9, 2)), ["kernel", "bias"])


@pytest.mark.parametrize("activation", ["relu", "elu", None])
def test_conv_layer_gradcheck_with_other_activations(activation):
    rng = np.random.default_rng(2)
    layer = Conv2D(2, 2, activation=activation, use_bias=False, dtype="float64")
    assert layer_gradcheck(layer, rng.standard_normal((2, 4, 3, 2)), ["kernel"])


def test_conv3d_gradcheck_and_shape():
    rng = np.random.default_rng(3)
    layer = Conv3D(2, 2, padding="same", dtype="float64")
    assert layer(rng.standard_normal((1, 3, 4, 3, 2))).shape == (1, 3, 4, 3, 2)
    assert layer_gradcheck(layer, rng.standard_normal((1, 3, 4, 3, 2)), ["kernel", "bias"])


def test_conv2d_forward_matches_a_direct_loop():
    rng = np.random.default_rng(4)
    layer = Conv2D(4, (3, 2), strides=(2, 1), padding="same", dtype="float64",
                   bias_initializer="random_normal")
    x = rng.standard_normal((2, 7, 5, 3))
    y = layer(x).data
    k, b = layer.kernel.data, layer.bias.data
    # "same": height pads 2 in total (1 before, 1 after), width 1 (after)
    xp = np.pad(x, [(0, 0), (1, 1), (0, 1), (0, 0)])
    expected = np.zeros((2, 4, 5, 4))
    for i, j in itertools.product(range(4), range(5)):
        window = xp[:, 2 * i:2 * i + 3, j:j + 2, :]
        expected[:, i, j] = np.einsum("bhwc,hwcf->bf", window, k) + b
    np.testing.assert_allclose(y, expected, rtol=1e-10, atol=1e-12)


def test_weights_shapes_names_and_parameter_counts():
    first, second = Conv2D(32, 3, activation="relu"), Conv2D(64, (3, 3))
    h = first(np.zeros((1, 28, 28, 1), "float32"))
    second(h)
    assert first.kernel.shape == (3, 3, 1, 32) and first.bias.shape == (32,)
    assert [w.path for w in first.weights] == ["conv2d/kernel", "conv2d/bias"]
    assert first.count_params() == 320 and second.count_params() == 18496
    assert Conv1D(8, 5, use_bias=False)(np.zeros((1, 10, 2), "float32")).shape == (1, 6, 8)


def test_float32_stays_float32_and_gradients_flow():
    layer = Conv2D(4, 3, padding="same", activation="relu")
    x = Tensor(np.random.default_rng(5).standard_normal((2, 6, 6, 1)).astype("float32"),
               requires_grad=True)
    y = layer(x, training=True)
    assert y.dtype == np.float32
    y.sum().backward()
    assert layer.kernel.grad.dtype == np.float32 and layer.bias.grad.shape == (4,)
    assert x.grad.shape == x.shape


def test_regularizer_losses():
    layer = Conv2D(2, 2, kernel_regularizer="l2", bias_regularizer="l1",
                   bias_initializer="ones")
    layer(np.zeros((1, 3, 3, 1), "float32"))
    penalties = [float(p.data) for p in layer.losses]
    assert len(penalties) == 2
    assert penalties[0] == pytest.approx(0.01 * float(np.sum(layer.kernel.data ** 2)))
    assert penalties[1] == pytest.approx(0.01 * 2)


def test_get_config_round_trip():
    layer = Conv1D(5, 3, strides=2, padding="CAUSAL", activation="relu", name="c")
    config = layer.get_config()
    assert config["padding"] == "causal" and config["kernel_size"] == (3,)
    assert config["strides"] == (2,) and config["dilation_rate"] == (1,)
    assert config["data_format"] == "channels_last" and config["groups"] == 1
    clone = Conv1D.from_config(config)
    assert clone.get_config() == config
    keys = {"filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate",
            "groups", "activation", "use_bias", "kernel_initializer", "bias_initializer",
            "kernel_regularizer", "bias_regularizer", "activity_regularizer",
            "kernel_constraint", "bias_constraint"}
    assert keys <= set(Conv2D(1, 1).get_config())


def test_missing_channel_axis_error_says_how_to_fix():
    with pytest.raises(ValueError) as info:
        Conv2D(32, 3)(np.zeros((6, 28, 28), "float32"))
    message = str(info.value)
    assert "expected a 4-D input (batch, height, width, channels)" in message
    assert "received shape (6, 28, 28)" in message
    assert "x[..., None]" in message and "x.reshape(-1, 28, 28, 1)" in message
    with pytest.raises(ValueError, match=r"x.reshape\(-1, 40, 1\)"):
        Conv1D(4, 3).build((None, 40))


def test_kernel_larger_than_input_names_layer_and_sizes():
    with pytest.raises(ValueError) as info:
        Conv2D(8, 5, name="big")(np.zeros((1, 3, 9, 1), "float32"))
    message = str(info.value)
    assert "'big'" in message and "kernel size 5" in message and "height (size 3)" in message
    assert "padding='same'" in message
    with pytest.raises(ValueError, match="dilated to 5"):
        Conv1D(2, 3, dilation_rate=2).build((None, 4, 1))
    # "same" padding always fits
    assert Conv2D(8, 5, padding="same")(np.zeros((1, 3, 9, 1), "float32")).shape == (1, 3, 9, 8)


def test_channels_first_data_gets_a_warning_and_hint():
    with pytest.warns(UserWarning, match="looks channels-first"):
        Conv2D(4, 3)(np.zeros((2, 3, 32, 32), "float32"))
    with pytest.raises(ValueError, match=r"np.moveaxis\(x, 1, -1\)"), pytest.warns(UserWarning):
        Conv2D(4, 3)(np.zeros((2, 1, 28, 28), "float32"))  # kernel taller than 1 row
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Conv2D(4, 3)(np.zeros((2, 28, 28, 1), "float32"))
        Conv2D(4, 1)(np.zeros((2, 3, 3, 64), "float32"))


@pytest.mark.parametrize("kwargs, match", [
    (dict(filters=0, kernel_size=3), "filters"),
    (dict(filters=2.5, kernel_size=3), "filters"),
    (dict(filters=2, kernel_size=0), "kernel_size"),
    (dict(filters=2, kernel_size=(3, 3, 3)), "kernel_size"),
    (dict(filters=2, kernel_size=3, strides=0), "strides"),
    (dict(filters=2, kernel_size=3, dilation_rate=-1), "dilation_rate"),
    (dict(filters=2, kernel_size=3, strides=2, dilation_rate=2), "strides > 1"),
    (dict(filters=2, kernel_size=3, padding="full"), "padding"),
    (dict(filters=2, kernel_size=3, padding="causal"), "padding"),
    (dict(filters=3, kernel_size=3, groups=2), "groups"),
    (dict(filters=2, kernel_size=3, data_format="channels_first"), "transpose"),
    (dict(filters=2, kernel_size=3, data_format="nhwc"), "data_format"),
])
def test_invalid_arguments_raise_in_init(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Conv2D(**kwargs)


def test_input_with_other_channel_count_is_rejected():
    layer = Conv2D(4, 3)
    layer(np.zeros((1, 5, 5, 3), "float32"))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 3"):
        layer(np.zeros((1, 5, 5, 1), "float32"))


def test_small_cnn_learns_in_a_sequential_model():
    from descend.layers import Dense, Flatten, Input
    from descend.layers.pooling import MaxPooling2D
    from descend.models import Sequential
    from descend.utils import set_random_seed

    set_random_seed(0)
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 64)
    x = rng.standard_normal((64, 8, 8, 1)).astype("float32")
    x[y == 1, :4, :4] += 1.5  # class 1: a bright top-left quadrant
    model = Sequential([Input((8, 8, 1)), Conv2D(4, 3, activation="relu", padding="same"),
                        MaxPooling2D(), Flatten(), Dense(2, activation="softmax")])
    assert model.count_params() == 40 + 16 * 4 * 2 + 2
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=20, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.85


def test_every_new_layer_round_trips_through_json_config():
    import json

    from descend.layers.normalization import BatchNormalization
    from descend.layers.pooling import GlobalMaxPooling1D, MaxPooling2D
    from descend.layers.reshaping import Cropping2D, Reshape, ZeroPadding2D
    from descend.layers.serialization import deserialize_layer, serialize_layer
    from descend.layers.spatial_dropout import SpatialDropout2D

    made = [Conv2D(3, (3, 2), strides=2, padding="same", activation="relu"),
            Conv1D(2, 3, padding="causal", dilation_rate=2), MaxPooling2D((3, 3), strides=1),
            GlobalMaxPooling1D(keepdims=True), BatchNormalization(momentum=0.9, axis=[1, 2]),
            Reshape((-1, 4)), ZeroPadding2D(((1, 0), (2, 3))), Cropping2D(1),
            SpatialDropout2D(0.2, seed=3)]
    classes = {type(layer).__name__: type(layer) for layer in made}
    for layer in made:
        text = json.dumps(serialize_layer(layer))
        clone = deserialize_layer(json.loads(text), custom_objects=classes)
        assert type(clone) is type(layer)
        assert json.dumps(clone.get_config()) == json.dumps(layer.get_config())
