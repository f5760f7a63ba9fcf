"""Forward hooks on layers (descend.layers.hooks) fire on every path, fused or not.

``register_forward_pre_hook``/``register_forward_hook`` return a handle whose
``remove()`` detaches the hook. Hooks see each layer's own input and output on a
direct call, in ``fit`` (graph path) and in ``predict`` (array path), on the
fused plan and on the reference path; a hooked layer is left out of fusion and
the numbers do not change.
"""

from __future__ import annotations

import numpy as np
import pytest
from tests._fusion import fusion

import descend
from descend import layers
from descend.models import Model, Sequential


def _sequential():
    descend.utils.set_random_seed(0)
    return Sequential([layers.Input((4,)), layers.Dense(5, activation="relu", name="a"),
                       layers.Dense(3, activation="tanh", name="b"),
                       layers.Dense(2, activation="softmax", name="c")])


def _functional():
    descend.utils.set_random_seed(0)
    inputs = layers.Input((4,))
    a = layers.Dense(5, activation="relu", name="a")(inputs)
    b = layers.Dense(3, activation="tanh", name="b")(a)
    return Model(inputs, layers.Dense(2, activation="softmax", name="c")(b))


def _record(model, name):
    seen = []
    handle = model.get_layer(name).register_forward_hook(
        lambda layer, inputs, outputs: seen.append((layer.name, np.array(inputs.data),
                                                    np.array(outputs.data))))
    return seen, handle


@pytest.mark.parametrize("on", [True, False])
@pytest.mark.parametrize("make", [_sequential, _functional])
def test_hook_sees_the_layers_own_input_and_output_on_every_path(make, on):
    x = np.random.default_rng(1).standard_normal((6, 4)).astype(np.float32)
    with fusion(on):
        model = make()
        expected = model.predict(x, verbose=0)
        a_out = np.maximum(x @ model.get_layer("a").kernel.data + model.get_layer("a").bias.data,
                           0)
        seen, handle = _record(model, "b")
        np.testing.assert_array_equal(model.predict(x, verbose=0), expected)  # array path
        assert [name for name, _, _ in seen] == ["b"]
        np.testing.assert_allclose(seen[0][1], a_out, rtol=1e-6)
        np.testing.assert_allclose(seen[0][2], np.tanh(a_out @ model.get_layer("b").kernel.data
                                                       + model.get_layer("b").bias.data),
                                   rtol=1e-5, atol=1e-6)
        with descend.autograd.no_grad():
            model(x)  # direct call
        model.compile("sgd", "categorical_crossentropy")
        model.fit(x, np.eye(2, dtype=np.float32)[np.arange(6) % 2], epochs=1, batch_size=6,
                  verbose=0)  # graph path: forward of the train step (and the shape probe)
        assert len(seen) >= 3
        handle.remove()
        count = len(seen)
        model.predict(x, verbose=0)
        assert len(seen) == count


def test_hooks_replace_inputs_and_outputs_and_run_in_order():
    layer = layers.Dense(2, kernel_initializer="ones", bias_initializer="zeros", name="sum")
    order = []
    pre = layer.register_forward_pre_hook(lambda l, x: (order.append("pre"), x * 2.0)[1])
    post = layer.register_forward_hook(lambda l, x, y: (order.append("post"), y + 1.0)[1])
    out = layer(np.ones((1, 3), np.float32))
    np.testing.assert_array_equal(out.data, [[7.0, 7.0]])  # (2 * 3) + 1
    assert order == ["pre", "post"]
    model = Sequential([layers.Input((3,)), layer, layers.Dense(1, kernel_initializer="ones")])
    np.testing.assert_array_equal(model.predict(np.ones((1, 3), np.float32), verbose=0),
                                  [[14.0]])  # the replaced output feeds the next layer
    pre.remove()
    post.remove()
    post.remove()  # removing twice does nothing
    np.testing.assert_array_equal(model.predict(np.ones((1, 3), np.float32), verbose=0),
                                  [[6.0]])
    assert layer._hooks is None


def test_handle_is_a_context_manager_and_non_callables_are_refused():
    layer = layers.Dense(2, name="probe")
    seen = []
    with layer.register_forward_hook(lambda l, x, y: seen.append(y.shape)):
        layer(np.ones((3, 4), np.float32))
    layer(np.ones((3, 4), np.float32))
    assert seen == [(3, 2)]
    with pytest.raises(TypeError, match="probe.*register_forward_hook"):
        layer.register_forward_hook("not a function")


def test_hooks_do_not_fire_for_shape_inference_or_symbolic_calls():
    seen = []

    class NoFormula(layers.Layer):  # output shape found by running call on zeros
        def call(self, inputs):
            return inputs * 2.0

    layer = NoFormula()
    layer.register_forward_hook(lambda l, x, y: seen.append(y.shape))
    inputs = layers.Input((3,))
    model = Model(inputs, layer(inputs))
    assert layer.compute_output_shape((None, 3)) == (None, 3)
    assert seen == []
    model.predict(np.ones((2, 3), np.float32), verbose=0)
    assert seen == [(2, 3)]


def test_a_hooked_layer_inside_a_fused_chain_changes_no_number():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((16, 4)).astype(np.float32)
    y = rng.integers(0, 2, 16)
    results = []
    for hooked in (False, True):
        with fusion(True):
            model = _sequential()
            model.compile(descend.optimizers.Adam(0.01), "sparse_categorical_crossentropy")
            if hooked:
                model.get_layer("b").register_forward_hook(lambda *args: None)
                assert [repr(s) for s in model._execution_plan().steps] == [
                    "Call(a)", "Call(b)", "Call(c)"]
            else:
                assert [repr(s) for s in model._execution_plan().steps] == [
                    "DenseChain(a, b, c)"]
            descend.utils.set_random_seed(5)
            loss = model.fit(x, y, batch_size=4, epochs=2, verbose=0).history["loss"]
            results.append((loss, model.get_weights(), model.predict(x, verbose=0)))
    assert results[0][0] == results[1][0]
    for a, b in zip(results[0][1], results[1][1], strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(results[0][2], results[1][2])


def test_hooks_on_a_nested_model_and_its_layers():
    inner = Sequential([layers.Dense(3, activation="relu", name="inner_dense")], name="inner")
    model = Sequential([layers.Input((2,)), inner, layers.Dense(1, name="head")])
    seen = []
    inner.register_forward_hook(lambda l, x, y: seen.append(l.name))
    inner.layers[0].register_forward_hook(lambda l, x, y: seen.append(l.name))
    model.predict(np.ones((2, 2), np.float32), verbose=0)
    assert seen == ["inner_dense", "inner"]


class _Subclassed(Model):
    def __init__(self):
        super().__init__()
        self.hidden = layers.Dense(3, activation="relu")
        self.out = layers.Dense(2, activation="softmax")

    def call(self, inputs, training=False):
        return self.out(self.hidden(inputs))


@pytest.mark.parametrize("make", [_sequential, _functional, _Subclassed])
def test_a_models_own_hooks_fire_in_fit_evaluate_and_predict(make):
    x = np.random.default_rng(2).standard_normal((8, 4)).astype(np.float32)
    y = np.arange(8) % 2
    model = make()
    model.compile("sgd", "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)  # builds the subclassed model
    seen = []
    model.register_forward_pre_hook(lambda m, inputs: seen.append(("pre", inputs.shape)))
    model.register_forward_hook(lambda m, inputs, outputs: seen.append(("post",
                                                                        outputs.shape)))
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert ("post", (8, 2)) in seen
    seen.clear()
    model.evaluate(x, y, batch_size=8, verbose=0)
    assert ("post", (8, 2)) in seen
    seen.clear()
    expected = model.predict(x, verbose=0)
    assert seen == [("pre", (8, 4)), ("post", (8, 2))]
    model.register_forward_hook(lambda m, inputs, outputs: outputs * 0.0)
    np.testing.assert_array_equal(model.predict(x, verbose=0), np.zeros_like(expected))
