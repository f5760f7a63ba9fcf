"""Masks: Masking and Embedding(mask_zero) create them; they travel with tensors through
layer calls, Sequential and functional models, to RNNs, Bidirectional, TimeDistributed and
GlobalAveragePooling1D; masked steps change neither outputs nor gradients."""

from __future__ import annotations

import numpy as np
import pytest

import descend
from descend import gradcheck, layers, ops
from descend.layers._masks import get_mask


def _padded(rng, batch=4, steps=6, features=3):
    x = rng.normal(size=(batch, steps, features)).astype("float32")
    lengths = np.array([6, 4, 2, 5])[:batch]
    for b, n in enumerate(lengths):
        x[b, n:] = 0.0
    return x, lengths


def test_masking_layer_keras_formula(rng):
    x, lengths = _padded(rng)
    x[0, 1] = 0.0  # an all-zero step in the middle is masked too
    layer = layers.Masking(mask_value=0.0)
    out = layer(x)
    want = np.any(x != 0.0, axis=-1)
    np.testing.assert_array_equal(get_mask(out), want)
    np.testing.assert_array_equal(layer.compute_mask(x), want)
    np.testing.assert_array_equal(out.numpy(), x * want[..., None])
    other = layers.Masking(mask_value=-1.0)
    x2 = np.where(x == 0, -1.0, x).astype("float32")
    np.testing.assert_array_equal(other.compute_mask(x2), want)
    assert layers.Masking.from_config(other.get_config()).mask_value == -1.0
    with pytest.raises(ValueError, match="masking.*steps"):
        layers.Masking()(np.zeros(3, "float32"))


@pytest.mark.parametrize("rnn", ["lstm", "gru", "simple", "bi", "bi-seq-td"])
def test_padding_does_not_change_outputs(rnn, rng):
    """Padded steps (masked) give the same result as the unpadded sequences."""
    x, lengths = _padded(rng)
    make = {
        "lstm": lambda: layers.LSTM(5),
        "gru": lambda: layers.GRU(5),
        "simple": lambda: layers.SimpleRNN(5),
        "bi": lambda: layers.Bidirectional(layers.LSTM(5)),
        "bi-seq-td": lambda: layers.Bidirectional(layers.GRU(5, return_sequences=True)),
    }[rnn]
    stack = [layers.Masking(), make()]
    if rnn == "bi-seq-td":
        stack += [layers.TimeDistributed(layers.Dense(3)), layers.LSTM(4)]
    model = descend.Sequential([layers.Input((None, 3)), *stack, layers.Dense(2)])
    full = model.predict(x, verbose=0)
    np.testing.assert_array_equal(full, model(x).numpy())
    for b, n in enumerate(lengths):
        alone = model.predict(x[b:b + 1, :n], verbose=0)
        np.testing.assert_allclose(full[b:b + 1], alone, atol=1e-5)


def test_functional_model_with_mask_zero(rng):
    ids = rng.integers(1, 9, size=(5, 7))
    ids[1, 3:] = 0
    ids[4, 1:] = 0
    inputs = layers.Input((None,), dtype="int32")
    h = layers.Embedding(9, 4, mask_zero=True)(inputs)
    seq = layers.LSTM(3, return_sequences=True)(h)
    pooled = layers.GlobalAveragePooling1D()(seq)
    model = descend.Model(inputs, layers.Dense(1)(pooled))
    full = model.predict(ids, verbose=0)
    for b in (1, 4):
        n = int((ids[b] != 0).sum())
        np.testing.assert_allclose(full[b], model.predict(ids[b:b + 1, :n], verbose=0)[0],
                                   atol=1e-5)


def test_functional_initial_state_keyword_keeps_the_mask(rng, tmp_path):
    ids = np.array([[3, 4, 0, 0], [1, 2, 3, 4]])
    inputs, h, c = (layers.Input((None,), dtype="int32"), layers.Input((4,)),
                    layers.Input((4,)))
    seq = layers.Embedding(9, 3, mask_zero=True)(inputs)
    out = layers.Dense(1)(layers.LSTM(4)(seq, initial_state=[h, c]))
    model = descend.Model([inputs, h, c], out)
    states = rng.normal(size=(2, 4)).astype("float32")
    full = model.predict([ids, states, states], verbose=0)
    short = model.predict([ids[:, :2], states, states], verbose=0)
    np.testing.assert_allclose(full[0], short[0], atol=1e-6)
    assert not np.allclose(full, model.predict([ids, 0 * states, 0 * states], verbose=0))
    path = tmp_path / "state.descend"
    model.save(path)
    np.testing.assert_array_equal(
        descend.models.load_model(path).predict([ids, states, states], verbose=0), full)


def test_masked_steps_get_no_gradient(rng):
    ids = np.array([[3, 1, 0, 0], [2, 0, 0, 0]])
    model = descend.Sequential([layers.Embedding(5, 3, mask_zero=True), layers.GRU(2),
                                layers.Dense(1)])
    model(ids)
    table = model.layers[0].embeddings
    ops.sum(model(ids)).backward()
    np.testing.assert_array_equal(table.grad[0], 0.0)  # padding row: no gradient
    assert np.abs(table.grad[[1, 2, 3]]).min() > 0


def test_global_average_pooling_with_mask(rng):
    x = rng.normal(size=(3, 5, 2))
    mask = np.array([[1, 1, 0, 0, 0], [1, 1, 1, 1, 1], [0, 1, 0, 1, 0]], bool)
    layer = layers.GlobalAveragePooling1D(dtype="float64")
    out = layer(x, mask=mask).numpy()
    want = np.stack([x[b][mask[b]].mean(axis=0) for b in range(3)])
    np.testing.assert_allclose(out, want, atol=1e-12)
    assert layer(x, mask=mask).shape == (3, 2)
    assert layers.GlobalAveragePooling1D(keepdims=True)(x, mask=mask).shape == (3, 1, 2)
    gradcheck(lambda t: layer(t, mask=mask), x)
    with pytest.raises(ValueError, match="mask must have shape"):
        layer(x, mask=mask[:, :4])


def test_mask_propagation_rules(rng):
    x, _ = _padded(rng)
    masked = layers.Masking()(x)
    seq = layers.LSTM(3, return_sequences=True)(masked)
    np.testing.assert_array_equal(get_mask(seq), get_mask(masked))  # return_sequences: kept
    assert get_mask(layers.LSTM(3)(masked)) is None  # last output: no mask
    assert get_mask(layers.Conv1D(2, 1)(masked)) is None  # layers without masking support drop it
    np.testing.assert_array_equal(get_mask(layers.Dense(2)(masked)), get_mask(masked))  # Keras 3
    out, h, c = layers.LSTM(3, return_sequences=True, return_state=True)(masked)
    assert get_mask(out) is not None and get_mask(h) is None and get_mask(c) is None
    td = layers.TimeDistributed(layers.Dense(2))(masked)
    np.testing.assert_array_equal(get_mask(td), get_mask(masked))
    both = layers.Bidirectional(layers.GRU(2, return_sequences=True), merge_mode=None)(masked)
    assert all(get_mask(t) is not None for t in both)
    assert get_mask(layers.GlobalAveragePooling1D()(masked)) is None


def test_explicit_mask_argument_wins(rng):
    x = rng.normal(size=(2, 4, 3)).astype("float32")
    layer = layers.SimpleRNN(2)
    implicit = layer(layers.Masking()(x))
    explicit = layer(layers.Masking()(x), mask=np.array([[1, 1, 0, 0], [1, 0, 0, 0]], bool))
    assert not np.allclose(implicit.numpy(), explicit.numpy())


def test_masks_of_the_wrong_shape_are_refused(rng):
    x = rng.normal(size=(2, 4, 3)).astype("float32")
    for layer in (layers.LSTM(2, name="l"), layers.Bidirectional(layers.GRU(2), name="l")):
        with pytest.raises(ValueError, match="'l'.*mask"):
            layer(x, mask=np.ones((2, 3), bool))
    with pytest.raises(ValueError, match="TimeDistributed"):
        layers.TimeDistributed(layers.Dense(2))(x, mask=np.ones((3, 4), bool))
