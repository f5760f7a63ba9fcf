"""Metrics: Keras's accuracy resolution by shapes, names as typed, values against NumPy."""

import numpy as np
import pytest

from descend import losses, metrics
from descend.autograd import Tensor

RNG = np.random.default_rng(1)


# ----------------------------------------------------------- accuracy resolution (§2)
@pytest.mark.parametrize(
    "identifier, y_shape, out_shape, cls",
    [
        ("accuracy", (100, 1), (None, 1), metrics.BinaryAccuracy),
        ("accuracy", (100,), (None, 1), metrics.BinaryAccuracy),
        ("acc", (100,), (100, 1), metrics.BinaryAccuracy),
        ("accuracy", (100,), (None, 10), metrics.SparseCategoricalAccuracy),
        ("acc", (100, 1), (None, 10), metrics.SparseCategoricalAccuracy),
        ("accuracy", (100, 10), (None, 10), metrics.CategoricalAccuracy),
        # multi-label sigmoid outputs get categorical accuracy, as in Keras
        ("accuracy", (100, 3), (None, 3), metrics.CategoricalAccuracy),
        ("Accuracy", (100, 5, 1), (None, 5, 4), metrics.SparseCategoricalAccuracy),
        ("ACC", (100, 5), (None, 5, 4), metrics.SparseCategoricalAccuracy),
    ],
)
def test_accuracy_resolved_by_shapes_with_name_as_typed(identifier, y_shape, out_shape, cls):
    metric = metrics.resolve(identifier, y_shape, out_shape)
    assert type(metric) is cls
    assert metric.name == identifier
    assert metric._direction == "up"


def test_binary_accuracy_threshold_is_half_even_for_logits():
    metric = metrics.resolve("accuracy", (4,), (None, 1))
    metric.update_state(np.array([1, 0, 1, 0]), np.array([[0.3], [-2.0], [0.7], [0.1]]))
    assert metric.result() == 0.75  # 0.3 is a positive logit but below 0.5
    assert metric.threshold == 0.5


def test_other_identifiers_get_the_typed_name():
    m = metrics.resolve("mae", (4,), (None, 1))
    assert type(m) is metrics.MeanAbsoluteError and m.name == "mae"
    m = metrics.resolve("mean_squared_error", (4,), (None, 1))
    assert type(m) is metrics.MeanSquaredError and m.name == "mean_squared_error"
    m = metrics.resolve("binary_crossentropy", (4,), (None, 1))
    assert type(m) is metrics.BinaryCrossentropy and m._direction == "down"
    m = metrics.resolve(metrics.categorical_crossentropy, (4, 3), (None, 3))
    assert isinstance(m, metrics.MeanMetricWrapper) and m.name == "categorical_crossentropy"
    own = metrics.AUC(name="roc")
    assert metrics.resolve(own, (4,), (None, 1)) is own and own.name == "roc"
    assert metrics.resolve(None, (4,), (None, 1)) is None


def test_loss_functions_are_metrics_functions():
    assert metrics.categorical_crossentropy is losses.categorical_crossentropy
    for name in ("binary_crossentropy", "sparse_categorical_crossentropy", "mean_squared_error",
                 "mean_absolute_error", "kl_divergence", "poisson", "hinge", "mse", "mae"):
        assert callable(getattr(metrics, name))
    assert type(metrics.get("categorical_crossentropy")) is metrics.CategoricalCrossentropy


# ------------------------------------------------------------------------ values
def test_accuracy_family_values():
    y_ids = np.array([0, 2, 1, 2])
    probs = np.array([[0.6, 0.3, 0.1], [0.2, 0.3, 0.5], [0.5, 0.4, 0.1], [0.1, 0.45, 0.45]])
    sca = metrics.SparseCategoricalAccuracy()
    sca.update_state(y_ids, probs)
    assert sca.result() == 0.5  # the tie in the last row goes to the first maximum
    sca.update_state(y_ids[:, None].astype(float), probs)
    assert sca.result() == 0.5
    ca = metrics.CategoricalAccuracy()
    ca.update_state(np.eye(3)[y_ids], probs)
    assert ca.result() == 0.5
    top2 = metrics.SparseTopKCategoricalAccuracy(k=2)
    top2.update_state(y_ids, probs)
    assert top2.result() == 1.0  # ties at the k-th score count as in the top k
    top1 = metrics.TopKCategoricalAccuracy(k=1)
    top1.update_state(np.eye(3)[y_ids], probs)
    assert top1.result() == 0.75
    acc = metrics.Accuracy()
    acc.update_state([1, 2, 3, 4], [1, 2, 0, 4])
    assert acc.result() == 0.75
    ba = metrics.BinaryAccuracy(threshold=0.0)
    ba.update_state(np.array([[1, 0], [0, 0]]), np.array([[0.3, -0.1], [0.2, -5.0]]))
    assert ba.result() == 0.75


def test_sorted_ids_top_k():
    m = metrics.SparseTopKCategoricalAccuracy(k=2, from_sorted_ids=True)
    m.update_state(np.array([3, 1]), np.array([[3, 0, 1], [2, 0, 1]]))
    assert m.result() == 0.5


def test_epoch_average_over_unequal_batches():
    y = RNG.normal(size=(50, 3))
    p = RNG.normal(size=(50, 3))
    mse, mae, rmse = (metrics.MeanSquaredError(), metrics.MeanAbsoluteError(),
                      metrics.RootMeanSquaredError())
    for lo, hi in ((0, 32), (32, 50)):
        for m in (mse, mae, rmse):
            m.update_state(y[lo:hi], p[lo:hi])
    assert mse.result() == pytest.approx(((y - p) ** 2).mean())
    assert mae.result() == pytest.approx(np.abs(y - p).mean())
    assert rmse.result() == pytest.approx(np.sqrt(((y - p) ** 2).mean()))
    mse.reset_state()
    assert mse.result() == 0.0


def test_loss_metrics_match_losses():
    probs = RNG.dirichlet(np.ones(4), size=10)
    ids = RNG.integers(0, 4, size=10)
    m = metrics.SparseCategoricalCrossentropy()
    m.update_state(ids, probs)
    expected = losses.SparseCategoricalCrossentropy()(ids, Tensor(probs)).item()
    assert m.result() == pytest.approx(expected)
    m = metrics.BinaryCrossentropy()
    y = np.array([0.0, 1.0, 1.0])
    m.update_state(y, np.array([[0.2], [0.7], [0.9]]))  # labels (N,) with an (N, 1) output
    assert m.result() == pytest.approx(-np.mean(np.log([0.8, 0.7, 0.9])), rel=1e-6)
    m = metrics.CosineSimilarity()
    m.update_state(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[1.0, 1.0], [0.0, 2.0]]))
    assert m.result() == pytest.approx((np.sqrt(0.5) + 1) / 2)


def test_mean_and_sum_with_weights():
    tracker = metrics.Mean(name="loss")
    tracker.update_state(0.5, sample_weight=32)
    tracker.update_state(Tensor(np.array(1.0)), sample_weight=8)
    assert tracker.result() == pytest.approx((0.5 * 32 + 1.0 * 8) / 40)
    assert tracker.name == "loss"
    m = metrics.Mean()
    m.update_state(np.array([[1.0, 3.0], [5.0, 7.0]]), sample_weight=np.array([1.0, 0.0]))
    assert m.result() == 2.0
    m.update_state([4.0, 6.0])
    assert m.result() == pytest.approx((2.0 + 10.0) / 3)
    s = metrics.Sum()
    s.update_state(np.array([1.0, 2.0]), sample_weight=np.array([2.0, 3.0]))
    assert s.result() == 8.0
    empty = metrics.Mean()
    assert empty.result() == 0.0


def test_weighted_accuracy():
    m = metrics.SparseCategoricalAccuracy()
    m.update_state(np.array([0, 1, 1]), np.array([[0.9, 0.1], [0.9, 0.1], [0.2, 0.8]]),
                   sample_weight=np.array([1.0, 3.0, 1.0]))
    assert m.result() == pytest.approx(2 / 5)


def test_mean_metric_wrapper_accepts_tensor_results():
    def squared(y_true, y_pred):
        return Tensor((y_true - y_pred) ** 2).mean(axis=-1)

    m = metrics.MeanMetricWrapper(squared)
    m.update_state(np.ones((2, 2)), np.zeros((2, 2)))
    assert m.name == "squared" and m.result() == 1.0
    assert m(np.zeros((2, 2)), np.zeros((2, 2))) == 0.5
    with pytest.raises(TypeError, match="fn"):
        metrics.MeanMetricWrapper("mse")


def test_confusion_metrics():
    y = np.array([1, 1, 0, 0, 1, 0])
    p = np.array([0.9, 0.4, 0.6, 0.2, 0.7, 0.5])
    prec, rec = metrics.Precision(), metrics.Recall()
    for m in (prec, rec):
        m.update_state(y, p)
    assert prec.result() == pytest.approx(2 / 3)  # 0.5 is not > 0.5
    assert rec.result() == pytest.approx(2 / 3)
    many = metrics.Precision(thresholds=[0.3, 0.8])
    many.update_state(y, p)
    assert many.result() == pytest.approx([3 / 5, 1.0])
    counts = [metrics.TruePositives(), metrics.FalsePositives(), metrics.TrueNegatives(),
              metrics.FalseNegatives()]
    for m in counts:
        m.update_state(y, p)
    assert [m.result() for m in counts] == [2.0, 1.0, 2.0, 1.0]
    top = metrics.Recall(top_k=1, class_id=None)
    top.update_state(np.array([[1, 1, 0]]), np.array([[0.5, 0.9, 0.1]]))
    assert top.result() == 0.5
    assert metrics.Precision()._direction == "up"


def test_auc_matches_rank_statistic():
    y = RNG.integers(0, 2, size=400)
    p = np.clip(y * 0.3 + RNG.uniform(size=400) * 0.7, 0, 1)
    m = metrics.AUC(num_thresholds=1000)
    m.update_state(y[:200], p[:200])
    m.update_state(y[200:], p[200:])
    pos, neg = p[y == 1], p[y == 0]
    exact = (pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean()
    assert m.result() == pytest.approx(exact, abs=2e-3)
    pr = metrics.AUC(curve="PR")
    pr.update_state(y, p)
    assert 0.5 < pr.result() <= 1.0
    with pytest.raises(ValueError, match="curve"):
        metrics.AUC(curve="XY")


# --------------------------------------------------------- identifiers and configs
@pytest.mark.parametrize(
    "name, cls",
    [("accuracy", metrics.Accuracy), ("binary_accuracy", metrics.BinaryAccuracy),
     ("categorical_accuracy", metrics.CategoricalAccuracy),
     ("sparse_categorical_accuracy", metrics.SparseCategoricalAccuracy),
     ("top_k_categorical_accuracy", metrics.TopKCategoricalAccuracy),
     ("sparse_top_k_categorical_accuracy", metrics.SparseTopKCategoricalAccuracy),
     ("mse", metrics.MeanSquaredError), ("MAE", metrics.MeanAbsoluteError),
     ("mape", metrics.MeanAbsolutePercentageError), ("msle", metrics.MeanSquaredLogarithmicError),
     ("bce", metrics.BinaryCrossentropy), ("root_mean_squared_error",
                                           metrics.RootMeanSquaredError),
     ("kl_divergence", metrics.KLDivergence), ("auc", metrics.AUC),
     ("precision", metrics.Precision), ("Recall", metrics.Recall),
     ("log_cosh_error", metrics.LogCoshError), ("logcosh", metrics.LogCoshError)],
)
def test_string_names(name, cls):
    assert type(metrics.get(name)) is cls


@pytest.mark.parametrize(
    "metric",
    [metrics.BinaryAccuracy(threshold=0.3), metrics.SparseTopKCategoricalAccuracy(k=3),
     metrics.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
     metrics.MeanSquaredError(name="m"), metrics.Mean(name="loss"), metrics.Precision(0.7),
     metrics.AUC(num_thresholds=50, curve="PR"), metrics.CosineSimilarity(axis=-1)],
)
def test_config_round_trip(metric):
    again = metrics.deserialize(metrics.serialize(metric))
    assert type(again) is type(metric)
    assert again.get_config() == metric.get_config()
    assert type(metric).from_config(metric.get_config()).get_config() == metric.get_config()


def test_wrapper_config_round_trip():
    m = metrics.MeanMetricWrapper(metrics.binary_accuracy, name="ba", threshold=0.2)
    again = metrics.MeanMetricWrapper.from_config(m.get_config())
    assert again._fn is metrics.binary_accuracy and again._fn_kwargs == {"threshold": 0.2}


def test_unknown_identifiers():
    with pytest.raises(ValueError, match="Did you mean 'accuracy'"):
        metrics.resolve("acuracy", (3,), (None, 1))
    with pytest.raises(ValueError, match="Did you mean 'binary_accuracy'"):
        metrics.get("binary_acuracy")
    with pytest.raises(TypeError, match="metric"):
        metrics.get(7)
    with pytest.raises(ValueError, match="k must be"):
        metrics.TopKCategoricalAccuracy(k=0)
