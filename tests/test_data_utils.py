"""Data utilities: get_file (file:// and a local HTTP server on 127.0.0.1 only), safe
extraction, split_dataset, normalize, image files (Pillow), image_dataset_from_directory and
plot_model."""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import tarfile
import threading
import urllib.error
import zipfile
from pathlib import Path

import numpy as np
import pytest

import descend
from descend import layers, models, utils

PIL = pytest.importorskip("PIL", reason="Pillow is not installed (pip install descend[image])")


# ----------------------------------------------------------------- get_file
@pytest.fixture
def server(tmp_path):
    """Serve ``tmp_path / "www"`` on 127.0.0.1; yields (folder, base URL, request log)."""
    root = tmp_path / "www"
    root.mkdir()
    log: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            log.append(self.path)

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{httpd.server_address[1]}/", log
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_get_file_downloads_once_and_checks_sha256(server, tmp_path):
    root, base, log = server
    (root / "data.bin").write_bytes(b"payload")
    digest = hashlib.sha256(b"payload").hexdigest()
    cache = tmp_path / "cache"
    path = utils.get_file(origin=base + "data.bin", file_hash=digest, cache_dir=cache)
    assert Path(path) == cache / "datasets" / "data.bin"
    assert Path(path).read_bytes() == b"payload"
    again = utils.get_file("data.bin", base + "data.bin", file_hash=digest, cache_dir=cache)
    assert again == path and len(log) == 1  # served from the cache
    utils.get_file("data.bin", base + "data.bin", cache_dir=cache, force_download=True)
    assert len(log) == 2


def test_get_file_hash_mismatch_md5_and_stale_cache(server, tmp_path):
    root, base, _ = server
    (root / "a.txt").write_bytes(b"abc")
    with pytest.raises(ValueError, match="hash"):
        utils.get_file("a.txt", base + "a.txt", file_hash="0" * 64, cache_dir=tmp_path)
    assert not (tmp_path / "datasets" / "a.txt").exists()
    md5 = hashlib.md5(b"abc").hexdigest()
    path = utils.get_file("a.txt", base + "a.txt", md5_hash=md5, cache_dir=tmp_path)
    Path(path).write_bytes(b"corrupted")  # a stale cache entry is downloaded again
    utils.get_file("a.txt", base + "a.txt", file_hash=md5, cache_dir=tmp_path,
                   hash_algorithm="md5")
    assert Path(path).read_bytes() == b"abc"
    with pytest.raises(urllib.error.URLError, match="missing.bin"):
        utils.get_file("missing.bin", base + "missing.bin", cache_dir=tmp_path)
    assert not (tmp_path / "datasets" / "missing.bin").exists()


def test_get_file_file_url_subdir_and_bad_arguments(tmp_path):
    source = tmp_path / "src.txt"
    source.write_text("x")
    path = utils.get_file(origin=source.as_uri(), cache_dir=tmp_path, cache_subdir="mine")
    assert Path(path).parent == tmp_path / "mine"
    with pytest.raises(ValueError, match="origin"):
        utils.get_file("a.txt")
    with pytest.raises(ValueError, match="fname"):
        utils.get_file("sub/a.txt", source.as_uri(), cache_dir=tmp_path)
    with pytest.raises(ValueError, match="hash_algorithm"):
        utils.get_file(origin=source.as_uri(), cache_dir=tmp_path, hash_algorithm="sha1")


def tar_bytes(members: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, payload in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            archive.addfile(info, io.BytesIO(payload))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            archive.addfile(info)
    return buffer.getvalue()


def test_get_file_extracts_tar_and_zip(server, tmp_path):
    root, base, _ = server
    (root / "bundle.tar.gz").write_bytes(tar_bytes({"bundle/a.txt": b"A", "bundle/b/c.txt": b"C"}))
    folder = utils.get_file("bundle.tar.gz", base + "bundle.tar.gz", extract=True,
                            cache_dir=tmp_path)
    assert Path(folder) == tmp_path / "datasets" / "bundle_extracted"
    assert (Path(folder) / "bundle" / "b" / "c.txt").read_bytes() == b"C"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("z/one.txt", "1")
    (root / "pack.zip").write_bytes(buffer.getvalue())
    folder = utils.get_file(origin=base + "pack.zip", extract=True, cache_dir=tmp_path)
    assert Path(folder) == tmp_path / "datasets" / "pack.zip"
    assert (Path(folder) / "z" / "one.txt").read_text() == "1"


@pytest.mark.parametrize("members,links", [
    ({"../escape.txt": b"x"}, None),
    ({"/abs/escape.txt": b"x"}, None),
    ({"ok/../../escape.txt": b"x"}, None),
    ({"ok.txt": b"x"}, {"link": "../../outside"}),
    ({"ok.txt": b"x"}, {"link": "/etc/passwd"}),
])
def test_extraction_refuses_path_traversal(tmp_path, members, links):
    archive = tmp_path / "evil.tar.gz"
    archive.write_bytes(tar_bytes(members, links))
    with pytest.raises(ValueError, match="unsafe"):
        utils.get_file("evil.tar.gz", archive.as_uri(), extract=True, cache_dir=tmp_path / "c")
    assert not (tmp_path / "escape.txt").exists()
    assert not (tmp_path / "c" / "datasets" / "evil_extracted" / "ok.txt").exists()


def test_zip_extraction_refuses_traversal(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../../escape.txt", "x")
    (tmp_path / "evil.zip").write_bytes(buffer.getvalue())
    with pytest.raises(ValueError, match="unsafe"):
        utils.get_file("evil.zip", (tmp_path / "evil.zip").as_uri(), extract=True,
                       cache_dir=tmp_path / "c")


# ------------------------------------------------------------ split_dataset
def test_split_dataset_sizes_structures_and_seed():
    x, y = np.arange(20).reshape(10, 2), np.arange(10)
    (xl, yl), (xr, yr) = utils.split_dataset((x, y), left_size=0.8)
    assert xl.shape == (8, 2) and yr.tolist() == [8, 9]
    left, right = utils.split_dataset(x, left_size=3, right_size=5)
    assert len(left) == 3 and right.tolist() == x[3:8].tolist()
    left, right = utils.split_dataset(x)
    assert len(left) == len(right) == 5
    left, right = utils.split_dataset(x, right_size=0.25)  # round(2.5) = 2, as Keras
    assert len(right) == 2 and len(left) == 8
    d_left, d_right = utils.split_dataset({"a": x, "b": y}, left_size=4)
    assert d_left["a"].shape == (4, 2) and d_right["b"].tolist() == y[4:].tolist()
    s1 = utils.split_dataset((x, y), left_size=5, shuffle=True, seed=3)
    s2 = utils.split_dataset((x, y), left_size=5, shuffle=True, seed=3)
    np.testing.assert_array_equal(s1[0][0], s2[0][0])
    assert sorted(s1[0][1].tolist() + s1[1][1].tolist()) == list(range(10))
    np.testing.assert_array_equal(s1[0][0][:, 0] // 2, s1[0][1])  # rows stay paired
    assert not np.array_equal(s1[0][1], np.arange(5))


def test_split_dataset_errors():
    x = np.arange(10)
    with pytest.raises(ValueError, match="left_size"):
        utils.split_dataset(x, left_size=1.5)
    with pytest.raises(ValueError, match="right_size"):
        utils.split_dataset(x, right_size=10)
    with pytest.raises(ValueError, match="exceeds"):
        utils.split_dataset(x, left_size=6, right_size=5)
    with pytest.raises(TypeError, match="left_size"):
        utils.split_dataset(x, left_size="half")
    with pytest.raises(ValueError, match="same number"):
        utils.split_dataset((x, np.arange(3)))


def test_normalize_exists_with_keras_semantics():
    x = np.array([[3.0, 4.0], [0.0, 2.0]])
    np.testing.assert_allclose(utils.normalize(x), [[0.6, 0.8], [0.0, 1.0]])


# ------------------------------------------------------------ image files
def test_image_round_trip_and_modes(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 256, (5, 7, 3)).astype("float32")
    utils.save_img(tmp_path / "a.png", rgb, scale=False)
    img = utils.load_img(tmp_path / "a.png")
    assert img.size == (7, 5) and img.mode == "RGB"
    np.testing.assert_array_equal(utils.img_to_array(img), rgb)
    assert utils.img_to_array(img, data_format="channels_first").shape == (3, 5, 7)
    gray = utils.load_img(tmp_path / "a.png", color_mode="grayscale", target_size=(10, 14))
    assert gray.mode == "L" and utils.img_to_array(gray).shape == (10, 14, 1)
    scaled = utils.array_to_img(np.array([[[0.0], [0.5]], [[1.0], [0.25]]]))
    np.testing.assert_array_equal(np.asarray(scaled), [[0, 127], [255, 63]])
    rgba = utils.array_to_img(np.zeros((2, 2, 4)), scale=False)
    assert rgba.mode == "RGBA"
    utils.save_img(tmp_path / "b.jpg", np.zeros((2, 2, 4)))  # RGBA saved as RGB JPEG
    assert utils.load_img(tmp_path / "b.jpg").mode == "RGB"
    cropped = utils.load_img(tmp_path / "a.png", target_size=(5, 5), keep_aspect_ratio=True)
    assert cropped.size == (5, 5)
    with pytest.raises(ValueError, match="color_mode"):
        utils.load_img(tmp_path / "a.png", color_mode="cmyk")
    with pytest.raises(ValueError, match="rank 3"):
        utils.array_to_img(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="channels"):
        utils.array_to_img(np.zeros((2, 2, 2)))


def make_image_tree(root: Path, counts: dict[str, int], size=(6, 8)) -> None:
    rng = np.random.default_rng(1)
    for class_name, count in counts.items():
        (root / class_name).mkdir(parents=True)
        for i in range(count):
            pixels = np.full((*size, 3), 10 * i, dtype="uint8")
            pixels[0, 0] = rng.integers(0, 255, 3)
            utils.save_img(root / class_name / f"img_{i}.png", pixels, scale=False)
        (root / class_name / "notes.txt").write_text("not an image")


def test_image_dataset_from_directory_arrays_and_labels(tmp_path, capsys):
    make_image_tree(tmp_path, {"cats": 3, "dogs": 2})
    data = utils.image_dataset_from_directory(tmp_path, batch_size=None, image_size=(6, 8),
                                              shuffle=False)
    assert "Found 5 files belonging to 2 classes." in capsys.readouterr().out
    x, y = data
    assert x.shape == (5, 6, 8, 3) and x.dtype == np.float32 and y.dtype == np.int32
    assert y.tolist() == [0, 0, 0, 1, 1] and data.class_names == ["cats", "dogs"]
    assert data.file_paths[3].endswith("dogs/img_0.png")
    np.testing.assert_array_equal(x[1, 1, 1], [10, 10, 10])
    cat = utils.image_dataset_from_directory(tmp_path, label_mode="categorical",
                                             batch_size=None, image_size=(3, 4),
                                             shuffle=False, verbose=False)
    assert cat[0].shape == (5, 3, 4, 3) and cat[1].tolist()[4] == [0.0, 1.0]
    binary = utils.image_dataset_from_directory(tmp_path, label_mode="binary", batch_size=None,
                                                image_size=(6, 8), verbose=False,
                                                class_names=["dogs", "cats"], shuffle=False)
    assert binary[1].shape == (5, 1) and binary[1].ravel().tolist() == [0, 0, 1, 1, 1]
    unlabeled = utils.image_dataset_from_directory(tmp_path, labels=None, batch_size=None,
                                                   image_size=(6, 8), verbose=False)
    assert len(unlabeled) == 1 and unlabeled[0].shape == (5, 6, 8, 3)
    gray = utils.image_dataset_from_directory(tmp_path, color_mode="grayscale",
                                              batch_size=None, image_size=(6, 8),
                                              verbose=False)
    assert gray[0].shape == (5, 6, 8, 1)


def test_image_dataset_batches_split_and_fit(tmp_path):
    make_image_tree(tmp_path, {"a": 6, "b": 4})
    train, val = utils.image_dataset_from_directory(
        tmp_path, batch_size=4, image_size=(6, 8), validation_split=0.3, subset="both",
        seed=7, verbose=False)
    assert [len(b[0]) for b in train] == [4, 3] and len(val.images) == 3
    assert not set(train.file_paths) & set(val.file_paths)
    again = utils.image_dataset_from_directory(
        tmp_path, batch_size=4, image_size=(6, 8), validation_split=0.3, subset="validation",
        seed=7, verbose=False)
    assert again.file_paths == val.file_paths
    model = models.Sequential([layers.Input((6, 8, 3)), layers.Rescaling(1 / 255),
                               layers.Flatten(), layers.Dense(2)])
    model.compile("adam", descend.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(train.images, train.labels, epochs=1, verbose=0)


def test_image_dataset_errors(tmp_path):
    make_image_tree(tmp_path, {"a": 1, "b": 1, "c": 1})
    with pytest.raises(ValueError, match="binary"):
        utils.image_dataset_from_directory(tmp_path, label_mode="binary", verbose=False)
    with pytest.raises(ValueError, match="subset"):
        utils.image_dataset_from_directory(tmp_path, validation_split=0.2, seed=1,
                                           verbose=False)
    with pytest.raises(ValueError, match="seed"):
        utils.image_dataset_from_directory(tmp_path, validation_split=0.2, subset="training",
                                           verbose=False)
    with pytest.raises(ValueError, match="directory"):
        utils.image_dataset_from_directory(tmp_path / "nope")
    with pytest.raises(ValueError, match="labels"):
        utils.image_dataset_from_directory(tmp_path, labels=[0, 1], verbose=False)


# --------------------------------------------------------------- plot_model
def test_plot_model_writes_png_with_every_layer(tmp_path):
    pytest.importorskip("matplotlib")
    inputs = layers.Input((8, 8, 1), name="pixels")
    left = layers.Conv2D(2, 3, name="left")(inputs)
    right = layers.Conv2D(2, 3, name="right")(inputs)
    merged = layers.Add(name="sum")([left, right])
    outputs = layers.Dense(3, name="head")(layers.Flatten(name="flat")(merged))
    model = models.Model(inputs, outputs)
    path = tmp_path / "plots" / "model.png"
    fig = utils.plot_model(model, path, show_shapes=True, show_layer_names=True, dpi=60)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    texts = [t.get_text() for t in fig.axes[0].texts if getattr(t, "arrow_patch", None) is None]
    assert any("left (Conv2D)" in t and "(None, 6, 6, 2)" in t for t in texts)
    assert any(t.startswith("sum (Add)") for t in texts) and len(texts) == 6
    arrows = [a for a in fig.axes[0].texts if getattr(a, "arrow_patch", None) is not None]
    # pixels->left, pixels->right, left->sum, right->sum, sum->flat, flat->head
    assert len(arrows) == 6
    seq = models.Sequential([layers.Input((4,)), layers.Dense(3), layers.Dense(1)])
    fig = utils.plot_model(seq, tmp_path / "seq.png", rankdir="LR")
    assert [t.get_text() for t in fig.axes[0].texts if getattr(t, "arrow_patch", None) is None] == [
        "InputLayer", "Dense", "Dense"]
    with pytest.raises(ValueError, match="rankdir"):
        utils.plot_model(seq, None, rankdir="BT")
