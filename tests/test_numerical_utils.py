"""Tests for descend.utils.numerical_utils: to_categorical and normalize (Keras semantics)."""

from __future__ import annotations

import numpy as np
import pytest

from descend.utils.numerical_utils import normalize, to_categorical


def test_to_categorical_basic_and_inferred_classes():
    out = to_categorical([0, 2, 1, 2])
    assert out.dtype == np.float32 and out.shape == (4, 3)
    np.testing.assert_array_equal(out, np.eye(3, dtype=np.float32)[[0, 2, 1, 2]])


def test_to_categorical_explicit_num_classes_and_zero_means_infer():
    assert to_categorical(np.array([1, 0]), num_classes=5).shape == (2, 5)
    assert to_categorical([1, 0], num_classes=0).shape == (2, 2)


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        ((6,), (6, 4)),
        ((6, 1), (6, 4)),
        ((2, 3), (2, 3, 4)),
        ((2, 3, 1), (2, 3, 4)),
        ((1,), (1, 4)),
        ((3, 2, 1), (3, 2, 4)),
    ],
)
def test_to_categorical_shapes_follow_keras(shape, expected):
    labels = np.arange(int(np.prod(shape))).reshape(shape) % 4
    labels.flat[0] = 3  # make sure max + 1 == 4
    out = to_categorical(labels)
    assert out.shape == expected
    np.testing.assert_array_equal(out.argmax(-1), labels.reshape(expected[:-1]))
    assert out.sum() == labels.size


def test_to_categorical_accepts_uint8_bool_and_whole_floats():
    np.testing.assert_array_equal(
        to_categorical(np.array([9, 0], np.uint8)), to_categorical([9, 0])
    )
    np.testing.assert_array_equal(to_categorical(np.array([True, False])), [[0, 1], [1, 0]])
    np.testing.assert_array_equal(to_categorical([1.0, 0.0]), [[0, 1], [1, 0]])


def test_to_categorical_rejects_negative_labels():
    with pytest.raises(ValueError, match=r"negative values \[-1\] at flat positions \[2\]"):
        to_categorical([0, 1, -1])


def test_to_categorical_rejects_labels_too_large():
    with pytest.raises(ValueError, match=r"num_classes=3.*values \[3, 7\].*at least 8"):
        to_categorical([0, 3, 1, 7], num_classes=3)


def test_to_categorical_rejects_bad_types_and_values():
    with pytest.raises(ValueError, match="non-integer"):
        to_categorical([0.5, 1.0])
    with pytest.raises(ValueError, match="non-integer"):
        to_categorical([np.nan])
    with pytest.raises(TypeError, match="integer class labels"):
        to_categorical(["a", "b"])
    with pytest.raises(TypeError, match="num_classes"):
        to_categorical([0, 1], num_classes=2.5)
    with pytest.raises(ValueError, match="num_classes"):
        to_categorical([0, 1], num_classes=-2)


def test_to_categorical_many_bad_values_are_summarised():
    with pytest.raises(ValueError, match=r"and 5 more"):
        to_categorical(-np.arange(1, 11))


def test_normalize_l2_rows_and_zero_rows_stay_zero():
    x = np.array([[3.0, 4.0], [0.0, 0.0], [-1.0, 0.0]])
    out = normalize(x)
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, 0.0], [-1.0, 0.0]])
    assert out.shape == x.shape and out.dtype == np.float64
    assert not np.shares_memory(out, x)


def test_normalize_axis_and_order():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4, 5)).astype(np.float32)
    for axis in (0, 1, 2, -1, -3):
        out = normalize(x, axis=axis)
        assert out.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(out, axis=axis), 1.0, rtol=1e-5)
    out1 = normalize(x, axis=1, order=1)
    np.testing.assert_allclose(np.abs(out1).sum(axis=1), 1.0, rtol=1e-5)
    outinf = normalize(x, order=np.inf)
    np.testing.assert_allclose(np.abs(outinf).max(axis=-1), 1.0, rtol=1e-6)
    out3 = normalize(x, order=3)
    np.testing.assert_allclose((np.abs(out3) ** 3).sum(-1), 1.0, rtol=1e-5)


def test_normalize_matches_formula_and_accepts_ints():
    x = np.array([[1, 2, 2], [0, 0, 0]])
    out = normalize(x)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, [[1 / 3, 2 / 3, 2 / 3], [0, 0, 0]])
    np.testing.assert_allclose(normalize([3.0, 4.0]), [0.6, 0.8])


def test_normalize_rejects_bad_arguments():
    with pytest.raises(ValueError, match="out of range"):
        normalize(np.ones((2, 2)), axis=2)
    with pytest.raises(TypeError, match="axis"):
        normalize(np.ones((2, 2)), axis=(0, 1))
    with pytest.raises(ValueError, match="order"):
        normalize(np.ones((2, 2)), order=0)
    with pytest.raises(TypeError, match="order"):
        normalize(np.ones((2, 2)), order="fro")
    with pytest.raises(TypeError, match="numeric"):
        normalize(np.array(["a"]))
    with pytest.raises(ValueError, match="scalar"):
        normalize(3.0)
