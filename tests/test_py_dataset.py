"""keras.utils.PyDataset and the batches of an epoch drawn from it (Keras's rules)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from descend.models.py_dataset_adapter import PyDatasetBatches, is_py_dataset, unpack_batch
from descend.utils import PyDataset, set_random_seed


class Slices(PyDataset):
    """The keras-io guide's example: consecutive slices of arrays."""

    def __init__(self, x, y, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.batch_size = x, y, batch_size
        self.events: list[str] = []

    def __len__(self):
        return int(np.ceil(len(self.x) / float(self.batch_size)))

    def __getitem__(self, idx):
        self.events.append(f"get{idx}")
        s = slice(idx * self.batch_size, (idx + 1) * self.batch_size)
        return self.x[s], self.y[s]

    def on_epoch_begin(self):
        self.events.append("begin")

    def on_epoch_end(self):
        self.events.append("end")


def _data(n=10):
    return np.arange(n * 2, dtype=np.float64).reshape(n, 2), np.arange(n) % 3


def test_constructor_arguments_and_num_batches():
    x, y = _data()
    ds = Slices(x, y, batch_size=4, workers=4, use_multiprocessing=False, max_queue_size=3)
    assert (ds.workers, ds.use_multiprocessing, ds.max_queue_size) == (4, False, 3)
    assert ds.num_batches == 3
    assert [len(bx) for bx, _ in ds] == [4, 4, 2]
    assert is_py_dataset(ds) and not is_py_dataset(x)


def test_missing_super_init_warns_and_uses_defaults():
    class NoSuper(PyDataset):
        def __init__(self):
            self.n = 1

        def __len__(self):
            return 1

    ds = NoSuper()
    with pytest.warns(UserWarning, match="super\\(\\).__init__"):
        assert ds.workers == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ds.max_queue_size == 10  # warned once, defaults now set


def test_getitem_and_len_must_be_implemented():
    with pytest.raises(NotImplementedError, match="__getitem__"):
        PyDataset()[0]
    with pytest.raises(ValueError, match="__len__"):
        PyDatasetBatches(PyDataset())


def test_epoch_visits_every_batch_in_order_between_the_epoch_hooks():
    x, y = _data()
    ds = Slices(x, y, batch_size=4)
    batches = list(PyDatasetBatches(ds))
    assert ds.events == ["begin", "get0", "get1", "get2", "end"]
    xs, ys, sw = batches[2]
    np.testing.assert_array_equal(xs[0], x[8:].astype(np.float32))
    assert xs[0].dtype == np.float32 and ys[0].dtype.kind == "i" and sw is None


def test_shuffle_permutes_the_batches_not_their_samples():
    x, y = _data(40)
    ds = Slices(x, y, batch_size=5)
    set_random_seed(3)
    first = [int(xs[0][0, 0]) // 10 for xs, _, _ in PyDatasetBatches(ds, shuffle=True)]
    set_random_seed(3)
    again = [int(xs[0][0, 0]) // 10 for xs, _, _ in PyDatasetBatches(ds, shuffle=True)]
    assert sorted(first) == list(range(8)) and first != list(range(8)) and first == again
    for xs, _, _ in PyDatasetBatches(ds, shuffle=True):  # samples stay in order in a batch
        assert np.all(np.diff(xs[0][:, 0]) == 2)


def test_on_epoch_end_runs_when_the_loop_stops_early():
    x, y = _data()
    ds = Slices(x, y, batch_size=4)
    for _ in PyDatasetBatches(ds):
        break
    assert ds.events == ["begin", "get0", "end"]


@pytest.mark.parametrize("batch, expected", [
    (np.ones(3), (True, False, False)),
    ((np.ones(3),), (True, False, False)),
    ([np.ones(3), np.ones(3)], (True, True, False)),
    ((np.ones(3), np.ones(3), np.ones(3)), (True, True, True)),
    ({"a": np.ones(3)}, (True, False, False)),
])
def test_batch_forms(batch, expected):
    parts = unpack_batch(batch, 0)
    assert tuple(p is not None for p in parts) == expected


@pytest.mark.parametrize("bad", [(np.ones(3),) * 4, (), "text"])
def test_invalid_batch_names_the_index_and_the_forms(bad):
    with pytest.raises(ValueError, match=r"__getitem__\(5\).*\(x, y, sample_weight\)"):
        unpack_batch(bad, 5)


def test_class_weight_becomes_sample_weight_and_excludes_batch_weights():
    x, y = _data(6)
    batches = PyDatasetBatches(Slices(x, y, batch_size=3), class_weight={0: 1.0, 2: 3.0})
    weights = np.concatenate([sw for _, _, sw in batches])
    np.testing.assert_allclose(weights, np.where(y == 2, 3.0, 1.0))

    class Weighted(Slices):
        def __getitem__(self, idx):
            bx, by = super().__getitem__(idx)
            return bx, by, np.ones(len(bx))

    with pytest.raises(ValueError, match="class_weight` and `sample_weight"):
        list(PyDatasetBatches(Weighted(x, y, 3), class_weight={0: 2.0}))


def test_bad_batch_content_is_reported_with_its_index():
    class Broken(Slices):
        def __getitem__(self, idx):
            bx, by = super().__getitem__(idx)
            return (bx if idx == 0 else bx * np.nan), by

    x, y = _data()
    batches = iter(PyDatasetBatches(Broken(x, y, 4), what="validation_data"))
    next(batches)
    with pytest.raises(ValueError, match="validation_data batch 1 x"):
        next(batches)


def test_endless_or_empty_dataset_is_refused():
    class Endless(PyDataset):
        @property
        def num_batches(self):
            return None

    with pytest.raises(ValueError, match="endless"):
        PyDatasetBatches(Endless())
    with pytest.raises(TypeError, match="must be a PyDataset"):
        PyDatasetBatches(np.ones(3))


# --- the training loops on a PyDataset (the model.fit/evaluate/predict hookup is the
# lead's, in models/model.py; these call the loops the way fit will) ----------------

def _model(seed):
    import descend as keras
    from descend import layers

    set_random_seed(seed)
    inputs = keras.layers.Input(shape=(2,))
    outputs = layers.Dense(3, activation="softmax")(layers.Dense(4, activation="relu")(inputs))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def test_loops_on_batches_match_the_loops_on_the_same_arrays():
    from descend.callbacks import CallbackList
    from descend.models import training
    from descend.models.data_adapter import prepare_inputs, prepare_targets

    x, y = _data(22)
    x = x / 40.0
    xs, ys = prepare_inputs(x), prepare_targets(y)
    arrays_model, batches_model = _model(0), _model(0)
    arrays_model._prepare(xs, ys, training=True)
    history_a = training.fit_loop(
        arrays_model, xs, ys, None, batch_size=5, epochs=3, initial_epoch=0, shuffle=False,
        callbacks=None, verbose=0, validation=(xs, ys, None), validation_freq=1,
        validation_batch_size=None)
    ds, val_ds = Slices(x, y, batch_size=5), Slices(x, y, batch_size=5)
    batches = PyDatasetBatches(ds)
    first_x, first_y, _ = batches.first()
    batches_model._prepare(first_x, first_y, training=True)
    history_b = training.fit_loop(
        batches_model, None, None, None, batch_size=32, epochs=3, initial_epoch=0,
        shuffle=False, callbacks=None, verbose=0, validation=PyDatasetBatches(val_ds),
        validation_freq=1, validation_batch_size=None, batches=batches)
    assert ds.events[0] == "get0"  # first(): the batch that builds the model, no epoch hooks
    assert ds.events.count("begin") == 3 and ds.events.count("end") == 3
    assert val_ds.events.count("end") == 3
    for a, b in zip(arrays_model.get_weights(), batches_model.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert set(history_b.history) == set(history_a.history)
    for key, values in history_a.history.items():
        np.testing.assert_allclose(history_b.history[key], values, rtol=1e-5)
    logs = training.evaluate_loop(batches_model, None, None, None, batch_size=32,
                                  callbacks=CallbackList(None, model=batches_model),
                                  batches=PyDatasetBatches(Slices(x, y, 7)))
    np.testing.assert_allclose(logs["loss"], history_a.history["val_loss"][-1], rtol=1e-5)
    predicted = training.predict_loop(batches_model, None, batch_size=32, callbacks=None,
                                      batches=PyDatasetBatches(Slices(x, y, 7)))
    np.testing.assert_allclose(predicted[0], arrays_model.predict(x, verbose=0), rtol=1e-6)


def test_steps_per_epoch_limits_the_batches_and_still_ends_the_epoch():
    from descend.models import training

    x, y = _data(20)
    model = _model(1)
    ds = Slices(x / 40.0, y, batch_size=5)
    batches = PyDatasetBatches(ds)
    model._prepare(*batches.first()[:2], training=True)
    ds.events.clear()
    training.fit_loop(model, None, None, None, batch_size=32, epochs=2, initial_epoch=0,
                      shuffle=False, callbacks=None, verbose=0, validation=None,
                      validation_freq=1, validation_batch_size=None, steps_per_epoch=2,
                      batches=batches)
    assert ds.events == ["begin", "get0", "get1", "end"] * 2
