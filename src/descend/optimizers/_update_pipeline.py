"""The per-step update pipeline shared by all optimizers (mixed into ``Optimizer``).

Everything here works on the flat per-dtype buffers laid out by ``build``: one
NumPy call touches every parameter of the model, so the cost of a step does not
grow with the number of variables, and nothing model-sized is allocated per step.

Subnormal numbers
-----------------
When a parameter stops receiving gradient (a dead ReLU unit, say), optimizer
state decays geometrically: Adam's ``m`` by ``beta_1`` and ``v`` by ``beta_2`` per
step. It eventually enters the float32 subnormal range (below 1.18e-38), where
each arithmetic operation is several times slower, and it may stay there for
good: ``1 ulp * 0.9`` rounds back to ``1 ulp``. Every ``FLUSH_INTERVAL`` steps each
optimizer therefore sets to exactly 0 the state entries that are so small that
they cannot change the weights beyond float32 rounding (each optimizer's
``_flush_tiny`` states its thresholds and why). Between two flushes an entry
just above its threshold decays by at most ``rate ** FLUSH_INTERVAL``, which for
the rates in use (>= 0.32) keeps it above the subnormal range; smaller rates
reach 0 by themselves within a few steps.

Examples
--------
>>> import numpy as np
>>> x = np.array([1e-3, -1e-33, 2e-31, 0.0], dtype=np.float32)
>>> from descend.optimizers._layout import Group
>>> flush_below(x, 1e-30, Group(np.dtype("float32"), 4), signed=True)
>>> x
array([0.001, 0.   , 0.   , 0.   ], dtype=float32)
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from descend import _distributed
from descend.optimizers._layout import Group, Segment

FLUSH_INTERVAL = 16
"""Steps between two flushes of tiny optimizer state (see the module docstring)."""


def flush_below(array: np.ndarray, threshold: float, group: Group, signed: bool) -> None:
    """Set to 0 the entries of ``array`` whose magnitude is below ``threshold``.

    Parameters
    ----------
    array : ndarray, shape (group.size,)
        A flat state array, changed in place.
    threshold : float
        Entries with ``|x| < threshold`` become 0 (nothing happens if it is <= 0).
    group : Group
        Provides the preallocated work arrays.
    signed : bool
        Whether ``array`` may hold negative values (then ``|x|`` is compared).
    """
    if not threshold > 0.0:
        return
    mask = group.mask()
    if signed:
        work = group.scratch(0)
        np.abs(array, out=work)
        np.less(work, threshold, out=mask)
    else:
        np.less(array, threshold, out=mask)
    np.putmask(array, mask, 0)


@functools.cache
def declares_elementwise_rule(cls: type) -> bool:
    """Whether ``cls``'s update rule is elementwise: the class that sets ``elementwise_rule =
    True`` also provides (itself or above it) the ``_update_flat``, ``_flush_tiny`` and
    ``_prepare_step`` in force, so a subclass that replaces one of them is not trusted.

    Examples
    --------
    >>> from descend.optimizers import Adam, AdamW, Lamb
    >>> declares_elementwise_rule(AdamW), declares_elementwise_rule(Lamb)
    (True, False)
    >>> class MyAdam(Adam):
    ...     def _update_flat(self, group, learning_rate, step): ...
    >>> declares_elementwise_rule(MyAdam)
    False
    """
    declaring = next((c for c in cls.__mro__ if "elementwise_rule" in vars(c)), None)
    if declaring is None or not vars(declaring)["elementwise_rule"]:
        return False
    for name in ("_update_flat", "_flush_tiny", "_prepare_step"):
        owner = next(c for c in cls.__mro__ if name in vars(c))
        if owner not in declaring.__mro__:
            return False
    return True


def _grad_array(grad: Any) -> np.ndarray:
    data = getattr(grad, "data", grad)
    return data if isinstance(data, np.ndarray) else np.asarray(data)


class UpdatePipeline:
    """The update steps of :class:`~descend.optimizers.Optimizer` (a mixin)."""

    # attributes provided by Optimizer
    _layout: Any
    _iterations: int
    _decay_views: list[np.ndarray]
    weight_decay: float | None
    clipnorm: float | None
    clipvalue: float | None
    global_clipnorm: float | None
    use_ema: bool
    ema_momentum: float
    ema_overwrite_frequency: int | None
    loss_scale_factor: float | None
    gradient_accumulation_steps: int | None
    iterations: int

    def _current_learning_rate(self) -> float:
        raise NotImplementedError

    def build(self, variables: Iterable[Any]) -> None:
        raise NotImplementedError

    # ----------------------------------------------------------- the protocol
    flat_update: bool = True
    """Whether ``step`` runs the rule on the flat buffers at once (``_update_flat``, the
    fast path) or one variable at a time through :meth:`update_step` (the reference);
    both give the same result up to float rounding."""

    def update_step(self, gradient: np.ndarray, variable: Any, learning_rate: float) -> None:
        """Apply the update rule to one variable, in place (Keras's ``update_step``).

        The rule as written in the paper and in Keras, one line per formula; the
        pipeline (loss scaling, clipping, weight decay, EMA) runs around it.
        ``self.iterations + 1`` is the step number ``t``; the optimizer's state
        for the variable is :meth:`_slot`.

        Parameters
        ----------
        gradient : ndarray
            The processed gradient, the variable's shape (may be overwritten).
        variable : Variable
            A variable this optimizer was built on; its ``data`` is updated.
        learning_rate : float
            The rate in force for this step.
        """
        raise NotImplementedError(
            f"{type(self).__name__} must implement update_step(gradient, variable, "
            "learning_rate)."
        )

    elementwise_rule: bool = False
    """Whether :meth:`_update_flat` and :meth:`_flush_tiny` compute every element of the flat
    arrays from the same element of the others alone (Adam, SGD...: True), so that they
    may run on any contiguous part of a group -- what a data-parallel ``fit`` does to share
    the update among its processes (:mod:`descend.distribution.sharding`). Per-variable
    rules (LAMB, Adafactor, Muon) leave it False."""

    def _shardable(self) -> bool:
        """Whether this step's update may run on parts of the flat groups: an elementwise
        rule (:func:`declares_elementwise_rule`), the flat path, and no option that needs a
        whole variable or the whole gradient (``clipnorm``, ``global_clipnorm``, gradient
        accumulation)."""
        return (self.flat_update and not self.clipnorm and not self.global_clipnorm
                and not self.gradient_accumulation_steps
                and declares_elementwise_rule(type(self)))

    def _slot(self, variable: Any, name: str) -> np.ndarray:
        """The state array ``name`` of ``variable`` (a live view, shaped like it)."""
        return self._layout.index[id(variable)].slot(name)

    def _prepare_step(self, step: int) -> None:
        """Update optimizer-wide state once per update, before the variables are updated."""

    def _update_flat(self, group: Group, learning_rate: float, step: int) -> None:
        """Apply the update rule to one dtype group, in place: the fast path.

        ``group.values`` (the weights), ``group.grads`` (the processed gradients,
        free to be overwritten) and ``group.slots``; ``step`` is ``iterations + 1``
        (Keras's ``local_step``). By default, :meth:`update_step` for each
        variable; optimizers whose rule is elementwise override it with a few
        NumPy calls over the whole group, tested equal to :meth:`update_step`.
        """
        self._update_each_variable(group, learning_rate, step)

    def _update_each_variable(self, group: Group, learning_rate: float, step: int) -> None:
        """The reference path: :meth:`update_step` for each variable of ``group``."""
        for segment in group.segments:
            self.update_step(segment.grad, segment.variable, learning_rate)

    def _flush_tiny(self, group: Group, step: int) -> None:
        """Zero state entries too small to matter (see the module docstring)."""

    # ------------------------------------------------------------ entry points
    def _require_layout(self, what: str) -> Any:
        if self._layout is None:
            raise ValueError(
                f"{type(self).__name__}.{what}: the optimizer must be built on a list of "
                "variables first. Call optimizer.build(model.trainable_weights)."
            )
        return self._layout

    def step(self, trainable_variables: Sequence[Any] | None = None) -> None:
        """Apply one update from the gradients ``backward`` left in each ``variable.grad``.

        Variables whose ``grad`` is ``None`` (not reached by ``backward``) are
        left unchanged, with a warning, as Keras skips variables without
        gradient. Afterwards every variable's ``grad`` is ``None``.

        Parameters
        ----------
        trainable_variables : list of Variable, optional
            (Re)build on this list first; normally the loop calls :meth:`build`
            once and then ``step()`` with no argument.

        Raises
        ------
        ValueError
            If the optimizer is not built, or no variable has a gradient.
        """
        if trainable_variables is not None:
            self.build(trainable_variables)
        layout = self._require_layout("step")
        missing: list[Segment] | None = None
        for segment in layout.segments:
            variable = segment.variable
            grad = variable.grad
            if variable.data is not segment.value:
                segment.adopt()  # the variable was rebound or moved by another optimizer
            if grad is not segment.grad:
                if grad is None:
                    if missing is None:
                        missing = []
                    missing.append(segment)
                else:
                    self._copy_grad(segment, grad, add=False)
            variable.grad = None
        self._apply_update(missing, missing)

    def apply_gradients(self, grads_and_vars: Iterable[tuple[Any, Any]]) -> int:
        """Apply ``(gradient, variable)`` pairs (Keras API); builds on first use.

        Returns
        -------
        int
            :attr:`iterations` after the update.
        """
        pairs = list(grads_and_vars)
        if pairs:
            grads, variables = zip(*pairs, strict=True)
            self.apply(list(grads), list(variables))
        return self.iterations

    def apply(self, grads: Sequence[Any], trainable_variables: Sequence[Any] | None = None) -> None:
        """Apply gradients given as arrays (Keras API).

        Parameters
        ----------
        grads : list of array or None
            One per variable; ``None`` leaves that variable unchanged.
        trainable_variables : list of Variable, optional
            The variables the gradients belong to; builds the optimizer on the
            first call. If omitted, the gradients follow the built list's order.

        Raises
        ------
        ValueError
            If lengths differ, a variable is unknown to the built optimizer, or
            all gradients are ``None``.
        """
        grads = list(grads)
        if not grads:
            return
        owner = type(self).__name__
        if trainable_variables is None:
            layout = self._require_layout("apply")
            if len(grads) != len(layout.segments):
                raise ValueError(
                    f"{owner}.apply: received {len(grads)} gradients but the optimizer tracks "
                    f"{len(layout.segments)} variables; pass trainable_variables as well."
                )
            segments = list(layout.segments)
        else:
            variables = list(trainable_variables)
            if len(variables) != len(grads):
                raise ValueError(
                    f"{owner}.apply: received {len(grads)} gradients for {len(variables)} "
                    "variables; pass one gradient per variable."
                )
            if self._layout is None:
                self.build(variables)
            layout = self._layout
            segments = []
            for v in variables:
                segment = layout.index.get(id(v))
                if segment is None:
                    raise ValueError(
                        f"Unknown variable: {v!r}. This optimizer can only be called for the "
                        "variables it was built with; call optimizer.build(variables) with the "
                        "full list first, or create a new optimizer."
                    )
                segments.append(segment)
        given: set[int] = set()
        none_given: list[Segment] = []
        for grad, segment in zip(grads, segments, strict=True):
            if segment.variable.data is not segment.value:
                segment.adopt()
            if grad is None:
                none_given.append(segment)
                continue
            self._copy_grad(segment, grad, add=id(segment) in given)
            given.add(id(segment))
        skipped = [s for s in layout.segments if id(s) not in given]
        for segment in layout.segments:
            segment.variable.grad = None
        self._apply_update(skipped or None, [s for s in none_given if id(s) not in given])

    def _copy_grad(self, segment: Segment, grad: Any, add: bool) -> None:
        array = _grad_array(grad)
        if array is segment.grad:
            return
        if array.shape != segment.shape:
            raise ValueError(
                f"{type(self).__name__}: the gradient of variable "
                f"'{getattr(segment.variable, 'path', segment.variable)}' has shape "
                f"{array.shape}, expected the variable's shape {segment.shape}."
            )
        if add:
            np.add(segment.grad, array, out=segment.grad, casting="unsafe")
        else:
            np.copyto(segment.grad, array, casting="unsafe")

    # ---------------------------------------------------------------- pipeline
    def _apply_update(self, skipped: list[Segment] | None, warn: list[Segment] | None) -> None:
        layout = self._layout
        groups = layout.groups
        if skipped:
            if len(skipped) == len(layout.segments):
                raise ValueError(
                    "No gradients provided for any variable. Check that the loss depends on "
                    "the model's weights and that backward() was called before step()."
                )
            if warn:
                names = [str(getattr(s.variable, "path", s.variable)) for s in warn]
                warnings.warn(
                    f"Gradients do not exist for variables {names} when minimizing the loss. "
                    "If using `model.compile()`, did you forget to provide a `loss` argument?",
                    stacklevel=3,
                )
            for segment in skipped:
                segment.grad.fill(0)
        replicas = _distributed.replicas()
        whole = groups  # the groups whose weights the update changes
        if replicas is not None:  # data-parallel: the whole global batch's gradients
            if replicas.updates.active and not skipped and self._shardable():
                groups = replicas.updates.reduce_scatter(self)  # this process's part only
            else:
                replicas.reduce_gradients([group.grads for group in groups])
        if self.loss_scale_factor is not None:
            for group in groups:
                np.divide(group.grads, self.loss_scale_factor, out=group.grads)
        accumulate = self.gradient_accumulation_steps
        if accumulate and (self._iterations + 1) % accumulate != 0:
            for group in groups:
                group.slots["gradient_accumulator"] += group.grads
        else:
            saved = self._snapshot(skipped) if skipped else None
            if accumulate:
                for group in groups:
                    accumulator = group.slots["gradient_accumulator"]
                    np.add(group.grads, accumulator, out=group.grads)
                    np.divide(group.grads, accumulate, out=group.grads)
                    accumulator.fill(0)
            learning_rate = self._current_learning_rate()
            self._clip_gradients(groups)
            if self.weight_decay:
                factor = 1.0 - self.weight_decay * learning_rate
                for view in self._decay_views:
                    view *= factor
            step = self.iterations + 1
            self._prepare_step(step)
            update = self._update_flat if self.flat_update else self._update_each_variable
            for group in groups:
                update(group, learning_rate, step)
            if saved:
                self._restore(saved)
            if (self._iterations + 1) % FLUSH_INTERVAL == 0:
                for group in groups:
                    self._flush_tiny(group, step)
        if groups is not whole:  # sharded: every process's part of the new weights
            replicas.updates.allgather_values(self)
        if self.use_ema:
            self._update_moving_average(whole)
        self._iterations += 1

    def _clip_gradients(self, groups: list[Group]) -> None:
        if self.clipnorm:
            limit = self.clipnorm
            for group in groups:
                for segment in group.segments:
                    flat = group.grads[segment.start:segment.stop]
                    squared = float(np.dot(flat, flat))
                    if squared > limit * limit or squared != squared:
                        flat *= limit / math.sqrt(squared)
        elif self.global_clipnorm:
            limit = self.global_clipnorm
            norm = math.sqrt(sum(float(np.dot(g.grads, g.grads)) for g in groups))
            if norm > limit or not math.isfinite(norm):
                scale = limit / norm if math.isfinite(norm) else math.nan
                for group in groups:
                    group.grads *= scale
        elif self.clipvalue:
            for group in groups:
                np.clip(group.grads, -self.clipvalue, self.clipvalue, out=group.grads)

    def _update_moving_average(self, groups: list[Group]) -> None:
        momentum = self.ema_momentum if self.iterations != 0 else 0.0
        for group in groups:
            average = group.slots["average"]
            work = group.scratch(0)
            np.multiply(group.values, 1.0 - momentum, out=work)
            average *= momentum
            average += work
        frequency = self.ema_overwrite_frequency
        if frequency and (self.iterations + 1) % frequency == 0:
            for group in groups:
                np.copyto(group.values, group.slots["average"])

    @staticmethod
    def _snapshot(segments: list[Segment]) -> list[tuple[Segment, np.ndarray, dict[str, Any]]]:
        return [(s, s.value.copy(), {n: s.slot(n).copy() for n in s.group.slots})
                for s in segments]

    @staticmethod
    def _restore(saved: list[tuple[Segment, np.ndarray, dict[str, Any]]]) -> None:
        for segment, value, slots in saved:
            np.copyto(segment.value, value)
            for name, array in slots.items():
                np.copyto(segment.slot(name), array)

    # ------------------------------------------------------------------ extras
    def finalize_variable_values(self, var_list: Iterable[Any] | None = None) -> None:
        """With ``use_ema``, copy the moving averages into the weights (end of ``fit``).

        Parameters
        ----------
        var_list : list of Variable, optional
            Restrict to these variables (default: all the optimizer trains).
        """
        if not self.use_ema or self._layout is None:
            return
        if var_list is None:
            for group in self._layout.groups:
                np.copyto(group.values, group.slots["average"])
            return
        for v in var_list:
            segment = self._layout.index.get(id(v))
            if segment is not None:
                np.copyto(segment.value, segment.slot("average"))

    def scale_loss(self, loss: Any) -> Any:
        """Return ``loss * loss_scale_factor`` (or ``loss`` if no factor is set)."""
        if self.loss_scale_factor is not None:
            return loss * self.loss_scale_factor
        return loss
