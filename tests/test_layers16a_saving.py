"""Saving round-trips of every issue-16 layer, and Lambda's safe loading."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

import descend
from descend import layers
from descend.layers.serialization import deserialize_layer, serialize_layer
from descend.models import load_model

RNG = np.random.default_rng(161)

CASES = [
    (lambda: layers.ReLU(max_value=2.0, negative_slope=0.1, threshold=0.5), (6,)),
    (lambda: layers.LeakyReLU(0.2), (6,)),
    (lambda: layers.PReLU(alpha_initializer="random_normal", shared_axes=[1]), (3, 4)),
    (lambda: layers.ELU(0.5), (6,)),
    (lambda: layers.Softmax(axis=(1, 2)), (3, 4)),
    (lambda: layers.Conv1DTranspose(3, 3, strides=2, padding="same"), (5, 2)),
    (lambda: layers.Conv2DTranspose(2, 3, strides=2, output_padding=1,
                                    bias_initializer="random_normal"), (4, 4, 2)),
    (lambda: layers.Conv3DTranspose(2, 2, strides=(1, 2, 1)), (2, 3, 2, 1)),
    (lambda: layers.DepthwiseConv1D(3, depth_multiplier=2), (6, 2)),
    (lambda: layers.DepthwiseConv2D(3, padding="same", bias_initializer="random_normal"),
     (5, 5, 2)),
    (lambda: layers.SeparableConv1D(3, 2, depth_multiplier=2), (6, 2)),
    (lambda: layers.SeparableConv2D(3, 3, strides=2), (5, 5, 2)),
    (lambda: layers.Conv2D(4, 3, groups=2), (5, 5, 4)),
    (lambda: layers.UpSampling1D(3), (4, 2)),
    (lambda: layers.UpSampling2D((2, 3), interpolation="bilinear"), (3, 3, 2)),
    (lambda: layers.UpSampling3D(2), (2, 2, 2, 1)),
    (lambda: layers.ZeroPadding3D((1, 2, 0)), (2, 2, 2, 1)),
    (lambda: layers.Cropping3D(((1, 0), (0, 1), (1, 1))), (3, 3, 3, 1)),
    (lambda: layers.AdaptiveAveragePooling1D(3), (7, 2)),
    (lambda: layers.AdaptiveAveragePooling2D((2, 3)), (5, 7, 2)),
    (lambda: layers.AdaptiveAveragePooling3D(2), (3, 4, 5, 1)),
    (lambda: layers.AdaptiveMaxPooling1D(2), (7, 2)),
    (lambda: layers.AdaptiveMaxPooling2D(2), (5, 4, 2)),
    (lambda: layers.AdaptiveMaxPooling3D((1, 2, 2)), (3, 4, 5, 1)),
    (lambda: layers.GroupNormalization(groups=2, gamma_initializer="random_normal"), (3, 4)),
    (lambda: layers.UnitNormalization(axis=(1, 2)), (3, 4)),
    (lambda: layers.RMSNormalization(epsilon=1e-3), (3, 4)),
    (lambda: layers.SpectralNormalization(layers.Dense(3), power_iterations=2), (4,)),
    (lambda: layers.GaussianNoise(0.2, seed=3), (4,)),
    (lambda: layers.GaussianDropout(0.2, seed=3), (4,)),
    (lambda: layers.AlphaDropout(0.2, noise_shape=(None, 1), seed=3), (4,)),
    (lambda: layers.ActivityRegularization(l1=0.01, l2=0.1), (4,)),
    (lambda: layers.Permute((2, 1)), (3, 4)),
    (lambda: layers.RepeatVector(3), (4,)),
    (lambda: layers.Identity(), (4,)),
]


@pytest.mark.parametrize("make,shape", CASES)
def test_config_round_trip(make, shape) -> None:
    layer = make()
    layer(RNG.standard_normal((2, *shape)).astype("float32"))
    config = serialize_layer(layer)
    json.dumps(config)
    clone = deserialize_layer(json.loads(json.dumps(config)))
    assert type(clone) is type(layer)
    assert clone.get_config() == layer.get_config()


@pytest.mark.parametrize("make,shape", CASES)
def test_model_save_and_load_round_trip(make, shape, tmp_path) -> None:
    model = descend.Sequential([layers.Input(shape), make()])
    x = RNG.standard_normal((3, *shape)).astype("float32")
    path = tmp_path / "model.descend"
    model.save(path)
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    for a, b in zip(loaded.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def double(x):
    return x * 2.0


def test_lambda_is_stored_as_keras_does() -> None:
    anonymous = layers.Lambda(lambda x: x + 1.0, output_shape=(3,)).get_config()
    assert anonymous["function"]["class_name"] == "__lambda__"
    assert set(anonymous["function"]["config"]) == {"code", "defaults", "closure"}
    assert anonymous["output_shape"] == (3,) and anonymous["arguments"] == {}
    named = layers.Lambda(double).get_config()["function"]
    assert named["class_name"] == "function" and named["config"] == "double"


def test_lambda_file_needs_safe_mode_false_and_a_named_function(tmp_path) -> None:
    model = descend.Sequential([layers.Input((3,)), layers.Lambda(double), layers.Dense(2)])
    x = RNG.standard_normal((4, 3)).astype("float32")
    path = tmp_path / "lambda.descend"
    model.save(path)
    with pytest.raises(ValueError, match="safe_mode"):
        load_model(path)
    with pytest.raises(ValueError, match="double"):
        load_model(path, safe_mode=False)  # the function is not known to the loader
    loaded = load_model(path, safe_mode=False, custom_objects={"double": double})
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_lambda_byte_code_is_never_run(tmp_path) -> None:
    marker = tmp_path / "ran"
    code = f"lambda x: (open({str(marker)!r}, 'w').close(), x)[1]"
    model = descend.Sequential([layers.Input((3,)), layers.Lambda(eval(code))])  # noqa: S307
    marker.unlink(missing_ok=True)
    path = tmp_path / "bytecode.descend"
    model.save(path)
    marker.unlink(missing_ok=True)
    with zipfile.ZipFile(path) as archive:
        assert "__lambda__" in archive.read("config.json").decode()
    for kwargs in ({}, {"safe_mode": False}):
        with pytest.raises(ValueError, match="code"):
            load_model(path, **kwargs)
    with pytest.raises(ValueError, match="byte code"):
        layers.Lambda.from_config(model.layers[-1].get_config())
    assert not marker.exists()
