"""Choosing a learning rate: the learning-rate range test (Smith, 2017).

Too small a learning rate and the loss barely moves; too large and it jumps
around or explodes (in the words of the course "How a Neural Network Learns":
"if the learning rate is too large, we might skip over the optimum"). The range
test of L. N. Smith, *Cyclical Learning Rates for Training Neural Networks*
(WACV 2017) finds the range in between in one short run: train for ``steps``
mini-batches while the learning rate grows exponentially from ``start`` to
``end``, recording the loss of each batch. The loss first stays flat, then
falls fastest, then rises and diverges. A good learning rate lies where it
falls fastest: :func:`find_learning_rate` suggests
the rate at the steepest descent of the smoothed loss (against log learning
rate), stops early once the loss diverges, and then puts the model's weights
back, so the test costs nothing but time.

Examples
--------
>>> import numpy as np
>>> import descend
>>> from descend.layers import Dense
>>> rng = np.random.default_rng(0)
>>> x = rng.standard_normal((256, 3)).astype("float32")
>>> y = x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")
>>> model = descend.Sequential([Dense(1, input_shape=(3,))])
>>> model.compile(optimizer="sgd", loss="mse")
>>> before = model.get_weights()
>>> result = find_learning_rate(model, x, y, start=1e-4, end=10.0, steps=60)
>>> 1e-3 < result.suggestion < 2.0
True
>>> all(np.array_equal(a, b) for a, b in zip(model.get_weights(), before))
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["LRFinderResult", "centered_average", "find_learning_rate", "suggest_learning_rate"]


@dataclass
class LRFinderResult:
    """The outcome of :func:`find_learning_rate`.

    Attributes
    ----------
    learning_rates : ndarray
        The rate used at each step (stops early when the loss diverged).
    losses : ndarray
        The loss of each step's batch, before its update.
    smoothed : ndarray
        The losses smoothed by a centred moving average (what the suggestion uses).
    suggestion : float or None
        The rate at the steepest descent of the smoothed loss, or None when the
        loss never fell.
    """

    learning_rates: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    suggestion: float | None

    def plot(self, path: Any = None) -> Any:
        """Loss against learning rate; see :func:`descend.explain.plots.plot_lr_finder`."""
        from descend.explain.plots import plot_lr_finder

        return plot_lr_finder(self, path=path)


def centered_average(values: Any, window: int) -> np.ndarray:
    """Moving average centred on each point (no lag), shrinking the window at the ends.

    Examples
    --------
    >>> centered_average([0.0, 3.0, 0.0, 3.0, 0.0], 3)
    array([1.5, 1. , 2. , 1. , 1.5])
    """
    v = np.asarray(values, dtype=np.float64)
    half = max(int(window), 1) // 2
    out = np.empty_like(v)
    for i in range(len(v)):
        out[i] = v[max(0, i - half):i + half + 1].mean()
    return out


def suggest_learning_rate(learning_rates: Any, losses: Any, window: int | None = None,
                          skip: float = 0.1) -> tuple[float | None, np.ndarray]:
    """The learning rate where the loss falls fastest against ``log10(lr)``.

    The losses are first smoothed by a centred moving average (which, unlike an
    exponential average, does not lag behind and shift the answer towards
    larger rates); the suggestion is the rate where the smoothed curve has its
    most negative slope, measured across the averaging window, on the way down
    to its lowest point before the loss first climbs clearly above its starting
    level (what happens once training diverges is ignored).

    Parameters
    ----------
    learning_rates, losses : array_like, shape (steps,)
    window : int, optional
        Width of the moving average, and of the span over which the slope is
        measured (default: an eighth of the steps, at least 5).
    skip : float, default 0.1
        Fraction of the first steps ignored.

    Returns
    -------
    (float or None, ndarray)
        The suggestion (None when there are fewer than 5 finite points or the
        loss never falls) and the smoothed losses.

    Examples
    --------
    >>> lrs = np.logspace(-5, 0, 11)
    >>> losses = np.array([1, 1, 1, .99, .9, .6, .3, .2, .25, .6, 2.0])
    >>> suggestion, smoothed = suggest_learning_rate(lrs, losses, window=1)
    >>> round(suggestion, 5)  # 10 ** -2.5
    0.00316
    """
    lrs = np.asarray(learning_rates, dtype=np.float64)
    values = np.asarray(losses, dtype=np.float64)
    finite = np.isfinite(values)
    smooth = np.full(len(values), np.nan)
    if finite.sum() < 5:
        return None, smooth
    lrs, values = lrs[finite], values[finite]
    window = max(5, len(values) // 8) if window is None else max(int(window), 1)
    curve = centered_average(values, window)
    smooth[finite] = curve
    # slope over the window (not between neighbours): robust to the batch-to-batch noise
    half = max(window // 2, 1)
    logs = np.log10(lrs)
    ahead = np.minimum(np.arange(len(curve)) + half, len(curve) - 1)
    behind = np.maximum(np.arange(len(curve)) - half, 0)
    slopes = (curve[ahead] - curve[behind]) / (logs[ahead] - logs[behind])
    first = min(int(len(curve) * skip), len(curve) - 2)
    # divergence: the first time the loss climbs clearly above where it started (3 standard
    # deviations of the first steps' batch losses); only the descent before it counts
    head = values[:max(first, 5)]
    above = np.nonzero(curve[first:] > head.mean() + 3.0 * head.std())[0]
    cut = first + int(above[0]) if above.size else len(curve)
    last = max(int(np.argmin(curve[:max(cut, first + 2)])), first + 1)
    index = first + int(np.argmin(slopes[first:last + 1]))
    if slopes[index] >= 0:
        return None, smooth
    return float(lrs[index]), smooth


def _check(name: str, value: Any, low: float, high: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) or \
            not low < float(value) < high:
        raise ValueError(f"find_learning_rate: `{name}` must be a number in ({low:g}, {high:g}),"
                         f" received {value!r}.")
    return float(value)


def find_learning_rate(model: Any, x: Any, y: Any, start: float = 1e-7, end: float = 10.0,
                       steps: int = 100, batch_size: int = 32, smoothing: float = 0.9,
                       diverge: float = 4.0, seed: int = 0, sample_weight: Any = None
                       ) -> LRFinderResult:
    """Run the learning-rate range test and suggest a learning rate.

    Trains a copy of the compiled optimizer (fresh state, same settings) for up
    to ``steps`` mini-batches, the learning rate at step ``i`` being
    ``start * (end / start) ** (i / (steps - 1))``. Afterwards the model's
    weights, its own optimizer (state and learning rate untouched) and
    descend's global random state are as before, so training can start from
    the suggestion as if the test had not run.

    Parameters
    ----------
    model : Model
        A compiled model.
    x, y : array_like
        Training data; batches are drawn in a shuffled order (seeded), cycling
        if ``steps`` exceeds one epoch.
    start, end : float, default 1e-7 and 10
        The range of learning rates, ``0 < start < end``.
    steps : int, default 100
        At most this many steps (the test stops when the loss diverges).
    batch_size : int, default 32
    smoothing : float, default 0.9
        Weight ``beta`` of the running average that detects divergence,
        ``avg = beta * avg + (1 - beta) * loss``, bias-corrected by
        ``1 - beta ** (i + 1)``.
    diverge : float, default 4.0
        Stop once that running average exceeds ``diverge`` times its lowest
        value (or the loss is not finite).
    seed : int, default 0
        Seed of the batch order.
    sample_weight : array_like, shape (samples,), optional

    Returns
    -------
    LRFinderResult
        ``learning_rates``, ``losses``, ``smoothed``, ``suggestion``; ``.plot()``.

    Raises
    ------
    ValueError
        If the model is not compiled or an argument is out of range.
    """
    from descend import random as descend_random
    from descend.explain.probe import prepare_batch, require_compiled
    from descend.models.training import batch_slices

    require_compiled(model, "find_learning_rate")
    start = _check("start", start, 0.0)
    end = _check("end", end, start)
    smoothing = _check("smoothing", smoothing, -1e-12, 1.0)
    diverge = _check("diverge", diverge, 1.0)
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 2:
        raise ValueError(f"find_learning_rate: `steps` must be an int >= 2, received {steps!r}.")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
            or batch_size < 1:
        raise ValueError(f"find_learning_rate: `batch_size` must be a positive int, received "
                         f"{batch_size!r}.")
    xs, ys, sw = prepare_batch(model, x, y, sample_weight, training=True)
    n = len(xs[0])
    original = model.optimizer
    config = dict(original.get_config())
    config["learning_rate"] = start
    trial = type(original).from_config(config)
    saved_weights = model.get_weights()
    saved_random = descend_random.get_state()
    rng = np.random.default_rng(seed)
    lrs: list[float] = []
    losses: list[float] = []
    try:
        model.optimizer = trial
        trial.build(model.trainable_weights)
        train_step = model.make_train_function()
        batches: list[np.ndarray] = []
        average, best = 0.0, math.inf
        for i in range(int(steps)):
            if not batches:
                order = rng.permutation(n)
                batches = [order[s] for s in batch_slices(n, int(batch_size))][::-1]
            index = batches.pop()
            lr = start * (end / start) ** (i / (steps - 1))
            trial.learning_rate = lr
            model.reset_metrics()
            with np.errstate(all="ignore"):
                train_step([a[index] for a in xs], [a[index] for a in ys],
                           None if sw is None else sw[index])
            loss = float(model.get_metrics_result()["loss"])
            average = smoothing * average + (1.0 - smoothing) * loss
            value = average / (1.0 - smoothing ** (i + 1))
            lrs.append(lr)
            losses.append(loss)
            if not math.isfinite(loss) or not math.isfinite(value):
                break
            best = min(best, value)
            if i > 0 and value > diverge * best:
                break
    finally:
        model.optimizer = original
        model.set_weights(saved_weights)
        descend_random.set_state(saved_random)
        model.reset_metrics()
    suggestion, smoothed = suggest_learning_rate(lrs, losses)
    return LRFinderResult(np.array(lrs), np.array(losses), smoothed, suggestion)
