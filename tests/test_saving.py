"""Saving and loading: the .descend format, round trips, weights, custom objects, atomicity."""

from __future__ import annotations

import json
import os
import zipfile

import numpy as np
import pytest

import descend
from descend import saving
from descend.layers import BatchNormalization, Dense, Dropout, Input, Layer
from descend.models import load_model, model_from_json
from descend.saving import format as fmt
from descend.utils import set_random_seed


def make_model(compile: bool = True, dropout: float = 0.0) -> descend.Sequential:
    layers = [Input((5,)), Dense(8, activation="relu")]
    if dropout:
        layers.append(Dropout(dropout))
    layers.append(Dense(3, activation="softmax"))
    model = descend.Sequential(layers)
    if compile:
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
    return model


def data(n: int = 48) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.standard_normal((n, 5)).astype("float32"), rng.integers(0, 3, n)


def same_weights(a: descend.Model, b: descend.Model) -> bool:
    wa, wb = a.get_weights(), b.get_weights()
    return len(wa) == len(wb) and all(np.array_equal(u, v) for u, v in zip(wa, wb, strict=True))


# ---------------------------------------------------------------------------- format
def test_save_writes_one_zip_with_the_documented_members(tmp_path) -> None:
    model = make_model()
    x, y = data()
    model.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / "model.descend"
    model.save(path)
    assert os.listdir(tmp_path) == ["model.descend"]
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == ["metadata.json", "config.json", "model.weights.npz",
                                      "optimizer.npz"]
        metadata = json.loads(archive.read("metadata.json"))
        config = json.loads(archive.read("config.json"))
    assert metadata["format"] == "descend" and metadata["format_version"] == fmt.FORMAT_VERSION
    assert metadata["descend_version"] == descend.__version__ and "@" in metadata["date_saved"]
    assert set(config) >= {"module", "class_name", "config", "build_config", "compile_config"}
    assert config["class_name"] == "Sequential"
    compile_config = config["compile_config"]
    assert compile_config["optimizer"]["class_name"] == "Adam"
    assert compile_config["loss"] == "sparse_categorical_crossentropy"
    assert compile_config["metrics"] == ["accuracy"]


def test_weight_keys_are_stable_paths_not_layer_names(tmp_path) -> None:
    for _ in range(3):  # bump the automatic names: dense_6, dense_7...
        make_model(compile=False)
    model = make_model()
    assert model.layers[0].name != "dense"
    path = tmp_path / "m.descend"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        weights = fmt.arrays_from_bytes(archive.read("model.weights.npz"), str(path))
        optimizer = fmt.arrays_from_bytes(archive.read("optimizer.npz"), str(path))
    assert sorted(weights) == ["layers/dense/vars/0", "layers/dense/vars/1",
                               "layers/dense_1/vars/0", "layers/dense_1/vars/1"]
    assert weights["layers/dense/vars/0"].shape == (5, 8)
    assert "iterations" in optimizer


def test_non_trainable_and_frozen_weights_keep_their_keys(tmp_path) -> None:
    model = descend.Sequential([Input((4,)), Dense(3), BatchNormalization(), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    rng = np.random.default_rng(1)
    model.fit(rng.standard_normal((16, 4)).astype("float32"),
              rng.standard_normal((16, 1)).astype("float32"), epochs=1, verbose=0)
    model.layers[0].trainable = False  # freezing must not reorder the saved variables
    model.save_weights(tmp_path / "w.weights.npz")
    arrays = np.load(tmp_path / "w.weights.npz", allow_pickle=False)
    bn = model.layers[1]
    assert np.array_equal(arrays["layers/batch_normalization/vars/2"], bn.moving_mean.numpy())
    clone = descend.Sequential([Input((4,)), Dense(3), BatchNormalization(), Dense(1)])
    clone.load_weights(tmp_path / "w.weights.npz")
    assert np.array_equal(clone.layers[1].moving_variance.numpy(), bn.moving_variance.numpy())
    assert np.array_equal(clone.layers[0].kernel.numpy(), model.layers[0].kernel.numpy())


@pytest.mark.parametrize(("name", "words"), [
    ("model.h5", [".descend"]),
    ("model", [".descend"]),
    ("model.weights.npz", ["save_weights"]),
])
def test_save_rejects_other_extensions_with_the_fix(tmp_path, name, words) -> None:
    with pytest.raises(ValueError) as info:
        make_model().save(tmp_path / name)
    assert all(w in str(info.value) for w in words)
    assert os.listdir(tmp_path) == []


def test_overwrite_false_raises_instead_of_prompting(tmp_path) -> None:
    path = tmp_path / "m.descend"
    make_model().save(path)
    before = path.read_bytes()
    with pytest.raises(FileExistsError, match="overwrite=True"):
        make_model().save(path, overwrite=False)
    assert path.read_bytes() == before
    make_model().save(tmp_path / "other.descend", overwrite=False)  # a new file is fine


def test_a_crash_mid_save_leaves_the_previous_file_intact_and_no_temp_file(tmp_path,
                                                                          monkeypatch) -> None:
    x, _ = data()
    original = make_model()
    path = tmp_path / "m.descend"
    original.save(path)
    before = path.read_bytes()

    def crash(fileobj, members):
        fileobj.write(b"PK\x03\x04 half an archive")
        raise RuntimeError("simulated crash mid-write")

    monkeypatch.setattr(fmt, "write_archive", crash)
    with pytest.raises(RuntimeError, match="simulated"):
        make_model().save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.descend"]
    loaded = load_model(path)
    assert np.array_equal(loaded.predict(x, verbose=0), original.predict(x, verbose=0))

    monkeypatch.setattr(np, "savez", lambda *a, **k: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError, match="disk full"):
        original.save_weights(tmp_path / "w.weights.npz")
    assert os.listdir(tmp_path) == ["m.descend"]


def test_saved_files_get_normal_permissions(tmp_path) -> None:
    path = tmp_path / "m.descend"
    make_model().save(path)
    mask = os.umask(0)
    os.umask(mask)
    assert (path.stat().st_mode & 0o777) == (0o666 & ~mask)


# ----------------------------------------------------------------------- round trips
def test_loaded_model_predicts_exactly_and_keeps_its_compile_settings(tmp_path) -> None:
    x, y = data()
    model = make_model(dropout=0.2)
    model.compile(optimizer=descend.optimizers.SGD(learning_rate=0.05, momentum=0.9),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, verbose=0)
    model.save(tmp_path / "m.descend")
    loaded = load_model(tmp_path / "m.descend")
    assert type(loaded) is descend.Sequential
    assert [type(layer) for layer in loaded.layers] == [type(layer) for layer in model.layers]
    assert np.array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert isinstance(loaded.optimizer, descend.optimizers.SGD)
    assert loaded.optimizer.momentum == 0.9 and loaded.optimizer.learning_rate == 0.05
    assert loaded.optimizer.iterations == model.optimizer.iterations
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)


def test_load_without_compile_gives_an_uncompiled_model(tmp_path) -> None:
    model = make_model()
    model.save(tmp_path / "m.descend")
    loaded = load_model(tmp_path / "m.descend", compile=False)
    assert not loaded.compiled and same_weights(loaded, model)


@pytest.mark.parametrize("shuffle", [False, True])
def test_fit_continued_on_a_loaded_model_is_bit_identical(tmp_path, shuffle) -> None:
    x, y = data()
    set_random_seed(3)
    straight = make_model(dropout=0.25)
    history = straight.fit(x, y, epochs=4, batch_size=8, shuffle=shuffle, verbose=0)

    set_random_seed(3)
    first = make_model(dropout=0.25)
    first.fit(x, y, epochs=2, batch_size=8, shuffle=shuffle, verbose=0)
    first.save(tmp_path / "half.descend")
    random_state = descend.random.get_state()
    del first
    descend.random.seed(999)  # anything may happen in between
    resumed = load_model(tmp_path / "half.descend")
    descend.random.set_state(random_state)
    rest = resumed.fit(x, y, epochs=4, initial_epoch=2, batch_size=8, shuffle=shuffle,
                       verbose=0)
    assert same_weights(resumed, straight)
    assert rest.history["loss"] == history.history["loss"][2:]
    assert resumed.optimizer.iterations == straight.optimizer.iterations


def test_checkpoint_helpers_resume_by_hand(tmp_path) -> None:
    x, y = data()
    set_random_seed(5)
    straight = make_model(dropout=0.3)
    straight.fit(x, y, epochs=3, batch_size=16, verbose=0)

    set_random_seed(5)
    first = make_model(dropout=0.3)
    first.fit(x, y, epochs=1, batch_size=16, verbose=0)
    saving.save_checkpoint(first, tmp_path / "ckpt.descend", next_epoch=1)
    set_random_seed(123)  # a new process would start from another state
    second = make_model(dropout=0.3)
    epoch = saving.restore_checkpoint(second, tmp_path / "ckpt.descend")
    assert epoch == 1
    second.fit(x, y, epochs=3, initial_epoch=epoch, batch_size=16, verbose=0)
    assert same_weights(second, straight)
    assert same_weights(load_model(tmp_path / "ckpt.descend"), first)  # also a model file


def test_load_model_does_not_disturb_the_global_random_state(tmp_path) -> None:
    make_model().save(tmp_path / "m.descend")
    descend.random.seed(11)
    expected = descend.random.generator().random()
    descend.random.seed(11)
    load_model(tmp_path / "m.descend")
    assert descend.random.generator().random() == expected


def test_json_and_config_round_trips() -> None:
    model = make_model(dropout=0.1)
    text = model.to_json()
    assert json.loads(text)["class_name"] == "Sequential"
    clone = model_from_json(text)
    assert [layer.get_config() | {"name": None} for layer in clone.layers] == \
        [layer.get_config() | {"name": None} for layer in model.layers]
    assert clone.compiled and not same_weights(clone, model)
    rebuilt = descend.Sequential.from_config(model.get_config())
    assert rebuilt.count_params() == model.count_params()
    assert saving.model_from_json(text, compile=False).compiled is False
    assert model.get_compile_config()["loss"] == "sparse_categorical_crossentropy"
    assert make_model(compile=False).get_compile_config() is None


def test_functional_model_saves_and_loads(tmp_path) -> None:
    inputs = Input((5,))
    hidden = Dense(6, activation="relu")(inputs)
    outputs = Dense(2)(hidden)
    model = descend.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="mse")
    x = data()[0]
    model.fit(x, np.ones((len(x), 2), "float32"), epochs=1, verbose=0)
    model.save(tmp_path / "f.descend")
    loaded = load_model(tmp_path / "f.descend")
    assert np.array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


# ------------------------------------------------------------------------ weights
def test_save_weights_needs_the_weights_npz_extension(tmp_path) -> None:
    with pytest.raises(ValueError, match=r"must end in `\.weights\.npz`.*weights\.h5"):
        make_model().save_weights(tmp_path / "w.h5")
    with pytest.raises(ValueError, match=r"\.weights\.npz"):
        make_model().save_weights(tmp_path / "w.npz")
    with pytest.raises(ValueError, match=r"\.weights\.npz.*\.descend"):
        make_model().load_weights(tmp_path / "w.h5")


def test_weights_file_holds_optimizer_state_and_loads_from_both_formats(tmp_path) -> None:
    x, y = data()
    model = make_model()
    model.fit(x, y, epochs=1, verbose=0)
    model.save_weights(tmp_path / "w.weights.npz")
    model.save(tmp_path / "m.descend")
    keys = set(np.load(tmp_path / "w.weights.npz", allow_pickle=False).files)
    assert "optimizer/iterations" in keys and "layers/dense_1/vars/1" in keys
    for path in ("w.weights.npz", "m.descend"):
        other = make_model()
        other.load_weights(tmp_path / path)
        assert same_weights(other, model)
        assert other.optimizer.iterations == model.optimizer.iterations
    uncompiled = make_model(compile=False)
    uncompiled.load_weights(tmp_path / "w.weights.npz")
    assert same_weights(uncompiled, model)


def test_shape_mismatch_names_layer_weight_and_both_shapes(tmp_path) -> None:
    make_model().save_weights(tmp_path / "w.weights.npz")
    wider = descend.Sequential([Input((5,)), Dense(9), Dense(3)])
    with pytest.raises(ValueError) as info:
        wider.load_weights(tmp_path / "w.weights.npz")
    text = str(info.value)
    assert "w.weights.npz" in text and wider.layers[0].name in text and "kernel" in text
    assert "(5, 9)" in text and "(5, 8)" in text
    saved = np.load(tmp_path / "w.weights.npz", allow_pickle=False)
    other_head = descend.Sequential([Input((5,)), Dense(8), Dense(4)])
    before = other_head.get_weights()
    with pytest.warns(UserWarning, match="Skipping"):
        other_head.load_weights(tmp_path / "w.weights.npz", skip_mismatch=True)
    assert np.array_equal(other_head.get_weights()[0], saved["layers/dense/vars/0"])  # loaded
    assert np.array_equal(other_head.get_weights()[2], before[2])  # mismatched layer skipped


def test_count_mismatch_and_structure_mismatch_are_explained(tmp_path) -> None:
    make_model().save_weights(tmp_path / "w.weights.npz")
    no_bias = descend.Sequential([Input((5,)), Dense(8, use_bias=False), Dense(3)])
    with pytest.raises(ValueError, match=r"expected 1 variables, but received 2 variables"):
        no_bias.load_weights(tmp_path / "w.weights.npz")
    deeper = descend.Sequential([Input((5,)), Dense(8), Dense(3), Dense(3)])
    with pytest.raises(ValueError, match="dense_2"):
        deeper.load_weights(tmp_path / "w.weights.npz")
    shallow = descend.Sequential([Input((5,)), Dense(8)])
    with pytest.raises(ValueError, match="not a layer of this model"):
        shallow.load_weights(tmp_path / "w.weights.npz")
    unbuilt = descend.Sequential([Dense(8), Dense(3)])
    with pytest.raises(ValueError, match="never built"):
        unbuilt.load_weights(tmp_path / "w.weights.npz")


# ------------------------------------------------------------------ custom objects
class Scale(Layer):
    """A custom layer: multiplies by a learned vector and a fixed factor."""

    def __init__(self, factor: float = 2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")

    def call(self, inputs, training=False):
        return inputs * self.scale * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def my_loss(y_true, y_pred):
    return ((y_pred - y_true) ** 2).mean(axis=-1)


def my_metric(y_true, y_pred):
    return abs(y_pred - y_true).mean(axis=-1)


def custom_model() -> descend.Sequential:
    model = descend.Sequential([Input((4,)), Scale(3.0), Dense(2)])
    model.compile(optimizer="adam", loss=my_loss, metrics=[my_metric])
    return model


def test_custom_layer_loss_and_metric_round_trip_through_custom_objects(tmp_path) -> None:
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((16, 4)).astype("float32"), rng.standard_normal((16, 2))
    model = custom_model()
    model.fit(x, y.astype("float32"), epochs=2, verbose=0)
    model.save(tmp_path / "c.descend")
    objects = {"Scale": Scale, "my_loss": my_loss, "my_metric": my_metric}
    loaded = load_model(tmp_path / "c.descend", custom_objects=objects)
    assert loaded.layers[0].factor == 3.0
    assert np.array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.evaluate(x, y, verbose=0, return_dict=True) == \
        model.evaluate(x, y, verbose=0, return_dict=True)
    clone = model_from_json(model.to_json(), custom_objects=objects)
    assert isinstance(clone.layers[0], Scale)


def test_missing_custom_objects_are_named(tmp_path) -> None:
    model = custom_model()
    model.save(tmp_path / "c.descend")
    with pytest.raises(ValueError, match=r"Scale.*custom_objects"):
        load_model(tmp_path / "c.descend")
    with pytest.raises(ValueError, match=r"my_loss.*custom_objects"):
        load_model(tmp_path / "c.descend", custom_objects={"Scale": Scale})
    with pytest.raises(ValueError, match=r"my_metric.*custom_objects"):
        load_model(tmp_path / "c.descend", custom_objects={"Scale": Scale, "my_loss": my_loss})
    loaded = load_model(tmp_path / "c.descend", custom_objects={"Scale": Scale}, compile=False)
    assert not loaded.compiled


def test_loss_and_metric_objects_are_serialised_with_their_config(tmp_path) -> None:
    model = make_model(compile=False)
    model.compile(optimizer=descend.optimizers.Adam(learning_rate=0.01),
                  loss=descend.losses.SparseCategoricalCrossentropy(from_logits=False),
                  metrics=[descend.metrics.SparseTopKCategoricalAccuracy(k=2)])
    model.save(tmp_path / "m.descend")
    loaded = load_model(tmp_path / "m.descend")
    assert loaded.optimizer.learning_rate == 0.01
    x, y = data()
    assert loaded.evaluate(x, y, verbose=0, return_dict=True) == \
        model.evaluate(x, y, verbose=0, return_dict=True)


def test_unserialisable_compile_arguments_warn_and_load_uncompiled(tmp_path) -> None:
    model = make_model(compile=False)
    model.compile(optimizer="sgd", loss=lambda y_true, y_pred: ((y_pred - y_true) ** 2).mean())
    with pytest.warns(UserWarning, match="loaded uncompiled"):
        model.save(tmp_path / "m.descend")
    loaded = load_model(tmp_path / "m.descend")
    assert not loaded.compiled and same_weights(loaded, model)


def test_unbuilt_and_uncompiled_models_round_trip(tmp_path) -> None:
    unbuilt = descend.Sequential([Dense(4), Dense(1)])
    unbuilt.save(tmp_path / "u.descend")
    with zipfile.ZipFile(tmp_path / "u.descend") as archive:
        assert "optimizer.npz" not in archive.namelist()
    loaded = load_model(tmp_path / "u.descend")
    assert not loaded.built and not loaded.compiled and len(loaded.layers) == 2


def test_load_weights_with_another_optimizer_loads_the_weights_and_warns(tmp_path) -> None:
    x, y = data()
    model = make_model()
    model.fit(x, y, epochs=1, verbose=0)
    model.save_weights(tmp_path / "w.weights.npz")
    other = make_model(compile=False)
    other.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    other.optimizer.build(other.trainable_weights)
    with pytest.warns(UserWarning, match="optimizer keeps its own state"):
        other.load_weights(tmp_path / "w.weights.npz")
    assert same_weights(other, model)
