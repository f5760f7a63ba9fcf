"""Custom callbacks: subclass ``Callback`` and override the hooks you need.

Three callbacks on one ``fit``:

- ``BatchLossRecorder`` keeps the running loss after every batch (``on_train_batch_end``);
- ``WeightNorm`` adds a value to the epoch's ``logs``: it then appears in the
  progress line and in ``History``, as in Keras (user callbacks run before both);
- ``StopAtValAccuracy`` ends training once the validation accuracy reaches a target
  by setting ``self.model.stop_training``.

Run: ``python examples/custom_callback.py``
"""

import numpy as np

import descend
from descend import layers
from descend.callbacks import Callback
from descend.utils import set_random_seed


class BatchLossRecorder(Callback):
    def on_train_begin(self, logs=None):
        self.losses = []

    def on_train_batch_end(self, batch, logs=None):
        self.losses.append(logs["loss"])  # the epoch's running mean so far


class WeightNorm(Callback):
    def on_epoch_end(self, epoch, logs=None):
        logs["weight_norm"] = float(np.sqrt(sum((w ** 2).sum() for w in
                                                self.model.get_weights())))


class StopAtValAccuracy(Callback):
    def __init__(self, target):
        super().__init__()
        self.target = target
        self.stopped_epoch = None

    def on_epoch_end(self, epoch, logs=None):
        if logs.get("val_accuracy", 0.0) >= self.target:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            print(f"Epoch {epoch + 1}: val_accuracy {logs['val_accuracy']:.3f} reached "
                  f"{self.target}, stopping.")


set_random_seed(0)
rng = np.random.default_rng(0)
centers = np.array([[0.0, 2.0], [2.0, -1.0], [-2.0, -1.0]])
y = rng.integers(0, 3, 600)
x = (centers[y] + rng.normal(0, 0.7, (600, 2))).astype("float32")

model = descend.Sequential([layers.Input((2,)), layers.Dense(16, activation="relu"),
                            layers.Dense(3, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

recorder, stopper = BatchLossRecorder(), StopAtValAccuracy(target=0.95)
history = model.fit(x, y, epochs=50, batch_size=32, validation_split=0.2, verbose=2,
                    callbacks=[recorder, WeightNorm(), stopper])
print(f"trained {len(history.epoch)} epochs, {len(recorder.losses)} batches")
print("history keys:", sorted(history.history))
