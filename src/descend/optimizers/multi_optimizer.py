"""``MultiOptimizer`` and ``OptimizerMap``: a different optimizer for each group of variables.

Examples
--------
>>> import numpy as np
>>> from descend.autograd import Variable
>>> from descend.optimizers import SGD, Adam, MultiOptimizer, OptimizerMap
>>> kernel, bias = Variable([1.0], name="kernel"), Variable([1.0], name="bias")
>>> kernel.path, bias.path = "dense/kernel", "dense/bias"
>>> optimizer = MultiOptimizer(OptimizerMap(SGD(learning_rate=0.5), {".*bias": Adam(0.1)}))
>>> optimizer.apply([np.array([1.0]), np.array([1.0])], [kernel, bias])
>>> kernel.numpy(), bias.numpy().round(4)  # SGD step for the kernel, Adam step for the bias
(array([0.5], dtype=float32), array([0.9], dtype=float32))
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, MutableMapping, Sequence
from typing import Any

import numpy as np

from descend.optimizers._checks import check_optional_positive
from descend.optimizers.base import Optimizer
from descend.optimizers.loss_scale_optimizer import LossScaleOptimizer


def _check_inner(optimizer: Any, where: str) -> Optimizer:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{where}: expected a descend Optimizer instance, received {optimizer!r}.")
    if isinstance(optimizer, LossScaleOptimizer):
        raise ValueError(f"{where}: a LossScaleOptimizer cannot be used inside a MultiOptimizer.")
    if isinstance(optimizer, MultiOptimizer):
        raise ValueError(f"{where}: a MultiOptimizer cannot be used inside a MultiOptimizer.")
    return optimizer


class OptimizerMap(MutableMapping):
    """Map variable paths to optimizers, with a default for the others.

    Keys are regular expressions matched against the whole ``variable.path``
    (``re.fullmatch``); an exact key wins, two matching patterns are an error.

    Parameters
    ----------
    default_optimizer : Optimizer
    optimizer_map : dict of str to Optimizer, optional

    Examples
    --------
    >>> from descend.optimizers import SGD, Adam
    >>> mapping = OptimizerMap(SGD(), {"encoder/.*": Adam()})
    >>> type(mapping["encoder/dense/kernel"]).__name__, type(mapping["head/kernel"]).__name__
    ('Adam', 'SGD')
    """

    def __init__(self, default_optimizer: Optimizer,
                 optimizer_map: Mapping[str, Optimizer] | None = None) -> None:
        if not isinstance(default_optimizer, Optimizer):
            raise TypeError("OptimizerMap: default_optimizer must be a descend Optimizer "
                            f"instance. Received: {default_optimizer!r}")
        if optimizer_map is not None and not isinstance(optimizer_map, Mapping):
            raise TypeError(f"OptimizerMap: optimizer_map must be a dictionary. Received: "
                            f"{optimizer_map!r}")
        self._default_optimizer = default_optimizer
        self._optimizer_map: dict[str, Optimizer] = {}
        for key, optimizer in (optimizer_map or {}).items():
            self[key] = optimizer

    @property
    def default_optimizer(self) -> Optimizer:
        """The optimizer of the variables no key matches."""
        return self._default_optimizer

    def __getitem__(self, key: str) -> Optimizer:
        if key in self._optimizer_map:
            return self._optimizer_map[key]
        matching = [pattern for pattern in self._optimizer_map if re.fullmatch(pattern, key)]
        if len(matching) > 1:
            raise ValueError(f"OptimizerMap: multiple optimizers assigned to variable {key!r} "
                             f"(patterns {matching}).")
        if matching:
            return self._optimizer_map[matching[0]]
        return self._default_optimizer

    def __setitem__(self, key: str, optimizer: Optimizer) -> None:
        if not isinstance(key, str):
            raise ValueError(f"OptimizerMap: key must be a string. Received: {key!r}")
        if key in self._optimizer_map:
            raise ValueError(f"OptimizerMap: '{key}' already exists in the OptimizerMap with "
                             f"value {self._optimizer_map[key]!r}. Do not use duplicated keys.")
        self._optimizer_map[key] = _check_inner(optimizer, f"OptimizerMap[{key!r}]")

    def __delitem__(self, key: str) -> None:
        del self._optimizer_map[key]

    def __len__(self) -> int:
        return len(self._optimizer_map)

    def __iter__(self) -> Iterator[str]:
        return iter(self._optimizer_map)

    def __call__(self, variable: Any) -> Optimizer:
        """The optimizer of ``variable`` (looked up by its path, else its name)."""
        path = getattr(variable, "path", None) or getattr(variable, "name", None) or ""
        return self[str(path)]

    def get_config(self) -> dict[str, Any]:
        from descend.optimizers.serialization import serialize

        return {"default_optimizer": serialize(self._default_optimizer),
                "optimizer_map": {k: serialize(v) for k, v in self._optimizer_map.items()}}

    @classmethod
    def from_config(cls, config: Mapping[str, Any],
                    custom_objects: Mapping[str, Any] | None = None) -> OptimizerMap:
        from descend.optimizers.serialization import deserialize

        mapping = {k: deserialize(v, custom_objects)
                   for k, v in (config.get("optimizer_map") or {}).items()}
        return cls(deserialize(config["default_optimizer"], custom_objects), mapping)


class MultiOptimizer(Optimizer):
    """Train each variable with the optimizer ``optimizer_map(variable)`` chooses.

    Each inner optimizer keeps its own flat buffers, state and iteration count;
    the MultiOptimizer counts its own updates. It has no learning rate of its
    own (reading or setting ``learning_rate`` raises ``AttributeError``, as in
    Keras): schedule the inner optimizers instead.

    Parameters
    ----------
    optimizer_map : OptimizerMap or callable
        ``variable -> Optimizer``; an object with ``values()`` (and
        ``default_optimizer``) lists the inner optimizers up front.
    loss_scale_factor : float, optional
        Passed on to every inner optimizer.
    name : str, default "multi_optimizer"

    Examples
    --------
    >>> from descend.optimizers import SGD
    >>> MultiOptimizer(OptimizerMap(SGD())).get_config()["loss_scale_factor"] is None
    True
    """

    _default_name = "multi_optimizer"

    def __init__(self, optimizer_map: Any, loss_scale_factor: float | None = None,
                 name: str | None = None) -> None:
        if not callable(optimizer_map):
            raise TypeError("MultiOptimizer: optimizer_map must be an OptimizerMap (or a "
                            f"function variable -> optimizer), received {optimizer_map!r}.")
        self._inner_optimizers: list[Optimizer] = []
        super().__init__(learning_rate=1.0, name=name)
        self._optimizer_map = optimizer_map
        if hasattr(optimizer_map, "values"):
            for optimizer in optimizer_map.values():
                self._add_inner(optimizer)
        default = getattr(optimizer_map, "default_optimizer", None)
        if default is not None:
            self._add_inner(default)
        self.loss_scale_factor = check_optional_positive(
            "MultiOptimizer", "loss_scale_factor", loss_scale_factor)
        self._assignment: list[tuple[Any, int]] = []

    def _add_inner(self, optimizer: Any) -> int:
        optimizer = _check_inner(optimizer, "MultiOptimizer")
        for i, known in enumerate(self._inner_optimizers):
            if known is optimizer:
                return i
        optimizer.loss_scale_factor = self.__dict__.get("_loss_scale_factor")
        self._inner_optimizers.append(optimizer)
        return len(self._inner_optimizers) - 1

    @property
    def optimizers(self) -> list[Optimizer]:
        """The inner optimizers."""
        return list(self._inner_optimizers)

    @property
    def loss_scale_factor(self) -> float | None:
        return self.__dict__.get("_loss_scale_factor")

    @loss_scale_factor.setter
    def loss_scale_factor(self, value: Any) -> None:
        self._loss_scale_factor = value
        for optimizer in self.__dict__.get("_inner_optimizers", ()):
            optimizer.loss_scale_factor = value

    @property
    def learning_rate(self) -> float:  # type: ignore[override]
        raise AttributeError("Learning rate cannot be accessed on a MultiOptimizer. Access the "
                             "learning rate on the individual sub-optimizers instead.")

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        raise AttributeError("Learning rate cannot be set on a MultiOptimizer. Set the learning "
                             "rate on the individual sub-optimizers instead.")

    @property
    def built(self) -> bool:
        return bool(self._assignment)

    # ------------------------------------------------------------------- build
    def build(self, variables: Iterable[Any]) -> None:
        """Give each inner optimizer its variables and build it on them."""
        variables = list(variables)
        if self._assignment and len(variables) == len(self._assignment) and all(
                v is known for v, (known, _) in zip(variables, self._assignment, strict=True)):
            return
        assignment = [(v, self._add_inner(self._optimizer_map(v))) for v in variables]
        groups: list[list[Any]] = [[] for _ in self._inner_optimizers]
        for variable, index in assignment:
            groups[index].append(variable)
        for optimizer, group in zip(self._inner_optimizers, groups, strict=True):
            if group:
                optimizer.build(group)
        self._assignment = assignment

    def _groups(self) -> list[tuple[Optimizer, list[Any]]]:
        groups: list[list[Any]] = [[] for _ in self._inner_optimizers]
        for variable, index in self._assignment:
            groups[index].append(variable)
        return [(o, g) for o, g in zip(self._inner_optimizers, groups, strict=True) if g]

    # ----------------------------------------------------------------- updates
    def step(self, trainable_variables: Sequence[Any] | None = None) -> None:
        """Let every inner optimizer step on the gradients left in its variables."""
        if trainable_variables is not None:
            self.build(trainable_variables)
        if not self._assignment:
            raise ValueError("MultiOptimizer.step: the optimizer must be built on a list of "
                             "variables first. Call optimizer.build(model.trainable_weights).")
        if all(v.grad is None for v, _ in self._assignment):
            raise ValueError("No gradients provided for any variable. Check that the loss "
                             "depends on the model's weights and that backward() was called "
                             "before step().")
        for optimizer, group in self._groups():
            if any(v.grad is not None for v in group):
                optimizer.step()
        self._iterations += 1

    def apply(self, grads: Sequence[Any], trainable_variables: Sequence[Any] | None = None) -> None:
        """Apply gradients given as arrays, each inner optimizer to its own variables."""
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self._assignment:
                raise ValueError("MultiOptimizer.apply: when passing `grads` without "
                                 "`variables`, the optimizer must already be built.")
            trainable_variables = [v for v, _ in self._assignment]
        elif not self._assignment:
            self.build(trainable_variables)
        if len(grads) != len(trainable_variables):
            raise ValueError(f"MultiOptimizer.apply: gradients must match trainable variables "
                             f"one-to-one. Received {len(grads)} gradients and "
                             f"{len(trainable_variables)} variables.")
        index = {id(v): i for v, i in self._assignment}
        parts: list[tuple[list[Any], list[Any]]] = [([], []) for _ in self._inner_optimizers]
        for grad, variable in zip(grads, trainable_variables, strict=True):
            if id(variable) not in index:
                raise ValueError(f"Unknown variable: {variable!r}. This optimizer can only be "
                                 "called for the variables it was built with.")
            parts[index[id(variable)]][0].append(grad)
            parts[index[id(variable)]][1].append(variable)
        for optimizer, (sub_grads, sub_vars) in zip(self._inner_optimizers, parts, strict=True):
            if sub_vars and any(g is not None for g in sub_grads):
                optimizer.apply(sub_grads, sub_vars)
        self._iterations += 1

    def finalize_variable_values(self, var_list: Iterable[Any] | None = None) -> None:
        """Each inner optimizer finalises (EMA) its own variables."""
        wanted = None if var_list is None else {id(v) for v in var_list}
        for optimizer, group in self._groups():
            chosen = [v for v in group if wanted is None or id(v) in wanted]
            if chosen:
                optimizer.finalize_variable_values(chosen)

    # ------------------------------------------------------------------- state
    @property
    def variables(self) -> list[np.ndarray]:
        """``[iterations]`` followed by every inner optimizer's variables."""
        out = [np.array(self._iterations, dtype=np.int64)]
        for optimizer in self._inner_optimizers:
            if optimizer.built:
                out.extend(optimizer.variables)
        return out

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Overwrite :attr:`variables` from a list of arrays in the same order."""
        weights = list(weights)
        self._iterations = int(np.asarray(weights[0]))
        position = 1
        for optimizer in self._inner_optimizers:
            if optimizer.built:
                count = len(optimizer.variables)
                optimizer.set_weights(weights[position:position + count])
                position += count

    def get_state(self) -> dict[str, np.ndarray]:
        """``iterations`` and each inner optimizer's state under ``optimizer_<i>/``."""
        state = {"iterations": np.array(self._iterations, dtype=np.int64)}
        for i, optimizer in enumerate(self._inner_optimizers):
            if optimizer.built:
                for key, value in optimizer.get_state().items():
                    state[f"optimizer_{i}/{key}"] = value
        return state

    def set_state(self, state: Mapping[str, Any], trainable_variables: Any = None) -> None:
        """Restore what :meth:`get_state` returned."""
        if trainable_variables is not None:
            self.build(trainable_variables)
        if not self._assignment:
            raise ValueError("MultiOptimizer.set_state: the optimizer is not built. Pass "
                             "trainable_variables=model.trainable_weights.")
        self._iterations = int(np.asarray(state["iterations"]))
        for i, optimizer in enumerate(self._inner_optimizers):
            prefix = f"optimizer_{i}/"
            part = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
            if optimizer.built:
                if not part:
                    raise ValueError(f"MultiOptimizer.set_state: no state saved for inner "
                                     f"optimizer {i} ({type(optimizer).__name__}).")
                optimizer.set_state(part)

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict[str, Any]:
        mapping = self._optimizer_map
        if not isinstance(mapping, OptimizerMap):
            raise ValueError("MultiOptimizer.get_config: only an OptimizerMap can be saved, not "
                             f"{mapping!r}.")
        return {"optimizer_map": {"module": "keras.optimizers", "class_name": "OptimizerMap",
                                  "config": mapping.get_config(), "registered_name": None},
                "loss_scale_factor": self.loss_scale_factor, "name": self.name}

    @classmethod
    def from_config(cls, config: Mapping[str, Any],
                    custom_objects: Mapping[str, Any] | None = None) -> MultiOptimizer:
        config = dict(config)
        spec = config.pop("optimizer_map", None)
        if not isinstance(spec, Mapping) or spec.get("class_name") != "OptimizerMap":
            raise ValueError("MultiOptimizer.from_config: expected 'optimizer_map' to be a "
                             f"serialised OptimizerMap, received {spec!r}.")
        return cls(OptimizerMap.from_config(spec["config"], custom_objects), **config)

    def __repr__(self) -> str:
        inner = ", ".join(type(o).__name__ for o in self._inner_optimizers)
        return f"<MultiOptimizer name={self.name!r} optimizers=[{inner}]>"
