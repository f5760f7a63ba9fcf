"""The float64 per-variable reference of every optimizer (its own ``update_step``), and small
helpers shared by the optimizer tests (tiny fake variables, gradients and a backward pass)."""

from __future__ import annotations

import numpy as np

from descend.autograd import Tensor, Variable
from descend.optimizers import schedules

SHAPES = [(3, 4), (4,), (), (2, 1, 3)]


def make_variables(dtype="float32", seed=0, shapes=SHAPES):
    rng = np.random.default_rng(seed)
    return [Variable(rng.standard_normal(s), dtype=dtype, name=f"v{i}")
            for i, s in enumerate(shapes)]


def make_grads(steps, seed=1, scale=1.0, shapes=SHAPES, dtype="float32"):
    rng = np.random.default_rng(seed)
    return [[(scale * rng.standard_normal(s)).astype(dtype) for s in shapes] for _ in range(steps)]


def backward(variables, grads):
    """Run the engine so that each variable's gradient is exactly ``grads[i]``."""
    loss = None
    for v, g in zip(variables, grads, strict=True):
        term = (v * Tensor(g)).sum()
        loss = term if loss is None else loss + term
    loss.backward()


def train(optimizer, variables, grads_seq):
    optimizer.build(variables)
    for grads in grads_seq:
        backward(variables, grads)
        optimizer.step()
    return [v.numpy() for v in variables]


# ------------------------------------------------------------------ the reference
def reference(cls, kwargs, params, grads_seq):
    """The same optimizer on float64 copies, one variable at a time through its
    ``update_step`` (the rule as written, ``flat_update = False``): what the flat
    float32 fast path must reproduce up to float32 rounding. Keras's own values
    for the rules are checked in test_optimizers_keras.py."""
    variables = [Variable(np.array(p, dtype=np.float64), name=f"v{i}")
                 for i, p in enumerate(params)]
    optimizer = cls(**kwargs)
    optimizer.flat_update = False
    grads64 = [[np.asarray(g, dtype=np.float64) for g in grads] for grads in grads_seq]
    return train(optimizer, variables, grads64)


EXPONENTIAL = schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)
