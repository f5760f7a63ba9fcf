"""Subclassed models get an execution plan by tracing ``call`` (descend.models.tracing).

Where the trace is provably equivalent, a subclassed model trains and predicts
through the same plan a Sequential model gets (dense chains, arrays in
predict); everywhere else it runs its ``call``, and the verdict says why. In
every case, training and predicting give exactly the numbers of the reference
path (``descend.config.set_fusion(False)``: the eager ``call``).
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import pytest
from tests._fusion import fusion

import descend
from descend import layers, ops
from descend.models import tracing


@contextmanager
def float64():
    previous = descend.config.floatx()
    descend.config.set_floatx("float64")
    try:
        yield
    finally:
        descend.config.set_floatx(previous)


def _data(n=48, features=5, outputs=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, features)), rng.standard_normal((n, outputs))


def _run(make, x, y, on, epochs=3, loss="mse", **fit_kwargs):
    """Train a fresh model on one path; return (model, losses and the evaluated loss,
    predictions, verdict)."""
    with fusion(on):
        descend.utils.set_random_seed(7)
        model = make()
        model.compile(optimizer="adam", loss=loss)
        history = model.fit(x, y, epochs=epochs, batch_size=16, verbose=0, **fit_kwargs)
        predictions = model.predict(x, verbose=0)
        evaluation = model.evaluate(x, y, batch_size=16, verbose=0)  # the inference graph path
        return model, [*history.history["loss"], *np.ravel(evaluation)], predictions, \
            tracing.verdict(model)


def _both(make, x, y, **kwargs):
    fused = _run(make, x, y, True, **kwargs)
    reference = _run(make, x, y, False, **kwargs)
    assert reference[3] is None  # the reference path never traces
    (m1, loss1, p1, _), (m2, loss2, p2, _) = fused, reference
    np.testing.assert_allclose(loss1, loss2, rtol=0, atol=1e-12)
    for a, b in zip(m1.get_weights(), m2.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    for a, b in zip(p1 if isinstance(p1, list) else [p1], p2 if isinstance(p2, list) else [p2],
                    strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    return fused


class MLP(descend.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = layers.Dense(16, activation="relu", name="hidden")
        self.middle = layers.Dense(8, activation="tanh", name="middle")
        self.out = layers.Dense(3, name="out")

    def call(self, inputs, training=None):
        return self.out(self.middle(self.hidden(inputs)))


# ------------------------------------------------------------- what is traced
def test_a_subclassed_mlp_gets_a_dense_chain_and_trains_as_the_eager_call():
    with float64():
        x, y = _data()
        model, _, _, verdict = _both(MLP, x, y)
    assert isinstance(verdict, tracing.TracedPlan)
    assert repr(verdict) == "TracedPlan(fused=True, steps=[DenseChain(hidden, middle, out)])"
    with fusion(True):
        assert model._execution_plan() is verdict
    with fusion(False):
        assert model._execution_plan() is None  # the switch sends it back to call
    # predict ran on plain arrays through the same chain
    assert type(verdict.inference.steps[0]).__name__ == "_DenseChain"
    assert verdict.inference.arrays


def test_float32_training_is_bit_identical_too():
    x, y = _data()
    x, y = x.astype("float32"), y.astype("float32")
    fused, reference = _run(MLP, x, y, True), _run(MLP, x, y, False)
    assert fused[1] == reference[1]
    np.testing.assert_array_equal(fused[2], reference[2])
    assert fused[3].traced


def test_control_flow_on_training_is_traced_once_per_value_with_the_same_dropout_masks():
    class Net(descend.Model):
        def __init__(self):
            super().__init__()
            self.a = layers.Dense(12, activation="relu")
            self.drop = layers.Dropout(0.5)
            self.noise = layers.GaussianNoise(0.1)
            self.b = layers.Dense(3)

        def call(self, x, training=None):
            h = self.a(x)
            if training:
                h = self.noise(self.drop(h))
            return self.b(h)

    with float64():
        x, y = _data()
        *_, verdict = _both(Net, x, y)
    assert verdict.traced
    assert "training=[" in repr(verdict)  # two different plans
    assert [type(s).__name__ for s in verdict.inference.steps] == ["_DenseChain"]


def test_branches_ops_and_custom_layers_run_as_nodes_in_call_order():
    class Scale(layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

        def call(self, x):
            return x * self.w

    class Net(descend.Model):
        def __init__(self):
            super().__init__()
            self.left = layers.Dense(6, activation="relu")
            self.right = layers.Dense(6)
            self.left_drop = layers.Dropout(0.3)
            self.right_drop = layers.Dropout(0.3)
            self.scale = Scale()
            self.head = layers.Dense(3)

        def call(self, x, training=False):
            a = self.left_drop(self.left(x), training=training)
            b = self.right_drop(ops.tanh(self.right(x)))
            return self.head(self.scale(ops.concatenate([a, b * 0.5], axis=-1)))

    with float64():
        x, y = _data()
        *_, verdict = _both(Net, x, y)
    assert verdict.traced
    names = repr(verdict.training.steps)
    assert "Call(scale" in names and "Call(concatenate" in names


def test_nested_models_inside_a_traced_model():
    class Block(descend.Model):
        def __init__(self):
            super().__init__()
            self.a = layers.Dense(6, activation="relu")
            self.drop = layers.Dropout(0.2)

        def call(self, x, training=None):
            return self.drop(self.a(x), training=training)

    class Net(descend.Model):
        def __init__(self):
            super().__init__()
            self.block = Block()
            self.stack = descend.Sequential([layers.Dense(5, activation="relu"),
                                             layers.Dense(4)])
            self.head = layers.Dense(3)

        def call(self, x, training=None):
            return self.head(ops.concatenate([self.block(x), self.stack(x)], axis=-1))

    with float64():
        x, y = _data()
        model, *_, verdict = _both(Net, x, y)
    assert verdict.traced
    assert "Call(block" in repr(verdict) and "Call(sequential" in repr(verdict)


def test_dict_inputs_and_several_outputs():
    class TwoHeads(descend.Model):
        def __init__(self):
            super().__init__()
            self.shared = layers.Dense(8, activation="relu")
            self.first = layers.Dense(2)
            self.second = layers.Dense(1)

        def call(self, inputs):
            h = self.shared(ops.concatenate([inputs["a"], inputs["b"]], axis=-1))
            return [self.first(h), self.second(h)]

    rng = np.random.default_rng(1)
    x = {"a": rng.standard_normal((32, 3)), "b": rng.standard_normal((32, 2))}
    y = [rng.standard_normal((32, 2)), rng.standard_normal((32, 1))]
    with float64():
        *_, verdict = _both(TwoHeads, x, y)
    assert verdict.traced


def test_a_changed_attribute_read_by_call_traces_again():
    class Net(descend.Model):
        def __init__(self):
            super().__init__()
            self.use_extra = True
            self.temperature = 2.0
            self.a = layers.Dense(4)
            self.extra = layers.Dense(4)

        def call(self, x):
            h = self.a(x)
            if self.use_extra:
                h = self.extra(h)
            return h / self.temperature

    x, _ = _data(16, 3)
    model = Net()
    eager = []
    with fusion(True):
        model.predict(x, verbose=0)
        first = model.predict(x, verbose=0)
        assert tracing.verdict(model).traced
        model.use_extra, model.temperature = False, 3.0
        second = model.predict(x, verbose=0)
    with fusion(False):
        eager.append(model.predict(x, verbose=0))
        model.use_extra, model.temperature = True, 2.0
        eager.append(model.predict(x, verbose=0))
    np.testing.assert_array_equal(second, eager[0])
    np.testing.assert_array_equal(first, eager[1])
    assert not np.allclose(first, second)


def test_reference_path_and_direct_calls_run_call():
    x, _ = _data(8)
    model = MLP()
    with fusion(False):
        model.predict(x, verbose=0)
        model.predict(x, verbose=0)
    assert tracing.verdict(model) is None
    with fusion(True):
        model.predict(x, verbose=0)
        assert tracing.verdict(model).traced
        calls = []
        model.register_forward_hook(lambda layer, i, o: calls.append(1))
        model(x)  # a direct call: call itself (its hooks fire once)
        assert calls == [1]


# ------------------------------------------------------ what is not traced
def _control_flow_on_values(self, x):
    h = self.a(x)
    if ops.greater(ops.mean(h), 0.0):
        h = ops.relu(h)
    return self.b(h)


def _python_state(self, x):
    self.calls += 1
    return self.b(self.a(x))


def _add_loss(self, x):
    h = self.a(x)
    self.add_loss(1e-3 * ops.sum(ops.square(h)))
    return self.b(h)


def _add_metric(self, x):
    h = self.a(x)
    self.add_metric(ops.mean(h), name="mean_h")
    return self.b(h)


def _random_outside_layers(self, x):
    return self.b(self.a(x) + descend.random.normal((1, 6), stddev=0.1))


def _numpy_random(self, x):
    return self.b(self.a(x) * np.random.uniform(0.9, 1.1))  # noqa: NPY002  (the point)


def _reads_weight_values(self, x):
    return self.b(self.a(x) * float(self.a.kernel.numpy().mean()))


def _prints(self, x):
    print("called")
    return self.b(self.a(x))


def _try_except(self, x):
    try:
        h = self.a(x)
    except ValueError:
        h = x
    return self.b(h)


def _appends(self, x):
    self.seen.append(1)
    return self.b(self.a(x))


UNSAFE = {
    "control flow on values": (_control_flow_on_values, "cannot be used as a boolean"),
    "python state": (_python_state, "assigns to self.calls"),
    "add_loss": (_add_loss, ".add_loss()"),
    "add_metric": (_add_metric, ".add_metric()"),
    "random op outside layers": (_random_outside_layers, "random numbers outside a layer"),
    "numpy random": (_numpy_random, "random numbers outside a layer"),
    "reads weights": (_reads_weight_values, ".numpy()"),
    "print": (_prints, "builtin print()"),
    "try": (_try_except, "uses try"),
    "mutates a list": (_appends, ".append() on something it does not own"),
}


@pytest.mark.parametrize("case", sorted(UNSAFE))
def test_unsafe_calls_fall_back_to_call_and_say_why(case, capsys):
    body, reason = UNSAFE[case]

    class Net(descend.Model):
        def __init__(self):
            super().__init__()
            self.calls = 0
            self.seen = []
            self.a = layers.Dense(6, activation="tanh")
            self.b = layers.Dense(3)

        def add_metric(self, value, name=None):
            self.add_loss(0.0 * value)

        call = body

    with float64():
        x, y = _data()
        model, *_, verdict = _both(Net, x, y, epochs=2)
    assert isinstance(verdict, tracing.EagerCall), verdict
    assert reason in verdict.reason
    assert model._execution_plan() is None
    if case == "python state":
        # the eager call ran at every step on the fused path too: as many calls as
        # the reference path counted
        with fusion(False):
            reference = Net()
            reference.compile("adam", "mse")
            reference.fit(x, y, epochs=2, batch_size=16, verbose=0)
            reference.predict(x, verbose=0)
            reference.evaluate(x, y, batch_size=16, verbose=0)
        assert model.calls == reference.calls


@pytest.mark.parametrize("signature", ["mask", "extra"])
def test_calls_taking_masks_or_extra_arguments_are_not_traced(signature):
    class WithMask(descend.Model):
        def __init__(self):
            super().__init__()
            self.a = layers.Dense(3)

        def call(self, x, training=None, mask=None):
            return self.a(x)

    class WithExtra(WithMask):
        def call(self, x, training=None, scale=2.0):
            return self.a(x) * scale

    with float64():
        x, y = _data()
        *_, verdict = _both(WithMask if signature == "mask" else WithExtra, x, y, epochs=1)
    assert not verdict.traced and f"takes `{signature if signature == 'mask' else 'scale'}`" \
        in verdict.reason


def test_a_layer_the_model_does_not_hold_is_not_traced():
    with float64():
        shared = layers.Dense(3, name="shared_elsewhere")
        shared.build((None, 6))

    class Net(descend.Model):
        def __init__(self):
            super().__init__()
            self.a = layers.Dense(6)

        def call(self, x):
            return shared(self.a(x))

    with float64():
        shared.set_weights([np.ones((6, 3)), np.zeros(3)])
        x, y = _data()
        *_, verdict = _both(Net, x, y, epochs=1)
    assert "does not hold" in verdict.reason


def test_a_tensor_computed_from_weights_while_tracing_is_refused():
    class Net(descend.Model):
        def __init__(self):
            super().__init__()
            self.a = layers.Dense(3)

        def build(self, input_shape):
            self.scale = self.add_weight(shape=(3,), initializer="ones")
            super().build(input_shape)

        def call(self, x):
            doubled = self.scale * 2.0  # a Tensor computed from a weight, not from x
            return self.a(x) * doubled

    with float64():
        x, y = _data()
        *_, verdict = _both(Net, x, y, epochs=2)
    assert not verdict.traced and "computed from weights" in verdict.reason


def test_stateful_rnns_and_masks_are_not_traced():
    class Stateful(descend.Model):
        def __init__(self):
            super().__init__()
            self.rnn = layers.SimpleRNN(4, stateful=True)
            self.out = layers.Dense(1)

        def call(self, x):
            return self.out(self.rnn(x))

    class Masked(descend.Model):
        def __init__(self):
            super().__init__()
            self.embed = layers.Embedding(10, 4, mask_zero=True)
            self.rnn = layers.GRU(3)
            self.out = layers.Dense(1)

        def call(self, x):
            return self.out(self.rnn(self.embed(x)))

    rng = np.random.default_rng(0)
    seq = rng.standard_normal((8, 5, 2))
    ids = rng.integers(0, 10, (8, 5)).astype("float64")
    def stateful_model():
        model = Stateful()
        model(seq)  # built for batches of 8
        return model

    with float64():
        *_, stateful = _both(stateful_model, seq, rng.standard_normal((8, 1)), epochs=1)
        *_, masked = _both(Masked, ids, rng.standard_normal((8, 1)), epochs=1)
    assert "stateful" in stateful.reason
    assert "masks" in masked.reason


def test_train_step_and_predict_step_overrides_still_call_the_model():
    class Custom(MLP):
        def train_step(self, data):
            x, y = data
            y_pred = self(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred)
            self.zero_grad()
            loss.backward()
            self.optimizer.apply([w.grad for w in self.trainable_weights],
                                 self.trainable_weights)
            return {"loss": loss}

        def predict_step(self, data):
            return self(data, training=False) * 2.0

    with float64():
        x, y = _data()
        _both(Custom, x, y, epochs=2)


# ------------------------------------------------------- saving and hooks
def test_a_traced_model_saves_loads_and_keeps_training_identically(tmp_path):
    @descend.saving.register_keras_serializable(package="test_plan_subclassed")
    class Saved(MLP):
        pass

    x, y = _data()
    x, y = x.astype("float32"), y.astype("float32")
    with fusion(True):
        descend.utils.set_random_seed(3)
        model = Saved()
        model.compile("adam", "mse")
        model.fit(x, y, epochs=2, verbose=0)
        assert tracing.verdict(model).traced
        model.save(tmp_path / "m.descend")
        loaded = descend.saving.load_model(tmp_path / "m.descend")
        np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
        descend.utils.set_random_seed(5)
        model.fit(x, y, epochs=1, verbose=0)
        descend.utils.set_random_seed(5)
        loaded.fit(x, y, epochs=1, verbose=0)
        assert tracing.verdict(loaded).traced
    for a, b in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_super_call_is_not_read_so_not_traced():
    class Base(descend.Model):
        def __init__(self):
            super().__init__()
            self.a = layers.Dense(3)

        def call(self, x):
            return self.a(x)

    class Child(Base):
        def call(self, x):
            return super().call(x) * 2.0

    with float64():
        x, y = _data()
        *_, verdict = _both(Child, x, y, epochs=1)
    assert "super()" in verdict.reason


def _hooked_run(on, x, y):
    with fusion(on):
        descend.utils.set_random_seed(1)
        model = MLP()
        model.compile("adam", "mse")
        model.fit(x, y, epochs=1, verbose=0)
        seen, model_seen = [], []
        handle = model.middle.register_forward_hook(
            lambda layer, inputs, outputs: seen.append(outputs.numpy().copy()))
        with model.register_forward_hook(lambda layer, i, o: model_seen.append(len(i))):
            model.fit(x, y, epochs=1, batch_size=16, verbose=0)
            hooked = repr(tracing.verdict(model))
            predicted = model.predict(x, verbose=0)
        handle.remove()
        after = model.predict(x, verbose=0)
        return seen, model_seen, hooked, predicted, after, repr(tracing.verdict(model))


def test_hooks_fire_on_the_traced_plan_as_on_the_eager_call():
    x, y = _data()
    x, y = x.astype("float32"), y.astype("float32")
    fused, reference = _hooked_run(True, x, y), _hooked_run(False, x, y)
    assert len(fused[0]) == len(reference[0]) >= 4  # the probe, 3 steps, predict
    for a, b in zip(fused[0], reference[0], strict=True):
        np.testing.assert_array_equal(a, b)
    assert fused[1] == reference[1]
    assert "Call(middle)" in fused[2]  # the hooked layer left the chain
    assert "DenseChain(hidden, middle, out)" in fused[5]  # and came back after removal
    np.testing.assert_array_equal(fused[3], reference[3])
    np.testing.assert_array_equal(fused[4], reference[4])


def test_a_layer_used_only_in_training_is_built_by_a_step_not_by_the_trace():
    class Net(descend.Model):
        def __init__(self):
            super().__init__()
            self.a = layers.Dense(5)
            self.train_only = layers.Dense(5, name="train_only")
            self.b = layers.Dense(3)

        def call(self, x, training=None):
            h = self.a(x)
            if training:
                h = self.train_only(h)
            return self.b(h)

    x, y = _data()
    with fusion(True):
        model = Net()
        for _ in range(4):  # predicts first: not traced while train_only is not built
            model.predict(x, verbose=0)
        assert tracing.verdict(model) is None
        assert not model.train_only.built and model.train_only.weights == []
        model.compile("sgd", "mse")
        model.fit(x, y, epochs=2, batch_size=16, verbose=0)  # step 1 builds it, then traced
        assert tracing.verdict(model).traced
        assert len(model.train_only.weights) == 2
        assert len(model.trainable_weights) == 6
