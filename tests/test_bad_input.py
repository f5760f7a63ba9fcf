"""Bad input fails before any training step with a message that says what to do."""

from __future__ import annotations

import numpy as np
import pytest

import descend
from descend.layers import Dense


def compiled(loss: str = "sparse_categorical_crossentropy", n_out: int = 3,
             n_in: int = 4) -> descend.Sequential:
    model = descend.Sequential([Dense(8, activation="relu", input_shape=(n_in,)),
                                Dense(n_out, activation="softmax")])
    model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    return model


X = np.random.default_rng(0).standard_normal((20, 4)).astype("float32")
Y = np.random.default_rng(0).integers(0, 3, 20)


def untouched(model: descend.Sequential, call) -> None:
    before = [w.copy() for w in model.get_weights()]
    call()
    after = model.get_weights()
    assert all((a == b).all() for a, b in zip(before, after, strict=True))


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"x": X[:, :3]}, ValueError, r"expected shape \(None, 4\), received \(None, 3\)"),
        ({"y": Y[:10]}, ValueError, r"x: 20, y: 10"),
        ({"x": X[:0], "y": Y[:0]}, ValueError, "empty"),
        ({"x": np.where(np.eye(20, 4) > 0, np.nan, X)}, ValueError, "NaN or infinite"),
        ({"x": np.array([["a"] * 4] * 20)}, TypeError, "must be numeric"),
        ({"batch_size": 0}, ValueError, "batch_size` must be a positive integer"),
        ({"epochs": -1}, ValueError, "epochs"),
        ({"y": np.eye(3)[Y]}, ValueError, "categorical_crossentropy"),
        ({"y": Y + 3}, ValueError, r"sparse_categorical_crossentropy"),
        ({"validation_split": 1.5}, ValueError, "validation_split"),
    ],
)
def test_fit_rejects(kwargs, error, pattern) -> None:
    model = compiled()
    args = {"x": X, "y": Y, "epochs": 1, "verbose": 0}
    args.update(kwargs)

    def call() -> None:
        with pytest.raises(error, match=pattern):
            model.fit(**args)

    if model.built:
        untouched(model, call)
    else:
        call()


def test_fit_before_compile() -> None:
    model = descend.Sequential([Dense(2, input_shape=(4,))])
    with pytest.raises(ValueError, match=r"You must call `compile\(\)`"):
        model.fit(X, Y)


def test_negative_learning_rate() -> None:
    with pytest.raises(ValueError, match="learning_rate"):
        descend.optimizers.Adam(learning_rate=-0.1)


def test_unknown_strings_suggest_the_closest_name() -> None:
    model = descend.Sequential([Dense(2, input_shape=(4,))])
    with pytest.raises(ValueError, match="adam"):
        model.compile(optimizer="adma", loss="mse")
    with pytest.raises(ValueError, match="mean_squared_error"):
        model.compile(optimizer="adam", loss="mean_squared_eror")
    with pytest.raises(ValueError, match="relu"):
        Dense(2, activation="rleu")


def test_one_hot_labels_for_sparse_loss_say_which_loss_to_use() -> None:
    model = compiled()
    with pytest.raises(ValueError) as info:
        model.fit(X, np.eye(3)[Y], verbose=0)
    message = str(info.value)
    assert "sparse_categorical_crossentropy" in message and "categorical_crossentropy" in message


def test_predict_with_callbacks_checks_shapes_like_the_plain_path() -> None:
    model = descend.Sequential([Dense(2)])
    model.predict(np.zeros((3, 4), "float32"), verbose=0)  # builds for 4 features
    with pytest.raises(ValueError, match=r"layer 'dense'.*expected axis -1.*value 4"):
        model.predict(np.zeros((100, 3), "float32"), verbose=0,
                      callbacks=[descend.callbacks.Callback()])


@pytest.mark.parametrize("rows", [3, 4000])  # small arrays are counted, large ones summed
def test_finite_check_on_huge_finite_values_and_on_nan(rows):
    import warnings

    from descend.models.data_adapter import check_finite

    big = np.full((rows, 8), 3e38, np.float32)
    big[::2] *= -1
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning leaks out of the fast path
        check_finite(big, "x")
    big[rows - 1, 5] = np.nan
    where = rf"1 NaN or infinite value\(s\) \(first at index \({rows - 1}, 5\)"
    with pytest.raises(ValueError, match=where):
        check_finite(big, "x")
