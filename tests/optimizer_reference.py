"""Float64 reference implementations of Keras's optimizer update rules, and small helpers
shared by the optimizer tests (tiny fake variables, gradients and a backward pass)."""

from __future__ import annotations

import math

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


# ------------------------------------------------------------ float64 references
def ref_sgd(w, g, s, t, lr, glob, momentum=0.0, nesterov=False):
    if momentum == 0:
        return w - lr * g
    s["m"] = momentum * s.get("m", 0.0) - lr * g
    return w + momentum * s["m"] - lr * g if nesterov else w + s["m"]


def ref_adam(w, g, s, t, lr, glob, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False):
    alpha = lr * math.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    s["m"] = s.get("m", 0.0) + (g - s.get("m", 0.0)) * (1 - beta_1)
    s["v"] = s.get("v", 0.0) + (g * g - s.get("v", 0.0)) * (1 - beta_2)
    v = s["v"]
    if amsgrad:
        s["vh"] = np.maximum(s.get("vh", 0.0), v)
        v = s["vh"]
    return w - alpha * s["m"] / (np.sqrt(v) + epsilon)


def ref_rmsprop(w, g, s, t, lr, glob, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
    s["v"] = rho * s.get("v", 0.0) + (1 - rho) * g * g
    if centered:
        s["a"] = rho * s.get("a", 0.0) + (1 - rho) * g
        denominator = s["v"] - s["a"] ** 2 + epsilon
    else:
        denominator = s["v"] + epsilon
    increment = lr * g / np.sqrt(denominator)
    if momentum > 0:
        s["b"] = momentum * s.get("b", 0.0) + increment
        return w - s["b"]
    return w - increment


def ref_adagrad(w, g, s, t, lr, glob, initial_accumulator_value=0.1, epsilon=1e-7):
    s["a"] = s.get("a", initial_accumulator_value) + g * g
    return w - lr * g / np.sqrt(s["a"] + epsilon)


def ref_adadelta(w, g, s, t, lr, glob, rho=0.95, epsilon=1e-7):
    s["G"] = rho * s.get("G", 0.0) + (1 - rho) * g * g
    delta = -np.sqrt(s.get("D", 0.0) + epsilon) * g / np.sqrt(s["G"] + epsilon)
    s["D"] = rho * s.get("D", 0.0) + (1 - rho) * delta * delta
    return w + lr * delta


def ref_adamax(w, g, s, t, lr, glob, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    s["m"] = s.get("m", 0.0) + (g - s.get("m", 0.0)) * (1 - beta_1)
    s["u"] = np.maximum(beta_2 * s.get("u", 0.0), np.abs(g))
    return w - lr * s["m"] / ((1 - beta_1**t) * (s["u"] + epsilon))


def ref_nadam(w, g, s, t, lr, glob, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    mu_t = beta_1 * (1 - 0.5 * 0.96**t)
    mu_next = beta_1 * (1 - 0.5 * 0.96 ** (t + 1))
    product = glob["P"]  # already multiplied by mu_t for this step
    s["m"] = s.get("m", 0.0) + (g - s.get("m", 0.0)) * (1 - beta_1)
    s["v"] = s.get("v", 0.0) + (g * g - s.get("v", 0.0)) * (1 - beta_2)
    m_hat = mu_next * s["m"] / (1 - product * mu_next) + (1 - mu_t) * g / (1 - product)
    v_hat = s["v"] / (1 - beta_2**t)
    return w - lr * m_hat / (np.sqrt(v_hat) + epsilon)


def nadam_prestep(glob, t, beta_1=0.9, **_):
    glob["P"] = glob.get("P", 1.0) * beta_1 * (1 - 0.5 * 0.96**t)


def reference(update, params, grads_seq, lr=0.01, clipnorm=None, clipvalue=None,
              global_clipnorm=None, weight_decay=None, prestep=None, **hyper):
    """Keras's pipeline (clip, decoupled weight decay, update) in float64."""
    params = [np.array(p, dtype=np.float64) for p in params]
    states = [{"z0": p.copy()} for p in params]
    glob: dict = {}
    for it, grads in enumerate(grads_seq):
        t = it + 1
        rate = lr(it) if callable(lr) else lr
        grads = [np.asarray(g, dtype=np.float64) for g in grads]
        if clipnorm:
            grads = [g * clipnorm / max(np.sqrt((g * g).sum()), clipnorm) for g in grads]
        elif global_clipnorm:
            norm = math.sqrt(sum((g * g).sum() for g in grads))
            grads = [g * global_clipnorm / max(norm, global_clipnorm) for g in grads]
        elif clipvalue:
            grads = [np.clip(g, -clipvalue, clipvalue) for g in grads]
        if weight_decay:
            params = [p - p * weight_decay * rate for p in params]
        if prestep:
            prestep(glob, t, **hyper)
        params = [update(p, g, s, t, rate, glob, **hyper)
                  for p, g, s in zip(params, grads, states, strict=True)]
    return params


EXPONENTIAL = schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)


# ------------------------------------------------ references of the optimizers of issue 16
def ref_lion(w, g, s, t, lr, glob, beta_1=0.9, beta_2=0.99):
    m = s.get("m", 0.0)
    w = w - lr * np.sign(beta_1 * m + (1 - beta_1) * g)
    s["m"] = beta_2 * m + (1 - beta_2) * g
    return w


def ref_lamb(w, g, s, t, lr, glob, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    s["m"] = beta_1 * s.get("m", 0.0) + (1 - beta_1) * g
    s["v"] = beta_2 * s.get("v", 0.0) + (1 - beta_2) * g * g
    update = (s["m"] / (1 - beta_1**t)) / (np.sqrt(s["v"] / (1 - beta_2**t)) + epsilon)
    w_norm, u_norm = np.linalg.norm(w), np.linalg.norm(update)
    ratio = w_norm / u_norm if w_norm > 0 and u_norm > 0 else 1.0
    return w - ratio * lr * update


def ref_ftrl(w, g, s, t, lr, glob, learning_rate_power=-0.5, initial_accumulator_value=0.1,
             l1_regularization_strength=0.0, l2_regularization_strength=0.0,
             l2_shrinkage_regularization_strength=0.0, beta=0.0):
    p = -learning_rate_power
    n = s.get("n", np.full_like(w, initial_accumulator_value))
    z = s.get("z", np.zeros_like(w))
    n_new = n + g * g
    z = z + g + 2 * l2_shrinkage_regularization_strength * w - (n_new**p - n**p) / lr * w
    l1 = l1_regularization_strength
    quadratic = n_new**p / lr + 2 * (l2_regularization_strength + beta / (2 * lr))
    s["n"], s["z"] = n_new, z
    return (np.clip(z, -l1, l1) - z) / quadratic


def ref_adafactor(w, g, s, t, lr, glob, beta_2_decay=-0.8, epsilon_1=1e-30, epsilon_2=1e-3,
                  clip_threshold=1.0, relative_step=True, constant_lr=True):
    if relative_step and constant_lr:
        lr = min(lr, 1 / math.sqrt(t))
    rho = min(lr, 1 / math.sqrt(t))
    alpha = max(epsilon_2, math.sqrt(np.mean(w * w))) * rho
    squared = g * g + epsilon_1
    beta = 1 - t**beta_2_decay
    if w.ndim >= 2:
        s["r"] = beta * s.get("r", 0.0) + (1 - beta) * squared.mean(axis=-1)
        s["c"] = beta * s.get("c", 0.0) + (1 - beta) * squared.mean(axis=-2)
        v = (s["r"] / s["r"].mean(axis=-1, keepdims=True))[..., None] * s["c"][..., None, :]
    else:
        s["v"] = beta * s.get("v", 0.0) + (1 - beta) * squared
        v = s["v"]
    u = g / np.sqrt(v)
    u = u / max(1.0, math.sqrt(np.mean(u * u)) / clip_threshold)
    return w - alpha * u


def ref_muon(w, g, s, t, lr, glob, adam_beta_1=0.9, adam_beta_2=0.999, epsilon=1e-7,
             matrix_weight_decay=0.004, adam_weight_decay=0.004, muon_a=3.4445, muon_b=-4.7750,
             muon_c=2.0315, adam_lr_ratio=1.0, momentum=0.95, ns_steps=5, nesterov=True,
             rms_rate=0.2):
    if w.ndim != 2:  # AdamW
        if adam_weight_decay:
            w = w - w * adam_weight_decay * lr
        return ref_adam(w, g, s, t, lr * adam_lr_ratio, glob, beta_1=adam_beta_1,
                        beta_2=adam_beta_2, epsilon=epsilon)
    if matrix_weight_decay:  # Muon's weight_decay (named so that reference() leaves it here)
        w = w - w * matrix_weight_decay * lr
    s["m"] = momentum * s.get("m", 0.0) + g
    x = g + momentum * s["m"] if nesterov else s["m"]
    tall = x.shape[0] > x.shape[1]
    x = x.T if tall else x
    x = x / (np.linalg.norm(x) + 1e-7)
    for _ in range(ns_steps):
        gram = x @ x.T
        x = muon_a * x + (muon_b * gram + muon_c * gram @ gram) @ x
    x = x.T if tall else x
    scale = lr if rms_rate is None else lr * math.sqrt(max(w.shape)) * rms_rate
    return w - scale * x


def ref_schedule_free_adamw(w, g, s, t, lr, glob, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                            warmup_steps=0):
    if warmup_steps:
        lr = lr * min(t / warmup_steps, 1.0)
    z = s.get("z", None)
    if z is None:
        z = s["z0"]  # the initial weights, stored by the test before the first step
    x = (w - (1 - beta_1) * z) / beta_1
    s["v"] = s.get("v", 0.0) + (g * g - s.get("v", 0.0)) * (1 - beta_2)
    z = z - lr * g / (np.sqrt(s["v"] / (1 - beta_2**t)) + epsilon)
    s["z"] = z
    x = (1 - 1 / t) * x + z / t
    return (1 - beta_1) * z + beta_1 * x
