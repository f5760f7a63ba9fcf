"""Preprocessing layers without randomness: values (Keras 3.15's, torch backend, hard-coded),
configs, saving round-trips, gradients and bad-input errors."""

from __future__ import annotations

import numpy as np
import pytest

import descend
from descend import layers, models
from descend.autograd import gradcheck
from descend.layers import (
    CategoryEncoding,
    CenterCrop,
    Discretization,
    Hashing,
    Normalization,
    Rescaling,
    Resizing,
)
from descend.layers.preprocessing._hash_functions import fingerprint64, siphash24
from descend.layers.preprocessing._image_ops import interpolation_matrix

IMAGE = np.arange(24, dtype="float32").reshape(1, 4, 6, 1)


def roundtrip(model, x, tmp_path):
    path = tmp_path / "model.descend"
    model.save(path)
    loaded = models.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)
    return loaded


# ---------------------------------------------------------------- Rescaling
def test_rescaling_values_config_and_gradient():
    layer = Rescaling(1 / 127.5, offset=-1.0)
    out = layer(np.array([[0.0, 127.5, 255.0]]))
    np.testing.assert_allclose(out.data, [[-1.0, 0.0, 1.0]], atol=1e-6)
    assert layer.get_config()["scale"] == pytest.approx(1 / 127.5)
    assert set(layer.get_config()) >= {"name", "trainable", "dtype", "scale", "offset"}
    per_channel = Rescaling([1.0, 2.0], offset=[0.0, 1.0])(np.ones((2, 2)))
    np.testing.assert_allclose(per_channel.data, [[1.0, 3.0], [1.0, 3.0]])
    descend.config.set_floatx("float64")
    gradcheck(lambda t: Rescaling(0.5, offset=2.0)(t), np.random.default_rng(0).random((3, 2)))


def test_rescaling_rejects_bad_scale():
    with pytest.raises(ValueError, match="scale.*rescaling"):
        Rescaling("big")


# ------------------------------------------------------------ Normalization
def test_normalization_adapt_matches_numpy_and_saves(tmp_path):
    data = np.random.default_rng(0).normal(3.0, 2.0, size=(200, 3)).astype("float32")
    layer = Normalization()
    layer.adapt(data)
    np.testing.assert_allclose(layer.mean.numpy(), data.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(layer.variance.numpy(), data.var(axis=0), rtol=1e-4)
    assert int(layer.count.numpy()) == 200
    out = layer(data).data
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(out.std(axis=0), 1.0, atol=1e-4)
    assert all(not w.trainable for w in layer.weights)
    model = models.Sequential([layers.Input((3,)), layer, layers.Dense(2)])
    loaded = roundtrip(model, data[:5], tmp_path)
    np.testing.assert_allclose(loaded.layers[0].mean.numpy(), layer.mean.numpy())


def test_normalization_batches_and_axis_none():
    data = np.random.default_rng(1).random((90, 4))
    by_batches = Normalization()
    by_batches.adapt([data[:30], data[30:70], data[70:]])
    np.testing.assert_allclose(by_batches.variance.numpy(), data.var(axis=0), rtol=1e-5)
    scalar = Normalization(axis=None)
    scalar.adapt(data)
    np.testing.assert_allclose(scalar.mean.numpy(), data.mean(), rtol=1e-6)


def test_normalization_given_statistics_invert_and_config(tmp_path):
    layer = Normalization(mean=[1.0, 2.0], variance=[4.0, 9.0])
    x = np.array([[3.0, 8.0]], dtype="float32")
    np.testing.assert_allclose(layer(x).data, [[1.0, 2.0]])
    inverse = Normalization(mean=[1.0, 2.0], variance=[4.0, 9.0], invert=True)
    np.testing.assert_allclose(inverse(np.array([[1.0, 2.0]])).data, x)
    config = layer.get_config()
    assert config["mean"] == [1.0, 2.0] and config["variance"] == [4.0, 9.0]
    assert config["axis"] == (-1,) and config["invert"] is False
    model = models.Sequential([layers.Input((2,)), layer])
    roundtrip(model, x, tmp_path)
    # per-channel statistics of images: axis=-1 keeps the channels
    images = Normalization(axis=-1, mean=[0.0, 10.0, 20.0], variance=[1.0, 1.0, 1.0])
    out = images(np.full((2, 4, 4, 3), 10.0)).data
    np.testing.assert_allclose(out[0, 0, 0], [10.0, 0.0, -10.0])


def test_normalization_epsilon_floor_and_gradient():
    layer = Normalization(mean=0.5, variance=0.0)
    # sqrt(0) is floored at epsilon = 1e-7, as Keras does
    np.testing.assert_allclose(layer(np.array([[0.5]])).data, [[0.0]])
    descend.config.set_floatx("float64")
    norm = Normalization(mean=[1.0, -1.0], variance=[2.0, 0.5])
    gradcheck(lambda t: norm(t), np.random.default_rng(2).random((4, 2)))


def test_normalization_errors_name_layer_and_argument():
    with pytest.raises(ValueError, match="variance.*Normalization"):
        Normalization(mean=[0.0])
    with pytest.raises(ValueError, match="axis"):
        Normalization(axis="last")
    layer = Normalization(axis=3)
    with pytest.raises(ValueError, match="axis"):
        layer.adapt(np.zeros((4, 2)))
    given = Normalization(mean=0.0, variance=1.0)
    with pytest.raises(ValueError, match="adapt"):
        given.adapt(np.zeros((2, 2)))


# ----------------------------------------------------------- Discretization
def test_discretization_boundaries_and_output_modes():
    layer = Discretization(bin_boundaries=[0.0, 1.0, 2.0])
    out = layer(np.array([[-1.5, 1.0, 0.4, 5.0]]))
    assert out.data.dtype == np.int32
    np.testing.assert_array_equal(out.data, np.digitize([[-1.5, 1.0, 0.4, 5.0]],
                                                        [0.0, 1.0, 2.0]))
    one_hot = Discretization(bin_boundaries=[0.0, 1.0], output_mode="one_hot")
    np.testing.assert_array_equal(one_hot(np.array([-1.0, 0.5, 3.0])).data, np.eye(3))
    multi = Discretization(bin_boundaries=[0.0, 1.0], output_mode="multi_hot")
    np.testing.assert_array_equal(multi(np.array([[-1.0, 3.0]])).data, [[1, 0, 1]])
    count = Discretization(bin_boundaries=[0.0, 1.0], output_mode="count")
    np.testing.assert_array_equal(count(np.array([[3.0, -1.0, 3.0]])).data, [[1, 0, 2]])
    assert count.compute_output_shape((None, 3)) == (None, 3)


def test_discretization_adapt_quantiles_and_saving(tmp_path):
    layer = Discretization(num_bins=4)
    layer.adapt(np.arange(100.0))
    # Keras's summary algorithm: the 25/50/75 % points of 0..99 fall on 24, 49, 74
    assert layer.bin_boundaries == [24.0, 49.0, 74.0]
    np.testing.assert_array_equal(layer(np.array([[-1.0, 24.0, 25.0, 99.0]])).data,
                                  [[0, 1, 1, 3]])
    config = layer.get_config()
    assert config["bin_boundaries"] == [24.0, 49.0, 74.0] and config["num_bins"] == 4
    model = models.Sequential([layers.Input((4,)), layer])
    x = np.array([[-1.0, 30.0, 60.0, 90.0]], dtype="float32")
    loaded = roundtrip(model, x, tmp_path)
    assert loaded.layers[0].bin_boundaries == [24.0, 49.0, 74.0]


def test_discretization_adapt_on_batches_is_close_to_quantiles():
    data = np.random.default_rng(3).normal(size=5000)
    layer = Discretization(num_bins=5, epsilon=0.001)
    layer.adapt([data[:2000], data[2000:]])
    expected = np.quantile(data, [0.2, 0.4, 0.6, 0.8])
    np.testing.assert_allclose(layer.bin_boundaries, expected, atol=0.05)


def test_discretization_errors():
    with pytest.raises(ValueError, match="bin_boundaries"):
        Discretization()
    with pytest.raises(ValueError, match="not both"):
        Discretization(bin_boundaries=[0.0], num_bins=3)
    with pytest.raises(ValueError, match="output_mode"):
        Discretization(bin_boundaries=[0.0], output_mode="tf_idf")
    with pytest.raises(ValueError, match="sorted"):
        Discretization(bin_boundaries=[1.0, 0.0])
    with pytest.raises(ValueError, match="num_bins"):
        Discretization(bin_boundaries=[0.0]).adapt(np.arange(3.0))


# --------------------------------------------------------- CategoryEncoding
def test_category_encoding_modes_match_keras():
    multi = CategoryEncoding(4, output_mode="multi_hot")
    np.testing.assert_array_equal(multi(np.array([0, 1, 1])).data, [1, 1, 0, 0])
    np.testing.assert_array_equal(multi(np.array([[0, 1], [3, 3]])).data,
                                  [[1, 1, 0, 0], [0, 0, 0, 1]])
    count = CategoryEncoding(4, output_mode="count")
    np.testing.assert_array_equal(count(np.array([[0, 1, 1], [3, 3, 2]])).data,
                                  [[1, 2, 0, 0], [0, 0, 1, 2]])
    weighted = count(np.array([[0, 1, 1]]), count_weights=np.array([[0.5, 1.0, 2.0]]))
    np.testing.assert_allclose(weighted.data, [[0.5, 3.0, 0.0, 0.0]])
    one_hot = CategoryEncoding(4, output_mode="one_hot")
    assert one_hot(np.array([[0], [2]])).shape == (2, 4)
    assert one_hot(np.array([0, 2])).shape == (2, 4)
    assert one_hot.compute_output_shape((None, 1)) == (None, 4)
    assert CategoryEncoding(3).get_config()["output_mode"] == "multi_hot"


def test_category_encoding_errors():
    with pytest.raises(ValueError, match="num_tokens"):
        CategoryEncoding(4)(np.array([5]))
    with pytest.raises(ValueError, match="num_tokens"):
        CategoryEncoding(0)
    with pytest.raises(ValueError, match="output_mode"):
        CategoryEncoding(3, output_mode="int")
    with pytest.raises(ValueError, match="count_weights"):
        CategoryEncoding(3)(np.array([1]), count_weights=np.array([1.0]))


# ------------------------------------------------------------------ Hashing
def test_fingerprint64_reference_values():
    # FarmHash Fingerprint64 values (computed with the reference C++ implementation)
    text = "".join(chr(97 + (i * 7) % 26) for i in range(200))
    assert fingerprint64(text[:17].encode()) == 2237273621417572890
    assert fingerprint64(text[:65].encode()) == 2768067016444695309
    assert fingerprint64(text.encode()) == 15075557378531049012
    assert fingerprint64(b"") == 0x9AE16A3B2F90404F


def test_hashing_matches_keras_buckets():
    # bucket values stated by Keras's own hashing tests (TensorFlow's hash functions)
    letters = np.array([["A"], ["B"], ["C"], ["D"], ["E"]])
    np.testing.assert_array_equal(Hashing(num_bins=3)(letters).data.ravel(), [1, 0, 1, 1, 2])
    masked = Hashing(num_bins=3, mask_value="")(np.array([["A"], ["B"], [""], ["C"], ["D"]]))
    np.testing.assert_array_equal(masked.data.ravel(), [1, 1, 0, 2, 2])
    salted = Hashing(num_bins=3, salt=[133, 137])(letters)
    np.testing.assert_array_equal(salted.data.ravel(), [1, 2, 1, 0, 2])
    np.testing.assert_array_equal(Hashing(num_bins=3, salt=133)(letters).data.ravel(),
                                  [0, 0, 2, 1, 0])
    words = np.array([["omar"], ["stringer"], ["marlo"], ["wire"], ["skywalker"]])
    np.testing.assert_array_equal(Hashing(num_bins=2)(words).data.ravel(), [0, 0, 1, 0, 0])
    omar = Hashing(num_bins=3, mask_value="omar")(words)
    np.testing.assert_array_equal(omar.data.ravel(), [0, 1, 2, 1, 1])
    ints = np.array([[0], [1], [2], [3], [4]])
    np.testing.assert_array_equal(Hashing(num_bins=3)(ints).data.ravel(), [1, 0, 1, 0, 2])
    np.testing.assert_array_equal(Hashing(num_bins=3, salt=[133, 137])(ints).data.ravel(),
                                  [1, 1, 2, 0, 1])
    assert siphash24(133, 137, b"A") % 3 == 1


def test_hashing_output_modes_and_config():
    multi = Hashing(num_bins=3, output_mode="multi_hot")(np.array([[0, 1, 2, 3, 4]]))
    np.testing.assert_array_equal(multi.data, [[1.0, 1.0, 1.0]])
    one_hot = Hashing(num_bins=3, output_mode="one_hot")(np.array([0, 1, 2, 3, 4]))
    np.testing.assert_array_equal(one_hot.data.argmax(axis=1), [1, 0, 1, 0, 2])
    config = Hashing(num_bins=5, salt=7).get_config()
    assert config["salt"] == [7, 7] and config["num_bins"] == 5 and config["dtype"] == "int64"
    assert Hashing.from_config(config).salt == [7, 7]


def test_hashing_errors():
    with pytest.raises(ValueError, match="num_bins"):
        Hashing(num_bins=0)
    with pytest.raises(ValueError, match="salt"):
        Hashing(num_bins=2, salt="pepper")
    with pytest.raises(ValueError, match="salt"):
        Hashing(num_bins=2, salt=[1])
    with pytest.raises(ValueError, match="dtype"):
        Hashing(num_bins=2, dtype="float32")


# --------------------------------------------------------- Resizing, crops
def test_resizing_matches_keras_values():
    bilinear = Resizing(3, 4)(IMAGE).data[0, :, :, 0]
    np.testing.assert_allclose(bilinear, [[1.25, 2.75, 4.25, 5.75], [9.25, 10.75, 12.25, 13.75],
                                          [17.25, 18.75, 20.25, 21.75]], atol=1e-5)
    up = Resizing(6, 9)(IMAGE).data[0, 0, :, 0]
    np.testing.assert_allclose(up, [0.0, 0.5, 1.1667, 1.8333, 2.5, 3.1667, 3.8333, 4.5, 5.0],
                               atol=1e-4)
    nearest = Resizing(3, 4, interpolation="nearest")(IMAGE).data[0, :, :, 0]
    np.testing.assert_array_equal(nearest, [[0, 2, 3, 5], [12, 14, 15, 17], [18, 20, 21, 23]])
    bicubic = Resizing(3, 4, interpolation="bicubic")(IMAGE).data[0, 0, :, 0]
    np.testing.assert_allclose(bicubic, [0.9484, 2.4601, 4.0538, 5.5655], atol=1e-3)
    crop = Resizing(3, 3, crop_to_aspect_ratio=True)(IMAGE).data[0, :, :, 0]
    np.testing.assert_allclose(crop[0], [2.1666667, 3.5, 4.8333335], atol=1e-5)
    pad = Resizing(3, 3, pad_to_aspect_ratio=True)(IMAGE).data[0, :, :, 0]
    np.testing.assert_allclose(pad, [[0.25, 1.25, 2.25], [9.5, 11.5, 13.5],
                                     [9.25, 10.25, 11.25]], atol=1e-5)
    anti = Resizing(2, 3, antialias=True)(IMAGE).data[0, :, :, 0]
    np.testing.assert_allclose(anti, [[5.0, 6.785714, 8.571428], [14.428572, 16.214285, 18.0]],
                               atol=1e-4)


def test_resizing_shapes_layouts_and_rows_sum_to_one():
    for method in ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5"):
        for n_in, n_out in ((7, 3), (3, 7), (5, 5)):
            m = interpolation_matrix(n_in, n_out, method)
            np.testing.assert_allclose(m.sum(axis=1), 1.0, atol=1e-9)
    area = interpolation_matrix(4, 2, "area")
    np.testing.assert_allclose(area, [[0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5]])
    single = Resizing(2, 3)(IMAGE[0])
    assert single.shape == (2, 3, 1)
    first = Resizing(2, 3, data_format="channels_first")
    assert first(np.zeros((2, 1, 4, 6))).shape == (2, 1, 2, 3)
    assert first.compute_output_shape((None, 1, 4, 6)) == (None, 1, 2, 3)
    config = Resizing(5, 6).get_config()
    assert config["interpolation"] == "bilinear" and config["antialias"] is False
    assert {"crop_to_aspect_ratio", "pad_to_aspect_ratio", "fill_mode", "fill_value",
            "data_format"} <= set(config)


def test_resizing_and_center_crop_pass_gradients():
    descend.config.set_floatx("float64")
    rng = np.random.default_rng(4)
    gradcheck(lambda t: Resizing(3, 5)(t), rng.random((2, 4, 6, 2)))
    gradcheck(lambda t: Resizing(2, 2, interpolation="bicubic", antialias=True)(t),
              rng.random((1, 5, 5, 1)))
    gradcheck(lambda t: Resizing(3, 3, pad_to_aspect_ratio=True)(t), rng.random((1, 2, 4, 1)))
    gradcheck(lambda t: CenterCrop(2, 2)(t), rng.random((1, 4, 5, 1)))


def test_center_crop_window_and_small_images():
    np.testing.assert_array_equal(CenterCrop(2, 3)(IMAGE).data[0, :, :, 0],
                                  [[7, 8, 9], [13, 14, 15]])
    grown = CenterCrop(6, 8)(IMAGE).data[0, :, :, 0]
    assert grown.shape == (6, 8)
    np.testing.assert_allclose(grown[0, :3], [0.0, 0.4375, 1.0625], atol=1e-5)
    assert CenterCrop(2, 3).compute_output_shape((None, 4, 6, 1)) == (None, 2, 3, 1)


def test_image_layers_bad_input():
    with pytest.raises(ValueError, match="height.*resizing"):
        Resizing(0, 3)
    with pytest.raises(ValueError, match="interpolation"):
        Resizing(2, 2, interpolation="cubic")
    with pytest.raises(ValueError, match="pad_to_aspect_ratio"):
        Resizing(2, 2, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True)
    with pytest.raises(ValueError, match="rank 3.*rank 4"):
        CenterCrop(2, 2)(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="data_format"):
        CenterCrop(2, 2, data_format="NHWC")


def test_preprocessing_model_trains_and_round_trips(tmp_path):
    rng = np.random.default_rng(5)
    x = rng.random((16, 6, 6, 1)).astype("float32") * 255
    y = rng.integers(0, 2, 16)
    model = models.Sequential([layers.Input((6, 6, 1)), Rescaling(1 / 255), Resizing(4, 4),
                               CenterCrop(3, 3), layers.Flatten(), layers.Dense(2)])
    model.compile("adam", descend.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, y, epochs=1, verbose=0)
    roundtrip(model, x, tmp_path)


def test_discretization_int_mode_symbolic_dtype_is_int32():
    """In a functional model, "int" bucket ids are int32 as Keras records them."""
    x = descend.Input((3,))
    assert layers.Discretization(bin_boundaries=[0.0, 1.0])(x).dtype == "int32"
    encoded = layers.Discretization(bin_boundaries=[0.0, 1.0], output_mode="one_hot")(
        descend.Input((1,)))
    assert encoded.dtype == "float32"
