"""Untrusted files: corrupt, truncated, foreign or malicious inputs are refused with clear errors.

Nothing here may crash the interpreter, run code from the file or write outside ``tmp_path``.
"""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest

import descend
from descend.layers import Dense, Input
from descend.models import load_model
from descend.saving import format as fmt


@pytest.fixture
def saved(tmp_path) -> tuple:
    model = descend.Sequential([Input((3,)), Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((4, 3), "float32"), np.ones((4, 2), "float32"), epochs=1, verbose=0)
    path = tmp_path / "good.descend"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    return path, members


def write_zip(path, members: dict, compress: int = zipfile.ZIP_STORED) -> None:
    with zipfile.ZipFile(path, "w", compression=compress) as archive:
        for name, content in members.items():
            archive.writestr(name, content)


def refused(path, match: str, **kwargs) -> str:
    with pytest.raises(ValueError, match=match) as info:
        load_model(path, **kwargs)
    assert str(path.name) in str(info.value)
    return str(info.value)


def npz_bytes(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def test_missing_file_and_reserved_extensions(tmp_path) -> None:
    refused(tmp_path / "absent.descend", "File not found")
    with pytest.raises(ValueError, match="Keras file format"):
        load_model(tmp_path / "model.keras")
    with pytest.raises(ValueError, match="load_weights"):
        load_model(tmp_path / "model.weights.npz")
    with pytest.raises(ValueError, match=r"\.descend"):
        load_model(tmp_path / "model.bin")


def test_text_file_and_foreign_zip(tmp_path) -> None:
    text = tmp_path / "notes.descend"
    text.write_text("just some text, not a model\n")
    refused(text, "not a zip archive")
    foreign = tmp_path / "photos.descend"
    write_zip(foreign, {"readme.txt": b"hello", "image.png": b"\x89PNG"})
    refused(foreign, "unexpected members")
    empty = tmp_path / "empty.descend"
    write_zip(empty, {})
    refused(empty, "no metadata.json")


def test_truncated_file(tmp_path, saved) -> None:
    path, _ = saved
    data = path.read_bytes()
    for cut in (10, len(data) // 2, len(data) - 5):
        broken = tmp_path / f"cut{cut}.descend"
        broken.write_bytes(data[:cut])
        refused(broken, "not a zip archive|truncated|corrupt")


def test_corrupt_bytes_are_caught_by_the_checksums(tmp_path, saved) -> None:
    path, members = saved
    data = bytearray(path.read_bytes())
    start = bytes(data).find(members["model.weights.npz"][-64:])
    data[start + 10] ^= 0xFF  # flip bits inside the weights
    broken = tmp_path / "flipped.descend"
    broken.write_bytes(bytes(data))
    refused(broken, "corrupt")


def test_metadata_problems(tmp_path, saved) -> None:
    _, members = saved
    cases = {
        "newer": json.dumps({"format": "descend", "format_version": 99}).encode(),
        "foreign": json.dumps({"keras_version": "3.0.0"}).encode(),
        "garbage": b"\xff\xfe not json",
    }
    for name, metadata in cases.items():
        path = tmp_path / f"{name}.descend"
        write_zip(path, {**members, "metadata.json": metadata})
        message = refused(path, "Upgrade descend|format='descend'|not valid JSON")
        assert name != "newer" or "format version 99" in message


def test_missing_members_and_bad_config_json(tmp_path, saved) -> None:
    _, members = saved
    no_config = tmp_path / "noconfig.descend"
    write_zip(no_config, {k: v for k, v in members.items() if k != "config.json"})
    refused(no_config, "no config.json")
    bad = tmp_path / "badjson.descend"
    write_zip(bad, {**members, "config.json": b"{not json"})
    refused(bad, "config.json is not valid JSON")
    deep = tmp_path / "deep.descend"
    write_zip(deep, {**members, "config.json": b"[" * 100_000 + b"]" * 100_000},
              zipfile.ZIP_DEFLATED)
    with pytest.raises(ValueError, match="deep.descend"):
        load_model(deep)
    not_a_model = tmp_path / "layer.descend"
    config = {"module": "descend.layers", "class_name": "Dense", "config": {"units": 2}}
    write_zip(not_a_model, {**members, "config.json": json.dumps(config).encode()})
    refused(not_a_model, "unknown model class 'Dense'|not a model")


def test_config_naming_os_system_is_refused_and_runs_nothing(tmp_path, saved) -> None:
    _, members = saved
    marker = tmp_path / "pwned"
    attack = {"module": "os", "class_name": "system", "registered_name": "os>system",
              "config": {"command": f"touch {marker}"}}
    path = tmp_path / "attack.descend"
    write_zip(path, {**members, "config.json": json.dumps(attack).encode()})
    message = refused(path, "unknown model class 'system'")
    assert "custom_objects" in message
    nested = json.loads(members["config.json"])
    nested["config"]["layers"][1] = attack
    path = tmp_path / "nested.descend"
    write_zip(path, {**members, "config.json": json.dumps(nested).encode()})
    refused(path, "system")
    assert not marker.exists()


def test_lambda_and_bytecode_configs_are_refused(tmp_path, saved) -> None:
    _, members = saved
    config = json.loads(members["config.json"])
    config["config"]["layers"].append({
        "module": "keras.layers", "class_name": "Lambda",
        "config": {"function": {"class_name": "__lambda__",
                                "config": {"code": "4wEAAAAAAAAA", "defaults": None}}}})
    path = tmp_path / "lambda.descend"
    write_zip(path, {**members, "config.json": json.dumps(config).encode()})
    refused(path, "serialized Python code")
    config["config"]["layers"][-1] = {"module": "keras.layers", "class_name": "Lambda",
                                      "config": {"function": "relu"}}
    write_zip(path, {**members, "config.json": json.dumps(config).encode()})
    refused(path, "safe_mode=True")
    # descend's own Lambda loads with safe_mode=False when its function is a named one
    loaded = load_model(path, safe_mode=False)
    assert type(loaded.layers[-1]).__name__ == "Lambda"
    config["config"]["layers"][-1]["class_name"] = "TFOpLambda"
    write_zip(path, {**members, "config.json": json.dumps(config).encode()})
    refused(path, "safe_mode=True", safe_mode=False)  # other Lambda-likes need the user's class
    config["config"]["layers"][-1]["config"] = {"function": ["4wEAAAAA", None, None],
                                                "function_type": "lambda"}  # Keras 2 style
    write_zip(path, {**members, "config.json": json.dumps(config).encode()})
    refused(path, "serialized Python code", safe_mode=False, custom_objects={"Lambda": Dense})


def test_pickled_arrays_are_never_loaded(tmp_path, saved) -> None:
    _, members = saved
    evil = npz_bytes(**{"layers/dense/vars/0": np.array([{"x": 1}, None], dtype=object)})
    path = tmp_path / "pickled.descend"
    write_zip(path, {**members, "model.weights.npz": evil})
    refused(path, "pickle")
    weights = tmp_path / "pickled.weights.npz"
    weights.write_bytes(evil)
    model = descend.Sequential([Input((3,)), Dense(2)])
    with pytest.raises(ValueError, match="pickled.weights.npz.*pickle"):
        model.load_weights(weights)


def test_inconsistent_npy_header_is_refused(tmp_path, saved) -> None:
    _, members = saved
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": (1000, 1000)})
    fake = io.BytesIO()
    write_zip(fake, {"layers/dense/vars/0.npy": header.getvalue() + b"\x00" * 16})
    path = tmp_path / "header.descend"
    write_zip(path, {**members, "model.weights.npz": fake.getvalue()})
    refused(path, "truncated or inconsistent")
    text = tmp_path / "text.weights.npz"
    text.write_text("hello")
    with pytest.raises(ValueError, match="text.weights.npz.*not a NumPy .npz"):
        descend.Sequential([Input((3,)), Dense(2)]).load_weights(text)


def test_path_traversal_member_names_are_refused(tmp_path, saved) -> None:
    _, members = saved
    for name in ("../escape.json", "/etc/passwd", "a/../../b", "C:\\windows"):
        path = tmp_path / "traversal.descend"
        write_zip(path, {**members, name: b"{}"})
        refused(path, "unsafe member name")
    inner = io.BytesIO()
    write_zip(inner, {"../../x.npy": npz_bytes()})
    path = tmp_path / "inner.descend"
    write_zip(path, {**members, "model.weights.npz": inner.getvalue()})
    refused(path, "unsafe member name")
    assert not (tmp_path.parent / "escape.json").exists()


def test_zip_bombs_are_refused_before_decompression(tmp_path, saved, monkeypatch) -> None:
    _, members = saved
    bomb = tmp_path / "bomb.descend"
    big = b" " * (fmt.MAX_JSON_BYTES + 1)  # ~64 MiB of spaces deflate to ~64 KiB
    write_zip(bomb, {**members, "config.json": big}, zipfile.ZIP_DEFLATED)
    assert bomb.stat().st_size < 2**20
    refused(bomb, "zip bomb")
    compressed = tmp_path / "compressed.descend"
    write_zip(compressed, members, zipfile.ZIP_DEFLATED)
    refused(compressed, "compressed")
    monkeypatch.setattr(fmt, "MAX_ARRAY_BYTES", 2**20)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, big=np.zeros(2**19, dtype="float32"))  # 2 MiB -> a few KiB
    weights = tmp_path / "bomb.weights.npz"
    weights.write_bytes(buffer.getvalue())
    with pytest.raises(ValueError, match="bomb.weights.npz.*zip bomb"):
        descend.Sequential([Input((3,)), Dense(2)]).load_weights(weights)


def test_optimizer_state_that_does_not_fit_is_explained(tmp_path, saved) -> None:
    _, members = saved
    state = dict(np.load(io.BytesIO(members["optimizer.npz"]), allow_pickle=False))
    state["momentum/float32"] = np.zeros(3, dtype="float32")
    path = tmp_path / "optimizer.descend"
    write_zip(path, {**members, "optimizer.npz": npz_bytes(**state)})
    refused(path, "optimizer state")
    assert load_model(path, compile=False).count_params() == 8
