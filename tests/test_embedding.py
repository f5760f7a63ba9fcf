"""Embedding: lookups, integer inputs, masks, errors, config, and the sparse gradient.

The gradient of the table is a scatter-add of the output gradient into the rows used,
written straight into the optimizer's flat gradient buffer; Adam then updates every row
(its moments decay for unused rows too), which is exactly Keras's dense update.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import descend
from descend import gradcheck, layers, ops
from descend.autograd import Tensor
from descend.autograd.ops.recurrent import EmbeddingLookup
from descend.optimizers.adam import adam_update


def test_lookup_shapes_and_values(rng):
    layer = layers.Embedding(10, 3)
    ids = np.array([[1, 2, 9], [0, 0, 4]])
    out = layer(ids)
    assert out.shape == (2, 3, 3) and out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), layer.embeddings.numpy()[ids])
    assert layer(np.array(7)).shape == (3,)
    assert layer(rng.integers(0, 10, size=(2, 2, 2))).shape == (2, 2, 2, 3)
    # Keras's "uniform": U(-0.05, 0.05)
    assert np.abs(layer.embeddings.numpy()).max() <= 0.05


def test_integer_inputs_stay_integer_other_layers_unchanged():
    seen = {}

    class Probe(layers.Layer):
        def call(self, inputs):
            seen["dtype"] = inputs.dtype
            return inputs

    Probe()(np.array([1, 2]))
    assert seen["dtype"] == np.float32  # other layers still convert to their dtype
    big = layers.Embedding(5, 2, embeddings_initializer="ones")
    assert big._convert_inputs(np.array([4], dtype="int64")).dtype == np.int64
    # whole-number floats are accepted and cast (Keras casts to int32)
    np.testing.assert_array_equal(big(np.array([[1.0, 4.0]])).numpy(), np.ones((1, 2, 2)))


def test_bad_ids_name_the_layer():
    layer = layers.Embedding(5, 2, name="words")
    with pytest.raises(TypeError, match="words.*integer ids"):
        layer(np.array([[0.5, 1.0]]))
    with pytest.raises(ValueError, match=r"words.*\[0, 5\).*from 0 to 5"):
        layer(np.array([[0, 5]]))
    with pytest.raises(ValueError, match="words.*from -1"):
        layer(np.array([[-1, 2]]))
    with pytest.raises(ValueError, match="input_dim"):
        layers.Embedding(0, 3)
    with pytest.raises(ValueError, match="output_dim"):
        layers.Embedding(3, 2.5)


def test_mask_zero():
    layer = layers.Embedding(6, 2, mask_zero=True)
    ids = np.array([[3, 0, 2], [0, 0, 1]])
    np.testing.assert_array_equal(layer.compute_mask(ids), ids != 0)
    assert layers.Embedding(6, 2).compute_mask(ids) is None
    assert layer.supports_masking and not layers.Embedding(6, 2).supports_masking


def test_input_length_is_deprecated_and_weights_argument():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layer = layers.Embedding(4, 2, input_length=7, weights=[np.arange(8.0).reshape(4, 2)])
    assert any("input_length" in str(w.message) for w in caught)
    np.testing.assert_array_equal(layer(np.array([3])).numpy(), [[6.0, 7.0]])


def test_config_keys_and_round_trip(tmp_path):
    layer = layers.Embedding(7, 3, mask_zero=True, embeddings_regularizer="l2", name="emb")
    config = layer.get_config()
    assert {"input_dim", "output_dim", "embeddings_initializer", "embeddings_regularizer",
            "embeddings_constraint", "mask_zero", "name", "trainable", "dtype"} <= set(config)
    clone = layers.Embedding.from_config(config)
    assert clone.get_config() == config
    model = descend.Sequential([layers.Input((4,), dtype="int32"), layers.Embedding(7, 3),
                                layers.Flatten(), layers.Dense(1)])
    ids = np.array([[1, 2, 3, 6], [0, 0, 5, 4]])
    path = tmp_path / "m.descend"
    model.save(path)
    loaded = descend.models.load_model(path)
    np.testing.assert_array_equal(loaded.predict(ids, verbose=0), model.predict(ids, verbose=0))


def test_gradcheck(rng):
    ids = np.array([[1, 1, 3], [0, 2, 1]])
    layer = layers.Embedding(4, 3, dtype="float64")
    layer.build()

    def fn(table):
        return ops.tanh(EmbeddingLookup.apply(table, ids=ids)) * 2.0

    gradcheck(fn, layer.embeddings.numpy())


def test_gradient_is_written_into_the_optimizer_buffer():
    layer = layers.Embedding(1000, 8)
    layer.build()
    optimizer = descend.optimizers.SGD(0.1)
    optimizer.build(layer.trainable_weights)
    table = layer.embeddings
    slot = table.grad_sink
    assert slot is not None
    ids = np.array([[3, 3, 7]])
    (layer(ids) * 1.0).sum().backward()
    assert table.grad is slot  # no dense temporary handed to the optimizer
    want = np.zeros((1000, 8))
    want[3], want[7] = 2.0, 1.0
    np.testing.assert_array_equal(table.grad, want)
    # without an optimizer buffer the gradient is a fresh dense array
    other = layers.Embedding(5, 2)
    (other(np.array([1, 1])) * 1.0).sum().backward()
    np.testing.assert_array_equal(other.embeddings.grad, [[0, 0], [2, 2], [0, 0], [0, 0],
                                                          [0, 0]])


def test_adam_matches_dense_keras_update(rng):
    """Adam on the sparse gradient equals the dense reference: moments decay on every row."""
    layer = layers.Embedding(6, 2, dtype="float64")
    layer.build()
    start = layer.embeddings.numpy().copy()
    optimizer = descend.optimizers.Adam(0.01)
    optimizer.build(layer.trainable_weights)
    weights, m, v = start.copy(), np.zeros_like(start), np.zeros_like(start)
    batches = [np.array([[1, 2, 2]]), np.array([[4, 4, 0]]), np.array([[1, 5, 1]])]
    targets = [Tensor(rng.normal(size=(1, 3, 2))) for _ in batches]
    for step, (ids, target) in enumerate(zip(batches, targets, strict=True), start=1):
        loss = ops.sum(ops.square(layer(ids) - target))
        loss.backward()
        grad = np.zeros_like(weights)
        np.add.at(grad, ids.ravel(), 2 * (weights[ids] - target.numpy()).reshape(-1, 2))
        optimizer.step()
        adam_update(weights, grad, m, v, step, 0.01, 0.9, 0.999, 1e-7)  # Adam's rule, dense
        np.testing.assert_allclose(layer.embeddings.numpy(), weights, rtol=1e-12, atol=1e-14)
    # row 3 was never used: its gradient and moments stay 0, so it stays put
    np.testing.assert_array_equal(layer.embeddings.numpy()[3], start[3])


def test_trains_in_a_model(rng):
    ids = rng.integers(1, 30, size=(256, 6))
    y = ((ids < 15).mean(axis=1) > 0.5).astype("float32")
    model = descend.Sequential([layers.Input((6,), dtype="int32"),
                                layers.Embedding(30, 8, mask_zero=True),
                                layers.GlobalAveragePooling1D(),
                                layers.Dense(1, activation="sigmoid")])
    model.compile(descend.optimizers.Adam(0.05), "binary_crossentropy", metrics=["accuracy"])
    history = model.fit(ids, y, epochs=15, batch_size=32, verbose=0)
    assert history.history["accuracy"][-1] > 0.9
