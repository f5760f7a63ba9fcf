"""Initializers: Keras formulas (fans, limits, truncation), statistics, seeds, lookup."""

import math

import numpy as np
import pytest

from descend import initializers, random
from descend.initializers import compute_fans
from descend.utils import set_random_seed


@pytest.mark.parametrize(
    "shape, fans",
    [((), (1, 1)), ((7,), (7, 7)), ((784, 30), (784, 30)), ((5, 16, 32), (80, 160)),
     ((3, 3, 16, 32), (144, 288)), ((2, 3, 3, 4, 8), (72, 144))],
)
def test_compute_fans(shape, fans):
    assert compute_fans(shape) == fans


UNIFORM = {  # name -> limit for a (fan_in=400, fan_out=200) kernel
    "glorot_uniform": math.sqrt(6 / 600),
    "he_uniform": math.sqrt(6 / 400),
    "lecun_uniform": math.sqrt(3 / 400),
}
NORMAL = {  # name -> standard deviation of the (truncated) result
    "glorot_normal": math.sqrt(2 / 600),
    "he_normal": math.sqrt(2 / 400),
    "lecun_normal": math.sqrt(1 / 400),
}


@pytest.mark.parametrize("name", sorted(UNIFORM))
def test_uniform_limits_and_std(name):
    w = initializers.get(name)((400, 200))
    limit = UNIFORM[name]
    assert w.dtype == np.float32
    assert np.abs(w).max() <= limit
    assert np.abs(w).max() > 0.99 * limit
    assert abs(w.mean()) < 0.01 * limit
    assert w.std() == pytest.approx(limit / math.sqrt(3), rel=0.01)


@pytest.mark.parametrize("name", sorted(NORMAL))
def test_truncated_normal_std_and_truncation(name):
    w = initializers.get(name)((400, 200), dtype="float64")
    std = NORMAL[name]
    # Keras divides by 0.8796 so that the truncated values have the target std
    assert w.std() == pytest.approx(std, rel=0.01)
    sigma = std / 0.87962566103423978
    assert np.abs(w).max() <= 2 * sigma
    assert np.abs(w).max() > 1.95 * sigma
    assert abs(w.mean()) < 0.01 * std


def test_variance_scaling_modes_and_conv_fans():
    shape = (3, 3, 16, 32)  # fan_in 144, fan_out 288
    for mode, n in (("fan_in", 144), ("fan_out", 288), ("fan_avg", 216)):
        init = initializers.VarianceScaling(2.0, mode, "uniform", seed=0)
        assert np.abs(init(shape)).max() <= math.sqrt(6 / n)
        w = initializers.VarianceScaling(2.0, mode, "untruncated_normal", seed=1)((60, 60, 16, 32))
        assert w.std() == pytest.approx(math.sqrt(2 / (n * 400)), rel=0.02)


def test_random_normal_uniform_truncated():
    w = initializers.RandomNormal(mean=1.0, stddev=2.0, seed=0)((200, 500))
    assert w.mean() == pytest.approx(1.0, abs=0.02)
    assert w.std() == pytest.approx(2.0, rel=0.01)
    u = initializers.RandomUniform(-0.5, 1.5, seed=0)((200, 500))
    assert u.min() >= -0.5 and u.max() < 1.5
    assert u.mean() == pytest.approx(0.5, abs=0.01)
    t = initializers.TruncatedNormal(mean=3.0, stddev=0.5, seed=0)((200, 500))
    assert np.all(np.abs(t - 3.0) <= 1.0)
    assert t.std() == pytest.approx(0.5 * 0.87962566103423978, rel=0.01)
    d = initializers.get("random_normal")((1000, 100))
    assert d.std() == pytest.approx(0.05, rel=0.02)
    d = initializers.get("random_uniform")((1000, 100))
    assert np.abs(d).max() <= 0.05


def test_defaults_match_keras():
    assert initializers.RandomNormal().get_config() == {"mean": 0.0, "stddev": 0.05, "seed": None}
    assert initializers.RandomUniform().get_config() == {
        "minval": -0.05, "maxval": 0.05, "seed": None}
    assert initializers.TruncatedNormal().get_config() == {
        "mean": 0.0, "stddev": 0.05, "seed": None}
    assert initializers.VarianceScaling().get_config() == {
        "scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal", "seed": None}
    assert initializers.Constant().get_config() == {"value": 0.0}
    assert initializers.Orthogonal().get_config() == {"gain": 1.0, "seed": None}
    assert initializers.Identity().get_config() == {"gain": 1.0}


def test_int_seed_repeats_every_call():
    init = initializers.GlorotUniform(seed=7)
    np.testing.assert_array_equal(init((5, 4)), init((5, 4)))
    np.testing.assert_array_equal(init((5, 4)), initializers.GlorotUniform(seed=7)((5, 4)))
    assert not np.array_equal(init((5, 4)), initializers.GlorotUniform(seed=8)((5, 4)))


def test_unseeded_draws_from_global_generator():
    init = initializers.HeNormal()
    set_random_seed(3)
    a, b = init((5, 4)), init((5, 4))
    assert not np.array_equal(a, b)
    set_random_seed(3)
    np.testing.assert_array_equal(init((5, 4)), a)
    random.seed(3)
    np.testing.assert_array_equal(init((5, 4)), a)


def test_generator_seed():
    rng = np.random.default_rng(0)
    init = initializers.RandomNormal(seed=rng)
    assert not np.array_equal(init((3,)), init((3,)))
    assert init.get_config()["seed"] is None


@pytest.mark.parametrize("shape", [(6, 6), (10, 4), (4, 10), (3, 3, 2, 8)])
def test_orthogonal(shape):
    w = initializers.Orthogonal(gain=2.0, seed=0)(shape, dtype="float64")
    assert w.shape == shape
    m = w.reshape(-1, shape[-1])
    if m.shape[0] >= m.shape[1]:
        np.testing.assert_allclose(m.T @ m, 4.0 * np.eye(m.shape[1]), atol=1e-12)
    else:
        np.testing.assert_allclose(m @ m.T, 4.0 * np.eye(m.shape[0]), atol=1e-12)
    with pytest.raises(ValueError, match="rank >= 2"):
        initializers.Orthogonal()((5,))


def test_constant_identity_zeros_ones():
    np.testing.assert_array_equal(initializers.get("ones")((2, 3)), np.ones((2, 3)))
    np.testing.assert_array_equal(initializers.get("zeros")((2, 3)), np.zeros((2, 3)))
    np.testing.assert_array_equal(initializers.Constant(3)((2,), dtype="float64"), [3.0, 3.0])
    np.testing.assert_array_equal(initializers.Constant([1, 2])((2, 2))[1], [1.0, 2.0])
    np.testing.assert_array_equal(initializers.get("identity")((3, 3)), np.eye(3))
    with pytest.raises(ValueError, match="2D"):
        initializers.Identity()((3, 3, 3))
    with pytest.raises(ValueError, match="cannot fill"):
        initializers.Constant([1, 2, 3])((2, 2))
    assert initializers.get("zeros")((2,), dtype="int32").dtype == np.int32


def test_float64_and_bad_dtype():
    assert initializers.get("glorot_uniform")((3, 2), dtype="float64").dtype == np.float64
    with pytest.raises(ValueError, match="float dtype"):
        initializers.get("glorot_uniform")((3, 2), dtype="int32")


@pytest.mark.parametrize(
    "name, cls",
    [("glorot_uniform", "GlorotUniform"), ("GlorotUniform", "GlorotUniform"),
     ("glorot_normal", "GlorotNormal"), ("he_normal", "HeNormal"), ("he_uniform", "HeUniform"),
     ("lecun_normal", "LecunNormal"), ("lecun_uniform", "LecunUniform"), ("zeros", "Zeros"),
     ("ones", "Ones"), ("constant", "Constant"), ("orthogonal", "Orthogonal"),
     ("random_normal", "RandomNormal"), ("random_uniform", "RandomUniform"),
     ("truncated_normal", "TruncatedNormal"), ("identity", "Identity"),
     ("variance_scaling", "VarianceScaling"), ("uniform", "RandomUniform"),
     ("OrthogonalInitializer", "Orthogonal")],
)
def test_string_names(name, cls):
    assert type(initializers.get(name)).__name__ == cls


def test_get_serialize_round_trip():
    for init in (initializers.GlorotUniform(seed=3), initializers.RandomNormal(1.0, 2.0, 4),
                 initializers.VarianceScaling(2.0, "fan_out", "uniform"),
                 initializers.Constant(0.5), initializers.Orthogonal(gain=3.0)):
        config = initializers.serialize(init)
        assert config["module"] == "keras.initializers"
        again = initializers.get(config)
        assert type(again) is type(init)
        assert again.get_config() == init.get_config()
        assert type(init).from_config(init.get_config()).get_config() == init.get_config()
    assert initializers.get(None) is None
    assert initializers.serialize(None) is None
    instance = initializers.HeNormal()
    assert initializers.get(instance) is instance
    assert isinstance(initializers.get(initializers.HeNormal), initializers.HeNormal)

    def my_init(shape, dtype=None):
        return np.full(shape, 0.1, dtype=dtype)

    assert initializers.get(my_init) is my_init
    assert initializers.serialize(my_init) == "my_init"


def test_bad_identifiers_and_arguments():
    with pytest.raises(ValueError, match="Did you mean 'glorot_uniform'"):
        initializers.get("glorot_unifrom")
    with pytest.raises(TypeError, match="initializer"):
        initializers.get(3.0)
    with pytest.raises(ValueError, match="scale"):
        initializers.VarianceScaling(scale=0)
    with pytest.raises(ValueError, match="mode"):
        initializers.VarianceScaling(mode="fan_mid")
    with pytest.raises(ValueError, match="distribution"):
        initializers.VarianceScaling(distribution="normal")
    with pytest.raises(ValueError, match="stddev"):
        initializers.RandomNormal(stddev=-1)
    with pytest.raises(ValueError, match="maxval"):
        initializers.RandomUniform(1.0, 0.0)
    with pytest.raises(TypeError, match="seed"):
        initializers.GlorotUniform(seed="abc")
    with pytest.raises(ValueError, match="negative"):
        initializers.get("zeros")((-1, 2))
