"""``descend.random``: Keras's ``keras.random`` functions, seeds and SeedGenerator."""

from __future__ import annotations

import json

import numpy as np
import pytest

from descend import random
from descend.autograd import Tensor
from descend.utils import set_random_seed

N = 200_000


def test_keras_names_are_present() -> None:
    keras_names = {"SeedGenerator", "beta", "binomial", "categorical", "dropout", "gamma",
                   "normal", "randint", "shuffle", "truncated_normal", "uniform"}
    assert keras_names <= set(random.__all__)
    assert all(callable(getattr(random, name)) for name in random.__all__)


# ------------------------------------------------------------------------ seeding
def test_int_seed_repeats_and_none_follows_set_random_seed() -> None:
    a = random.normal((4,), seed=5).data
    np.testing.assert_array_equal(a, random.normal((4,), seed=5).data)
    assert not np.array_equal(a, random.normal((4,), seed=6).data)
    set_random_seed(11)
    first = random.uniform((3,)).data
    second = random.uniform((3,)).data
    assert not np.array_equal(first, second)
    set_random_seed(11)
    np.testing.assert_array_equal(random.uniform((3,)).data, first)


def test_seed_generator_advances_and_repeats() -> None:
    g = random.SeedGenerator(3)
    draws = [random.uniform((3,), seed=g).data for _ in range(3)]
    assert not np.array_equal(draws[0], draws[1])
    assert g.state.tolist() == [3, 3]
    again = random.SeedGenerator(3)
    for d in draws:
        np.testing.assert_array_equal(random.uniform((3,), seed=again).data, d)
    restored = random.SeedGenerator.from_config(g.get_config())
    np.testing.assert_array_equal(random.uniform((3,), seed=restored).data, draws[0])
    json.dumps(g.get_config())


def test_seed_generator_without_seed_follows_set_random_seed() -> None:
    set_random_seed(4)
    a = random.SeedGenerator().seed
    set_random_seed(4)
    assert random.SeedGenerator().seed == a


def test_pair_seed_and_bad_seeds() -> None:
    np.testing.assert_array_equal(random.normal((2,), seed=(1, 2)).data,
                                  random.normal((2,), seed=np.array([1, 2])).data)
    with pytest.raises(TypeError, match="normal: seed must be None, an int, a SeedGenerator"):
        random.normal((2,), seed="x")
    with pytest.raises(ValueError, match="uniform: an int seed must be non-negative"):
        random.uniform((2,), seed=-1)
    with pytest.raises(ValueError, match="SeedGenerator: seed must be a non-negative int"):
        random.SeedGenerator(1.5)
    with pytest.raises(TypeError, match="SeedGenerator: unexpected keyword"):
        random.SeedGenerator(1, colour="red")


def test_existing_global_generator_api_still_works() -> None:
    random.seed(0)
    state = random.get_state()
    a = random.generator().standard_normal()
    random.set_state(state)
    assert random.generator().standard_normal() == a
    assert random.make_generator(None) is random.generator()


# ----------------------------------------------------------------- distributions
def test_normal_and_truncated_normal() -> None:
    x = random.normal((N,), mean=2.0, stddev=3.0, seed=1)
    assert isinstance(x, Tensor) and x.dtype == np.float32 and x.shape == (N,)
    assert abs(x.data.mean() - 2.0) < 0.05 and abs(x.data.std() - 3.0) < 0.05
    t = random.truncated_normal((N,), mean=1.0, stddev=2.0, seed=2).data
    assert t.min() >= 1.0 - 4.0 and t.max() <= 1.0 + 4.0
    # a standard normal truncated to [-2, 2] has variance 1 - 4 phi(2) / (2 Phi(2) - 1)
    phi2 = np.exp(-2.0) / np.sqrt(2 * np.pi)
    variance = 1 - 4 * phi2 / 0.9544997361036416
    assert abs(t.std() / 2.0 - np.sqrt(variance)) < 0.01
    assert random.normal((2, 3), dtype="float64", seed=0).dtype == np.float64


def test_uniform_and_randint() -> None:
    u = random.uniform((N,), minval=-1.0, maxval=3.0, seed=3).data
    assert u.dtype == np.float32 and u.min() >= -1.0 and u.max() < 3.0
    assert abs(u.mean() - 1.0) < 0.02 and abs(u.var() - 16 / 12) < 0.02
    r = random.randint((N,), 2, 7, seed=4)
    assert r.dtype == np.int32 and r.data.min() == 2 and r.data.max() == 6
    counts = np.bincount(r.data - 2)
    assert np.all(np.abs(counts / N - 0.2) < 0.01)
    assert random.randint((3,), 0, 5, dtype="int64", seed=0).dtype == np.int64
    with pytest.raises(ValueError, match="uniform: dtype must be a float dtype"):
        random.uniform((2,), dtype="int32")
    with pytest.raises(ValueError, match="randint: maxval must be greater than minval"):
        random.randint((2,), 3, 3)
    with pytest.raises(ValueError, match="randint: dtype must be an integer dtype"):
        random.randint((2,), 0, 3, dtype="float32")
    with pytest.raises(TypeError, match="normal: dtype must be a dtype"):
        random.normal((2,), dtype="no-such-dtype")
    with pytest.raises(ValueError, match="normal: shape must hold non-negative sizes"):
        random.normal((-1, 2))


def test_categorical_frequencies() -> None:
    probs = np.array([[0.1, 0.6, 0.3], [0.5, 0.5, 0.0]])
    with np.errstate(divide="ignore"):
        logits = np.log(probs)
    draws = random.categorical(logits, N // 10, seed=5)
    assert draws.dtype == np.int32 and draws.shape == (2, N // 10)
    for row in range(2):
        freq = np.bincount(draws.data[row], minlength=3) / (N // 10)
        np.testing.assert_allclose(freq, probs[row], atol=0.01)
    assert not np.any(draws.data[1] == 2)
    with pytest.raises(ValueError, match="categorical: logits must have shape"):
        random.categorical(np.zeros(3), 2)


def test_dropout_scales_and_masks() -> None:
    x = np.ones((400, 500))
    y = random.dropout(x, 0.3, seed=6).data
    assert set(np.unique(y)) <= {0.0, 1 / 0.7}
    assert abs((y == 0).mean() - 0.3) < 0.01
    shared = random.dropout(np.ones((4, 1000)), 0.5, noise_shape=(1, None), seed=7).data
    assert np.all(shared == shared[0])
    t = Tensor(np.ones(5), requires_grad=True)
    out = random.dropout(t, 0.5, seed=8)
    out.sum().backward()
    np.testing.assert_array_equal(t.grad, out.data)
    with pytest.raises(ValueError, match="dropout: rate must be in"):
        random.dropout(x, 1.0)
    with pytest.raises(ValueError, match="dropout: noise_shape"):
        random.dropout(x, 0.5, noise_shape=(1,))


def test_shuffle_permutes_along_an_axis() -> None:
    x = np.arange(20.0).reshape(4, 5)
    out = random.shuffle(x, axis=1, seed=9).data
    np.testing.assert_array_equal(np.sort(out, axis=1), x)
    assert np.all(out - out[:, :1] == (out - out[:, :1])[0])  # same permutation in every row
    np.testing.assert_array_equal(random.shuffle(x, seed=9).data,
                                  random.shuffle(x, seed=9).data)
    assert random.shuffle(np.arange(5), seed=1).dtype == np.arange(5).dtype
    with pytest.raises(ValueError, match="shuffle: axis 2"):
        random.shuffle(x, axis=2)


def test_gamma_binomial_beta_moments() -> None:
    g = random.gamma((N,), alpha=3.0, seed=10).data
    assert g.dtype == np.float32 and abs(g.mean() - 3.0) < 0.03 and abs(g.var() - 3.0) < 0.1
    b = random.binomial((N,), counts=10, probabilities=0.3, seed=11).data
    assert b.dtype == np.float32 and np.all(b == np.round(b))
    assert abs(b.mean() - 3.0) < 0.03 and abs(b.var() - 2.1) < 0.05
    be = random.beta((N,), alpha=2.0, beta=5.0, seed=12).data
    assert abs(be.mean() - 2 / 7) < 0.005
    assert abs(be.var() - 10 / (49 * 8)) < 0.002
    with pytest.raises(ValueError, match="gamma: alpha must be positive"):
        random.gamma((2,), alpha=0.0)
    with pytest.raises(ValueError, match="binomial: counts must be >= 0"):
        random.binomial((2,), counts=5, probabilities=1.5)
    with pytest.raises(ValueError, match="beta: alpha and beta must be positive"):
        random.beta((2,), alpha=1.0, beta=-1.0)


def test_seed_generator_as_a_layer_attribute() -> None:
    from descend import layers

    class Noisy(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seed_generator = random.SeedGenerator(1)

        def call(self, x, training=False):
            return random.dropout(x, 0.5, seed=self.seed_generator) if training else x

    x = np.ones((4, 8), np.float32)
    first, second = Noisy(), Noisy()
    a, b = first(x, training=True).data, first(x, training=True).data
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(second(x, training=True).data, a)
    assert first.seed_generator.state.tolist() == [1, 2]
