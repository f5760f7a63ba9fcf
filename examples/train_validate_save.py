"""Validation, early stopping, checkpoints and saving, together in one short script.

Trains the course's network on the side-effects data while watching a validation set,
stops when the validation loss stops improving (keeping the best weights), keeps
the best model on disk, backs training up every epoch so that a killed run can be
restarted and resumes exactly where it stopped, then saves the final model and
loads it back.

Run: ``python examples/train_validate_save.py [output_dir]``
"""

import os
import sys
import tempfile

import numpy as np

import descend
from descend.callbacks import BackupAndRestore, EarlyStopping, ModelCheckpoint
from descend.datasets import side_effects
from descend.layers import Dense, Input
from descend.utils import set_random_seed

out = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="descend-")
os.makedirs(out, exist_ok=True)
set_random_seed(0)  # the same numbers on every run
(x, y), (x_test, y_test) = side_effects.load_data(seed=0)

model = descend.Sequential([
    Input(shape=(1,)),
    Dense(units=16, activation="relu"),
    Dense(units=32, activation="relu"),
    Dense(units=2, activation="softmax"),
])
model.compile(optimizer=descend.optimizers.Adam(learning_rate=0.01),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])

callbacks = [
    # Stop when val_loss has not improved for 3 epochs; keep the best weights.
    EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True, verbose=1),
    # Keep the best model seen so far (by validation accuracy) in one file.
    ModelCheckpoint(os.path.join(out, "best.descend"), monitor="val_accuracy",
                    save_best_only=True),
    # Back up every epoch; if this script is killed, running it again resumes the training.
    BackupAndRestore(os.path.join(out, "backup")),
]
history = model.fit(
    x, y,
    validation_split=0.1,  # the LAST 10% of x and y, taken before shuffling
    batch_size=10, epochs=50, shuffle=True, verbose=2, callbacks=callbacks,
)
print(f"epochs run: {len(history.history['loss'])}, "
      f"best val_loss: {min(history.history['val_loss']):.4f}")

loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"test loss {loss:.4f}, test accuracy {accuracy:.4f}")

path = os.path.join(out, "final.descend")
model.save(path)  # architecture + weights + optimizer state, one atomic file, no pickle
restored = descend.models.load_model(path)
assert np.array_equal(restored.predict(x_test, verbose=0), model.predict(x_test, verbose=0))
best = descend.models.load_model(os.path.join(out, "best.descend"))
print(f"saved to {out}; best checkpoint's test accuracy: "
      f"{best.evaluate(x_test, y_test, verbose=0)[1]:.4f}")
