"""Keras 3 metrics added for issue 16: F-scores, R2, IoU family, rate-at-rate, correlations.

``KERAS`` holds the values Keras 3.15 (torch backend) gives on the same data.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import descend
from descend import layers, metrics

KERAS = {
    "f1_None": [0.4444443881511688, 0.28571420907974243, 0.2857142388820648],
    "fb_None_t": [0.7543412446975708, 0.14409174025058746, 0.4827982485294342],
    "f1_micro": 0.3478260338306427,
    "fb_micro_t": 0.5022263526916504,
    "f1_macro": 0.3386242687702179,
    "fb_macro_t": 0.46041038632392883,
    "f1_weighted": 0.35286930203437805,
    "fb_weighted_t": 0.5037514567375183,
    "r2_None": [0.0039795637130737305, 0.8090091347694397],
    "r2_uniform_average": 0.4064943492412567,
    "r2_variance_weighted_average": 0.5673062801361084,
    "r2_adj": 0.41097450256347656,
    "r2_1d": 0.10761415958404541,
    "iou": 0.2738095223903656,
    "iou_ign": 0.095238097012043,
    "meaniou": 0.17748917639255524,
    "meaniou5": 0.17748917639255524,
    "ohiou": 0.12878787517547607,
    "ohmiou": 0.17153680324554443,
    "ohmiou_sparse_pred": 0.17748917639255524,
    "biou": 0.190476194024086,
    "biou1": 0.3181817829608917,
    "sas": 0.8292682766914368,
    "sas_w": 0.9564463496208191,
    "sas1": 0.8170731663703918,
    "spas": 0.7372881174087524,
    "par": 0.8771929740905762,
    "rap": 0.7287329435348511,
    "rap_cls": 0.0,
    "pearson": 0.6320568323135376,
    "pearson_ax0": 0.7517974972724915,
    "pearson_fn": [
        0.911267876625061,
        0.41887956857681274,
        0.9280544519424438,
        0.039353154599666595,
        0.7026208639144897,
        0.7921648621559143,
    ],
    "ccc": 0.5211884379386902,
    "ccc_fn": [
        0.8635059595108032,
        0.41514772176742554,
        0.8235783576965332,
        0.03178068995475769,
        0.5198477506637573,
        0.5881956815719604,
    ],
}


def run(m, *batches):
    for b in batches:
        m.update_state(*b)
    return np.asarray(m.result()).tolist()


def compute():
    out = {}
    rng = np.random.RandomState(3)
    yt = (rng.rand(20, 3) > 0.5).astype("float32")
    yp = rng.rand(20, 3).astype("float32")
    sw = rng.rand(20).astype("float32")

    def run(m, *batches):
        for b in batches:
            m.update_state(*b)
        return np.asarray(m.result()).tolist()

    out = {}
    for avg in [None, "micro", "macro", "weighted"]:
        out[f"f1_{avg}"] = run(metrics.F1Score(average=avg), (yt[:10], yp[:10]), (yt[10:], yp[10:]))
        out[f"fb_{avg}_t"] = run(
            metrics.FBetaScore(average=avg, beta=2.0, threshold=0.4), (yt, yp, sw)
        )
    rt = rng.randn(20, 2).astype("float32")
    rp = (rt + 0.5 * rng.randn(20, 2)).astype("float32")
    for agg in [None, "uniform_average", "variance_weighted_average"]:
        out[f"r2_{agg}"] = run(
            metrics.R2Score(class_aggregation=agg), (rt[:7], rp[:7]), (rt[7:], rp[7:], sw[7:])
        )
    out["r2_adj"] = run(metrics.R2Score(num_regressors=3), (rt, rp))
    out["r2_1d"] = run(metrics.R2Score(), (rt[:, 0], rp[:, :1]))
    ct = rng.randint(0, 4, size=30)
    cp = rng.randint(0, 4, size=30)
    cw = rng.rand(30).astype("float32")
    out["iou"] = run(metrics.IoU(num_classes=4, target_class_ids=[0, 2]), (ct, cp))
    out["iou_ign"] = run(
        metrics.IoU(num_classes=4, target_class_ids=[1, 3], ignore_class=2),
        (ct, cp, (cw * 3).round()),
    )
    out["meaniou"] = run(metrics.MeanIoU(num_classes=4), (ct, cp))
    out["meaniou5"] = run(metrics.MeanIoU(num_classes=5), (ct, cp))
    probs = rng.rand(30, 4).astype("float32")
    oh = np.eye(4)[ct].astype("float32")
    out["ohiou"] = run(metrics.OneHotIoU(num_classes=4, target_class_ids=[0, 1]), (oh, probs))
    out["ohmiou"] = run(metrics.OneHotMeanIoU(num_classes=4), (oh, probs))
    out["ohmiou_sparse_pred"] = run(
        metrics.OneHotMeanIoU(num_classes=4, sparse_y_pred=True), (oh, cp)
    )
    bt = (rng.rand(25) > 0.5).astype("float32")
    bp = rng.rand(25).astype("float32")
    out["biou"] = run(metrics.BinaryIoU(), (bt, bp))
    out["biou1"] = run(metrics.BinaryIoU(target_class_ids=[1], threshold=0.3), (bt, bp))
    bt2 = (rng.rand(200) > 0.6).astype("float32")
    bp2 = np.clip(bt2 * 0.3 + rng.rand(200) * 0.7, 0, 1).astype("float32")
    bw = rng.rand(200).astype("float32")
    out["sas"] = run(metrics.SensitivityAtSpecificity(0.7), (bt2, bp2))
    out["sas_w"] = run(metrics.SensitivityAtSpecificity(0.5, num_thresholds=50), (bt2, bp2, bw))
    out["sas1"] = run(metrics.SensitivityAtSpecificity(0.5, num_thresholds=1), (bt2, bp2))
    out["spas"] = run(metrics.SpecificityAtSensitivity(0.8), (bt2, bp2))
    out["par"] = run(metrics.PrecisionAtRecall(0.6), (bt2, bp2))
    out["rap"] = run(metrics.RecallAtPrecision(0.7, num_thresholds=100), (bt2, bp2, bw))
    out["rap_cls"] = run(metrics.RecallAtPrecision(0.5, class_id=1), (yt, yp))
    pt = rng.randn(6, 5).astype("float32")
    pp = (pt + rng.randn(6, 5)).astype("float32")
    out["pearson"] = run(metrics.PearsonCorrelation(), (pt[:3], pp[:3]), (pt[3:], pp[3:]))
    out["pearson_ax0"] = run(metrics.PearsonCorrelation(axis=0), (pt, pp))
    out["pearson_fn"] = np.asarray(metrics.pearson_correlation(pt, pp)).tolist()
    out["ccc"] = run(metrics.ConcordanceCorrelation(), (pt, pp, sw[:6]))
    out["ccc_fn"] = np.asarray(metrics.concordance_correlation(pt, pp)).tolist()
    return out


@pytest.fixture(scope="module")
def values():
    return compute()


@pytest.mark.parametrize("key", sorted(KERAS))
def test_matches_keras(values, key):
    np.testing.assert_allclose(values[key], KERAS[key], rtol=1e-4, atol=1e-6)


def test_f1_by_formula():
    y = np.array([[1, 0, 1], [0, 1, 1], [1, 1, 0]], dtype=float)
    p = np.array([[0.9, 0.6, 0.2], [0.1, 0.7, 0.8], [0.3, 0.4, 0.1]])
    predicted = p > 0.5
    tp = (predicted & (y == 1)).sum()
    fp = (predicted & (y == 0)).sum()
    fn = (~predicted & (y == 1)).sum()
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    m = metrics.F1Score(average="micro", threshold=0.5)
    m.update_state(y, p)
    assert m.result() == pytest.approx(2 * precision * recall / (precision + recall), 1e-6)


def test_r2_by_formula():
    rng = np.random.default_rng(1)
    t, p = rng.normal(size=(30, 1)), rng.normal(size=(30, 1))
    m = metrics.R2Score()
    m.update_state(t[:10], p[:10])
    m.update_state(t[10:], p[10:])
    expected = 1 - np.sum((t - p) ** 2) / np.sum((t - t.mean()) ** 2)
    assert m.result() == pytest.approx(expected, 1e-9)
    m.reset_state()
    assert m.result() == 0.0


def test_mean_iou_by_formula():
    t = np.array([0, 0, 1, 2, 2, 2])
    p = np.array([0, 1, 1, 2, 0, 2])
    m = metrics.MeanIoU(num_classes=3)
    m.update_state(t, p)
    ious = [1 / 3, 1 / 2, 2 / 3]
    assert m.result() == pytest.approx(np.mean(ious), 1e-6)


CONFIGS = [
    (metrics.F1Score, {"average": "macro", "threshold": 0.3}),
    (metrics.FBetaScore, {"average": "weighted", "beta": 2.0}),
    (metrics.R2Score, {"class_aggregation": None, "num_regressors": 2}),
    (metrics.IoU, {"num_classes": 3, "target_class_ids": [0, 2], "ignore_class": 1}),
    (metrics.BinaryIoU, {"target_class_ids": [1], "threshold": 0.3}),
    (metrics.MeanIoU, {"num_classes": 4, "sparse_y_pred": False}),
    (metrics.OneHotIoU, {"num_classes": 3, "target_class_ids": [1]}),
    (metrics.OneHotMeanIoU, {"num_classes": 3, "sparse_y_pred": True}),
    (metrics.SensitivityAtSpecificity, {"specificity": 0.4, "num_thresholds": 10}),
    (metrics.SpecificityAtSensitivity, {"sensitivity": 0.6, "class_id": 1}),
    (metrics.PrecisionAtRecall, {"recall": 0.7}),
    (metrics.RecallAtPrecision, {"precision": 0.8, "num_thresholds": 20}),
    (metrics.PearsonCorrelation, {"axis": 0}),
    (metrics.ConcordanceCorrelation, {}),
]


@pytest.mark.parametrize("cls, kwargs", CONFIGS, ids=[c.__name__ for c, _ in CONFIGS])
def test_config_round_trip(cls, kwargs):
    m = cls(**kwargs)
    config = json.loads(json.dumps(metrics.serialize(m)))
    again = metrics.deserialize(config)
    assert type(again) is cls and again.get_config() == m.get_config()
    for key, value in kwargs.items():
        assert again.get_config()[key] == value


def test_keras_config_keys():
    assert set(metrics.F1Score().get_config()) == {"name", "dtype", "average", "threshold"}
    assert set(metrics.BinaryIoU().get_config()) == {
        "target_class_ids",
        "threshold",
        "name",
        "dtype",
    }
    assert set(metrics.PrecisionAtRecall(0.5).get_config()) == {
        "name",
        "dtype",
        "class_id",
        "num_thresholds",
        "recall",
    }
    assert set(metrics.IoU(3, [0]).get_config()) == {
        "name",
        "dtype",
        "num_classes",
        "target_class_ids",
        "ignore_class",
        "sparse_y_true",
        "sparse_y_pred",
        "axis",
    }


@pytest.mark.parametrize(
    "name, cls",
    [
        ("f1_score", metrics.F1Score),
        ("F1Score", metrics.F1Score),
        ("f_beta_score", metrics.FBetaScore),
        ("r2_score", metrics.R2Score),
        ("pearson_correlation", metrics.PearsonCorrelation),
        ("concordance_correlation", metrics.ConcordanceCorrelation),
    ],
)
def test_strings_resolve(name, cls):
    assert type(metrics.get(name)) is cls


def test_metric_functions_exported():
    assert metrics.huber is descend.losses.huber
    assert metrics.binary_focal_crossentropy is descend.losses.binary_focal_crossentropy
    assert metrics.categorical_focal_crossentropy is descend.losses.categorical_focal_crossentropy


def test_bad_inputs_name_the_object_and_argument():
    with pytest.raises(ValueError, match="FBetaScore.*average"):
        metrics.FBetaScore(average="mean")
    with pytest.raises(ValueError, match="FBetaScore.*beta"):
        metrics.FBetaScore(beta=2)
    with pytest.raises(ValueError, match="F1Score.*threshold"):
        metrics.F1Score(threshold=1.5)
    with pytest.raises(ValueError, match="F1Score expects 2D"):
        metrics.F1Score().update_state(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="R2Score.*class_aggregation"):
        metrics.R2Score(class_aggregation="median")
    with pytest.raises(ValueError, match="R2Score.*num_regressors"):
        metrics.R2Score(num_regressors=-1)
    with pytest.raises(ValueError, match="IoU.*out of range"):
        metrics.IoU(num_classes=2, target_class_ids=[2])
    with pytest.raises(ValueError, match="MeanIoU.*num_classes"):
        metrics.MeanIoU(num_classes=0)
    with pytest.raises(ValueError, match="PrecisionAtRecall.*recall"):
        metrics.PrecisionAtRecall(recall=1.5)
    with pytest.raises(ValueError, match="SensitivityAtSpecificity.*num_thresholds"):
        metrics.SensitivityAtSpecificity(0.5, num_thresholds=0)


def test_in_fit_logs():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (x @ np.array([1.0, -1.0, 0.5, 0.0]) > 0).astype("float32")[:, None]
    model = descend.Sequential([layers.Input((4,)), layers.Dense(1, activation="sigmoid")])
    model.compile(
        optimizer="adam",
        loss="binary_crossentropy",
        metrics=[
            metrics.F1Score(average="micro", threshold=0.5),
            metrics.BinaryIoU(),
            metrics.PrecisionAtRecall(0.5),
            "r2_score",
        ],
    )
    hist = model.fit(x, y, epochs=2, batch_size=16, verbose=0, validation_split=0.25)
    for key in (
        "f1_score",
        "binary_io_u",
        "precision_at_recall",
        "r2_score",
        "val_f1_score",
        "val_binary_io_u",
    ):
        assert key in hist.history and np.isfinite(hist.history[key][-1])
