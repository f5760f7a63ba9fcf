"""The issue-16 layers inside models: functional graphs, fit/predict, training-only behaviour."""

from __future__ import annotations

import numpy as np

import descend
from descend import layers

RNG = np.random.default_rng(162)


def test_image_model_with_new_layers_trains_and_round_trips(tmp_path) -> None:
    inputs = layers.Input((8, 8, 2))
    x = layers.SeparableConv2D(4, 3, padding="same")(inputs)
    x = layers.GroupNormalization(groups=2)(x)
    x = layers.PReLU(shared_axes=[1, 2])(x)
    x = layers.Conv2D(4, 3, strides=2, padding="same", groups=2)(x)
    x = layers.DepthwiseConv2D(3, padding="same", depth_multiplier=2)(x)
    x = layers.LeakyReLU()(x)
    x = layers.Conv2DTranspose(4, 3, strides=2, padding="same")(x)
    x = layers.UpSampling2D(2, interpolation="bilinear")(x)
    x = layers.AdaptiveAveragePooling2D(4)(x)
    x = layers.GaussianNoise(0.1, seed=0)(x)
    x = layers.Flatten()(x)
    x = layers.SpectralNormalization(layers.Dense(8))(x)
    x = layers.ReLU(max_value=6.0)(x)
    x = layers.AlphaDropout(0.1, seed=0)(x)
    outputs = layers.Dense(3, activation="softmax")(x)
    model = descend.Model(inputs, outputs)
    x_train = RNG.standard_normal((64, 8, 8, 2)).astype("float32")
    y_train = (x_train[:, :4, :4, 0].mean(axis=(1, 2)) > 0).astype("int64") + \
        (x_train[:, 4:, 4:, 1].mean(axis=(1, 2)) > 0).astype("int64")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    before = model.evaluate(x_train, y_train, verbose=0)  # no noise outside training
    model.fit(x_train, y_train, epochs=10, batch_size=16, verbose=0)
    assert model.evaluate(x_train, y_train, verbose=0) < before
    first = model.predict(x_train, verbose=0)
    np.testing.assert_array_equal(first, model.predict(x_train, verbose=0))  # no noise
    path = tmp_path / "model.descend"
    model.save(path)
    loaded = descend.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(x_train, verbose=0), first, rtol=1e-6)


def test_sequence_model_with_structure_layers(recwarn) -> None:
    model = descend.Sequential([
        layers.Input((6,)),
        layers.RepeatVector(4),
        layers.Conv1DTranspose(3, 2, strides=2),
        layers.Permute((2, 1)),
        layers.Softmax(axis=1),
        layers.Identity(),
        layers.Lambda(lambda t: t * 2.0, output_shape=(3, 8)),
        layers.Permute((2, 1)),
        layers.UpSampling1D(2),
        layers.AdaptiveMaxPooling1D(3),
        layers.ActivityRegularization(l2=1e-3),
        layers.Flatten(),
        layers.Dense(1),
    ])
    x = RNG.standard_normal((32, 6)).astype("float32")
    assert model.predict(x, verbose=0).shape == (32, 1)
    y = x.sum(axis=1, keepdims=True)
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, y, epochs=5, batch_size=8, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert not [w for w in recwarn if "channels-first" in str(w.message)]


def test_grouped_conv_relu_pool_in_sequential_matches_layer_by_layer() -> None:
    model = descend.Sequential([layers.Input((6, 6, 4)),
                                layers.Conv2D(4, 3, groups=2, activation="relu"),
                                layers.MaxPooling2D(2)])
    x = RNG.standard_normal((3, 6, 6, 4)).astype("float32")
    reference = x
    for layer in model.layers:
        reference = layer(reference).data
    np.testing.assert_allclose(model.predict(x, verbose=0), reference, rtol=1e-6)
    np.testing.assert_allclose(model(x, training=True).data, reference, rtol=1e-6)
