"""BatchNormalization: training vs inference statistics, moving averages, freezing, gradients."""

from __future__ import annotations

import numpy as np
import pytest

from descend.autograd import Tensor, gradcheck
from descend.autograd.ops import normalization as N
from descend.layers.normalization import BatchNormalization


def images(seed=0, shape=(4, 3, 5, 2), dtype="float64"):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) * 3.0 + 2.0).astype(dtype)


def test_defaults_and_weights_in_keras_order():
    layer = BatchNormalization()
    assert (layer.axis, layer.momentum, layer.epsilon, layer.center, layer.scale) == (
        -1, 0.99, 1e-3, True, True)
    layer(np.zeros((2, 4, 4, 3), "float32"))
    assert [w.path for w in layer.weights] == [
        "batch_normalization/gamma", "batch_normalization/beta",
        "batch_normalization/moving_mean", "batch_normalization/moving_variance"]
    assert [w.trainable for w in layer.weights] == [True, True, False, False]
    assert [w.path.split("/")[1] for w in layer.non_trainable_weights] == [
        "moving_mean", "moving_variance"]
    assert layer.count_params() == 12
    np.testing.assert_array_equal(layer.moving_variance.numpy(), np.ones(3, "float32"))
    assert [w.shape for w in layer.get_weights()] == [(3,)] * 4


def test_training_uses_batch_statistics_with_biased_variance():
    x = images()
    layer = BatchNormalization(dtype="float64")
    y = layer(x, training=True).data
    mean, var = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))  # biased (ddof=0)
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-12)
    m, v = N.moments(x, -1)
    np.testing.assert_allclose(m, mean, rtol=1e-12)
    np.testing.assert_allclose(v, var, rtol=1e-12)


def test_moving_statistics_update_and_inference():
    x1, x2 = images(1), images(2)
    layer = BatchNormalization(momentum=0.9, dtype="float64")
    layer(x1, training=True)
    layer(x2, training=True)
    axes = (0, 1, 2)
    mean = (0 * 0.9 + x1.mean(axes) * 0.1) * 0.9 + x2.mean(axes) * 0.1
    var = (1 * 0.9 + x1.var(axes) * 0.1) * 0.9 + x2.var(axes) * 0.1
    np.testing.assert_allclose(layer.moving_mean.numpy(), mean, rtol=1e-12)
    np.testing.assert_allclose(layer.moving_variance.numpy(), var, rtol=1e-12)
    # inference: the moving statistics, and nothing changes
    y = layer(x1, training=False).data
    np.testing.assert_allclose(y, (x1 - mean) / np.sqrt(var + 1e-3), rtol=1e-12)
    np.testing.assert_allclose(layer.moving_mean.numpy(), mean, rtol=1e-12)
    np.testing.assert_allclose(layer(x1).data, y)  # training defaults to False


def test_default_momentum_update_in_float32():
    layer = BatchNormalization()
    x = images(3, dtype="float32")
    layer(x, training=True)
    assert layer.moving_mean.dtype == np.float32
    np.testing.assert_allclose(layer.moving_mean.numpy(), 0.01 * x.mean(axis=(0, 1, 2)),
                               rtol=1e-5)


def test_frozen_layer_runs_in_inference_mode_and_keeps_statistics():
    layer = BatchNormalization(dtype="float64")
    x = images(4)
    layer(x, training=True)
    before = [w.copy() for w in layer.get_weights()]
    layer.trainable = False
    assert layer.trainable_weights == []
    y = layer(x, training=True).data
    for old, new in zip(before, layer.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)
    mean, var = before[2], before[3]
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-12)


def _bn_gradcheck(layer, x, training):
    names = [n for n in ("gamma", "beta") if getattr(layer, n) is not None]
    layer(Tensor(x))

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


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("kwargs", [
    {}, {"center": False}, {"scale": False}, {"axis": 1}, {"axis": [1, 3]},
])
def test_gradcheck(training, kwargs):
    layer = BatchNormalization(dtype="float64", gamma_initializer="random_normal",
                               beta_initializer="random_normal", **kwargs)
    assert _bn_gradcheck(layer, images(5, (3, 4, 2, 3)), training)


def test_gradcheck_dense_input():
    layer = BatchNormalization(dtype="float64", gamma_initializer="random_uniform")
    assert _bn_gradcheck(layer, images(6, (5, 3)), True)


def test_batch_norm_op_gradcheck_and_errors():
    x = images(7, (6, 2))
    gamma, beta = np.array([1.5, -0.5]), np.array([0.1, 0.2])

    def train(x, gamma, beta):
        mean, var = N.moments(x, -1)
        return N.batch_norm(x, gamma, beta, mean, var, batch_statistics=True)

    assert gradcheck(train, x, gamma, beta)
    with pytest.raises(ValueError, match="gamma must have the shape"):
        N.batch_norm(x, np.ones(3), beta, np.zeros(2), np.ones(2))
    with pytest.raises(ValueError, match="out of range"):
        N.moments(x, 2)


def test_float32_output_and_config_round_trip():
    layer = BatchNormalization(momentum=0.9, epsilon=1e-5, center=False, name="bn")
    y = layer(np.ones((2, 3), "float32"), training=True)
    assert y.dtype == np.float32
    assert [w.path for w in layer.weights] == ["bn/gamma", "bn/moving_mean",
                                               "bn/moving_variance"]
    config = layer.get_config()
    assert config["momentum"] == 0.9 and config["epsilon"] == 1e-5 and config["axis"] == -1
    assert config["center"] is False and config["scale"] is True
    assert BatchNormalization.from_config(config).get_config() == config


@pytest.mark.parametrize("kwargs, error", [
    ({"momentum": 1.5}, ValueError), ({"epsilon": 0}, ValueError),
    ({"axis": "channels"}, TypeError), ({"renorm": True}, ValueError),
])
def test_invalid_arguments(kwargs, error):
    with pytest.raises(error):
        BatchNormalization(**kwargs)


def test_input_errors():
    layer = BatchNormalization(axis=3)
    with pytest.raises(ValueError, match="out of range"):
        layer(np.zeros((2, 3), "float32"))
    layer = BatchNormalization()
    layer(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match="incompatible"):
        layer(np.zeros((2, 4), "float32"))
