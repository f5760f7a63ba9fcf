"""Keras-style custom metrics: state in ``add_variable``, used by compile/fit/evaluate.

The metric below is the ``CategoricalTruePositives`` example of the Keras guide
"Training & evaluation with the built-in methods", with ``from descend import ops``.
"""

from __future__ import annotations

import numpy as np
import pytest

import descend
from descend import layers, ops
from descend.autograd import Tensor, Variable
from descend.metrics.metric import result_value


class CategoricalTruePositives(descend.metrics.Metric):
    def __init__(self, name: str = "categorical_true_positives", **kwargs: object) -> None:
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), name="ctp", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:  # noqa: ANN001
        y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
        values = ops.cast(y_true, "int32") == ops.cast(y_pred, "int32")
        values = ops.cast(values, "float32")
        if sample_weight is not None:
            sample_weight = ops.cast(sample_weight, "float32")
            values = values * ops.reshape(sample_weight, (-1, 1))
        self.true_positives.assign_add(ops.sum(values))

    def result(self):  # noqa: ANN201
        return self.true_positives.value

    def reset_state(self) -> None:
        self.true_positives.assign(0.0)


class MeanAbsoluteDifference(descend.metrics.Metric):
    """Two variables, the default reset_state, a numpy result."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.total = self.add_weight(shape=(), initializer="zeros", name="total")
        self.count = self.add_weight(name="count", initializer="ones", dtype="float64")

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:  # noqa: ANN001
        self.total.assign_add(np.abs(np.asarray(y_true) - np.asarray(y_pred)).sum())
        self.count.assign_add(np.size(y_true))

    def result(self):  # noqa: ANN201
        return np.float64(self.total.numpy() / self.count.numpy())


def _counts(y_true: np.ndarray, probabilities: np.ndarray) -> float:
    return float(np.sum(y_true.ravel() == probabilities.argmax(axis=1)))


def test_update_result_reset_by_hand() -> None:
    m = CategoricalTruePositives()
    assert m.name == "categorical_true_positives"
    assert [v.path for v in m.variables] == ["categorical_true_positives/ctp"]
    assert all(isinstance(v, Variable) and not v.trainable for v in m.variables)
    y_true = np.array([[0], [1], [2]])
    y_pred = np.array([[0.9, 0.1, 0.0], [0.8, 0.1, 0.1], [0.0, 0.1, 0.9]])
    m.update_state(y_true, y_pred)
    assert float(m.result()) == 2.0
    m.update_state(y_true, y_pred, sample_weight=np.array([1.0, 1.0, 0.5]))
    assert float(m.result()) == 3.5
    assert result_value(m.result()) == 3.5
    m.reset_state()
    assert float(m.result()) == 0.0


def test_default_reset_state_zeros_every_variable_as_keras() -> None:
    m = MeanAbsoluteDifference(name="mad")
    assert [v.name for v in m.variables] == ["total", "count"]
    assert m.count.numpy() == 1.0 and m.count.dtype == np.float64  # initializer "ones"
    m.update_state([1.0, 2.0], [0.0, 0.0])
    assert m.result() == pytest.approx(3.0 / 3.0)
    m.reset_state()  # Keras resets to zeros, not to the initializer
    assert m.total.numpy() == 0.0 and m.count.numpy() == 0.0


def test_nested_metric_variables_are_collected() -> None:
    class Wrapper(descend.metrics.Metric):
        def __init__(self) -> None:
            super().__init__(name="wrapper")
            self.inner = MeanAbsoluteDifference(name="inner")
            self.n = self.add_variable((), "zeros", name="n")

        def update_state(self, y_true, y_pred, sample_weight=None) -> None:  # noqa: ANN001
            self.inner.update_state(y_true, y_pred)
            self.n.assign_add(1.0)

        def result(self):  # noqa: ANN201
            return {"mad": self.inner.result(), "batches": self.n}

    m = Wrapper()
    assert [v.name for v in m.variables] == ["n", "total", "count"]
    m.update_state([1.0], [3.0])
    assert result_value(m.result()) == {"mad": pytest.approx(1.0), "batches": 1.0}


def test_add_variable_before_super_init_is_a_clear_error() -> None:
    class Broken(descend.metrics.Metric):
        def __init__(self) -> None:
            self.v = self.add_variable((), "zeros")

    with pytest.raises(RuntimeError, match="super\\(\\).__init__"):
        Broken()


def test_result_value_rejects_non_scalars() -> None:
    assert result_value(Tensor(np.float32(1.5))) == 1.5
    assert result_value(Variable(2.0)) == 2.0
    assert result_value(np.array([4.0])) == 4.0
    with pytest.raises(ValueError, match="scalar"):
        result_value(np.ones(3), "m")


def _model() -> descend.Model:
    descend.utils.set_random_seed(0)
    inputs = descend.Input(shape=(8,), name="digits")
    x = layers.Dense(16, activation="relu", name="dense_1")(inputs)
    outputs = layers.Dense(3, activation="softmax", name="predictions")(x)
    return descend.Model(inputs=inputs, outputs=outputs)


def test_custom_metric_in_compile_fit_evaluate_and_model_metrics() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 8)).astype("float32")
    y = rng.integers(0, 3, size=(60, 1))
    model = _model()
    metric = CategoricalTruePositives()
    model.compile(optimizer=descend.optimizers.RMSprop(learning_rate=1e-3),
                  loss=descend.losses.SparseCategoricalCrossentropy(), metrics=[metric])
    history = model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    assert set(history.history) == {"loss", "categorical_true_positives"}
    assert all(isinstance(v, float) for v in history.history["categorical_true_positives"])
    assert metric in model.metrics
    assert "categorical_true_positives" in model.metrics_names
    logs = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    # after evaluate, the metric holds the count over the whole data set
    assert logs["categorical_true_positives"] == _counts(y, model.predict(x, verbose=0))
    assert float(metric.result()) == logs["categorical_true_positives"]
    # a second evaluate starts from zero (reset between runs)
    again = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    assert again["categorical_true_positives"] == logs["categorical_true_positives"]


def test_dict_results_are_merged_into_the_logs() -> None:
    class Both(descend.metrics.Metric):
        def __init__(self) -> None:
            super().__init__(name="both")
            self.seen = self.add_variable((), "zeros", name="seen")

        def update_state(self, y_true, y_pred, sample_weight=None) -> None:  # noqa: ANN001
            self.seen.assign_add(len(y_true))

        def result(self):  # noqa: ANN201
            return {"seen": self.seen, "half_seen": self.seen.numpy() / 2}

    x = np.zeros((10, 8), dtype="float32")
    y = np.zeros((10, 1))
    model = _model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=[Both()])
    logs = model.evaluate(x, y, batch_size=4, verbose=0, return_dict=True)
    assert logs["seen"] == 10.0 and logs["half_seen"] == 5.0


def test_plain_python_state_metrics_still_work() -> None:
    class SamplesSeen(descend.metrics.Metric):
        def reset_state(self) -> None:
            self.n = 0

        def update_state(self, y_true, y_pred, sample_weight=None) -> None:  # noqa: ANN001
            self.n += len(y_true)

        def result(self) -> float:
            return float(self.n)

    m = SamplesSeen()
    m.update_state([1, 2], [1, 2])
    assert m.result() == 2.0 and m.variables == []
    m.reset_state()
    assert m.result() == 0.0
