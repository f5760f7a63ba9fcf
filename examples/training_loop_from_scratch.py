"""A training loop written from scratch, without ``fit``.

The same steps ``fit`` runs for you, spelled out: for every epoch, for every
mini-batch, a forward pass (``model(x, training=True)``), the loss, backpropagation
with descend's autodiff (``loss.backward()``), and the optimizer's update
(``optimizer.apply(gradients, weights)``); metrics are updated per batch, read with
``result()`` and reset with ``reset_state()``; losses added by layers
(``add_loss``) are in ``model.losses`` after the forward pass.

This is Keras's guide "Writing a training loop from scratch" (its PyTorch version)
with descend's engine in place of torch's: ``v.grad`` instead of ``v.value.grad``
(both work), and no ``torch.no_grad()`` around the update (the optimizer never
records a graph).

Run: ``python examples/training_loop_from_scratch.py``
"""

import numpy as np

import descend
from descend import layers, ops
from descend.utils import set_random_seed


class ActivityRegularizationLayer(layers.Layer):
    def call(self, inputs):
        self.add_loss(1e-4 * ops.sum(inputs))
        return inputs


def get_model():
    inputs = descend.Input(shape=(64,), name="digits")
    x = layers.Dense(64, activation="relu")(inputs)
    x = ActivityRegularizationLayer()(x)
    x = layers.Dense(64, activation="relu")(x)
    outputs = layers.Dense(10, name="predictions")(x)
    return descend.Model(inputs=inputs, outputs=outputs)


# A small stand-in for MNIST: 10 classes of noisy 8x8 prototypes.
set_random_seed(0)
rng = np.random.default_rng(0)
prototypes = rng.normal(size=(10, 64))
labels = rng.integers(0, 10, size=3000)
images = (prototypes[labels] + 0.8 * rng.normal(size=(3000, 64))).astype("float32")
targets = descend.utils.to_categorical(labels, 10)
x_train, y_train = images[:2500], targets[:2500]
x_val, y_val = images[2500:], targets[2500:]
batch_size = 32

model = get_model()
optimizer = descend.optimizers.Adam(learning_rate=1e-3)
loss_fn = descend.losses.CategoricalCrossentropy(from_logits=True)
train_acc_metric = descend.metrics.CategoricalAccuracy()
val_acc_metric = descend.metrics.CategoricalAccuracy()

epochs = 3
for epoch in range(epochs):
    print(f"\nStart of epoch {epoch}")
    order = rng.permutation(len(x_train))  # shuffle every epoch
    for step, start in enumerate(range(0, len(x_train), batch_size)):
        index = order[start:start + batch_size]
        inputs, batch_targets = x_train[index], y_train[index]

        # Forward pass
        logits = model(inputs, training=True)
        loss = loss_fn(batch_targets, logits)
        if model.losses:
            loss = loss + ops.sum(ops.stack(model.losses))

        # Backward pass
        model.zero_grad()
        trainable_weights = [v for v in model.trainable_weights]
        loss.backward()
        gradients = [v.grad for v in trainable_weights]

        # Update weights
        optimizer.apply(gradients, trainable_weights)

        train_acc_metric.update_state(batch_targets, logits)
        if step % 40 == 0:
            print(f"Training loss (for 1 batch) at step {step}: {float(loss.numpy()):.4f}")
            print(f"Seen so far: {(step + 1) * batch_size} samples")

    train_acc = train_acc_metric.result()
    print(f"Training acc over epoch: {float(train_acc):.4f}")
    train_acc_metric.reset_state()

    for start in range(0, len(x_val), batch_size):
        val_logits = model(x_val[start:start + batch_size], training=False)
        val_acc_metric.update_state(y_val[start:start + batch_size], val_logits)
    val_acc = val_acc_metric.result()
    val_acc_metric.reset_state()
    print(f"Validation acc: {float(val_acc):.4f}")
