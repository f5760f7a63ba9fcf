"""The functional API: a model with two inputs and two outputs.

Houses are described by numeric features (size, age, rooms) and by their
neighbourhood (one of 5, one-hot). The model predicts the price (regression) and
whether the house sells within a month (binary classification). Each input gets
its own branch; ``Concatenate`` merges them; each output has its own loss,
weighted in the total with ``loss_weights``, and its own metrics, which are logged
with the output's name as a prefix (``price_mae``, ``sold_fast_accuracy``).

Run: ``python examples/functional_two_inputs.py``
"""

import os
import tempfile

import numpy as np

import descend
from descend import layers
from descend.utils import set_random_seed

set_random_seed(0)
rng = np.random.default_rng(0)
n = 600
numeric = rng.normal(0, 1, (n, 3)).astype("float32")
neighbourhood = np.eye(5, dtype="float32")[rng.integers(0, 5, n)]
premium = neighbourhood @ np.array([0.0, 0.5, 1.0, -0.5, 2.0], dtype="float32")
price = (1.5 * numeric[:, 0] - 0.5 * numeric[:, 1] + premium + rng.normal(0, 0.1, n))
sold_fast = (price - 0.8 * numeric[:, 2] > 0.5).astype("float32")
price = price.astype("float32").reshape(-1, 1)

# ---- the model: two branches, merged, two heads -----------------------------------------
features = layers.Input(shape=(3,), name="features")
area = layers.Input(shape=(5,), name="neighbourhood")
x = layers.Dense(16, activation="relu", name="features_dense")(features)
a = layers.Dense(4, activation="relu", name="neighbourhood_dense")(area)
merged = layers.Concatenate(name="merged")([x, a])
hidden = layers.Dense(16, activation="relu", name="hidden")(merged)
price_out = layers.Dense(1, name="price")(hidden)
sold_out = layers.Dense(1, activation="sigmoid", name="sold_fast")(hidden)
model = descend.Model(inputs=[features, area], outputs=[price_out, sold_out], name="houses")
model.summary()

model.compile(
    optimizer=descend.optimizers.Adam(learning_rate=0.01),
    loss={"price": "mse", "sold_fast": "binary_crossentropy"},
    loss_weights={"price": 1.0, "sold_fast": 0.5},
    metrics={"price": ["mae"], "sold_fast": ["accuracy"]},
)
# Data can be given as lists (in the order of the inputs/outputs) or as dicts by name.
history = model.fit(
    {"features": numeric, "neighbourhood": neighbourhood},
    {"price": price, "sold_fast": sold_fast},
    epochs=25, batch_size=32, validation_split=0.2, verbose=0,
)
last = {key: round(values[-1], 4) for key, values in history.history.items()}
print("last epoch:", last)

predicted_price, predicted_sold = model.predict([numeric[:3], neighbourhood[:3]], verbose=0)
for p, s, true_p in zip(predicted_price[:, 0], predicted_sold[:, 0], price[:3, 0], strict=True):
    print(f"price {p:6.2f} (true {true_p:6.2f}), P(sells fast) = {s:.2f}")

# ---- saving keeps the graph -------------------------------------------------------------
path = os.path.join(tempfile.mkdtemp(), "houses.descend")
model.save(path)
restored = descend.models.load_model(path)
same = all(np.array_equal(u, v) for u, v in zip(
    restored.predict([numeric, neighbourhood], verbose=0),
    model.predict([numeric, neighbourhood], verbose=0), strict=True))
print(f"reloaded {restored.name!r} with layers {[layer.name for layer in restored.layers]}; "
      f"identical predictions: {same}")
