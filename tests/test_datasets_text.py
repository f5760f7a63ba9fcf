"""IMDB and Reuters loaders on small files of Keras's format that the tests write.

Expected values were produced by Keras 3.15's loaders on the same small files."""

from __future__ import annotations

import hashlib
import io
import json
import pickle
import zipfile

import numpy as np
import pytest

from descend.datasets import _safe_npz, imdb, reuters
from descend.datasets._download import DataFile

XTR = [[5, 1, 2, 9], [3, 3], [7, 8, 1, 1, 4, 2], [2]]
YTR = np.array([0, 1, 1, 0])
XTE = [[1, 2, 3], [9, 9, 9, 9, 9], [4]]
YTE = np.array([1, 0, 1])


def _install(monkeypatch, module, root, name, **arrays):
    folder = root / module.SUBDIR
    folder.mkdir(parents=True, exist_ok=True)
    _safe_npz.save_npz_object(folder / name, **arrays)
    digest = hashlib.sha256((folder / name).read_bytes()).hexdigest()
    monkeypatch.setattr(module, "FILE", DataFile(name, digest, 10**6))


@pytest.fixture
def root(tmp_path, monkeypatch):
    _install(monkeypatch, imdb, tmp_path, "imdb.npz", x_train=XTR, y_train=YTR, x_test=XTE,
             y_test=YTE)
    _install(monkeypatch, reuters, tmp_path, "reuters.npz", x=XTR + XTE,
             y=np.concatenate([YTR, YTE]))
    return tmp_path


def as_lists(x):
    return [list(s) for s in x]


IMDB_CASES = [
    ({}, [[1, 5], [1, 10, 11, 4, 4, 7, 5], [1, 8, 4, 5, 2], [1, 6, 6]], [0, 1, 0, 1],
     [[1, 2, 2, 2, 2, 2], [1, 4, 5, 6], [1, 7]], [0, 1, 1]),
    ({"num_words": 8, "skip_top": 2},
     [[2, 5], [2, 2, 2, 4, 4, 7, 5], [2, 2, 4, 5, 2], [2, 6, 6]], [0, 1, 0, 1],
     [[2, 2, 2, 2, 2, 2], [2, 4, 5, 6], [2, 7]], [0, 1, 1]),
    ({"maxlen": 6, "seed": 3}, [[1, 5], [1, 6, 6], [1, 8, 4, 5, 2]], [0, 1, 0],
     [[1, 7], [1, 4, 5, 6]], [1, 1]),
    ({"start_char": None, "oov_char": None, "index_from": 0, "num_words": 6},
     [[2], [1, 1, 4, 2], [5, 1, 2], [3, 3]], [0, 1, 0, 1], [[], [1, 2, 3], [4]], [0, 1, 1]),
]

REUTERS_CASES = [
    ({}, [[1, 6, 6], [1, 5], [1, 8, 4, 5, 2], [1, 7], [1, 10, 11, 4, 4, 7, 5]],
     [1, 0, 0, 1, 1], [[1, 4, 5, 6], [1, 2, 2, 2, 2, 2]], [1, 0]),
    ({"maxlen": 6, "seed": 3}, [[1, 4, 5, 6], [1, 7], [1, 5], [1, 6, 6]], [1, 1, 0, 1],
     [[1, 8, 4, 5, 2]], [0]),
    ({"index_from": 1, "oov_char": None, "skip_top": 3},
     [[4, 4], [3], [6, 3], [5], [8, 9, 5, 3]], [1, 0, 0, 1, 1], [[3, 4], []], [1, 0]),
]


@pytest.mark.parametrize("kwargs,xtr,ytr,xte,yte", IMDB_CASES)
def test_imdb_matches_keras(root, kwargs, xtr, ytr, xte, yte):
    (a, b), (c, d) = imdb.load_data(path=root, **kwargs)
    assert a.dtype == object and as_lists(a) == xtr and b.tolist() == ytr
    assert as_lists(c) == xte and d.tolist() == yte


@pytest.mark.parametrize("kwargs,xtr,ytr,xte,yte", REUTERS_CASES)
def test_reuters_matches_keras(root, kwargs, xtr, ytr, xte, yte):
    (a, b), (c, d) = reuters.load_data(path=root, **kwargs)
    assert as_lists(a) == xtr and b.tolist() == ytr
    assert as_lists(c) == xte and d.tolist() == yte
    assert len(reuters.get_label_names()) == 46


def test_maxlen_that_keeps_nothing_and_bad_arguments(root):
    with pytest.raises(ValueError, match="Increase maxlen"):
        imdb.load_data(path=root, maxlen=1)
    with pytest.raises(ValueError, match="num_words"):
        imdb.load_data(path=root, num_words=0)
    with pytest.raises(ValueError, match="test_split"):
        reuters.load_data(path=root, test_split=2.0)


def test_corrupted_file_is_refused(root):
    with open(root / "imdb" / "imdb.npz", "ab") as handle:
        handle.write(b"x")
    with pytest.raises(ValueError, match="SHA-256|sha256"):
        imdb.load_data(path=root)


class _Evil:
    def __reduce__(self):
        return (print, ("pwned",))


def test_pickled_code_is_never_run(tmp_path, capsys):
    arr = np.empty(1, dtype=object)
    arr[0] = _Evil()
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, allow_pickle=True)
    with zipfile.ZipFile(tmp_path / "evil.npz", "w") as archive:
        archive.writestr("x.npy", buf.getvalue())
    with pytest.raises(pickle.UnpicklingError, match="builtins.print"):
        _safe_npz.load_npz(tmp_path / "evil.npz")
    assert "pwned" not in capsys.readouterr().out


def test_object_arrays_of_non_integers_are_refused(tmp_path):
    arr = np.empty(1, dtype=object)
    arr[0] = ["a", "b"]
    np.savez(tmp_path / "strings.npz", x=arr)
    with pytest.raises(ValueError, match="not a list of integers"):
        _safe_npz.load_npz(tmp_path / "strings.npz")


def test_get_word_index_checks_md5(tmp_path, monkeypatch):
    folder = tmp_path / "imdb"
    folder.mkdir()
    payload = json.dumps({"the": 1, "movie": 2}).encode()
    (folder / "imdb_word_index.json").write_bytes(payload)
    md5 = hashlib.md5(payload, usedforsecurity=False).hexdigest()
    monkeypatch.setattr(imdb, "WORD_INDEX", ("imdb_word_index.json", md5, 100))
    assert imdb.get_word_index(path=tmp_path) == {"the": 1, "movie": 2}
    monkeypatch.setattr(imdb, "WORD_INDEX", ("imdb_word_index.json", "0" * 32, 100))
    with pytest.raises(ValueError, match="MD5"):
        imdb.get_word_index(path=tmp_path)


def test_missing_file_without_network_names_the_folder(tmp_path, monkeypatch):
    import urllib.request

    def refuse(*args, **kwargs):
        raise OSError("no network in tests")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    with pytest.raises(FileNotFoundError, match="reuters"):
        reuters.get_word_index(path=tmp_path)
