"""Keras 3 losses added for issue 16: focal cross-entropies, Dice, Tversky, Circle, GCE.

Expected values were computed with Keras 3.15 (torch backend) on the same inputs
and are hard-coded; the gradients are checked against float64 central differences.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from descend import losses
from descend.autograd import Tensor, gradcheck

YT = np.array([[1, 0, 1], [0, 1, 0]], dtype="float32")
YP = np.array([[0.9, 0.2, 0.6], [0.3, 0.7, 0.05]], dtype="float32")
CT = np.array([[0, 1, 0], [0, 0, 1]], dtype="float32")
CP = np.array([[0.1, 0.7, 0.2], [0.3, 0.3, 0.4]], dtype="float32")


def T(a):
    return Tensor(np.asarray(a, dtype="float32"))


def embeddings():
    emb = np.random.RandomState(0).randn(5, 4)
    return emb / np.linalg.norm(emb, axis=1, keepdims=True)


LABELS = np.array([0, 1, 0, 1, 2])


def test_binary_focal_matches_keras():
    np.testing.assert_allclose(losses.binary_focal_crossentropy(YT, T(YP)).data,
                               [0.03057048, 0.02144324], rtol=1e-5)
    assert losses.BinaryFocalCrossentropy()(YT, T(YP)).item() == pytest.approx(0.026006859, 1e-5)
    loss = losses.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.3, gamma=1.5,
                                          from_logits=True, label_smoothing=0.1)
    assert loss(YT, T(YP * 4 - 2)).item() == pytest.approx(0.028569248, 1e-5)


def test_binary_focal_gamma_zero_is_binary_crossentropy():
    a = losses.BinaryFocalCrossentropy(gamma=0.0)(YT, T(YP)).item()
    b = losses.BinaryCrossentropy()(YT, T(YP)).item()
    assert a == pytest.approx(b, rel=1e-6)


def test_categorical_focal_matches_keras_and_formula():
    np.testing.assert_allclose(losses.categorical_focal_crossentropy(CT, T(CP)).data,
                               [0.00802519, 0.08246616], rtol=1e-5)
    expected = np.sum(0.25 * (1 - CP) ** 2 * -CT * np.log(CP), axis=-1)
    np.testing.assert_allclose(losses.categorical_focal_crossentropy(CT, T(CP)).data, expected,
                               rtol=1e-5)
    loss = losses.CategoricalFocalCrossentropy(alpha=0.5, gamma=1.0, from_logits=True,
                                               label_smoothing=0.2)
    assert loss(CT, T(CP * 3)).item() == pytest.approx(0.222556, 1e-5)


def test_dice_and_tversky_match_keras():
    assert losses.Dice()(YT, T(YP)).item() == pytest.approx(0.2347827, 1e-5)
    assert losses.Dice(axis=1)(YT, T(YP)).item() == pytest.approx(0.25313118, 1e-5)
    np.testing.assert_allclose(losses.Dice(axis=1, reduction=None)(YT, T(YP)).data,
                               [0.1891892, 0.31707317], rtol=1e-5)
    assert losses.Tversky()(YT, T(YP)).item() == pytest.approx(0.2347827, 1e-5)
    np.testing.assert_allclose(
        losses.Tversky(alpha=0.3, beta=0.7, axis=1, reduction=None)(YT, T(YP)).data,
        [0.1620112, 0.32367158], rtol=1e-5)


def test_circle_matches_keras_and_masks_zero_losses():
    emb = embeddings().astype("float32")
    per_sample = losses.Circle(reduction=None)(LABELS, T(emb)).data
    np.testing.assert_allclose(per_sample, [43.657669, 35.102501, 9.8924898e-04, 42.453876, 0.0],
                               rtol=1e-4, atol=1e-6)
    # the sample without a positive partner (label 2) has loss 0 and leaves the mean
    assert losses.Circle()(LABELS, T(emb)).item() == pytest.approx(per_sample[:4].mean(), 1e-5)
    assert losses.Circle()(LABELS, T(emb)).item() == pytest.approx(30.30376, 1e-5)
    loss = losses.Circle(gamma=10, margin=0.25, remove_diagonal=False)
    assert loss(LABELS, T(emb)).item() == pytest.approx(6.01556, 1e-5)
    np.testing.assert_allclose(losses.circle(LABELS, T(emb), gamma=10).data,
                               [5.4661174, 4.4117618, 0.61318034, 5.3229437, 0.0], rtol=1e-4)


def test_generalized_cross_entropy_matches_keras():
    loss = losses.CategoricalGeneralizedCrossEntropy()
    assert loss(np.array([1, 2]), T(CP)).item() == pytest.approx(0.53088444, 1e-6)
    assert loss(np.array([[1], [2]]), T(CP)).item() == pytest.approx(0.53088444, 1e-6)
    values = losses.categorical_generalized_cross_entropy(np.array([1, 2]), T(CP), q=0.3)
    np.testing.assert_allclose(values.data, (1 - np.array([0.7, 0.4]) ** 0.3) / 0.3, rtol=1e-5)


GRAD_CASES = {
    "binary_focal": lambda p: losses.BinaryFocalCrossentropy(apply_class_balancing=True)(YT, p),
    "binary_focal_logits": lambda p: losses.BinaryFocalCrossentropy(
        from_logits=True, label_smoothing=0.1)(YT, p),
    "categorical_focal": lambda p: losses.CategoricalFocalCrossentropy(gamma=1.5)(CT, p),
    "categorical_focal_logits": lambda p: losses.CategoricalFocalCrossentropy(
        from_logits=True)(CT, p),
    "dice": lambda p: losses.Dice()(YT, p),
    "dice_axis": lambda p: losses.Dice(axis=1)(YT, p),
    "tversky": lambda p: losses.Tversky(alpha=0.2, beta=0.8, axis=-1)(YT, p),
    "gce": lambda p: losses.CategoricalGeneralizedCrossEntropy(q=0.3)(np.array([1, 2]), p),
}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_gradcheck(name):
    p = CP if name.startswith(("categorical", "gce")) else YP
    gradcheck(GRAD_CASES[name], np.asarray(p, dtype=np.float64))


def test_circle_gradcheck():
    emb = embeddings()
    gradcheck(lambda e: losses.Circle(gamma=4.0)(LABELS, e), emb)
    ref = np.random.RandomState(1).randn(3, 4)
    gradcheck(lambda e, r: losses.circle(LABELS, e, ref_labels=[0, 1, 2], ref_embeddings=r,
                                         gamma=4.0), emb, ref)


@pytest.mark.parametrize("cls, kwargs", [
    (losses.BinaryFocalCrossentropy, {"alpha": 0.4, "gamma": 1.0, "apply_class_balancing": True}),
    (losses.CategoricalFocalCrossentropy, {"alpha": 0.5, "label_smoothing": 0.1}),
    (losses.Dice, {"axis": [1, 2]}),
    (losses.Tversky, {"alpha": 0.2, "beta": 0.8}),
    (losses.Circle, {"gamma": 32.0, "margin": 0.3, "remove_diagonal": False}),
    (losses.CategoricalGeneralizedCrossEntropy, {"q": 0.7}),
])
def test_config_round_trip(cls, kwargs):
    loss = cls(**kwargs)
    config = json.loads(json.dumps(losses.serialize(loss)))
    again = losses.deserialize(config)
    assert type(again) is cls and again.get_config() == loss.get_config()
    for key, value in kwargs.items():
        expected = tuple(value) if isinstance(value, list) else value
        got = again.get_config()[key]
        assert (tuple(got) if isinstance(got, list) else got) == expected


def test_keras_config_keys():
    assert set(losses.BinaryFocalCrossentropy().get_config()) == {
        "name", "reduction", "from_logits", "label_smoothing", "axis", "apply_class_balancing",
        "alpha", "gamma"}
    assert set(losses.Circle().get_config()) == {"name", "reduction", "gamma", "margin",
                                                 "remove_diagonal"}
    assert losses.Tversky().get_config()["axis"] is None


@pytest.mark.parametrize("name, expected", [
    ("binary_focal_crossentropy", losses.binary_focal_crossentropy),
    ("categorical_focal_crossentropy", losses.categorical_focal_crossentropy),
    ("dice", losses.dice), ("tversky", losses.tversky), ("circle", losses.circle),
])
def test_strings_resolve(name, expected):
    assert losses.get(name) is expected


@pytest.mark.parametrize("name", ["BinaryFocalCrossentropy", "CategoricalFocalCrossentropy",
                                  "Dice", "Tversky", "Circle",
                                  "CategoricalGeneralizedCrossEntropy"])
def test_class_names_resolve(name):
    assert type(losses.get(name)).__name__ == name


def test_bad_inputs_name_the_object_and_argument():
    with pytest.raises(ValueError, match="CategoricalGeneralizedCrossEntropy.*q"):
        losses.CategoricalGeneralizedCrossEntropy(q=1.5)
    with pytest.raises(ValueError, match="BinaryFocalCrossentropy.*gamma"):
        losses.BinaryFocalCrossentropy(gamma=-1)
    with pytest.raises(ValueError, match="CategoricalFocalCrossentropy.*label_smoothing"):
        losses.CategoricalFocalCrossentropy(label_smoothing=2)
    with pytest.raises(ValueError, match="Dice.*axis"):
        losses.Dice(axis="rows")
    with pytest.raises(ValueError, match="Tversky.*alpha"):
        losses.Tversky(alpha="a")
    with pytest.raises(ValueError, match="circle.*label"):
        losses.Circle()(np.array([0, 1]), T(embeddings()))
    with pytest.raises(ValueError, match="categorical_generalized_cross_entropy.*class ids"):
        losses.CategoricalGeneralizedCrossEntropy()(np.array([0, 3]), T(CP))
    with pytest.raises(ValueError, match="categorical_focal_crossentropy.*same shape"):
        losses.categorical_focal_crossentropy(np.array([1, 2]), T(CP))


def test_focal_trains_a_model():
    import descend
    from descend import layers

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("float32")
    model = descend.Sequential([layers.Input((3,)), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_focal_crossentropy")
    hist = model.fit(x, y, epochs=15, batch_size=16, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]


# ------------------------------------------------------------------------------ CTC
CTC_LABELS = np.array([[1, 2, 0], [3, 3, 0], [4, 1, 2], [0, 0, 0]])


def ctc_logits():
    return np.random.default_rng(0).normal(size=(4, 6, 5)).astype("float32")


def test_ctc_matches_keras():
    per_sample = losses.ctc(CTC_LABELS, T(ctc_logits())).data
    np.testing.assert_allclose(per_sample, [6.4669466, 7.0219789, 6.4789310, 12.8415899],
                               rtol=1e-5)
    logits = Tensor(ctc_logits(), requires_grad=True)
    loss = losses.CTC()(CTC_LABELS, logits)
    assert loss.item() == pytest.approx(8.20236206, rel=1e-6)
    loss.backward()
    np.testing.assert_allclose(logits.grad[0, 0], [-0.10181148, -0.05850071, 0.08464905,
                                                   0.04955045, 0.0261127], atol=2e-6)


def test_ctc_by_enumerating_alignments():
    """Two steps, label (1): the paths 1-1, 1-blank, blank-1 reduce to it."""
    logits = np.random.default_rng(3).normal(size=(1, 2, 3))
    p = np.exp(logits[0]) / np.exp(logits[0]).sum(axis=-1, keepdims=True)
    expected = -np.log(p[0, 1] * p[1, 1] + p[0, 1] * p[1, 0] + p[0, 0] * p[1, 1])
    got = losses.ctc(np.array([[1]]), Tensor(logits)).data[0]
    assert got == pytest.approx(expected, rel=1e-10)
    # a repeated label needs a blank between: (1, 1) in 3 steps has the single path 1-0-1
    logits = np.random.default_rng(4).normal(size=(1, 3, 2))
    p = np.exp(logits[0]) / np.exp(logits[0]).sum(axis=-1, keepdims=True)
    got = losses.ctc(np.array([[1, 1]]), Tensor(logits)).data[0]
    assert got == pytest.approx(-np.log(p[0, 1] * p[1, 0] * p[2, 1]), rel=1e-10)


def test_ctc_impossible_label_is_inf():
    assert np.isinf(losses.ctc(np.array([[1, 1, 1, 1]]), T(ctc_logits()[:1, :3])).data[0])


def test_ctc_gradcheck():
    logits = np.random.default_rng(5).normal(size=(3, 5, 4))
    gradcheck(lambda x: losses.CTC()(np.array([[1, 2], [3, 0], [2, 2]]), x), logits)


def test_ctc_config_and_errors():
    assert losses.CTC().get_config() == {"name": "ctc", "reduction": "sum_over_batch_size"}
    assert losses.get("ctc") is losses.ctc
    assert type(losses.deserialize(losses.serialize(losses.CTC()))) is losses.CTC
    with pytest.raises(ValueError, match="ctc: targets `y_true`"):
        losses.ctc(np.array([1, 2]), T(ctc_logits()))
    with pytest.raises(ValueError, match="ctc: logits `y_pred`"):
        losses.ctc(CTC_LABELS, T(np.zeros((4, 5))))
    with pytest.raises(ValueError, match=r"ctc: class ids in y_true must be in \[0, 5\)"):
        losses.ctc(np.array([[7]]), T(ctc_logits()[:1]))
