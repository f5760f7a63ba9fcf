"""Preprocessing layers as Keras runs them: saved and loaded, in ``fit`` versus ``predict``.

- Every preprocessing and augmentation layer survives ``model.save``/``load_model``: same
  config, same inference output, and (augmentation) the same seeded training draws.
- Augmentation is active in ``fit`` only: with a negligible learning rate, the training loss of
  one epoch differs from ``evaluate``'s on the same data, and ``predict`` is the
  un-augmented network.
- ``Normalization`` uses its adapted statistics in training as in inference (no batch
  statistics), and ``fit`` never changes them; its statistics and outputs equal Keras's.
- Bad arguments raise errors that name the layer and the argument.
"""

from __future__ import annotations

import numpy as np
import pytest

import descend
from descend import layers, models

RNG = np.random.default_rng(16)
IMAGES = (RNG.random((6, 8, 8, 2)) * 255).astype("float32")

AUGMENTATION = [
    lambda: layers.RandomFlip(seed=5),
    lambda: layers.RandomRotation(0.2, seed=5),
    lambda: layers.RandomZoom(0.3, seed=5),
    lambda: layers.RandomTranslation(0.2, 0.3, seed=5),
    lambda: layers.RandomContrast(0.5, seed=5),
    lambda: layers.RandomBrightness(0.3, seed=5),
    lambda: layers.RandomCrop(5, 6, seed=5),
]


def adapted_normalization():
    layer = layers.Normalization()
    layer.adapt(IMAGES)
    return layer


def adapted_discretization():
    layer = layers.Discretization(num_bins=4)
    layer.adapt(IMAGES.reshape(-1))
    return layer


# (factory, input shape without batch, input dtype, inputs)
PREPROCESSING = [
    (lambda: layers.Rescaling(1 / 255, offset=-0.5), (8, 8, 2), "float32", IMAGES),
    (adapted_normalization, (8, 8, 2), "float32", IMAGES),
    (lambda: layers.Normalization(mean=[1.0, 2.0], variance=[4.0, 9.0], invert=True),
     (8, 8, 2), "float32", IMAGES),
    (adapted_discretization, (8, 8, 2), "float32", IMAGES),
    (lambda: layers.CategoryEncoding(5, output_mode="count"), (3,), "int64",
     RNG.integers(0, 5, (6, 3))),
    (lambda: layers.Hashing(7, salt=3), (3,), "int64", RNG.integers(0, 100, (6, 3))),
    (lambda: layers.Resizing(5, 4, interpolation="bilinear"), (8, 8, 2), "float32", IMAGES),
    (lambda: layers.CenterCrop(4, 6), (8, 8, 2), "float32", IMAGES),
    *[(make, (8, 8, 2), "float32", IMAGES) for make in AUGMENTATION],
]


@pytest.mark.parametrize("make, shape, dtype, x", PREPROCESSING)
def test_preprocessing_layer_save_round_trip(make, shape, dtype, x, tmp_path):
    layer = make()
    model = models.Sequential([layers.Input(shape, dtype=dtype), layer])
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = models.load_model(path)
    clone = loaded.layers[0]
    assert type(clone) is type(layer)
    assert clone.get_config() == layer.get_config()
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    for a, b in zip(loaded.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    if hasattr(layer, "seed"):
        # the loaded layer draws what a fresh layer with the same seed draws
        np.testing.assert_array_equal(clone(x, training=True).data,
                                      make()(x, training=True).data)


@pytest.mark.parametrize("make", AUGMENTATION)
def test_augmentation_is_active_in_fit_only(make):
    augment = make()
    # RandomCrop returns the whole image outside training (as Keras 3 does), so a shape-free
    # pooling follows it; a flip or rotation would leave a global average unchanged
    crop = isinstance(augment, layers.RandomCrop)
    model = models.Sequential([
        layers.Input((8, 8, 2)), augment,
        layers.GlobalAveragePooling2D() if crop else layers.Flatten(),
        layers.Dense(1, use_bias=False, kernel_initializer="glorot_uniform"),
    ])
    # a rate far below float32's resolution: the weights stay as they are (checked below)
    model.compile(optimizer=descend.optimizers.SGD(1e-30), loss="mse")
    before = model.get_weights()
    y = np.zeros((len(IMAGES), 1), "float32")
    history = model.fit(IMAGES, y, batch_size=len(IMAGES), epochs=1, verbose=0, shuffle=False)
    eval_loss = model.evaluate(IMAGES, y, batch_size=len(IMAGES), verbose=0)
    predicted = model.predict(IMAGES, verbose=0)
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(eval_loss, np.mean(predicted ** 2), rtol=1e-5)
    assert not np.isclose(history.history["loss"][0], eval_loss, rtol=1e-4)
    features = IMAGES.mean(axis=(1, 2)) if crop else IMAGES.reshape(len(IMAGES), -1)
    np.testing.assert_allclose(predicted, features @ model.layers[-1].kernel.numpy(), rtol=1e-4)
    np.testing.assert_array_equal(predicted, model(IMAGES, training=False).data)


def test_normalization_statistics_fixed_in_fit_and_used_in_training():
    data = RNG.normal(3.0, 2.0, (64, 4)).astype("float32")
    norm = layers.Normalization()
    norm.adapt(data)
    mean, variance = np.array(norm.mean), np.array(norm.variance)
    model = models.Sequential([layers.Input((4,)), norm, layers.Dense(1)])
    model.compile(optimizer=descend.optimizers.SGD(1e-30), loss="mse")
    shifted = data * 5 + 10  # far from the adapted statistics
    y = np.zeros((64, 1), "float32")
    history = model.fit(shifted, y, batch_size=64, epochs=1, verbose=0)
    # no batch statistics in training: the training loss is evaluate's loss
    np.testing.assert_allclose(history.history["loss"][0],
                               model.evaluate(shifted, y, batch_size=64, verbose=0), rtol=1e-5)
    model.compile(optimizer=descend.optimizers.SGD(0.1), loss="mse")
    model.fit(shifted, y, batch_size=16, epochs=2, verbose=0)
    np.testing.assert_array_equal(np.array(norm.mean), mean)
    np.testing.assert_array_equal(np.array(norm.variance), variance)
    np.testing.assert_allclose(norm(shifted, training=True).data,
                               (shifted - mean) / np.sqrt(variance), rtol=1e-5)
    assert [w.name for w in norm.trainable_weights] == []


def test_normalization_matches_keras_in_fit_and_predict():
    keras = pytest.importorskip("keras", reason="Keras 3 (torch backend) compares the outputs")
    data = RNG.normal(-1.0, 3.0, (50, 3, 2)).astype("float32")
    ours, theirs = layers.Normalization(axis=(1, 2)), keras.layers.Normalization(axis=(1, 2))
    ours.adapt(data)
    theirs.adapt(data)
    to_numpy = keras.ops.convert_to_numpy
    np.testing.assert_allclose(np.asarray(ours.mean).reshape(3, 2),
                               to_numpy(theirs.mean).reshape(3, 2), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(ours.variance).reshape(3, 2),
                               to_numpy(theirs.variance).reshape(3, 2), rtol=1e-4)
    for training in (False, True):
        np.testing.assert_allclose(
            ours(data, training=training).data,
            keras.ops.convert_to_numpy(theirs(data, training=training)), rtol=1e-4, atol=1e-5)
    inverse_ours = layers.Normalization(mean=2.0, variance=4.0, invert=True)
    inverse_theirs = keras.layers.Normalization(mean=2.0, variance=4.0, invert=True)
    np.testing.assert_allclose(inverse_ours(data).data,
                               keras.ops.convert_to_numpy(inverse_theirs(data)), rtol=1e-5)


BAD_ARGUMENTS = [
    ("RandomFlip", "mode", lambda: layers.RandomFlip("diagonal")),
    ("RandomFlip", "seed", lambda: layers.RandomFlip(seed=-1)),
    ("RandomRotation", "fill_mode", lambda: layers.RandomRotation(0.1, fill_mode="mirror")),
    ("RandomRotation", "interpolation",
     lambda: layers.RandomRotation(0.1, interpolation="bicubic")),
    ("RandomRotation", "factor", lambda: layers.RandomRotation("a")),
    ("RandomRotation", "fill_value", lambda: layers.RandomRotation(0.1, fill_value="x")),
    ("RandomZoom", "height_factor", lambda: layers.RandomZoom(-1.5)),
    ("RandomZoom", "width_factor", lambda: layers.RandomZoom(0.1, width_factor=-2)),
    ("RandomTranslation", "width_factor", lambda: layers.RandomTranslation(0.1, 2.0)),
    ("RandomTranslation", "height_factor", lambda: layers.RandomTranslation(2.0, 0.1)),
    ("RandomContrast", "factor", lambda: layers.RandomContrast(1.5)),
    ("RandomBrightness", "value_range", lambda: layers.RandomBrightness(0.1, value_range=255)),
    ("RandomBrightness", "factor", lambda: layers.RandomBrightness(2.0)),
    ("RandomCrop", "height", lambda: layers.RandomCrop(0, 2)),
    ("RandomCrop", "width", lambda: layers.RandomCrop(2, -1)),
    ("RandomFlip", "inputs", lambda: layers.RandomFlip()(np.zeros((4, 4)), training=True)),
    ("Rescaling", "scale", lambda: layers.Rescaling("a")),
    ("Rescaling", "offset", lambda: layers.Rescaling(1.0, offset="a")),
    ("Normalization", "variance", lambda: layers.Normalization(mean=[0.0])),
    ("Normalization", "axis", lambda: layers.Normalization(axis="last")),
    ("Normalization", "axis", lambda: layers.Normalization(axis=3).adapt(np.zeros((4, 2)))),
    ("Discretization", "bin_boundaries", lambda: layers.Discretization()),
    ("Discretization", "output_mode",
     lambda: layers.Discretization(bin_boundaries=[0.0], output_mode="tf_idf")),
    ("Discretization", "bin_boundaries",
     lambda: layers.Discretization(bin_boundaries=[1.0, 0.0])),
    ("CategoryEncoding", "num_tokens", lambda: layers.CategoryEncoding(0)),
    ("CategoryEncoding", "num_tokens", lambda: layers.CategoryEncoding(4)(np.array([5]))),
    ("CategoryEncoding", "output_mode", lambda: layers.CategoryEncoding(3, output_mode="int")),
    ("CategoryEncoding", "count_weights",
     lambda: layers.CategoryEncoding(3)(np.array([1]), count_weights=np.array([1.0]))),
    ("Hashing", "num_bins", lambda: layers.Hashing(num_bins=0)),
    ("Hashing", "salt", lambda: layers.Hashing(num_bins=2, salt="pepper")),
    ("Hashing", "dtype", lambda: layers.Hashing(num_bins=2, dtype="float32")),
    ("Hashing", "output_mode", lambda: layers.Hashing(num_bins=2, output_mode="tfidf")),
    ("Resizing", "height", lambda: layers.Resizing(0, 3)),
    ("Resizing", "interpolation", lambda: layers.Resizing(2, 2, interpolation="cubic")),
    ("Resizing", "pad_to_aspect_ratio",
     lambda: layers.Resizing(2, 2, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True)),
    ("CenterCrop", "height", lambda: layers.CenterCrop(0, 2)),
    ("CenterCrop", "data_format", lambda: layers.CenterCrop(2, 2, data_format="NHWC")),
    ("CenterCrop", "inputs", lambda: layers.CenterCrop(2, 2)(np.zeros((4, 4)))),
    ("Wrapper", "layer", lambda: layers.Wrapper("dense")),
    ("UnitNormalization", "axis", lambda: layers.UnitNormalization(axis="a")),
]


@pytest.mark.parametrize("layer, argument, make", BAD_ARGUMENTS,
                         ids=[f"{c}-{a}-{i}" for i, (c, a, _) in enumerate(BAD_ARGUMENTS)])
def test_bad_argument_error_names_layer_and_argument(layer, argument, make):
    with pytest.raises((ValueError, TypeError)) as info:
        make()
    message = str(info.value)
    assert layer.lower() in message.lower().replace("_", ""), message
    assert argument in message, message
