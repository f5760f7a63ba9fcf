"""predict's short way (``descend.models.inference``): the same results, and the full way otherwise.

After a call has gone the full way, ``predict``/``predict_on_batch`` on one plain array of a
known shape skip the checks that cannot fail again. These tests check that the short way
gives exactly the full way's result, that every case it excludes still goes the full way
(with the full way's errors), and that NaN or infinity in the input is still refused with
the same message.
"""

from __future__ import annotations

import numpy as np
import pytest

import descend
from descend import config, layers
from descend.autograd import no_grad
from descend.models import Model, Sequential


def mlp(**kwargs) -> Sequential:
    descend.utils.set_random_seed(0)
    model = Sequential([layers.Input((6,)), layers.Dense(5, activation="relu", **kwargs),
                        layers.Dense(4, activation="relu"), layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    return model


@pytest.fixture
def full_ways(monkeypatch):
    """Count the calls that go the full way (through ``Model._infer_arrays``)."""
    calls = []
    original = Model._infer_arrays

    def counted(self, xs):
        calls.append(len(xs[0]))
        return original(self, xs)

    monkeypatch.setattr(Model, "_infer_arrays", counted)
    return calls


def reference(model, x):
    with no_grad():
        return model(x, training=False).data


X = np.random.default_rng(0).standard_normal((5, 6)).astype(np.float32)


def test_short_way_gives_the_full_ways_result(full_ways) -> None:
    model = mlp()
    first = model.predict(X[:1], batch_size=1, verbose=0)  # the full way, remembered
    assert len(full_ways) == 1
    for rows in (1, 3, 5):
        out = model.predict(X[:rows], verbose=0)
        np.testing.assert_array_equal(out, reference(model, X[:rows]))
        np.testing.assert_array_equal(model.predict_on_batch(X[:rows]), out)
    np.testing.assert_array_equal(first, reference(model, X[:1]))
    if config.fusion():
        assert len(full_ways) == 1  # every later call took the short way
    else:
        assert "_short_way" not in model.__dict__  # the reference path: always the full way


def test_returned_arrays_are_not_written_again() -> None:
    model = mlp()
    a = model.predict(X[:1], verbose=0)
    kept = a.copy()
    b = model.predict(X[1:2], verbose=0)
    c = model.predict_on_batch(X[2:3])
    assert a is not b and b is not c
    np.testing.assert_array_equal(a, kept)


@pytest.mark.parametrize("call", [
    lambda m, x: m.predict(x, verbose=0, callbacks=[descend.callbacks.Callback()]),
    lambda m, x: m.predict(x, verbose=0, steps=1),
    lambda m, x: m.predict([x], verbose=0),
    lambda m, x: m.predict(x.astype(np.float64), verbose=0),
    lambda m, x: m.predict(x.tolist(), verbose=0),
    lambda m, x: m.predict(np.asarray(x, dtype=">f4"), verbose=0),
    lambda m, x: m.predict(x, batch_size=np.int64(1), verbose=0),
    lambda m, x: m.predict(np.concatenate([x, x]), batch_size=1, verbose=0),
])
def test_excluded_cases_go_the_full_way_with_the_same_result(full_ways, call) -> None:
    model = mlp()
    x = X[:1]
    model.predict(x, verbose=0)
    before = len(full_ways)
    out = call(model, x)
    assert len(full_ways) > before, "this case must go the full way"
    expected = reference(model, x)
    np.testing.assert_array_equal(np.asarray(out)[..., :1, :].reshape(expected.shape), expected)


def test_short_way_keeps_the_full_ways_argument_errors() -> None:
    model = mlp()
    model.predict(X[:1], verbose=0)
    with pytest.raises(ValueError, match="`verbose` must be"):
        model.predict(X[:1], verbose=3)
    with pytest.raises(ValueError, match="`verbose` must be"):
        model.predict(X[:1], verbose=True)
    with pytest.raises(ValueError, match="batch_size` must be a positive integer"):
        model.predict(X[:1], batch_size=0)
    with pytest.raises(ValueError, match=r"expected shape \(None, 6\), received \(None, 4\)"):
        model.predict(X[:1, :4], verbose=0)
    with pytest.raises(ValueError, match="empty"):
        model.predict(X[:0], verbose=0)
    with pytest.raises(ValueError, match="scalar"):
        model.predict(np.float32(1.0), verbose=0)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("where", [(0, 0), (0, 5), (2, 3)])
def test_nan_and_inf_are_refused_as_before(bad, where) -> None:
    model = mlp()
    model.predict(X[:1], verbose=0)
    model.layers[0].kernel.data[:, 0] = 0.0  # a zero weight column: inf * 0 is NaN, still seen
    x = X[:3].copy()
    x[where] = bad
    message = rf"`x` contains 1 NaN or infinite value\(s\) \(first at index \({where[0]}, " \
              rf"{where[1]}\)"
    with pytest.raises(ValueError, match=message):
        model.predict(x, verbose=0)
    with pytest.raises(ValueError, match=message):
        model.predict_on_batch(x)
    row = x[where[0]:where[0] + 1]
    with pytest.raises(ValueError, match=rf"first at index \(0, {where[1]}\)"):
        model.predict(row, batch_size=1, verbose=0)


def test_non_finite_weights_are_not_mistaken_for_bad_input() -> None:
    model = mlp()
    model.predict(X[:1], verbose=0)
    model.layers[0].bias.data[0] = np.nan  # the screen fires, x is finite: outputs as before
    out = model.predict(X[:1], verbose=0)
    np.testing.assert_array_equal(out, reference(model, X[:1]))
    assert np.isnan(out).all()


def test_changes_to_the_model_end_the_short_way(full_ways) -> None:
    model = mlp()
    x = X[:2]
    model.predict(x, verbose=0)
    seen = []
    handle = model.layers[1].register_forward_hook(lambda layer, i, o: seen.append(o.shape))
    model.predict(x, verbose=0)
    assert seen == [(2, 4)]  # the hook fired: the full way
    handle.remove()
    model.pop()
    model.add(layers.Dense(2, name="other"))
    assert model.predict(x, verbose=0).shape == (2, 2)
    model.compile("sgd", "mse")
    np.testing.assert_array_equal(model.predict(x, verbose=0), reference(model, x))
    with _fusion(False):
        before = len(full_ways)
        model.predict(x, verbose=0)
        assert len(full_ways) == before + 1


class _fusion:  # noqa: N801
    def __init__(self, on: bool) -> None:
        self.on = on

    def __enter__(self) -> None:
        self.previous = config.fusion()
        config.set_fusion(self.on)

    def __exit__(self, *exc) -> None:
        config.set_fusion(self.previous)


def test_floatx_change_ends_the_short_way(full_ways) -> None:
    model = mlp()
    model.predict(X[:1], verbose=0)
    before = len(full_ways)
    previous = config.floatx()
    config.set_floatx("float64")
    try:
        model.predict(X[:1], verbose=0)  # float32 data is now converted: the full way
    finally:
        config.set_floatx(previous)
    assert len(full_ways) == before + 1


def test_overridden_predict_step_and_model_hooks_always_go_the_full_way(full_ways) -> None:
    class Doubled(Sequential):
        def predict_step(self, data):
            return super().predict_step(data) * 2.0

    model = Doubled([layers.Input((6,)), layers.Dense(2)])
    for _ in range(2):
        np.testing.assert_allclose(model.predict(X[:1], verbose=0), 2 * reference(model, X[:1]))
    assert "_short_way" not in model.__dict__
    plain = mlp()
    calls = []
    plain.register_forward_pre_hook(lambda layer, inputs: calls.append(1))
    for _ in range(2):
        plain.predict(X[:1], verbose=0)
    assert calls == [1, 1] and "_short_way" not in plain.__dict__


def test_functional_mlp_takes_the_short_way_too(full_ways) -> None:
    inputs = layers.Input((6,))
    hidden = layers.Dense(4, activation="tanh")(inputs)
    model = descend.Model(inputs, layers.Dense(2, activation="sigmoid")(hidden))
    for rows in (1, 1, 3):
        np.testing.assert_array_equal(model.predict(X[:rows], verbose=0),
                                      reference(model, X[:rows]))
    assert len(full_ways) == (1 if config.fusion() else 3)


def test_models_that_compute_on_tensors_go_the_full_way(full_ways) -> None:
    model = Sequential([layers.Input((3, 2)), layers.LSTM(4, stateful=False),
                        layers.Dense(2)])
    x = np.ones((1, 3, 2), np.float32)
    for _ in range(2):
        np.testing.assert_array_equal(model.predict(x, verbose=0), reference(model, x))
    assert len(full_ways) == 2 and "_short_way" not in model.__dict__


def test_subclassed_models_predict_twice_the_full_way():
    """A subclassed model's plan is a tracing verdict (traced or eager), never the short way."""

    class Tiny(descend.Model):
        def __init__(self):
            super().__init__()
            self.hidden = descend.layers.Dense(4, activation="relu")
            self.out = descend.layers.Dense(2)

        def call(self, inputs, training=None):
            return self.out(self.hidden(inputs))

    class Eager(Tiny):
        def call(self, inputs, training=None, mask=None):  # a mask argument: not traced
            return self.out(self.hidden(inputs))

    x = np.random.default_rng(0).normal(size=(3, 5)).astype("float32")
    for cls in (Tiny, Eager):
        model = cls()
        first = model.predict(x, verbose=0)
        np.testing.assert_array_equal(model.predict(x, verbose=0), first)
        assert "_short_way" not in model.__dict__
