"""ReversibleEmbedding: Keras's outputs, gradients, masks, shapes, saving and errors."""

from __future__ import annotations

import numpy as np
import pytest

import descend
from descend import layers, models
from descend.autograd import gradcheck

RNG = np.random.default_rng(7)
IDS = np.array([[1, 0, 4], [3, 2, 0]])


@pytest.mark.parametrize("tie_weights", [True, False])
@pytest.mark.parametrize("soft_cap", [None, 0.5])
def test_outputs_equal_keras(tie_weights, soft_cap):
    keras = pytest.importorskip("keras", reason="Keras 3 (torch backend) gives the reference")
    ours = layers.ReversibleEmbedding(5, 3, tie_weights=tie_weights, logit_soft_cap=soft_cap,
                                      embeddings_initializer="random_normal")
    theirs = keras.layers.ReversibleEmbedding(5, 3, tie_weights=tie_weights,
                                              logit_soft_cap=soft_cap)
    ours.build()
    theirs.build()
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.weights]
    theirs.set_weights(ours.get_weights())
    hidden = RNG.standard_normal((2, 4, 3)).astype("float32")
    np.testing.assert_allclose(ours(IDS).data, keras.ops.convert_to_numpy(theirs(IDS)))
    np.testing.assert_allclose(ours(hidden, reverse=True).data,
                               keras.ops.convert_to_numpy(theirs(hidden, reverse=True)),
                               rtol=1e-5, atol=1e-6)
    assert ours.get_config()["tie_weights"] == theirs.get_config()["tie_weights"]
    assert ours.compute_output_shape((2, 4, 3), reverse=True) == (2, 4, 5)
    assert ours.compute_output_shape((2, 4)) == (2, 4, 3)


def test_reverse_formulas():
    layer = layers.ReversibleEmbedding(6, 2, tie_weights=False, logit_soft_cap=1.5)
    layer.build()
    hidden = RNG.standard_normal((4, 2)).astype("float32")
    want = 1.5 * np.tanh(hidden @ layer.reverse_embeddings.numpy() / 1.5)
    np.testing.assert_allclose(layer(hidden, reverse=True).data, want, rtol=1e-6)
    tied = layers.ReversibleEmbedding(6, 2)
    tied.build()
    np.testing.assert_allclose(tied(hidden, reverse=True).data,
                               hidden @ tied.embeddings.numpy().T, rtol=1e-6)
    assert [w.name for w in tied.weights] == ["embeddings"]


@pytest.mark.parametrize("tie_weights", [True, False])
def test_gradcheck_both_directions(tie_weights):
    """gradcheck in float64 on the hidden vectors and every weight, through both calls.

    The layer's weight attributes are swapped for the gradcheck's tensors during each call.
    """
    descend.config.set_floatx("float64")
    layer = layers.ReversibleEmbedding(5, 3, tie_weights=tie_weights, logit_soft_cap=2.0,
                                       embeddings_initializer="random_normal")
    layer.build()
    weights = layer.weights
    names = [w.path.split("/")[-1] for w in weights]
    hidden = RNG.standard_normal((2, 3))

    def fn(h, *values):
        for name, value in zip(names, values, strict=True):
            setattr(layer, name, value)
        try:
            return layer(IDS).sum() + layer(h, reverse=True)
        finally:
            for name, weight in zip(names, weights, strict=True):
                setattr(layer, name, weight)

    assert gradcheck(fn, hidden, *[w.numpy() for w in weights])


def test_mask_on_forward_calls_only():
    layer = layers.ReversibleEmbedding(5, 3, mask_zero=True)
    out = layer(IDS)
    np.testing.assert_array_equal(descend.layers._masks.get_mask(out), IDS != 0)
    assert descend.layers._masks.get_mask(layer(out.data, reverse=True)) is None


def test_functional_model_shares_the_matrix_and_round_trips(tmp_path):
    ids = layers.Input((3,), dtype="int64")
    shared = layers.ReversibleEmbedding(7, 4, tie_weights=False, logit_soft_cap=3.0,
                                        mask_zero=True)
    hidden = layers.Dense(4)(shared(ids))
    model = models.Model(ids, shared(hidden, reverse=True))
    assert model.output_shape == (None, 3, 7)
    model.compile(optimizer="adam", loss=descend.losses.SparseCategoricalCrossentropy(
        from_logits=True))
    x = RNG.integers(0, 7, (16, 3))
    before = shared.reverse_embeddings.numpy().copy()
    model.fit(x, x, epochs=1, verbose=0)
    assert not np.allclose(shared.reverse_embeddings.numpy(), before)
    for path in (tmp_path / "m.descend", tmp_path / "m.keras"):
        model.save(path)
        loaded = models.load_model(path)
        np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
        layer = next(lay for lay in loaded.layers if isinstance(lay, layers.ReversibleEmbedding))
        assert layer.get_config() == shared.get_config()


@pytest.mark.parametrize("kwargs, match", [
    ({"tie_weights": "yes"}, "ReversibleEmbedding.*tie_weights"),
    ({"logit_soft_cap": 0.0}, "ReversibleEmbedding.*logit_soft_cap"),
    ({"logit_soft_cap": "big"}, "ReversibleEmbedding.*logit_soft_cap"),
    ({"reverse_dtype": "int32"}, "ReversibleEmbedding.*reverse_dtype"),
])
def test_bad_arguments_name_layer_and_argument(kwargs, match):
    with pytest.raises((TypeError, ValueError), match=match):
        layers.ReversibleEmbedding(5, 3, **kwargs)


def test_reverse_call_with_wrong_width_is_refused():
    layer = layers.ReversibleEmbedding(5, 3)
    with pytest.raises(ValueError, match="ReversibleEmbedding.*output_dim=3"):
        layer(np.zeros((2, 4), "float32"), reverse=True)
