"""Merging layers: values against NumPy, Keras's shape rules, gradients, errors, configs."""

from __future__ import annotations

import json

import numpy as np
import pytest

import descend
from descend import layers
from descend.layers.serialization import deserialize_layer, serialize_layer

ELEMENTWISE = [
    (layers.Add, lambda *a: sum(a[1:], a[0])),
    (layers.Multiply, lambda *a: np.prod(np.stack(a), axis=0)),
    (layers.Average, lambda *a: np.mean(np.stack(a), axis=0)),
    (layers.Maximum, lambda *a: np.max(np.stack(a), axis=0)),
    (layers.Minimum, lambda *a: np.min(np.stack(a), axis=0)),
]


def arrays(rng: np.random.Generator, n: int, shape: tuple = (4, 3)) -> list[np.ndarray]:
    return [rng.standard_normal(shape).astype("float32") for _ in range(n)]


@pytest.mark.parametrize(("cls", "reference"), ELEMENTWISE, ids=lambda v: getattr(v, "__name__",
                                                                                 ""))
@pytest.mark.parametrize("n", [2, 3])
def test_elementwise_values(cls, reference, n, rng) -> None:
    xs = arrays(rng, n)
    out = cls()(xs)
    np.testing.assert_allclose(out.numpy(), reference(*xs), rtol=1e-6)


def test_subtract_and_functional_aliases(rng) -> None:
    a, b = arrays(rng, 2)
    np.testing.assert_allclose(layers.Subtract()([a, b]).numpy(), a - b)
    np.testing.assert_allclose(layers.subtract([a, b]).numpy(), a - b)
    np.testing.assert_allclose(layers.add([a, b]).numpy(), a + b, rtol=1e-6)
    np.testing.assert_allclose(layers.multiply([a, b]).numpy(), a * b, rtol=1e-6)
    np.testing.assert_allclose(layers.average([a, b]).numpy(), (a + b) / 2, rtol=1e-6)
    np.testing.assert_allclose(layers.maximum([a, b]).numpy(), np.maximum(a, b))
    np.testing.assert_allclose(layers.minimum([a, b]).numpy(), np.minimum(a, b))
    np.testing.assert_allclose(layers.concatenate([a, b]).numpy(), np.concatenate([a, b], -1))
    np.testing.assert_allclose(layers.dot([a, b], axes=1).numpy(),
                               (a * b).sum(1, keepdims=True), rtol=1e-5)


def test_aliases_on_symbolic_tensors_give_keras_shapes() -> None:
    a, b = layers.Input((4,)), layers.Input((4,))
    assert layers.add([a, b]).shape == (None, 4)
    assert layers.concatenate([a, b]).shape == (None, 8)
    assert layers.dot([a, b], axes=1).shape == (None, 1)
    assert isinstance(layers.add([a, b]).layer, layers.Add)


def test_broadcasting_follows_keras(rng) -> None:
    # length-1 axes stretch; a lower-rank input gets axes inserted after the batch axis
    a = rng.standard_normal((2, 1, 4)).astype("float32")
    b = rng.standard_normal((2, 3, 4)).astype("float32")
    c = rng.standard_normal((2, 4)).astype("float32")
    np.testing.assert_allclose(layers.Add()([a, b]).numpy(), a + b, rtol=1e-6)
    np.testing.assert_allclose(layers.Add()([b, c]).numpy(), b + c[:, None, :], rtol=1e-6)
    x, y = layers.Input((1, 4)), layers.Input((3, 4))
    assert layers.Multiply()([x, y]).shape == (None, 3, 4)
    assert layers.Add()([layers.Input((3, 4)), layers.Input((4,))]).shape == (None, 3, 4)
    assert layers.Add()([layers.Input((None, 4)), layers.Input((5, 4))]).shape == (None, None, 4)


def test_concatenate_axes_and_unknown_sizes(rng) -> None:
    a = rng.standard_normal((2, 3, 4)).astype("float32")
    b = rng.standard_normal((2, 5, 4)).astype("float32")
    np.testing.assert_array_equal(layers.Concatenate(axis=1)([a, b]).numpy(),
                                  np.concatenate([a, b], 1))
    assert layers.Concatenate(axis=1)([layers.Input((3, 4)), layers.Input((5, 4))]).shape \
        == (None, 8, 4)
    assert layers.Concatenate()([layers.Input((None,)), layers.Input((2,))]).shape == (None, None)


def test_dot_contracts_the_given_axes(rng) -> None:
    a = rng.standard_normal((3, 2, 4)).astype("float64")
    b = rng.standard_normal((3, 4, 5)).astype("float64")
    out = layers.Dot(axes=(2, 1), dtype="float64")([a, b]).numpy()
    np.testing.assert_allclose(out, np.einsum("bij,bjk->bik", a, b), rtol=1e-10)
    c = rng.standard_normal((3, 4, 2)).astype("float64")
    out = layers.Dot(axes=(1, 2), dtype="float64")([c, a]).numpy()  # contract c's 4 with a's 4
    np.testing.assert_allclose(out, np.einsum("bji,bkj->bik", c, a), rtol=1e-10)
    assert layers.Dot(axes=(1, 2))([layers.Input((4, 2)), layers.Input((2, 4))]).shape \
        == (None, 2, 2)


def test_dot_normalize_gives_cosine_similarity(rng) -> None:
    a, b = rng.standard_normal((5, 6)), rng.standard_normal((5, 6))
    out = layers.Dot(axes=-1, normalize=True, dtype="float64")([a, b]).numpy()[:, 0]
    cosine = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    np.testing.assert_allclose(out, cosine, rtol=1e-10)


@pytest.mark.parametrize("make", [
    lambda: layers.Add(), lambda: layers.Subtract(), lambda: layers.Multiply(),
    lambda: layers.Average(), lambda: layers.Maximum(), lambda: layers.Minimum(),
    lambda: layers.Concatenate(), lambda: layers.Concatenate(axis=1),
    lambda: layers.Dot(axes=1), lambda: layers.Dot(axes=1, normalize=True),
], ids=["add", "subtract", "multiply", "average", "maximum", "minimum", "concat",
        "concat_axis1", "dot", "dot_normalize"])
def test_gradients_match_finite_differences(make, rng) -> None:
    descend.config.set_floatx("float64")
    layer = make()
    a = rng.standard_normal((3, 4))
    b = rng.standard_normal((3, 4)) + 0.1  # keep maximum/minimum away from ties
    assert descend.gradcheck(lambda x, y: layer([x, y]), a, b)


def test_merge_layers_inside_a_trained_functional_model(rng) -> None:
    a, b = layers.Input((3,)), layers.Input((3,))
    h = layers.Concatenate()([layers.Multiply()([a, b]), layers.Subtract()([a, b])])
    model = descend.Model([a, b], layers.Dense(1)(h))
    model.compile(optimizer=descend.optimizers.Adam(0.05), loss="mse")
    xa, xb = rng.standard_normal((64, 3)), rng.standard_normal((64, 3))
    y = (xa * xb).sum(1, keepdims=True) + (xa - xb)[:, :1]
    history = model.fit([xa, xb], y, epochs=30, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.1 * history.history["loss"][0]


@pytest.mark.parametrize(("call", "match"), [
    (lambda: layers.Add()(layers.Input((3,))), "list of inputs"),
    (lambda: layers.Subtract()([layers.Input((3,))] * 3), "exactly 2 inputs"),
    (lambda: layers.Add()([layers.Input((3,)), layers.Input((4,))]), "incompatible shapes"),
    (lambda: layers.Concatenate()([layers.Input((3, 2)), layers.Input((4, 2))]),
     "matching shapes except for the concatenation axis"),
    (lambda: layers.Concatenate()([layers.Input((3, 2)), layers.Input((4,))]), "same rank"),
    (lambda: layers.Concatenate(axis=3)([layers.Input((3,)), layers.Input((4,))]),
     "out of range"),
    (lambda: layers.Dot(axes=1)([layers.Input((3,)), layers.Input((4,))]), "axis values 3"),
    (lambda: layers.Dot(axes=0)([layers.Input((3,)), layers.Input((3,))]), "batch axis"),
    (lambda: layers.Dot(axes=(1, 2, 3)), "pair of ints"),
    (lambda: layers.Concatenate(axis="last"), "must be an int"),
])
def test_bad_input_gives_clear_errors(call, match) -> None:
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_eager_shape_mismatch_names_the_layer(rng) -> None:
    layer = layers.Add(name="joiner")
    layer([np.ones((2, 3)), np.ones((2, 3))])
    with pytest.raises(ValueError, match="'joiner'.*incompatible shapes"):
        layer([np.ones((2, 3)), np.ones((2, 4))])


@pytest.mark.parametrize("layer", [
    layers.Add(name="a"), layers.Concatenate(axis=1, name="c"),
    layers.Dot(axes=(1, 2), normalize=True, name="d"), layers.Maximum(name="m"),
], ids=["add", "concatenate", "dot", "maximum"])
def test_config_round_trip(layer) -> None:
    config = json.loads(json.dumps(serialize_layer(layer)))
    clone = deserialize_layer(config)
    assert type(clone) is type(layer) and clone.get_config() == layer.get_config()
