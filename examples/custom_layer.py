"""A custom layer, written the Keras way: subclass ``Layer``, create weights in ``build``,
compute in ``call`` with descend's differentiable operations, describe yourself in
``get_config``, and give the output shape in ``compute_output_shape`` when it is not
the input's (descend uses it to wire functional models). descend derives the
backward pass; you never write one.

The model learns y = 3 * x1 - 2 * x2 + 1 plus a bump, then is saved and loaded
back: a custom class is found through ``custom_objects``, as in Keras.

Run: ``python examples/custom_layer.py``
"""

import os
import tempfile

import numpy as np

import descend
from descend import layers
from descend.autograd import ops
from descend.utils import set_random_seed


class Linear(layers.Layer):
    """``inputs @ w + b`` with ``units`` outputs."""

    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                 initializer="random_normal", trainable=True, name="w")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True,
                                 name="b")

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units})
        return config


class ScaledTanh(layers.Layer):
    """``scale * tanh(inputs)`` with one trainable scalar ``scale``."""

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(), initializer="ones", name="scale")

    def call(self, inputs):
        return self.scale * ops.tanh(inputs)


set_random_seed(0)
rng = np.random.default_rng(0)
x = rng.uniform(-1, 1, size=(512, 2)).astype("float32")
y = (3 * x[:, :1] - 2 * x[:, 1:] + 1 + np.exp(-8 * x[:, :1] ** 2)).astype("float32")

inputs = layers.Input(shape=(2,), name="features")
hidden = ScaledTanh(name="squash")(Linear(16, name="hidden")(inputs))
outputs = Linear(1, name="prediction")(hidden)
model = descend.Model(inputs, outputs, name="custom_layers")
model.summary()

model.compile(optimizer=descend.optimizers.Adam(learning_rate=0.02), loss="mse")
history = model.fit(x, y, epochs=40, batch_size=32, validation_split=0.2, verbose=0)
print(f"mse: first epoch {history.history['loss'][0]:.4f}, "
      f"last epoch {history.history['loss'][-1]:.4f} "
      f"(validation {history.history['val_loss'][-1]:.4f})")
print(f"learned scale of the tanh: {float(model.get_layer('squash').scale.numpy()):.3f}")

# Saving: the file names the class; loading needs the class itself.
path = os.path.join(tempfile.mkdtemp(), "custom_layers.descend")
model.save(path)
try:
    descend.models.load_model(path)
except ValueError as error:
    print("without custom_objects:", str(error).split(" Valid names")[0])
restored = descend.models.load_model(path, custom_objects={"Linear": Linear,
                                                           "ScaledTanh": ScaledTanh})
same = np.array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))
print(f"reloaded model predicts identically: {same}")
