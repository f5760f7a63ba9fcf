"""``Muon``: momentum orthogonalized by Newton-Schulz iterations (Jordan et al., 2024).

Examples
--------
>>> import numpy as np
>>> from descend.autograd import Variable
>>> from descend.optimizers import Muon
>>> w = Variable(np.zeros((2, 2)))
>>> Muon(learning_rate=0.1, weight_decay=None).apply([np.array([[1.0, 0.0], [0.0, 2.0]])], [w])
>>> bool(np.abs(w.numpy()).max() < 0.1)
True
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from descend.optimizers._checks import check_bool, check_int, check_real
from descend.optimizers.adam import adam_update
from descend.optimizers.base import Optimizer


def newton_schulz5(x: np.ndarray, steps: int, a: float, b: float, c: float) -> np.ndarray:
    """Approximately orthogonalize the matrix ``x`` (Keras's quintic iteration).

    ``x`` is scaled to unit Frobenius norm (plus 1e-7), then
    ``x <- a x + (b A + c A A) x`` with ``A = x x^T``, ``steps`` times; a tall
    matrix is transposed first so that ``A`` is the smaller Gram matrix.

    Parameters
    ----------
    x : ndarray, shape (..., M, N)
    steps : int
    a, b, c : float

    Returns
    -------
    ndarray, shape (..., M, N)

    Examples
    --------
    >>> y = newton_schulz5(np.diag([1.0, 3.0]), 5, 3.4445, -4.7750, 2.0315)
    >>> bool(np.all(np.abs(np.diag(y) - 1.0) < 0.35))
    True
    """
    if x.ndim < 2:
        raise ValueError(
            f"newton_schulz5: expected a matrix (at least 2 dimensions), received shape {x.shape}."
        )
    tall = x.shape[-2] > x.shape[-1]
    if tall:
        x = np.swapaxes(x, -1, -2)
    x = x / (np.linalg.norm(x, axis=(-2, -1), keepdims=True) + 1e-7)
    for _ in range(steps):
        gram = x @ np.swapaxes(x, -1, -2)
        x = a * x + (b * gram + c * gram @ gram) @ x
    return np.swapaxes(x, -1, -2) if tall else x


class Muon(Optimizer):
    """Muon for 2-D weight matrices, AdamW for every other variable.

    For a matrix (not excluded): ``m <- momentum * m + g``; the direction
    ``g + momentum * m`` (``nesterov``) or ``m`` is orthogonalized with
    :func:`newton_schulz5` and ``w <- w - lr * sqrt(max(rows, cols)) * rms_rate * O``
    (no rescaling when ``rms_rate`` is None). Other variables (biases, kernels of
    rank != 2, names containing ``"embedding"`` when ``exclude_embeddings``, or
    matching a pattern of ``exclude_layers``) take an AdamW step with
    ``lr * adam_lr_ratio``. Weight decay ``w -= w * wd * lr`` comes first, with
    ``weight_decay`` for Muon matrices and ``adam_weight_decay`` for the others.

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.001
    adam_beta_1 : float, default 0.9
    adam_beta_2 : float, default 0.999
    adam_weight_decay : float, default 0.004
    epsilon : float, default 1e-7
    weight_decay : float, default 0.004
    exclude_layers : list of str, optional
        Regular expressions searched in each variable's path.
    exclude_embeddings : bool, default True
    muon_a, muon_b, muon_c : float, default 3.4445, -4.7750, 2.0315
        Newton-Schulz coefficients.
    adam_lr_ratio : float, default 1
    momentum : float, default 0.95
    ns_steps : int, default 5
    nesterov : bool, default True
    rms_rate : float or None, default 0.2
    name : str, default "muon"
    **kwargs
        Common optimizer arguments; see :class:`Optimizer`.

    Examples
    --------
    >>> Muon().get_config()["ns_steps"]
    5
    """

    _default_name = "muon"

    def __init__(self, learning_rate: Any = 0.001, adam_beta_1: float = 0.9,
                 adam_beta_2: float = 0.999, adam_weight_decay: float | None = 0.004,
                 epsilon: float = 1e-7, weight_decay: float | None = 0.004,
                 name: str | None = None, exclude_layers: Sequence[str] | None = None,
                 exclude_embeddings: bool = True, muon_a: float = 3.4445,
                 muon_b: float = -4.7750, muon_c: float = 2.0315, adam_lr_ratio: float = 1,
                 momentum: float = 0.95, ns_steps: int = 5, nesterov: bool = True,
                 rms_rate: float | None = 0.2, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, name=name, weight_decay=weight_decay,
                         **kwargs)
        owner = type(self).__name__
        self.adam_beta_1 = check_real(owner, "adam_beta_1", adam_beta_1, low=0.0, high=1.0,
                                      high_open=True)
        self.adam_beta_2 = check_real(owner, "adam_beta_2", adam_beta_2, low=0.0, high=1.0,
                                      high_open=True)
        self.adam_weight_decay = None if adam_weight_decay is None else check_real(
            owner, "adam_weight_decay", adam_weight_decay, low=0.0)
        self.epsilon = check_real(owner, "epsilon", epsilon, low=0.0)
        if isinstance(exclude_layers, str):
            raise TypeError(f"{owner}: exclude_layers must be a list of patterns, received the "
                            f"string {exclude_layers!r}; write [{exclude_layers!r}].")
        self.exclude_layers = list(exclude_layers or [])
        self.exclude_embeddings = check_bool(owner, "exclude_embeddings", exclude_embeddings)
        self.muon_a = check_real(owner, "muon_a", muon_a)
        self.muon_b = check_real(owner, "muon_b", muon_b)
        self.muon_c = check_real(owner, "muon_c", muon_c)
        self.adam_lr_ratio = check_real(owner, "adam_lr_ratio", adam_lr_ratio, low=0.0)
        self.momentum = check_real(owner, "momentum", momentum, low=0.0, high=1.0)
        self.ns_steps = check_int(owner, "ns_steps", ns_steps, low=0)
        self.nesterov = check_bool(owner, "nesterov", nesterov)
        self.rms_rate = None if rms_rate is None else check_real(owner, "rms_rate", rms_rate,
                                                                 low=0.0)

    def _slot_groups(self) -> list[tuple[str, ...]]:
        # "velocity" is only used by the AdamW variables (descend's flat layout
        # allocates it for all)
        return [("momentum", "velocity")]

    def should_use_adamw(self, variable: Any) -> bool:
        """Whether ``variable`` is updated with AdamW rather than Muon."""
        if len(getattr(variable, "shape", ())) != 2:
            return True
        path = str(getattr(variable, "path", None) or getattr(variable, "name", "") or "")
        if self.exclude_embeddings and "embedding" in path.lower():
            return True
        return any(re.search(pattern, path) for pattern in self.exclude_layers)

    def _refresh_decay_views(self) -> None:
        # weight decay depends on the kind of variable: applied in _update_flat
        self._decay_views = []

    def update_step(self, gradient: np.ndarray, variable: Any, learning_rate: float) -> None:
        """One variable's update, in place (see :meth:`Optimizer.update_step`): Muon for
        a matrix, AdamW (:func:`~descend.optimizers.adam.adam_update`) for the others."""
        g, w = gradient, variable.data
        adamw = self.should_use_adamw(variable)
        decay = self.adam_weight_decay if adamw else self.weight_decay
        if decay and self._uses_weight_decay(variable):
            w *= 1.0 - decay * learning_rate  # w <- w (1 - decay lr)
        if adamw:
            adam_update(w, g, self._slot(variable, "momentum"), self._slot(variable, "velocity"),
                        self.iterations + 1, learning_rate * self.adam_lr_ratio,
                        self.adam_beta_1, self.adam_beta_2, self.epsilon)
            return
        m = self._slot(variable, "momentum")
        m *= self.momentum  # m <- mu m + g
        m += g
        direction = g + self.momentum * m if self.nesterov else m  # Nesterov: g + mu m
        update = newton_schulz5(direction, self.ns_steps, self.muon_a, self.muon_b, self.muon_c)
        scale = learning_rate  # lr, or lr sqrt(max(rows, cols)) rms_rate
        if self.rms_rate is not None:
            scale *= math.sqrt(max(w.shape[0], w.shape[1])) * self.rms_rate
        w -= (update * scale).astype(w.dtype, copy=False)  # w <- w - scale NS5(direction)

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments."""
        config = super().get_config()
        config.update({
            "adam_beta_1": self.adam_beta_1, "adam_beta_2": self.adam_beta_2,
            "epsilon": self.epsilon, "exclude_layers": self.exclude_layers,
            "muon_a": self.muon_a, "muon_b": self.muon_b, "muon_c": self.muon_c,
            "adam_lr_ratio": self.adam_lr_ratio, "momentum": self.momentum,
            "ns_steps": self.ns_steps, "nesterov": self.nesterov,
            "exclude_embeddings": self.exclude_embeddings,
            "adam_weight_decay": self.adam_weight_decay, "rms_rate": self.rms_rate,
        })
        return config
