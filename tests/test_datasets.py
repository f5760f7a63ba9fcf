"""Tests for descend.datasets: real files from the shared folder, SHA-256 checks, IDX parsing and
the download path (always offline: the URL opener is replaced in every test)."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from descend.datasets import _download, fashion_mnist, mnist, mnist1d
from descend.datasets._download import DataFile, datasets_root, fetch, file_sha256, verify_file
from descend.datasets._idx import read_idx

SHARED = Path(__file__).resolve().parents[2] / "shared" / "datasets"

needs_shared = pytest.mark.skipif(
    not (SHARED / "mnist").is_dir(),
    reason=f"shared data sets not found at {SHARED} (clone the repo with shared/ beside it)",
)

MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
M1D_TRAIN_COUNTS = [398, 396, 411, 394, 394, 402, 401, 404, 402, 398]
M1D_TEST_COUNTS = [102, 104, 89, 106, 106, 98, 99, 96, 98, 102]


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path_factory):
    """No network, no real home folder, no inherited DESCEND_DATASETS in any test."""
    calls: list[str] = []

    def no_network(url, timeout):
        calls.append(url)
        raise urllib.error.URLError("network disabled in tests")

    monkeypatch.setattr(_download, "_open_url", no_network)
    monkeypatch.setenv("HOME", str(tmp_path_factory.mktemp("home")))
    monkeypatch.delenv(_download.DATASETS_ENV, raising=False)
    return calls


def serve_files(monkeypatch, table):
    """Make the URL opener answer from ``table``: url -> bytes, an exception, or a callable."""
    opened: list[str] = []

    def fake_open(url, timeout):
        opened.append(url)
        answer = table.get(url, urllib.error.URLError(f"no route to {url}"))
        if isinstance(answer, BaseException):
            raise answer
        if callable(answer):
            return answer()
        response = io.BytesIO(answer)
        response.headers = {"Content-Length": str(len(answer))}
        return response

    monkeypatch.setattr(_download, "_open_url", fake_open)
    return opened


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# ---------------------------------------------------------------- real data from the shared folder


@pytest.fixture(scope="module")
def mnist_data():
    if not (SHARED / "mnist").is_dir():
        pytest.skip(f"shared data sets not found at {SHARED}")
    return mnist.load_data(path=SHARED)


@pytest.fixture(scope="module")
def fashion_data():
    if not (SHARED / "fashion-mnist").is_dir():
        pytest.skip(f"shared data sets not found at {SHARED}")
    return fashion_mnist.load_data(path=SHARED)


@pytest.mark.parametrize("which", ["mnist", "fashion"])
def test_idx_datasets_shapes_dtypes_ranges(which, mnist_data, fashion_data):
    (x_train, y_train), (x_test, y_test) = mnist_data if which == "mnist" else fashion_data
    assert x_train.shape == (60000, 28, 28) and y_train.shape == (60000,)
    assert x_test.shape == (10000, 28, 28) and y_test.shape == (10000,)
    for array in (x_train, y_train, x_test, y_test):
        assert array.dtype == np.uint8
        assert array.flags.writeable and array.flags.c_contiguous
    assert x_train.min() == 0 and x_train.max() == 255
    assert set(np.unique(y_train)) == set(range(10)) == set(np.unique(y_test))


def test_mnist_counts_and_means(mnist_data):
    (x_train, y_train), (x_test, y_test) = mnist_data
    assert np.bincount(y_train).tolist() == MNIST_TRAIN_COUNTS
    assert np.bincount(y_test).tolist() == MNIST_TEST_COUNTS
    assert x_train.mean() == pytest.approx(33.318, abs=1e-3)
    assert x_test.mean() == pytest.approx(33.791, abs=1e-3)


def test_fashion_counts_means_and_order(fashion_data):
    (x_train, y_train), (x_test, y_test) = fashion_data
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10
    assert x_train.mean() == pytest.approx(72.940, abs=1e-3)
    assert x_test.mean() == pytest.approx(73.147, abs=1e-3)
    assert y_train[:6].tolist() == [9, 0, 0, 3, 0, 2]  # the released files are not sorted
    assert y_test[:5].tolist() == [9, 2, 1, 1, 6]
    assert len(fashion_mnist.CLASS_NAMES) == 10


@needs_shared
def test_mnist1d_real_file():
    (x, y), (x_test, y_test) = mnist1d.load_data(path=SHARED)
    assert x.shape == (4000, 40) and x.dtype == np.float64
    assert x_test.shape == (1000, 40) and x_test.dtype == np.float64
    assert y.dtype == np.int64 and y_test.dtype == np.int64
    assert np.bincount(y).tolist() == M1D_TRAIN_COUNTS
    assert np.bincount(y_test).tolist() == M1D_TEST_COUNTS
    both = np.concatenate([x, x_test])
    assert both.mean() == pytest.approx(0.0, abs=1e-9) and both.std() == pytest.approx(1.0)
    assert -5.6 < x.min() < -5.4 and 4.4 < x.max() < 4.6


@needs_shared
def test_mnist1d_save_npz_reproduces_the_checked_file(tmp_path):
    with np.load(SHARED / "mnist1d" / mnist1d.FILE.name, allow_pickle=False) as archive:
        data = {key: archive[key] for key in archive.files}
    data["t"] = np.linspace(0, 1, 40)  # extra keys from mnist1d.get_dataset are ignored
    out = mnist1d.save_npz(data, tmp_path / "mnist1d" / mnist1d.FILE.name)
    assert file_sha256(out) == mnist1d.FILE.sha256
    (x, _), _ = mnist1d.load_data(path=tmp_path)
    np.testing.assert_array_equal(x, data["x"])


def test_mnist1d_save_npz_validates(tmp_path):
    with pytest.raises(ValueError, match="lacks the keys"):
        mnist1d.save_npz({"x": np.zeros((2, 40))}, tmp_path / "a.npz")
    bad = {"x": np.zeros((2, 39)), "y": np.zeros(2), "x_test": np.zeros((1, 40)), "y_test": [0]}
    with pytest.raises(ValueError, match=r"shape \(n, 40\)"):
        mnist1d.save_npz(bad, tmp_path / "a.npz")


def test_mnist1d_missing_explains_how_to_generate(tmp_path, offline):
    with pytest.raises(FileNotFoundError) as info:
        mnist1d.load_data(path=tmp_path)
    message = str(info.value)
    assert "mnist1d_data.npz" in message and str(tmp_path / "mnist1d") in message
    assert "pip install mnist1d" in message and "regenerate=True" in message
    assert "DESCEND_DATASETS" in message
    assert offline == []  # never tries the network
    assert "pip install mnist1d" in mnist1d.__doc__


# ------------------------------------------------------------------------- where files are found


def test_datasets_root_precedence(monkeypatch, tmp_path):
    home = Path(os.environ["HOME"])
    assert datasets_root() == home / ".descend" / "datasets"
    monkeypatch.setenv("DESCEND_DATASETS", "  ")  # blank is ignored
    assert datasets_root() == home / ".descend" / "datasets"
    monkeypatch.setenv("DESCEND_DATASETS", str(tmp_path / "env"))
    assert datasets_root() == tmp_path / "env"
    assert datasets_root(tmp_path / "arg") == tmp_path / "arg"
    assert datasets_root(str(tmp_path / "arg")) == tmp_path / "arg"
    with pytest.raises(TypeError, match="path"):
        datasets_root(42)


@needs_shared
def test_env_var_is_used_and_path_argument_wins(monkeypatch, tmp_path, offline):
    monkeypatch.setenv("DESCEND_DATASETS", str(SHARED))
    (_, y_train), _ = mnist1d.load_data()
    assert y_train.shape == (4000,)
    _, (_, y_test) = mnist.load_data()  # read through the environment variable
    assert y_test.shape == (10000,)
    # an explicit path beats the environment variable
    with pytest.raises(FileNotFoundError, match=str(tmp_path / "mnist1d")):
        mnist1d.load_data(path=tmp_path)
    monkeypatch.setenv("DESCEND_DATASETS", str(tmp_path / "empty"))
    (_, y_train), _ = mnist1d.load_data(path=SHARED)
    assert y_train.shape == (4000,)
    assert offline == []


@needs_shared
def test_default_home_folder_is_used(monkeypatch):
    root = Path(os.environ["HOME"]) / ".descend" / "datasets" / "mnist1d"
    root.mkdir(parents=True)
    (root / mnist1d.FILE.name).symlink_to(SHARED / "mnist1d" / mnist1d.FILE.name)
    (_, y_train), _ = mnist1d.load_data()
    assert y_train.shape == (4000,)


# ------------------------------------------------------------------------------ SHA-256 checks


@needs_shared
def test_checksums_of_shared_files_are_accepted():
    for module in (mnist, fashion_mnist):
        for data_file in module.FILES:
            path = fetch("test", data_file, module.SUBDIR, [], path=SHARED)
            assert path.stat().st_size == data_file.size
    verify_file(SHARED / "mnist1d" / mnist1d.FILE.name, mnist1d.FILE.sha256)


def _mnist_copy(tmp_path: Path, damage) -> Path:
    """A datasets root whose mnist/ links the shared files, except a damaged t10k-labels."""
    folder = tmp_path / "mnist"
    folder.mkdir()
    for data_file in mnist.FILES:
        if data_file.name != "t10k-labels-idx1-ubyte.gz":
            (folder / data_file.name).symlink_to(SHARED / "mnist" / data_file.name)
    data = bytearray((SHARED / "mnist" / "t10k-labels-idx1-ubyte.gz").read_bytes())
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(bytes(damage(data)))
    return folder / "t10k-labels-idx1-ubyte.gz"


def _flip_byte(data: bytearray) -> bytearray:
    data[len(data) // 2] ^= 0xFF
    return data


@needs_shared
@pytest.mark.parametrize("damage", [_flip_byte, lambda d: d[:-100]], ids=["flipped", "truncated"])
def test_damaged_file_is_rejected_with_digests_and_fix(tmp_path, damage, offline):
    bad = _mnist_copy(tmp_path, damage)
    with pytest.raises(ValueError) as info:
        mnist.load_data(path=tmp_path)
    message = str(info.value)
    assert str(bad) in message
    assert mnist.FILES[3].sha256 in message
    assert hashlib.sha256(bad.read_bytes()).hexdigest() in message
    assert "Delete it" in message and "re-download" in message
    assert bad.exists() and offline == []  # left for the user to inspect, never re-fetched


def test_digest_is_cached_until_the_file_changes(monkeypatch, tmp_path):
    calls = []

    def counting_sha256(*args):
        calls.append(1)
        return hashlib.sha256(*args)

    monkeypatch.setattr(_download, "hashlib", SimpleNamespace(sha256=counting_sha256))
    target = tmp_path / "f.bin"
    target.write_bytes(b"abcd")
    first = file_sha256(target)
    assert file_sha256(target) == first and len(calls) == 1
    target.write_bytes(b"wxyz")  # same size, new content
    stat = target.stat()
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert file_sha256(target) == hashlib.sha256(b"wxyz").hexdigest() and len(calls) == 2


# ------------------------------------------------------------------------------------ IDX parser


def _idx(type_byte: int, dims: tuple[int, ...], payload: bytes) -> bytes:
    header = bytes([0, 0, type_byte, len(dims)])
    return header + b"".join(d.to_bytes(4, "big") for d in dims) + payload


@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_parses_header_and_types(tmp_path, compress):
    wrap = gzip.compress if compress else bytes
    p = tmp_path / "a.idx"
    p.write_bytes(wrap(_idx(0x08, (2, 3), bytes(range(6)))))
    np.testing.assert_array_equal(read_idx(p), np.arange(6, dtype=np.uint8).reshape(2, 3))
    values = np.array([1.5, -2.0, 3.25], dtype=">f4")
    p.write_bytes(wrap(_idx(0x0D, (3,), values.tobytes())))
    out = read_idx(p)
    assert out.dtype == np.float32 and out.dtype.isnative
    np.testing.assert_array_equal(out, [1.5, -2.0, 3.25])
    p.write_bytes(wrap(_idx(0x0C, (2,), np.array([-7, 70000], ">i4").tobytes())))
    assert read_idx(p).tolist() == [-7, 70000]


@pytest.mark.parametrize(
    ("content", "pattern"),
    [
        (b"\x00\x00", "truncated"),
        (b"\x01\x02\x08\x01" + bytes(8), "bad magic number"),
        (bytes([0, 0, 0x07, 1, 0, 0, 0, 1, 5]), "bad magic number"),
        (bytes([0, 0, 8, 3, 0, 0, 0, 2]), "ends inside the list of sizes"),
        (_idx(0x08, (2, 3), bytes(5)), "only 5 bytes follow"),
        (_idx(0x08, (2, 3), bytes(7)), "bytes after"),
        (_idx(0x0E, (2**31, 2**31), b""), "header is corrupted"),
    ],
)
@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_rejects_malformed_files_naming_them(tmp_path, content, pattern, compress):
    p = tmp_path / "bad-idx-ubyte.gz"
    p.write_bytes(gzip.compress(content) if compress else content)
    with pytest.raises(ValueError, match=pattern) as info:
        read_idx(p)
    assert str(p) in str(info.value)


def test_read_idx_rejects_broken_gzip(tmp_path):
    p = tmp_path / "broken.gz"
    p.write_bytes(gzip.compress(_idx(0x08, (100,), bytes(100)))[:-12])
    with pytest.raises(ValueError, match="not a valid gzip file") as info:
        read_idx(p)
    assert str(p) in str(info.value)


# ------------------------------------------------------------------ downloads (faked, offline)

TOY = b"0123456789" * 1000
TOY_FILE = DataFile("toy.bin", hashlib.sha256(TOY).hexdigest(), len(TOY))
MIRROR_A = "https://mirror-a.invalid/toy/"
MIRROR_B = "https://mirror-b.invalid/toy/"


def test_download_lands_in_place_using_the_fallback_mirror(monkeypatch, tmp_path, capsys):
    opened = serve_files(monkeypatch, {MIRROR_B + "toy.bin": TOY})
    path = fetch("toy", TOY_FILE, "toy", [MIRROR_A, MIRROR_B], path=tmp_path / "root")
    assert path == tmp_path / "root" / "toy" / "toy.bin"
    assert path.read_bytes() == TOY
    assert leftovers(path.parent) == ["toy.bin"]
    assert opened == [MIRROR_A + "toy.bin", MIRROR_B + "toy.bin"]
    assert f"{len(TOY):,}/{len(TOY):,} bytes" in capsys.readouterr().err
    # a second fetch finds the file and does not download again
    assert fetch("toy", TOY_FILE, "toy", [MIRROR_A, MIRROR_B], path=tmp_path / "root") == path
    assert len(opened) == 2


def test_download_with_wrong_checksum_leaves_no_file(monkeypatch, tmp_path):
    bad = TOY[:-1] + b"X"
    serve_files(monkeypatch, {MIRROR_A + "toy.bin": bad, MIRROR_B + "toy.bin": TOY + b"extra"})
    with pytest.raises(ValueError) as info:
        fetch("toy", TOY_FILE, "toy", [MIRROR_A, MIRROR_B], path=tmp_path)
    message = str(info.value)
    assert TOY_FILE.sha256 in message and hashlib.sha256(bad).hexdigest() in message
    assert "larger than the expected" in message  # mirror B sent too many bytes
    assert leftovers(tmp_path / "toy") == []


class _Broken:
    """A response that sends some bytes, then fails with ``error``."""

    def __init__(self, error: BaseException):
        self.error = error
        self.sent = False
        self.headers = {"Content-Length": str(len(TOY))}
        self.closed = False

    def read(self, n):
        if not self.sent:
            self.sent = True
            return TOY[:1000]
        raise self.error

    def close(self):
        self.closed = True


@pytest.mark.parametrize("error", [ConnectionResetError("reset by peer"), KeyboardInterrupt()])
def test_interrupted_download_leaves_no_temp_file(monkeypatch, tmp_path, error):
    responses = []

    def broken():
        responses.append(_Broken(error))
        return responses[-1]

    serve_files(monkeypatch, {MIRROR_A + "toy.bin": broken})
    expected = KeyboardInterrupt if isinstance(error, KeyboardInterrupt) else FileNotFoundError
    with pytest.raises(expected):
        fetch("toy", TOY_FILE, "toy", [MIRROR_A], path=tmp_path)
    assert leftovers(tmp_path / "toy") == []
    assert responses[0].closed


def test_real_mnist_download_path_from_a_file_url(monkeypatch, tmp_path):
    if not (SHARED / "mnist").is_dir():
        pytest.skip(f"shared data sets not found at {SHARED}")

    def file_urls_only(url, timeout):
        assert url.startswith("file://"), url
        return urllib.request.urlopen(url, timeout=timeout)

    monkeypatch.setattr(_download, "_open_url", file_urls_only)
    monkeypatch.setattr(mnist, "MIRRORS", ((SHARED / "mnist").as_uri() + "/",))
    monkeypatch.setenv("DESCEND_DATASETS", str(tmp_path))
    (_, y_train), (x_test, _) = mnist.load_data()
    assert np.bincount(y_train).tolist() == MNIST_TRAIN_COUNTS and x_test.shape == (10000, 28, 28)
    assert leftovers(tmp_path / "mnist") == sorted(f.name for f in mnist.FILES)
    assert oct((tmp_path / "mnist" / mnist.FILES[0].name).stat().st_mode & 0o777) == "0o644"


def test_offline_error_names_file_folder_and_env_var(tmp_path, offline):
    with pytest.raises(FileNotFoundError) as info:
        fashion_mnist.load_data(path=tmp_path)
    message = str(info.value)
    folder = tmp_path / "fashion-mnist"
    assert "train-images-idx3-ubyte.gz" in message and str(folder) in message
    assert "DESCEND_DATASETS" in message and "offline" in message
    assert fashion_mnist.MIRRORS[0] + "train-images-idx3-ubyte.gz" in message
    assert offline == [fashion_mnist.MIRRORS[0] + "train-images-idx3-ubyte.gz"]
    assert leftovers(folder) == []
    assert isinstance(info.value.__cause__, urllib.error.URLError)


def test_mnist_tries_both_mirrors_when_offline(tmp_path, offline):
    with pytest.raises(FileNotFoundError, match="DESCEND_DATASETS"):
        mnist.load_data(path=tmp_path)
    assert offline == [base + "train-images-idx3-ubyte.gz" for base in mnist.MIRRORS]
    assert mnist.MIRRORS[0].startswith("https://storage.googleapis.com/cvdf-datasets/mnist/")


def test_unwritable_folder_is_not_downloaded_into(monkeypatch, tmp_path, offline):
    monkeypatch.setattr(_download, "_writable_dir", lambda folder: False)
    with pytest.raises(FileNotFoundError, match="cannot be created or written") as info:
        mnist.load_data(path=tmp_path / "ro")
    assert str(tmp_path / "ro" / "mnist") in str(info.value)
    assert offline == []
