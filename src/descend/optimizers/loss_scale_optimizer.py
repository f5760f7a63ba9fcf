"""``LossScaleOptimizer``: dynamic loss scaling around another optimizer.

Low-precision gradients (float16) underflow to 0 for small losses. Scaling the
loss by a large factor before ``backward`` and dividing the gradients by it
before the update keeps them representable. The scale adapts: it halves (and
the step is skipped) whenever a gradient is not finite, and doubles after
``dynamic_growth_steps`` finite steps in a row.

Examples
--------
>>> import numpy as np
>>> from descend.autograd import Variable
>>> from descend.optimizers import SGD, LossScaleOptimizer
>>> w = Variable([1.0])
>>> optimizer = LossScaleOptimizer(SGD(learning_rate=0.1), initial_scale=8.0)
>>> optimizer.apply([np.array([8.0])], [w])  # a gradient of the loss scaled by 8
>>> w.numpy(), optimizer.dynamic_scale
(array([0.9], dtype=float32), 8.0)
>>> optimizer.apply([np.array([np.inf])], [w])  # skipped; the scale halves
>>> w.numpy(), optimizer.dynamic_scale, optimizer.iterations
(array([0.9], dtype=float32), 4.0, 1)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from descend import _distributed
from descend.optimizers._checks import check_int, check_real
from descend.optimizers.base import Optimizer

_BASE_DEFAULTS = {
    "weight_decay": None, "clipnorm": None, "global_clipnorm": None, "clipvalue": None,
    "use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None,
    "loss_scale_factor": None, "gradient_accumulation_steps": None,
}


def _finite_everywhere(finite: bool) -> bool:
    """Whether the gradients are finite on every process (data-parallel training decides
    together whether to skip the step, so that every process reduces the same steps)."""
    replicas = _distributed.replicas()
    if replicas is None:
        return finite
    return bool(replicas.allreduce(np.array([0.0 if finite else 1.0]))[0] == 0.0)


class LossScaleOptimizer(Optimizer):
    """Wrap ``inner_optimizer`` with a dynamic loss scale (Keras's rules).

    ``fit`` multiplies the loss by :attr:`dynamic_scale` (``scale_loss``); each
    step then checks the gradients: if all are finite they are divided by the
    scale and handed to the inner optimizer, and after ``dynamic_growth_steps``
    such steps in a row the scale doubles; otherwise the update is skipped and
    the scale halves.

    Parameters
    ----------
    inner_optimizer : Optimizer
        Does the actual update; its ``loss_scale_factor`` is cleared.
    initial_scale : float, default 32768.0
    dynamic_growth_steps : int, default 2000
    name : str, optional
    **kwargs
        The common optimizer arguments are not supported (set them on the inner
        optimizer); only their default values are accepted.

    Attributes
    ----------
    dynamic_scale : float
        The current loss scale.
    step_counter : int
        Finite steps since the scale last changed.

    Examples
    --------
    >>> from descend.optimizers import Adam
    >>> LossScaleOptimizer(Adam()).get_config()["initial_scale"]
    32768.0
    """

    _default_name = "loss_scale_optimizer"

    def __init__(self, inner_optimizer: Optimizer, initial_scale: float = 2.0**15,
                 dynamic_growth_steps: int = 2000, name: str | None = None,
                 **kwargs: Any) -> None:
        owner = type(self).__name__
        if not kwargs.pop("dynamic", True):
            raise ValueError(
                f"{owner} no longer supports `dynamic=False`. Instead, simply set "
                "`loss_scale_factor` directly on the `inner_optimizer`."
            )
        for arg, default in _BASE_DEFAULTS.items():
            if arg in kwargs and kwargs.pop(arg) != default:
                raise ValueError(f"{owner} does not support `{arg}`. Instead, set `{arg}` on "
                                 "the `inner_optimizer`.")
        if kwargs:
            raise ValueError(f"{owner} does not support arguments: `{'`, `'.join(kwargs)}`.")
        if not isinstance(inner_optimizer, Optimizer):
            raise TypeError(f"{owner}: inner_optimizer must be a descend optimizer, received "
                            f"{inner_optimizer!r}. Write e.g. {owner}(descend.optimizers.Adam()).")
        super().__init__(learning_rate=1.0, name=name)
        self.inner_optimizer = inner_optimizer
        self.initial_scale = check_real(owner, "initial_scale", initial_scale, low=0.0,
                                        low_open=True)
        self.dynamic_growth_steps = check_int(owner, "dynamic_growth_steps",
                                              dynamic_growth_steps, low=1)
        inner_optimizer.loss_scale_factor = None
        self.dynamic_scale = self.initial_scale
        self.step_counter = 0

    # ------------------------------------------------ delegated to the inner optimizer
    @property
    def _learning_rate(self) -> Any:
        inner = self.__dict__.get("inner_optimizer")
        return None if inner is None else inner._learning_rate

    @_learning_rate.setter
    def _learning_rate(self, value: Any) -> None:
        inner = self.__dict__.get("inner_optimizer")
        if inner is not None:  # the base constructor's placeholder is dropped
            inner._learning_rate = value

    def _current_learning_rate(self) -> float:
        return self.inner_optimizer._current_learning_rate()

    @property
    def loss_scale_factor(self) -> float | None:
        """The factor ``fit`` multiplies the loss by: :attr:`dynamic_scale`."""
        return self.__dict__.get("dynamic_scale")

    @loss_scale_factor.setter
    def loss_scale_factor(self, value: Any) -> None:
        pass  # the base constructor sets None; the scale is dynamic

    @property
    def iterations(self) -> int:
        """The inner optimizer's number of updates (skipped steps do not count)."""
        return self.inner_optimizer.iterations

    @iterations.setter
    def iterations(self, value: int) -> None:
        self.inner_optimizer.iterations = value

    @property
    def built(self) -> bool:
        return self.inner_optimizer.built

    @property
    def use_ema(self) -> bool:  # type: ignore[override]
        inner = self.__dict__.get("inner_optimizer")
        return False if inner is None else inner.use_ema

    @use_ema.setter
    def use_ema(self, value: Any) -> None:
        pass

    def build(self, variables: Iterable[Any]) -> None:
        """Build the inner optimizer on ``variables``."""
        self.inner_optimizer.build(variables)
        self._layout = self.inner_optimizer._layout

    def finalize_variable_values(self, var_list: Iterable[Any] | None = None) -> None:
        """Delegate to the inner optimizer (EMA weights)."""
        self.inner_optimizer.finalize_variable_values(var_list)

    def scale_loss(self, loss: Any) -> Any:
        """Return ``loss * dynamic_scale``."""
        return loss * self.dynamic_scale

    # ------------------------------------------------------------------- updates
    def _after_finite(self) -> None:
        if self.step_counter == self.dynamic_growth_steps - 1:
            self.step_counter = 0
            self.dynamic_scale *= 2.0
        else:
            self.step_counter += 1

    def _after_non_finite(self) -> None:
        self.step_counter = 0
        self.dynamic_scale *= 0.5

    def step(self, trainable_variables: Sequence[Any] | None = None) -> None:
        """Update from the (scaled) gradients ``backward`` left in each ``variable.grad``."""
        if trainable_variables is not None:
            self.build(trainable_variables)
        layout = self._require_layout("step")
        variables = [segment.variable for segment in layout.segments]
        grads = [v.grad for v in variables if v.grad is not None]
        if _finite_everywhere(all(np.all(np.isfinite(getattr(g, "data", g))) for g in grads)):
            for variable in variables:
                if variable.grad is not None:
                    grad = getattr(variable.grad, "data", variable.grad)
                    if isinstance(grad, np.ndarray) and grad.flags.writeable:
                        grad /= self.dynamic_scale
                    else:
                        variable.grad = np.asarray(grad) / self.dynamic_scale
            self.inner_optimizer.step()
            self._after_finite()
        else:
            for variable in variables:
                variable.grad = None
            self._after_non_finite()

    def apply(self, grads: Sequence[Any], trainable_variables: Sequence[Any] | None = None) -> None:
        """Apply (scaled) gradients given as arrays; see :meth:`Optimizer.apply`."""
        grads = list(grads)
        arrays = [None if g is None else np.asarray(getattr(g, "data", g)) for g in grads]
        if trainable_variables is not None and not self.built:
            self.build(trainable_variables)
        if _finite_everywhere(all(np.all(np.isfinite(a)) for a in arrays if a is not None)):
            self.inner_optimizer.apply(
                [None if a is None else a / self.dynamic_scale for a in arrays],
                trainable_variables)
            self._layout = self.inner_optimizer._layout
            self._after_finite()
        else:
            self._after_non_finite()

    # --------------------------------------------------------------------- state
    @property
    def variables(self) -> list[np.ndarray]:
        """``[step_counter, dynamic_scale]`` followed by the inner optimizer's variables."""
        return [np.array(self.step_counter, dtype=np.int64),
                np.array(self.dynamic_scale, dtype=np.float32), *self.inner_optimizer.variables]

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Overwrite :attr:`variables` from a list of arrays in the same order."""
        weights = list(weights)
        if len(weights) < 2:
            raise ValueError(f"{type(self).__name__}.set_weights: expected the step counter, "
                             f"the scale and the inner optimizer's arrays, received "
                             f"{len(weights)} arrays.")
        self.step_counter = int(np.asarray(weights[0]))
        self.dynamic_scale = float(np.asarray(weights[1]))
        self.inner_optimizer.set_weights(weights[2:])

    def get_state(self) -> dict[str, np.ndarray]:
        """The inner optimizer's state plus ``step_counter`` and ``dynamic_scale``."""
        state = self.inner_optimizer.get_state()
        state["step_counter"] = np.array(self.step_counter, dtype=np.int64)
        state["dynamic_scale"] = np.array(self.dynamic_scale, dtype=np.float64)
        return state

    def set_state(self, state: Mapping[str, Any], trainable_variables: Any = None) -> None:
        """Restore what :meth:`get_state` returned."""
        state = dict(state)
        for key in ("step_counter", "dynamic_scale"):
            if key not in state:
                raise ValueError(f"{type(self).__name__}.set_state: the state has no '{key}' "
                                 "entry; it was not saved by a LossScaleOptimizer.")
        self.step_counter = int(np.asarray(state.pop("step_counter")))
        self.dynamic_scale = float(np.asarray(state.pop("dynamic_scale")))
        self.inner_optimizer.set_state(state, trainable_variables)
        self._layout = self.inner_optimizer._layout

    # -------------------------------------------------------------------- config
    def get_config(self) -> dict[str, Any]:
        """``name``, the serialised ``inner_optimizer``, ``initial_scale`` and
        ``dynamic_growth_steps``."""
        from descend.optimizers.serialization import serialize

        return {"name": self.name, "inner_optimizer": serialize(self.inner_optimizer),
                "initial_scale": self.initial_scale,
                "dynamic_growth_steps": self.dynamic_growth_steps}

    @classmethod
    def from_config(cls, config: Mapping[str, Any],
                    custom_objects: Mapping[str, Any] | None = None) -> LossScaleOptimizer:
        """Create the wrapper and its inner optimizer from :meth:`get_config` output."""
        from descend.optimizers.serialization import deserialize

        config = dict(config)
        inner = config.pop("inner_optimizer", None)
        if not isinstance(inner, Mapping):
            raise ValueError(f"{cls.__name__}.from_config: expected 'inner_optimizer' to be a "
                             f"serialised optimizer, received {inner!r}.")
        return cls(deserialize(inner, custom_objects), **config)

    def __repr__(self) -> str:
        return (f"<{type(self).__name__} name={self.name!r} inner={self.inner_optimizer!r} "
                f"dynamic_scale={self.dynamic_scale!r}>")
