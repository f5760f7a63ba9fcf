"""Constraints (Keras formulas, names, configs, training, saving) and serialisation fixes.

The last part pins three fixes in saved configs: ``LossFunctionWrapper`` and
``MeanMetricWrapper`` write their function with ``serialize`` (so a registered
custom function reloads) and resolve it only through the custom-object lookup and
descend's own tables; custom learning-rate schedules record their registered name.
"""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

import descend
from descend import constraints, losses, metrics
from descend.autograd import ops
from descend.layers import BatchNormalization, Conv2D, Dense, Input
from descend.losses import LossFunctionWrapper
from descend.metrics import MeanMetricWrapper
from descend.models import load_model
from descend.optimizers import schedules
from descend.saving import custom_object_scope, get_custom_objects, register_keras_serializable

EPS = 1e-7
W = np.array([[0.3, -1.2, 2.0, 0.0], [-0.7, 0.4, -0.05, 0.0], [1.5, 2.5, 0.1, 0.0]])


def norms(w, axis):
    return np.sqrt((w**2).sum(axis=axis, keepdims=True))


@pytest.fixture
def registry():
    """Remove what a test registers from the global dict afterwards."""
    before = dict(get_custom_objects())
    yield
    get_custom_objects().clear()
    get_custom_objects().update(before)


# --------------------------------------------------------------------- formulas
@pytest.mark.parametrize("axis", [0, 1, [0, 1]])
@pytest.mark.parametrize("max_value", [0.0, 0.5, 2.0, 10.0])
def test_max_norm_formula(axis, max_value):
    n = norms(W, tuple(axis) if isinstance(axis, list) else axis)
    expected = W * (np.clip(n, 0, max_value) / (EPS + n))
    np.testing.assert_allclose(constraints.MaxNorm(max_value, axis=axis)(W), expected,
                               rtol=1e-12)


@pytest.mark.parametrize("rate", [1.0, 0.5, 0.0])
@pytest.mark.parametrize("axis", [0, 1])
def test_min_max_norm_formula(rate, axis):
    c = constraints.MinMaxNorm(min_value=1.0, max_value=2.0, rate=rate, axis=axis)
    n = norms(W, axis)
    desired = rate * np.clip(n, 1.0, 2.0) + (1 - rate) * n
    np.testing.assert_allclose(c(W), W * (desired / (EPS + n)), rtol=1e-12)
    out = norms(c(W), axis)
    if rate == 1.0:  # every non-zero vector ends inside [1, 2]
        nonzero = n > 0
        assert np.all((out[nonzero] > 1 - 1e-6) & (out[nonzero] < 2 + 1e-6))


def test_non_neg_and_unit_norm_formulas():
    np.testing.assert_array_equal(constraints.NonNeg()(W), W * (W >= 0))
    assert (constraints.NonNeg()(W) >= 0).all()
    for axis in (0, 1):
        expected = W / (EPS + norms(W, axis))
        np.testing.assert_allclose(constraints.UnitNorm(axis)(W), expected, rtol=1e-12)
    unit = constraints.UnitNorm(axis=0)(W[:, :3])
    np.testing.assert_allclose(norms(unit, 0), 1.0, rtol=1e-6)


def test_dtype_and_shape_kept_and_zero_vectors_stay_zero():
    w = W.astype("float32")
    for c in (constraints.MaxNorm(1.0), constraints.MinMaxNorm(0.5, 1.0),
              constraints.NonNeg(), constraints.UnitNorm(), constraints.Constraint()):
        out = c(w)
        assert out.dtype == np.float32 and out.shape == w.shape
        assert np.all(np.isfinite(out))
        np.testing.assert_array_equal(out[:, 3], 0.0)  # the all-zero column (no 0/0)


def test_keras_defaults_and_configs():
    assert constraints.MaxNorm().get_config() == {"max_value": 2.0, "axis": 0}
    assert constraints.MinMaxNorm().get_config() == {
        "min_value": 0.0, "max_value": 1.0, "rate": 1.0, "axis": 0}
    assert constraints.UnitNorm().get_config() == {"axis": 0}
    assert constraints.NonNeg().get_config() == {}
    assert constraints.MaxNorm(3, axis=(0, 1)).get_config() == {"max_value": 3.0,
                                                                "axis": [0, 1]}
    identity = constraints.Constraint()
    assert identity(W) is W


# ------------------------------------------------------------------ identifiers
@pytest.mark.parametrize("name, cls", [
    ("max_norm", constraints.MaxNorm), ("MaxNorm", constraints.MaxNorm),
    ("min_max_norm", constraints.MinMaxNorm), ("MinMaxNorm", constraints.MinMaxNorm),
    ("non_neg", constraints.NonNeg), ("NonNeg", constraints.NonNeg),
    ("unit_norm", constraints.UnitNorm), ("UnitNorm", constraints.UnitNorm),
])
def test_string_identifiers(name, cls):
    c = constraints.get(name)
    assert type(c) is cls
    assert c.get_config() == cls().get_config()


def test_get_passes_objects_through_and_instantiates_classes():
    assert constraints.get(None) is None and constraints.serialize(None) is None
    c = constraints.MaxNorm(3)
    assert constraints.get(c) is c
    assert isinstance(constraints.get(constraints.UnitNorm), constraints.UnitNorm)
    assert constraints.max_norm is constraints.MaxNorm
    assert constraints.non_neg is constraints.NonNeg

    def clip(w):
        return np.clip(w, -1, 1)

    assert constraints.get(clip) is clip
    assert constraints.serialize(clip) == "clip"
    assert descend.constraints is constraints


def test_unknown_and_bad_identifiers():
    with pytest.raises(ValueError, match="Did you mean 'max_norm'"):
        constraints.get("max_nrom")
    with pytest.raises(ValueError, match="custom_objects"):
        constraints.get("Clip")
    with pytest.raises(TypeError, match="constraint identifier"):
        constraints.get(3.0)
    with pytest.raises(ValueError, match="cannot serialize"):
        constraints.serialize(lambda w: w)


@pytest.mark.parametrize("make, match", [
    (lambda: constraints.MaxNorm(-1), "max_value"),
    (lambda: constraints.MaxNorm(float("nan")), "max_value"),
    (lambda: constraints.MaxNorm("2"), "max_value"),
    (lambda: constraints.MinMaxNorm(2.0, 1.0), "max_value must be >= min_value"),
    (lambda: constraints.MinMaxNorm(rate=1.5), "rate"),
])
def test_bad_arguments_raise_value_error(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_axis():
    with pytest.raises(TypeError, match="axis"):
        constraints.UnitNorm(axis="rows")
    with pytest.raises(ValueError, match="out of range"):
        constraints.UnitNorm(axis=3)(W)


def test_config_round_trip_through_json():
    for c in (constraints.MaxNorm(3.0, axis=[0, 1]), constraints.MinMaxNorm(0.5, 2.0, 0.3),
              constraints.NonNeg(), constraints.UnitNorm(1)):
        config = json.loads(json.dumps(constraints.serialize(c)))
        assert config["module"] == "keras.constraints" and config["registered_name"] is None
        again = constraints.deserialize(config)
        assert type(again) is type(c) and again.get_config() == c.get_config()
        np.testing.assert_array_equal(again(W), c(W))


def test_custom_constraint_class_and_function(registry):
    @register_keras_serializable(package="Tests")
    class Clip(constraints.Constraint):
        def __init__(self, limit=1.0):
            self.limit = limit

        def __call__(self, w):
            return np.clip(w, -self.limit, self.limit)

        def get_config(self):
            return {"limit": self.limit}

    config = constraints.serialize(Clip(0.5))
    assert config["registered_name"] == "Tests>Clip"
    assert constraints.deserialize(config).limit == 0.5

    def halve(w):
        return w * 0.5

    with custom_object_scope({"halve": halve}):
        assert constraints.get("halve") is halve
    assert constraints.deserialize("halve", custom_objects={"halve": halve}) is halve


# ------------------------------------------------------------------- in layers
def test_layers_resolve_store_and_serialise_constraints():
    dense = Dense(3, kernel_constraint="non_neg", bias_constraint=constraints.MaxNorm(1.0))
    assert isinstance(dense.kernel_constraint, constraints.NonNeg)
    config = dense.get_config()
    assert config["kernel_constraint"]["class_name"] == "NonNeg"
    assert config["bias_constraint"]["config"] == {"max_value": 1.0, "axis": 0}
    clone = Dense.from_config(json.loads(json.dumps(config)))
    assert isinstance(clone.kernel_constraint, constraints.NonNeg)
    assert clone.bias_constraint.max_value == 1.0
    assert Dense(2).get_config()["kernel_constraint"] is None

    conv = Conv2D(2, 3, kernel_constraint=constraints.MaxNorm(2.0, axis=[0, 1, 2]))
    again = Conv2D.from_config(json.loads(json.dumps(conv.get_config())))
    assert again.kernel_constraint.get_config() == {"max_value": 2.0, "axis": [0, 1, 2]}

    bn = BatchNormalization(beta_constraint="non_neg", gamma_constraint="unit_norm")
    config = bn.get_config()
    assert config["beta_constraint"]["class_name"] == "NonNeg"
    assert config["gamma_constraint"]["class_name"] == "UnitNorm"
    again = BatchNormalization.from_config(config)
    assert isinstance(again.beta_constraint, constraints.NonNeg)
    with pytest.raises(ValueError, match="Unknown constraint"):
        Dense(2, kernel_constraint="nonneg_")


def test_add_weight_records_the_constraints():
    bn = BatchNormalization(beta_constraint="non_neg", gamma_constraint="unit_norm")
    bn(np.ones((2, 3), "float32"))
    recorded = {v.path.split("/")[-1]: type(c).__name__ for v, c in bn._weight_constraints}
    assert recorded == {"gamma": "UnitNorm", "beta": "NonNeg"}
    dense = Dense(2, kernel_constraint="max_norm")
    dense(np.ones((1, 3), "float32"))
    assert [(v is dense.kernel, type(c)) for v, c in dense._weight_constraints] == \
        [(True, constraints.MaxNorm)]


def regression_data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5], [-1.0]])).astype("float32")  # needs negatives
    return x, y


def test_non_neg_kernel_after_training():
    x, y = regression_data()
    descend.utils.set_random_seed(0)
    model = descend.Sequential([Input((4,)), Dense(1, kernel_constraint=constraints.NonNeg())])
    model.compile(optimizer=descend.optimizers.SGD(0.1), loss="mse")
    model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    kernel = model.layers[0].kernel.numpy()
    assert (kernel >= 0).all()
    assert (kernel == 0).any()  # the negative target weights were clipped


def test_max_norm_conv_kernel_after_training():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(8, 5, 5, 1)).astype("float32")
    y = rng.normal(size=(8, 3, 3, 2)).astype("float32") * 10
    model = descend.Sequential([
        Input((5, 5, 1)), Conv2D(2, 3, kernel_constraint=constraints.MaxNorm(0.5, [0, 1, 2]))])
    model.compile(optimizer=descend.optimizers.SGD(0.5), loss="mse")
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    kernel = model.layers[0].kernel.numpy()
    assert norms(kernel, (0, 1, 2)).max() <= 0.5 + 1e-5


def test_save_and_load_keep_the_constraint(tmp_path):
    x, y = regression_data()
    model = descend.Sequential([
        Input((4,)), Dense(3, kernel_constraint="non_neg"),
        Dense(1, kernel_constraint=constraints.MaxNorm(1.5))])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    path = tmp_path / "constrained.descend"
    model.save(path)
    restored = load_model(path)
    first, second = restored.layers
    assert isinstance(first.kernel_constraint, constraints.NonNeg)
    assert second.kernel_constraint.get_config() == {"max_value": 1.5, "axis": 0}
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))
    restored.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert (first.kernel.numpy() >= 0).all()
    assert norms(second.kernel.numpy(), 0).max() <= 1.5 + 1e-5


# ------------------------------------------------------------ serialisation fixes
def test_loss_wrapper_writes_and_reloads_a_registered_function(registry):
    @register_keras_serializable(package="Tests")
    def cubic_error(y_true, y_pred):
        return ops.mean(ops.abs(y_pred - y_true) ** 3, axis=-1)

    wrapper = LossFunctionWrapper(cubic_error)
    config = json.loads(json.dumps(losses.serialize(wrapper)))
    assert config["config"]["fn"]["registered_name"] == "Tests>cubic_error"
    again = losses.deserialize(config)
    assert again.fn is cubic_error
    assert LossFunctionWrapper(losses.mean_squared_error).get_config()["fn"] == \
        "mean_squared_error"


@pytest.mark.parametrize("fn", ["np", "__builtins__", "getattr", "os", "serialize"])
def test_loss_wrapper_refuses_names_outside_the_tables(fn):
    config = {"class_name": "LossFunctionWrapper", "config": {"fn": fn, "name": "x"}}
    with pytest.raises(ValueError, match=f"Unknown loss: '{fn}'"):
        losses.deserialize(config)


def test_metric_wrapper_writes_and_reloads_functions(registry):
    @register_keras_serializable(package="Tests")
    def within_one(y_true, y_pred):
        return (np.abs(y_true - y_pred) <= 1).astype("float32")

    config = json.loads(json.dumps(metrics.serialize(MeanMetricWrapper(within_one))))
    assert config["config"]["fn"]["registered_name"] == "Tests>within_one"
    assert metrics.deserialize(config)._fn is within_one

    # built-in metric and loss functions come back as the functions, not metric classes
    for fn in (metrics.binary_accuracy, metrics.cosine_similarity, losses.mean_squared_error):
        wrapper = MeanMetricWrapper(fn)
        assert wrapper.get_config()["fn"] == fn.__name__
        assert MeanMetricWrapper.from_config(wrapper.get_config())._fn is fn
    alias = MeanMetricWrapper.from_config({"fn": "mse", "name": "m"})
    assert alias._fn is losses.mean_squared_error

    def plain(y_true, y_pred):
        return np.abs(y_true - y_pred)

    config = MeanMetricWrapper(plain).get_config()
    with custom_object_scope({"plain": plain}):
        assert MeanMetricWrapper.from_config(config)._fn is plain


@pytest.mark.parametrize("fn", ["np", "__builtins__", "getattr", "get", "resolve",
                                "BinaryAccuracy", 3])
def test_metric_wrapper_refuses_names_outside_the_tables(fn):
    config = {"class_name": "MeanMetricWrapper", "config": {"fn": fn, "name": "m"}}
    with pytest.raises(ValueError, match="metric function|'fn'") as info:
        metrics.deserialize(config)
    if isinstance(fn, str):
        assert repr(fn) in str(info.value) and "custom_objects" in str(info.value)


def test_model_file_naming_an_arbitrary_metric_function_is_refused(tmp_path):
    x, y = regression_data(16)
    model = descend.Sequential([Input((4,)), Dense(1)])
    model.compile(optimizer="sgd", loss="mse",
                  metrics=[MeanMetricWrapper(metrics.mean_absolute_error, name="m")])
    model.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / "model.descend"
    model.save(path)
    assert load_model(path).compiled
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(members["config.json"])
    metric = config["compile_config"]["metrics"][0]
    assert metric["class_name"] == "MeanMetricWrapper"
    assert metric["config"]["fn"] == "mean_absolute_error"
    for name in ("np", "__builtins__"):
        metric["config"]["fn"] = name
        members["config.json"] = json.dumps(config).encode()
        bad = tmp_path / f"bad_{name.strip('_')}.descend"
        with zipfile.ZipFile(bad, "w") as archive:
            for member, content in members.items():
                archive.writestr(member, content)
        with pytest.raises(ValueError, match=f"Unknown metric function: '{name}'"):
            load_model(bad)
        assert load_model(bad, compile=False).count_params() == 5


class Halving(schedules.LearningRateSchedule):
    def __init__(self, initial_learning_rate):
        self.initial_learning_rate = initial_learning_rate

    def __call__(self, step):
        return self.initial_learning_rate / 2 ** step

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate}


def test_registered_schedule_round_trip(registry):
    registered = register_keras_serializable(package="Tests")(Halving)
    config = json.loads(json.dumps(schedules.serialize(registered(1.0))))
    assert config["registered_name"] == "Tests>Halving"
    assert config["class_name"] == "Halving"
    assert schedules.deserialize(config)(2) == 0.25  # no custom_objects needed
    built_in = schedules.serialize(schedules.ExponentialDecay(0.1, 10, 0.5))
    assert built_in["registered_name"] is None


def test_unregistered_schedule_needs_custom_objects():
    config = schedules.serialize(Halving(1.0))
    assert config["registered_name"] == "Halving"
    with pytest.raises(ValueError, match="custom_objects"):
        schedules.deserialize(config)
    assert schedules.deserialize(config, {"Halving": Halving})(1) == 0.5
    with custom_object_scope({"Halving": Halving}):
        assert schedules.deserialize(config)(3) == 0.125
    with pytest.raises(ValueError, match="not a LearningRateSchedule"):
        schedules.deserialize({"class_name": "Halving", "config": {}}, {"Halving": len})
    with pytest.raises(ValueError, match="Did you mean 'CosineDecay'"):
        schedules.deserialize({"class_name": "CosineDecy", "config": {}})
