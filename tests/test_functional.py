"""The functional API: ``descend.Model(inputs, outputs)``.

Structure (layer order, shared layers, nested models), training with several
inputs and outputs (lists and dicts, per-output losses, loss weights, prefixed
metric names), the config round trip, and the errors for graphs that cannot work.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import descend
from descend import layers
from descend.models.functional import Functional


def two_input_model() -> descend.Model:
    a = layers.Input((4,), name="a")
    b = layers.Input((3,), name="b")
    h = layers.Concatenate(name="cat")([layers.Dense(5, activation="relu", name="da")(a), b])
    return descend.Model([a, b], layers.Dense(3, activation="softmax", name="out")(h))


def two_output_model(as_dict: bool = False) -> descend.Model:
    x = layers.Input((4,), name="x")
    h = layers.Dense(8, activation="relu", name="trunk")(x)
    cls = layers.Dense(3, activation="softmax", name="cls")(h)
    reg = layers.Dense(1, name="reg")(h)
    outputs = {"label": cls, "value": reg} if as_dict else [cls, reg]
    return descend.Model(x, outputs, name="two_heads")


def data(n: int = 48, seed: int = 0):
    rng = np.random.default_rng(seed)
    xa = rng.standard_normal((n, 4)).astype("float32")
    xb = rng.standard_normal((n, 3)).astype("float32")
    y = (xa[:, 0] + xb[:, 0] > 0).astype("int64") + (xa[:, 1] > 1)
    return xa, xb, y


# ------------------------------------------------------------------ structure
def test_model_call_returns_functional_with_keras_layer_order() -> None:
    model = two_input_model()
    assert isinstance(model, Functional) and isinstance(model, descend.Model)
    assert model.name == "functional"
    assert [layer.name for layer in model.layers] == ["a", "da", "b", "cat", "out"]
    assert isinstance(model.layers[0], layers.InputLayer)
    assert model.input_names == ["a", "b"] and model.output_names == ["out"]
    assert model.input_shape == [(None, 4), (None, 3)] and model.output_shape == (None, 3)
    assert model.get_layer("cat") is model.layers[3] and model.get_layer(index=-1).name == "out"
    assert model.count_params() == 4 * 5 + 5 + 8 * 3 + 3


def test_keyword_arguments_and_summary(capsys: pytest.CaptureFixture[str]) -> None:
    x = layers.Input((2,), name="x")
    model = descend.Model(inputs=x, outputs=layers.Dense(1, name="y")(x), name="tiny")
    model.summary()
    text = capsys.readouterr().out
    assert 'Model: "tiny"' in text and "x (InputLayer)" in text and "y (Dense)" in text
    assert "(None, 2)" in text and "Total params: 3" in text


def test_summary_hooks_for_a_connected_to_column() -> None:
    model = two_input_model()
    assert model._summary_connections() == ["-", "a[0][0]", "-", "da[0][0], b[0][0]",
                                            "cat[0][0]"]
    assert not model._sequential_like
    x = layers.Input((2,))
    assert descend.Model(x, layers.Dense(1)(layers.Dense(2)(x)))._sequential_like


def test_forward_equals_the_same_stack_as_sequential(rng) -> None:
    seq = descend.Sequential([layers.Input((5,)), layers.Dense(7, activation="tanh"),
                              layers.Dense(2)])
    x_in = layers.Input((5,))
    h = x_in
    for layer in seq.layers:
        h = layer(h)
    model = descend.Model(x_in, h)
    x = rng.standard_normal((10, 5)).astype("float32")
    np.testing.assert_array_equal(model.predict(x, verbose=0), seq.predict(x, verbose=0))
    np.testing.assert_array_equal(model(x).numpy(), seq(x).numpy())


def test_shared_layer_has_one_set_of_weights_used_by_both_branches(rng) -> None:
    a, b = layers.Input((3,), name="a"), layers.Input((3,), name="b")
    shared = layers.Dense(2, name="shared")
    model = descend.Model([a, b], layers.Subtract()([shared(a), shared(b)]))
    assert len(model.weights) == 2
    xa, xb = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    kernel, bias = shared.get_weights()
    np.testing.assert_allclose(model.predict([xa, xb], verbose=0), (xa - xb) @ kernel,
                               rtol=1e-5, atol=1e-6)
    model.compile(optimizer="sgd", loss="mse")
    model.fit([xa, xb], np.ones((4, 2)), epochs=1, verbose=0)
    assert not np.allclose(shared.get_weights()[0], kernel)  # gradients of both uses arrive


def test_nested_sequential_and_nested_functional(rng) -> None:
    encoder = descend.Sequential([layers.Dense(4, activation="relu"), layers.Dense(2)],
                                 name="encoder")
    x = layers.Input((6,), name="x")
    inner = descend.Model(x, encoder(x), name="inner")
    z = layers.Input((6,), name="z")
    outer = descend.Model(z, layers.Dense(1, name="head")(inner(z)), name="outer")
    assert [layer.name for layer in outer.layers] == ["z", "inner", "head"]
    assert len(outer.weights) == 6
    data_x = rng.standard_normal((5, 6)).astype("float32")
    head = outer.get_layer("head")
    expected = head(encoder(data_x)).numpy()
    np.testing.assert_allclose(outer.predict(data_x, verbose=0), expected, rtol=1e-6)
    outer.compile(optimizer="adam", loss="mse")
    outer.fit(data_x, np.zeros((5, 1)), epochs=2, verbose=0)


def test_training_flag_reaches_dropout(rng) -> None:
    x = layers.Input((200,))
    model = descend.Model(x, layers.Dropout(0.5)(x))
    data_x = np.ones((2, 200), "float32")
    np.testing.assert_array_equal(model(data_x).numpy(), data_x)
    np.testing.assert_array_equal(model.predict(data_x, verbose=0), data_x)
    dropped = model(data_x, training=True).numpy()
    assert (dropped == 0).any() and set(np.unique(dropped)) <= {0.0, 2.0}


def test_layer_whose_call_has_no_training_argument_and_recorded_kwargs(rng) -> None:
    class Scale(layers.Layer):
        def call(self, inputs, factor=1.0):
            return inputs * factor

    x = layers.Input((3,))
    model = descend.Model(x, Scale(name="scale")(x, factor=3.0))
    data_x = rng.standard_normal((2, 3)).astype("float32")
    np.testing.assert_allclose(model.predict(data_x, verbose=0), 3 * data_x, rtol=1e-6)
    config = model.get_config()
    assert config["layers"][1]["inbound_nodes"][0]["kwargs"] == {"factor": 3.0}
    clone = Functional.from_config(config, custom_objects={"Scale": Scale})
    np.testing.assert_allclose(clone.predict(data_x, verbose=0), 3 * data_x, rtol=1e-6)


def test_layer_with_several_outputs(rng) -> None:
    class Halves(layers.Layer):
        def call(self, inputs, training=False):
            k = inputs.shape[-1] // 2
            return [inputs[:, :k], inputs[:, k:]]

        def compute_output_shape(self, input_shape):
            k = input_shape[-1] // 2
            return [(input_shape[0], k), (input_shape[0], input_shape[-1] - k)]

    x = layers.Input((4,))
    left, right = Halves(name="halves")(x)
    model = descend.Model(x, [right, left])
    data_x = rng.standard_normal((3, 4)).astype("float32")
    out_right, out_left = model.predict(data_x, verbose=0)
    np.testing.assert_array_equal(out_left, data_x[:, :2])
    np.testing.assert_array_equal(out_right, data_x[:, 2:])
    config = json.loads(json.dumps(model.get_config()))
    assert config["output_layers"] == [["halves", 0, 1], ["halves", 0, 0]]
    clone = Functional.from_config(config, custom_objects={"Halves": Halves})
    np.testing.assert_array_equal(clone.predict(data_x, verbose=0)[0], data_x[:, 2:])


def test_deep_graph_needs_no_recursion(rng) -> None:
    x = layers.Input((2,))
    h = x
    for _ in range(1500):  # deeper than Python's default recursion limit
        h = layers.Activation("linear")(h)
    model = descend.Model(x, layers.Dense(1)(h))
    model.compile(optimizer="sgd", loss="mse")
    model.fit(rng.standard_normal((4, 2)), np.zeros((4, 1)), epochs=1, verbose=0)
    assert len(model.layers) == 1502


def test_gradients_through_the_whole_graph_match_finite_differences(rng) -> None:
    descend.config.set_floatx("float64")
    a, b = layers.Input((3,)), layers.Input((2,))
    shared = layers.Dense(3, activation="tanh")
    h = layers.Concatenate()([shared(a), layers.Multiply()([shared(a), a]), b])
    model = descend.Model([a, b], layers.Dense(2, activation="sigmoid")(h))
    assert descend.gradcheck(lambda u, v: model([u, v]), rng.standard_normal((4, 3)),
                             rng.standard_normal((4, 2)))


# ------------------------------------------------------------------- training
def test_two_inputs_train_with_lists_and_dicts() -> None:
    xa, xb, y = data()
    model = two_input_model()
    model.compile(optimizer=descend.optimizers.Adam(0.02),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit([xa, xb], y, epochs=25, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.6 * history.history["loss"][0]
    by_list = model.predict([xa, xb], verbose=0)
    by_dict = model.predict({"b": xb, "a": xa}, verbose=0)
    np.testing.assert_array_equal(by_list, by_dict)
    assert model.evaluate({"a": xa, "b": xb}, y, verbose=0) == model.evaluate([xa, xb], y,
                                                                               verbose=0)
    model.train_on_batch({"a": xa, "b": xb}, y)
    np.testing.assert_array_equal(model.predict_on_batch([xa, xb]).shape, (48, 3))


def test_loss_per_output_loss_weights_and_prefixed_metric_names() -> None:
    xa, _, y = data()
    target = xa[:, :1] * 2.0
    model = two_output_model()
    model.compile(optimizer="adam", loss=["sparse_categorical_crossentropy", "mse"],
                  loss_weights=[1.0, 0.25], metrics=[["accuracy"], ["mae"]])
    history = model.fit(xa, [y, target], epochs=2, verbose=0, validation_split=0.25)
    # Keras 3 also logs each output's unweighted loss when several outputs have one
    assert sorted(history.history) == ["cls_accuracy", "cls_loss", "loss", "reg_loss",
                                       "reg_mae", "val_cls_accuracy", "val_cls_loss",
                                       "val_loss", "val_reg_loss", "val_reg_mae"]
    result = model.evaluate(xa, [y, target], verbose=0, return_dict=True)
    probs, value = model.predict(xa, verbose=0)
    ce = descend.losses.sparse_categorical_crossentropy(y, probs)
    mse = descend.losses.mean_squared_error(target, value)
    expected = float(np.mean(np.asarray(ce))) + 0.25 * float(np.mean(np.asarray(mse)))
    assert result["loss"] == pytest.approx(expected, rel=1e-5)
    assert result["reg_mae"] == pytest.approx(float(np.abs(value - target).mean()), rel=1e-5)
    assert result["reg_loss"] == pytest.approx(float(np.mean(np.asarray(mse))), rel=1e-5)
    assert result["loss"] == pytest.approx(result["cls_loss"] + 0.25 * result["reg_loss"],
                                           rel=1e-5)


def test_dict_outputs_losses_targets_and_predictions() -> None:
    xa, _, y = data()
    target = xa[:, :1]
    model = two_output_model(as_dict=True)
    assert model.output_names == ["label", "value"]
    model.compile(optimizer="adam",
                  loss={"value": "mse", "label": "sparse_categorical_crossentropy"},
                  loss_weights={"label": 2.0}, metrics={"label": ["accuracy"]})
    history = model.fit(xa, {"value": target, "label": y}, epochs=2, verbose=0,
                        validation_data=(xa, {"label": y, "value": target}))
    assert sorted(history.history) == ["label_accuracy", "label_loss", "loss", "val_label_accuracy",
                                       "val_label_loss", "val_loss", "val_value_loss",
                                       "value_loss"]
    out = model.predict(xa, verbose=0)
    assert sorted(out) == ["label", "value"]
    assert out["label"].shape == (48, 3) and out["value"].shape == (48, 1)
    assert model(xa[:2])["value"].shape == (2, 1)


def test_output_without_loss_is_not_trained() -> None:
    xa, _, y = data()
    model = two_output_model(as_dict=True)
    model.compile(optimizer="sgd", loss={"label": "sparse_categorical_crossentropy"})
    reg = model.get_layer("reg")
    before = reg.get_weights()
    with pytest.warns(UserWarning, match="Gradients do not exist"):  # as Keras warns
        model.fit(xa, {"label": y, "value": np.zeros((48, 1))}, epochs=1, verbose=0)
    for old, new in zip(before, reg.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)


# -------------------------------------------------------------------- configs
def assert_same_predictions(model: descend.Model, clone: descend.Model, x) -> None:
    clone.set_weights(model.get_weights())
    expected, got = model.predict(x, verbose=0), clone.predict(x, verbose=0)
    if isinstance(expected, dict):
        expected, got = list(expected.values()), [got[k] for k in expected]
    for e, g in zip(expected if isinstance(expected, list) else [expected],
                    got if isinstance(got, list) else [got], strict=True):
        np.testing.assert_array_equal(e, g)


def test_config_has_keras_functional_schema() -> None:
    config = two_input_model().get_config()
    assert set(config) == {"name", "trainable", "layers", "input_layers", "output_layers"}
    assert config["input_layers"] == [["a", 0, 0], ["b", 0, 0]]
    assert config["output_layers"] == [["out", 0, 0]]
    cat = config["layers"][3]
    assert cat["name"] == "cat" and cat["class_name"] == "Concatenate"
    args = cat["inbound_nodes"][0]["args"][0]
    assert [t["config"]["keras_history"] for t in args] == [["da", 0, 0], ["b", 0, 0]]
    assert args[0]["class_name"] == "__keras_tensor__" and args[0]["config"]["shape"] == [None, 5]
    assert config["layers"][0]["inbound_nodes"] == []


def test_round_trip_through_json_with_shared_and_nested_layers() -> None:
    xa, xb, _ = data()
    a, b = layers.Input((4,), name="a"), layers.Input((3,), name="b")
    shared = layers.Dense(3, activation="relu", name="shared")
    pb = layers.Dense(3, name="pb")
    twice = shared(shared(layers.Dense(3, name="pa")(a)))  # a layer called on its own output
    tower = descend.Sequential([layers.Dense(2)], name="tower")
    merged = layers.Add(name="sum")([twice, shared(pb(b))])
    model = descend.Model({"a": a, "b": b},
                          {"p": tower(merged), "q": layers.Dense(1, name="q")(merged)})
    config = json.loads(json.dumps(model.get_config()))
    shared_nodes = next(e for e in config["layers"] if e["name"] == "shared")["inbound_nodes"]
    assert [n["args"][0]["config"]["keras_history"] for n in shared_nodes] == \
        [["pa", 0, 0], ["shared", 0, 0], ["pb", 0, 0]]
    assert config["input_layers"] == {"a": ["a", 0, 0], "b": ["b", 0, 0]}
    clone = Functional.from_config(config)
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    assert len(clone.weights) == len(model.weights)
    assert_same_predictions(model, clone, {"a": xa, "b": xb})
    assert clone.get_config() == config


def test_round_trip_of_a_model_nested_in_a_model() -> None:
    x = layers.Input((6,), name="x")
    inner = descend.Model(x, layers.Dense(2, name="inner_dense")(x), name="inner")
    z = layers.Input((6,), name="z")
    outer = descend.Model(z, layers.Dense(1, name="head")(inner(z)), name="outer")
    clone = Functional.from_config(json.loads(json.dumps(outer.get_config())))
    assert isinstance(clone.get_layer("inner"), Functional)
    assert_same_predictions(outer, clone, np.ones((3, 6), "float32"))


def test_from_config_reads_keras2_style_inbound_nodes() -> None:
    model = two_input_model()
    config = model.get_config()
    for entry in config["layers"]:
        entry["inbound_nodes"] = [
            [t["config"]["keras_history"] + [node["kwargs"]]
             for t in (node["args"][0] if isinstance(node["args"][0], list)
                       else [node["args"][0]])]
            for node in entry["inbound_nodes"]]
    clone = Functional.from_config(config)
    xa, xb, _ = data(5)
    assert_same_predictions(model, clone, [xa, xb])


def test_from_config_rejects_broken_configs() -> None:
    config = two_input_model().get_config()
    with pytest.raises(ValueError, match="no 'input_layers'"):
        Functional.from_config({k: v for k, v in config.items() if k != "input_layers"})
    broken = json.loads(json.dumps(config))
    broken["layers"][4]["inbound_nodes"][0]["args"][0]["config"]["keras_history"] = ["cat", 3, 0]
    with pytest.raises(ValueError, match="cannot connect the layers \\['out'\\]"):
        Functional.from_config(broken)
    broken["layers"][4]["inbound_nodes"][0]["args"][0]["config"]["keras_history"] = ["nope", 0, 0]
    with pytest.raises(ValueError, match="'nope'"):
        Functional.from_config(broken)


def test_from_config_accepts_custom_objects_and_explains_when_missing() -> None:
    class Doubler(layers.Layer):
        def call(self, inputs, training=False):
            return inputs * 2.0

    x = layers.Input((2,))
    model = descend.Model(x, layers.Dense(1)(Doubler(name="doubler")(x)))
    config = json.loads(json.dumps(model.get_config()))
    with pytest.raises(ValueError, match="custom_objects"):
        Functional.from_config(config)
    clone = Functional.from_config(config, custom_objects={"Doubler": Doubler})
    assert isinstance(clone.get_layer("doubler"), Doubler)


# --------------------------------------------------------------------- errors
def test_graph_disconnected() -> None:
    a, b = layers.Input((3,), name="a"), layers.Input((3,), name="stray")
    out = layers.Add()([layers.Dense(3)(a), b])
    with pytest.raises(ValueError, match="Graph disconnected.*'stray'"):
        descend.Model(a, out)


def test_unused_input_and_non_input_tensor() -> None:
    a, b = layers.Input((3,), name="a"), layers.Input((3,), name="unused")
    h = layers.Dense(2)(a)
    with pytest.raises(ValueError, match="\\['unused'\\] are not connected to any output"):
        descend.Model([a, b], h)
    with pytest.raises(ValueError, match="not by Input"):
        descend.Model(h, layers.Dense(1)(h))


@pytest.mark.parametrize(("inputs", "outputs", "error", "match"), [
    ("x", None, TypeError, "symbolic tensor"),
    ([], None, ValueError, "empty"),
    (None, "dense", TypeError, "not a layer or an array"),
])
def test_wrong_types_for_inputs_and_outputs(inputs, outputs, error, match) -> None:
    x = layers.Input((3,))
    out = layers.Dense(1)(x)
    inputs = x if inputs is None else (np.zeros((2, 3)) if inputs == "x" else inputs)
    outputs = out if outputs is None else [layers.Dense(1)]
    with pytest.raises(error, match=match):
        descend.Model(inputs, outputs)


def test_duplicate_layer_names() -> None:
    x = layers.Input((3,))
    h = layers.Dense(2, name="same")(x)
    with pytest.raises(ValueError, match='name "same" is used 2 times'):
        descend.Model(x, layers.Dense(1, name="same")(h))


def test_wrong_number_or_shape_of_arrays() -> None:
    xa, xb, y = data(8)
    model = two_input_model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="expects 2 input\\(s\\) \\['a', 'b'\\].*received 1"):
        model.fit(xa, y, verbose=0)
    with pytest.raises(ValueError, match="expects 2 input"):
        model.predict([xa, xb, xb], verbose=0)
    with pytest.raises(ValueError, match="Input 1 \\('b'\\).*expected shape \\(None, 3\\)"):
        model.predict([xa, xa], verbose=0)
    with pytest.raises(ValueError, match="missing \\['b'\\]"):
        model.predict({"a": xa}, verbose=0)
    with pytest.raises(ValueError, match="unknown \\['c'\\]"):
        model.evaluate({"a": xa, "b": xb, "c": xb}, y, verbose=0)
    with pytest.raises(ValueError, match="expects 2 input"):
        model(xa)
    with pytest.raises(ValueError, match="expects 2 input"):
        model(layers.Input((4,)))  # symbolic call of the model as a layer
    with pytest.raises(ValueError, match="1 output"):
        model.fit([xa, xb], [y, y], verbose=0)
