"""``TrainingMonitor``: a callback that watches how every layer learns, and says when it does not.

Per layer, at the end of every epoch (or every ``every`` training steps), it records

* ``weight_norm`` -- ``||W||``, all the layer's trainable weights together;
* ``grad_norm`` -- ``||dLoss/dW||`` on the probe batch (below);
* ``update_ratio`` -- ``||W_after - W_before|| / ||W_before||`` for one training step,
  the size of an update relative to the weights, averaged over the steps since the
  previous record (``update_ratio_max``: the largest of them);
* ``dead_fraction`` (ReLU layers) -- the fraction of units that output 0 for every
  sample of the probe batch: no gradient flows through them, so they stop learning;
* ``saturated_fraction`` (sigmoid and tanh layers) -- the fraction of units within 1% of
  their limits (sigmoid < 0.01 or > 0.99, ``|tanh| > 0.99``) for every probe sample,
  where the activation is flat and passes almost no gradient;
* ``activation_mean``, ``activation_std`` -- of the layer's outputs on the probe batch.

**How it sees gradients and activations without changing ``fit``.** At each record
the monitor runs one extra forward and backward pass of its own on a fixed *probe
batch*: ``probe_size`` samples drawn once (with ``seed``) from the ``x``, ``y``
given to the monitor. That pass uses inference mode (no dropout), updates nothing
and leaves every ``grad`` as it found it, so training goes exactly as without the
monitor. The update ratios need no probe: the monitor copies the weights before
every training step and compares them after it (one extra pass over the weights
per step). Without ``x``, ``y`` only the
weight norms and update ratios are recorded.

The records land in ``monitor.records`` and in the ``History`` that ``fit``
returns, under keys ``"monitor/<layer>/<statistic>"`` with one value per epoch
(the epoch's last record; NaN for an epoch without one). They are written to the
History directly, not added to the epoch logs, so the progress bar stays short.
``monitor.table()`` prints them.

**Warnings**, in plain words and naming the layer (each at most once per ``fit``):
vanishing gradients (a layer's gradient norm is below ``vanishing`` times the
largest layer's), exploding gradients (not finite, or above ``exploding`` times
``max(||W||, 1)``), dead or saturated units (at least ``dead_fraction`` of a hidden
layer's units), a learning rate far too high or too low (a step's update ratio above
``update_ratio_range[1]``, or their average below ``update_ratio_range[0]`` -- around
1e-3 per step is the usual rule of thumb), and a
loss that became NaN, naming the first layer where NaN or infinity appears in the
forward pass. They are issued as :class:`TrainingWarning` and kept in
``monitor.messages``.

Examples
--------
>>> import numpy as np
>>> import descend
>>> from descend.layers import Dense
>>> x = np.random.default_rng(0).standard_normal((64, 3)).astype("float32")
>>> y = (x.sum(axis=1) > 0).astype("int64")
>>> model = descend.Sequential([Dense(8, activation="relu", input_shape=(3,), name="hidden"),
...                             Dense(2, activation="softmax", name="out")])
>>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
>>> monitor = TrainingMonitor(x, y)
>>> history = model.fit(x, y, epochs=2, verbose=0, callbacks=[monitor])
>>> len(history.history["monitor/hidden/grad_norm"]), sorted(monitor.records[0]["layers"])
(2, ['hidden', 'out'])
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from descend.callbacks.callback import Callback
from descend.explain.probe import first_non_finite, loss_and_gradients
from descend.explain.taps import activation_name

__all__ = ["TrainingMonitor", "TrainingWarning", "layer_statistics"]

DEAD_ACTIVATIONS = ("relu", "relu6")
SATURATING = {"sigmoid": (0.01, 0.99), "tanh": (-0.99, 0.99), "hard_sigmoid": (0.01, 0.99)}
STATISTICS = ("weight_norm", "grad_norm", "update_ratio", "update_ratio_max", "dead_fraction",
              "saturated_fraction", "activation_mean", "activation_std")


class TrainingWarning(UserWarning):
    """A problem :class:`TrainingMonitor` noticed in training (category of its warnings)."""


def _norm(arrays: list[np.ndarray]) -> float:
    total = 0.0
    for a in arrays:
        flat = np.asarray(a, dtype=np.float64).reshape(-1)
        total += float(np.dot(flat, flat))
    return math.sqrt(total)


def unit_fractions(outputs: np.ndarray, activation: str | None) -> dict[str, float]:
    """Dead or saturated units of one layer's outputs (units on the last axis).

    Parameters
    ----------
    outputs : ndarray, shape (samples, ..., units)
    activation : str or None
        The layer's activation name.

    Returns
    -------
    dict
        ``{"dead_fraction": f}`` for ReLU, ``{"saturated_fraction": f}`` for
        sigmoid/tanh, ``{}`` otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> unit_fractions(np.array([[0.0, 1.0], [0.0, 0.0]]), "relu")
    {'dead_fraction': 0.5}
    """
    a = np.asarray(outputs, dtype=np.float64)
    if a.ndim == 0 or a.size == 0:
        return {}
    per_unit = a.reshape(-1, a.shape[-1])
    if activation in DEAD_ACTIVATIONS:
        return {"dead_fraction": float(np.mean(np.all(per_unit <= 0.0, axis=0)))}
    if activation in SATURATING:
        low, high = SATURATING[activation]
        flat = (per_unit < low) | (per_unit > high)
        return {"saturated_fraction": float(np.mean(np.all(flat, axis=0)))}
    return {}


def layer_statistics(model: Any, xs: list[np.ndarray] | None, ys: list[np.ndarray] | None
                     ) -> tuple[float, dict[str, dict[str, float]]]:
    """Probe loss and per-layer statistics (all but ``update_ratio``) on one batch.

    Parameters
    ----------
    model : Model
        Compiled and prepared for data like ``xs``.
    xs, ys : list of ndarray or None
        The probe batch; None records only the weight norms.

    Returns
    -------
    (loss, stats)
        The probe loss (NaN without data) and ``{layer name: {statistic: value}}``
        for every top-level layer that has trainable weights or an activation.
    """
    layers = [layer for layer in getattr(model, "layers", [])
              if layer.trainable_weights or activation_name(layer) is not None]
    probe = None
    if xs is not None and ys is not None:
        with np.errstate(all="ignore"):
            probe = loss_and_gradients(model, xs, ys)
    grads: dict[int, np.ndarray] = {}
    outputs: dict[int, np.ndarray] = {}
    if probe is not None:
        grads = {id(w): g for w, g in zip(model.trainable_weights, probe.gradients, strict=True)}
        for call in probe.calls:
            outputs.setdefault(id(call.layer), call.outputs)
    stats: dict[str, dict[str, float]] = {}
    for layer in layers:
        entry: dict[str, float] = {}
        weights = layer.trainable_weights
        if weights:
            entry["weight_norm"] = _norm([w.data for w in weights])
            if probe is not None:
                entry["grad_norm"] = _norm([grads[id(w)] for w in weights if id(w) in grads])
        out = outputs.get(id(layer))
        if out is not None:
            with np.errstate(all="ignore"):
                entry.update(unit_fractions(out, activation_name(layer)))
                entry["activation_mean"] = float(np.mean(out, dtype=np.float64))
                entry["activation_std"] = float(np.std(out, dtype=np.float64))
        stats[layer.name] = entry
    return (probe.loss if probe is not None else math.nan), stats


class TrainingMonitor(Callback):
    """Record per-layer training statistics and warn about common failures (see the module).

    Parameters
    ----------
    x : array_like, shape (samples, ...), optional
        Training inputs to draw the probe batch from (or a dedicated probe batch).
    y : array_like, shape (samples, ...), optional
        The matching targets.
    every : int or None, default None
        None records at the end of every epoch; an int records every ``every``
        training steps.
    probe_size : int, default 256
        Samples in the probe batch (all of ``x`` if it has fewer).
    seed : int, default 0
        Seed for drawing the probe batch.
    warn : bool, default True
        Issue :class:`TrainingWarning` warnings.
    update_ratio_range : (float, float), default (1e-5, 0.1)
        Per-step update ratios outside this range trigger the learning-rate
        warnings (far too low / far too high).
    dead_fraction : float, default 0.9
        Warn when at least this fraction of a hidden layer's units is dead or
        saturated.
    vanishing : float, default 1e-4
        Warn when a layer's gradient norm is below ``vanishing`` times the
        largest layer gradient norm (or exactly 0).
    exploding : float, default 1e3
        Warn when a layer's gradient norm exceeds ``exploding * max(||W||, 1)``
        or is not finite.
    print_fn : callable or None, default None
        Also receives each warning's text (e.g. ``print``).

    Attributes
    ----------
    records : list of dict
        One per record: ``{"epoch", "step", "loss", "layers": {name: {statistic:
        value}}}`` (``loss`` is the probe loss; ``step`` counts training steps).
    messages : list of str
        The warnings issued so far.
    """

    def __init__(self, x: Any = None, y: Any = None, every: int | None = None,
                 probe_size: int = 256, seed: int = 0, warn: bool = True,
                 update_ratio_range: tuple[float, float] = (1e-5, 0.1),
                 dead_fraction: float = 0.9, vanishing: float = 1e-4, exploding: float = 1e3,
                 print_fn: Callable[[str], Any] | None = None) -> None:
        super().__init__()
        if (x is None) != (y is None):
            raise ValueError("TrainingMonitor: pass both `x` and `y` (the probe data), or "
                             f"neither; received x={'None' if x is None else 'an array'} and "
                             f"y={'None' if y is None else 'an array'}.")
        if every is not None and (isinstance(every, bool) or not isinstance(every, int)
                                  or every < 1):
            raise ValueError(f"TrainingMonitor: `every` must be None (once per epoch) or a "
                             f"positive number of steps, received {every!r}.")
        if isinstance(probe_size, bool) or not isinstance(probe_size, int) or probe_size < 1:
            raise ValueError(f"TrainingMonitor: `probe_size` must be a positive int, received "
                             f"{probe_size!r}.")
        low, high = update_ratio_range
        if not 0 <= low < high:
            raise ValueError(f"TrainingMonitor: `update_ratio_range` must be (low, high) with "
                             f"0 <= low < high, received {update_ratio_range!r}.")
        if not 0 < dead_fraction <= 1:
            raise ValueError(f"TrainingMonitor: `dead_fraction` must be in (0, 1], received "
                             f"{dead_fraction!r}.")
        self.x, self.y = x, y
        self.every, self.probe_size, self.seed = every, probe_size, seed
        self.warn = bool(warn)
        self.update_ratio_range = (float(low), float(high))
        self.dead_fraction = float(dead_fraction)
        self.vanishing, self.exploding = float(vanishing), float(exploding)
        self.print_fn = print_fn
        self.records: list[dict[str, Any]] = []
        self.messages: list[str] = []
        self._warned: set[tuple[str, str]] = set()
        self._probe: tuple[list[np.ndarray], list[np.ndarray]] | None = None
        self._step = 0
        self._epoch = 0
        self._before: list[np.ndarray] | None = None
        self._ratios: dict[str, tuple[float, int, float]] = {}

    # ------------------------------------------------------------------ probe batch
    def _draw_probe(self) -> None:
        from descend.models import data_adapter as data

        if self.x is None:
            self._probe = None
            return
        xs, ys = data.prepare_inputs(self.x, "TrainingMonitor x"), \
            data.prepare_targets(self.y, "TrainingMonitor y")
        n = data.check_lengths(xs, ys)
        if n > self.probe_size:
            index = np.sort(np.random.default_rng(self.seed).choice(n, self.probe_size,
                                                                    replace=False))
            xs, ys = [a[index] for a in xs], [a[index] for a in ys]
        self.model._prepare(xs, ys, training=False)
        self._probe = (xs, ys)

    # ------------------------------------------------------------------------ hooks
    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Draw the probe batch and start counting steps."""
        self._warned = set()
        self._step = 0
        self._draw_probe()

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Remember the epoch number."""
        self._epoch = epoch

    def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Copy the weights before the step (to measure its update)."""
        weights = self.model.trainable_weights
        if self._before is None or len(self._before) != len(weights) or any(
                b.shape != w.data.shape for b, w in zip(self._before, weights, strict=True)):
            self._before = [np.empty(w.data.shape, dtype=np.float64) for w in weights]
        for buffer, w in zip(self._before, weights, strict=True):
            np.copyto(buffer, w.data)

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Measure the step's update ratio; with ``every=N``, record every N steps."""
        self._step += 1
        if self._before is not None:
            for name, ratio in self._update_ratios(self._before).items():
                total, count, largest = self._ratios.get(name, (0.0, 0, 0.0))
                self._ratios[name] = (total + ratio, count + 1, max(largest, ratio))
        if self.every is not None and self._step % self.every == 0:
            self._record((logs or {}).get("loss"))

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Record (once per epoch) and copy the epoch's record into the History."""
        loss = (logs or {}).get("loss")
        if self.every is None:
            self._record(loss)
        elif loss is not None and not math.isfinite(loss):
            self._check_nan(loss)
        record = self.records[-1] if self.records and self.records[-1]["epoch"] == epoch \
            else None
        history = getattr(self.model, "history", None)
        store = getattr(history, "history", None)
        if isinstance(store, dict):
            done = len(getattr(history, "epoch", []))  # epochs History has already recorded
            for key in self.history_keys():
                layer, stat = key.split("/")[1:]
                value = math.nan if record is None else \
                    record["layers"].get(layer, {}).get(stat, math.nan)
                store.setdefault(key, [math.nan] * done).append(value)

    # --------------------------------------------------------------------- records
    def _update_ratios(self, before: list[np.ndarray]) -> dict[str, float]:
        weights = list(self.model.trainable_weights)
        if len(before) != len(weights):
            return {}
        old = {id(w): b for w, b in zip(weights, before, strict=True)}
        ratios = {}
        for layer in getattr(self.model, "layers", []):
            ws = [w for w in layer.trainable_weights if id(w) in old]
            if not ws:
                continue
            size = _norm([old[id(w)] for w in ws])
            with np.errstate(all="ignore"):
                change = _norm([w.data - old[id(w)] for w in ws])
            if size > 0 and math.isfinite(change):
                ratios[layer.name] = change / size
        return ratios

    def _record(self, logged_loss: float | None) -> None:
        xs, ys = self._probe if self._probe is not None else (None, None)
        loss, stats = layer_statistics(self.model, xs, ys)
        for name, entry in stats.items():
            if name in self._ratios:
                total, count, largest = self._ratios[name]
                entry["update_ratio"] = total / count
                entry["update_ratio_max"] = largest
        self._ratios = {}
        record = {"epoch": self._epoch, "step": self._step, "loss": loss, "layers": stats}
        self.records.append(record)
        if logged_loss is not None and not math.isfinite(logged_loss):
            self._check_nan(logged_loss)
        elif self._probe is not None and not math.isfinite(loss):
            self._check_nan(loss)
        self._check(record)

    def history_keys(self) -> list[str]:
        """The ``"monitor/<layer>/<statistic>"`` keys recorded so far, in layer order."""
        keys: list[str] = []
        for record in self.records:
            for layer, entry in record["layers"].items():
                for stat in STATISTICS:
                    key = f"monitor/{layer}/{stat}"
                    if stat in entry and key not in keys:
                        keys.append(key)
        return keys

    # -------------------------------------------------------------------- warnings
    def _say(self, kind: str, layer: str, message: str) -> None:
        if (kind, layer) in self._warned:
            return
        self._warned.add((kind, layer))
        self.messages.append(message)
        if self.warn:
            warnings.warn(message, TrainingWarning, stacklevel=2)
        if self.print_fn is not None:
            self.print_fn(message)

    def _where(self) -> str:
        return f"epoch {self._epoch + 1}, step {self._step}"

    def _check_nan(self, loss: float) -> None:
        xs = self._probe[0] if self._probe is not None else None
        culprit = first_non_finite(self.model, xs)
        lr = getattr(getattr(self.model, "optimizer", None), "learning_rate", None)
        advice = (f"lower the learning rate (it is {lr:g})" if isinstance(lr, float)
                  else "lower the learning rate") + " or clip the gradients (clipnorm=1.0)"
        if culprit is None:
            where = ("the forward pass itself is finite, so the loss function produced it: check "
                     "the labels and the loss (e.g. log of 0, labels out of range)")
            layer = "(loss)"
        else:
            layer, what = culprit[0].name, culprit[1]
            if what == "weights":
                where = (f"NaN/infinity first appears in the weights of layer '{layer}': the "
                         f"updates blew up; {advice}")
            else:
                where = (f"NaN/infinity first appears in the output of layer '{layer}' in the "
                         f"forward pass; {advice}")
        self._say("nan", "*", f"The loss became {loss} at {self._where()}: {where}.")

    def _check(self, record: dict[str, Any]) -> None:
        stats = record["layers"]
        names = list(stats)
        output_layer = names[-1] if names else None
        grads = [s["grad_norm"] for s in stats.values()
                 if "grad_norm" in s and math.isfinite(s["grad_norm"])]
        largest = max(grads, default=0.0)
        low, high = self.update_ratio_range
        lr = getattr(getattr(self.model, "optimizer", None), "learning_rate", None)
        lr_text = f" (it is {lr:g})" if isinstance(lr, float) else ""
        for name, s in stats.items():
            g, w = s.get("grad_norm"), s.get("weight_norm")
            if w is not None and not math.isfinite(w):
                continue  # NaN weights: the NaN warning names the layer
            if g is not None and (not math.isfinite(g) or g > self.exploding * max(w or 0.0, 1.0)):
                self._say("exploding", name, (
                    f"Exploding gradients in layer '{name}' at {self._where()}: the gradient norm"
                    f" is {g:.3g} for weights of norm {w:.3g}. Lower the learning rate, clip the "
                    "gradients (clipnorm=1.0) or normalise the inputs."))
            elif g is not None and largest > 0 and g < self.vanishing * largest:
                self._say("vanishing", name, (
                    f"Vanishing gradients in layer '{name}' at {self._where()}: its gradient norm"
                    f" is {g:.3g}, against {largest:.3g} in the layer with the largest; it "
                    "hardly learns. Try ReLU activations, He initialisation or batch "
                    "normalisation."))
            if name != output_layer:
                dead, saturated = s.get("dead_fraction"), s.get("saturated_fraction")
                if dead is not None and dead >= self.dead_fraction:
                    self._say("dead", name, (
                        f"Dead units in layer '{name}' at {self._where()}: {dead:.0%} of its "
                        "ReLU units output 0 for every probe sample, so no gradient reaches "
                        "them and they stop learning. Lower the learning rate, check the bias "
                        "initialisation, or use leaky_relu."))
                if saturated is not None and saturated >= self.dead_fraction:
                    self._say("saturated", name, (
                        f"Saturated units in layer '{name}' at {self._where()}: {saturated:.0%} "
                        "of its units sit on a flat part of their activation for every probe "
                        "sample and pass almost no gradient. Scale the inputs, use smaller "
                        "initial weights or ReLU."))
            ratio, largest_ratio = s.get("update_ratio"), s.get("update_ratio_max", 0.0)
            if ratio is None or not math.isfinite(ratio) or ratio == 0.0:
                continue
            if largest_ratio > high:
                self._say("lr_high", name, (
                    f"The learning rate looks far too high{lr_text}: before {self._where()} one "
                    f"update changed the weights of layer '{name}' by {largest_ratio:.2g} of "
                    f"their size (usual: about 1e-3 per step, above {high:g} is too much). "
                    "Divide it by 10."))
            elif ratio < low and ("lr_high", name) not in self._warned:
                self._say("lr_low", name, (
                    f"The learning rate looks far too low{lr_text}: before {self._where()} each "
                    f"update changed the weights of layer '{name}' by only {ratio:.2g} of their"
                    f" size on average (usual: about 1e-3 per step, below {low:g} is too "
                    "little). Multiply it by 10."))

    # ----------------------------------------------------------------------- table
    def table(self, print_fn: Callable[[str], Any] | None = print) -> str:
        """The records as a text table, one row per record and layer.

        Parameters
        ----------
        print_fn : callable or None, default print
            Receives the table; None only returns it.

        Returns
        -------
        str
        """
        columns = ("epoch", "step", "layer", "weight_norm", "grad_norm", "update_ratio",
                   "dead/sat", "act_mean", "act_std")
        rows = []
        for record in self.records:
            for name, s in record["layers"].items():
                inactive = s.get("dead_fraction", s.get("saturated_fraction"))
                rows.append([str(record["epoch"] + 1), str(record["step"]), name] + [
                    _cell(s.get(key)) for key in ("weight_norm", "grad_norm", "update_ratio")
                ] + [_cell(inactive, percent=True)] + [
                    _cell(s.get(key)) for key in ("activation_mean", "activation_std")])
        widths = [max([len(c)] + [len(r[i]) for r in rows]) for i, c in enumerate(columns)]
        lines = ["  ".join(c.rjust(wd) if i != 2 else c.ljust(wd)
                           for i, (c, wd) in enumerate(zip(columns, widths, strict=True)))]
        lines.append("  ".join("-" * wd for wd in widths))
        for r in rows:
            lines.append("  ".join(c.rjust(wd) if i != 2 else c.ljust(wd)
                                   for i, (c, wd) in enumerate(zip(r, widths, strict=True))))
        if not rows:
            lines.append("(no records yet: train with this monitor in fit's callbacks)")
        text = "\n".join(lines)
        if print_fn is not None:
            print_fn(text)
        return text


def _cell(value: Any, percent: bool = False) -> str:
    if value is None:
        return "-"
    if percent and math.isfinite(value):
        return f"{value:.0%}"
    return f"{value:.3g}"
