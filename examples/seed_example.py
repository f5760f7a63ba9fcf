"""The example of deeplizard's course "How a Neural Network Learns": its Keras code, run on descend.

Everything below the data section is the course's code with ``keras`` replaced by
``descend`` and nothing else changed. The data are generated as the course
describes: 2,100 patients aged 13 to 100; 95% of those under 65 have no side
effect and 95% of those 65 and over do; ages min-max scaled to [0, 1].

Run: ``python examples/seed_example.py``
"""

from descend.datasets import side_effects
from descend.utils import set_random_seed

set_random_seed(0)
(scaled_train_samples, train_labels), _ = side_effects.load_data(seed=0)

# ---- the course's code, with `keras` replaced by `descend` ------------------------
import descend  # noqa: E402,F401
from descend.models import Sequential  # noqa: E402
from descend.layers import Activation  # noqa: E402,F401
from descend.layers.core import Dense  # noqa: E402
from descend.optimizers import Adam  # noqa: E402
from descend.metrics import categorical_crossentropy  # noqa: E402,F401

model = Sequential([
    Dense(units=16, input_shape=(1,), activation='relu'),
    Dense(units=32, activation='relu'),
    Dense(units=2, activation='sigmoid')
])

model.compile(
    optimizer=Adam(learning_rate=0.0001),
    loss='sparse_categorical_crossentropy',
    metrics=['accuracy']
)

model.fit(
    x=scaled_train_samples,
    y=train_labels,
    batch_size=10,
    epochs=20,
    shuffle=True,
    verbose=2
)
