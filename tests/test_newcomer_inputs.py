"""1-D inputs for a model whose input shape is (1,), accepted as Keras 3 accepts them.

Keras 3.15 (``Functional._adjust_input_rank``) adds the missing last axis when an
array has one axis fewer than the model input and that input's last axis is 1,
and squeezes a trailing axis of size 1 when the array has one axis more; other
mismatches are errors, and a model without a known input shape builds from the
data and rejects 1-D arrays in its first Dense layer. Checked against Keras 3.15.1
(torch backend) on fit, evaluate, predict, the *_on_batch methods and validation_data.
"""

from __future__ import annotations

import numpy as np
import pytest

import descend
from descend import layers
from descend.utils import set_random_seed


def _ages() -> tuple[np.ndarray, np.ndarray]:
    x = np.linspace(0.0, 1.0, 40, dtype="float32")          # shape (40,), like the course's ages
    y = (x > 0.5).astype("int64")
    return x, y


def _seed_model() -> descend.Sequential:
    set_random_seed(3)
    model = descend.Sequential([layers.Dense(8, input_shape=(1,), activation="relu"),
                                layers.Dense(2, activation="sigmoid")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_fit_on_1d_ages_trains_exactly_as_on_a_column() -> None:
    x, y = _ages()
    flat, column = _seed_model(), _seed_model()
    h1 = flat.fit(x, y, batch_size=10, epochs=2, shuffle=False, verbose=0,
                  validation_data=(x, y))
    h2 = column.fit(x[:, None], y, batch_size=10, epochs=2, shuffle=False, verbose=0,
                    validation_data=(x[:, None], y))
    assert h1.history == h2.history
    for a, b in zip(flat.get_weights(), column.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_predict_evaluate_and_batch_methods_accept_1d() -> None:
    x, y = _ages()
    model = _seed_model()
    expected = model.predict(x[:, None], verbose=0)
    got = model.predict(x, verbose=0)
    assert got.shape == (40, 2)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(model.predict(x, batch_size=7, verbose=0), expected)
    np.testing.assert_array_equal(model.predict_on_batch(x[:5]), expected[:5])
    assert model.evaluate(x, y, verbose=0) == model.evaluate(x[:, None], y, verbose=0)
    assert np.isfinite(model.train_on_batch(x[:10], y[:10])[0])
    assert np.isfinite(model.test_on_batch(x[:10], y[:10])[0])


def test_functional_model_and_trailing_axes() -> None:
    x, _ = _ages()
    inputs = layers.Input(shape=(1,))
    model = descend.models.Model(inputs, layers.Dense(2)(inputs))
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x[:, None], verbose=0))
    # Input(shape=(2, 1)) takes (n, 2); Input(shape=(3,)) takes (n, 3, 1) (squeezed), as Keras
    seq = descend.Sequential([layers.Input(shape=(2, 1)), layers.Flatten(), layers.Dense(2)])
    assert seq.predict(np.ones((4, 2), "float32"), verbose=0).shape == (4, 2)
    wide = descend.Sequential([layers.Input(shape=(3,)), layers.Dense(2)])
    ones = np.ones((4, 3), "float32")
    np.testing.assert_array_equal(wide.predict(ones[..., None], verbose=0),
                                  wide.predict(ones, verbose=0))


def test_other_rank_mismatches_are_still_errors() -> None:
    wide = descend.Sequential([layers.Input(shape=(3,)), layers.Dense(2)])
    with pytest.raises(ValueError, match=r"expected shape \(None, 3\)"):
        wide.predict(np.ones(6, "float32"), verbose=0)
    unbuilt = descend.Sequential([layers.Dense(2)])      # no input shape: Keras fails too
    with pytest.raises(ValueError, match="dense"):
        unbuilt.predict(np.ones(6, "float32"), verbose=0)
