"""Bad input to the sequence layers: a clear error naming the layer, what it expected, the fix.

Wrong ranks, masks of the wrong shape, ids outside the vocabulary, non-integer
ids, vocabularies over ``max_tokens``, wrong initial states.
"""

from __future__ import annotations

import numpy as np
import pytest

import descend
from descend import layers

X3 = np.random.default_rng(0).random((2, 4, 3)).astype("float32")
X2 = X3[:, 0]


def _raises(kind, fn, *fragments):
    with pytest.raises(kind) as info:
        fn()
    for fragment in fragments:
        assert fragment in str(info.value), str(info.value)


@pytest.mark.parametrize("make, name", [
    (lambda: layers.LSTM(3, name="tagger"), "(LSTM)"),
    (lambda: layers.GRU(3, name="tagger"), "(GRU)"),
    (lambda: layers.SimpleRNN(3, name="tagger"), "(SimpleRNN)"),
    (lambda: layers.TimeDistributed(layers.Dense(2), name="tagger"), "(TimeDistributed)"),
    (lambda: layers.GlobalAveragePooling1D(name="tagger"), "(GlobalAveragePooling1D)"),
    (lambda: layers.Bidirectional(layers.LSTM(3), name="tagger"), "(Bidirectional)"),
])
def test_wrong_rank_names_the_layer(make, name):
    _raises(ValueError, lambda: make()(X2), "'tagger'", name, "(2, 3)")


def test_recurrent_layers_refuse_four_axes():
    _raises(ValueError, lambda: layers.LSTM(3, name="rows")(X3[..., None]),
            "'rows' (LSTM)", "(batch, steps, features)", "(2, 4, 3, 1)", "TimeDistributed")


def test_attention_wrong_rank():
    _raises(ValueError, lambda: layers.Attention(name="att")([X2, X2]), "'att' (Attention)",
            "rank 3")
    _raises(ValueError, lambda: layers.MultiHeadAttention(2, 2, name="mha")(X2, X2),
            "'mha' (MultiHeadAttention)", "rank >= 3")


def test_wrong_feature_size_after_build():
    layer = layers.GRU(3, name="gru_a")
    layer(X3)
    _raises(ValueError, lambda: layer(np.zeros((2, 4, 5), "float32")), "'gru_a'",
            "(batch, steps, 3)", "(2, 4, 5)")


@pytest.mark.parametrize("make", [
    lambda: layers.LSTM(3, name="masked"),
    lambda: layers.Bidirectional(layers.GRU(3), name="masked"),
    lambda: layers.GlobalAveragePooling1D(name="masked"),
])
@pytest.mark.parametrize("shape", [(2, 5), (3, 4), (2, 4, 3)])
def test_mask_of_wrong_shape(make, shape):
    _raises(ValueError, lambda: make()(X3, mask=np.ones(shape, bool)), "'masked'",
            "(batch, steps) = (2, 4)", f"{shape}")


def test_attention_masks_of_wrong_shape():
    _raises(ValueError, lambda: layers.TimeDistributed(layers.Dense(2), name="td")(
        X3, mask=np.ones((3, 4), bool)), "'td'", "(3, 4)", "(batch, steps) = (2, 4)")
    _raises(ValueError, lambda: layers.Attention(name="att")(
        [X3, X3], mask=[np.ones((2, 5), bool), None]), "'att'", "(2, 4)", "(2, 5)")
    _raises(ValueError, lambda: layers.Attention(name="att")([X3, X3], mask=np.ones((2, 4))),
            "'att'", "list [query_mask, value_mask]")
    _raises(ValueError, lambda: layers.MultiHeadAttention(2, 2, name="mha")(
        X3, X3, query_mask=np.ones((2, 5), bool)), "'mha'", "query_mask", "(2, 5)")
    _raises(ValueError, lambda: layers.MultiHeadAttention(2, 2, name="mha")(
        X3, X3, attention_mask=np.ones((2, 4, 5), bool)), "'mha'", "attention_mask")


def test_embedding_vocabulary_overflow():
    layer = layers.Embedding(10, 2, name="words")
    for ids, low, high in (([[1, 10]], 1, 10), ([[-1, 3]], -1, 3)):
        _raises(ValueError, lambda ids=ids: layer(np.array(ids)), "'words' (Embedding)",
                "[0, 10)", f"from {low} to {high}", "input_dim")
    model = descend.Sequential([descend.Input((3,)), layers.Embedding(10, 2, name="words"),
                                layers.GlobalAveragePooling1D(), layers.Dense(1)])
    model.compile("adam", "mse")
    bad = np.array([[1, 2, 11]])
    _raises(ValueError, lambda: model.fit(bad, np.zeros((1, 1)), verbose=0), "'words'",
            "to 11")
    _raises(ValueError, lambda: model.predict(bad, verbose=0), "'words'", "to 11")


@pytest.mark.parametrize("ids", [np.array([[1.5, 2.0]]), np.array([[np.nan, 1.0]])])
def test_embedding_non_integer_ids(ids):
    _raises(TypeError, lambda: layers.Embedding(10, 2, name="words")(ids),
            "'words' (Embedding)", "integer ids", "non-integer")


def test_embedding_string_ids():
    _raises(TypeError, lambda: layers.Embedding(10, 2, name="words")(np.array([["a", "b"]])),
            "'words' (Embedding)", "integer ids", "TextVectorization")


def test_embedding_accepts_integer_valued_floats():
    layer = layers.Embedding(10, 2)
    np.testing.assert_array_equal(layer(np.array([[1.0, 2.0]])).data,
                                  layer(np.array([[1, 2]])).data)


def test_lookup_layers_bad_input():
    _raises(ValueError, lambda: layers.StringLookup(max_tokens=2, vocabulary=["a", "b", "c"],
                                                    name="look"),
            "'look' (StringLookup)", "max_tokens is 2")
    _raises(ValueError, lambda: layers.IntegerLookup(max_tokens=2, vocabulary=[1, 2, 3],
                                                     name="look"),
            "'look' (IntegerLookup)", "max_tokens is 2")
    _raises(TypeError, lambda: layers.StringLookup(vocabulary=["a"], name="look")(
        np.array([[1, 2]])), "'look' (StringLookup)", "IntegerLookup")
    _raises(TypeError, lambda: layers.IntegerLookup(vocabulary=[1], name="look")(
        np.array([[1.5]])), "'look' (IntegerLookup)", "1.5")
    _raises(ValueError, lambda: layers.TextVectorization(max_tokens=3).set_vocabulary(
        ["a", "b", "c", "d"]), "max_tokens is 3")
    _raises(TypeError, lambda: layers.TextVectorization(vocabulary=["a"], name="tv")(
        np.array([1, 2])), "'tv' (TextVectorization)", "strings")


def test_wrong_initial_state():
    _raises(ValueError, lambda: layers.LSTM(3, name="enc")(X3, initial_state=[np.zeros((2, 3))]),
            "'enc'", "2 array(s)", "[(2, 3), (2, 3)]")
    _raises(ValueError, lambda: layers.LSTM(3, name="enc")(
        X3, initial_state=[np.zeros((2, 4)), np.zeros((2, 3))]), "'enc'", "(2, 4)")


def test_pad_sequences_with_tokens():
    _raises(ValueError, lambda: descend.utils.pad_sequences([["a"], [1, 2]]),
            "pad_sequences", "position 0", "int32", "dtype=object")
