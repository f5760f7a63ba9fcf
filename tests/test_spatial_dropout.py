"""SpatialDropout1D/2D/3D: whole channels dropped, rescaling, inference identity, seeds."""

from __future__ import annotations

import numpy as np
import pytest

from descend.autograd import Tensor
from descend.layers.spatial_dropout import SpatialDropout1D, SpatialDropout2D, SpatialDropout3D


@pytest.mark.parametrize("cls, shape", [
    (SpatialDropout1D, (8, 5, 16)), (SpatialDropout2D, (8, 4, 3, 16)),
    (SpatialDropout3D, (4, 2, 3, 2, 16)),
])
def test_whole_channels_are_dropped_and_kept_ones_rescaled(cls, shape):
    layer = cls(0.5, seed=0)
    x = np.random.default_rng(0).random(shape).astype("float32") + 1.0
    y = layer(x, training=True).data
    spatial = tuple(range(1, len(shape) - 1))
    dropped = np.all(y == 0, axis=spatial)
    kept = np.all(np.isclose(y, 2 * x), axis=spatial)
    assert np.all(dropped | kept)  # every (sample, channel) entirely dropped or kept
    assert 0.25 < dropped.mean() < 0.75
    assert y.dtype == np.float32


def test_inference_is_identity_and_rate_zero_too():
    x = np.ones((2, 3, 3, 4), "float32")
    np.testing.assert_array_equal(SpatialDropout2D(0.9)(x, training=False).data, x)
    np.testing.assert_array_equal(SpatialDropout2D(0.0)(x, training=True).data, x)


def test_seed_reproducibility_and_gradient_follows_the_mask():
    x = np.ones((4, 3, 3, 8), "float32")
    a = SpatialDropout2D(0.5, seed=3)(x, training=True).data
    b = SpatialDropout2D(0.5, seed=3)(x, training=True).data
    np.testing.assert_array_equal(a, b)
    t = Tensor(x, requires_grad=True)
    y = SpatialDropout2D(0.5, seed=3)(t, training=True)
    y.sum().backward()
    np.testing.assert_array_equal(t.grad, a)  # d(sum(x * mask))/dx = mask


def test_config_and_errors():
    config = SpatialDropout2D(0.3, seed=1, name="sd").get_config()
    assert config == {"name": "sd", "trainable": True, "dtype": "float32", "rate": 0.3,
                      "seed": 1, "data_format": "channels_last"}
    assert SpatialDropout2D.from_config(config).get_config() == config
    assert "data_format" not in SpatialDropout1D(0.1).get_config()
    with pytest.raises(ValueError, match="rate"):
        SpatialDropout2D(1.5)
    with pytest.raises(ValueError, match="transpose"):
        SpatialDropout2D(0.1, data_format="channels_first")
    with pytest.raises(ValueError, match=r"4-D input .* x\[\.\.\., None\]"):
        SpatialDropout2D(0.1)(np.zeros((2, 5, 5), "float32"), training=True)
