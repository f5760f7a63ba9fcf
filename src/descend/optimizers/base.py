"""``Optimizer``: the base class that owns the update pipeline and the optimizer state.

The training loop calls ``optimizer.build(model.trainable_weights)`` once and
then, after every ``loss.backward()``, ``optimizer.step()``. ``build`` moves all
variables into one flat buffer per dtype (see :mod:`descend.optimizers._layout`),
so ``backward`` writes every gradient into one flat gradient buffer and ``step``
updates the whole model with a handful of in-place NumPy calls, in Keras's order:

1. divide the gradients by ``loss_scale_factor``; gradient accumulation;
2. clip (``clipnorm`` per variable, else ``global_clipnorm``, else ``clipvalue``);
3. decoupled weight decay ``w -= w * weight_decay * learning_rate``;
4. the optimizer's update rule (``update_step`` per variable, or its flat fast path
   ``_update_flat`` over the whole buffer, see ``flat_update``);
5. the exponential moving average of the weights (``use_ema``);
6. ``iterations += 1``; every variable's ``grad`` is reset to ``None``.

Writing a new optimizer means implementing ``_slot_groups`` (the names of the
per-parameter state arrays) and ``update_step(gradient, variable, learning_rate)``
(Keras's method: the rule for one variable, its state from ``self._slot``). An
elementwise rule may add a fast path, ``_update_flat(group, learning_rate, step)``,
which updates ``group.values`` from ``group.grads`` and ``group.slots`` in place and
must match ``update_step`` (``tests/test_update_step.py`` checks every optimizer).

Examples
--------
>>> import numpy as np
>>> from descend.autograd import Variable
>>> from descend.optimizers import SGD
>>> w = Variable([1.0, 2.0])
>>> optimizer = SGD(learning_rate=0.1)
>>> optimizer.build([w])
>>> w.grad = np.array([1.0, -1.0], dtype="float32")  # what loss.backward() would leave
>>> optimizer.step()
>>> w.numpy(), optimizer.iterations
(array([0.9, 2.1], dtype=float32), 1)
"""

from __future__ import annotations

import difflib
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from descend.optimizers import schedules
from descend.optimizers._checks import (
    check_bool,
    check_int,
    check_optional_positive,
    check_real,
)
from descend.optimizers._layout import FlatLayout
from descend.optimizers._update_pipeline import UpdatePipeline
from descend.optimizers.schedules import LearningRateSchedule

_BASE_ARGUMENTS = (
    "learning_rate", "weight_decay", "clipnorm", "clipvalue", "global_clipnorm", "use_ema",
    "ema_momentum", "ema_overwrite_frequency", "loss_scale_factor",
    "gradient_accumulation_steps", "name",
)


class Optimizer(UpdatePipeline):
    """Base class of all optimizers (Keras's ``keras.optimizers.Optimizer``).

    Parameters
    ----------
    learning_rate : float, LearningRateSchedule or callable
        A positive float, a schedule evaluated at every step, or a callable with
        no arguments returning the rate.
    weight_decay : float, optional
        If set, decoupled weight decay ``w -= w * weight_decay * learning_rate``
        is applied before each update.
    clipnorm : float, optional
        Clip each variable's gradient to this L2 norm:
        ``g * clipnorm / max(||g||, clipnorm)``.
    clipvalue : float, optional
        Clip each gradient element to ``[-clipvalue, clipvalue]``.
    global_clipnorm : float, optional
        Clip all gradients together so that their joint L2 norm is at most this.
        Only one of ``clipnorm``, ``clipvalue`` and ``global_clipnorm`` may be set.
    use_ema : bool, default False
        Keep an exponential moving average of the weights:
        ``average = m * average + (1 - m) * w`` after each step (``m = 0`` at the
        first step). ``finalize_variable_values`` (called at the end of ``fit``)
        copies the averages into the weights.
    ema_momentum : float, default 0.99
        ``m`` above, in [0, 1].
    ema_overwrite_frequency : int, optional
        Also copy the averages into the weights every this many steps.
    loss_scale_factor : float, optional
        The loss is multiplied by it (``scale_loss``) and the gradients divided by it.
    gradient_accumulation_steps : int, optional
        If >= 2, the variables are updated only every that many steps, with the
        mean of the gradients accumulated since the last update.
    name : str, optional
        Defaults to the optimizer's Keras name (``"adam"``...).
    **kwargs
        Only the legacy ``decay`` is accepted (with a warning, and ignored).

    Attributes
    ----------
    iterations : int
        Number of updates applied so far.
    learning_rate : float
        The current learning rate (a schedule evaluated at ``iterations``).
    variables : list of ndarray
        ``iterations``, the learning rate (when constant) and the per-parameter
        state arrays, in Keras's order.

    Raises
    ------
    ValueError
        On an unknown argument, a non-positive learning rate, or more than one
        clipping argument.

    Examples
    --------
    >>> from descend.optimizers import Adam
    >>> optimizer = Adam(learning_rate=1e-3, global_clipnorm=1.0)
    >>> optimizer.learning_rate, optimizer.iterations
    (0.001, 0)
    """

    _default_name = "optimizer"

    def __init__(
        self,
        learning_rate: Any,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
        loss_scale_factor: float | None = None,
        gradient_accumulation_steps: int | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        owner = type(self).__name__
        if kwargs.pop("decay", None) is not None:
            warnings.warn("Argument `decay` is no longer supported and will be ignored.",
                          stacklevel=3)
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}.{self._argument_hint(kwargs)}")
        self.name = str(name) if name is not None else self._default_name
        self._learning_rate = self._checked_learning_rate(learning_rate, low_open=True)
        if weight_decay is not None:
            weight_decay = check_real(owner, "weight_decay", weight_decay, low=0.0)
        self.weight_decay = weight_decay
        clips = {"clipnorm": clipnorm, "clipvalue": clipvalue, "global_clipnorm": global_clipnorm}
        if sum(v is not None for v in clips.values()) > 1:
            raise ValueError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. Received: "
                f"clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}"
            )
        self.clipnorm = check_optional_positive(owner, "clipnorm", clipnorm)
        self.clipvalue = check_optional_positive(owner, "clipvalue", clipvalue)
        self.global_clipnorm = check_optional_positive(owner, "global_clipnorm", global_clipnorm)
        self.use_ema = check_bool(owner, "use_ema", use_ema)
        if self.use_ema:
            ema_momentum = check_real(owner, "ema_momentum", ema_momentum, low=0.0, high=1.0)
            if ema_overwrite_frequency is not None:
                ema_overwrite_frequency = check_int(
                    owner, "ema_overwrite_frequency", ema_overwrite_frequency, low=1)
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = check_optional_positive(
            owner, "loss_scale_factor", loss_scale_factor)
        if gradient_accumulation_steps:
            gradient_accumulation_steps = check_int(
                owner, "gradient_accumulation_steps", gradient_accumulation_steps, low=2)
        else:
            gradient_accumulation_steps = None
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self._iterations = 0
        self._layout: FlatLayout | None = None
        self._exclude_ids: set[int] = set()
        self._exclude_pattern: re.Pattern[str] | None = None
        self._decay_views: list[np.ndarray] = []

    def _argument_hint(self, unknown: Mapping[str, Any]) -> str:
        import inspect

        valid = set(_BASE_ARGUMENTS)
        valid.update(p for p in inspect.signature(type(self).__init__).parameters
                     if p not in ("self", "kwargs"))
        hints = []
        for key in unknown:
            close = difflib.get_close_matches("learning_rate" if key == "lr" else key,
                                              sorted(valid), n=1, cutoff=0.6)
            if close:
                hints.append(f"`{key}` -> `{close[0]}`")
        hint = f" Did you mean {', '.join(hints)}?" if hints else ""
        return f"{hint} {type(self).__name__} accepts: {', '.join(sorted(valid))}."

    def _checked_learning_rate(self, value: Any, low_open: bool) -> Any:
        if isinstance(value, LearningRateSchedule):
            return value
        if callable(value) and not hasattr(value, "dtype"):
            return value
        return check_real(type(self).__name__, "learning_rate", value, low=0.0,
                          low_open=low_open)

    # ------------------------------------------------------------- properties
    @property
    def iterations(self) -> int:
        """Number of updates applied (calls divided by ``gradient_accumulation_steps``)."""
        if self.gradient_accumulation_steps:
            return self._iterations // self.gradient_accumulation_steps
        return self._iterations

    @iterations.setter
    def iterations(self, value: int) -> None:
        value = check_int(type(self).__name__, "iterations", value, low=0)
        self._iterations = value * (self.gradient_accumulation_steps or 1)

    @property
    def learning_rate(self) -> float:
        """The current learning rate (a schedule is evaluated at the current step).

        Assigning a number sets a constant rate (what ``ReduceLROnPlateau`` and
        ``LearningRateScheduler`` do); assigning a schedule or callable installs it.
        As in Keras, a number cannot replace a schedule given to the constructor.
        """
        return self._current_learning_rate()

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        is_number = not (isinstance(value, LearningRateSchedule)
                         or (callable(value) and not hasattr(value, "dtype")))
        if is_number and isinstance(self._learning_rate, LearningRateSchedule):
            raise TypeError(
                "This optimizer was created with a `LearningRateSchedule` object as its "
                "`learning_rate` constructor argument, hence its learning rate is not settable. "
                "If you need the learning rate to be settable, you should instantiate the "
                "optimizer with a float `learning_rate` argument."
            )
        self._learning_rate = self._checked_learning_rate(value, low_open=False)

    def _current_learning_rate(self) -> float:
        lr = self._learning_rate
        if type(lr) is float:
            return lr
        if isinstance(lr, LearningRateSchedule):
            return float(lr(self._iterations))
        return float(lr())

    @property
    def built(self) -> bool:
        """Whether :meth:`build` has laid out the variables and the state."""
        return self._layout is not None

    # ------------------------------------------------------------------ build
    def _slot_groups(self) -> list[tuple[str, ...]]:
        """Names of the per-parameter state arrays, in Keras's order.

        Each tuple is interleaved over the variables in ``variables`` (Keras's
        ``add_optimizer_variables`` with several names).
        """
        return []

    def _slot_initial_value(self, name: str) -> float:
        return 0.0

    def _all_slot_groups(self) -> list[tuple[str, ...]]:
        groups: list[tuple[str, ...]] = []
        if self.use_ema:
            groups.append(("average",))
        if self.gradient_accumulation_steps:
            groups.append(("gradient_accumulator",))
        return groups + self._slot_groups()

    def build(self, variables: Iterable[Any]) -> None:
        """Lay out ``variables`` in flat buffers and allocate the optimizer state.

        Calling it again with the same list does nothing. With a different list
        (after a recompile, or when layers are frozen or unfrozen) the layout is
        rebuilt: state is kept for the variables in both lists, new variables
        start from the initial state, and dropped variables leave the buffer.

        Parameters
        ----------
        variables : iterable of Variable
            The trainable variables (``model.trainable_weights``).

        Raises
        ------
        TypeError
            If an element is not a float ``Variable``.
        """
        variables = list(variables)
        if self._layout is not None and self._layout.same_variables(variables):
            return
        names = [name for group in self._all_slot_groups() for name in group]
        slots = {name: self._slot_initial_value(name) for name in names}
        self._layout = FlatLayout(variables, slots, previous=self._layout)
        self._refresh_decay_views()

    def exclude_from_weight_decay(
        self, var_list: Sequence[Any] | None = None, var_names: Sequence[str] | None = None
    ) -> None:
        """Exempt variables from weight decay.

        Parameters
        ----------
        var_list : list of Variable, optional
            Variables to exempt.
        var_names : list of str, optional
            A variable is exempt if one of these strings occurs in its name (a
            regular expression search), e.g. ``["bias"]``.
        """
        self._exclude_ids = {id(v) for v in var_list or ()}
        names = list(var_names or ())
        self._exclude_pattern = re.compile("|".join(sorted(set(names)))) if names else None
        self._refresh_decay_views()

    def _uses_weight_decay(self, variable: Any) -> bool:
        if id(variable) in self._exclude_ids:
            return False
        if self._exclude_pattern is not None:
            name = getattr(variable, "name", None) or getattr(variable, "path", "") or ""
            if self._exclude_pattern.search(str(name)) is not None:
                return False
        return True

    def _refresh_decay_views(self) -> None:
        """Precompute the contiguous runs of the value buffers that weight decay touches."""
        self._decay_views = []
        if self._layout is None:
            return
        for group in self._layout.groups:
            start = stop = None
            for segment in group.segments:
                if self._uses_weight_decay(segment.variable):
                    start = segment.start if start is None else start
                    stop = segment.stop
                elif start is not None:
                    self._decay_views.append(group.values[start:stop])
                    start = None
            if start is not None:
                self._decay_views.append(group.values[start:stop])

    # ------------------------------------------------------------------ state
    def _scalar_state(self) -> dict[str, float]:
        """Optimizer-wide state numbers (Nadam's ``u_product``), in Keras's order."""
        return {}

    def _set_scalar_state(self, name: str, value: float) -> None:
        raise KeyError(name)

    def _variable_targets(self) -> list[tuple[str, Any]]:
        targets: list[tuple[str, Any]] = [("iterations", None)]
        if type(self._learning_rate) is float:
            targets.append(("learning_rate", None))
        if self._layout is not None:
            for names in self._all_slot_groups():
                for segment in self._layout.segments:
                    targets.extend(("slot", segment.slot(name)) for name in names)
            targets.extend(("scalar", name) for name in self._scalar_state())
        return targets

    @property
    def variables(self) -> list[np.ndarray]:
        """``[iterations, learning_rate (if constant), state arrays..., scalars...]``.

        The state arrays are live views shaped like their variables, in Keras's
        order (``optimizer/vars/0``, ``1``, ... in a Keras weights file).
        """
        out: list[np.ndarray] = []
        scalars = self._scalar_state()
        for kind, ref in self._variable_targets():
            if kind == "iterations":
                out.append(np.array(self._iterations, dtype=np.int64))
            elif kind == "learning_rate":
                out.append(np.array(self._learning_rate, dtype=np.float64))
            elif kind == "slot":
                out.append(ref)
            else:
                out.append(np.array(scalars[ref], dtype=np.float64))
        return out

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Overwrite :attr:`variables` from a list of arrays in the same order.

        Raises
        ------
        ValueError
            If the optimizer is not built or the list does not match.
        """
        if self._layout is None:
            raise ValueError(
                f"{type(self).__name__}.set_weights: the optimizer has not been built yet. Call "
                "optimizer.build(model.trainable_weights) first."
            )
        targets = self._variable_targets()
        if len(weights) != len(targets):
            raise ValueError(
                f"{type(self).__name__}.set_weights: expected {len(targets)} arrays (see "
                f"optimizer.variables), received {len(weights)}."
            )
        for i, ((kind, ref), value) in enumerate(zip(targets, weights, strict=True)):
            value = np.asarray(value)
            if kind == "slot":
                if value.shape != ref.shape:
                    raise ValueError(
                        f"{type(self).__name__}.set_weights: array {i} has shape {value.shape}, "
                        f"expected {ref.shape}."
                    )
                np.copyto(ref, value, casting="unsafe")
            elif kind == "iterations":
                self._iterations = int(value)
            elif kind == "learning_rate":
                self._learning_rate = float(value)
            else:
                self._set_scalar_state(ref, float(value))

    def save_own_variables(self, store: dict[str, Any]) -> None:
        """Write :attr:`variables` into ``store`` under the keys ``"0"``, ``"1"``, ..."""
        for i, value in enumerate(self.variables):
            store[str(i)] = np.array(value)

    def load_own_variables(self, store: Mapping[str, Any]) -> None:
        """Read back what :meth:`save_own_variables` wrote (the optimizer must be built)."""
        self.set_weights([store[str(i)] for i in range(len(store))])

    def get_state(self) -> dict[str, np.ndarray]:
        """Everything needed to continue training bit-identically, as named arrays.

        Returns
        -------
        dict of str to ndarray
            ``"iterations"`` (int64), ``"learning_rate"`` (float64, only for a
            constant rate), one flat array per state slot and dtype
            (``"<slot>/<dtype>"``, e.g. ``"momentum/float32"``), and the
            optimizer-wide scalars (``"u_product"`` for Nadam). Copies.
        """
        state: dict[str, np.ndarray] = {"iterations": np.array(self._iterations, dtype=np.int64)}
        if type(self._learning_rate) is float:
            state["learning_rate"] = np.array(self._learning_rate, dtype=np.float64)
        if self._layout is not None:
            for group in self._layout.groups:
                for name, array in group.slots.items():
                    state[f"{name}/{group.dtype.name}"] = array.copy()
        for name, value in self._scalar_state().items():
            state[name] = np.array(value, dtype=np.float64)
        return state

    def set_state(self, state: Mapping[str, Any], trainable_variables: Any = None) -> None:
        """Restore what :meth:`get_state` returned.

        Parameters
        ----------
        state : mapping of str to array
        trainable_variables : list of Variable, optional
            Build on these first (needed if the optimizer is not built yet).

        Raises
        ------
        ValueError
            If the optimizer cannot be built, or a key is missing, unexpected or
            has the wrong size (a state saved by a differently configured optimizer).
        """
        owner = type(self).__name__
        if trainable_variables is not None:
            self.build(trainable_variables)
        if self._layout is None:
            raise ValueError(
                f"{owner}.set_state: the optimizer is not built. Pass "
                "trainable_variables=model.trainable_weights, or call optimizer.build first."
            )
        expected = self.get_state()
        unexpected = sorted(set(state) - set(expected) - {"learning_rate"})
        missing = sorted(set(expected) - set(state) - {"learning_rate"})
        if unexpected or missing:
            raise ValueError(
                f"{owner}.set_state: the state does not match this optimizer (missing keys "
                f"{missing}, unexpected keys {unexpected}). It was probably saved by an "
                "optimizer with other settings or other variables."
            )
        for key, reference in expected.items():
            if key in state and np.asarray(state[key]).shape != reference.shape:
                raise ValueError(
                    f"{owner}.set_state: '{key}' has shape {np.asarray(state[key]).shape}, "
                    f"expected {reference.shape}; the model's variables differ from those saved."
                )
        self._iterations = int(state["iterations"])
        if "learning_rate" in state and type(self._learning_rate) is float:
            self._learning_rate = float(state["learning_rate"])
        for group in self._layout.groups:
            for name, array in group.slots.items():
                np.copyto(array, np.asarray(state[f"{name}/{group.dtype.name}"]),
                          casting="unsafe")
        for name in self._scalar_state():
            self._set_scalar_state(name, float(state[name]))

    # ----------------------------------------------------------------- config
    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments (a schedule is serialised as a dict)."""
        lr = self._learning_rate
        if isinstance(lr, LearningRateSchedule):
            lr = schedules.serialize(lr)
        elif type(lr) is not float:
            lr = self._current_learning_rate()  # a plain callable cannot be serialised
        return {
            "name": self.name,
            "learning_rate": lr,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None
    ) -> Optimizer:
        """Create an optimizer from the output of :meth:`get_config` (without its state)."""
        config = dict(config)
        if isinstance(config.get("learning_rate"), Mapping):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"],
                                                            custom_objects)
        return cls(**config)

    def __repr__(self) -> str:
        return (f"<{type(self).__name__} name={self.name!r} "
                f"learning_rate={self._current_learning_rate()!r} iterations={self.iterations}>")


__all__ = ["Optimizer"]
