"""Activations: values against NumPy formulas, gradients by gradcheck, Keras lookup rules."""

import math
import warnings

import numpy as np
import pytest

from descend import activations
from descend.autograd import Tensor, gradcheck
from descend.autograd.ops.special import erf_values as _erf

# Points away from every kink (0, +-0.5, +-1, +-3, 6) so central differences are exact.
X = np.array([[-2.7, -1.3, -0.4, 0.35, 1.6, 2.2], [4.1, -5.3, 0.77, -0.61, 7.2, -3.4]])

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
ERF = np.vectorize(math.erf)


def _softplus(x):
    return np.logaddexp(x, 0.0)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _sparsemax_reference(row):
    """Projection onto the simplex by bisection on tau (independent of the sort formula)."""
    lo, hi = row.min() - 1, row.max()
    for _ in range(200):
        tau = (lo + hi) / 2
        if np.maximum(row - tau, 0).sum() > 1:
            lo = tau
        else:
            hi = tau
    return np.maximum(row - (lo + hi) / 2, 0)


REFERENCES = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0),
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "softmax": _softmax,
    "log_softmax": lambda x: np.log(_softmax(x)),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
    "selu": lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0))),
    "celu": lambda x: np.maximum(x, 0) + np.minimum(0, np.expm1(np.minimum(x, 0))),
    "gelu": lambda x: 0.5 * x * (1 + ERF(x / math.sqrt(2))),
    "softplus": _softplus,
    "softsign": lambda x: x / (1 + np.abs(x)),
    "silu": lambda x: x * _sigmoid(x),
    "exponential": np.exp,
    "hard_sigmoid": lambda x: np.clip(x / 6 + 0.5, 0, 1),
    "hard_silu": lambda x: x * np.clip(x / 6 + 0.5, 0, 1),
    "relu6": lambda x: np.clip(x, 0, 6),
    "mish": lambda x: x * np.tanh(_softplus(x)),
    "log_sigmoid": lambda x: -_softplus(-x),
    "hard_tanh": lambda x: np.clip(x, -1, 1),
    "tanh_shrink": lambda x: x - np.tanh(x),
    "squareplus": lambda x: (x + np.sqrt(x * x + 4)) / 2,
    "soft_shrink": lambda x: np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0)),
    "hard_shrink": lambda x: np.where(np.abs(x) > 0.5, x, 0),
    "sparse_plus": lambda x: np.where(x <= -1, 0, np.where(x >= 1, x, (x + 1) ** 2 / 4)),
    "sparse_sigmoid": lambda x: np.clip((x + 1) / 2, 0, 1),
    "sparsemax": lambda x: np.stack([_sparsemax_reference(r) for r in x]),
    "glu": lambda x: x[:, :3] * _sigmoid(x[:, 3:]),
}
UNARY = sorted(REFERENCES)


@pytest.mark.parametrize("name", UNARY)
def test_values_match_reference(name):
    fn = activations.get(name)
    out = fn(Tensor(X))
    np.testing.assert_allclose(out.data, REFERENCES[name](X), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", UNARY)
def test_gradcheck(name):
    assert gradcheck(activations.get(name), X)


@pytest.mark.parametrize("name", UNARY)
def test_float32_stays_float32(name):
    out = activations.get(name)(Tensor(X.astype(np.float32)))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, REFERENCES[name](X), rtol=2e-5, atol=2e-6)


def test_keras_names_and_the_fused_five_are_plain_functions():
    for name in ("linear", "relu", "sigmoid", "tanh", "softmax"):
        fn = getattr(activations, name)
        assert fn.__name__ == name
        assert activations.get(name) is fn
        assert fn.__module__ == "descend.activations"
    for name in activations._TABLE:
        assert activations.serialize(activations.get(name)) in activations._TABLE


def test_aliases():
    assert activations.get("swish") is activations.silu
    assert activations.swish is activations.silu
    assert activations.serialize(activations.swish) == "silu"
    assert activations.get("hard_swish") is activations.hard_silu


def test_erf_accuracy():
    x = np.linspace(-7, 7, 20001)
    np.testing.assert_allclose(_erf(x), ERF(x), rtol=0, atol=2e-15)
    assert _erf(np.array([0.0]))[0] == 0.0


def test_gelu_approximate():
    expected = 0.5 * X * (1 + np.tanh(math.sqrt(2 / math.pi) * (X + 0.044715 * X**3)))
    out = activations.gelu(Tensor(X), approximate=True)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)
    assert gradcheck(lambda t: activations.gelu(t, approximate=True), X)


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({}, [0, 0, 0, 0.35, 1.6, 2.2]),
        ({"negative_slope": 0.1}, [-0.27, -0.13, -0.04, 0.35, 1.6, 2.2]),
        ({"max_value": 1.0}, [0, 0, 0, 0.35, 1.0, 1.0]),
        ({"threshold": 0.5}, [0, 0, 0, 0, 1.6, 2.2]),
        ({"negative_slope": 0.5, "threshold": 1.0, "max_value": 2.0},
         [-1.85, -1.15, -0.7, -0.325, 1.6, 2.0]),
    ],
)
def test_relu_keras_arguments(kwargs, expected):
    out = activations.relu(Tensor(X[0]), **kwargs)
    np.testing.assert_allclose(out.data, expected, atol=1e-12)
    assert gradcheck(lambda t: activations.relu(t, **kwargs), X[0])


def test_relu_rejects_negative_arguments():
    with pytest.raises(ValueError, match="negative_slope"):
        activations.relu(Tensor(X), negative_slope=-1.0)
    with pytest.raises(ValueError, match="max_value"):
        activations.relu(Tensor(X), max_value=-1.0)


def test_softmax_axis_and_arguments():
    out = activations.softmax(Tensor(X), axis=0)
    np.testing.assert_allclose(out.data.sum(axis=0), 1.0)
    assert gradcheck(lambda t: activations.softmax(t, axis=0), X)
    np.testing.assert_allclose(activations.leaky_relu(Tensor(X), 0.5).data,
                               np.where(X > 0, X, 0.5 * X))
    np.testing.assert_allclose(activations.elu(Tensor(X), alpha=2.0).data,
                               np.where(X > 0, X, 2 * np.expm1(np.minimum(X, 0))))
    np.testing.assert_allclose(activations.threshold(Tensor(X), 1.0, -3.0).data,
                               np.where(X > 1, X, -3.0))
    assert gradcheck(lambda t: activations.celu(t, alpha=0.5), X)
    assert gradcheck(lambda t: activations.sparsemax(t, axis=0), X)


def test_sparsemax_sums_to_one_and_is_sparse():
    x = np.random.default_rng(0).normal(size=(50, 7)) * 3
    out = activations.sparsemax(Tensor(x)).data
    np.testing.assert_allclose(out.sum(-1), 1.0)
    assert (out == 0).any()
    np.testing.assert_allclose(out, REFERENCES["sparsemax"](x), atol=1e-9)


def test_no_overflow_for_large_inputs():
    big = np.array([-1000.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in ("elu", "selu", "celu", "softplus", "log_sigmoid", "mish", "silu", "gelu",
                     "sigmoid"):
            assert np.all(np.isfinite(activations.get(name)(Tensor(big)).data)), name


def test_glu_odd_size_rejected():
    with pytest.raises(ValueError, match="even"):
        activations.glu(Tensor(np.ones((2, 3))))


def test_get_identifiers():
    assert activations.get(None) is activations.linear
    def custom(x):
        return x * 2.0
    assert activations.get(custom) is custom
    assert activations.get({"class_name": "function", "config": "elu"}) is activations.elu
    assert activations.deserialize("mish", custom_objects={"mine": custom}) is activations.mish
    assert activations.deserialize("mine", custom_objects={"mine": custom}) is custom
    assert activations.serialize(custom) == "custom"


def test_unknown_identifier_suggests_closest():
    with pytest.raises(ValueError, match="Did you mean 'relu'"):
        activations.get("rleu")
    with pytest.raises(ValueError, match="Did you mean 'softmax'"):
        activations.get("softmx")
    with pytest.raises(TypeError, match="activation"):
        activations.get(3)
    with pytest.raises(ValueError, match="named function"):
        activations.serialize(lambda x: x)


def test_accepts_arrays():
    out = activations.relu(np.array([-1.0, 1.0]))
    assert isinstance(out, Tensor)
    np.testing.assert_array_equal(out.data, [0.0, 1.0])
