"""The Keras top level: every name descend claims resolves, with Keras's meaning.

Also ``descend.backend``, ``descend.tree``, ``name_scope``/``device``,
``InputSpec`` and the new ``utils``/``config`` names.
"""

from __future__ import annotations

import collections
import importlib
import subprocess
import sys
import warnings

import numpy as np
import pytest

import descend
from descend import backend, layers, tree
from descend.layers import InputSpec

# Keras 3's top-level names descend offers (see docs/keras-differences.md for the rest)
KERAS_TOP_LEVEL = [
    "Initializer", "Input", "InputSpec", "KerasTensor", "Layer", "Loss", "Metric", "Model",
    "Optimizer", "Regularizer", "Sequential", "Variable", "activations", "backend", "callbacks",
    "config", "constraints", "datasets", "device", "initializers", "layers", "losses", "metrics",
    "models", "name_scope", "ops", "optimizers", "random", "regularizers", "saving", "tree",
    "utils", "version", "wrappers",
]


@pytest.mark.parametrize("name", sorted(set(descend.__all__)))
def test_every_claimed_top_level_name_resolves(name: str) -> None:
    assert getattr(descend, name) is not None
    assert name in dir(descend)


def test_keras_names_are_all_claimed() -> None:
    assert set(KERAS_TOP_LEVEL) <= set(descend.__all__)
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        descend.Nope  # noqa: B018


def test_top_level_names_have_keras_meaning() -> None:
    assert descend.Input is layers.Input and descend.Layer is layers.Layer
    assert descend.KerasTensor is layers.KerasTensor and descend.InputSpec is InputSpec
    assert descend.Loss is descend.losses.Loss and descend.Metric is descend.metrics.Metric
    assert descend.Optimizer is descend.optimizers.Optimizer
    assert descend.Initializer is descend.initializers.Initializer
    assert descend.Regularizer is descend.regularizers.Regularizer
    assert descend.version() == descend.__version__
    x = descend.Input((3,))
    assert isinstance(descend.Model(x, layers.Dense(1)(x)), descend.Model)


@pytest.mark.parametrize("module, names", [
    ("utils", ["clear_session", "is_keras_tensor", "get_source_inputs", "standardize_dtype",
               "pack_x_y_sample_weight", "unpack_x_y_sample_weight", "serialize_keras_object",
               "deserialize_keras_object", "register_keras_serializable", "to_categorical",
               "normalize", "set_random_seed", "Progbar", "custom_object_scope",
               "disable_interactive_logging"]),
    ("saving", ["serialize_keras_object", "deserialize_keras_object", "load_model",
                "save_model", "load_weights", "save_weights"]),
    ("models", ["Model", "Sequential", "clone_model", "load_model", "model_from_json",
                "save_model"]),
    ("layers", ["InputSpec", "serialize", "deserialize"]),
    ("initializers", ["glorot_uniform", "zeros", "ones", "he_normal", "constant"]),
    ("config", ["floatx", "epsilon", "image_data_format", "set_image_data_format",
                "enable_interactive_logging", "is_interactive_logging_enabled"]),
    ("backend", backend.__all__),
    ("tree", tree.__all__),
])
def test_submodule_names_resolve(module: str, names: list[str]) -> None:
    mod = importlib.import_module(f"descend.{module}")
    for name in names:
        assert getattr(mod, name) is not None, name
        assert name in dir(mod), name


def test_import_descend_stays_lazy() -> None:
    code = ("import sys, descend; heavy = [m for m in ('descend.layers', 'descend.models', "
            "'descend.callbacks', 'descend.losses', 'descend.optimizers') if m in sys.modules]; "
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_initializer_aliases_are_the_classes() -> None:
    init = descend.initializers
    assert init.glorot_uniform is init.GlorotUniform and init.zeros is init.Zeros
    assert init.glorot_uniform(seed=1)((2, 2)).shape == (2, 2)


# ---------------------------------------------------------------------- backend
def test_backend_functions() -> None:
    assert backend.backend() == "numpy"
    assert backend.floatx() == "float32" and backend.epsilon() == 1e-7
    assert backend.image_data_format() == "channels_last"
    assert backend.standardize_dtype(None) == "float32"
    assert backend.standardize_dtype(int) == "int32"
    assert backend.standardize_dtype(np.float64) == "float64"
    assert backend.standardize_dtype(np.zeros(1, dtype="int8")) == "int8"
    assert backend.is_float_dtype("float16") and not backend.is_float_dtype("int32")
    assert backend.is_int_dtype("uint8") and not backend.is_int_dtype(float)
    with pytest.raises(ValueError, match="invalid dtype"):
        backend.standardize_dtype("floaty")
    with pytest.raises(ValueError, match="channels_last"):
        backend.set_image_data_format("channels_first")
    backend.set_image_data_format("channels_last")
    assert backend.is_keras_tensor(descend.Input((2,)))
    assert not backend.is_keras_tensor(np.ones(2))


def test_clear_session_restarts_names_and_uids() -> None:
    backend.clear_session()
    assert backend.get_uid("thing") == 1 and backend.get_uid("thing") == 2
    assert backend.get_uid("other") == 1
    first = layers.Dense(1).name
    layers.Dense(1)
    backend.clear_session()
    assert layers.Dense(1).name == first == "dense"
    assert backend.get_uid("thing") == 1


def test_set_floatx_through_backend() -> None:
    backend.set_floatx("float64")
    try:
        assert descend.config.floatx() == "float64"
        assert descend.Variable(1.0).dtype == np.float64
    finally:
        backend.set_floatx("float32")


def test_interactive_logging_switch() -> None:
    from descend.utils.progbar import _stdout_is_interactive

    descend.config.disable_interactive_logging()
    try:
        assert not descend.config.is_interactive_logging_enabled()
        assert not _stdout_is_interactive()
    finally:
        descend.config.enable_interactive_logging()
    assert descend.config.is_interactive_logging_enabled()


# ----------------------------------------------------------------- name_scope, device
def test_name_scope_nests_and_deduplicates() -> None:
    with descend.name_scope("a"):
        with descend.name_scope("a"):
            v = descend.Variable(0.0, name="v")
        with descend.name_scope("b"):
            w = descend.Variable(0.0, name="w")
            with descend.name_scope("c", override_parent="z"):
                u = descend.Variable(0.0, name="u")
    assert (v.path, w.path, u.path) == ("a/v", "a/b/w", "z/c/u")
    assert descend.Variable(0.0, name="free").path == "free"
    with pytest.raises(ValueError, match="non-empty string"):
        descend.name_scope("")


def test_device_is_a_cpu_context_manager() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with descend.device("cpu:0"):
            assert (descend.ops.add(1.0, 2.0)).item() == 3.0
    with pytest.warns(UserWarning, match="CPU"):
        with descend.device("gpu:0"):
            pass
    with pytest.raises(ValueError, match="'cpu' or 'gpu:0'"):
        descend.device("floppy")


# -------------------------------------------------------------------- InputSpec
def test_input_spec_checks_like_keras() -> None:
    from descend.layers.input_spec import assert_input_compatibility as check

    check(InputSpec(ndim=2), np.zeros((3, 4)), "l")
    with pytest.raises(ValueError, match="expected ndim=2, found ndim=3"):
        check(InputSpec(ndim=2), np.zeros((1, 3, 4)), "l")
    with pytest.raises(ValueError, match="expected min_ndim=3, found ndim=2"):
        check(InputSpec(min_ndim=3), np.zeros((3, 4)), "l")
    with pytest.raises(ValueError, match="expected max_ndim=2, found ndim=3"):
        check(InputSpec(max_ndim=2), np.zeros((1, 3, 4)), "l")
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 5"):
        check(InputSpec(axes={-1: 5}), np.zeros((3, 4)), "l")
    with pytest.raises(ValueError, match=r"expected shape=\(None, 4\), found shape=\(3, 5\)"):
        check(InputSpec(shape=(None, 4)), np.zeros((3, 5)), "l")
    check(InputSpec(shape=(None, 4, 1), allow_last_axis_squeeze=True), np.zeros((2, 4)), "l")
    with pytest.raises(ValueError, match="expected dtype=int32, found dtype=float32"):
        check(InputSpec(dtype="int32"), np.zeros(2, dtype="float32"), "l")
    with pytest.raises(ValueError, match="expects 2 input"):
        check([InputSpec(), InputSpec()], np.zeros(2), "l")
    with pytest.raises(TypeError, match="integer keys"):
        InputSpec(axes={"a": 1})
    with pytest.raises(ValueError, match="greater than the maximum"):
        InputSpec(ndim=2, axes={3: 1})
    spec = InputSpec(shape=(None, 4))
    assert repr(spec) == "InputSpec(shape=(None, 4), ndim=2)"
    assert InputSpec.from_config(spec.get_config()).shape == (None, 4)


def test_custom_layer_input_spec_is_enforced_eagerly_and_symbolically() -> None:
    class Pairwise(layers.Layer):
        def __init__(self, **kwargs: object) -> None:
            super().__init__(**kwargs)
            self.input_spec = InputSpec(ndim=2, axes={-1: 2})

        def call(self, inputs):  # noqa: ANN001, ANN201
            return inputs * 2.0

    layer = Pairwise(name="pairwise")
    assert layer(np.ones((3, 2), dtype="float32")).shape == (3, 2)
    with pytest.raises(ValueError, match="layer 'pairwise' is incompatible"):
        layer(np.ones((3, 5), dtype="float32"))
    with pytest.raises(ValueError, match="expected ndim=2, found ndim=3"):
        Pairwise()(descend.Input((4, 2)))


# ------------------------------------------------------------------------- tree
def test_tree_flatten_pack_and_map() -> None:
    structure = {"b": 1, "a": [2, (3, None)]}
    assert tree.flatten(structure) == [2, 3, None, 1]
    assert tree.flatten_with_path(structure) == [(("a", 0), 2), (("a", 1, 0), 3),
                                                 (("a", 1, 1), None), (("b",), 1)]
    assert tree.pack_sequence_as(structure, [5, 6, 7, 8]) == {"a": [5, (6, 7)], "b": 8}
    assert tree.map_structure(lambda x, y: x + y, [1, (2, 3)], [10, (20, 30)]) == [11, (22, 33)]
    assert tree.is_nested([1]) and tree.is_nested({}) and not tree.is_nested("ab")
    assert tree.lists_to_tuples([1, [2, {"a": [3]}]]) == (1, (2, {"a": (3,)}))
    assert tree.map_structure_up_to([0, 0], len, [[1, 2], (3,)]) == [2, 1]
    assert tree.map_shape_structure(lambda s: len(s), {"a": (1, 2), "b": [(3,), (None, 4)]}) \
        == {"a": 2, "b": [1, 2]}
    point = collections.namedtuple("point", "x y")
    assert tree.map_structure(lambda v: v * 2, point(1, 2)) == point(2, 4)
    assert tree.flatten(np.ones(3)).__len__() == 1  # arrays are leaves


def test_tree_traverse() -> None:
    assert tree.traverse(lambda x: x * 10 if isinstance(x, int) else None, [1, [2]]) == [10, [20]]
    assert tree.traverse(lambda x: tree.MAP_TO_NONE if isinstance(x, list) and len(x) == 1
                         else None, [1, [2]]) == [1, None]
    bottom_up = tree.traverse(lambda x: sum(x) if isinstance(x, list) else None, [1, [2, 3]],
                              top_down=False)
    assert bottom_up == 6


def test_tree_errors() -> None:
    with pytest.raises(ValueError, match="same nested structure"):
        tree.assert_same_structure([1, 2], [1, (2,)])
    with pytest.raises(ValueError, match="expected 2 items but got 3"):
        tree.assert_same_structure([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="node types differ"):
        tree.assert_same_structure([1, 2], (1, 2))
    with pytest.raises(ValueError, match="dict keys differ"):
        tree.map_structure(lambda a, b: a, {"a": 1}, {"b": 1})
    with pytest.raises(ValueError, match="holds 2 leaves but flat_sequence has 1"):
        tree.pack_sequence_as([0, 0], [1])
    with pytest.raises(ValueError, match="same paths"):
        tree.assert_same_paths({"a": 1}, {"b": 1})
    tree.assert_same_paths([1, 2], (3, 4))


# ------------------------------------------------------------ utils data helpers
def test_pack_and_unpack_x_y_sample_weight() -> None:
    utils = descend.utils
    assert utils.pack_x_y_sample_weight(1) == 1
    assert utils.pack_x_y_sample_weight((1, 2)) == ((1, 2),)
    assert utils.pack_x_y_sample_weight(1, 2, 3) == (1, 2, 3)
    assert utils.unpack_x_y_sample_weight(1) == (1, None, None)
    assert utils.unpack_x_y_sample_weight([1, 2]) == (1, 2, None)
    assert utils.unpack_x_y_sample_weight((1,)) == (1, None, None)
    with pytest.raises(ValueError, match="4 items"):
        utils.unpack_x_y_sample_weight((1, 2, 3, 4))
