"""Your own training step inside ``fit``: override ``train_step`` (Keras's pattern).

``fit`` still does the batching, shuffling, callbacks and progress output; each batch
goes to your ``train_step(data)``. There you run the forward pass, compute the loss,
backpropagate with descend's own autodiff (``loss.backward()`` fills ``v.grad`` for
every weight ``v``) and let the optimizer apply the gradients
(``self.optimizer.apply(grads, variables)``) -- exactly what Keras's guide
"Customizing what happens in fit()" does on its PyTorch backend, with descend's
engine in place of torch's.

Three variants, as in that guide:

1. ``CustomModel`` uses the compiled loss and metrics (``compute_loss`` and
   ``self.metrics``);
2. ``ManualModel`` tracks its own metrics and lists them in the ``metrics`` property,
   so that ``fit`` resets them every epoch;
3. ``CustomModel`` also overrides ``test_step``, used by ``evaluate``.

Run: ``python examples/custom_train_step.py``
"""

import numpy as np

import descend
from descend import layers
from descend.utils import set_random_seed


class CustomModel(descend.Model):
    def train_step(self, data):
        x, y = data
        y_pred = self(x, training=True)  # forward pass
        loss = self.compute_loss(y=y, y_pred=y_pred)  # compiled loss + added losses

        self.zero_grad()
        loss.backward()  # backpropagation: d loss / d weight, into v.grad
        trainable_weights = self.trainable_weights
        gradients = [v.grad for v in trainable_weights]
        self.optimizer.apply(gradients, trainable_weights)  # w <- w - lr * gradient (Adam...)

        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


class ManualModel(descend.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = layers.Dense(32, activation="relu")
        self.out = layers.Dense(1)
        self.loss_tracker = descend.metrics.Mean(name="loss")
        self.mae_metric = descend.metrics.MeanAbsoluteError(name="mae")
        self.loss_fn = descend.losses.MeanSquaredError()

    def call(self, x):
        return self.out(self.hidden(x))

    def train_step(self, data):
        x, y = data
        y_pred = self(x, training=True)
        loss = self.loss_fn(y, y_pred)
        self.zero_grad()
        loss.backward()
        weights = self.trainable_weights
        self.optimizer.apply([v.grad for v in weights], weights)
        self.loss_tracker.update_state(loss)
        self.mae_metric.update_state(y, y_pred)
        return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

    @property
    def metrics(self):
        # reset by fit at the start of every epoch
        return [self.loss_tracker, self.mae_metric]


set_random_seed(0)
rng = np.random.default_rng(0)
x = rng.normal(size=(1000, 32)).astype("float32")
y = (x[:, :4].sum(axis=1, keepdims=True) + 0.1 * rng.normal(size=(1000, 1))).astype("float32")

inputs = layers.Input(shape=(32,))
outputs = layers.Dense(1)(layers.Dense(32, activation="relu")(inputs))
model = CustomModel(inputs, outputs)
model.compile(optimizer="adam", loss="mse", metrics=["mae"])
history = model.fit(x, y, epochs=5, verbose=2)
print("evaluate:", model.evaluate(x, y, verbose=0))

manual = ManualModel()
manual.compile(optimizer="adam")  # no loss: train_step computes it
manual_history = manual.fit(x, y, epochs=5, verbose=2)
