"""Execution plans for subclassed models: ``call`` traced once, checked, then planned.

A subclassed ``descend.Model`` computes in its own ``call``. When the model
has run once (so that every sublayer is built), its plan is made by *tracing*:
``call`` runs on symbolic tensors (:class:`~descend.layers.input_layer.KerasTensor`),
once with ``training=True`` and once with ``training=False``, and the layer
calls and ``descend.ops`` it recorded become the same :class:`~descend.models.plan.Node`
list a functional model has, in the order ``call`` made them. Each becomes an
:class:`~descend.models.plan.ExecutionPlan`, so a subclassed model gets the
same rewrites (dense chains, convolution-pooling-ReLU, inference on arrays).

A trace is used only where it provably computes what ``call`` computes. Three
checks, any of which sends the model back to its eager ``call`` (the verdict
and its reason are kept: :func:`verdict`):

1. **Before tracing**, :func:`descend.models.trace_screen.screen` reads the
   source of ``call``: no Python side effects (assignments to ``self``,
   mutated containers, ``print``, ``add_loss``/``add_metric``), no random
   numbers drawn outside layers, no values read from weights, nothing it
   cannot read (``try``, ``with``, ``super()``, extra arguments such as
   ``mask``). The Python values ``call`` reads are watched: when one changes,
   the model is traced again. Models with stateful recurrent layers or
   layers that make or read masks are not traced.
2. **While tracing**: ``call`` must finish on symbolic tensors (Python
   control flow on a tensor's *values* raises there: a ``KerasTensor`` is not
   a bool), return only symbolic tensors, call only layers the model holds,
   and change nothing: no layer's attributes, no weight, no random
   generator, no added loss, no new layer or weight.
3. **After tracing**, on the first batch (its first rows), with every weight
   perturbed (so that a value read from a weight while tracing would show),
   the plan's outputs must equal ``call``'s bit for bit, in training (same
   random state for both) and inference mode, on the graph and the array
   path. Weights, random generators and the layers' attributes are put back
   exactly afterwards, so checking changes no later number.

With :func:`descend.config.set_fusion` off nothing is traced: the model runs
its ``call`` (the reference path). Direct calls ``model(x)`` and overridden
``train_step``/``test_step``/``predict_step`` (which call ``self(...)``)
always run ``call``.

Examples
--------
>>> import numpy as np
>>> import descend
>>> from descend import layers
>>> class MLP(descend.Model):
...     def __init__(self):
...         super().__init__()
...         self.hidden = layers.Dense(8, activation="relu", name="hidden")
...         self.out = layers.Dense(2, name="out")
...     def call(self, x, training=None):
...         return self.out(self.hidden(x))
>>> previous = descend.config.fusion()
>>> descend.config.set_fusion(True)
>>> model = MLP()
>>> model.compile(optimizer="sgd", loss="mse")
>>> x, y = np.ones((16, 4), "float32"), np.zeros((16, 2), "float32")
>>> history = model.fit(x, y, epochs=2, verbose=0)
>>> model._execution_plan()
TracedPlan(fused=True, steps=[DenseChain(hidden, out)])
>>> descend.config.set_fusion(previous)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend import config
from descend import random as descend_random
from descend.autograd import Tensor, no_grad
from descend.layers import _masks, call_context, hooks, naming
from descend.layers.input_layer import InputLayer, KerasTensor
from descend.layers.op_layer import OpLayer
from descend.models.plan import ExecutionPlan, Node
from descend.models.trace_screen import Untraceable, screen

__all__ = ["EagerCall", "TracedPlan", "call_adds_no_losses", "plan_for", "verdict"]

#: attributes a layer changes on every call (not state ``call`` writes)
_VOLATILE = frozenset({"_inbound_calls", "_activity_loss", "_called", "_accepted"})
_PROBE_ROWS = 8


class EagerCall:
    """The verdict "run ``call`` eagerly", with the reason.

    Attributes
    ----------
    reason : str
    """

    traced = False

    def __init__(self, reason: str, key: Any, watch: Any = None) -> None:
        self.reason, self.key, self.watch, self.watched = reason, key, watch, None
        self.generation, self.fused = hooks._GENERATION, config._FUSION

    def __repr__(self) -> str:
        return f"EagerCall(reason={self.reason!r})"

    def current(self, key: Any = None) -> bool:
        """Never a plan to run: :meth:`PlannedModel._execution_plan` then returns None."""
        return False


class TracedPlan:
    """A subclassed model's plan: one :class:`ExecutionPlan` per ``training`` value.

    Parameters
    ----------
    training, inference : ExecutionPlan
        The plans of ``call(inputs, training=True)`` and ``training=False``.
    dtype : str
        The model's dtype: array inputs are converted to it, as ``model(x)`` does.
    key, watch
        What :func:`plan_for` compares before each step.
    """

    traced = True

    def __init__(self, training: ExecutionPlan, inference: ExecutionPlan, dtype: str,
                 key: Any, watch: Any) -> None:
        self.training, self.inference, self.dtype = training, inference, np.dtype(dtype)
        self.key, self.watch, self.watched = key, watch, None
        self.fused, self.generation = training.fused, training.generation

    @property
    def steps(self) -> list[Any]:
        """The training plan's steps (the inference plan's: :attr:`inference`)."""
        return self.training.steps

    def __repr__(self) -> str:
        if repr(self.training.steps) == repr(self.inference.steps):
            return f"TracedPlan(fused={self.fused}, steps={self.training.steps})"
        return (f"TracedPlan(fused={self.fused}, training={self.training.steps}, "
                f"inference={self.inference.steps})")

    def current(self, key: Any = None) -> bool:
        """Whether no hook or fusion switch changed since tracing (:func:`plan_for` checks
        the inputs and the watched values)."""
        return self.generation == hooks._GENERATION and self.fused == config._FUSION

    def _tensors(self, xs: list[Any]) -> list[Any]:
        return [x if isinstance(x, Tensor) else Tensor._make(
            np.asarray(x, dtype=self.dtype), False, None) for x in xs]

    def forward(self, xs: list[Any], training: bool, checked: bool = False) -> list[Tensor]:
        """The outputs as Tensors (see :meth:`ExecutionPlan.forward`)."""
        plan = self.training if training else self.inference
        return plan.forward(self._tensors(xs), training, checked)

    def infer(self, xs: list[np.ndarray]) -> list[np.ndarray]:
        """The outputs as arrays (see :meth:`ExecutionPlan.infer`)."""
        return self.inference.infer([np.asarray(x, dtype=self.dtype) for x in xs])


def verdict(model: Any) -> TracedPlan | EagerCall | None:
    """What was decided for ``model``: its traced plan, an :class:`EagerCall` saying why
    not, or None (not decided yet: the model has not run, or fusion is off)."""
    return model.__dict__.get("_plan")


def call_adds_no_losses(model: Any) -> bool:
    """Whether the source of ``model``'s own ``call`` shows that it never adds a loss.

    True only with fusion on, for a subclassed model whose ``call`` passes
    :func:`~descend.models.trace_screen.screen` (no ``add_loss``, no ``super()``,
    no use of the model as a value): the training step then need not collect
    ``model.losses`` for the model's own sake (its layers still count).
    """
    from descend.models.model import Model

    if not config._FUSION or type(model)._forward is not Model._forward or \
            type(model).call is Model.call:
        return False
    try:
        screen(model)
    except Untraceable:
        return False
    return True


def _signature(model: Any, xs: list[Any]) -> tuple:
    """What the plan was traced for: the inputs' shapes and dtypes, their keys, hooks."""
    if len(xs) == 1:
        x = xs[0]
        return (x.shape[1:], x.dtype, model.__dict__.get("_input_keys"), model._hooks is None)
    return (tuple((x.shape[1:], x.dtype) for x in xs), None,
            model.__dict__.get("_input_keys"), model._hooks is None)


def plan_for(model: Any, xs: list[Any], training: bool = False) -> TracedPlan | None:
    """The traced plan of a subclassed ``model`` for inputs like ``xs``, or None: run ``call``.

    ``training`` is the mode of the call about to run. Traces (and checks) once
    the model has run (every layer built), again when the inputs' shapes, a watched
    value, a hook or the fusion switch changed; keeps the verdict in
    ``model._plan`` (``compile`` drops it).
    """
    if not config._FUSION:
        return None
    record = model.__dict__.get("_plan")
    key = _signature(model, xs)
    if record is not None and record.key == key and record.generation == hooks._GENERATION \
            and record.fused == config._FUSION:
        if record.watch is None or record.watch.unchanged(model, record.watched):
            return record if record.traced else None
    context = call_context.current()
    if context is not None and (len(context.layers) != 1 or context.layers[0] is not model):
        return None  # called inside another layer's call: run call, decide at the top
    if not _ready(model, training):
        return None
    record = _decide(model, xs, key)
    model.__dict__["_plan"] = record
    return record if record.traced else None


def _ready(model: Any, training: bool) -> bool:
    """Whether every layer is built, or ``call`` ran in both modes (a layer used only in
    training is built by a training step, not by the trace; one still unbuilt is unused)."""
    if not model.built or not model._called:
        return False
    if all(layer.built for layer in model._flatten_layers()):
        return True
    modes = model.__dict__.setdefault("_trace_modes_run", set())
    if len(modes) == 2:
        return True
    modes.add(bool(training))  # this call runs eagerly in this mode
    return False


def _decide(model: Any, xs: list[Any], key: Any) -> TracedPlan | EagerCall:
    watch = None
    try:
        watch = screen(model)
        watched = watch.snapshot(model)
        _check_layers(model)
        if model._hooks is not None and any(str(x.dtype) != model.dtype for x in xs):
            raise Untraceable("the model has hooks and its inputs are not of its dtype")
        plans = [ExecutionPlan(*_trace(model, xs, training)) for training in (True, False)]
        plan = TracedPlan(plans[0], plans[1], model.dtype, key, watch)
        _verify(model, plan, xs)
    except Untraceable as refusal:
        eager = EagerCall(str(refusal), key, None)
        return eager
    plan.watched = watched
    return plan


def _check_layers(model: Any) -> None:
    for layer in model._flatten_layers(include_self=False):
        if getattr(layer, "stateful", False) is True:
            raise Untraceable(f"layer '{layer.name}' is stateful: its state carries from "
                              "batch to batch through call")
        if _masks.makes_or_reads_masks(layer):
            raise Untraceable(f"layer '{layer.name}' makes or reads masks")


# ------------------------------------------------------------------ tracing
def _trace(model: Any, xs: list[Any], training: bool) -> tuple:
    """``call`` on symbolic inputs: the plan's ``(nodes, n_inputs, n_slots, output_slots)``."""
    layers = model._flatten_layers(include_self=False)
    known = {id(layer) for layer in layers}
    state = _State(model, layers)
    names = dict(naming._NAME_COUNTS)
    try:
        inputs = [InputLayer(batch_shape=(None, *x.shape[1:]), dtype=model.dtype,
                             name="traced_input").output for x in xs]
        try:
            with no_grad(), hooks.silenced():
                out = model.call(model._input_structure(inputs), training=training) \
                    if _takes_training(model) else model.call(model._input_structure(inputs))
        except Exception as error:  # noqa: BLE001  (any failure means: do not trace)
            raise Untraceable(f"call fails on symbolic tensors ({type(error).__name__}: "
                              f"{error})") from None
        changed = state.changes()
        if changed:
            raise Untraceable(f"tracing call changed {changed}: call has effects a trace "
                              "would run only once")
        return _nodes(inputs, out, known, training)
    finally:
        state.restore()
        naming._NAME_COUNTS.clear()
        naming._NAME_COUNTS.update(names)


def _takes_training(model: Any) -> bool:
    return naming.call_accepts_training(model)


def _flat(out: Any) -> list[Any]:
    if isinstance(out, dict):
        return [out[k] for k in sorted(out)]
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _nodes(inputs: list[KerasTensor], out: Any, known: set[int], training: bool) -> tuple:
    outputs = _flat(out)
    for item in outputs:
        if not isinstance(item, KerasTensor):
            raise Untraceable(f"call returns a {type(item).__name__}, not a tensor computed "
                              "from its inputs")
    slots = {id(t): i for i, t in enumerate(inputs)}
    calls: dict[int, list[KerasTensor]] = {}  # id(tensor.inputs) -> the tensors used
    stack, seen = list(outputs), set(slots)
    while stack:
        tensor = stack.pop()
        if id(tensor) in seen:
            continue
        seen.add(id(tensor))
        if not tensor.inputs:
            raise Untraceable(f"call uses the symbolic tensor {tensor.name}, which does not "
                              "come from its inputs")
        calls.setdefault(id(tensor.inputs), []).append(tensor)
        stack.extend(tensor.inputs)
    order = sorted(calls.values(), key=lambda ts: min(t.seq for t in ts))
    nodes = []
    for tensors in order:
        first = tensors[0]
        layer = first.layer
        if id(layer) not in known and not isinstance(layer, OpLayer):
            raise Untraceable(f"call calls layer '{layer.name}', which the model does not hold "
                              "(assign layers to attributes in __init__)")
        _refuse_computed_tensors(layer, first)
        in_slots = [slots[id(t)] for t in first.inputs]
        out_slots = []
        for tensor in sorted(tensors, key=lambda t: t.index):
            slots[id(tensor)] = len(slots)
            out_slots.append((tensor.index, slots[id(tensor)]))
        kwargs = {k: v for k, v in first.call_kwargs.items()
                  if not (k == "training" and (v is None or v is training))}
        nodes.append(Node(layer, in_slots, len(first.inputs) > 1, out_slots, kwargs,
                          first.call_template))
    return nodes, len(inputs), len(slots), [slots[id(t)] for t in outputs]


def _refuse_computed_tensors(layer: Any, tensor: KerasTensor) -> None:
    """A Tensor (other than a weight) among a recorded call's constants was computed while
    tracing, from weights or constants: the plan would keep it, ``call`` recomputes it."""
    found: list[Any] = []
    parts = [tensor.call_kwargs, tensor.call_template]
    if isinstance(layer, OpLayer):
        parts += [layer.op_args, layer.op_kwargs]
    stack = list(parts)
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, Tensor) and not hasattr(item, "assign"):
            found.append(item)
    if found:
        raise Untraceable(f"call passes '{layer.name}' a tensor it computed from weights or "
                          "constants while tracing; the plan would keep that value")


# ---------------------------------------------------------- state and checks
class _State:
    """What ``call`` must not change: the layers' attributes, weights, random generators."""

    def __init__(self, model: Any, layers: list[Any]) -> None:
        self.model = model
        self.layers = [model, *layers]
        self.dicts = [dict(layer.__dict__) for layer in self.layers]
        self.lengths = [{k: len(v) for k, v in d.items() if isinstance(v, (list, dict))}
                        for d in self.dicts]
        # the contents of plain lists and dicts (``_weights``, ``_layers``...), put back too
        self.contents = [{k: (list(v) if type(v) is list else dict(v))
                          for k, v in d.items() if type(v) in (list, dict)}
                         for d in self.dicts]
        self.weights = model.weights
        self.values = [w.data.copy() for w in self.weights]
        self.random = _random_state(self.layers)
        self.losses = [list(layer._losses) for layer in self.layers]

    def changes(self) -> str | None:
        """What changed since the snapshot (None: nothing)."""
        if [id(x) for x in self.model._flatten_layers()] != [id(x) for x in self.layers]:
            return "the model's layers (a layer was created or assigned)"
        for layer, before, lengths in zip(self.layers, self.dicts, self.lengths, strict=True):
            now = layer.__dict__
            for name in set(before) | set(now):
                if name in _VOLATILE or name == "_losses":
                    continue
                if before.get(name, _GONE) is not now.get(name, _GONE) or (
                        name in lengths and len(now[name]) != lengths[name]):
                    return f"{layer.name}.{name}"
        if len(self.model.weights) != len(self.weights):
            return "the model's weights (a weight was created)"
        for w, v in zip(self.weights, self.values, strict=True):
            if not np.array_equal(w.data, v, equal_nan=True):
                return f"the weight {w.name}"
        if not _same(_random_state(self.layers), self.random):
            return "a random generator's state (random numbers drawn outside a layer's call)"
        if self.model._losses:
            return "the model's losses (add_loss in call)"
        return None

    def restore(self, weights: list[np.ndarray] | None = None) -> None:
        """Put back the attributes, weights (or ``weights``), generators and losses."""
        for layer, before, contents, losses in zip(self.layers, self.dicts, self.contents,
                                                   self.losses, strict=True):
            now = layer.__dict__
            for name in [k for k in now if k not in before]:
                del now[name]
            now.update(before)
            for name, items in contents.items():
                held = now[name]
                if type(held) is list and not _same_items(held, items):
                    held[:] = items
                elif type(held) is dict and not _same_items(held, items):
                    held.clear()
                    held.update(items)
            layer._losses[:] = losses
        self.put_weights(self.values if weights is None else weights)
        _set_random_state(self.layers, self.random)

    def put_weights(self, values: list[np.ndarray]) -> None:
        for w, v in zip(self.weights, values, strict=True):
            if w.data is not v and w.data.flags.writeable:  # a read-only one cannot change
                np.copyto(w.data, v)


_GONE = object()


def _same_items(now: Any, before: Any) -> bool:
    """Same length and the same objects (by identity: ``==`` on tensors is elementwise)."""
    if len(now) != len(before):
        return False
    if isinstance(now, dict):
        return all(k in before and now[k] is before[k] for k in now)
    return all(a is b for a, b in zip(now, before, strict=True))


def _random_state(layers: list[Any]) -> list[Any]:
    """The global generators' states and every generator a layer holds."""
    # NumPy's legacy global generator too: user code in call may draw from it
    out: list[Any] = [descend_random.get_state(), np.random.get_state()]  # noqa: NPY002
    for layer in layers:
        for value in layer.__dict__.values():
            if isinstance(value, np.random.Generator):
                out.append(value.bit_generator.state)
            elif isinstance(value, descend_random.SeedGenerator):
                out.append(value.state.copy())
    return out


def _set_random_state(layers: list[Any], states: list[Any]) -> None:
    descend_random.set_state(states[0])
    np.random.set_state(states[1])  # noqa: NPY002  (restores what _random_state read)
    rest = iter(states[2:])
    for layer in layers:
        for value in layer.__dict__.values():
            if isinstance(value, np.random.Generator):
                value.bit_generator.state = next(rest)
            elif isinstance(value, descend_random.SeedGenerator):
                value.state[...] = next(rest)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k])
                                                                     for k in a)
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(
            _same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(a, b)
    return a == b


def _perturbed(values: list[np.ndarray]) -> list[np.ndarray]:
    """Every float weight moved a little (a private generator: no global state is used)."""
    rng = np.random.default_rng(12345)
    out = []
    for v in values:
        if v.dtype.kind != "f" or v.size == 0:
            out.append(v)
            continue
        scale = float(np.mean(np.abs(v))) or 1.0
        noise = rng.uniform(-1.0, 1.0, v.shape)
        out.append((v * (1.0 + 0.1 * noise) + 0.01 * scale * rng.uniform(-1, 1, v.shape))
                   .astype(v.dtype))
    return out


def _verify(model: Any, plan: TracedPlan, xs: list[Any]) -> None:
    """Outputs of ``plan`` and of ``call`` on the first rows, bit for bit (docstring, 3.)."""
    probe = [np.asarray(x.data if isinstance(x, Tensor) else x)[:_PROBE_ROWS] for x in xs]
    state = _State(model, model._flatten_layers(include_self=False))
    moved = _perturbed(state.values)
    try:
        with no_grad(), hooks.silenced():
            reference = {}
            for training in (True, False):
                state.restore(moved)
                reference[training] = _eager(model, probe, training)
                state.restore(moved)
                _compare(reference[training], [t.data for t in plan.forward(probe, training)],
                         f"training={training}")
            state.restore(moved)
            _compare(reference[False], plan.infer(probe), "predict")
    except Untraceable:
        raise
    except Exception as error:  # noqa: BLE001  (a failing check means: do not trace)
        raise Untraceable(f"checking the trace against call failed ({type(error).__name__}: "
                          f"{error})") from None
    finally:
        state.restore()
        model._clear_losses()


def _eager(model: Any, probe: list[np.ndarray], training: bool) -> list[np.ndarray]:
    out = model(model._input_structure([Tensor._make(np.asarray(x, model.dtype), False, None)
                                        for x in probe]), training=training)
    return [np.asarray(t.data if isinstance(t, Tensor) else t) for t in _flat(out)]


def _compare(reference: list[np.ndarray], traced: list[np.ndarray], mode: str) -> None:
    if len(reference) != len(traced):
        raise Untraceable(f"the trace has {len(traced)} outputs, call {len(reference)} "
                          f"({mode})")
    for i, (a, b) in enumerate(zip(reference, traced, strict=True)):
        b = np.asarray(b)
        if a.shape != b.shape or a.dtype != b.dtype or not np.array_equal(a, b, equal_nan=True):
            raise Untraceable(f"the trace's output {i} differs from call's ({mode}): call "
                              "depends on something the trace does not see")
