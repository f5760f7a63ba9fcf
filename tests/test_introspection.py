"""Model introspection and configs: get_layer, inputs/outputs, layer.input/output,
Model.from_config, clone_model, serialize/deserialize_keras_object, layers.serialize."""

from __future__ import annotations

import json

import numpy as np
import pytest

import descend
from descend import layers, losses, metrics, optimizers
from descend.models import clone_model
from descend.saving import deserialize_keras_object, serialize_keras_object


def _functional() -> descend.Model:
    inputs = descend.Input((4,), name="x")
    hidden = layers.Dense(3, activation="relu", name="hidden")(inputs)
    outputs = layers.Dense(2, name="out")(hidden)
    return descend.Model(inputs, outputs, name="net")


def _sequential() -> descend.Sequential:
    return descend.Sequential([descend.Input((4,), name="x"),
                               layers.Dense(3, activation="relu", name="hidden"),
                               layers.Dense(2, name="out")], name="seq")


# ------------------------------------------------------------------- get_layer
@pytest.mark.parametrize("make", [_functional, _sequential])
def test_get_layer_by_name_and_index(make) -> None:  # noqa: ANN001
    model = make()
    assert model.get_layer("hidden").units == 3
    assert model.get_layer(index=-1).name == "out"
    assert model.get_layer(index=0) is model.layers[0]


@pytest.mark.parametrize("make", [_functional, _sequential])
def test_get_layer_errors_match_keras(make) -> None:  # noqa: ANN001
    model = make()
    n = len(model.layers)
    with pytest.raises(ValueError, match="Provide only a layer name or a layer index"):
        model.get_layer("hidden", 1)
    with pytest.raises(ValueError, match=f"index 10 but model only has {n} layers"):
        model.get_layer(index=10)
    with pytest.raises(ValueError, match=r"No such layer: nope. Existing layers are: \["):
        model.get_layer("nope")
    with pytest.raises(ValueError, match="Provide either a layer name or layer index"):
        model.get_layer()
    with pytest.raises(TypeError, match="index must be an int"):
        model.get_layer(index="1")


# ------------------------------------------------------- inputs, outputs, nodes
def test_sequential_inputs_outputs_and_layer_io() -> None:
    model = _sequential()
    (x,), (y,) = model.inputs, model.outputs
    assert x.shape == (None, 4) and y.shape == (None, 2)
    hidden, out = model.layers
    assert hidden.input is x and out.output is y
    assert hidden.output is out.input and hidden.output.shape == (None, 3)
    no_input = descend.Sequential([layers.Dense(2)])
    with pytest.raises(AttributeError, match="no defined inputs/outputs yet"):
        no_input.inputs  # noqa: B018
    no_input.build((None, 5))  # as in Keras, building defines them
    assert no_input.inputs[0].shape == (None, 5) and no_input.outputs[0].shape == (None, 2)
    fitted = descend.Sequential([layers.Dense(1)])
    fitted.compile(optimizer="sgd", loss="mse")
    fitted.fit(np.ones((4, 3)), np.ones((4, 1)), verbose=0)
    assert fitted.inputs[0].shape == (None, 3)
    assert fitted.layers[0].input is fitted.inputs[0]


def test_functional_layer_input_output_are_the_first_call() -> None:
    x = descend.Input((3,), name="x")
    shared = layers.Dense(3, name="shared")
    first = shared(x)
    second = shared(first)
    assert shared.input is x and shared.output is first and second is not first
    a, b = descend.Input((2,), name="a"), descend.Input((2,), name="b")
    add = layers.Add()
    total = add([a, b])
    assert add.input == [a, b] and add.output is total
    input_layer = descend.Model(x, second).layers[0]
    assert input_layer.output is x and input_layer.input == []
    with pytest.raises(AttributeError, match="has never been called and thus has no defined "
                                             "output"):
        layers.Dense(2).output  # noqa: B018


def test_get_source_inputs() -> None:
    a, b = descend.Input((2,), name="a"), descend.Input((2,), name="b")
    out = layers.Add()([layers.Dense(2)(a), b])
    assert descend.utils.get_source_inputs(out) == [a, b]
    with pytest.raises(TypeError, match="KerasTensor"):
        descend.utils.get_source_inputs(np.ones(2))


# ------------------------------------------------------------------ from_config
def test_model_from_config_rebuilds_a_functional_graph() -> None:
    model = _functional()
    config = json.loads(json.dumps(model.get_config()))
    for cls in (descend.Model, descend.models.Functional):
        clone = cls.from_config(config)
        assert isinstance(clone, descend.models.Functional)
        assert [layer.name for layer in clone.layers] == ["x", "hidden", "out"]
        assert clone.output_shape == (None, 2)


def test_model_from_config_with_custom_objects() -> None:
    class Doubler(layers.Layer):
        def call(self, inputs):  # noqa: ANN001, ANN201
            return inputs * 2.0

    inputs = descend.Input((2,), name="x")
    model = descend.Model(inputs, Doubler(name="twice")(inputs))
    config = model.get_config()
    with pytest.raises(ValueError, match="Doubler"):
        descend.Model.from_config(config)
    clone = descend.Model.from_config(config, custom_objects={"Doubler": Doubler})
    np.testing.assert_allclose(clone.predict(np.ones((1, 2)), verbose=0), [[2.0, 2.0]])


def test_subclass_from_config_needs_constructor_arguments() -> None:
    class Net(descend.Model):
        def __init__(self, units: int, **kwargs: object) -> None:
            super().__init__(**kwargs)
            self.units = units

    with pytest.raises(TypeError, match="Unable to revive model from config"):
        Net.from_config({"name": "net"})
    assert Net.from_config({"units": 3, "name": "n"}).units == 3


# ------------------------------------------------------------------ clone_model
def _weights_differ(a: descend.Model, b: descend.Model) -> bool:
    return any(not np.array_equal(x, y) for x, y in zip(a.get_weights(), b.get_weights(),
                                                        strict=True))


@pytest.mark.parametrize("make", [_functional, _sequential])
def test_clone_model_new_layers_new_weights_same_architecture(make) -> None:  # noqa: ANN001
    model = make()
    clone = clone_model(model)
    assert type(clone) is type(model) and clone.name == model.name
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    assert all(a is not b for a, b in zip(clone.layers, model.layers, strict=True))
    assert _weights_differ(model, clone)  # freshly initialised
    clone.set_weights(model.get_weights())
    x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0))


def test_clone_model_clone_function_can_share_layers() -> None:
    model = _functional()
    seen: list[str] = []

    def keep_hidden(layer):  # noqa: ANN001, ANN202
        seen.append(layer.name)
        if layer.name == "hidden":
            return layer
        return type(layer).from_config(layer.get_config())

    clone = clone_model(model, clone_function=keep_hidden)
    assert clone.get_layer("hidden") is model.get_layer("hidden")
    assert clone.get_layer("out") is not model.get_layer("out")
    assert seen == ["hidden", "out"]  # never the InputLayer


def test_clone_model_call_function_and_input_tensors() -> None:
    model = _functional()
    calls: list[str] = []

    def call(layer, *args, **kwargs):  # noqa: ANN001, ANN202
        calls.append(layer.name)
        return layer(*args, **kwargs)

    new_input = descend.Input((4,), name="fresh")
    clone = clone_model(model, input_tensors=new_input, call_function=call)
    assert calls == ["hidden", "out"] and clone.inputs[0] is new_input
    with pytest.raises(ValueError, match="must be KerasTensors"):
        clone_model(model, input_tensors=np.ones((1, 4)))
    with pytest.raises(ValueError, match="same structure as model.input"):
        clone_model(model, input_tensors=[new_input, descend.Input((4,))])


def test_clone_model_keeps_compile_and_rejects_bad_arguments() -> None:
    model = _sequential()
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    clone = clone_model(model)
    assert isinstance(clone.optimizer, optimizers.Adam) and clone.optimizer is not model.optimizer
    clone.fit(np.ones((4, 4)), np.ones((4, 2)), verbose=0)
    with pytest.raises(ValueError, match="not supported with Sequential"):
        clone_model(model, call_function=lambda layer, x: layer(x))
    with pytest.raises(ValueError, match="clone_function` argument to be a callable"):
        clone_model(model, clone_function=3)
    with pytest.raises(ValueError, match="Unexpected keyword argument"):
        clone_model(model, custom_objects={})
    with pytest.raises(ValueError, match="must contain a single tensor"):
        clone_model(model, input_tensors=[descend.Input((4,)), descend.Input((4,))])


def test_clone_model_recursive_clones_nested_models() -> None:
    inner = descend.Sequential([descend.Input((4,)), layers.Dense(3, name="inner_dense")],
                               name="inner")
    x = descend.Input((4,), name="x")
    outer = descend.Model(x, layers.Dense(1, name="head")(inner(x)))
    seen: list[str] = []

    def record(layer):  # noqa: ANN001, ANN202
        seen.append(layer.name)
        return type(layer).from_config(layer.get_config())

    clone_model(outer, clone_function=record, recursive=True)
    assert "inner_dense" in seen and "inner" not in seen
    seen.clear()
    clone_model(outer, clone_function=record)
    assert "inner" in seen and "inner_dense" not in seen


# ------------------------------------------------- serialize / deserialize objects
@pytest.mark.parametrize("obj", [
    layers.Dense(3, activation="relu", name="d"), losses.MeanSquaredError(),
    metrics.MeanSquaredError(), optimizers.Adam(learning_rate=0.01),
    descend.initializers.HeNormal(seed=1), descend.regularizers.L2(0.1),
    descend.constraints.MaxNorm(2.0), optimizers.schedules.ExponentialDecay(0.1, 10, 0.5),
])
def test_serialize_keras_object_round_trip(obj: object) -> None:
    config = serialize_keras_object(obj)
    assert {"module", "class_name", "config", "registered_name"} <= set(config)
    assert config["class_name"] == type(obj).__name__
    restored = deserialize_keras_object(json.loads(json.dumps(config)))
    assert type(restored) is type(obj)
    assert serialize_keras_object(restored)["config"] == config["config"]


def test_losses_and_metrics_of_the_same_name_stay_distinct() -> None:
    loss = deserialize_keras_object(serialize_keras_object(losses.MeanSquaredError()))
    metric = deserialize_keras_object(serialize_keras_object(metrics.MeanSquaredError()))
    assert isinstance(loss, losses.Loss) and isinstance(metric, metrics.Metric)


def test_serialize_plain_values_functions_and_arrays() -> None:
    assert serialize_keras_object(None) is None
    assert serialize_keras_object([1, (2.5, "a")]) == [1, (2.5, "a")]
    array = serialize_keras_object(np.arange(3, dtype="int32"))
    assert array == {"class_name": "__numpy__", "config": {"value": [0, 1, 2], "dtype": "int32"}}
    restored = deserialize_keras_object(array)
    assert restored.dtype == np.int32 and restored.tolist() == [0, 1, 2]
    relu = serialize_keras_object(descend.activations.relu)
    assert relu["class_name"] == "function" and relu["config"] == "relu"
    assert deserialize_keras_object(relu) is descend.activations.relu
    assert deserialize_keras_object({"a": "relu", "b": [1]}) == {"a": "relu", "b": [1]}
    assert deserialize_keras_object({"class_name": "__tuple__", "config": {"value": [1]}}) == (1,)


def test_serialize_model_round_trip() -> None:
    model = _functional()
    model.compile(optimizer="sgd", loss="mse")
    config = json.loads(json.dumps(serialize_keras_object(model)))
    restored = deserialize_keras_object(config)
    assert isinstance(restored, descend.models.Functional)
    assert restored.optimizer is not None  # compile_config is honoured
    assert [layer.name for layer in restored.layers] == ["x", "hidden", "out"]


def test_deserialize_never_runs_code_and_names_unknown_classes() -> None:
    with pytest.raises(ValueError, match="never runs code"):
        deserialize_keras_object({"class_name": "__lambda__", "config": {"code": "x"}})
    with pytest.raises(ValueError, match="never runs code"):
        serialize_keras_object(lambda x: x)
    with pytest.raises(ValueError, match="Unknown .*'Frobnicate'"):
        deserialize_keras_object({"class_name": "Frobnicate", "config": {}})
    # a module name is never imported: only descend's families are used
    with pytest.raises(ValueError, match="system"):
        deserialize_keras_object({"module": "os", "class_name": "function", "config": "system"})
    with pytest.raises(TypeError, match="expected a config dict"):
        deserialize_keras_object(object())
    with pytest.raises(TypeError, match="get_config"):
        serialize_keras_object(object())


def test_custom_objects_and_registration() -> None:
    @descend.saving.register_keras_serializable(package="TestIntrospection")
    class Scale(descend.regularizers.Regularizer):
        def __init__(self, factor: float = 1.0) -> None:
            self.factor = factor

        def __call__(self, x):  # noqa: ANN001, ANN204
            return self.factor * (x * x).sum()

        def get_config(self) -> dict:
            return {"factor": self.factor}

    config = serialize_keras_object(Scale(0.5))
    assert config["registered_name"] == "TestIntrospection>Scale"
    restored = deserialize_keras_object(config)
    assert isinstance(restored, Scale) and restored.factor == 0.5

    class Local(layers.Layer):
        pass

    config = serialize_keras_object(Local(name="loc"))
    with pytest.raises(ValueError, match="Local"):
        deserialize_keras_object(config)
    assert deserialize_keras_object(config, custom_objects={"Local": Local}).name == "loc"


def test_layers_serialize_and_deserialize() -> None:
    config = layers.serialize(layers.Dense(4, name="d4"))
    assert config["class_name"] == "Dense" and config["module"] == "descend.layers"
    layer = layers.deserialize(config)
    assert isinstance(layer, layers.Dense) and layer.units == 4
    with pytest.raises(ValueError, match="Unknown layer"):
        layers.deserialize({"class_name": "Nope", "config": {}})


def test_keras_dtype_policy_and_optional_input_in_layer_configs() -> None:
    policy = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float64"},
              "registered_name": None}
    dense = layers.deserialize({"module": "keras.layers", "class_name": "Dense",
                                "config": {"units": 2, "dtype": policy}})
    assert dense.dtype == "float64"
    mixed = {"class_name": "DTypePolicy", "config": {"name": "mixed_float16"}}
    with pytest.raises(ValueError, match="mixed precision"):
        layers.deserialize({"class_name": "Dense", "config": {"units": 2, "dtype": mixed}})
    inputs = layers.deserialize({"class_name": "InputLayer", "config": {
        "batch_shape": [None, 3], "dtype": "float32", "optional": False, "name": "in"}})
    assert inputs.batch_shape == (None, 3)
    with pytest.raises(ValueError, match="optional=True"):
        layers.InputLayer(shape=(3,), optional=True)
