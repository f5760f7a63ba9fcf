"""Losses: Keras math (clipping, renormalisation, smoothing, reductions), gradients, lookup
and the label validation that runs before training."""

import warnings

import numpy as np
import pytest

from descend import losses
from descend.autograd import Tensor, gradcheck

RNG = np.random.default_rng(0)
EPS = 1e-7


def _softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


LOGITS = RNG.normal(size=(5, 4))
PROBS = _softmax(LOGITS)
IDS = np.array([0, 3, 1, 2, 3])
ONE_HOT = np.eye(4)[IDS]
BIN_T = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
BIN_P = np.array([[0.8, 0.3, 0.6], [0.1, 0.45, 0.9]])
REG_T = RNG.normal(size=(4, 3))
REG_P = REG_T + np.array(
    [[0.3, -0.6, 1.7], [-2.2, 0.45, 0.1], [0.8, -0.2, -1.4], [0.05, 2.5, -0.7]]
)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _logcosh(x):
    return np.log(np.cosh(x))


def _norm(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


# name -> (function call, y_true, y_pred, NumPy reference per sample)
CASES = {
    "mse": (losses.mean_squared_error, REG_T, REG_P, lambda t, p: ((t - p) ** 2).mean(-1)),
    "mae": (losses.mean_absolute_error, REG_T, REG_P, lambda t, p: np.abs(t - p).mean(-1)),
    "mape": (losses.mean_absolute_percentage_error, REG_T, REG_P,
             lambda t, p: 100 * np.abs((t - p) / np.abs(t)).mean(-1)),
    "msle": (losses.mean_squared_logarithmic_error, np.abs(REG_T), np.abs(REG_P) + 0.1,
             lambda t, p: ((np.log1p(p) - np.log1p(t)) ** 2).mean(-1)),
    "huber": (losses.huber, REG_T, REG_P,
              lambda t, p: np.where(np.abs(p - t) <= 1, 0.5 * (p - t) ** 2,
                                    np.abs(p - t) - 0.5).mean(-1)),
    "log_cosh": (losses.log_cosh, REG_T, REG_P, lambda t, p: _logcosh(p - t).mean(-1)),
    "cosine_similarity": (losses.cosine_similarity, REG_T, REG_P,
                          lambda t, p: -(_norm(t) * _norm(p)).sum(-1)),
    "hinge": (losses.hinge, BIN_T, BIN_P - 0.5,
              lambda t, p: np.maximum(1 - (2 * t - 1) * p, 0).mean(-1)),
    "squared_hinge": (losses.squared_hinge, BIN_T, BIN_P - 0.5,
                      lambda t, p: (np.maximum(1 - (2 * t - 1) * p, 0) ** 2).mean(-1)),
    "categorical_hinge": (losses.categorical_hinge, ONE_HOT, LOGITS * 0.3,
                          lambda t, p: np.maximum(((1 - t) * p).max(-1) - (t * p).sum(-1) + 1,
                                                  0)),
    "poisson": (losses.poisson, np.abs(REG_T), np.abs(REG_P) + 0.1,
                lambda t, p: (p - t * np.log(p + EPS)).mean(-1)),
    "kl_divergence": (losses.kl_divergence, _softmax(LOGITS[::-1]), PROBS,
                      lambda t, p: (t * np.log(t / p)).sum(-1)),
    "binary_crossentropy": (losses.binary_crossentropy, BIN_T, BIN_P,
                            lambda t, p: -(t * np.log(p) + (1 - t) * np.log(1 - p)).mean(-1)),
    "categorical_crossentropy": (losses.categorical_crossentropy, ONE_HOT, PROBS,
                                 lambda t, p: -(t * np.log(p)).sum(-1)),
    "sparse_categorical_crossentropy": (losses.sparse_categorical_crossentropy, IDS, PROBS,
                                        lambda t, p: -np.log(p[np.arange(len(t)), t])),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_function_values(name):
    fn, t, p, reference = CASES[name]
    out = fn(t, Tensor(p))
    np.testing.assert_allclose(out.data, reference(t, p), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", sorted(CASES))
def test_function_gradcheck(name):
    fn, t, p, _ = CASES[name]
    assert gradcheck(lambda x: fn(t, x), p)


LOGIT_CASES = [
    ("binary_crossentropy", lambda t, x: losses.binary_crossentropy(t, x, from_logits=True),
     BIN_T, np.array([[1.5, -0.7, 0.3], [-2.0, 0.1, 2.4]])),
    ("categorical_crossentropy",
     lambda t, x: losses.categorical_crossentropy(t, x, from_logits=True), ONE_HOT, LOGITS),
    ("sparse_categorical_crossentropy",
     lambda t, x: losses.sparse_categorical_crossentropy(t, x, from_logits=True), IDS, LOGITS),
]


@pytest.mark.parametrize("name, fn, t, z", LOGIT_CASES)
def test_from_logits_equals_probabilities(name, fn, t, z):
    probs = _sigmoid(z) if name == "binary_crossentropy" else _softmax(z)
    plain = dict(CASES)[name][0](t, Tensor(probs)).data
    np.testing.assert_allclose(fn(t, Tensor(z)).data, plain, rtol=1e-6)
    assert gradcheck(lambda x: fn(t, x), z)


def test_probability_crossentropy_renormalises_then_clips():
    p = np.array([[0.2, 0.2, 0.4], [0.0, 0.5, 0.5]])
    t = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    out = losses.categorical_crossentropy(t, Tensor(p)).data
    np.testing.assert_allclose(out, [-np.log(0.5), -np.log(EPS)], rtol=1e-6)
    sparse = losses.sparse_categorical_crossentropy(np.array([2, 0]), Tensor(p)).data
    np.testing.assert_allclose(sparse, out, rtol=1e-12)
    q = np.array([[0.3, 0.3, 0.6], [0.2, 0.5, 0.5]])  # unnormalised, away from the clip
    assert gradcheck(lambda x: losses.categorical_crossentropy(t, x), q)


def test_binary_crossentropy_clips_at_epsilon():
    out = losses.binary_crossentropy(np.array([[0.0, 1.0]]), Tensor(np.array([[1.0, 0.0]])))
    assert out.data[0] == pytest.approx(-np.log(EPS), rel=1e-6)


def test_label_smoothing():
    ls = 0.2
    t_bin = BIN_T * (1 - ls) + 0.5 * ls
    out = losses.binary_crossentropy(BIN_T, Tensor(BIN_P), label_smoothing=ls).data
    ref = -(t_bin * np.log(BIN_P) + (1 - t_bin) * np.log(1 - BIN_P)).mean(-1)
    np.testing.assert_allclose(out, ref, rtol=1e-7)
    t_cat = ONE_HOT * (1 - ls) + ls / 4
    out = losses.CategoricalCrossentropy(label_smoothing=ls, reduction="none")(ONE_HOT,
                                                                              Tensor(PROBS))
    np.testing.assert_allclose(out.data, -(t_cat * np.log(PROBS)).sum(-1), rtol=1e-7)
    logits_out = losses.categorical_crossentropy(ONE_HOT, Tensor(LOGITS), from_logits=True,
                                                 label_smoothing=ls)
    np.testing.assert_allclose(logits_out.data, out.data, rtol=1e-6)
    assert gradcheck(lambda x: losses.categorical_crossentropy(
        ONE_HOT, x, from_logits=True, label_smoothing=ls), LOGITS)
    with pytest.raises(ValueError, match="label_smoothing"):
        losses.BinaryCrossentropy(label_smoothing=1.5)


def test_categorical_axis():
    out = losses.categorical_crossentropy(ONE_HOT.T, Tensor(PROBS.T), axis=0).data
    np.testing.assert_allclose(out, CASES["categorical_crossentropy"][3](ONE_HOT, PROBS))
    # (gradcheck perturbs its input in place: give it a C-contiguous copy)
    probs_t = np.ascontiguousarray(PROBS.T)
    assert gradcheck(lambda x: losses.categorical_crossentropy(ONE_HOT.T, x, axis=0), probs_t)
    out = losses.sparse_categorical_crossentropy(IDS, Tensor(PROBS.T), axis=0).data
    np.testing.assert_allclose(out, CASES["sparse_categorical_crossentropy"][3](IDS, PROBS))


def test_categorical_on_one_unit_warns():
    with pytest.warns(SyntaxWarning, match="binary_crossentropy"):
        losses.categorical_crossentropy(np.ones((3, 1)), Tensor(np.full((3, 1), 0.5)))


def test_shape_mismatch_errors():
    with pytest.raises(ValueError, match="must have the same shape"):
        losses.binary_crossentropy(np.ones((3,)), Tensor(np.full((3, 2), 0.5)))
    with pytest.raises(ValueError, match="must have the same shape"):
        losses.categorical_crossentropy(np.ones((3, 2)), Tensor(np.full((3, 4), 0.25)))
    with pytest.raises(ValueError, match="up until the last dimension"):
        losses.sparse_categorical_crossentropy(np.ones((3, 4)), Tensor(PROBS[:3]))
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy: .*class ids"):
        losses.sparse_categorical_crossentropy(np.array([0, 9, 1, 2, 3]), Tensor(PROBS))


# ------------------------------------------------------------------ loss objects
def test_reductions_and_zero_weight_samples_count():
    loss = losses.MeanSquaredError
    t, p = REG_T, REG_P
    per_sample = ((t - p) ** 2).mean(-1)
    w = np.array([1.0, 0.0, 2.0, 0.5])
    assert loss()(t, Tensor(p)).item() == pytest.approx(per_sample.mean())
    # zero-weight samples stay in the denominator (Keras's sum_over_batch_size)
    assert loss()(t, Tensor(p), sample_weight=w).item() == pytest.approx(
        (per_sample * w).sum() / 4)
    assert loss(reduction="mean")(t, Tensor(p), sample_weight=w).item() == pytest.approx(
        (per_sample * w).sum() / 4)
    assert loss(reduction="sum")(t, Tensor(p), sample_weight=w).item() == pytest.approx(
        (per_sample * w).sum())
    assert loss(reduction="mean_with_sample_weight")(t, Tensor(p), sample_weight=w).item() == \
        pytest.approx((per_sample * w).sum() / w.sum())
    for none in ("none", None):
        out = loss(reduction=none)(t, Tensor(p), sample_weight=w)
        np.testing.assert_allclose(out.data, per_sample * w)
    assert gradcheck(lambda x: loss()(t, x, sample_weight=w), p)
    assert gradcheck(lambda x: loss(reduction="mean_with_sample_weight")(t, x, w), p)


def test_weights_of_shape_n1_and_temporal_losses():
    t = RNG.normal(size=(3, 5, 2))
    p = RNG.normal(size=(3, 5, 2))
    per = ((t - p) ** 2).mean(-1)  # (3, 5)
    w = np.array([1.0, 2.0, 0.0])
    out = losses.MeanSquaredError()(t, Tensor(p), sample_weight=w).item()
    assert out == pytest.approx((per * w[:, None]).sum() / per.size)
    out = losses.MeanSquaredError()(t, Tensor(p), sample_weight=w[:, None]).item()
    assert out == pytest.approx((per * w[:, None]).sum() / per.size)
    with pytest.raises(ValueError, match="sample_weight"):
        losses.MeanSquaredError()(t, Tensor(p), sample_weight=np.ones(4))


def test_rank_fixup_labels_n_against_output_n1():
    y = np.array([1.0, 0.0, 1.0])
    p = np.array([[0.9], [0.2], [0.6]])
    bce = losses.BinaryCrossentropy()(y, Tensor(p)).item()
    assert bce == pytest.approx(-np.mean(np.log([0.9, 0.8, 0.6])), rel=1e-6)
    mse = losses.MeanSquaredError()(y, Tensor(p)).item()
    assert mse == pytest.approx(np.mean((y - p[:, 0]) ** 2))
    assert losses.SparseCategoricalCrossentropy()(IDS[:, None], Tensor(PROBS)).item() == \
        pytest.approx(CASES["sparse_categorical_crossentropy"][3](IDS, PROBS).mean())


def _graph_nodes(t):
    seen, stack = set(), [t]
    while stack:
        node = stack.pop()
        ctx = node._ctx
        if ctx is None or id(ctx) in seen:
            continue
        seen.add(id(ctx))
        stack.extend(ctx.parents)
    return len(seen)


def test_sparse_crossentropy_on_two_sigmoid_units_is_cheap():
    out = Tensor(np.array([[0.7, 0.4], [0.2, 0.9], [0.5, 0.5]]), requires_grad=True)
    loss = losses.get("sparse_categorical_crossentropy")
    wrapped = losses.resolve("sparse_categorical_crossentropy", (3,), (None, 2))
    value = wrapped(np.array([0, 1, 1]), out)
    assert _graph_nodes(value) <= 3
    assert _graph_nodes(wrapped(np.array([0, 1, 1]), out, sample_weight=np.ones(3))) <= 3
    assert callable(loss)
    ref = -np.log(np.array([0.7 / 1.1, 0.9 / 1.1, 0.5])).mean()
    assert value.item() == pytest.approx(ref, rel=1e-6)
    assert _graph_nodes(losses.CategoricalCrossentropy(from_logits=True)(
        np.eye(2)[[0, 1, 1]], out)) <= 2


def test_ignore_class_leaves_the_denominator():
    loss = losses.SparseCategoricalCrossentropy(ignore_class=-1)
    ids = np.array([0, -1, 1, 2, -1])
    per = CASES["sparse_categorical_crossentropy"][3](np.array([0, 0, 1, 2, 0]), PROBS)
    valid = ids != -1
    expected = per[valid].sum() / (3 + EPS) * 5 / 5
    assert loss(ids, Tensor(PROBS)).item() == pytest.approx(expected, rel=1e-6)
    assert gradcheck(lambda x: loss(ids, x), PROBS)
    raw = losses.sparse_categorical_crossentropy(ids, Tensor(PROBS), ignore_class=-1).data
    np.testing.assert_allclose(raw, np.where(valid, per, 0.0))


def test_float32_stays_float32():
    p = Tensor(PROBS.astype(np.float32))
    for name in ("categorical_crossentropy", "mse", "bce"):
        obj = losses.resolve(name, ONE_HOT.shape, p.shape)
        target = ONE_HOT if name != "bce" else (ONE_HOT > 0).astype(float)
        assert obj(target, p).dtype == np.float32


def test_user_function_and_subclass():
    from descend.autograd import ops

    def my_loss(y_true, y_pred):
        assert isinstance(y_true, Tensor)
        return ops.mean(ops.abs(y_pred - y_true) ** 3, axis=-1)

    wrapped = losses.resolve(my_loss, REG_T.shape, REG_P.shape)
    assert wrapped.name == "my_loss"
    assert wrapped(REG_T, Tensor(REG_P)).item() == pytest.approx(
        (np.abs(REG_P - REG_T) ** 3).mean())
    assert gradcheck(lambda x: wrapped(REG_T, x), REG_P)

    class Cubic(losses.Loss):
        def call(self, y_true, y_pred):
            return my_loss(y_true, y_pred)

    assert Cubic().name == "cubic"
    assert Cubic()(REG_T, Tensor(REG_P)).item() == pytest.approx(wrapped(REG_T,
                                                                         Tensor(REG_P)).item())


# ------------------------------------------------------------------ identifiers
@pytest.mark.parametrize(
    "name, target",
    [("mse", "mean_squared_error"), ("MSE", "mean_squared_error"),
     ("mae", "mean_absolute_error"), ("MAE", "mean_absolute_error"),
     ("mape", "mean_absolute_percentage_error"), ("msle", "mean_squared_logarithmic_error"),
     ("bce", "binary_crossentropy"), ("BCE", "binary_crossentropy"), ("kld", "kl_divergence"),
     ("huber", "huber"), ("logcosh", "log_cosh"), ("hinge", "hinge"),
     ("categorical_crossentropy", "categorical_crossentropy"),
     ("sparse_categorical_crossentropy", "sparse_categorical_crossentropy")],
)
def test_function_names(name, target):
    assert losses.get(name).__name__ == target


@pytest.mark.parametrize(
    "name, cls, default_name",
    [("MeanSquaredError", losses.MeanSquaredError, "mean_squared_error"),
     ("MeanAbsoluteError", losses.MeanAbsoluteError, "mean_absolute_error"),
     ("Huber", losses.Huber, "huber_loss"),
     ("BinaryCrossentropy", losses.BinaryCrossentropy, "binary_crossentropy"),
     ("CategoricalCrossentropy", losses.CategoricalCrossentropy, "categorical_crossentropy"),
     ("SparseCategoricalCrossentropy", losses.SparseCategoricalCrossentropy,
      "sparse_categorical_crossentropy"),
     ("KLDivergence", losses.KLDivergence, "kl_divergence"),
     ("LogCosh", losses.LogCosh, "log_cosh"), ("Poisson", losses.Poisson, "poisson"),
     ("CosineSimilarity", losses.CosineSimilarity, "cosine_similarity")],
)
def test_classes_defaults_and_config_round_trip(name, cls, default_name):
    obj = losses.get(name)
    assert type(obj) is cls
    assert obj.name == default_name
    assert obj.reduction == "sum_over_batch_size"
    again = losses.deserialize(losses.serialize(obj))
    assert type(again) is cls and again.get_config() == obj.get_config()
    assert cls.from_config(obj.get_config()).get_config() == obj.get_config()


def test_class_arguments_in_config():
    config = losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1).get_config()
    assert config == {"name": "binary_crossentropy", "reduction": "sum_over_batch_size",
                      "from_logits": True, "label_smoothing": 0.1, "axis": -1}
    assert losses.Huber().get_config()["delta"] == 1.0
    wrapper = losses.LossFunctionWrapper(losses.huber, name="h", delta=2.0)
    again = losses.LossFunctionWrapper.from_config(wrapper.get_config())
    assert again.fn is losses.huber and again._fn_kwargs == {"delta": 2.0}
    assert losses.serialize(losses.mse) == "mean_squared_error"
    assert losses.serialize(None) is None


@pytest.mark.parametrize(
    "identifier, y_shape, out_shape, fn",
    [("crossentropy", (8,), (None, 1), "binary_crossentropy"),
     ("ce", (8, 1), (None, 1), "binary_crossentropy"),
     ("CE", (8,), (None, 5), "sparse_categorical_crossentropy"),
     ("crossentropy", (8, 1), (None, 5), "sparse_categorical_crossentropy"),
     ("Crossentropy", (8, 5), (None, 5), "categorical_crossentropy")],
)
def test_resolve_crossentropy_by_shape(identifier, y_shape, out_shape, fn):
    loss = losses.resolve(identifier, y_shape, out_shape)
    assert loss.fn.__name__ == fn
    assert loss.name == identifier


def test_resolve_other_identifiers():
    assert losses.resolve("mse", (4,), (None, 1)).name == "mse"
    obj = losses.Huber(delta=3.0)
    assert losses.resolve(obj, (4,), (None, 1)) is obj
    assert losses.resolve(losses.binary_crossentropy, (4,), (None, 1)).name == \
        "binary_crossentropy"
    assert losses.resolve(None, (4,), (None, 1)) is None
    assert isinstance(losses.resolve("Huber", (4,), (None, 1)), losses.Huber)


def test_unknown_and_bad_identifiers():
    with pytest.raises(ValueError, match="Did you mean 'mean_squared_error'"):
        losses.get("mean_squared_eror")
    with pytest.raises(ValueError, match="Did you mean 'sparse_categorical_crossentropy'"):
        losses.resolve("sparse_categorial_crossentropy", (4,), (None, 3))
    with pytest.raises(TypeError, match="loss"):
        losses.get(42)
    with pytest.raises(ValueError, match="reduction"):
        losses.MeanSquaredError(reduction="average")
    with pytest.raises(TypeError, match="fn"):
        losses.LossFunctionWrapper("mse")
    with pytest.raises(ValueError, match="delta"):
        losses.Huber(delta=0)


# ------------------------------------------------------------------ validation
def _validate(identifier, y, out_shape):
    losses.resolve(identifier, y.shape, out_shape).validate(y, out_shape)


@pytest.mark.parametrize(
    "identifier, y, out_shape",
    [("sparse_categorical_crossentropy", np.array([0, 2, 1]), (None, 3)),
     ("sparse_categorical_crossentropy", np.array([[0], [2], [1]]), (None, 3)),
     ("sparse_categorical_crossentropy", np.array([0.0, 2.0, 1.0]), (3, 3)),
     ("categorical_crossentropy", np.eye(3), (None, 3)),
     ("categorical_crossentropy", np.ones((3, 1)), (None, 1)),
     ("binary_crossentropy", np.array([0, 1, 1]), (None, 1)),
     ("binary_crossentropy", np.array([[0.2], [1.0], [0.0]]), (None, 1)),
     ("binary_crossentropy", np.eye(3), (None, 3)),
     ("mse", np.array([0.5, 2.0, -1.0]), (None, 1)),
     ("mse", np.ones((3, 2)), (None, 2)),
     ("ce", np.array([0, 1, 4]), (None, 5)),
     ("huber", np.ones((3, 1)), (None, 1))],
)
def test_validate_accepts_good_labels(identifier, y, out_shape):
    _validate(identifier, y, out_shape)


@pytest.mark.parametrize(
    "identifier, y, out_shape, exc, patterns",
    [
        ("sparse_categorical_crossentropy", np.eye(4)[[0, 1, 3]], (None, 4), ValueError,
         ["sparse_categorical_crossentropy", "one-hot", "categorical_crossentropy",
          r"y\.argmax\(-1\)"]),
        ("sparse_categorical_crossentropy", np.array([0, 4, 1]), (None, 4), ValueError,
         ["0..3", "up to 4", "units"]),
        ("sparse_categorical_crossentropy", np.array([0, 1, 1]), (None, 1), ValueError,
         ["binary_crossentropy"]),
        ("sparse_categorical_crossentropy", np.array([0, -1, 1]), (None, 4), ValueError,
         ["negative"]),
        ("sparse_categorical_crossentropy", np.array([0.0, 0.5, 1.0]), (None, 4), ValueError,
         ["non-integer", "0.5"]),
        ("sparse_categorical_crossentropy", np.zeros((3, 2, 2)), (None, 4), ValueError,
         ["same shape up until the last dimension"]),
        ("categorical_crossentropy", np.array([0, 2, 1]), (None, 3), ValueError,
         ["categorical_crossentropy", "one-hot", "sparse_categorical_crossentropy",
          r"to_categorical\(y, 3\)"]),
        ("categorical_crossentropy", np.array([[0], [2], [1]]), (None, 3), ValueError,
         ["sparse_categorical_crossentropy"]),
        ("categorical_crossentropy", np.eye(3), (None, 4), ValueError,
         ["must have the same shape", "3 columns"]),
        ("binary_crossentropy", np.array([0, 2, 1]), (None, 1), ValueError, [r"\[0, 1\]"]),
        ("binary_crossentropy", np.array([-1.0, 1.0, 1.0]), (None, 1), ValueError,
         ["hinge"]),
        ("binary_crossentropy", np.array([0, 2, 1]), (None, 3), ValueError,
         ["same shape", "sparse_categorical_crossentropy"]),
        ("mse", np.ones((3, 3)), (None, 2), ValueError, ["do not match"]),
        ("mse", np.array(["a", "b", "c"]), (None, 1), TypeError, ["numeric"]),
        ("mse", np.array([1.0, np.nan, 0.0]), (None, 1), ValueError, ["NaN"]),
        ("mse", np.ones(5), (3, 1), ValueError, ["5 labels for 3 predictions"]),
        ("ce", np.eye(3), (None, 4), ValueError, ["Loss 'ce' \\(categorical_crossentropy\\)"]),
    ],
)
def test_validate_rejects_bad_labels(identifier, y, out_shape, exc, patterns):
    with pytest.raises(exc) as info:
        _validate(identifier, y, out_shape)
    message = str(info.value)
    for pattern in patterns:
        assert __import__("re").search(pattern, message), (pattern, message)


def test_validate_ignore_class_and_user_losses():
    loss = losses.SparseCategoricalCrossentropy(ignore_class=255)
    loss.validate(np.array([0, 255, 2]), (None, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        losses.resolve(lambda t, p: (p - t) ** 2, (3,), (None, 1)).validate(np.ones(3),
                                                                             (None, 1))
