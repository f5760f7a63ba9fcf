"""Each optimizer's rule (its readable ``update_step``) against Keras 3 itself: a few steps
of ``apply`` on the same variables and gradients must give the same weights.

Together with test_update_step.py (flat fast path == ``update_step``) this checks the fast
path against Keras without restating any rule in the tests. Needs real Keras 3::

    KERAS_BACKEND=torch python -m pytest tests/test_optimizers_keras.py
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from descend import optimizers
from descend.autograd import Variable

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras", reason="needs real Keras 3: pip install '.[interop]'")

SHAPES = [(3, 4), (4,), (), (2, 1, 3), (5, 2)]
CASES = {
    "sgd": ("SGD", {"learning_rate": 0.1}),
    "sgd-nesterov-decay": ("SGD", {"learning_rate": 0.1, "momentum": 0.8, "nesterov": True,
                                   "weight_decay": 0.05}),
    "adam": ("Adam", {"learning_rate": 0.05}),
    "adam-amsgrad-clipnorm": ("Adam", {"learning_rate": 0.05, "amsgrad": True,
                                       "clipnorm": 0.5}),
    "adam-ema": ("Adam", {"learning_rate": 0.05, "use_ema": True, "ema_momentum": 0.8,
                          "ema_overwrite_frequency": 2}),
    "adamw": ("AdamW", {"learning_rate": 0.05, "weight_decay": 0.1}),
    "adamax": ("Adamax", {"learning_rate": 0.05, "clipvalue": 0.3}),
    "nadam": ("Nadam", {"learning_rate": 0.05}),
    "rmsprop-centered": ("RMSprop", {"learning_rate": 0.01, "centered": True,
                                     "momentum": 0.5}),
    "rmsprop-global-clipnorm": ("RMSprop", {"learning_rate": 0.01, "global_clipnorm": 1.0}),
    "adagrad": ("Adagrad", {"learning_rate": 0.1}),
    "adadelta": ("Adadelta", {"learning_rate": 1.0, "rho": 0.8}),
    "ftrl-regularized": ("Ftrl", {
        "learning_rate": 0.1, "learning_rate_power": -0.7, "initial_accumulator_value": 0.5,
        "l1_regularization_strength": 0.3, "l2_regularization_strength": 0.2,
        "l2_shrinkage_regularization_strength": 0.1, "beta": 0.5}),
    "lion": ("Lion", {"learning_rate": 0.01, "beta_1": 0.5}),
    "lamb": ("Lamb", {"learning_rate": 0.01}),
    "adafactor": ("Adafactor", {"learning_rate": 0.1}),
    "muon": ("Muon", {"learning_rate": 0.02}),
}
# Not ScheduleFreeAdamW: on the torch backend Keras reads "momentum_old = momentum.value"
# and then updates momentum in place, so its x_old sees the new z (an aliasing effect of
# that backend, not the rule); descend computes x from the old z, as the paper does.


def _data():
    rng = np.random.default_rng(0)
    values = [rng.standard_normal(s).astype("float32") for s in SHAPES]
    rng = np.random.default_rng(1)
    grads = [[(2.0 * rng.standard_normal(s)).astype("float32") for s in SHAPES]
             for _ in range(5)]
    return values, grads


@pytest.mark.parametrize("flat", [False, True], ids=["update_step", "flat"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_keras(case, flat):
    name, kwargs = CASES[case]
    values, grads = _data()
    theirs = [keras.Variable(v, name=f"v{i}") for i, v in enumerate(values)]
    keras_optimizer = getattr(keras.optimizers, name)(**kwargs)
    ours = [Variable(v, name=f"v{i}") for i, v in enumerate(values)]
    optimizer = getattr(optimizers, name)(**kwargs)
    optimizer.flat_update = flat
    for g in grads:
        keras_optimizer.apply([keras.ops.convert_to_tensor(x) for x in g], theirs)
        optimizer.apply(g, ours)
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        expected = keras.ops.convert_to_numpy(b.value)
        np.testing.assert_allclose(a.numpy(), expected, rtol=2e-5, atol=2e-6,
                                   err_msg=f"{case}: variable {i}")
    moved = max(np.abs(a.numpy() - v).max() for a, v in zip(ours, values, strict=True))
    assert moved > 1e-3
