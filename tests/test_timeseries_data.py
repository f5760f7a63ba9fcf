"""pad_sequences, timeseries_dataset_from_array, PyDataset and generators in fit and co."""

from __future__ import annotations

import numpy as np
import pytest

import descend
from descend import layers, utils

SEQS = [[1, 2, 3, 4], [5], [], [6, 7]]


@pytest.mark.parametrize("kwargs,want", [
    ({}, [[1, 2, 3, 4], [0, 0, 0, 5], [0, 0, 0, 0], [0, 0, 6, 7]]),
    ({"maxlen": 3}, [[2, 3, 4], [0, 0, 5], [0, 0, 0], [0, 6, 7]]),
    ({"maxlen": 3, "padding": "post", "truncating": "post", "value": -1},
     [[1, 2, 3], [5, -1, -1], [-1, -1, -1], [6, 7, -1]]),
])
def test_pad_sequences(kwargs, want):
    out = utils.pad_sequences(SEQS, **kwargs)
    assert out.dtype == np.int32 and out.tolist() == want


def test_pad_sequences_float_vectors_and_errors():
    out = utils.pad_sequences([np.ones((2, 3)), np.ones((1, 3))], dtype="float32", value=0.5)
    assert out.shape == (2, 2, 3) and out[1, 0].tolist() == [0.5] * 3
    with pytest.raises(ValueError, match="padding type"):
        utils.pad_sequences(SEQS, padding="middle")
    with pytest.raises(ValueError, match="not compatible"):
        utils.pad_sequences(SEQS, value="x")
    with pytest.raises(ValueError, match="position 1"):
        utils.pad_sequences([np.ones((2, 3)), np.ones((1, 2))])


def windows_ref(data, targets, length, stride, rate, start, end):
    count = min(end - start - (length - 1) * rate, len(targets))
    starts = list(range(0, count, stride))
    xs = [[data[start + p + j * rate] for j in range(length)] for p in starts]
    return np.array(xs), np.array([targets[start + p] for p in starts])


@pytest.mark.parametrize("kwargs", [
    {"sequence_length": 4},
    {"sequence_length": 3, "sequence_stride": 2, "sampling_rate": 2, "batch_size": 3},
    {"sequence_length": 3, "start_index": 2, "end_index": 15, "batch_size": 4},
])
def test_timeseries_windows(kwargs):
    data, targets = np.arange(40).reshape(20, 2), np.arange(20) * 10
    ds = utils.timeseries_dataset_from_array(data, targets, **kwargs)
    xs = np.concatenate([b[0] for b in ds])
    ys = np.concatenate([b[1] for b in ds])
    want_x, want_y = windows_ref(data, targets, kwargs["sequence_length"],
                                 kwargs.get("sequence_stride", 1), kwargs.get("sampling_rate", 1),
                                 kwargs.get("start_index", 0), kwargs.get("end_index", 20))
    np.testing.assert_array_equal(xs, want_x)
    np.testing.assert_array_equal(ys, want_y)
    batch = kwargs.get("batch_size", 128)
    assert len(ds) == -(-len(want_y) // batch)


def test_timeseries_shuffle_no_targets_and_errors():
    data = np.arange(12)
    ds = utils.timeseries_dataset_from_array(data, None, 3, batch_size=None, shuffle=True,
                                             seed=4)
    windows = [w.tolist() for w in ds]
    assert sorted(windows) == [[i, i + 1, i + 2] for i in range(10)]
    assert windows != sorted(windows)
    again = [w.tolist() for w in utils.timeseries_dataset_from_array(
        data, None, 3, batch_size=None, shuffle=True, seed=4)]
    assert again == windows
    with pytest.raises(ValueError, match="sampling_rate"):
        utils.timeseries_dataset_from_array(data, None, 3, sampling_rate=0)
    with pytest.raises(ValueError, match="end_index"):
        utils.timeseries_dataset_from_array(data, None, 3, start_index=5, end_index=4)


def small_model():
    descend.utils.set_random_seed(0)
    model = descend.Sequential([layers.Input((4,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    return model


class Batches(utils.PyDataset):
    def __init__(self, x, y, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.batch_size = x, y, batch_size
        self.epochs_ended = 0

    def __len__(self):
        return -(-len(self.x) // self.batch_size)

    def __getitem__(self, i):
        s = slice(i * self.batch_size, (i + 1) * self.batch_size)
        return self.x[s], self.y[s]

    def on_epoch_end(self):
        self.epochs_ended += 1


X = np.random.default_rng(0).normal(size=(40, 4)).astype("float32")
Y = (X @ np.array([1.0, -2.0, 0.5, 0.0], "float32"))[:, None]


def test_py_dataset_equals_unshuffled_arrays():
    ds = Batches(X, Y, 8, workers=4, use_multiprocessing=True)
    assert ds.workers == 4 and ds.use_multiprocessing and ds.num_batches == 5
    a = small_model()
    ha = a.fit(ds, epochs=3, shuffle=False, verbose=0, validation_data=(X, Y))
    b = small_model()
    hb = b.fit(X, Y, batch_size=8, epochs=3, shuffle=False, verbose=0, validation_data=(X, Y))
    np.testing.assert_allclose(ha.history["loss"], hb.history["loss"], rtol=1e-6)
    np.testing.assert_allclose(ha.history["val_loss"], hb.history["val_loss"], rtol=1e-6)
    assert ds.epochs_ended == 3
    np.testing.assert_allclose(a.evaluate(ds, verbose=0), b.evaluate(X, Y, verbose=0),
                               rtol=1e-6)
    np.testing.assert_allclose(a.predict(ds, verbose=0), b.predict(X, verbose=0), rtol=1e-6)
    assert a.predict(ds, steps=2, verbose=0).shape == (16, 1)


def test_generator_with_steps_per_epoch_continues_across_epochs():
    seen = []

    def gen():
        i = 0
        while True:
            seen.append(i % 5)
            s = slice((i % 5) * 8, (i % 5 + 1) * 8)
            yield X[s], Y[s]
            i += 1

    model = small_model()
    hist = model.fit(gen(), steps_per_epoch=3, epochs=2, verbose=0)
    assert seen == [0, 1, 2, 3, 4, 0] and len(hist.history["loss"]) == 2


def test_finite_generator_runs_out_with_a_warning():
    model = small_model()
    gen = ((X[i:i + 8], Y[i:i + 8]) for i in range(0, 40, 8))
    with pytest.warns(UserWarning, match="ran out of data"):
        hist = model.fit(gen, epochs=3, verbose=0)
    assert len(hist.history["loss"]) == 1


def test_timeseries_dataset_trains_a_model():
    series = np.sin(np.arange(300) / 5.0).astype("float32")
    ds = utils.timeseries_dataset_from_array(series[:, None], series[10:], 10, batch_size=32)
    model = descend.Sequential([layers.Input((10, 1)), layers.Flatten(), layers.Dense(1)])
    model.compile("adam", "mse")
    hist = model.fit(ds, epochs=20, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0] * 0.5


def test_array_only_arguments_are_refused_with_a_source():
    model = small_model()
    ds = Batches(X, Y, 8)
    with pytest.raises(ValueError, match="`y` must not be given"):
        model.fit(ds, Y, verbose=0)
    with pytest.raises(ValueError, match="`validation_split`"):
        model.fit(ds, validation_split=0.2, verbose=0)
    with pytest.raises(ValueError, match="`y`"):
        model.evaluate(ds, Y, verbose=0)
