"""The update each optimizer applies, written out as formulas and redone in float64.

:func:`explain_update` takes one weight before a step, its gradient and the
optimizer's state for it (Adam's ``m`` and ``v``...), and returns the rule in
words, the value the rule gives (computed again in float64 by the optimizer's
own per-variable ``update_step`` on copies, apart from the flat fast path the
training step runs) and, for any entry, the arithmetic with the actual numbers.
``descend.explain.step`` prints these next to what the optimizer really did, so
a learner can check ``new weight = old weight - learning rate * gradient`` by
hand.

Known rules: SGD (plain, momentum, Nesterov), Adam / AdamW (with AMSGrad),
RMSprop (plain, momentum, centred) and Adagrad, with Keras's gradient
pre-processing (loss scale, clipping) and decoupled weight decay. Other
optimizers are shown as ``w + delta`` with the change actually applied.

Examples
--------
>>> import numpy as np
>>> from descend.optimizers import SGD
>>> update = explain_update(SGD(learning_rate=0.5), None, np.array([0.4]), np.array([0.1]),
...                         {}, learning_rate=0.5, step=1)
>>> print(update.rule)
w <- w - learning_rate * g   (learning_rate = 0.5)
>>> print(update.entry((0,)))
w = 0.4 - 0.5 * 0.1 = 0.35
>>> round(float(update.after[0]), 12)
0.35
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from descend.autograd import Variable
from descend.explain.formatting import num, operand

__all__ = ["UpdateExplanation", "explain_update", "slots_of"]


@dataclass
class UpdateExplanation:
    """One weight's update, explained.

    Attributes
    ----------
    rule : str
        The update rule with the optimizer's hyperparameters.
    after : ndarray or None
        The weight after the update according to ``rule``, in float64 (None
        when the rule is not known).
    state_after : dict of str to ndarray
        The optimizer's state for this weight after the update, per the rule.
    gradient : ndarray
        The gradient the rule used (after loss scaling and clipping).
    """

    rule: str
    after: np.ndarray | None
    state_after: dict[str, np.ndarray] = field(default_factory=dict)
    gradient: np.ndarray | None = None
    _entry: Callable[[tuple[int, ...]], str] | None = None

    def entry(self, index: tuple[int, ...]) -> str:
        """The arithmetic of the update of the entry at ``index``, with its numbers."""
        if self._entry is None:
            return ""
        return self._entry(tuple(index))


def slots_of(optimizer: Any, variable: Any) -> dict[str, np.ndarray]:
    """Copies of the optimizer's state arrays for ``variable``, shaped like it.

    Parameters
    ----------
    optimizer : Optimizer
        A built descend optimizer.
    variable : Variable

    Returns
    -------
    dict of str to ndarray
        E.g. ``{"momentum": m, "velocity": v}`` for Adam; empty if none.
    """
    layout = getattr(optimizer, "_layout", None)
    if layout is None:
        return {}
    segment = layout.index.get(id(variable))
    if segment is None:
        return {}
    return {name: np.array(segment.slot(name), dtype=np.float64)
            for name in segment.group.slots}


def _run_rule(opt: Any, variable: Any, w: np.ndarray, g: np.ndarray,
              state: dict[str, np.ndarray], lr: float,
              step: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The optimizer's own rule (``update_step``) on float64 copies of one weight.

    A fresh optimizer with the same configuration is built on a float64 copy of
    the weight, given ``state`` and the step number; the real optimizer is not
    touched. Returns the weight after the rule and the state after it.
    """
    clone = type(opt).from_config(opt.get_config())
    copy = Variable(np.array(w, dtype=np.float64), name=getattr(variable, "name", None) or "w")
    clone.build([copy])
    for name, value in state.items():
        np.copyto(clone._slot(copy, name), value)
    clone.iterations = step - 1
    clone.update_step(np.array(g, dtype=np.float64), copy, lr)
    slots = clone._layout.groups[0].slots
    return copy.numpy(), {name: clone._slot(copy, name).copy() for name in slots}


def _preprocess(optimizer: Any, g: np.ndarray, global_norm: float | None) -> tuple[np.ndarray,
                                                                                   list[str]]:
    notes = []
    if getattr(optimizer, "loss_scale_factor", None):
        g = g / optimizer.loss_scale_factor
        notes.append(f"g <- g / loss_scale_factor ({num(optimizer.loss_scale_factor)})")
    if getattr(optimizer, "clipnorm", None):
        c = optimizer.clipnorm
        norm = float(np.sqrt(np.sum(g * g)))
        if norm > c:
            g = g * (c / norm)
        notes.append(f"g <- g * clipnorm / max(||g||, clipnorm)   (clipnorm = {num(c)}, "
                     f"||g|| = {num(norm, 4)})")
    elif getattr(optimizer, "global_clipnorm", None) and global_norm is not None:
        c = optimizer.global_clipnorm
        if global_norm > c:
            g = g * (c / global_norm)
        notes.append(f"g <- g * global_clipnorm / max(global norm, global_clipnorm)   "
                     f"(global_clipnorm = {num(c)}, global norm = {num(global_norm, 4)})")
    elif getattr(optimizer, "clipvalue", None):
        c = optimizer.clipvalue
        g = np.clip(g, -c, c)
        notes.append(f"g <- clip(g, -{num(c)}, {num(c)})")
    return g, notes


def explain_update(optimizer: Any, variable: Any, before: np.ndarray, gradient: np.ndarray,
                   state: dict[str, np.ndarray], *, learning_rate: float, step: int,
                   global_norm: float | None = None) -> UpdateExplanation:
    """Explain (and recompute in float64) one weight's update.

    Parameters
    ----------
    optimizer : Optimizer
    variable : Variable or None
        The weight (used to tell whether weight decay applies to it).
    before : ndarray
        The weight's value before the step.
    gradient : ndarray
        ``d loss / d w`` as ``backward`` left it, same shape.
    state : dict of str to ndarray
        The optimizer's state for the weight before the step (:func:`slots_of`).
    learning_rate : float
        The rate in force for this step.
    step : int
        ``t = iterations + 1``, the number of this update.
    global_norm : float, optional
        Norm of all gradients together (needed with ``global_clipnorm``).

    Returns
    -------
    UpdateExplanation
    """
    w = np.asarray(before, dtype=np.float64)
    g, notes = _preprocess(optimizer, np.asarray(gradient, dtype=np.float64), global_norm)
    lr = float(learning_rate)
    kind = type(optimizer).__name__
    if getattr(optimizer, "gradient_accumulation_steps", None) or (
            getattr(optimizer, "use_ema", False) and getattr(optimizer, "ema_overwrite_frequency",
                                                             None)):
        kind = "unknown"
    decay = getattr(optimizer, "weight_decay", None)
    uses_decay = decay and (variable is None or optimizer._uses_weight_decay(variable))
    if uses_decay:
        w = w * (1.0 - decay * lr)
        notes.append(f"w <- w * (1 - weight_decay * learning_rate)   (weight_decay = {num(decay)})")
    rules = {"SGD": _sgd, "Adam": _adam, "AdamW": _adam, "RMSprop": _rmsprop,
             "Adagrad": _adagrad}
    rule = rules.get(kind)
    if rule is None:
        return UpdateExplanation(
            f"w <- w + delta   ({type(optimizer).__name__}'s own rule; delta is the change "
            "it applied)", None, {}, g, None)
    state = {k: np.asarray(v, np.float64) for k, v in state.items()}
    after, state_after = _run_rule(optimizer, variable, w, g, state, lr, step)
    explanation = rule(optimizer, w, g, state, after, state_after, lr, step)
    explanation.gradient = g
    if notes:
        explanation.rule = "\n".join(notes + [explanation.rule])
    if uses_decay:
        inner = explanation._entry
        w0 = np.asarray(before, dtype=np.float64)
        factor = 1.0 - decay * lr

        def decayed(index: tuple[int, ...]) -> str:
            return f"w = {num(w0[index])} * {operand(factor)} = {num(w[index])}; " + (
                inner(index) if inner else "")

        explanation._entry = decayed
    return explanation


def _sgd(opt: Any, w: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray],
         after: np.ndarray, state_after: dict[str, np.ndarray], lr: float,
         step: int) -> UpdateExplanation:
    mu = float(opt.momentum)
    if mu == 0:
        return UpdateExplanation(
            f"w <- w - learning_rate * g   (learning_rate = {num(lr)})", after, {}, g,
            lambda i: f"w = {num(w[i])} - {operand(lr)} * {operand(g[i])} = {num(after[i])}")
    m0, m1 = state.get("momentum", np.zeros_like(w)), state_after["momentum"]
    if opt.nesterov:
        rule = (f"m <- momentum * m - learning_rate * g;  w <- w + momentum * m - learning_rate"
                f" * g   (learning_rate = {num(lr)}, momentum = {num(mu)}, Nesterov)")

        def entry(i: tuple[int, ...]) -> str:
            m_text = f"m = {num(mu)} * {operand(m0[i])} - {operand(lr)} * {operand(g[i])}"
            return (f"{m_text} = {num(m1[i])}; w = {num(w[i])} + {operand(mu)} * "
                    f"{operand(m1[i])} - {operand(lr)} * {operand(g[i])} = {num(after[i])}")
    else:
        rule = (f"m <- momentum * m - learning_rate * g;  w <- w + m   (learning_rate = "
                f"{num(lr)}, momentum = {num(mu)})")

        def entry(i: tuple[int, ...]) -> str:
            m_text = f"m = {num(mu)} * {operand(m0[i])} - {operand(lr)} * {operand(g[i])}"
            return f"{m_text} = {num(m1[i])}; w = {num(w[i])} + {operand(m1[i])} = {num(after[i])}"
    return UpdateExplanation(rule, after, state_after, g, entry)


def _adam(opt: Any, w: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray],
          after: np.ndarray, state_after: dict[str, np.ndarray], lr: float,
          step: int) -> UpdateExplanation:
    b1, b2, eps = float(opt.beta_1), float(opt.beta_2), float(opt.epsilon)
    alpha = lr * math.sqrt(1.0 - b2**step) / (1.0 - b1**step)  # for the text only
    m0 = state.get("momentum", np.zeros_like(w))
    v0 = state.get("velocity", np.zeros_like(w))
    m1, v1 = state_after["momentum"], state_after["velocity"]
    v_used = state_after["velocity_hat"] if opt.amsgrad else v1
    rule = (
        "m <- beta_1 * m + (1 - beta_1) * g\n"
        "v <- beta_2 * v + (1 - beta_2) * g^2\n"
        + ("v_hat <- max(v_hat, v)   (AMSGrad; used below in place of v)\n" if opt.amsgrad
           else "")
        + f"alpha_t = learning_rate * sqrt(1 - beta_2^t) / (1 - beta_1^t)   (bias correction)\n"
        f"w <- w - alpha_t * m / (sqrt(v) + epsilon)   (Keras's 'epsilon hat': epsilon is added"
        f" to the uncorrected sqrt(v))\n"
        f"with learning_rate = {num(lr)}, beta_1 = {num(b1)}, beta_2 = {num(b2)}, epsilon = "
        f"{num(eps)}, t = {step}: alpha_t = {num(alpha, 8)}"
    )

    def entry(i: tuple[int, ...]) -> str:
        m_text = f"m = {num(b1)} * {operand(m0[i])} + {operand(1 - b1)} * {operand(g[i])}"
        v_text = f"v = {num(b2)} * {operand(v0[i])} + {operand(1 - b2, 4)} * {operand(g[i])}^2"
        w_text = (f"w = {num(w[i])} - {operand(alpha, 8)} * {operand(m1[i])} / (sqrt("
                  f"{num(v_used[i])}) + {operand(eps)})")
        return f"{m_text} = {num(m1[i])}; {v_text} = {num(v1[i])}; {w_text} = {num(after[i])}"

    return UpdateExplanation(rule, after, state_after, g, entry)


def _rmsprop(opt: Any, w: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray],
             after: np.ndarray, state_after: dict[str, np.ndarray], lr: float,
             step: int) -> UpdateExplanation:
    rho, eps, mu = float(opt.rho), float(opt.epsilon), float(opt.momentum)
    v1 = state_after["velocity"]
    if opt.centered:
        rule = ("v <- rho * v + (1 - rho) * g^2;  a <- rho * a + (1 - rho) * g;  increment = "
                "learning_rate * g / sqrt(v - a^2 + epsilon)")
    else:
        rule = "v <- rho * v + (1 - rho) * g^2;  increment = learning_rate * g / sqrt(v + epsilon)"
    rule += (";  b <- momentum * b + increment;  w <- w - b" if mu > 0
             else ";  w <- w - increment")
    rule += f"   (learning_rate = {num(lr)}, rho = {num(rho)}, epsilon = {num(eps)})"
    return UpdateExplanation(
        rule, after, state_after, g,
        lambda i: (f"v = {num(v1[i])}; w = {num(w[i])} - {operand(w[i] - after[i])} = "
                   f"{num(after[i])}"))


def _adagrad(opt: Any, w: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray],
             after: np.ndarray, state_after: dict[str, np.ndarray], lr: float,
             step: int) -> UpdateExplanation:
    eps = float(opt.epsilon)
    a1 = state_after["accumulator"]
    rule = (f"a <- a + g^2;  w <- w - learning_rate * g / sqrt(a + epsilon)   (learning_rate = "
            f"{num(lr)}, epsilon = {num(eps)})")
    return UpdateExplanation(
        rule, after, state_after, g,
        lambda i: (f"a = {num(a1[i])}; w = {num(w[i])} - {operand(lr)} * {operand(g[i])} / sqrt("
                   f"{num(a1[i])} + {operand(eps)}) = {num(after[i])}"))
