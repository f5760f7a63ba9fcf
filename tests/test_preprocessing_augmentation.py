"""Random augmentation layers: active only in training (``fit``), identity in ``predict`` and
``evaluate``, reproducible with seeds, Keras's formulas and arguments, saving, gradients."""

from __future__ import annotations

import numpy as np
import pytest

import descend
from descend import layers, models
from descend.autograd import Tensor, gradcheck
from descend.layers import (
    RandomBrightness,
    RandomContrast,
    RandomCrop,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
)
from descend.layers.preprocessing._image_ops import AffineTransform, affine_matrix

RNG = np.random.default_rng(0)
IMAGES = (RNG.random((4, 8, 8, 3)) * 255).astype("float32")


def all_layers(seed):
    return [RandomFlip(seed=seed), RandomRotation(0.2, seed=seed), RandomZoom(0.3, seed=seed),
            RandomTranslation(0.2, 0.3, seed=seed), RandomContrast(0.5, seed=seed),
            RandomBrightness(0.3, seed=seed), RandomCrop(5, 6, seed=seed)]


@pytest.mark.parametrize("index", range(7))
def test_identity_outside_training_and_changes_in_training(index):
    layer = all_layers(seed=3)[index]
    np.testing.assert_array_equal(layer(IMAGES).data, IMAGES)
    np.testing.assert_array_equal(layer(IMAGES, training=False).data, IMAGES)
    out = layer(IMAGES, training=True).data
    if isinstance(layer, RandomCrop):
        assert out.shape == (4, 5, 6, 3)
    else:
        assert out.shape == IMAGES.shape
        assert not np.allclose(out, IMAGES)


@pytest.mark.parametrize("index", range(7))
def test_same_seed_same_draws_and_config_round_trip(index):
    first, second = all_layers(seed=11)[index], all_layers(seed=11)[index]
    for _ in range(2):
        np.testing.assert_array_equal(first(IMAGES, training=True).data,
                                      second(IMAGES, training=True).data)
    config = first.get_config()
    assert config["seed"] == 11 and "data_format" in config
    clone = type(first).from_config(config)
    np.testing.assert_array_equal(clone(IMAGES, training=True).data,
                                  all_layers(seed=11)[index](IMAGES, training=True).data)


def test_set_random_seed_makes_unseeded_layers_repeatable():
    outs = []
    for _ in range(2):
        descend.utils.set_random_seed(42)
        layer = RandomRotation(0.3)
        outs.append(layer(IMAGES, training=True).data)
    np.testing.assert_array_equal(outs[0], outs[1])


def test_fit_augments_and_predict_does_not(tmp_path):
    """One SGD step on one flipped image: the update is the flipped image's gradient."""
    seed = next(s for s in range(100) if np.random.default_rng(s).random(1)[0] < 0.5)
    x = np.arange(4, dtype="float32").reshape(1, 1, 4, 1) + 1.0
    y = np.zeros((1, 1), dtype="float32")
    model = models.Sequential([
        layers.Input((1, 4, 1)), RandomFlip("horizontal", seed=seed), layers.Flatten(),
        layers.Dense(1, use_bias=False, kernel_initializer="ones")])
    model.compile(optimizer=descend.optimizers.SGD(0.01), loss="mse")
    model.fit(x, y, epochs=1, batch_size=1, verbose=0, shuffle=False)
    flipped = x.ravel()[::-1]
    # mse gradient on w: 2 * (w . x') * x'; w = 1, so w . x' = 10 either way
    expected = 1.0 - 0.01 * 2 * 10.0 * flipped
    np.testing.assert_allclose(model.layers[-1].kernel.numpy().ravel(), expected, rtol=1e-5)
    # predict and evaluate see the unflipped input
    w = model.layers[-1].kernel.numpy().ravel()
    np.testing.assert_allclose(model.predict(x, verbose=0).ravel(), [w @ x.ravel()], rtol=1e-5)
    loss = model.evaluate(x, y, verbose=0)
    np.testing.assert_allclose(loss, (w @ x.ravel()) ** 2, rtol=1e-5)
    path = tmp_path / "aug.descend"
    model.save(path)
    loaded = models.load_model(path)
    assert loaded.layers[0].get_config()["mode"] == "horizontal"
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_flip_modes():
    x = np.arange(4, dtype="float32").reshape(1, 2, 2, 1)
    seen = {tuple(RandomFlip("vertical", seed=s)(x, training=True).data.ravel().tolist())
            for s in range(20)}
    assert seen == {(0.0, 1.0, 2.0, 3.0), (2.0, 3.0, 0.0, 1.0)}
    both = {tuple(RandomFlip(seed=s)(x, training=True).data.ravel().tolist()) for s in range(40)}
    assert both == {(0.0, 1.0, 2.0, 3.0), (1.0, 0.0, 3.0, 2.0), (2.0, 3.0, 0.0, 1.0),
                    (3.0, 2.0, 1.0, 0.0)}


def test_contrast_and_brightness_follow_keras_formulas():
    seed = 5
    draws = np.random.default_rng(seed).uniform(1.0 - 0.0, 1.0 + 0.5, (4, 1, 1, 1))
    mean = IMAGES.mean(axis=(1, 2), keepdims=True)
    expected = np.clip((IMAGES - mean) * draws + mean, 0, 255)
    out = RandomContrast(0.5, seed=seed)(IMAGES, training=True).data
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-3)
    pair = RandomContrast((0.2, 0.3), seed=seed)
    assert pair.factor == (0.2, 0.3)
    delta = np.random.default_rng(seed).uniform(-0.3, 0.3, (4, 1, 1, 1)) * 1.0
    unit = IMAGES / 255
    bright = RandomBrightness(0.3, value_range=(0, 1), seed=seed)(unit, training=True).data
    np.testing.assert_allclose(bright, np.clip(unit + delta, 0, 1), rtol=1e-5, atol=1e-6)
    assert RandomBrightness(0.3).get_config()["value_range"] == [0.0, 255.0]


def test_affine_transform_fill_modes_and_interpolation():
    x = np.arange(5, dtype="float32").reshape(1, 1, 5, 1)

    def shift(dx, mode, interpolation="nearest"):
        m = np.array([[1, 0, dx, 0, 1, 0, 0, 0]], dtype=float)
        return AffineTransform.apply(Tensor(x), matrices=m, interpolation=interpolation,
                                     fill_mode=mode, fill_value=-1.0).data.ravel().tolist()

    assert shift(2, "constant") == [2, 3, 4, -1, -1]
    assert shift(2, "nearest") == [2, 3, 4, 4, 4]
    assert shift(2, "wrap") == [2, 3, 4, 0, 1]
    assert shift(2, "reflect") == [2, 3, 4, 4, 3]       # d c b a | a b c d | d c b a
    assert shift(-2, "reflect") == [1, 0, 0, 1, 2]
    assert shift(0.5, "constant", "bilinear") == [0.5, 1.5, 2.5, 3.5, 1.5]  # 4 * .5 + -1 * .5
    assert shift(0.5, "wrap", "bilinear") == [0.5, 1.5, 2.5, 3.5, 2.0]


def test_rotation_by_a_quarter_turn_is_rot90():
    x = RNG.random((1, 5, 5, 2))
    m = affine_matrix(np.array([np.pi / 2]), np.ones(1), np.ones(1), np.zeros(1), np.zeros(1),
                      5, 5)
    out = AffineTransform.apply(Tensor(x), matrices=m, interpolation="bilinear",
                                fill_mode="constant", fill_value=0.0).data
    # output (r, c) reads input (c, 4 - r): the content turns counter-clockwise
    np.testing.assert_allclose(out[0], np.rot90(x[0], k=1), atol=1e-9)


def test_zoom_and_translation_geometry():
    x = np.zeros((1, 9, 9, 1), dtype="float32")
    x[0, 4, 4, 0] = 1.0
    moved = RandomTranslation((0.2, 0.2), (0.0, 0.0), seed=0, fill_mode="constant",
                              interpolation="nearest")(x, training=True).data
    # 0.2 * 9 = 1.8 rows down, nearest sampling: the dot moves from row 4 to row 6
    assert np.argwhere(moved[0, :, :, 0] > 0.5).tolist() == [[6, 4]]
    zoom_out = RandomZoom((1.0, 1.0), seed=0, fill_mode="constant")
    img = np.ones((1, 9, 9, 1), dtype="float32")
    out = zoom_out(img, training=True).data[0, :, :, 0]
    # zoom 2: the image shrinks to the central half; the border is filled with 0
    assert out[4, 4] == 1.0 and out[0, 0] == 0.0


def test_random_crop_training_window_and_small_images():
    layer = RandomCrop(4, 4, seed=1)
    out = layer(IMAGES, training=True).data
    windows = [IMAGES[:, i:i + 4, j:j + 4] for i in range(5) for j in range(5)]
    assert any(np.array_equal(out, w) for w in windows)
    small = RandomCrop(10, 10, seed=1)(IMAGES, training=True)
    assert small.shape == (4, 10, 10, 3)
    assert layer.compute_output_shape((None, 8, 8, 3)) == (None, 4, 4, 3)


def test_augmentation_passes_gradients():
    descend.config.set_floatx("float64")
    x = RNG.random((2, 5, 5, 1))
    m = affine_matrix(np.array([0.3, -0.5]), np.array([1.1, 0.9]), np.array([1.0, 1.2]),
                      np.array([0.4, -0.3]), np.array([0.2, 0.7]), 5, 5)
    for mode in ("reflect", "wrap", "constant", "nearest"):
        gradcheck(lambda t, mode=mode: AffineTransform.apply(
            t, matrices=m, interpolation="bilinear", fill_mode=mode, fill_value=0.5), x)
    gradcheck(lambda t: RandomFlip(seed=2)(t, training=True), x)
    gradcheck(lambda t: RandomContrast((0.3, 0.3), value_range=(-10, 10), seed=2)(
        t, training=True), x)


def test_bad_arguments_name_layer_and_argument():
    with pytest.raises(ValueError, match="mode.*random_flip"):
        RandomFlip("diagonal")
    with pytest.raises(ValueError, match="fill_mode"):
        RandomRotation(0.1, fill_mode="mirror")
    with pytest.raises(ValueError, match="interpolation"):
        RandomRotation(0.1, interpolation="bicubic")
    with pytest.raises(ValueError, match="height_factor"):
        RandomZoom(-1.5)
    with pytest.raises(ValueError, match="width_factor"):
        RandomTranslation(0.1, 2.0)
    with pytest.raises(ValueError, match="factor"):
        RandomContrast(1.5)
    with pytest.raises(ValueError, match="value_range"):
        RandomBrightness(0.1, value_range=255)
    with pytest.raises(ValueError, match="seed"):
        RandomFlip(seed=-1)
    with pytest.raises(ValueError, match="rank 3"):
        RandomFlip()(np.zeros((4, 4)), training=True)
