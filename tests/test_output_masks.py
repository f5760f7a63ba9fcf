"""Masks that reach a model's output: losses and metrics leave masked steps out (Keras 3).

A model ``Embedding(mask_zero=True) -> LSTM(return_sequences=True) -> Dense``
outputs one prediction per step and carries the input's mask; the compiled loss
turns the mask into sample weights (``sum(loss * mask) / sum(mask)``) and the
mean metrics average over the unmasked steps only. Layers that Keras marks
``supports_masking = True`` hand the mask on unchanged.
"""

from __future__ import annotations

import numpy as np
import pytest

import descend
from descend import gradcheck, layers, ops
from descend.layers._masks import get_mask
from descend.losses import SparseCategoricalCrossentropy

X = np.array([[3, 5, 0, 0], [2, 0, 0, 0], [1, 4, 6, 2], [7, 0, 0, 0]])
MASK = X != 0


def _labels(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 3, X.shape)


def _model(lib, units: int = 6):
    L = lib.layers
    return lib.Sequential([lib.Input((4,)), L.Embedding(8, 5, mask_zero=True),
                           L.LSTM(units, return_sequences=True), L.Dense(3)])


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def test_compiled_loss_and_metrics_use_the_output_mask():
    descend.utils.set_random_seed(1)
    model = _model(descend)
    model.compile(optimizer="sgd",
                  loss=SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"], weighted_metrics=["accuracy"])
    y = _labels()
    logits = model.predict(X, verbose=0)
    per_step = -np.take_along_axis(_log_softmax(logits.astype(np.float64)), y[..., None],
                                   -1)[..., 0]
    hits = (logits.argmax(-1) == y).astype(float)
    want_loss = per_step[MASK].sum() / MASK.sum()
    unmasked_loss = per_step.mean()
    assert abs(want_loss - unmasked_loss) > 1e-3  # the test can tell the two apart
    logs = model.evaluate(X, y, batch_size=len(X), verbose=0, return_dict=True)
    np.testing.assert_allclose(logs["loss"], want_loss, rtol=1e-5)
    np.testing.assert_allclose(logs["accuracy"], hits[MASK].mean(), rtol=1e-6)
    np.testing.assert_allclose(logs["weighted_accuracy"], hits[MASK].mean(), rtol=1e-6)
    # one weight per sequence weights each of its unmasked steps
    sw = np.array([1.0, 2.0, 0.5, 3.0])
    logs = model.evaluate(X, y, sample_weight=sw, batch_size=len(X), verbose=0,
                          return_dict=True)
    w = np.broadcast_to(sw[:, None], X.shape) * MASK
    np.testing.assert_allclose(logs["loss"], (per_step * w).sum() / MASK.sum(), rtol=1e-5)
    np.testing.assert_allclose(logs["weighted_accuracy"], (hits * w).sum() / w.sum(),
                               rtol=1e-6)
    np.testing.assert_allclose(logs["accuracy"], hits[MASK].mean(), rtol=1e-6)
    # the same through compute_loss / compute_metrics (a custom train_step's helpers)
    out = model(X)
    assert get_mask(out) is not None
    np.testing.assert_allclose(float(model.compute_loss(x=X, y=y, y_pred=out).data),
                               want_loss, rtol=1e-5)
    # and a Loss object called directly on the masked output
    value = SparseCategoricalCrossentropy(from_logits=True)(y, out)
    np.testing.assert_allclose(float(value.data), want_loss, rtol=1e-5)


def test_all_steps_masked_gives_zero_loss():
    model = _model(descend)
    model.compile(optimizer="sgd", loss=SparseCategoricalCrossentropy(from_logits=True))
    x = np.zeros((2, 4), int)
    loss = model.evaluate(x, np.zeros((2, 4), int), verbose=0)
    assert loss == 0.0


def test_ignore_class_and_output_mask_combine():
    model = _model(descend)
    y = _labels(3)
    out = model(X)
    loss = SparseCategoricalCrossentropy(from_logits=True, ignore_class=2)
    keep = MASK & (y != 2)
    per_step = -np.take_along_axis(_log_softmax(out.data.astype(np.float64)), y[..., None],
                                   -1)[..., 0]
    np.testing.assert_allclose(float(loss(y, out).data), per_step[keep].sum() / keep.sum(),
                               rtol=1e-5)


def test_masked_steps_get_zero_gradient():
    """gradcheck through LSTM -> Dense -> masked loss; masked steps' inputs get exactly 0."""
    rng = np.random.default_rng(0)
    mask = np.array([[1, 1, 0, 1], [1, 0, 0, 0], [1, 1, 1, 1]], bool)
    lstm = layers.LSTM(3, return_sequences=True, dtype="float64")
    dense = layers.Dense(2, dtype="float64")
    y = rng.integers(0, 2, (3, 4))
    loss = SparseCategoricalCrossentropy(from_logits=True)

    def fn(x):
        return loss(y, dense(lstm(x, mask=mask)))

    x = rng.normal(size=(3, 4, 2))
    assert gradcheck(fn, x)
    t = descend.autograd.Tensor(x, requires_grad=True)
    fn(t).backward()
    grad = np.abs(t.grad).sum(axis=-1)
    assert np.all(grad[~mask] == 0.0)
    assert np.all(grad[mask] > 0.0)


def test_training_does_not_see_masked_targets():
    """Changing the labels of masked steps changes nothing: not the loss, not the weights."""
    histories = []
    finals = []
    for seed in (0, 1):
        descend.utils.set_random_seed(7)
        model = _model(descend)
        model.compile(optimizer="adam", loss=SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"])
        y = _labels(0)
        y[~MASK] = _labels(seed + 10)[~MASK]
        h = model.fit(X, y, epochs=2, batch_size=2, verbose=0, shuffle=False)
        histories.append(h.history)
        finals.append(model.get_weights())
    assert histories[0] == histories[1]
    for a, b in zip(*finals, strict=True):
        np.testing.assert_array_equal(a, b)


PASS_THROUGH = [
    lambda: layers.Dense(4), lambda: layers.Activation("relu"), lambda: layers.ReLU(),
    lambda: layers.ELU(), lambda: layers.LeakyReLU(), lambda: layers.PReLU(),
    lambda: layers.Dropout(0.5), lambda: layers.GaussianNoise(0.1),
    lambda: layers.GaussianDropout(0.1), lambda: layers.AlphaDropout(0.1),
    lambda: layers.BatchNormalization(), lambda: layers.LayerNormalization(),
    lambda: layers.UnitNormalization(), lambda: layers.GroupNormalization(groups=1),
    lambda: layers.Identity(), lambda: layers.Rescaling(2.0),
    lambda: layers.ActivityRegularization(l1=0.01), lambda: layers.SpatialDropout1D(0.3),
    lambda: layers.Normalization(mean=0.0, variance=1.0),
]


@pytest.mark.parametrize("make", PASS_THROUGH)
@pytest.mark.parametrize("training", [False, True])
def test_mask_passes_through(make, training):
    layer = make()
    assert layer.supports_masking is True
    emb = layers.Embedding(8, 5, mask_zero=True)
    out = layer(emb(X), training=training)
    np.testing.assert_array_equal(get_mask(out), MASK)


@pytest.mark.parametrize("make", PASS_THROUGH[:3])
def test_mask_passes_through_in_models(make):
    seq = descend.Sequential([descend.Input((4,)), layers.Embedding(8, 5, mask_zero=True),
                              make(), make(), layers.LSTM(3, return_sequences=True),
                              layers.Dense(2), layers.Dense(2)])
    for out in (seq(X), seq._forward([X], True)[0]):
        np.testing.assert_array_equal(get_mask(out), MASK)
    inputs = descend.Input((4,), dtype="int32")
    h = make()(layers.Embedding(8, 5, mask_zero=True)(inputs))
    fun = descend.Model(inputs, layers.Dense(2)(h))
    for out in (fun(X), fun._forward([X], False)[0]):
        np.testing.assert_array_equal(get_mask(out), MASK)


def test_layers_without_masking_drop_the_mask():
    out = layers.Flatten()(layers.Embedding(8, 5, mask_zero=True)(X))
    assert get_mask(out) is None
    out = layers.GlobalAveragePooling1D()(layers.Embedding(8, 5, mask_zero=True)(X))
    assert get_mask(out) is None


def test_merge_layers_combine_masks_as_keras():
    a = layers.Embedding(8, 5, mask_zero=True)(X)
    other = np.array([[0, 1, 1, 0], [1, 0, 0, 0], [0, 0, 0, 1], [1, 1, 1, 1]])
    b = layers.Embedding(8, 5, mask_zero=True)(other)
    either = MASK | (other != 0)
    for merge in (layers.Add(), layers.Subtract(), layers.Multiply(), layers.Average(),
                  layers.Maximum(), layers.Minimum()):
        np.testing.assert_array_equal(get_mask(merge([a, b])), either)
    plain = descend.autograd.Tensor(np.ones((4, 4, 5), "float32"))
    assert get_mask(layers.Add()([a, plain])) is None  # one input without a mask: none
    # Concatenate on the feature axis: a step is kept if any input keeps it
    np.testing.assert_array_equal(get_mask(layers.Concatenate()([a, b])), either)
    np.testing.assert_array_equal(get_mask(layers.Concatenate()([a, plain])), np.ones((4, 4)))
    # along the time axis the masks are joined
    np.testing.assert_array_equal(get_mask(layers.Concatenate(axis=1)([a, b])),
                                  np.concatenate([MASK, other != 0], axis=1))
    assert get_mask(layers.Dot(axes=-1)([a, b])) is None


def test_multi_head_attention_reads_and_passes_masks():
    emb = layers.Embedding(8, 4, mask_zero=True)
    x = emb(X)
    mha = layers.MultiHeadAttention(2, 3, seed=0)
    out, scores = mha(x, x, return_attention_scores=True)
    np.testing.assert_array_equal(get_mask(out), MASK)
    assert get_mask(scores) is None
    # keys at padded steps get no attention, as with an explicit mask
    explicit = mha(x, x, query_mask=MASK, value_mask=MASK, return_attention_scores=True)[1]
    np.testing.assert_allclose(scores.data, explicit.data)
    hidden = MASK[:, None, :, None] & ~MASK[:, None, None, :]  # real query, padded key
    assert np.all(scores.data[np.broadcast_to(hidden, scores.shape)] == 0.0)


@pytest.mark.parametrize("training", [False, True])
def test_pass_through_costs_no_fast_path(training):
    """A Dense-only model keeps its array inference path (no mask-creating layer)."""
    from descend.layers._masks import any_mask_aware

    model = descend.Sequential([descend.Input((3,)), layers.Dense(4), layers.Dropout(0.1),
                                layers.Dense(1)])
    assert not any_mask_aware(model.layers)
    assert any_mask_aware([layers.Embedding(3, 2, mask_zero=True), layers.Dense(2)])
    out = model(np.ones((2, 3), "float32"), training=training)
    assert get_mask(out) is None


def test_unmasked_output_unchanged():
    model = descend.Sequential([descend.Input((4,)), layers.Embedding(8, 5),
                                layers.LSTM(3, return_sequences=True), layers.Dense(3)])
    model.compile(optimizer="sgd", loss=SparseCategoricalCrossentropy(from_logits=True))
    y = _labels()
    logits = model.predict(X, verbose=0).astype(np.float64)
    per_step = -np.take_along_axis(_log_softmax(logits), y[..., None], -1)[..., 0]
    np.testing.assert_allclose(model.evaluate(X, y, verbose=0, batch_size=4),
                               per_step.mean(), rtol=1e-5)
    assert ops is not None
