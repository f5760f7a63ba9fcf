"""A model's execution plan: how its layer calls run, decided once and cached.

Sequential and functional models describe their computation as a list of
:class:`Node` s, layer calls reading and writing numbered slots (a Sequential
model is the chain ``slot i -> layer i -> slot i + 1``). :class:`ExecutionPlan`
turns them into steps once, when the model first runs after it was built,
compiled or changed, and the model keeps it until something it depends on
changes: the model's layers (``Sequential.add``/``pop``), a layer's
``trainable`` flag, a forward hook added or removed anywhere, or
:func:`descend.config.set_fusion`.

Layer by layer through each layer's ``call`` is always correct: that is the
reference path, and the only one with fusion off. With fusion on, the plan
uses what layers say about themselves (:meth:`~descend.layers.Layer.fusion_spec`,
see :mod:`descend.layers.fusion`) for rewrites that give the same numbers
with less work:

* **A chain of dense layers** (two or more, each feeding only the next) runs
  as one :class:`~descend.autograd.ops.nn.DenseStack` node: the same
  operations, with the engine's per-node work paid once.
* **A convolution with ReLU followed by max pooling** runs as convolution
  without activation, then pooling, then ReLU: ``relu(maxpool(z))`` equals
  ``maxpool(relu(z))`` value for value (ReLU never reorders), and so do the
  gradients: where the window's maximum is positive it is the same first
  maximum either way, and where it is not, both give zero. The ReLU then runs
  on the pooled tensor, a quarter of the convolution's output for 2x2 pooling.
* **Inference on plain arrays** (``predict``): dense layers compute on NumPy
  arrays without creating Tensors or graph nodes; other layers run their
  ``call`` under ``no_grad``.
* **Training on plain arrays**: a model that is one dense chain, with a
  built-in loss that names its engine primitive (``loss.fusion_spec()``),
  trains through the same kernels without recording a graph
  (:meth:`ExecutionPlan.array_train_step`, :mod:`descend.models.array_step`).

A layer with forward hooks (:mod:`descend.layers.hooks`) is never fused with
its neighbours and always runs through its ``call``, so its hooks see its own
inputs and outputs on every path. Models with layers that read or write masks
infer through the graph path (masks travel with Tensors).

Examples
--------
>>> import descend
>>> from descend import layers
>>> model = descend.Sequential([layers.Input((3,)), layers.Dense(4, "relu", name="hidden"),
...                             layers.Dense(2, "softmax", name="probabilities")])
>>> previous = descend.config.fusion()
>>> descend.config.set_fusion(True)
>>> model._execution_plan()
ExecutionPlan(fused=True, steps=[DenseChain(hidden, probabilities)])
>>> descend.config.set_fusion(False)
>>> model._execution_plan()
ExecutionPlan(fused=False, steps=[Call(hidden), Call(probabilities)])
>>> descend.config.set_fusion(previous)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from descend import config
from descend.autograd import Tensor, ops
from descend.autograd.ops._fused_activation import activate_
from descend.autograd.ops.nn import dense_forward
from descend.layers import _masks, hooks
from descend.layers._templates import _fill
from descend.models.array_step import ArrayTrainStep

__all__ = ["ExecutionPlan", "Node", "PlannedModel"]


class Node:
    """One layer call of a model: which slots it reads and which it writes.

    Parameters
    ----------
    layer : Layer
    inputs : list of int
        The slots holding its inputs.
    many : bool
        Whether ``call`` receives the list of inputs (else the single one).
    outputs : list of (int, int)
        ``(index in the layer's outputs, slot)`` for each output used.
    kwargs : dict, optional
        Keyword arguments of the recorded call.
    template : tuple, optional
        ``(args, kwargs)`` with slots, for calls that take tensors in several
        arguments (:mod:`descend.layers._templates`).
    """

    __slots__ = ("layer", "inputs", "many", "outputs", "kwargs", "template")

    def __init__(self, layer: Any, inputs: list[int], many: bool, outputs: list[tuple[int, int]],
                 kwargs: dict | None = None, template: Any = None) -> None:
        self.layer, self.inputs, self.many, self.outputs = layer, inputs, many, outputs
        self.kwargs, self.template = kwargs or {}, template


def _is_model(layer: Any) -> bool:
    from descend.models.model import Model

    return isinstance(layer, Model)


def _tensor(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return Tensor._make(value, False, None)
    if isinstance(value, (list, tuple)):
        return [_tensor(v) for v in value]
    return value


def _array(value: Any) -> Any:
    if isinstance(value, Tensor):
        return value.data
    if isinstance(value, (list, tuple)):
        return [_array(v) for v in value]
    return value


def _flat(out: Any) -> list[Any]:
    """Nested outputs (``StackedRNNCells`` states per cell) in flat order, as numbered."""
    flat: list[Any] = []
    for item in out:
        flat.extend(_flat(item) if isinstance(item, (list, tuple)) else [item])
    return flat


def _store(values: list[Any], outputs: list[tuple[int, int]], out: Any) -> None:
    if isinstance(out, (list, tuple)):
        if any(isinstance(o, (list, tuple)) for o in out):
            out = _flat(out)
        for index, slot in outputs:
            values[slot] = out[index]
    else:
        values[outputs[0][1]] = out


def _fixed_training(training: bool, kwargs: dict) -> tuple[bool, dict]:
    """A ``training=`` given when the layer was called on symbolic tensors wins (Keras:
    ``Dropout(0.5)(x, training=True)`` stays active in ``predict``); ``None`` defers."""
    if "training" not in kwargs:
        return training, kwargs
    kwargs = dict(kwargs)
    fixed = kwargs.pop("training")
    return (training if fixed is None else bool(fixed)), kwargs


class _Call:
    """A layer call through the layer's own ``call`` (or a nested model's own plan)."""

    __slots__ = ("node", "model", "dense")

    @property
    def pure(self) -> bool:
        """Whether :meth:`infer` computes on arrays alone (a plain dense layer)."""
        return self.dense is not None

    def __init__(self, node: Node, arrays: bool) -> None:
        layer = node.layer
        self.node = node
        # a nested model runs its own plan unless it is hooked (then its call fires the hooks)
        self.model = _is_model(layer) and layer._hooks is None and node.template is None
        spec = layer.fusion_spec() if arrays and layer._hooks is None else None
        self.dense = None
        if spec is not None and spec.op == "dense" and node.template is None and not node.kwargs:
            self.dense = (layer, layer.kernel, layer.bias, spec.activation)

    def __repr__(self) -> str:
        return f"Call({self.node.layer.name})"

    def run(self, values: list[Any], training: bool, checked: bool) -> None:
        node = self.node
        layer, args = node.layer, [values[s] for s in node.inputs]
        if node.template is not None:  # tensors in several arguments: fill the call's slots
            call_args, kwargs = _fill(node.template[0], args), _fill(node.template[1], args)
            training, kwargs = _fixed_training(training, kwargs)
            out = layer._invoke(call_args[0], training, *call_args[1:], **kwargs)
        elif self.model:
            if checked:
                layer._ensure_built([a.data for a in args])
            out = layer._forward(args, training)
        else:
            arg = args if node.many else args[0]
            if checked:
                layer._check_input(arg)
            training, kwargs = _fixed_training(training, node.kwargs)
            out = layer._invoke(arg, training, **kwargs)
        _store(values, node.outputs, out)

    def infer(self, values: list[Any]) -> None:
        node = self.node
        if self.dense is not None:
            layer, kernel, bias, activation = self.dense
            x = values[node.inputs[0]]
            if x.ndim < 2 or x.shape[-1] != kernel.shape[0]:
                layer._check_input(x)
            values[node.outputs[0][1]] = dense_forward(
                x, kernel.data, None if bias is None else bias.data, activation)
        elif self.model:
            _store(values, node.outputs, node.layer._infer_arrays(
                [values[s] for s in node.inputs]))
        else:  # the layer's call on Tensors (the caller holds no_grad), arrays back
            saved = [(s, values[s]) for s in node.inputs]
            for s, value in saved:
                values[s] = _tensor(value)
            try:
                self.run(values, False, True)
            finally:
                for s, value in saved:
                    values[s] = value
            for _, slot in node.outputs:
                values[slot] = _array(values[slot])


class _DenseChain:
    """Consecutive dense layers, each feeding only the next: one ``DenseStack`` node."""

    __slots__ = ("layers", "params", "source", "target")
    pure = True  # infer computes on arrays alone

    def __init__(self, nodes: list[Node]) -> None:
        self.layers = [node.layer for node in nodes]
        self.params = [(layer.kernel, layer.bias, layer.fusion_spec().activation)
                       for layer in self.layers]
        self.source, self.target = nodes[0].inputs[0], nodes[-1].outputs[0][1]

    def __repr__(self) -> str:
        return f"DenseChain({', '.join(layer.name for layer in self.layers)})"

    def run(self, values: list[Any], training: bool, checked: bool) -> None:
        x = values[self.source]
        if x.ndim < 2 or x.shape[-1] != self.params[0][0].shape[0]:
            self.layers[0]._check_input(x)
        mask = _masks.get_mask(x)
        out = ops.dense_stack(x, self.params)
        if mask is not None:  # Dense passes a mask through (supports_masking)
            _masks.set_mask(out, mask)
        values[self.target] = out

    def infer(self, values: list[Any]) -> None:
        values[self.target] = self.apply(values[self.source])

    def apply(self, x: np.ndarray, check: bool = True, screen: bool = False
              ) -> np.ndarray | None:
        """The chain on an array. Only the first layer's input needs a check (``check``):
        each other layer reads the output of the one before it, which it was built for.

        With ``screen``, None when ``x`` may hold NaN or infinity (the caller checks ``x``
        itself then). Such a value makes every entry of its row of ``x @ kernel + bias``
        NaN or infinite (a product with it is NaN or infinite, even with a zero weight,
        and no sum turns that finite again), so one entry per row tells: where they are
        all finite, so is ``x``. Overflow or non-finite weights may give a false alarm.
        """
        if check and (x.ndim < 2 or x.shape[-1] != self.params[0][0].shape[0]):
            self.layers[0]._check_input(x)
        params = self.params
        if screen:
            kernel, bias, activation = params[0]
            z = dense_forward(x, kernel.data, None if bias is None else bias.data, "linear")
            if not (math.isfinite(z.item(0)) if z.shape[0] == 1 and z.ndim == 2 else
                    np.isfinite(z[..., 0]).all()):
                return None
            x = activate_(z, activation)
            params = params[1:]
        for kernel, bias, activation in params:
            x = dense_forward(x, kernel.data, None if bias is None else bias.data, activation)
        return x


class _ConvReluPool:
    """A ReLU convolution then max pooling, run as convolution, pooling, ReLU."""

    __slots__ = ("conv", "pool", "source", "target")
    pure = False  # infer runs the layers on Tensors (under the caller's no_grad)

    def __init__(self, conv: Node, pool: Node) -> None:
        self.conv, self.pool = conv.layer, pool.layer
        self.source, self.target = conv.inputs[0], pool.outputs[0][1]

    def __repr__(self) -> str:
        return f"ConvReluPool({self.conv.name}, {self.pool.name})"

    def run(self, values: list[Any], training: bool, checked: bool) -> None:
        x = values[self.source]
        if checked:
            self.conv._check_input(x)
        z = self.conv.convolve(x, "linear")
        if checked:
            self.pool._check_input(z)
        values[self.target] = ops.relu(self.pool.call(z))

    def infer(self, values: list[Any]) -> None:
        saved = values[self.source]
        values[self.source] = Tensor._make(saved, False, None)
        try:
            self.run(values, False, True)
        finally:
            values[self.source] = saved
        values[self.target] = values[self.target].data


class ExecutionPlan:
    """The steps that run a model's nodes, with the rewrites described above.

    Parameters
    ----------
    nodes : list of Node
        In an order where each node comes after the nodes that fill its inputs.
    n_inputs : int
        Slots ``0 .. n_inputs - 1`` hold the model's inputs.
    n_slots : int
    output_slots : list of int
        The slots holding the model's outputs, in order.
    key : object, optional
        What the owner compares to decide whether the plan still fits it.

    Attributes
    ----------
    fused : bool
        ``descend.config.fusion()`` when the plan was made.
    steps : list
        What runs, in order (``repr`` shows them).
    pure : bool
        Whether :meth:`infer` computes on NumPy arrays alone, creating no Tensor
        (dense layers only): it then needs no ``no_grad`` around it.
    """

    def __init__(self, nodes: list[Node], n_inputs: int, n_slots: int,
                 output_slots: list[int], key: Any = None) -> None:
        self.fused = config.fusion()
        self.generation = hooks.generation()
        self.key = key
        self.n_inputs, self.n_slots, self.output_slots = n_inputs, n_slots, output_slots
        # the array path: with fusion on, unless masks must travel with Tensors
        self.arrays = self.fused and not any(_masks.makes_or_reads_masks(n.layer)
                                                   for n in nodes)
        self.steps = self._cut(nodes) if self.fused else [_Call(n, False) for n in nodes]
        self.pure = self.arrays and all(step.pure for step in self.steps)
        only = self.steps[0] if len(self.steps) == 1 else None
        # the whole model one chain of dense layers from its input to its output (an MLP)
        self._chain = only if isinstance(only, _DenseChain) and n_inputs == 1 and \
            only.source == 0 and output_slots == [only.target] else None
        self._training: tuple | None = None  # (loss, optimizer, its loss, array step or None)

    def __repr__(self) -> str:
        return f"ExecutionPlan(fused={self.fused}, steps={self.steps})"

    def current(self, key: Any = None) -> bool:
        """Whether the plan still fits: no hook, switch or ``key`` changed since it was made."""
        return (self.generation == hooks._GENERATION and self.fused == config._FUSION
                and self.key == key)

    # ------------------------------------------------------------ planning
    def _cut(self, nodes: list[Node]) -> list[Any]:
        readers: dict[int, list[int]] = {}  # slot -> the nodes reading it
        for i, node in enumerate(nodes):
            for slot in node.inputs:
                readers.setdefault(slot, []).append(i)
        outputs = set(self.output_slots)

        def spec(node: Node) -> Any:
            layer = node.layer
            if layer._hooks is not None or node.many or node.template is not None or \
                    node.kwargs or len(node.outputs) != 1 or len(node.inputs) != 1:
                return None
            return layer.fusion_spec()

        def only_reader(node: Node) -> int | None:
            """The index of the one node reading ``node``'s output (not a model output)."""
            slot = node.outputs[0][1]
            found = readers.get(slot, ())
            return found[0] if len(found) == 1 and slot not in outputs else None

        specs = [spec(node) for node in nodes]
        done: set[int] = set()
        steps: list[Any] = []
        for i, node in enumerate(nodes):
            if i in done:
                continue
            kind = specs[i].op if specs[i] is not None else None
            if kind == "dense":
                chain, members = [i], {id(node.layer)}
                j = only_reader(node)
                while j is not None and specs[j] is not None and specs[j].op == "dense" \
                        and id(nodes[j].layer) not in members:  # a shared layer: once per node
                    chain.append(j)
                    members.add(id(nodes[j].layer))
                    j = only_reader(nodes[j])
                if len(chain) >= 2:
                    done.update(chain)
                    steps.append(_DenseChain([nodes[k] for k in chain]))
                    continue
            if kind == "conv" and specs[i].activation == "relu":
                j = only_reader(node)
                if j is not None and specs[j] is not None and specs[j].op == "max_pool" and \
                        nodes[j].layer.rank == node.layer.rank:
                    done.update((i, j))
                    steps.append(_ConvReluPool(node, nodes[j]))
                    continue
            steps.append(_Call(node, self.arrays))
        return steps

    # ------------------------------------------------------------- running
    def forward(self, xs: list[Any], training: bool, checked: bool = False) -> list[Tensor]:
        """The outputs as Tensors (the graph path: ``fit``, ``evaluate``, direct calls).

        Parameters
        ----------
        xs : list of Tensor or ndarray
            One per model input.
        training : bool
        checked : bool, default False
            Check each layer's input before it runs (the model's input was checked).
        """
        values: list[Any] = [None] * self.n_slots
        for i, x in enumerate(xs):
            values[i] = x if isinstance(x, Tensor) else Tensor._make(x, False, None)
        for step in self.steps:
            step.run(values, training, checked)
        return [values[s] for s in self.output_slots]

    def array_train_step(self, compiled_loss: Any, optimizer: Any) -> ArrayTrainStep | None:
        """A training step on plain arrays (:mod:`descend.models.array_step`), or None.

        Offered when the plan is exactly one chain of fused dense layers (a
        ``DenseChain``, or one fused ``Dense`` layer) from the model's one input to
        its one output, and ``compiled_loss`` is built with one loss of weight 1
        that describes itself with a fused primitive (``loss.fusion_spec()``,
        :mod:`descend.losses.fusion`), and ``optimizer`` has no loss scaling. Made
        once per loss and optimizer, kept with the plan. The trainer asks only for
        steps that add nothing to the loss and its update (no sample weights,
        regularizers, ``add_loss``, constraints; see ``Trainer.make_train_function``).
        """
        cached = self._training
        if cached is not None and cached[0] is compiled_loss and cached[1] is optimizer and \
                cached[2] is compiled_loss.losses[0]:
            return cached[3]
        step = self._make_array_train_step(compiled_loss, optimizer)
        self._training = (compiled_loss, optimizer,
                          compiled_loss.losses[0] if compiled_loss.losses else None, step)
        return step

    def _make_array_train_step(self, compiled_loss: Any, optimizer: Any) -> Any:
        if not self.arrays:
            return None
        only = self.steps[0] if len(self.steps) == 1 else None
        if self._chain is not None:  # the whole model one dense chain
            params = self._chain.params
        elif isinstance(only, _Call) and only.dense is not None and self.n_inputs == 1 and \
                only.node.inputs[0] == 0 and self.output_slots == [only.node.outputs[0][1]]:
            params = [only.dense[1:]]  # the whole model one fused Dense layer
        else:
            return None
        weights = [w for kernel, bias, _ in params for w in (kernel, bias) if w is not None]
        if len({id(w) for w in weights}) != len(weights):  # a variable used twice
            return None
        if not compiled_loss.built or len(compiled_loss.losses) != 1 or \
                compiled_loss.losses[0] is None or compiled_loss.weights != [1.0]:
            return None
        spec = getattr(compiled_loss.losses[0], "fusion_spec", lambda: None)()
        if spec is None or getattr(optimizer, "loss_scale_factor", None) is not None:
            return None
        return ArrayTrainStep(list(params), spec, optimizer)

    def infer(self, xs: list[np.ndarray]) -> list[np.ndarray]:
        """The outputs as arrays (``predict``; the caller holds ``no_grad``), inputs checked."""
        if not self.arrays:
            return [_array(t) for t in self.forward(xs, False, checked=True)]
        values: list[Any] = [None] * self.n_slots
        values[:len(xs)] = xs
        for step in self.steps:
            step.infer(values)
        return [values[s] for s in self.output_slots]

    def infer_array(self, x: np.ndarray, screen: bool = False) -> list[np.ndarray] | None:
        """``infer([x])`` for a :attr:`pure` plan with one input; no ``no_grad`` needed.

        For ``x`` of a shape that ``infer`` accepted before (the caller knows). With
        ``screen``, None when ``x`` may hold NaN or infinity: the caller checks it then
        (:meth:`_DenseChain.apply` tells at almost no cost; other plans check ``x``).
        """
        if self._chain is not None:
            out = self._chain.apply(x, False, screen)
            return None if out is None else [out]
        if screen and not np.isfinite(x).all():
            return None
        return self.infer([x])


def _pack(items: list[Any]) -> Any:
    """A model's inputs or outputs as its hooks see them: one Tensor, or a list."""
    return items[0] if len(items) == 1 else list(items)


def _unpack(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


class PlannedModel:
    """What a model needs to run through a cached :class:`ExecutionPlan` (mixed into Model).

    A model that returns nodes from :meth:`_plan_nodes` (Sequential, functional)
    runs ``fit``/``evaluate`` through :meth:`_plan_forward` and ``predict``
    through :meth:`_plan_infer`; both fire the model's own forward hooks around
    the plan, as a direct call does.
    """

    def _plan_nodes(self) -> Any:
        """``(nodes, n_inputs, n_slots, output_slots)`` for :class:`ExecutionPlan`, or None.

        None for a subclassed model: its forward pass is its own ``call``, and
        its plan is traced from it (:mod:`descend.models.tracing`).
        """
        return None

    def _plan_key(self) -> Any:
        """What the cached plan must match (Sequential: its number of layers)."""
        return None

    def _execution_plan(self) -> ExecutionPlan | None:
        """The model's execution plan, made once and cached.

        It is made again when the model is built or compiled, when its layers
        change, when a hook is added or removed, a ``trainable`` flag changes,
        or :func:`descend.config.set_fusion` is called.
        """
        plan = self.__dict__.get("_plan")
        key = self._plan_key()
        if plan is None or not plan.current(key):
            parts = self._plan_nodes()
            if parts is None:
                return None
            plan = ExecutionPlan(*parts, key=key)
            object.__setattr__(self, "_plan", plan)
        return plan

    def _plan_forward(self, xs: list[Any], training: bool, checked: bool = False
                      ) -> list[Tensor]:
        """The plan's graph path, with the model's own hooks around it."""
        plan = self._execution_plan()
        hooked = self._hooks
        if hooked is None:
            return plan.forward(xs, training, checked)
        inputs = hooked.before(self, _pack([_tensor(x) for x in xs]))
        outputs = plan.forward(_unpack(inputs), training, checked)
        return _unpack(hooked.after(self, inputs, _pack(outputs)))

    def _plan_train_step(self) -> Any:
        """The plan's array training step for the compiled loss and optimizer, or None.

        None for a model with its own forward hooks (they must see Tensors), a
        model without an execution plan (a subclassed model's plan is its tracing
        verdict, checked at every forward pass), or a plan that offers none
        (:meth:`ExecutionPlan.array_train_step`).
        """
        if self._hooks is not None or self.compiled_loss is None:
            return None
        plan = self._execution_plan()
        if not isinstance(plan, ExecutionPlan):  # none, or a subclassed model's tracing verdict
            return None
        return plan.array_train_step(self.compiled_loss, self.optimizer)

    def _plan_infer(self, xs: list[np.ndarray]) -> list[np.ndarray]:
        """The plan's array path (caller holds ``no_grad``), with the model's own hooks."""
        plan = self._execution_plan()
        hooked = self._hooks
        if hooked is None:
            return plan.infer(xs)
        inputs = hooked.before(self, _pack([_tensor(x) for x in xs]))
        outputs = [_tensor(o) for o in plan.infer([_array(t) for t in _unpack(inputs)])]
        return [_array(o) for o in _unpack(hooked.after(self, inputs, _pack(outputs)))]
