"""Generators and iterators in fit/evaluate/predict: the same loops as arrays and PyDatasets.

A generator is consumed across epochs (``steps_per_epoch`` batches each, or until it
runs out), its batches are validated like a PyDataset's, ``validation_data`` may be a
source limited by ``validation_steps``, and ``class_weight`` applies to its batches.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import descend
from descend import layers, utils
from descend.models.py_dataset_adapter import IteratorBatches, PyDatasetBatches, batches_of

RNG = np.random.default_rng(0)
X = RNG.normal(size=(40, 4)).astype("float32")
Y = (X @ np.array([1.0, -2.0, 0.5, 0.0], "float32"))[:, None]
LABELS = (X[:, 0] > 0).astype("int64")


def small_model(loss="mse", units=1, metrics=None):
    descend.utils.set_random_seed(0)
    model = descend.Sequential([layers.Input((4,)), layers.Dense(units)])
    model.compile("sgd", loss, metrics=metrics)
    return model


def chunks(x, y, size=8, *extra):
    for i in range(0, len(x), size):
        yield (x[i:i + size], y[i:i + size], *(e[i:i + size] for e in extra))


class Slices(utils.PyDataset):
    def __init__(self, x, y, size=8):
        super().__init__()
        self.x, self.y, self.size = x, y, size

    def __len__(self):
        return -(-len(self.x) // self.size)

    def __getitem__(self, i):
        s = slice(i * self.size, (i + 1) * self.size)
        return self.x[s], self.y[s]


def test_a_generator_trains_evaluates_and_predicts_like_the_same_arrays():
    a, b = small_model(metrics=["mae"]), small_model(metrics=["mae"])
    ha = a.fit(chunks(X, Y), epochs=1, verbose=0, validation_data=chunks(X, Y))
    hb = b.fit(X, Y, batch_size=8, epochs=1, shuffle=False, verbose=0, validation_data=(X, Y))
    for key in ("loss", "mae", "val_loss", "val_mae"):
        np.testing.assert_allclose(ha.history[key], hb.history[key], rtol=1e-6)
    np.testing.assert_allclose(a.evaluate(chunks(X, Y), verbose=0),
                               b.evaluate(X, Y, verbose=0), rtol=1e-6)
    np.testing.assert_allclose(a.predict(iter([X[:8], X[8:]]), verbose=0),
                               b.predict(X, verbose=0), rtol=1e-6)
    assert a.predict(chunks(X, Y), steps=2, verbose=0).shape == (16, 1)
    assert a.evaluate(chunks(X, Y), steps=1, verbose=0) == pytest.approx(
        b.evaluate(X[:8], Y[:8], verbose=0), rel=1e-6)


def test_steps_per_epoch_takes_the_next_batches_and_stops_when_the_generator_ends():
    # 5 batches, 2 per epoch: epochs of 2, 2 and 1 batch; the fourth epoch never starts
    seen = []

    def gen():
        for i, batch in enumerate(chunks(X, Y)):
            seen.append(i)
            yield batch

    model = small_model()
    with pytest.warns(UserWarning, match="ran out of data"):
        hist = model.fit(gen(), steps_per_epoch=2, epochs=6, verbose=0)
    assert seen == [0, 1, 2, 3, 4] and len(hist.history["loss"]) == 3
    # exactly used up: no empty epoch, and the warning once the next epoch finds nothing
    model = small_model()
    with pytest.warns(UserWarning, match="ran out of data"):
        hist = model.fit(chunks(X[:32], Y[:32]), steps_per_epoch=2, epochs=5, verbose=0)
    assert len(hist.history["loss"]) == 2


def test_all_epochs_run_without_a_warning_when_the_generator_lasts():
    model = small_model()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hist = model.fit(chunks(np.tile(X, (2, 1)), np.tile(Y, (2, 1))), steps_per_epoch=5,
                         epochs=2, verbose=0)
    assert len(hist.history["loss"]) == 2


def test_validation_steps_limit_a_source_given_as_validation_data():
    a, b = small_model(), small_model()
    ha = a.fit(X, Y, batch_size=8, epochs=1, shuffle=False, verbose=0,
               validation_data=Slices(X, Y), validation_steps=2)
    hb = b.fit(X, Y, batch_size=8, epochs=1, shuffle=False, verbose=0,
               validation_data=(X[:16], Y[:16]))
    np.testing.assert_allclose(ha.history["val_loss"], hb.history["val_loss"], rtol=1e-6)
    # a generator limited to 2 batches per validation: two epochs validate on its 4 batches
    c, d = small_model(), small_model()
    hc = c.fit(X, Y, batch_size=40, epochs=2, verbose=0, shuffle=False,
               validation_data=chunks(X[:32], Y[:32]), validation_steps=2)
    d.fit(X, Y, batch_size=40, epochs=1, verbose=0, shuffle=False)
    first = d.evaluate(X[:16], Y[:16], verbose=0)
    d.fit(X, Y, batch_size=40, epochs=1, verbose=0, shuffle=False)
    second = d.evaluate(X[16:32], Y[16:32], verbose=0)
    np.testing.assert_allclose(hc.history["val_loss"], [first, second], rtol=1e-6)
    # used up: the third validation has no batch left
    with pytest.raises(ValueError, match="evaluate: the data source gave no batch"):
        small_model().fit(X, Y, epochs=3, verbose=0,
                          validation_data=chunks(X[:16], Y[:16]), validation_steps=1)


def test_class_weight_weighs_a_generators_batches():
    a = small_model("sparse_categorical_crossentropy", units=2)
    b = small_model("sparse_categorical_crossentropy", units=2)
    weights = {0: 1.0, 1: 3.0}
    ha = a.fit(chunks(X, LABELS), epochs=1, verbose=0, class_weight=weights)
    hb = b.fit(X, LABELS, batch_size=8, epochs=1, shuffle=False, verbose=0,
               class_weight=weights)
    np.testing.assert_allclose(ha.history["loss"], hb.history["loss"], rtol=1e-6)
    with pytest.raises(ValueError, match="class_weight` and `sample_weight"):
        small_model("sparse_categorical_crossentropy", units=2).fit(
            chunks(X, LABELS, 8, np.ones(40)), verbose=0, class_weight=weights)


def test_errors_name_the_batch_and_the_arguments():
    model = small_model()
    with pytest.raises(ValueError, match=r"batch 1 of the generator must be one batch"):
        model.fit(iter([(X[:8], Y[:8]), (X[:8], Y[:8], None, None)]), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="x batch 1 y"):
        model.fit(iter([(X[:8], Y[:8]), (X[:8], np.full((8, 1), np.nan))]), verbose=0)
    for method, call in (("fit", lambda: model.fit(iter([]), verbose=0)),
                         ("evaluate", lambda: model.evaluate(iter([]), verbose=0)),
                         ("predict", lambda: model.predict(iter([]), verbose=0))):
        with pytest.raises(ValueError, match=f"{method}: the data source gave no batch"):
            call()
    with pytest.raises(ValueError, match="have no targets"):
        model.fit(iter([X[:8]]), verbose=0)
    with pytest.raises(ValueError, match="`sample_weight`, `validation_split` must not"):
        model.fit(chunks(X, Y), sample_weight=np.ones(40), validation_split=0.5, verbose=0)


def test_batches_of_picks_the_adapter_and_generators_are_not_sharded():
    assert isinstance(batches_of(Slices(X, Y)), PyDatasetBatches)
    assert isinstance(batches_of(chunks(X, Y)), IteratorBatches)
    assert PyDatasetBatches.shardable and not IteratorBatches.shardable
    batches = batches_of(chunks(X, Y), steps=3)
    assert batches.num_batches == 3 and not batches.exhausted
    assert [len(b[0][0]) for b in batches] == [8, 8, 8]
    assert [len(b[0][0]) for b in batches] == [8, 8] and batches.exhausted
