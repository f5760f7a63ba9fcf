"""descend.distribution without MPI: one process, the metric-state sums, lazy imports."""

from __future__ import annotations

import inspect
import subprocess
import sys

import numpy as np
import pytest

import descend
from descend import _distributed
from descend import metrics as metrics_module
from descend.distribution.metric_state import MetricState, state_attributes

EXTRA_ARGUMENTS = {
    "IoU": {"num_classes": 3, "target_class_ids": [0, 2]}, "MeanIoU": {"num_classes": 3},
    "OneHotIoU": {"num_classes": 3, "target_class_ids": [1]},
    "OneHotMeanIoU": {"num_classes": 3}, "PrecisionAtRecall": {"recall": 0.5},
    "RecallAtPrecision": {"precision": 0.5}, "SensitivityAtSpecificity": {"specificity": 0.5},
    "SpecificityAtSensitivity": {"sensitivity": 0.5},
}
SPARSE = {"SparseCategoricalAccuracy", "SparseCategoricalCrossentropy",
          "SparseTopKCategoricalAccuracy"}
REGRESSION = {"R2Score", "PearsonCorrelation", "ConcordanceCorrelation"}


def _metric_classes() -> list[str]:
    names = []
    for name in metrics_module.__all__:
        cls = getattr(metrics_module, name)
        if (inspect.isclass(cls) and issubclass(cls, metrics_module.Metric)
                and name not in ("Metric", "MeanMetricWrapper", "Mean", "Sum")):
            names.append(name)
    return names


def _batch(name: str, rng: np.random.Generator, n: int) -> tuple:
    if name in ("IoU", "MeanIoU"):  # class ids on both sides
        return rng.integers(0, 3, size=n), rng.integers(0, 3, size=n)
    if name in SPARSE:
        return rng.integers(0, 3, size=(n, 1)), rng.dirichlet(np.ones(3), size=n)
    if name in REGRESSION:
        y = rng.normal(size=(n, 2))
        return y, y + rng.normal(scale=0.5, size=(n, 2))
    if name in ("BinaryIoU", "BinaryAccuracy", "BinaryCrossentropy", "AUC", "Precision",
                "Recall", "TruePositives", "TrueNegatives", "FalsePositives", "FalseNegatives",
                "PrecisionAtRecall", "RecallAtPrecision", "SensitivityAtSpecificity",
                "SpecificityAtSensitivity", "Hinge", "SquaredHinge"):
        return rng.integers(0, 2, size=(n, 1)).astype(float), rng.uniform(size=(n, 1))
    labels = np.eye(3)[rng.integers(0, 3, size=n)]
    return labels, rng.dirichlet(np.ones(3), size=n)


@pytest.mark.parametrize("name", _metric_classes())
def test_every_builtin_metric_state_adds_up_across_processes(name):
    """Two 'processes' each see part of the data; the sum of their states, put into a
    third metric, gives the result of one metric that saw everything."""
    cls = getattr(metrics_module, name)
    kwargs = EXTRA_ARGUMENTS.get(name, {})
    rng = np.random.default_rng(0)
    whole, parts = cls(**kwargs), [cls(**kwargs), cls(**kwargs)]
    states = [MetricState([m]) for m in parts]
    merged_metric = cls(**kwargs)
    merged = MetricState([merged_metric])
    for step in range(3):
        y_true, y_pred = _batch(name, rng, 11)
        whole.update_state(y_true, y_pred)
        parts[0].update_state(y_true[:5], y_pred[:5])
        parts[1].update_state(y_true[5:], y_pred[5:])
        merged_metric.update_state(y_true[:1], y_pred[:1])  # gives lazily shaped state its shape
        total = states[0].pack() + states[1].pack()
        with merged.replaced(total):
            np.testing.assert_allclose(np.asarray(merged_metric.result(), dtype=float),
                                       np.asarray(whole.result(), dtype=float), rtol=1e-10,
                                       err_msg=f"{name} after step {step}")
        merged_metric.reset_state()


def test_state_is_restored_after_reading_the_global_logs():
    mean = metrics_module.Mean()
    state = MetricState([mean])
    mean.update_state([1.0, 3.0])
    with state.replaced(np.array([100.0, 10.0])):
        assert mean.result() == 10.0
    assert mean.result() == 2.0 and state_attributes(mean) == ["total", "count"]


def test_metric_with_state_that_cannot_be_added_is_refused():
    class Last(metrics_module.Metric):
        def reset_state(self):
            self.seen = []

        def update_state(self, values):
            self.seen.append(values)

        def result(self):
            return self.seen[-1]

    with pytest.raises(TypeError, match="metric 'last' keeps 'seen' as a list"):
        MetricState([Last(name="last")])


def test_one_process_distribution_changes_nothing():
    descend.distribution.set_distribution(descend.distribution.DataParallel())
    try:
        assert descend.distribution.distribution().num_processes == 1
        assert _distributed.replicas() is None and _distributed.is_process_zero()
        assert descend.distribution.list_devices() == ["cpu:0"]
        assert descend.distribution.list_devices("cpu") == ["cpu:0"]
        model = descend.Sequential([descend.layers.Input((2,)), descend.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        history = model.fit(np.ones((8, 2)), np.zeros((8, 1)), epochs=2, verbose=0)
        assert len(history.history["loss"]) == 2
        assert descend.distribution.distribution().statistics["allreduce_calls"] == 0
    finally:
        descend.distribution.set_distribution(None)
    assert descend.distribution.distribution() is None


def test_api_errors_name_what_to_do():
    with pytest.raises(ValueError, match="device_type='gpu'"):
        descend.distribution.list_devices("gpu")
    with pytest.raises(ValueError, match="mpiexec -f hostfile"):
        descend.distribution.initialize(job_addresses="10.0.0.1,10.0.0.2")
    with pytest.raises(ValueError, match="num_processes=4 but mpiexec started 1"):
        descend.distribution.initialize(num_processes=4)
    with pytest.raises(ValueError, match="Leave devices out"):
        descend.distribution.DataParallel(devices=["cpu:0", "cpu:1"])
    with pytest.raises(TypeError, match="set_distribution"):
        descend.distribution.set_distribution("data_parallel")


def test_import_descend_does_not_import_mpi4py():
    code = ("import sys, descend, descend.distribution; "
            "from descend.models import Sequential; "
            "assert 'mpi4py' not in sys.modules, 'mpi4py imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


class _AllPartsHere:
    """Stands in for the replicas of a 2-process run inside one process: ``reduce_scatter``
    hands the pipeline the parts of *both* processes (and the shared last values), so one
    optimizer step runs the update rule part by part, as the processes would between them."""

    def __init__(self) -> None:
        from descend.distribution.sharding import _Part

        self._Part = _Part
        self.active = True
        self.updates = self
        self.process_index = 0

    def reduce_scatter(self, optimizer):
        groups = []
        for group in optimizer._layout.groups:
            parts = [self._Part(group, index, 2) for index in (0, 1)]
            for index, part in enumerate(parts):
                if part.block:  # its gradient buffer is its own: copy its block in
                    lo = index * part.block
                    np.copyto(part.groups[0].grads, group.grads[lo:lo + part.block])
            groups += [parts[0].groups[0]] if parts[0].block else []
            groups += parts[1].groups  # process 1's block, then the values every process updates
        return groups

    def allgather_values(self, optimizer):  # the parts are views: the weights are whole
        pass


def _optimizers_with_elementwise_rule() -> list[str]:
    from descend.optimizers._update_pipeline import declares_elementwise_rule

    return [name for name in descend.optimizers.__all__
            if inspect.isclass(cls := getattr(descend.optimizers, name))
            and issubclass(cls, descend.optimizers.Optimizer) and declares_elementwise_rule(cls)]


def test_elementwise_rules_are_declared_for_the_expected_optimizers():
    assert sorted(_optimizers_with_elementwise_rule()) == [
        "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "Ftrl", "Lion", "Nadam", "RMSprop",
        "SGD"]


def _train_part_by_part(name: str, dtype: str, sharded: bool, force: bool = False) -> tuple:
    from descend.autograd import Variable

    shapes = [(5, 3), (3,), (2, 2), (1,)]  # 23 values: blocks of 11, and 1 value shared
    variables = [Variable(np.random.default_rng(i).normal(size=s).astype(dtype))
                 for i, s in enumerate(shapes)]
    optimizer = getattr(descend.optimizers, name)(learning_rate=0.01)
    optimizer.build(variables)
    if force:  # run the rule part by part although the optimizer does not declare it may
        optimizer._shardable = lambda: True
    _distributed.install(_AllPartsHere() if sharded else None)
    try:
        for step in range(20):
            for v in variables:
                g = np.random.default_rng(step * 7 + v.data.size).normal(size=v.shape)
                g.reshape(-1)[0] *= 1e-30  # some state decays towards the flush thresholds
                v.grad = g.astype(dtype)
            optimizer.step()
    finally:
        _distributed.install(None)
    return [v.data.copy() for v in variables], optimizer.get_state()


@pytest.mark.parametrize("name", _optimizers_with_elementwise_rule())
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_an_elementwise_rule_run_part_by_part_equals_the_whole_update(name, dtype):
    """What ``elementwise_rule`` promises the sharded update: the rule (and the flush of tiny
    state, at step 16) run on the processes' blocks of the flat buffers, and on the value
    left over after the last block, gives bit for bit the whole-buffer update."""
    whole, whole_state = _train_part_by_part(name, dtype, sharded=False)
    parts, parts_state = _train_part_by_part(name, dtype, sharded=True)
    for a, b in zip(whole, parts, strict=True):
        np.testing.assert_array_equal(a, b)
    assert whole_state.keys() == parts_state.keys()
    for key in whole_state:
        np.testing.assert_array_equal(whole_state[key], parts_state[key], err_msg=key)


def test_a_per_variable_rule_run_part_by_part_differs():
    """The check above can fail: LAMB (per-variable trust ratios, no ``elementwise_rule``)
    run part by part does not give the whole update."""
    whole, _ = _train_part_by_part("Lamb", "float64", sharded=False)
    parts, _ = _train_part_by_part("Lamb", "float64", sharded=True, force=True)
    assert any(not np.array_equal(a, b) for a, b in zip(whole, parts, strict=True))
