"""CIFAR-10/100 and housing loaders on small files in the original formats, made here.

Each test writes a tiny archive (pickled batches in a .tar.gz, as the authors publish CIFAR)
or .npz (as Keras publishes the housing data), points the loader's expected SHA-256 at it,
and checks shapes, dtypes, values, splits and refusals. No network is used.
"""

from __future__ import annotations

import hashlib
import io
import pickle
import tarfile
import urllib.error
from pathlib import Path

import numpy as np
import pytest

from descend import config
from descend.datasets import (
    _download,
    boston_housing,
    california_housing,
    cifar10,
    cifar100,
)
from descend.datasets._download import DataFile


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path_factory):
    def no_network(url, timeout):
        raise urllib.error.URLError("network disabled in tests")

    monkeypatch.setattr(_download, "_open_url", no_network)
    monkeypatch.setenv("HOME", str(tmp_path_factory.mktemp("home")))
    monkeypatch.delenv(_download.DATASETS_ENV, raising=False)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def add_member(archive: tarfile.TarFile, name: str, payload: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(payload)
    archive.addfile(info, io.BytesIO(payload))


def cifar_batch(n: int, rng: np.random.Generator, keys: dict[str, int]) -> tuple[bytes, dict]:
    data = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
    batch = {b"batch_label": b"test", b"data": data,
             b"filenames": [f"img_{i}.png".encode() for i in range(n)]}
    for key, classes in keys.items():
        batch[key.encode()] = [int(v) for v in rng.integers(0, classes, n)]
    return pickle.dumps(batch, protocol=2), batch


def make_cifar10(root: Path, monkeypatch, rng) -> list[dict]:
    folder = root / "cifar10"
    folder.mkdir(parents=True)
    path = folder / "cifar-10-python.tar.gz"
    batches = []
    with tarfile.open(path, "w:gz") as archive:
        for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
            payload, batch = cifar_batch(3, rng, {"labels": 10})
            batches.append(batch)
            add_member(archive, f"cifar-10-batches-py/{name}", payload)
    monkeypatch.setattr(cifar10, "FILE", DataFile(path.name, sha(path), path.stat().st_size))
    return batches


def test_cifar10_shapes_dtypes_and_pixel_layout(tmp_path, monkeypatch):
    batches = make_cifar10(tmp_path, monkeypatch, np.random.default_rng(0))
    (x_train, y_train), (x_test, y_test) = cifar10.load_data(path=tmp_path)
    assert x_train.shape == (15, 32, 32, 3) and x_train.dtype == np.uint8
    assert y_train.shape == (15, 1) and y_train.dtype == np.uint8
    assert x_test.shape == (3, 32, 32, 3) and y_test.shape == (3, 1)
    first = batches[0][b"data"][0]
    # row layout: 1024 red, 1024 green, 1024 blue values, each 32 x 32 row-major
    np.testing.assert_array_equal(x_train[0, :, :, 0], first[:1024].reshape(32, 32))
    np.testing.assert_array_equal(x_train[0, 5, 7], first[[5 * 32 + 7, 1024 + 5 * 32 + 7,
                                                           2048 + 5 * 32 + 7]])
    np.testing.assert_array_equal(y_train.ravel(), sum((b[b"labels"] for b in batches[:5]), []))
    np.testing.assert_array_equal(y_test.ravel(), batches[5][b"labels"])


def test_cifar10_channels_first_and_env_root(tmp_path, monkeypatch):
    make_cifar10(tmp_path, monkeypatch, np.random.default_rng(1))
    monkeypatch.setenv("DESCEND_DATASETS", str(tmp_path))
    (x_last, _), _ = cifar10.load_data()
    # descend's global layout is channels_last; the loader follows it when it says otherwise
    monkeypatch.setattr(config, "image_data_format", lambda: "channels_first")
    (x_train, _), _ = cifar10.load_data()
    assert x_train.shape == (15, 3, 32, 32)
    np.testing.assert_array_equal(x_train.transpose(0, 2, 3, 1), x_last)


def test_cifar100_label_modes(tmp_path, monkeypatch):
    rng = np.random.default_rng(2)
    folder = tmp_path / "cifar100"
    folder.mkdir()
    path = folder / "cifar-100-python.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        train, train_batch = cifar_batch(4, rng, {"fine_labels": 100, "coarse_labels": 20})
        test, _ = cifar_batch(2, rng, {"fine_labels": 100, "coarse_labels": 20})
        add_member(archive, "cifar-100-python/train", train)
        add_member(archive, "cifar-100-python/test", test)
    monkeypatch.setattr(cifar100, "FILE", DataFile(path.name, sha(path), path.stat().st_size))
    (x_train, fine), (x_test, _) = cifar100.load_data(path=tmp_path)
    (_, coarse), _ = cifar100.load_data(label_mode="coarse", path=tmp_path)
    assert x_train.shape == (4, 32, 32, 3) and x_test.shape == (2, 32, 32, 3)
    np.testing.assert_array_equal(fine.ravel(), train_batch[b"fine_labels"])
    np.testing.assert_array_equal(coarse.ravel(), train_batch[b"coarse_labels"])
    with pytest.raises(ValueError, match="label_mode"):
        cifar100.load_data(label_mode="medium", path=tmp_path)


class Evil:
    def __reduce__(self):
        return (print, ("pwned",))


def test_cifar_pickle_cannot_run_code(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "cifar10"
    folder.mkdir()
    path = folder / "cifar-10-python.tar.gz"
    evil = pickle.dumps({b"data": np.zeros((1, 3072), np.uint8), b"labels": [Evil()]})
    with tarfile.open(path, "w:gz") as archive:
        for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
            add_member(archive, f"cifar-10-batches-py/{name}", evil)
    monkeypatch.setattr(cifar10, "FILE", DataFile(path.name, sha(path), path.stat().st_size))
    with pytest.raises(pickle.UnpicklingError, match="builtins.print"):
        cifar10.load_data(path=tmp_path)
    assert "pwned" not in capsys.readouterr().out


def test_cifar_checks_sha256_and_reports_missing_file(tmp_path, monkeypatch):
    make_cifar10(tmp_path, monkeypatch, np.random.default_rng(3))
    monkeypatch.setattr(cifar10, "FILE", DataFile("cifar-10-python.tar.gz", "0" * 64, 10))
    with pytest.raises(ValueError, match="SHA-256"):
        cifar10.load_data(path=tmp_path)
    with pytest.raises(FileNotFoundError, match="cifar100"):
        cifar100.load_data(path=tmp_path / "empty")
    # the real digests are Keras's
    assert cifar10.MIRRORS[0] + cifar10.FILE.name != ""
    assert cifar100.FILE.sha256.startswith("85cd44d02ba6")


def make_npz(folder: Path, name: str, x: np.ndarray, y: np.ndarray) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    np.savez(path, x=x, y=y)
    return path


def test_boston_housing_split_follows_keras(tmp_path, monkeypatch):
    rng = np.random.default_rng(4)
    x, y = rng.random((50, 13)), rng.random(50) * 50
    path = make_npz(tmp_path / "boston_housing", "boston_housing.npz", x, y)
    monkeypatch.setattr(boston_housing, "FILE", DataFile(path.name, sha(path), 10**6))
    monkeypatch.setenv("DESCEND_DATASETS", str(tmp_path))
    (x_train, y_train), (x_test, y_test) = boston_housing.load_data()
    order = np.arange(50)
    np.random.RandomState(113).shuffle(order)
    np.testing.assert_array_equal(x_train, x[order][:40])
    np.testing.assert_array_equal(y_test, y[order][40:])
    assert x_train.dtype == np.float64 and y_train.shape == (40,)
    (x2, _), (x3, _) = boston_housing.load_data(path=path, test_split=0.5, seed=1)
    assert len(x2) == 25 and len(x3) == 25
    with pytest.raises(ValueError, match="test_split"):
        boston_housing.load_data(test_split=1.0)


def test_california_housing_versions_and_bad_file(tmp_path, monkeypatch):
    rng = np.random.default_rng(5)
    x, y = rng.random((700, 8)).astype("float32"), rng.random(700).astype("float32")
    path = make_npz(tmp_path / "california_housing", "california_housing.npz", x, y)
    monkeypatch.setattr(california_housing, "FILE", DataFile(path.name, sha(path), 10**6))
    (x_train, y_train), (x_test, _) = california_housing.load_data(path=tmp_path)
    assert x_train.shape == (560, 8) and x_test.shape == (140, 8)
    assert x_train.dtype == np.float32 and y_train.shape == (560,)
    (small, _), (small_test, _) = california_housing.load_data("small", path=tmp_path)
    assert len(small) + len(small_test) == 600
    assert set(map(tuple, small)) <= set(map(tuple, x[:600]))
    with pytest.raises(ValueError, match="version"):
        california_housing.load_data("medium", path=tmp_path)
    other = make_npz(tmp_path / "elsewhere", "california_housing.npz", x[:5], y[:5])
    with pytest.raises(ValueError, match="SHA-256"):
        california_housing.load_data(path=other)
    with pytest.raises(FileNotFoundError, match="california_housing"):
        california_housing.load_data(path=tmp_path / "nothing" / "here.npz")
