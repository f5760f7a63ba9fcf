"""Keras 3 files (``.keras``, ``.weights.h5``) in descend, without Keras installed.

The fixtures under ``tests/fixtures/keras/`` were written by Keras 3.15.1
(``make_fixtures.py``) with the outputs Keras predicted; only h5py is needed here.
The tests against a live Keras are in ``test_keras_files_keras.py``.
"""

from __future__ import annotations

import io
import json
import os
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import descend
import descend.layers as dl
from test_keras_files_zoo import RECIPES, build, flat, inputs_for, randomize, two_dense_class

h5py = pytest.importorskip("h5py", reason="Keras files need h5py: pip install '.[keras]'")

FIXTURES = Path(__file__).parent / "fixtures" / "keras"
FIXTURE_NAMES = ["conv_bn", "functional_concat", "sequential_dense", "subclassed"]


def _inputs(name):
    data = np.load(FIXTURES / f"{name}.npz")
    xs = [data[k] for k in sorted(data.files) if k.startswith("x")]
    return (xs if len(xs) > 1 else xs[0]), data["y"]


def _rewrite(src, dst, config=None, weights=None):
    """Copy a ``.keras`` file, replacing its config (a function of it) or its weights bytes."""
    with zipfile.ZipFile(src) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    if config is not None:
        members["config.json"] = json.dumps(config(json.loads(members["config.json"]))).encode()
    if weights is not None:
        members["model.weights.h5"] = weights
    with zipfile.ZipFile(dst, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return dst


# ------------------------------------------------------------------ files by Keras
@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_fixtures_written_by_keras_predict_what_keras_predicted(name) -> None:
    two_dense_class()  # the subclassed fixture's class, registered as fixtures>TwoDense
    model = descend.models.load_model(FIXTURES / f"{name}.keras")
    x, expected = _inputs(name)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, atol=1e-5, rtol=0)


def test_fixture_optimizer_state_is_restored() -> None:
    model = descend.models.load_model(FIXTURES / "sequential_dense.keras")
    assert type(model.optimizer).__name__ == "Adam" and model.optimizer.iterations == 4
    state = model.optimizer.get_state()
    assert np.abs(state["momentum/float32"]).max() > 0
    assert np.all(state["velocity/float32"] >= 0) and state["velocity/float32"].max() > 0
    sgd = descend.models.load_model(FIXTURES / "conv_bn.keras")
    assert sgd.optimizer.iterations == 2 and sgd.optimizer.momentum == 0.9
    assert np.abs(sgd.optimizer.get_state()["momentum/float32"]).max() > 0
    fresh = descend.models.load_model(FIXTURES / "conv_bn.keras", compile=False)
    assert fresh.optimizer is None


def test_load_weights_from_a_keras_file_into_a_model_built_in_code() -> None:
    model = descend.Sequential([dl.Input((5,)), dl.Dense(8, activation="relu"), dl.Dropout(0.2),
                                dl.Dense(3, activation="softmax")])
    model.load_weights(FIXTURES / "sequential_dense.keras")
    x, expected = _inputs("sequential_dense")
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, atol=1e-5, rtol=0)


# ------------------------------------------------------------- descend round trips
@pytest.mark.parametrize("name", sorted(RECIPES))
def test_round_trip_every_layer_type(tmp_path, name) -> None:
    model = build(name, dl, descend)
    randomize(model)
    model.compile(optimizer="adam", loss="mse")
    x = inputs_for(model)
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        assert archive.namelist() == ["metadata.json", "config.json", "model.weights.h5"]
        metadata = json.loads(archive.read("metadata.json"))
        config = json.loads(archive.read("config.json"))
    assert metadata["keras_version"] == "3.15.1"
    assert config["module"] in ("keras", "keras.src.models.functional")
    assert {layer["module"] for layer in config["config"]["layers"]} == {"keras.layers"}
    loaded = descend.models.load_model(tmp_path / "m.keras")
    expected = flat(model.predict(x, verbose=0))
    assert np.array_equal(flat(loaded.predict(x, verbose=0)), expected)
    model.save_weights(tmp_path / "w.weights.h5")
    twin = build(name, dl, descend)
    twin.load_weights(tmp_path / "w.weights.h5")
    assert np.array_equal(flat(twin.predict(x, verbose=0)), expected)


def test_h5_layout_is_keras_layout(tmp_path) -> None:
    model = build("conv2d", dl, descend)
    model.compile(optimizer="sgd", loss="mse")
    model.save_weights(tmp_path / "w.weights.h5")
    with h5py.File(tmp_path / "w.weights.h5", "r") as h5:
        names = []
        h5.visit(names.append)
        assert h5["layers/batch_normalization/vars"].attrs["name"] == "batch_normalization"
        assert h5["layers/conv2d/vars/0"].shape == (3, 2, 2, 4)
        assert h5["layers/batch_normalization/vars/3"].shape == (4,)  # moving variance
        assert "vars" in names and "layers/zero_padding2d/vars" in names
        assert [h5[f"optimizer/vars/{i}"].shape for i in range(2)] == [(), ()]  # iterations, lr


def test_training_resumes_from_a_keras_file_as_if_uninterrupted(tmp_path) -> None:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 6)).astype("float32"), rng.normal(size=(16, 3)).astype("float32")
    for optimizer in ["adam", "rmsprop", "nadam", "adadelta", "sgd"]:
        model = build("dense", dl, descend)
        model.layers[1].rate = 0.0
        model.compile(optimizer=optimizer, loss="mse")
        model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
        model.save(tmp_path / "m.keras")
        resumed = descend.models.load_model(tmp_path / "m.keras")
        assert resumed.optimizer.iterations == 4
        model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
        resumed.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
        for a, b in zip(model.get_weights(), resumed.get_weights(), strict=True):
            assert np.array_equal(a, b), optimizer


def test_registered_subclassed_model_round_trip(tmp_path) -> None:
    model = two_dense_class()(units=3)
    x = np.ones((2, 5), dtype="float32")
    model(x)
    model.save(tmp_path / "s.keras")
    with h5py.File(io.BytesIO(zipfile.ZipFile(tmp_path / "s.keras").read("model.weights.h5"))
                   ) as h5:
        assert h5["hidden/vars/0"].shape == (5, 3)  # Keras names them by attribute
    loaded = descend.models.load_model(tmp_path / "s.keras")
    assert loaded.units == 3
    assert np.array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_model_checkpoint_writes_keras_formats(tmp_path) -> None:
    model = build("dense", dl, descend)
    model.compile(optimizer="adam", loss="mse")
    x, y = np.ones((4, 6), dtype="float32"), np.ones((4, 3), dtype="float32")
    callbacks = [descend.callbacks.ModelCheckpoint(str(tmp_path / "m.keras")),
                 descend.callbacks.ModelCheckpoint(str(tmp_path / "w.weights.h5"),
                                                   save_weights_only=True)]
    model.fit(x, y, epochs=1, verbose=0, callbacks=callbacks)
    assert np.array_equal(descend.models.load_model(tmp_path / "m.keras").predict(x, verbose=0),
                          model.predict(x, verbose=0))
    twin = build("dense", dl, descend)
    twin.load_weights(tmp_path / "w.weights.h5")
    assert np.array_equal(twin.predict(x, verbose=0), model.predict(x, verbose=0))


def test_writes_are_atomic_and_respect_overwrite(tmp_path) -> None:
    model = build("dense", dl, descend)
    path = tmp_path / "m.keras"
    model.save(path)
    before = path.read_bytes()
    with pytest.raises(FileExistsError):
        build("dense", dl, descend).save(path, overwrite=False)
    with pytest.raises(FileExistsError):
        model.save_weights(tmp_path / "m.keras.weights.h5") or model.save_weights(
            tmp_path / "m.keras.weights.h5", overwrite=False)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["m.keras", "m.keras.weights.h5"]


# ------------------------------------------------------------------------- refusals
def _set_class(config, index, class_name, **extra):
    config["config"]["layers"][index]["class_name"] = class_name
    config["config"]["layers"][index]["config"].update(extra)
    return config


def test_lambda_and_missing_layer_classes_are_refused(tmp_path) -> None:
    src = FIXTURES / "sequential_dense.keras"
    lam = _rewrite(src, tmp_path / "lambda.keras",
                   config=lambda c: _set_class(c, 2, "Lambda", function={
                       "class_name": "__lambda__", "config": {"code": "AAAA"}}))
    with pytest.raises(ValueError, match="safe_mode|code"):
        descend.models.load_model(lam)
    with pytest.raises(ValueError, match="code|Lambda"):
        descend.models.load_model(lam, safe_mode=False)
    missing = _rewrite(src, tmp_path / "missing.keras",
                       config=lambda c: _set_class(_set_class(c, 1, "Solarization"), 2,
                                                   "RandAugment"))
    with pytest.raises(ValueError,
                       match=r"\['RandAugment', 'Solarization'\].*descend does not have them"):
        descend.models.load_model(missing)


def test_keras_features_descend_lacks_are_refused_by_name(tmp_path) -> None:
    def quantize(config):
        config["config"]["layers"][1]["config"]["quantization_config"] = {"mode": "int8"}
        return config

    path = _rewrite(FIXTURES / "sequential_dense.keras", tmp_path / "q.keras", config=quantize)
    with pytest.raises(ValueError, match=r"Dense 'dense'.*quantization_config"):
        descend.models.load_model(path)


def test_damaged_files_raise_value_errors_naming_file_and_part(tmp_path) -> None:
    src = FIXTURES / "sequential_dense.keras"
    weights = zipfile.ZipFile(src).read("model.weights.h5")
    bad = _rewrite(src, tmp_path / "cut.keras", weights=weights[: len(weights) // 2])
    with pytest.raises(ValueError, match=r"cut\.keras: model\.weights\.h5"):
        descend.models.load_model(bad)
    (tmp_path / "junk.weights.h5").write_bytes(b"not hdf5 at all")
    with pytest.raises(ValueError, match=r"junk\.weights\.h5.*not a readable HDF5"):
        build("dense", dl, descend).load_weights(tmp_path / "junk.weights.h5")
    (tmp_path / "junk.keras").write_bytes(b"PK\x03\x04 nonsense")
    with pytest.raises(ValueError, match=r"junk\.keras.*not a zip"):
        descend.models.load_model(tmp_path / "junk.keras")
    no_weights = tmp_path / "noweights.keras"
    with zipfile.ZipFile(no_weights, "w") as archive:
        archive.writestr("config.json", zipfile.ZipFile(src).read("config.json"))
    with pytest.raises(ValueError, match="has no model.weights.h5"):
        descend.models.load_model(no_weights)


def test_hostile_hdf5_content_is_refused_before_anything_is_assigned(tmp_path) -> None:
    model = descend.Sequential([dl.Input((5,)), dl.Dense(8), dl.Dropout(0.2), dl.Dense(3)])
    model.save_weights(tmp_path / "w.weights.h5")
    before = [w.copy() for w in model.get_weights()]
    cases = {
        "link": lambda h5: h5.__setitem__("layers/dense/vars/9",
                                          h5py.ExternalLink("/etc/passwd", "/x")),
        "text": lambda h5: h5["layers/dense_1/vars"].create_dataset("2", data=np.array([b"x"])),
        "shape": lambda h5: (h5["layers/dense_1/vars"].__delitem__("0"),
                             h5["layers/dense_1/vars"].create_dataset("0", data=np.ones((8, 4)))),
        "extra": lambda h5: h5.create_dataset("layers/conv2d/vars/0", data=np.ones(3)),
    }
    for case, damage in cases.items():
        path = tmp_path / f"{case}.weights.h5"
        path.write_bytes((tmp_path / "w.weights.h5").read_bytes())
        with h5py.File(path, "a") as h5:
            damage(h5)
        with pytest.raises(ValueError, match=f"{case}.weights.h5"):
            model.load_weights(path)
        model.set_weights([np.zeros_like(w) for w in before])
        assert all(not w.any() for w in model.get_weights()), case  # nothing was assigned
        model.set_weights(before)


def test_without_h5py_the_message_says_how_to_install(tmp_path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "h5py", None)
    model = build("dense", dl, descend)
    for action in (lambda: model.save(tmp_path / "m.keras"),
                   lambda: model.save_weights(tmp_path / "w.weights.h5"),
                   lambda: descend.models.load_model(FIXTURES / "conv_bn.keras"),
                   lambda: model.load_weights(tmp_path / "w.weights.h5")):
        with pytest.raises(ImportError, match=r"pip install '\.\[keras\]'"):
            action()
    assert os.listdir(tmp_path) == []
    model.save(tmp_path / "m.descend")  # descend's own format needs nothing more
    assert descend.models.load_model(tmp_path / "m.descend").count_params() == \
        model.count_params()


def test_ops_between_layers_are_refused_both_ways(tmp_path) -> None:
    import descend.ops as dops

    inputs = dl.Input((4,))
    model = descend.Model(inputs, dops.add(dops.relu(dl.Dense(3)(inputs)), 1.0))
    with pytest.raises(ValueError, match=r"descend\.ops between its layers \(add, relu\)"):
        model.save(tmp_path / "ops.keras")
    assert os.listdir(tmp_path) == []

    def relu_op(config):  # what Keras writes for keras.ops.relu(x) in a functional model
        layer = config["config"]["layers"][2]
        layer.update(module="keras.src.ops.nn", class_name="Relu", registered_name="Relu",
                     config={"name": "relu"})
        return config

    path = _rewrite(FIXTURES / "sequential_dense.keras", tmp_path / "k.keras", config=relu_op)
    with pytest.raises(ValueError, match=r"Keras ops between its layers \(Relu\)"):
        descend.models.load_model(path)


def test_weights_larger_than_the_model_can_take_are_refused_before_reading(tmp_path) -> None:
    src = FIXTURES / "sequential_dense.keras"
    bomb = tmp_path / "bomb.keras"
    with zipfile.ZipFile(src) as archive, zipfile.ZipFile(bomb, "w") as out:
        for name in ("metadata.json", "config.json"):
            out.writestr(name, archive.read(name))
        out.writestr("model.weights.h5", b"\0" * (40 * 2**20), compress_type=zipfile.ZIP_DEFLATED)
    assert bomb.stat().st_size < 2**20
    with pytest.raises(ValueError, match=r"bomb\.keras.*model\.weights\.h5.*declares 41943040"):
        descend.models.load_model(bomb)
    model = descend.Sequential([dl.Input((5,)), dl.Dense(8), dl.Dropout(0.2), dl.Dense(3)])
    with pytest.raises(ValueError, match="this model's weights can take"):
        model.load_weights(bomb)
