"""Subclassed layers and models, as Keras tracks and trains them."""

from __future__ import annotations

import os

import numpy as np
import pytest

import descend
from descend import layers, ops
from descend.layers import Dense, Dropout, Input, Layer
from descend.models import Model


class Linear(Layer):
    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros")

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b


class Blocks(Layer):
    """Sublayers directly, in a list, a tuple and a dict; a frozen one; a private one."""

    def __init__(self):
        super().__init__()
        self.first = Dense(3, name="first")
        self.stack = [Dense(3, name="s0"), Dense(3, name="s1")]
        self.pair = (Dense(3, name="p0"), Dense(3, name="p1"))
        self.by_name = {"a": Dense(3, name="da"), "b": Dense(3, name="db")}
        self._hidden = Dense(3, name="hidden")
        self.norm = layers.BatchNormalization(name="bn")

    def call(self, x, training=None):
        x = self.first(x)
        for layer in [*self.stack, *self.pair, self.by_name["a"], self.by_name["b"],
                      self._hidden]:
            x = layer(x)
        return self.norm(x, training=training)


def test_sublayers_in_attributes_lists_tuples_and_dicts_are_tracked_in_keras_order():
    block = Blocks()
    block(np.ones((2, 5), "float32"))
    assert [layer.name for layer in block._layers] == [
        "first", "s0", "s1", "p0", "p1", "da", "db", "hidden", "bn"]
    assert len(block.weights) == 8 * 2 + 4
    assert len(block.trainable_weights) == 8 * 2 + 2
    names = [w.path for w in block.non_trainable_weights]
    assert names == ["bn/moving_mean", "bn/moving_variance"]
    assert block.count_params() == 5 * 3 + 3 + 7 * (3 * 3 + 3) + 4 * 3
    assert block.variables == block.weights


def test_later_appends_and_removals_are_tracked():
    block = Blocks()
    block.stack.append(Dense(2, name="late"))
    assert block._layers[-1].name == "late"
    block.stack.pop()
    assert "late" not in [layer.name for layer in block._layers]
    block.by_name["c"] = Dense(2, name="dc")
    assert "dc" in [layer.name for layer in block._layers]
    del block.first
    assert "first" not in [layer.name for layer in block._layers]


def test_variables_assigned_as_attributes_are_weights():
    class Scale(Layer):
        def __init__(self):
            super().__init__()
            self.scale = descend.Variable(np.ones(3, "float32"), name="scale")

        def call(self, x):
            return x * self.scale

    layer = Scale()
    assert [w.name for w in layer.weights] == ["scale"]


def _regression_data(n=256, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    return x, (x @ np.array([1.0, -2.0, 0.5, 3.0], "float32"))[:, None]


class Net(Model):
    def __init__(self, hidden=16, **kwargs):
        super().__init__(**kwargs)
        self.hidden = hidden
        self.dense = Dense(hidden, activation="relu")
        self.blocks = [Dense(hidden, activation="relu")]
        self.out = Dense(1)

    def call(self, x, training=None):
        x = self.dense(x)
        for block in self.blocks:
            x = block(x)
        return self.out(x)


def test_a_subclassed_model_with_sublayers_in_init_trains():
    """The silent failure this replaces: 0 parameters, nothing trained, a flat loss."""
    descend.utils.set_random_seed(0)
    x, y = _regression_data()
    model = Net()
    model.compile(optimizer=descend.optimizers.Adam(0.01), loss="mse")
    history = model.fit(x, y, epochs=8, batch_size=32, verbose=0)
    assert model.count_params() == 4 * 16 + 16 + 16 * 16 + 16 + 16 + 1
    assert len(model.weights) == 6
    losses = history.history["loss"]
    assert losses[-1] < 0.5 * losses[0]
    assert isinstance(model.evaluate(x, y, verbose=0), float)
    assert model.predict(x[:3], verbose=0).shape == (3, 1)
    assert [layer.name for layer in model.layers] == [layer.name for layer in model._layers]


def test_build_by_hand_creates_every_weight_and_summary_lists_the_layers(capsys):
    model = Net(hidden=8)
    assert not model.weights
    model.build((None, 4))
    assert model.built and model.count_params() == 4 * 8 + 8 + 8 * 8 + 8 + 8 + 1
    model.summary()
    out = capsys.readouterr().out
    assert "dense (Dense)" in out and "Total params: 121" in out


def test_set_and_get_weights_round_trip_between_two_instances():
    x, _ = _regression_data(8)
    a, b = Net(hidden=5), Net(hidden=5)
    a.build((None, 4))
    b.build((None, 4))
    b.set_weights(a.get_weights())
    np.testing.assert_array_equal(a.predict(x, verbose=0), b.predict(x, verbose=0))


def test_saving_and_loading_a_subclassed_model(tmp_path):
    x, y = _regression_data(32)
    model = Net(hidden=6, name="net")
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=1, verbose=0)
    assert model.get_config()["hidden"] == 6
    path = os.fspath(tmp_path / "net.descend")
    model.save(path)
    with pytest.raises(ValueError, match="Net"):
        descend.models.load_model(path)
    loaded = descend.models.load_model(path, custom_objects={"Net": Net})
    assert type(loaded) is Net and loaded.hidden == 6
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    loaded.fit(x, y, epochs=1, verbose=0)  # the optimizer state came back too


def test_a_layer_without_plain_arguments_needs_get_config():
    class Wrapper(Layer):
        def __init__(self, inner, **kwargs):
            super().__init__(**kwargs)
            self.inner = inner

    with pytest.raises(NotImplementedError, match="get_config"):
        Wrapper(Dense(2)).get_config()


def test_add_loss_in_call_nested_layers_and_regularizers():
    class ActivityRegularization(Layer):
        def __init__(self, rate=1e-2):
            super().__init__()
            self.rate = rate

        def call(self, inputs):
            self.add_loss(self.rate * ops.sum(inputs))
            return inputs

    class Outer(Layer):
        def __init__(self):
            super().__init__()
            self.regularize = ActivityRegularization(0.5)
            self.dense = Dense(2, kernel_regularizer=descend.regularizers.L2(0.1),
                               kernel_initializer="ones")

        def call(self, x):
            return self.dense(self.regularize(x))

    layer = Outer()
    assert layer.losses == []
    layer(np.ones((1, 3), "float32"))
    first = [float(v.data) for v in layer.losses]
    layer(np.ones((1, 3), "float32"))  # the second call replaces, not adds
    assert [float(v.data) for v in layer.losses] == pytest.approx(first)
    assert first == pytest.approx([0.5 * 3, 0.1 * 6])


def test_fit_adds_the_added_losses_to_the_compiled_loss():
    class Penalty(Layer):
        def call(self, inputs):
            self.add_loss(ops.mean(ops.square(inputs)))
            return inputs

    inputs = Input(shape=(2,))
    hidden = Dense(3, kernel_initializer="ones")(inputs)
    outputs = Dense(1, kernel_initializer="ones")(Penalty()(hidden))
    model = descend.Model(inputs, outputs)
    model.compile(optimizer=descend.optimizers.SGD(1e-12), loss="mse")
    x = np.ones((4, 2), "float32")
    y = np.zeros((4, 1), "float32")
    loss = model.evaluate(x, y, verbose=0)
    assert loss == pytest.approx(6.0**2 + 2.0**2)  # mse of 6, plus mean(hidden**2) = 4
    history = model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    assert history.history["loss"][0] == pytest.approx(40.0)
    assert len(model.losses) == 1


def test_training_flag_reaches_layers_inside_custom_layers():
    class Noisy(Layer):
        def __init__(self):
            super().__init__()
            self.drop = Dropout(0.5, seed=1)

        def call(self, x):
            return self.drop(x)

    layer = Noisy()
    x = np.ones((100, 10), "float32")
    assert np.array_equal(layer(x).data, x)
    assert (layer(x, training=True).data == 0).any()

    class Model1(Model):
        def __init__(self):
            super().__init__()
            self.noisy = Noisy()
            self.out = Dense(1, kernel_initializer="ones", use_bias=False)

        def call(self, x):
            return self.out(self.noisy(x))

    model = Model1()
    model.compile(optimizer=descend.optimizers.SGD(1e-12), loss="mse")
    assert np.allclose(model.predict(x, verbose=0), 10.0)
    history = model.fit(x, np.full((100, 1), 10.0), epochs=1, batch_size=100, verbose=0)
    assert history.history["loss"][0] > 1.0  # dropout was active during fit


def test_a_layer_created_inside_call_is_refused_on_the_next_call():
    class Bad(Layer):
        def call(self, x):
            return Dense(2)(x)

    bad = Bad()
    bad(np.ones((1, 3), "float32"))
    assert len(bad.weights) == 2  # adopted on the first call, so it trains
    with pytest.raises(ValueError, match="created in call"):
        bad(np.ones((1, 3), "float32"))


def test_fit_warns_when_there_is_nothing_to_train():
    class Frozen(Model):
        def __init__(self):
            super().__init__()
            self.dense = Dense(1)

        def call(self, x):
            return self.dense(x)

    model = Frozen()
    model.build((None, 2))
    model.trainable = False
    model.compile(optimizer="sgd", loss="mse")
    with pytest.warns(UserWarning, match="no trainable weights"):
        model.fit(np.ones((4, 2)), np.ones((4, 1)), verbose=0)


def test_subclass_calling_functional_init_is_functional():
    class Residual(Model):
        def __init__(self):
            inputs = Input(shape=(3,))
            outputs = Dense(3)(inputs) + inputs
            super().__init__(inputs, outputs)

    model = Residual()
    assert isinstance(model, descend.models.Functional)
    assert model.predict(np.ones((2, 3), "float32"), verbose=0).shape == (2, 3)


def test_an_unimplemented_call_is_a_clear_error():
    with pytest.raises(NotImplementedError, match="call"):
        Model().predict(np.ones((1, 2)), verbose=0)


def test_dict_inputs_reach_a_subclassed_call_as_a_dict():
    class TwoInputs(Model):
        def __init__(self):
            super().__init__()
            self.numeric = Dense(2)
            self.categorical = Dense(2)
            self.out = Dense(1)

        def call(self, inputs):
            joined = ops.concatenate([self.numeric(inputs["num"]),
                                      self.categorical(inputs["cat"])], axis=-1)
            return self.out(joined)

    model = TwoInputs()
    model.compile(optimizer="adam", loss="mse")
    x = {"num": np.ones((8, 3)), "cat": np.zeros((8, 5))}
    model.fit(x, np.ones((8, 1)), epochs=1, verbose=0)
    assert model.predict(x, verbose=0).shape == (8, 1)
    assert model.count_params() == 3 * 2 + 2 + 5 * 2 + 2 + 4 + 1


def test_fit_without_targets_hands_x_alone_to_train_step_and_predict_step_is_used():
    seen = []

    class AutoEncoder(Model):
        def __init__(self):
            super().__init__()
            self.encode = Dense(2)
            self.decode = Dense(4)

        def call(self, x):
            return self.decode(self.encode(x))

        def train_step(self, data):
            seen.append(type(data))
            reconstruction = self(data, training=True)
            loss = ops.mean(ops.square(reconstruction - data))
            self.zero_grad()
            loss.backward()
            weights = self.trainable_weights
            self.optimizer.apply([w.grad for w in weights], weights)
            return {"reconstruction_loss": loss}

        def predict_step(self, data):
            return self.encode(data)

    model = AutoEncoder()
    model.compile(optimizer=descend.optimizers.Adam(0.05))
    x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    history = model.fit(x, epochs=5, batch_size=16, verbose=0)
    assert seen[0] is np.ndarray
    losses = history.history["reconstruction_loss"]
    assert losses[-1] < losses[0]
    assert model.predict(x, verbose=0).shape == (64, 2)


def test_compile_without_a_loss_and_nothing_added_is_a_clear_error():
    model = Net()
    model.compile(optimizer="adam")
    with pytest.raises(ValueError, match="No loss to compute"):
        model.fit(np.ones((4, 4)), np.ones((4, 1)), verbose=0)


class LogisticEndpoint(Layer):
    """Keras's endpoint-layer pattern: tensors in two arguments, the loss added inside."""

    def __init__(self, name=None):
        super().__init__(name=name)
        self.loss_fn = descend.losses.BinaryCrossentropy(from_logits=True)
        self.accuracy_fn = descend.metrics.BinaryAccuracy()

    def call(self, targets, logits, sample_weights=None):
        self.add_loss(self.loss_fn(targets, logits, sample_weights))
        self.accuracy_fn.update_state(targets, logits, sample_weights)
        return ops.softmax(logits)


def test_a_layer_taking_tensors_in_several_arguments_in_a_functional_model(tmp_path):
    descend.utils.set_random_seed(0)
    inputs = Input(shape=(3,), name="inputs")
    targets = Input(shape=(10,), name="targets")
    logits = Dense(10)(inputs)
    predictions = LogisticEndpoint(name="predictions")(targets, logits)
    model = descend.Model(inputs=[inputs, targets], outputs=predictions)
    model.compile(optimizer=descend.optimizers.Adam(0.05))  # the loss comes from add_loss
    rng = np.random.default_rng(0)
    data = {"inputs": rng.random((32, 3)), "targets": (rng.random((32, 10)) > 0.5) * 1.0}
    history = model.fit(data, epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert "binary_accuracy" in history.history  # the layer's tracked metric is reported
    expected = descend.losses.BinaryCrossentropy(from_logits=True)(
        data["targets"], model.get_layer(index=2)(data["inputs"]))
    loss = model.evaluate(data, batch_size=32, verbose=0, return_dict=True)["loss"]
    assert loss == pytest.approx(float(expected.data), rel=1e-5)
    for _ in range(3):  # each call replaces the added loss of the last one
        model.predict(data, verbose=0)
    assert len(model.losses) == 1
    assert float(model.losses[0].data) == pytest.approx(float(expected.data), rel=1e-5)
    path = os.fspath(tmp_path / "endpoint.descend")
    model.save(path)
    loaded = descend.models.load_model(path, custom_objects={"LogisticEndpoint": LogisticEndpoint})
    np.testing.assert_allclose(loaded.predict(data, verbose=0), model.predict(data, verbose=0))


def test_tensors_convert_to_python_numbers_and_have_keras_operators():
    t = descend.Tensor(np.array([3.0, 5.0], "float32"))
    assert float(t[1]) == 5.0 and int(t[0]) == 3
    np.testing.assert_array_equal((t // 2).data, [1.0, 2.0])
    np.testing.assert_array_equal((t % 2).data, [1.0, 1.0])
    np.testing.assert_array_equal((~(t > 4)).data if hasattr(t > 4, "data") else ~(t > 4),
                                  [True, False])
    with pytest.raises(ValueError):
        bool(t)
