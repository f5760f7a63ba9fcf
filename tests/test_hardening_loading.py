"""Loading hostile or damaged files: memory bounded by the model, and all or nothing.

A load compares every array header with the model before reading data, refuses
what does not fit with a ``ValueError`` naming the file and the entry, and
changes nothing unless everything fits.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
import tracemalloc
import zipfile

import numpy as np
import pytest

import descend
from descend.layers import Dense, Dropout, Input
from descend.models import load_model
from descend.saving import checkpoint
from descend.saving import format as fmt

BOMB_SHAPE = (2**26,)  # 256 MiB of float32 zeros deflate to about 256 KiB


def _model(seed: int = 0, dropout_seed: int | None = None) -> descend.Sequential:
    descend.random.seed(seed)
    layers = [Input((3,)), Dense(4, activation="relu")]
    if dropout_seed is not None:
        layers.append(Dropout(0.5, seed=dropout_seed))
    model = descend.Sequential([*layers, Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(seed).normal(size=(8, 3)).astype("float32")
    model.fit(x, np.ones((8, 2), "float32"), epochs=1, batch_size=4, verbose=0)
    return model


def _snapshot(model: descend.Model) -> tuple:
    return ([w.copy() for w in model.get_weights()], model.optimizer.get_state(),
            descend.random.get_state())


def _assert_unchanged(model: descend.Model, before: tuple) -> None:
    weights, state, random_state = before
    for got, want in zip(model.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(got, want)
    now = model.optimizer.get_state()
    assert sorted(now) == sorted(state)
    for key in state:
        np.testing.assert_array_equal(now[key], state[key])
    assert descend.random.get_state() == random_state


def _npz_arrays(path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as loaded:
        return {key: loaded[key] for key in loaded.files}


def _write_npz(path, arrays: dict, bombs: dict | None = None) -> None:
    """An .npz of ``arrays`` (stored) plus deflated members of zeros declaring ``bombs`` shapes."""
    with zipfile.ZipFile(path, "w", allowZip64=True) as archive:
        for key, value in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.asarray(value), allow_pickle=False)
            archive.writestr(key + ".npy", buffer.getvalue())
        for key, (shape, dtype) in (bombs or {}).items():
            dtype = np.dtype(dtype)
            info = zipfile.ZipInfo(key + ".npy")
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w", force_zip64=True) as member:
                np.lib.format.write_array_header_1_0(
                    member, {"descr": np.lib.format.dtype_to_descr(dtype),
                             "fortran_order": False, "shape": shape})
                zeros = bytes(2**22)
                left = int(np.prod(shape)) * dtype.itemsize
                while left:
                    member.write(zeros[:min(left, len(zeros))])
                    left -= min(left, len(zeros))


def _peak_bytes(call) -> int:
    tracemalloc.start()
    try:
        call()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


# ------------------------------------------------------------- 1. address space
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS and /proc: Linux")
def test_loading_needs_no_more_address_space_than_the_file(tmp_path) -> None:
    script = textwrap.dedent(f"""
        import os, resource, sys
        import numpy as np
        import descend
        from descend.callbacks import BackupAndRestore
        from descend.layers import Dense, Input
        from descend.saving import restore_checkpoint, save_checkpoint
        model = descend.Sequential([Input((3,)), Dense(2)])
        model.compile(optimizer="adam", loss="mse")
        x, y = np.ones((8, 3), "float32"), np.ones((8, 2), "float32")
        model.fit(x, y, epochs=1, verbose=0)
        tmp = {str(tmp_path)!r}
        model.save_weights(os.path.join(tmp, "m.weights.npz"))
        save_checkpoint(model, os.path.join(tmp, "c.weights.npz"), next_epoch=1)
        os.makedirs(os.path.join(tmp, "backup"))
        save_checkpoint(model, os.path.join(tmp, "backup", "latest.weights.npz"), next_epoch=1)
        status = open("/proc/self/status").read()
        size = int(status.split("VmSize:")[1].split()[0]) * 1024
        resource.setrlimit(resource.RLIMIT_AS, (size + 2**30, resource.RLIM_INFINITY))
        model.load_weights(os.path.join(tmp, "m.weights.npz"))
        assert restore_checkpoint(model, os.path.join(tmp, "c.weights.npz")) == 1
        history = model.fit(x, y, epochs=3, verbose=0,
                            callbacks=[BackupAndRestore(os.path.join(tmp, "backup"))])
        assert len(history.history["loss"]) == 2, history.history
        print("ok")
    """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path),
           "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok")


# ------------------------------------------------------------- 2. memory bombs
def test_deflated_weights_bomb_is_refused_before_unpacking(tmp_path) -> None:
    model = _model()
    good = tmp_path / "good.weights.npz"
    model.save_weights(good)
    arrays = _npz_arrays(good)
    del arrays["layers/dense/vars/0"]
    bomb = tmp_path / "bomb.weights.npz"
    _write_npz(bomb, arrays, {"layers/dense/vars/0": (BOMB_SHAPE, "float32")})
    assert bomb.stat().st_size < 2**21
    before = _snapshot(model)
    errors: list[str] = []

    def load() -> None:
        with pytest.raises(ValueError) as info:
            model.load_weights(bomb)
        errors.append(str(info.value))

    assert _peak_bytes(load) < 2**24  # the file declares 256 MiB
    assert "bomb.weights.npz" in errors[0] and str(BOMB_SHAPE) in errors[0]
    _assert_unchanged(model, before)


@pytest.mark.parametrize("key", ["layers/dense_9/vars/0", "optimizer/m/float32", "vars/0"])
def test_bombs_under_other_keys_are_never_unpacked(tmp_path, key: str) -> None:
    model = _model()
    good = tmp_path / "good.weights.npz"
    model.save_weights(good)
    bomb = tmp_path / "bomb.weights.npz"
    _write_npz(bomb, _npz_arrays(good), {key: (BOMB_SHAPE, "float32")})
    before = _snapshot(model)

    def load() -> None:
        if key.startswith("optimizer/"):  # another optimizer's state: weights only, warned
            with pytest.warns(UserWarning, match="keeps its own state"):
                model.load_weights(bomb)
        else:
            with pytest.raises(ValueError, match="bomb.weights.npz"):
                model.load_weights(bomb)

    assert _peak_bytes(load) < 2**24
    _assert_unchanged(model, before)


def test_npy_header_length_bomb_is_refused_before_reading_the_header(tmp_path) -> None:
    bomb = tmp_path / "header.weights.npz"
    with zipfile.ZipFile(bomb, "w", allowZip64=True) as archive:
        info = zipfile.ZipInfo("layers/dense/vars/0.npy")
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as member:
            member.write(b"\x93NUMPY\x02\x00" + (2**32 - 1).to_bytes(4, "little"))
            for _ in range(64):  # 256 MiB of "header"
                member.write(bytes(2**22))
    model = _model()
    before = _snapshot(model)

    def load() -> None:
        with pytest.raises(ValueError, match="header.weights.npz.*invalid .npy header"):
            model.load_weights(bomb)

    assert _peak_bytes(load) < 2**24
    _assert_unchanged(model, before)


def test_training_state_bomb_is_refused(tmp_path) -> None:
    model = _model()
    path = tmp_path / "ckpt.weights.npz"
    checkpoint.save_checkpoint(model, path, next_epoch=1)
    arrays = _npz_arrays(path)
    del arrays["training_state"]
    bomb = tmp_path / "bomb.weights.npz"
    _write_npz(bomb, arrays, {"training_state": ((), "U16777216")})  # one 64 MiB text
    before = _snapshot(model)
    peak = _peak_bytes(lambda: pytest.raises(ValueError, checkpoint.restore_checkpoint,
                                             model, bomb))
    assert peak < 2**24
    _assert_unchanged(model, before)


def test_reading_without_a_model_is_bounded_by_the_file_size(tmp_path) -> None:
    model = _model()
    path = tmp_path / "ckpt.weights.npz"
    checkpoint.save_checkpoint(model, path, next_epoch=1)
    bomb = tmp_path / "bomb.weights.npz"
    _write_npz(bomb, _npz_arrays(path), {"layers/dense/vars/9": (BOMB_SHAPE, "float32")})
    peak = _peak_bytes(lambda: pytest.raises(ValueError, checkpoint.read_checkpoint, bomb))
    assert peak < 2**24
    with pytest.raises(ValueError, match="zip bomb"):
        checkpoint.read_checkpoint(bomb)


def test_deflated_inner_member_of_a_model_file_is_checked_before_unpacking(tmp_path) -> None:
    model = _model()
    path = tmp_path / "good.descend"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    arrays = dict(np.load(io.BytesIO(members["model.weights.npz"]), allow_pickle=False))
    del arrays["layers/dense/vars/0"]
    inner = tmp_path / "inner.npz"
    _write_npz(inner, arrays, {"layers/dense/vars/0": (BOMB_SHAPE, "float32")})
    members["model.weights.npz"] = inner.read_bytes()
    bomb = tmp_path / "bomb.descend"
    with zipfile.ZipFile(bomb, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    assert bomb.stat().st_size < 2**21

    def load() -> None:
        with pytest.raises(ValueError, match="bomb.descend"):
            load_model(bomb)
        with pytest.raises(ValueError, match="bomb.descend"):
            model.load_weights(bomb)

    before = _snapshot(model)
    assert _peak_bytes(load) < 2**24
    _assert_unchanged(model, before)


def test_deflated_arrays_that_fit_the_model_still_load(tmp_path) -> None:
    model = _model()
    good = tmp_path / "good.weights.npz"
    model.save_weights(good)
    compressed = tmp_path / "compressed.weights.npz"
    np.savez_compressed(compressed, **_npz_arrays(good))
    other = _model(seed=5)
    other.load_weights(compressed)
    for got, want in zip(other.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)
    assert other.optimizer.iterations == model.optimizer.iterations


def test_config_inflating_to_millions_of_values_is_refused_before_parsing(tmp_path) -> None:
    model = _model()
    path = tmp_path / "good.descend"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    config = b"[" + b"{}," * (3 * 2**20) + b"{}]"  # 9 MiB: 3 million dictionaries
    bomb = tmp_path / "config.descend"
    with zipfile.ZipFile(bomb, "w") as archive:
        for name, content in {**members, "config.json": config}.items():
            method = zipfile.ZIP_DEFLATED if name.endswith(".json") else zipfile.ZIP_STORED
            archive.writestr(name, content, compress_type=method)
    assert bomb.stat().st_size < 2**17
    errors: list[str] = []

    def load() -> None:
        with pytest.raises(ValueError) as info:
            load_model(bomb)
        errors.append(str(info.value))

    assert _peak_bytes(load) < 3 * len(config)  # parsing would take ~25 times the text
    assert "config.descend" in errors[0] and "JSON values" in errors[0]


# ------------------------------------------------------------- 3. all or nothing
def _altered_weights_file(tmp_path, source: descend.Model, **changes) -> object:
    good = tmp_path / "good.weights.npz"
    source.save_weights(good)
    arrays = {**_npz_arrays(good), **changes}
    path = tmp_path / "altered.weights.npz"
    _write_npz(path, {k: v for k, v in arrays.items() if v is not None})
    return path


@pytest.mark.parametrize("key, value", [
    ("optimizer/iterations", np.array(np.inf)),
    ("optimizer/iterations", np.array(2.5)),
    ("optimizer/iterations", np.array(-4)),
    ("optimizer/iterations", np.array(2.0**80)),
    ("optimizer/iterations", np.array([3, 4])),
    ("optimizer/learning_rate", np.array(np.nan)),
    ("optimizer/momentum/float32", np.full(26, "x")),
    ("optimizer/velocity/float32", np.zeros(26, np.complex64)),
])
def test_a_damaged_optimizer_entry_changes_nothing(tmp_path, key: str, value) -> None:
    path = _altered_weights_file(tmp_path, _model(seed=1), **{key: value})
    model = _model(seed=2)
    before = _snapshot(model)
    with pytest.raises(ValueError) as info:
        model.load_weights(path)
    message = str(info.value)
    assert "altered.weights.npz" in message and key.split("/", 1)[1] in message
    _assert_unchanged(model, before)


def test_another_optimizers_state_loads_the_weights_only_and_keeps_the_optimizer(
        tmp_path) -> None:
    source = _model(seed=1)
    path = _altered_weights_file(tmp_path, source, **{
        "optimizer/momentum/float32": np.ones(7, "float32")})
    model = _model(seed=2)
    _, state, _ = _snapshot(model)
    with pytest.warns(UserWarning, match="keeps its own state"):
        model.load_weights(path)
    for got, want in zip(model.get_weights(), source.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)
    now = model.optimizer.get_state()
    for name in state:  # iterations and both moments untouched, not half-overwritten
        np.testing.assert_array_equal(now[name], state[name])


def _altered_checkpoint(tmp_path, source: descend.Model, change) -> object:
    path = tmp_path / "ckpt.weights.npz"
    checkpoint.save_checkpoint(source, path, next_epoch=3)
    arrays = _npz_arrays(path)
    state = json.loads(str(arrays["training_state"]))
    change(state)
    arrays["training_state"] = np.array(json.dumps(state))
    altered = tmp_path / "altered.weights.npz"
    _write_npz(altered, arrays)
    return altered


def _set_global_state(state: dict, value) -> None:
    state["random_state"]["state"]["state"] = value


@pytest.mark.parametrize("change, entry", [
    (lambda s: _set_global_state(s, 2**200), "random_state"),  # OverflowError in NumPy
    (lambda s: _set_global_state(s, "x"), "random_state"),
    (lambda s: s.update(random_state={"bit_generator": "MT19937"}), "random_state"),
    (lambda s: s.update(random_state=[1, 2]), "random_state"),
    (lambda s: s["layer_random_states"]["layers/dropout"]["state"].update(state=-(2**130)),
     "layers/dropout"),
    (lambda s: s.update(layer_random_states=[]), "layer_random_states"),
])
def test_a_damaged_random_state_changes_nothing(tmp_path, change, entry: str) -> None:
    path = _altered_checkpoint(tmp_path, _model(seed=1, dropout_seed=7), change)
    model = _model(seed=2, dropout_seed=8)
    dropout = model.layers[1]
    layer_state = dropout._generator.bit_generator.state
    before = _snapshot(model)
    with pytest.raises(ValueError) as info:
        checkpoint.restore_checkpoint(model, path)
    assert "altered.weights.npz" in str(info.value) and entry in str(info.value)
    _assert_unchanged(model, before)
    assert dropout._generator.bit_generator.state == layer_state


def test_a_good_checkpoint_restores_everything(tmp_path) -> None:
    source = _model(seed=1, dropout_seed=7)
    path = _altered_checkpoint(tmp_path, source, lambda s: None)
    expected = checkpoint.training_state(source, 3)
    model = _model(seed=2, dropout_seed=8)
    assert checkpoint.restore_checkpoint(model, path) == 3
    for got, want in zip(model.get_weights(), source.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)
    assert descend.random.get_state() == expected["random_state"]
    assert model.layers[1]._generator.bit_generator.state == \
        expected["layer_random_states"]["layers/dropout"]


# ------------------------------------------------------------- 4. zip headers
def _too_new(data: bytes) -> bytes:
    """Set every central directory entry's "version needed to extract" to 9.9."""
    data = bytearray(data)
    start = 0
    while (start := data.find(b"PK\x01\x02", start)) != -1:
        data[start + 6:start + 8] = (99).to_bytes(2, "little")
        start += 4
    return bytes(data)


def test_unsupported_zip_versions_are_value_errors_naming_the_file(tmp_path) -> None:
    model = _model()
    weights = tmp_path / "m.weights.npz"
    model.save_weights(weights)
    weights.write_bytes(_too_new(weights.read_bytes()))
    with pytest.raises(ValueError, match="m.weights.npz"):
        model.load_weights(weights)
    ckpt = tmp_path / "c.weights.npz"
    checkpoint.save_checkpoint(model, ckpt, next_epoch=1)
    ckpt.write_bytes(_too_new(ckpt.read_bytes()))
    with pytest.raises(ValueError, match="c.weights.npz"):
        checkpoint.restore_checkpoint(model, ckpt)
    whole = tmp_path / "m.descend"
    model.save(whole)
    whole.write_bytes(_too_new(whole.read_bytes()))
    with pytest.raises(ValueError, match="m.descend"):
        load_model(whole)
    with pytest.raises(ValueError, match="m.descend"):
        model.load_weights(whole)
    # the same inside a model file: its stored weights archive declares a too-new version
    model.save(whole)
    with zipfile.ZipFile(whole) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members[fmt.WEIGHTS] = _too_new(members[fmt.WEIGHTS])
    inner = tmp_path / "inner.descend"
    with zipfile.ZipFile(inner, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    with pytest.raises(ValueError, match="inner.descend"):
        load_model(inner)
