"""Models using every layer type descend has, built with either library's API.

``build(name, L, models)`` takes the layers namespace (``descend.layers`` or
``keras.layers``) and the models namespace (``descend`` or ``keras``): the APIs are
the same, so one recipe gives twin models in both libraries. The tests in
``test_keras_files.py`` (descend only) and ``test_keras_files_keras.py`` (with real
Keras) use them. This module itself holds one check: every recipe builds in descend.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _dense(L: Any, models: Any) -> Any:
    return models.Sequential([L.Input((6,)), L.Dense(5, activation="relu"), L.Dropout(0.3),
                              L.Activation("tanh"), L.Dense(3, use_bias=False),
                              L.Activation("softmax")])


def _conv1d(L: Any, models: Any) -> Any:
    return models.Sequential([
        L.Input((12, 3)), L.ZeroPadding1D(1), L.Conv1D(4, 3, strides=1, activation="relu"),
        L.MaxPooling1D(2), L.Cropping1D((1, 0)), L.SpatialDropout1D(0.2),
        L.AveragePooling1D(2, padding="same"), L.Conv1D(2, 2, padding="same"),
        L.GlobalAveragePooling1D(), L.Dense(2)])


def _conv2d(L: Any, models: Any) -> Any:
    return models.Sequential([
        L.Input((9, 9, 2)), L.ZeroPadding2D(((1, 0), (0, 1))),
        L.Conv2D(4, (3, 2), strides=(1, 2), activation="elu"), L.BatchNormalization(),
        L.MaxPooling2D(2, strides=1), L.Cropping2D(1), L.SpatialDropout2D(0.1),
        L.AveragePooling2D(2), L.Conv2D(3, 1, use_bias=False), L.GlobalMaxPooling2D(),
        L.Dense(2, activation="sigmoid")])


def _conv3d(L: Any, models: Any) -> Any:
    return models.Sequential([
        L.Input((6, 6, 6, 1)), L.Conv3D(2, 2, activation="relu"), L.MaxPooling3D(2),
        L.SpatialDropout3D(0.1), L.AveragePooling3D(1), L.Conv3D(3, 1, padding="same"),
        L.GlobalAveragePooling3D(), L.Reshape((3, 1)), L.Flatten(), L.Dense(2)])


def _pool_globals(L: Any, models: Any) -> Any:
    inputs = L.Input((8, 4))
    a = L.GlobalMaxPooling1D()(inputs)
    b = L.Flatten()(L.Reshape((4, 8))(inputs))
    x = L.Input((4, 4, 4, 2))
    c = L.GlobalMaxPooling3D()(L.MaxPooling3D(1)(x))
    d = L.GlobalAveragePooling2D()(L.Reshape((16, 4, 2))(x))
    merged = L.Concatenate()([a, b, c, d])
    return models.Model([inputs, x], L.Dense(3)(merged))


def _merging(L: Any, models: Any) -> Any:
    a, b = L.Input((4,)), L.Input((4,))
    da, db = L.Dense(4)(a), L.Dense(4, activation="tanh")(b)
    parts = [L.Add()([da, db]), L.Subtract()([da, db]), L.Multiply()([da, db]),
             L.Average()([da, db]), L.Maximum()([da, db]), L.Minimum()([da, db]),
             L.Dot(axes=1)([da, db])]
    merged = L.Concatenate(axis=-1)(parts)
    out = L.Dense(2)(L.BatchNormalization(momentum=0.9, epsilon=1e-3)(merged))
    return models.Model([a, b], out)


def _two_heads(L: Any, models: Any) -> Any:
    inputs = L.Input((5,))
    trunk = L.Dense(6, activation="relu")(inputs)
    return models.Model(inputs, [L.Dense(2, activation="softmax")(trunk), L.Dense(1)(trunk)])


def two_dense_class() -> type:
    """descend's twin of ``make_fixtures.TwoDense``, registered once as ``fixtures>TwoDense``."""
    global _TWO_DENSE
    if _TWO_DENSE is None:
        import descend
        from descend.layers import Dense
        from descend.saving import register_keras_serializable

        @register_keras_serializable(package="fixtures")
        class TwoDense(descend.Model):
            def __init__(self, units: int = 4, **kwargs: Any) -> None:
                super().__init__(**kwargs)
                self.units = units
                self.hidden = Dense(units, activation="tanh")
                self.head = Dense(2)

            def call(self, inputs: Any) -> Any:
                return self.head(self.hidden(inputs))

            def get_config(self) -> dict[str, Any]:
                return {**super().get_config(), "units": self.units}

        _TWO_DENSE = TwoDense
    return _TWO_DENSE


_TWO_DENSE: Any = None

RECIPES = {"dense": _dense, "conv1d": _conv1d, "conv2d": _conv2d, "conv3d": _conv3d,
           "pool_globals": _pool_globals, "merging": _merging, "two_heads": _two_heads}


def build(name: str, L: Any, models: Any) -> Any:
    """The model ``name`` of :data:`RECIPES` in the library ``L``/``models``."""
    return RECIPES[name](L, models)


def randomize(model: Any, seed: int = 0) -> None:
    """Give every weight a random value in [0.5, 1.5) (positive: fine for moving variances)."""
    rng = np.random.default_rng(seed)
    model.set_weights([rng.uniform(0.5, 1.5, size=np.shape(w)).astype("float32") - 0.5
                       * (np.ndim(w) > 1) for w in model.get_weights()])


def inputs_for(model: Any, seed: int = 1, batch: int = 3) -> Any:
    """A random input batch (a list for several inputs) for ``model``."""
    rng = np.random.default_rng(seed)
    shapes = [tuple(t.shape[1:]) for t in model.inputs]
    xs = [rng.normal(size=(batch, *s)).astype("float32") for s in shapes]
    return xs if len(xs) > 1 else xs[0]


def flat(prediction: Any) -> np.ndarray:
    """One ``(batch, n)`` array from a prediction (a list for several outputs)."""
    if isinstance(prediction, (list, tuple)):
        return np.concatenate([flat(p) for p in prediction], axis=1)
    prediction = np.asarray(prediction)
    return prediction.reshape(len(prediction), -1)


def test_every_recipe_builds_in_descend() -> None:
    import descend
    import descend.layers as L

    for name in RECIPES:
        model = build(name, L, descend)
        randomize(model)
        assert np.all(np.isfinite(flat(model.predict(inputs_for(model), verbose=0)))), name
