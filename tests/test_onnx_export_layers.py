"""ONNX export of the core, activation, reshaping, merging, normalization and preprocessing
layers: onnxruntime's outputs equal ``predict`` (max abs diff <= 1e-5, float32) at batch
sizes 1 and 37, and ``onnx.checker`` passes."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("onnx", reason="ONNX export tests need onnx: pip install '.[onnx]'")
pytest.importorskip("onnxruntime", reason="ONNX export tests need onnxruntime: "
                                          "pip install '.[test]'")

import descend  # noqa: E402
from descend import activations, ops  # noqa: E402
from descend import layers as L  # noqa: E402
from descend.export.onnx.activations import EXPORTABLE  # noqa: E402
from onnx_check import check_export, randomize, sequential  # noqa: E402

# ------------------------------------------------------------------ activations
ACTIVATION_NAMES = sorted(EXPORTABLE)


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_activation_argument_of_dense(name: str, tmp_path) -> None:
    model = sequential(L.Dense(6, activation=name), shape=(5,), name=f"dense_{name}")
    check_export(model, tmp_path)


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_activation_layer_on_wide_inputs(name: str, tmp_path) -> None:
    model = sequential(L.Activation(name), shape=(3, 8), name=f"activation_{name}")
    # inputs spread over [-6, 6]: every piece of the piecewise activations is used
    # (exp(6) = 403 would exceed 1e-5 by float32 rounding alone: [-3, 3] for exponential)
    width = 3.0 if name == "exponential" else 6.0

    def inputs(batch: int) -> list:
        rng = np.random.default_rng(batch)
        return [rng.uniform(-width, width, (batch, 3, 8)).astype("float32")]
    check_export(model, tmp_path, inputs)


def test_every_registered_activation_is_exported_or_refused(tmp_path) -> None:
    refused = sorted(set(activations._TABLE) - set(EXPORTABLE))
    assert refused == ["sparsemax", "threshold"]
    model = sequential(L.Dense(3, activation="sparsemax", name="sparse_head"), shape=(4,))
    with pytest.raises(ValueError, match="sparse_head.*Dense.*sparsemax"):
        model.export(tmp_path / "m.onnx", format="onnx")
    assert not list(tmp_path.iterdir())


ACTIVATION_LAYERS = {
    "relu": lambda: L.ReLU(), "relu_max": lambda: L.ReLU(max_value=1.5),
    "relu_slope_threshold": lambda: L.ReLU(negative_slope=0.1, threshold=0.3),
    "relu_all": lambda: L.ReLU(negative_slope=0.2, max_value=2.0, threshold=0.5),
    "leaky_relu": lambda: L.LeakyReLU(), "leaky_relu_slope": lambda: L.LeakyReLU(0.05),
    "elu": lambda: L.ELU(), "elu_alpha": lambda: L.ELU(alpha=0.4), "prelu": lambda: L.PReLU(),
    "prelu_shared": lambda: L.PReLU(shared_axes=[1]), "softmax": lambda: L.Softmax(),
    "softmax_axis1": lambda: L.Softmax(axis=1), "softmax_2_axes": lambda: L.Softmax(axis=(1, 2)),
}


@pytest.mark.parametrize("name", sorted(ACTIVATION_LAYERS))
def test_activation_layers(name: str, tmp_path) -> None:
    check_export(sequential(ACTIVATION_LAYERS[name](), shape=(4, 6), name=name), tmp_path)


# ------------------------------------------------------------------ core and identity
CORE = [
    ("dense", lambda: [L.Dense(7), L.Dense(3, use_bias=False)], (5,)),
    ("dense_rank3", lambda: [L.Dense(4, activation="tanh")], (6, 5)),
    ("einsum_dense", lambda: [L.EinsumDense("abc,cd->abd", output_shape=(None, 4),
                                            bias_axes="d", activation="relu")], (3, 5)),
    ("einsum_dense_2d_out", lambda: [L.EinsumDense("ab,bcd->acd", output_shape=(2, 3),
                                                   bias_axes="cd")], (5,)),
    ("einsum_dense_ellipsis", lambda: [L.EinsumDense("...b,bc->...c", output_shape=4,
                                                     bias_axes="c")], (3, 5)),
    ("inference_identities", lambda: [
        L.Dropout(0.5), L.GaussianNoise(1.0), L.GaussianDropout(0.3), L.AlphaDropout(0.2),
        L.SpatialDropout1D(0.5), L.Identity(), L.ActivityRegularization(l1=0.1),
        L.Dense(3)], (4, 6)),
    ("image_augmentation", lambda: [
        L.RandomFlip(), L.RandomRotation(0.2), L.RandomZoom(0.1), L.RandomTranslation(0.1, 0.1),
        L.RandomContrast(0.5), L.RandomBrightness(0.2), L.SpatialDropout2D(0.5)], (6, 6, 3)),
    ("spectral_normalization", lambda: [L.SpectralNormalization(L.Conv1D(3, 2)),
                                        L.SpectralNormalization(L.Dense(2))], (5, 4)),
    ("rescaling", lambda: [L.Rescaling(1 / 255.0, offset=-0.5)], (4, 3)),
    ("normalization", lambda: [L.Normalization(mean=[0.5, -1.0, 2.0],
                                               variance=[4.0, 0.25, 1.0])], (5, 3)),
    ("normalization_invert", lambda: [L.Normalization(mean=2.0, variance=9.0, invert=True,
                                                      axis=None)], (5, 3)),
]


@pytest.mark.parametrize("name,make,shape", CORE, ids=[c[0] for c in CORE])
def test_core_layers(name, make, shape, tmp_path) -> None:
    check_export(sequential(*make(), shape=shape, name=name), tmp_path)


def test_embedding_gathers_integer_ids(tmp_path) -> None:
    ids = descend.Input((7,), dtype="int32", name="ids")
    vectors = L.Embedding(20, 4, name="embed")(ids)
    model = randomize(descend.Model(ids, L.GlobalAveragePooling1D()(vectors)))
    def inputs(batch: int) -> list:
        return [np.random.default_rng(batch).integers(0, 20, (batch, 7)).astype("int32")]
    check_export(model, tmp_path, inputs)


def test_embedding_from_float_ids(tmp_path) -> None:
    model = sequential(L.Embedding(12, 3), L.Flatten(), shape=(5,))
    def inputs(batch: int) -> list:
        return [np.random.default_rng(batch).integers(0, 12, (batch, 5)).astype("float32")]
    check_export(model, tmp_path, inputs)


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count"])
def test_category_encoding(mode: str, tmp_path) -> None:
    shape = (1,) if mode == "one_hot" else (5,)
    model = sequential(L.CategoryEncoding(6, output_mode=mode), shape=shape, name=mode)

    def inputs(batch: int) -> list:
        return [np.random.default_rng(batch).integers(0, 6, (batch, *shape)).astype("float32")]
    check_export(model, tmp_path, inputs)


@pytest.mark.parametrize("mode", ["int", "one_hot", "multi_hot", "count"])
def test_discretization(mode: str, tmp_path) -> None:
    layer = L.Discretization(bin_boundaries=[-1.0, 0.0, 0.5, 2.0], output_mode=mode)
    shape = (1,) if mode == "one_hot" else (4,)
    check_export(sequential(layer, shape=shape, name=f"bins_{mode}"), tmp_path)


# ------------------------------------------------------------------ reshaping
RESHAPING = [
    ("flatten", lambda: [L.Flatten(), L.Dense(2)], (3, 4, 2)),
    ("reshape", lambda: [L.Reshape((6, 4)), L.Reshape((-1, 3))], (4, 6)),
    ("permute", lambda: [L.Permute((2, 3, 1))], (2, 3, 4)),
    ("repeat_vector", lambda: [L.RepeatVector(5)], (3,)),
    ("zero_padding_1d", lambda: [L.ZeroPadding1D((1, 3))], (5, 2)),
    ("zero_padding_2d", lambda: [L.ZeroPadding2D(((1, 0), (2, 3)))], (4, 5, 2)),
    ("zero_padding_3d", lambda: [L.ZeroPadding3D(1)], (2, 3, 4, 2)),
    ("cropping_1d", lambda: [L.Cropping1D((1, 2))], (6, 2)),
    ("cropping_2d", lambda: [L.Cropping2D(((0, 1), (2, 0)))], (5, 6, 3)),
    ("cropping_3d", lambda: [L.Cropping3D(((1, 1), (0, 1), (1, 0)))], (4, 4, 4, 2)),
    ("upsampling_1d", lambda: [L.UpSampling1D(3)], (4, 2)),
    ("upsampling_2d", lambda: [L.UpSampling2D((2, 3))], (3, 4, 2)),
    ("upsampling_2d_bilinear", lambda: [L.UpSampling2D(2, interpolation="bilinear")],
     (3, 4, 2)),
    ("upsampling_3d", lambda: [L.UpSampling3D((1, 2, 2))], (2, 3, 2, 2)),
    ("center_crop", lambda: [L.CenterCrop(3, 4)], (6, 7, 2)),
    ("center_crop_smaller_image", lambda: [L.CenterCrop(5, 9)], (6, 7, 2)),
]


@pytest.mark.parametrize("options", [
    {"interpolation": "bilinear"}, {"interpolation": "nearest"},
    {"interpolation": "bicubic"}, {"interpolation": "area"}, {"interpolation": "lanczos3"},
    {"interpolation": "bilinear", "antialias": True},
    {"interpolation": "bilinear", "crop_to_aspect_ratio": True},
    {"interpolation": "nearest", "pad_to_aspect_ratio": True, "fill_value": 0.5},
], ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()))
def test_resizing(options: dict, tmp_path) -> None:
    model = sequential(L.Resizing(4, 9, **options), shape=(7, 5, 2), name="resizing")
    check_export(model, tmp_path)


@pytest.mark.parametrize("name,make,shape", RESHAPING, ids=[c[0] for c in RESHAPING])
def test_reshaping_layers(name, make, shape, tmp_path) -> None:
    check_export(sequential(*make(), shape=shape, name=name), tmp_path)


def test_flatten_with_unknown_lengths(tmp_path) -> None:
    model = sequential(L.GlobalMaxPooling1D(keepdims=True), L.Flatten(), shape=(None, 3))
    def inputs(batch: int) -> list:
        return [np.random.default_rng(batch).normal(size=(batch, 4 + batch % 3, 3))
                .astype("float32")]
    check_export(model, tmp_path, inputs)


# ------------------------------------------------------------------ normalization
NORMALIZATION = [
    ("batch_norm", lambda: [L.BatchNormalization()], (4, 3)),
    ("batch_norm_axis1", lambda: [L.BatchNormalization(axis=1, center=False)], (4, 3)),
    ("batch_norm_no_scale", lambda: [L.BatchNormalization(scale=False, epsilon=0.01)], (5,)),
    ("layer_norm", lambda: [L.LayerNormalization()], (4, 6)),
    ("layer_norm_axes", lambda: [L.LayerNormalization(axis=(1, 2), center=False)], (3, 4, 2)),
    ("layer_norm_middle_axis", lambda: [L.LayerNormalization(axis=1, scale=False)], (3, 4)),
    ("layer_norm_rms", lambda: [L.LayerNormalization(rms_scaling=True)], (4, 6)),
    ("group_norm", lambda: [L.GroupNormalization(groups=2)], (5, 5, 4)),
    ("group_norm_axis1", lambda: [L.GroupNormalization(groups=3, axis=1)], (6, 4)),
    ("group_norm_instance", lambda: [L.GroupNormalization(groups=-1)], (6, 3)),
    ("rms_norm", lambda: [L.RMSNormalization()], (3, 8)),
    ("unit_norm", lambda: [L.UnitNormalization(axis=(1, 2))], (3, 4)),
]


@pytest.mark.parametrize("name,make,shape", NORMALIZATION, ids=[c[0] for c in NORMALIZATION])
def test_normalization_layers(name, make, shape, tmp_path) -> None:
    check_export(sequential(*make(), shape=shape, name=name), tmp_path)


# ------------------------------------------------------------------ merging
MERGES = [L.Add, L.Subtract, L.Multiply, L.Average, L.Maximum, L.Minimum]


@pytest.mark.parametrize("merge", MERGES, ids=lambda c: c.__name__)
def test_elementwise_merges(merge, tmp_path) -> None:
    a = descend.Input((4, 3), name="a")
    b = descend.Input((4, 3), name="b")
    inputs = [a, b] if merge is L.Subtract else [a, b, L.Dense(3)(b)]
    model = randomize(descend.Model([a, b], merge(name="merged")(inputs)))
    check_export(model, tmp_path)


def test_merge_aligns_lower_rank_inputs(tmp_path) -> None:
    a = descend.Input((4, 3), name="a")
    b = descend.Input((3,), name="b")
    model = descend.Model([a, b], L.Add()([a, b]))
    check_export(model, tmp_path)


@pytest.mark.parametrize("axis", [-1, 1])
def test_concatenate(axis: int, tmp_path) -> None:
    a = descend.Input((4, 3), name="left")
    b = descend.Input((4, 3), name="right")
    model = randomize(descend.Model([a, b], L.Concatenate(axis=axis)([a, L.Dense(3)(b)])))
    check_export(model, tmp_path)


@pytest.mark.parametrize("axes,normalize,shapes", [
    (1, False, ((5,), (5,))), (-1, True, ((5,), (5,))), ((2, 2), False, ((3, 4), (2, 4))),
    ((1, 1), True, ((3, 4), (3, 2))),
])
def test_dot(axes, normalize, shapes, tmp_path) -> None:
    a, b = descend.Input(shapes[0], name="a"), descend.Input(shapes[1], name="b")
    model = descend.Model([a, b], L.Dot(axes=axes, normalize=normalize)([a, b]))
    check_export(model, tmp_path)


# ------------------------------------------------------------------ ops between layers
OPS = {
    "arithmetic": lambda x, y: (x * 2.0 + y) / 3.0 - 1.0,
    "reflected_and_power": lambda x, y: 1.0 - (2.0 / (abs(y) + 1.0)) ** 2 + (-x),
    "unary": lambda x, y: ops.exp(ops.tanh(x)) + ops.sqrt(ops.abs(y)) + ops.square(x),
    "reductions": lambda x, y: ops.sum(x, axis=-1, keepdims=True) * ops.mean(y, axis=1)[:, None]
    + ops.max(x, axis=(1, 2))[:, None, None],
    "indexing": lambda x, y: ops.concatenate([x[:, -1], x[:, 0, ::2], y[..., 1]], axis=-1),
    "shapes": lambda x, y: ops.reshape(ops.transpose(ops.expand_dims(x, 1), (0, 1, 3, 2)),
                                       (-1, 12)) + ops.squeeze(y[:, :, :1], axis=-1)[:, :1],
    "matmul_softmax_clip": lambda x, y: ops.clip(ops.softmax(ops.matmul(
        x, ops.transpose(y, (0, 2, 1))), axis=1), 0.1, 0.6),
    "maximum_minimum": lambda x, y: ops.maximum(x, 0.5) + ops.minimum(x, y) + ops.relu(y)
    + ops.sigmoid(x) + ops.log(ops.exp(y)),
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_ops_between_layers(name: str, tmp_path) -> None:
    x = descend.Input((3, 4), name="x")
    y = descend.Input((3, 4), name="y")
    model = randomize(descend.Model([x, y], OPS[name](L.Dense(4)(x), y)))
    check_export(model, tmp_path)


def test_untranslated_op_is_refused(tmp_path) -> None:
    x = descend.Input((4,), name="x")
    model = descend.Model(x, ops.cumsum(L.Dense(3)(x), axis=-1))
    with pytest.raises(ValueError, match=r"\(OpLayer\).*the op 'cumsum'"):
        model.export(tmp_path / "m.onnx", format="onnx")
    assert not list(tmp_path.iterdir())
