"""TextVectorization, StringLookup and IntegerLookup against Keras's rules (written out in
NumPy/Python here): vocabulary order, special indices, output modes, saving, errors."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest

import descend
from descend import layers
from descend.saving import serialization_lib

DOCS = ["The cat sat on the mat.", "The dog ate my homework!", "A cat, a dog; the END",
        "cat CAT cat"]


def keras_order(counts):
    """Keras: np.lexsort((tokens, counts))[::-1] -> count desc, then token desc."""
    return sorted(counts, key=lambda t: (counts[t], t), reverse=True)


def standardize(s):
    return re.sub(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']', "", s.lower())


def token_rows(docs, ngrams=None):
    rows = [standardize(d).split() for d in docs]
    if ngrams:
        widths = range(1, ngrams + 1)
        rows = [[" ".join(r[i:i + w]) for w in widths for i in range(len(r) - w + 1)]
                for r in rows]
    return rows


def counts_of(rows):
    counts = {}
    for row in rows:
        for t in row:
            counts[t] = counts.get(t, 0) + 1
    return counts


@pytest.mark.parametrize("ngrams", [None, 2])
def test_adapt_and_int_mode(ngrams):
    layer = layers.TextVectorization(ngrams=ngrams, max_tokens=12, output_sequence_length=5)
    layer.adapt(DOCS)
    rows = token_rows(DOCS, ngrams)
    vocab = ["", "[UNK]"] + keras_order(counts_of(rows))[:10]
    assert layer.get_vocabulary() == vocab
    assert layer.vocabulary_size() == 12
    index = {t: i for i, t in enumerate(vocab)}
    out = layer(DOCS).data
    want = np.zeros((4, 5), np.int64)
    for i, row in enumerate(rows):
        ids = [index.get(t, 1) for t in row][:5]
        want[i, :len(ids)] = ids
    np.testing.assert_array_equal(out, want)
    assert out.dtype == np.int64


def test_int_mode_pads_to_longest_without_output_sequence_length():
    layer = layers.TextVectorization(vocabulary=["cat", "dog"])
    assert layer(["cat", "dog cat fish"]).data.tolist() == [[2, 0, 0], [3, 2, 1]]
    assert layer(np.array([["cat dog"]])).data.tolist() == [[2, 3]]


@pytest.mark.parametrize("mode", ["lower", "strip_punctuation", None])
def test_standardize_modes(mode):
    layer = layers.TextVectorization(standardize=mode, split="whitespace")
    layer.adapt(["Hi, hi! HI"])
    expected = {"lower": ["hi", "hi,", "hi!"], "strip_punctuation": ["Hi", "HI", "hi"],
                None: ["hi!", "Hi,", "HI"]}[mode]
    assert sorted(layer.get_vocabulary()[2:]) == sorted(expected)


def test_character_split_none_split_and_callables():
    chars = layers.TextVectorization(split="character", standardize=None)
    chars.adapt(["abca"])
    assert chars.get_vocabulary() == ["", "[UNK]", "a", "c", "b"]
    whole = layers.TextVectorization(split=None, vocabulary=["hello world"])
    assert whole(["Hello, World", "x"]).data.tolist() == [2, 1]
    custom = layers.TextVectorization(standardize=lambda a: np.char.upper(a.astype(str)),
                                      split=lambda a: [s.split("-") for s in a])
    custom.adapt(["a-b-a"])
    assert custom.get_vocabulary() == ["", "[UNK]", "A", "B"]


@pytest.mark.parametrize("mode", ["multi_hot", "count", "tf_idf"])
def test_bag_of_words_modes(mode):
    layer = layers.TextVectorization(output_mode=mode)
    layer.adapt(DOCS)
    rows = token_rows(DOCS)
    vocab = ["[UNK]"] + keras_order(counts_of(rows))
    assert layer.get_vocabulary() == vocab
    index = {t: i for i, t in enumerate(vocab)}
    query = ["the cat and the bird"]
    counts = np.zeros(len(vocab))
    for t in token_rows(query)[0]:
        counts[index.get(t, 0)] += 1
    out = layer(query).data
    if mode == "multi_hot":
        np.testing.assert_array_equal(out[0], np.minimum(counts, 1))
    elif mode == "count":
        np.testing.assert_array_equal(out[0], counts)
    else:
        docs = {t: sum(t in r for r in rows) for t in vocab[1:]}
        idf = [math.log(1 + len(rows) / (1 + docs[t])) for t in vocab[1:]]
        idf = [float(np.mean(idf))] + idf
        np.testing.assert_allclose(out[0], counts * np.array(idf), rtol=1e-6)


def test_pad_to_max_tokens_and_set_vocabulary_with_idf():
    layer = layers.TextVectorization(output_mode="multi_hot", max_tokens=6,
                                     pad_to_max_tokens=True, vocabulary=["a", "b"])
    assert layer(["a b b"]).data.tolist() == [[0, 1, 1, 0, 0, 0]]
    tfidf = layers.TextVectorization(output_mode="tf_idf", vocabulary=["a", "b"],
                                     idf_weights=[2.0, 4.0])
    np.testing.assert_allclose(tfidf(["a b b z"]).data, [[3.0, 2.0, 8.0]])


def test_config_round_trip_keeps_the_vocabulary():
    layer = layers.TextVectorization(max_tokens=20, ngrams=(1, 2), output_sequence_length=6)
    layer.adapt(DOCS)
    config = serialization_lib.serialize_keras_object(layer)
    text = json.dumps(config)
    clone = serialization_lib.deserialize_keras_object(json.loads(text))
    assert clone.get_vocabulary() == layer.get_vocabulary()
    np.testing.assert_array_equal(clone(DOCS).data, layer(DOCS).data)
    tfidf = layers.TextVectorization(output_mode="tf_idf")
    tfidf.adapt(DOCS)
    again = layers.TextVectorization.from_config(json.loads(json.dumps(tfidf.get_config())))
    np.testing.assert_allclose(again(DOCS).data, tfidf(DOCS).data)


def test_text_vectorization_errors():
    with pytest.raises(ValueError, match="standardize"):
        layers.TextVectorization(standardize="upper")
    with pytest.raises(ValueError, match="output_sequence_length"):
        layers.TextVectorization(output_mode="count", output_sequence_length=3)
    layer = layers.TextVectorization(output_mode="multi_hot", name="tv")
    with pytest.raises(RuntimeError, match="'tv'.*vocabulary"):
        layer(["a"])
    with pytest.raises(ValueError, match="rank must be 1"):
        layers.TextVectorization(vocabulary=["a"])(np.array([["a", "b"]]))
    with pytest.raises(TypeError, match="expects strings"):
        layers.TextVectorization(vocabulary=["a"])([3])
    with pytest.raises(ValueError, match="larger than the maximum vocab size"):
        layers.TextVectorization(max_tokens=3, vocabulary=["a", "b"])


# ------------------------------------------------------------------ lookups
def test_string_lookup_int_invert_and_oov():
    layer = layers.StringLookup(vocabulary=["a", "b", "c"], mask_token="")
    assert layer.get_vocabulary() == ["", "[UNK]", "a", "b", "c"]
    assert layer([["a", "", "z", "c"]]).data.tolist() == [[2, 0, 1, 4]]
    inverse = layers.StringLookup(vocabulary=["a", "b", "c"], invert=True)
    assert inverse(np.array([[1, 3, 0, 9]])).data.tolist() == [["a", "c", "[UNK]", "[UNK]"]]
    strict = layers.StringLookup(vocabulary=["a"], num_oov_indices=0, name="strict")
    assert strict(["a"]).data.tolist() == [0]
    with pytest.raises(ValueError, match="'strict'.*OOV values"):
        strict(["b"])
    many = layers.StringLookup(vocabulary=["a"], num_oov_indices=3)
    ids = many(["x", "y", "a", "x"]).data.tolist()
    assert ids[2] == 3 and ids[0] == ids[3] and all(0 <= i < 3 for i in ids[:2])


def test_string_lookup_adapt_order_and_max_tokens():
    layer = layers.StringLookup(max_tokens=4)
    layer.adapt(np.array(["b", "a", "c", "a", "b", "d", "[UNK]"]))
    assert layer.get_vocabulary() == ["[UNK]", "b", "a", "d"]
    assert layer.get_vocabulary(include_special_tokens=False) == ["b", "a", "d"]


@pytest.mark.parametrize("mode,want", [
    ("one_hot", [[0, 1, 0], [0, 0, 1], [1, 0, 0]]),
    ("multi_hot", [[1, 1, 1]]),
    ("count", [[1, 1, 1]]),
])
def test_string_lookup_encodings(mode, want):
    layer = layers.StringLookup(vocabulary=["a", "b"], output_mode=mode)
    data = np.array(["a", "b", "q"]) if mode == "one_hot" else np.array([["a", "b", "q"]])
    assert layer(data).data.tolist() == want
    assert layer.compute_output_shape(data.shape) == np.array(want).shape


def test_integer_lookup_modes():
    layer = layers.IntegerLookup(mask_token=0, num_oov_indices=2)
    layer.adapt(np.array([[5, 5, 7], [0, 9, 9]]))
    assert layer.get_vocabulary() == [0, -1, -1, 9, 5, 7]
    # Keras's floormod: OOV id v -> v % num_oov_indices + 1
    assert layer(np.array([[5, 0, 11, 12]])).data.tolist() == [[4, 0, 2, 1]]
    inverse = layers.IntegerLookup(vocabulary=[5, 7], invert=True)
    out = inverse(np.array([[0, 1, 2, 9]])).data
    assert out.tolist() == [[-1, 5, 7, -1]] and out.dtype == np.int64
    counts = layers.IntegerLookup(vocabulary=[5, 7], output_mode="count")
    assert counts(np.array([[5, 5, 8]])).data.tolist() == [[1, 2, 0]]
    with pytest.raises(TypeError, match="integer ids"):
        counts(np.array([[1.5]]))


def test_lookup_bad_arguments():
    with pytest.raises(ValueError, match="invert"):
        layers.StringLookup(invert=True, output_mode="count")
    with pytest.raises(ValueError, match="repeated"):
        layers.StringLookup(vocabulary=["a", "a"])
    with pytest.raises(ValueError, match="idf_weights"):
        layers.StringLookup(vocabulary=["a"], output_mode="tf_idf")
    with pytest.raises(ValueError, match="sparse"):
        layers.IntegerLookup(sparse=True)


def test_integer_lookup_in_a_saved_model(tmp_path):
    inp = layers.Input((3,))
    bag = layers.IntegerLookup(vocabulary=[4, 8, 15, 16], output_mode="multi_hot")(inp)
    out = layers.Dense(1, activation="sigmoid")(bag)
    model = descend.Model(inp, out)
    x = np.array([[4, 8, 99], [15, 15, 16]], "float32")
    before = model.predict(x, verbose=0)
    model.save(tmp_path / "m.descend")
    loaded = descend.saving.load_model(tmp_path / "m.descend")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), before, rtol=1e-6)
    lookup = next(lyr for lyr in loaded.layers if isinstance(lyr, layers.IntegerLookup))
    assert lookup.get_vocabulary() == [-1, 4, 8, 15, 16]


def test_lowering_is_ascii_only_like_tf_strings_lower():
    layer = layers.TextVectorization(vocabulary=["été"])
    assert layer(["Été été ÉTÉ"]).data.tolist() == [[1, 2, 1]]
