"""Reshape, ZeroPadding1D/2D and Cropping1D/2D: shapes, values, gradients, errors."""

from __future__ import annotations

import numpy as np
import pytest

from descend.autograd import gradcheck
from descend.layers.reshaping import Cropping1D, Cropping2D, Reshape, ZeroPadding1D, ZeroPadding2D


def test_reshape_shapes_and_inference_of_minus_one():
    x = np.arange(24, dtype="float32").reshape(2, 12)
    y = Reshape((3, 4))(x)
    np.testing.assert_array_equal(y.data, x.reshape(2, 3, 4))
    assert Reshape((-1, 2))(x).shape == (2, 6, 2)
    assert Reshape((2, -1)).compute_output_shape((None, 12)) == (None, 2, 6)
    assert Reshape((2, -1)).compute_output_shape((None, None)) == (None, 2, None)
    assert Reshape((28, 28, 1)).compute_output_shape((None, 784)) == (None, 28, 28, 1)
    assert Reshape(6).get_config()["target_shape"] == (6,)


def test_reshape_gradcheck_and_config_round_trip():
    layer = Reshape((2, 3, -1), name="r")
    assert gradcheck(lambda t: layer(t), np.random.default_rng(0).random((2, 12)))
    config = layer.get_config()
    assert Reshape.from_config(config).get_config() == config


@pytest.mark.parametrize("target", [(2, -1, -1), (0, 4), (-2, 3), "3x4", (2.5,)])
def test_reshape_rejects_bad_target_shapes(target):
    with pytest.raises(ValueError, match="target_shape"):
        Reshape(target)


def test_reshape_size_mismatch_is_explained():
    with pytest.raises(ValueError, match="cannot hold samples of shape"):
        Reshape((5, 5))(np.zeros((2, 12), "float32"))
    with pytest.raises(ValueError, match="cannot hold"):
        Reshape((5, -1)).compute_output_shape((None, 12))


@pytest.mark.parametrize("padding, expected", [
    (1, ((1, 1), (1, 1))), ((2, 0), ((2, 2), (0, 0))), (((1, 0), (0, 3)), ((1, 0), (0, 3))),
])
def test_zero_padding2d_forms(padding, expected):
    layer = ZeroPadding2D(padding)
    assert layer.padding == expected
    x = np.random.default_rng(1).random((2, 3, 4, 2)).astype("float32")
    y = layer(x).data
    (top, bottom), (left, right) = expected
    assert y.shape == (2, 3 + top + bottom, 4 + left + right, 2)
    np.testing.assert_array_equal(y[:, top:top + 3, left:left + 4], x)
    assert y.sum() == pytest.approx(x.sum())
    assert layer.compute_output_shape((None, None, 4, 2)) == (None, None, 4 + left + right, 2)


def test_zero_padding_defaults_gradcheck_and_config():
    assert ZeroPadding2D().padding == ((1, 1), (1, 1))
    assert ZeroPadding1D().padding == (1, 1)
    x = np.random.default_rng(2).random((2, 3, 2, 2))
    assert gradcheck(lambda t: ZeroPadding2D(((1, 0), (2, 1)))(t), x)
    assert gradcheck(lambda t: ZeroPadding1D((0, 2))(t), x[:, :, 0])
    config = ZeroPadding2D((1, 2), name="z").get_config()
    assert config["padding"] == ((1, 1), (2, 2)) and config["data_format"] == "channels_last"
    assert ZeroPadding2D.from_config(config).get_config() == config
    assert ZeroPadding1D(3).get_config()["padding"] == (3, 3)


def test_cropping_layers():
    x = np.random.default_rng(3).random((2, 6, 5, 3)).astype("float32")
    y = Cropping2D(((1, 2), (0, 1)))(x)
    np.testing.assert_array_equal(y.data, x[:, 1:4, 0:4])
    assert Cropping2D(1).compute_output_shape((None, 6, 5, 3)) == (None, 4, 3, 3)
    assert Cropping2D().cropping == ((0, 0), (0, 0))
    seq = x[:, :, 0]
    np.testing.assert_array_equal(Cropping1D((2, 1))(seq).data, seq[:, 2:5])
    assert gradcheck(lambda t: Cropping2D(((1, 0), (1, 1)))(t), x.astype("float64"))
    config = Cropping1D(2).get_config()
    assert config["cropping"] == (2, 2)
    assert Cropping1D.from_config(config).get_config() == config


def test_padding_and_cropping_errors():
    with pytest.raises(ValueError, match="non-negative"):
        ZeroPadding2D(-1)
    with pytest.raises(ValueError, match="padding"):
        ZeroPadding2D((1, 2, 3))
    with pytest.raises(ValueError, match="transpose"):
        ZeroPadding2D(data_format="channels_first")
    with pytest.raises(ValueError, match=r"x.reshape\(-1, 28, 28, 1\)"):
        ZeroPadding2D()(np.zeros((4, 28, 28), "float32"))
    with pytest.raises(ValueError, match="crop less"):
        Cropping2D(((2, 2), (0, 0)))(np.zeros((1, 4, 4, 1), "float32"))
    with pytest.raises(ValueError, match="cropping"):
        Cropping1D("a")
