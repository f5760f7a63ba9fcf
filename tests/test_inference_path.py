"""predict's array path (``ExecutionPlan.infer`` / ``Model._infer_arrays``) equals the graph path.

``predict``, ``predict_on_batch`` and the batched predict loop run each layer of
a Sequential model on plain arrays, without Tensors or graph nodes. These tests
check that the outputs are bit-identical to calling the model (the Tensor path)
for every fused Dense activation, a non-fused activation, layers that only
have the generic array path, nested models, and that bad input still raises
the layer's own error.
"""

from __future__ import annotations

import numpy as np
import pytest

import descend
from descend import layers
from descend.autograd import no_grad
from descend.models import Model, Sequential


def _graph_output(model, x):
    with no_grad():
        return model(x, training=False).data


@pytest.mark.parametrize("activation", ["linear", "relu", "sigmoid", "tanh", "softmax",
                                        "elu", descend.activations.swish])
@pytest.mark.parametrize("use_bias", [True, False])
def test_dense_stack_predict_equals_call(activation, use_bias):
    rng = np.random.default_rng(0)
    model = Sequential([
        layers.Input((7,)),
        layers.Dense(5, activation=activation, use_bias=use_bias),
        layers.Dense(3, activation=activation, use_bias=use_bias),
    ])
    x = rng.standard_normal((9, 7)).astype(np.float32)
    expected = _graph_output(model, x)
    np.testing.assert_array_equal(model.predict(x, verbose=0), expected)
    np.testing.assert_array_equal(model.predict_on_batch(x), expected)
    # several batches through the predict loop: each batch equals the call on that batch
    # (BLAS may round a 4-row product differently from a 9-row one)
    batched = np.concatenate([_graph_output(model, x[i:i + 4]) for i in range(0, 9, 4)])
    np.testing.assert_array_equal(model.predict(x, batch_size=4, verbose=0), batched)


def test_mixed_layers_and_nested_model_predict_equals_call():
    rng = np.random.default_rng(1)
    inner = Sequential([layers.Dense(6, activation="relu"), layers.Dropout(0.5)])
    model = Sequential([
        layers.Input((4, 4, 2)),
        layers.Conv2D(3, 3, padding="same", activation="relu"),
        layers.BatchNormalization(),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        inner,
        layers.Activation("softmax"),
    ])
    model.compile("adam", "sparse_categorical_crossentropy")
    x = rng.standard_normal((10, 4, 4, 2)).astype(np.float32)
    model.fit(x, rng.integers(0, 6, 10), epochs=2, verbose=0)  # moving BN statistics
    expected = _graph_output(model, x)
    np.testing.assert_array_equal(model.predict(x, verbose=0), expected)
    batched = np.concatenate([_graph_output(model, x[i:i + 3]) for i in range(0, 10, 3)])
    np.testing.assert_array_equal(model.predict(x, batch_size=3, verbose=0), batched)


def test_functional_model_predict_equals_call():
    rng = np.random.default_rng(2)
    inputs = layers.Input((3,))
    hidden = layers.Dense(4, activation="tanh")(inputs)
    model = Model(inputs, layers.Dense(2)(hidden))
    x = rng.standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_array_equal(model.predict(x, verbose=0), _graph_output(model, x))


def test_predict_builds_no_graph_and_leaves_weights_without_grad(monkeypatch):
    from descend.autograd.function import Function

    monkeypatch.setattr(descend.config, "_FUSION", True)  # the fused plan's array path

    model = Sequential([layers.Input((3,)), layers.Dense(4, activation="relu"),
                        layers.Dense(2, activation="softmax")])
    x = np.ones((2, 3), np.float32)
    expected = _graph_output(model, x)

    def no_nodes(*args, **kwargs):
        raise AssertionError("predict created a graph node")

    monkeypatch.setattr(Function, "apply", classmethod(no_nodes))  # any primitive call fails
    out = model.predict(x, verbose=0)
    assert isinstance(out, np.ndarray) and out.dtype == np.float32
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(model.predict_on_batch(x), expected)
    assert all(w.grad is None for w in model.trainable_weights)


def test_predict_wrong_feature_count_names_the_layer():
    model = Sequential([layers.Dense(4, name="first"), layers.Dense(2, name="second")])
    model.build((None, 3))
    with pytest.raises(ValueError, match="first"):
        model.predict(np.ones((2, 5), np.float32), verbose=0)
    inner_bad = Sequential([layers.Input((3,)), layers.Dense(4), layers.Dense(2)])
    with pytest.raises(ValueError, match="expected shape"):
        inner_bad.predict(np.ones((2, 5), np.float32), verbose=0)


def test_dense_infer_rejects_a_mismatched_last_axis():
    model = Sequential([layers.Input((3,)), layers.Dense(2, name="probe"),
                        layers.Dense(2, name="next")])
    with no_grad(), pytest.raises(ValueError, match="probe"):
        model._execution_plan().infer([np.ones((4, 5), np.float32)])
