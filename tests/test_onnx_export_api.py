"""ONNX export's interface: ``Model.export`` arguments (format, opset, input_signature),
names of the graph's inputs and outputs, multi-input/multi-output and nested models,
refusals that name the layer and write nothing, the ``descend export`` command, and the
lazy import of onnx."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import descend
from descend import layers as L

onnx = pytest.importorskip("onnx", reason="ONNX export tests need onnx: pip install '.[onnx]'")
ort = pytest.importorskip("onnxruntime", reason="ONNX export tests need onnxruntime: "
                                                "pip install '.[test]'")

from onnx_check import check_export, randomize, sequential  # noqa: E402


def _small_model() -> descend.Model:
    return sequential(L.Dense(4, activation="relu"), L.Dense(2), shape=(3,), name="small")


# ------------------------------------------------------------------ names and structure
def test_functional_multi_input_multi_output_names(tmp_path) -> None:
    image = descend.Input((6, 6, 1), name="image")
    meta = descend.Input((3,), name="meta")
    x = L.Conv2D(2, 3, activation="relu")(image)
    x = L.Flatten()(x)
    merged = L.Concatenate()([x, L.Dense(4)(meta)])
    score = L.Dense(1, activation="sigmoid", name="score")(merged)
    kind = L.Dense(3, activation="softmax", name="kind")(merged)
    model = randomize(descend.Model([image, meta], [score, kind]))
    session = check_export(model, tmp_path)
    assert [o.name for o in session.get_outputs()] == ["score", "kind"]
    assert session.get_outputs()[1].shape == ["batch", 3]


def test_dict_outputs_are_named_by_their_keys(tmp_path) -> None:
    x = descend.Input((4,), name="features")
    model = randomize(descend.Model(x, {"b_out": L.Dense(2)(x), "a_out": L.Dense(1)(x)}))
    session = check_export(model, tmp_path)
    assert [o.name for o in session.get_outputs()] == model.output_names == ["a_out", "b_out"]


def test_output_that_is_an_input_and_shared_layers(tmp_path) -> None:
    a = descend.Input((4,), name="a")
    b = descend.Input((4,), name="b")
    shared = L.Dense(3, name="shared")
    model = randomize(descend.Model([a, b], [L.Add()([shared(a), shared(b)]), a]))
    session = check_export(model, tmp_path)
    assert len(session.get_outputs()) == 2


def test_nested_models_are_inlined(tmp_path) -> None:
    inner = descend.Sequential([descend.Input((5,)), L.Dense(4, activation="tanh"),
                                L.Dense(3)], name="inner_stack")
    x = descend.Input((5,), name="x")
    branch_in = descend.Input((3,))
    branch = descend.Model(branch_in, L.Dense(2)(branch_in), name="branch")
    model = randomize(descend.Model(x, branch(inner(x))))
    check_export(model, tmp_path)
    outer = randomize(descend.Sequential([descend.Input((5,), name="x"), inner, L.Dense(1)]))
    check_export(outer, tmp_path)


def test_sequential_built_without_input(tmp_path) -> None:
    model = descend.Sequential([L.Dense(3), L.Dense(1)], name="late")
    with pytest.raises(ValueError, match="'late' is not built"):
        model.export(tmp_path / "m.onnx", format="onnx")
    model.build((None, 4))
    session = check_export(randomize(model), tmp_path)
    assert session.get_inputs()[0].name == model.inputs[0].layer.name


# ------------------------------------------------------------------ arguments
@pytest.mark.parametrize("opset", [13, 15, 17, 18, 19, 20, 21])
def test_opset_is_honoured(opset: int, tmp_path) -> None:
    check_export(_small_model(), tmp_path, opset=opset)


def test_default_opset_and_keras_opset_version(tmp_path) -> None:
    model = _small_model()
    model.export(tmp_path / "default.onnx", format="onnx")
    assert onnx.load(str(tmp_path / "default.onnx")).opset_import[0].version == 17
    model.export(tmp_path / "keras.onnx", format="onnx", opset_version=18)
    assert onnx.load(str(tmp_path / "keras.onnx")).opset_import[0].version == 18


@pytest.mark.parametrize("opset", [12, 22, "17", 17.0, True])
def test_unsupported_opsets_are_refused(opset, tmp_path) -> None:
    with pytest.raises(ValueError, match=r"opset=.* is not supported.*13 to 21"):
        _small_model().export(tmp_path / "m.onnx", format="onnx", opset=opset)
    assert not list(tmp_path.iterdir())


def test_conflicting_opsets_and_unknown_keywords(tmp_path) -> None:
    model = _small_model()
    with pytest.raises(ValueError, match="disagree"):
        model.export(tmp_path / "m.onnx", format="onnx", opset=17, opset_version=18)
    with pytest.raises(ValueError, match=r"unknown keyword.*\['dynamic_axes'\]"):
        model.export(tmp_path / "m.onnx", format="onnx", dynamic_axes={})


@pytest.mark.parametrize("fmt", ["tf_saved_model", "openvino", "litert", "torch"])
def test_keras_formats_descend_cannot_write(fmt: str, tmp_path) -> None:
    with pytest.raises(ValueError, match=f"cannot export format='{fmt}'.*format='onnx'"):
        _small_model().export(tmp_path / "m", format=fmt)
    with pytest.raises(ValueError, match="Unrecognized format='pb'"):
        _small_model().export(tmp_path / "m", format="pb")


def test_input_signature_fixes_unknown_lengths(tmp_path) -> None:
    model = sequential(L.Conv1D(2, 3), L.GlobalAveragePooling1D(), shape=(None, 2))
    path = tmp_path / "fixed.onnx"
    model.export(path, format="onnx", input_signature=[descend.layers.InputSpec(
        shape=(None, 8, 2))])
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert session.get_inputs()[0].shape == ["batch", 8, 2]
    x = np.random.default_rng(0).normal(size=(3, 8, 2)).astype("float32")
    np.testing.assert_allclose(session.run(None, {"inputs": x})[0],
                               model.predict(x, verbose=0), atol=1e-5)
    with pytest.raises(ValueError, match=r"input_signature\[0\] has shape \(None, 8, 3\)"):
        model.export(path, format="onnx", input_signature=[(None, 8, 3)])
    model.export(path, format="onnx", input_signature={"inputs": np.zeros((4, 6, 2))})
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert session.get_inputs()[0].shape == [4, 6, 2]
    with pytest.raises(ValueError, match=r"input_signature has the keys \['x'\]"):
        model.export(path, format="onnx", input_signature={"x": (None, 6, 2)})
    with pytest.raises(ValueError, match="gives 2 input"):
        model.export(path, format="onnx", input_signature=[(None, 6, 2), (None, 6, 2)])


def test_verbose_and_overwrite(tmp_path, capsys) -> None:
    path = tmp_path / "m.onnx"
    _small_model().export(path, format="onnx", verbose=True)
    assert f"to: {path}" in capsys.readouterr().out
    with pytest.raises(FileExistsError):
        _small_model().export(path, format="onnx", overwrite=False)


# ------------------------------------------------------------------ refusals
def _refused(model, tmp_path, *patterns: str) -> str:
    target = tmp_path / "refused.onnx"
    with pytest.raises(ValueError) as info:
        model.export(target, format="onnx")
    message = str(info.value)
    for pattern in patterns:
        assert pattern in message, message
    assert not os.path.exists(target)
    assert [p.name for p in tmp_path.iterdir()] == [], "nothing, not even a temporary file"
    return message


def test_unsupported_layer_is_named_and_nothing_is_written(tmp_path) -> None:
    model = sequential(L.Dense(4), L.Lambda(lambda t: t * 2, name="doubler"), shape=(3,))
    _refused(model, tmp_path, "'doubler' (Lambda)", "cannot be exported")


def test_refusal_keeps_an_existing_file(tmp_path) -> None:
    path = tmp_path / "m.onnx"
    path.write_bytes(b"previous")
    model = sequential(L.Masking(name="mask"), L.Dense(2), shape=(3, 4))
    with pytest.raises(ValueError, match=r"'mask' \(Masking\)"):
        model.export(path, format="onnx")
    assert path.read_bytes() == b"previous"


@pytest.mark.parametrize("case,patterns", [
    ("mask_zero", ["(Embedding)", "mask_zero=True"]),
    ("stateful", ["(LSTM)", "stateful=True"]),
    ("subclass_call", ["(Twice)", "overrides its computation"]),
    ("custom_activation", ["(Dense)", "activation 'cube'"]),
])
def test_settings_that_cannot_be_exported(case: str, patterns: list, tmp_path) -> None:
    if case == "mask_zero":
        model = sequential(L.Embedding(10, 3, mask_zero=True), L.LSTM(2), shape=(4,))
    elif case == "stateful":
        model = descend.Sequential([descend.Input(batch_shape=(2, 3, 1)),
                                    L.LSTM(2, stateful=True)])
    elif case == "subclass_call":
        class Twice(L.Dense):
            def call(self, inputs, training=False):
                return super().call(inputs) * 2.0
        model = sequential(Twice(2), shape=(3,))
    else:
        def cube(t):
            return t * t * t
        model = sequential(L.Dense(2, activation=cube), shape=(3,))
    _refused(model, tmp_path, *patterns)


def test_training_true_in_the_model_is_refused(tmp_path) -> None:
    x = descend.Input((4,), name="x")
    model = descend.Model(x, L.Dropout(0.5, name="mc_dropout")(L.Dense(3)(x), training=True))
    _refused(model, tmp_path, "'mc_dropout' (Dropout)", "training=True")


def test_flatten_channels_first_is_exported(tmp_path) -> None:
    check_export(sequential(L.Flatten(data_format="channels_first"), shape=(2, 3, 4)), tmp_path)


def test_subclassed_model_is_refused(tmp_path) -> None:
    class Net(descend.Model):
        def __init__(self) -> None:
            super().__init__()
            self.dense = L.Dense(2)

        def call(self, inputs, training=False):
            return self.dense(inputs)

    net = Net()
    net.predict(np.ones((2, 3), "float32"), verbose=0)
    _refused(net, tmp_path, "(Net)", "subclassed call()", "functional")


def test_subclass_keeping_the_computation_is_exported(tmp_path) -> None:
    class NamedDense(L.Dense):
        pass

    check_export(sequential(NamedDense(3), shape=(4,)), tmp_path)


# ------------------------------------------------------------------ command line
def test_cli_export_of_descend_and_keras_files(tmp_path, capsys) -> None:
    from descend.cli import main

    model = _small_model()
    model.save(tmp_path / "m.descend")
    assert main(["export", str(tmp_path / "m.descend"), str(tmp_path / "a.onnx"),
                 "--opset", "18"]) == 0
    assert "wrote" in capsys.readouterr().out
    proto = onnx.load(str(tmp_path / "a.onnx"))
    assert proto.opset_import[0].version == 18
    x = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
    session = ort.InferenceSession(str(tmp_path / "a.onnx"), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(session.run(None, {"inputs": x})[0],
                               model.predict(x, verbose=0), atol=1e-5)
    pytest.importorskip("h5py", reason=".keras files need h5py")
    model.save(tmp_path / "m.keras")
    assert main(["export", str(tmp_path / "m.keras"), str(tmp_path / "b.onnx")]) == 0
    assert onnx.load(str(tmp_path / "b.onnx")).opset_import[0].version == 17


def test_cli_export_errors(tmp_path, capsys) -> None:
    from descend.cli import main

    assert main(["export", str(tmp_path / "missing.descend"), str(tmp_path / "m.onnx")]) == 1
    assert "does not exist" in capsys.readouterr().err
    _small_model().save(tmp_path / "m.descend")
    assert main(["export", str(tmp_path / "m.descend"), str(tmp_path / "m.onnx"),
                 "--opset", "9"]) == 1
    assert "opset=9 is not supported" in capsys.readouterr().err
    assert not (tmp_path / "m.onnx").exists()


def test_import_descend_does_not_import_onnx() -> None:
    code = ("import sys, descend, descend.export, descend.export.onnx, descend.cli; "
            "descend.cli.build_parser(); "
            "print('onnx' in sys.modules, 'onnxruntime' in sys.modules)")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True).stdout
    assert out.strip() == "False False"


def test_output_shape_falls_back_to_the_recorded_shape(monkeypatch) -> None:
    from descend.export.onnx import build_onnx_model

    real = onnx.shape_inference.infer_shapes

    def without_output_shapes(proto, **kwargs):
        inferred = real(proto, **kwargs)
        for output in inferred.graph.output:
            output.type.tensor_type.ClearField("shape")
        return inferred

    monkeypatch.setattr(onnx.shape_inference, "infer_shapes", without_output_shapes)
    model = sequential(L.Dense(4, name="head"), shape=(None, 3))
    dims = build_onnx_model(model).graph.output[0].type.tensor_type.shape.dim
    assert [d.dim_param or d.dim_value for d in dims] == ["batch", "head_dim1", 4]
