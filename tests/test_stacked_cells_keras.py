"""``StackedRNNCells`` states nest per cell, as in real Keras 3 (the ``interop`` test extra).

Same weights in both libraries: ``state_size``, the ``return_state`` structure and
values, nested ``initial_state``, stateful ``states``, ``Bidirectional`` over a
stack, and ``.keras`` files both ways. Skipped, with the reason shown, without
Keras 3 (torch backend) or h5py.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras", reason="needs real Keras 3: pip install '.[interop]'")

import descend  # noqa: E402


def _cells(lib):
    L = lib.layers
    return L.StackedRNNCells([L.LSTMCell(4), L.GRUCell(3), L.SimpleRNNCell(2)])


def _np(x):
    if isinstance(x, descend.autograd.Tensor):
        return x.data
    return keras.ops.convert_to_numpy(x)


def _same(got, want):
    """The same nesting of lists and the same values."""
    if isinstance(want, (list, tuple)):
        assert isinstance(got, list) and len(got) == len(want), (got, want)
        for g, w in zip(got, want, strict=True):
            _same(g, w)
    else:
        np.testing.assert_allclose(_np(got), _np(want), rtol=1e-5, atol=1e-6)


X = np.random.default_rng(0).normal(size=(2, 5, 6)).astype("float32")


def _pair(**kwargs):
    k = keras.layers.RNN(_cells(keras), **kwargs)
    d = descend.layers.RNN(_cells(descend), **kwargs)
    k.build(X.shape)
    d.build(X.shape)
    d.set_weights([_np(w) for w in k.get_weights()])
    return k, d


def test_state_size_nests_per_cell():
    assert _cells(descend).state_size == _cells(keras).state_size == [[4, 4], 3, 2]
    assert _cells(descend).output_size == _cells(keras).output_size == 2


@pytest.mark.parametrize("return_sequences", [False, True])
def test_return_state_structure_and_values(return_sequences):
    k, d = _pair(return_state=True, return_sequences=return_sequences)
    want, got = k(X), d(X)
    _same(got[0], want[0])
    _same(list(got[1:]), list(want[1:]))  # [[h, c], [h], [h]]
    init = [[s + 0.5 for s in cell] for cell in want[1:]]
    _same(d(X, initial_state=[[_np(s) for s in c] for c in init])[0],
          k(X, initial_state=init)[0])
    _same(d.get_initial_state(2), k.get_initial_state(2))


def test_stateful_states_nest():
    k, d = _pair(stateful=True)
    k(X)
    d(X)
    _same(d.states, k.states)
    d.reset_states()
    assert [[float(np.abs(s).sum()) for s in cell] for cell in d.states] == [[0, 0], [0], [0]]


def test_bidirectional_over_a_stack():
    k = keras.layers.Bidirectional(keras.layers.RNN(_cells(keras), return_state=True))
    d = descend.layers.Bidirectional(descend.layers.RNN(_cells(descend), return_state=True))
    k.build(X.shape)
    d.build(X.shape)
    d.set_weights([_np(w) for w in k.get_weights()])
    want, got = k(X), d(X)
    assert len(got) == len(want)
    _same(got[0], want[0])
    _same(list(got[1:]), list(want[1:]))


def test_keras_files_both_ways(tmp_path):
    pytest.importorskip("h5py", reason="Keras files need h5py: pip install '.[keras]'")
    for src, dst in ((keras, descend), (descend, keras)):
        inputs = src.Input((5, 6))
        out = src.layers.RNN(_cells(src), return_state=True)(inputs)
        # (Keras's symbolic call gives a one-state cell's state unwrapped, its eager call
        # a one-element list; the LSTM's [h, c] is a list in both)
        model = src.Model(inputs, [out[0], out[1][0], out[1][1]])
        path = str(tmp_path / f"{src.__name__}.keras")
        model.save(path)
        loaded = dst.saving.load_model(path)
        for got, want in zip(loaded(X), model(X), strict=True):
            _same(got, want)
