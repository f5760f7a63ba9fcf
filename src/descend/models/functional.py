"""The functional API: ``descend.Model(inputs, outputs)`` for networks that are not one stack.

Calling layers on the symbolic tensors returned by ``Input`` records a graph;
``Model(inputs, outputs)`` walks that record back from the outputs, checks that
every path starts at one of the given inputs, orders the layer calls
topologically and, on real data, replays them in that order (a plain loop, no
recursion). A model may have several inputs and outputs (lists or dicts), share
a layer between branches, and use whole models as layers.

Examples
--------
>>> import numpy as np
>>> import descend
>>> from descend import layers
>>> image = layers.Input(shape=(8,), name="image")
>>> meta = layers.Input(shape=(2,), name="meta")
>>> hidden = layers.Dense(4, activation="relu", name="hidden")(image)
>>> merged = layers.Concatenate(name="merged")([hidden, meta])
>>> score = layers.Dense(1, activation="sigmoid", name="score")(merged)
>>> model = descend.Model([image, meta], score)
>>> [layer.name for layer in model.layers]
['image', 'hidden', 'meta', 'merged', 'score']
>>> model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
>>> x = [np.ones((6, 8), "float32"), np.zeros((6, 2), "float32")]
>>> history = model.fit(x, np.ones(6), epochs=2, verbose=0)
>>> model.predict(x, verbose=0).shape
(6, 1)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.autograd import Tensor
from descend.layers.input_layer import InputLayer, KerasTensor
from descend.layers.layer import Layer
from descend.models import data_adapter as data
from descend.models.model import Model
from descend.models.plan import Node
from descend.models.py_dataset_adapter import is_py_dataset

_TENSOR_TAG = "__keras_tensor__"



def _flat_outputs(out: Any) -> list[Any]:
    """A layer's nested outputs (or output shapes) in flat order, as its tensors are numbered."""
    flat: list[Any] = []
    for item in out:
        if isinstance(item, list):
            flat.extend(_flat_outputs(item))
        else:
            flat.append(item)
    return flat

class _Node:
    """One recorded layer call: the layer, its symbolic inputs and call keyword arguments."""

    __slots__ = ("key", "layer", "inputs", "kwargs", "outputs", "template")

    def __init__(self, tensor: KerasTensor) -> None:
        self.key = _node_key(tensor)
        self.layer = tensor.layer
        self.inputs: list[KerasTensor] = list(tensor.inputs)
        self.kwargs = dict(tensor.call_kwargs)
        self.outputs: list[KerasTensor] = []
        self.template = tensor.call_template  # (args, kwargs) with slots, or None


def _node_key(tensor: KerasTensor) -> int:
    # Every symbolic call creates its own list of inputs, shared by all its outputs.
    return id(tensor.inputs)


def _flatten(structure: Any, what: str) -> tuple[list[KerasTensor], list[str] | None, str]:
    """Flatten a tensor, list/tuple or dict of tensors; dict keys are sorted (as Keras)."""
    if isinstance(structure, KerasTensor):
        return [structure], None, "single"
    if isinstance(structure, dict):
        keys = sorted(structure)
        items, kind = [structure[k] for k in keys], "dict"
    elif isinstance(structure, (list, tuple)):
        keys, items, kind = None, list(structure), "list"
    else:
        raise TypeError(
            f"Model: `{what}` must be a symbolic tensor (from Input(...) or a layer called on "
            f"one), or a list or dict of them; received {type(structure).__name__}."
        )
    if not items:
        raise ValueError(f"Model: `{what}` is empty; give at least one symbolic tensor.")
    for i, item in enumerate(items):
        if not isinstance(item, KerasTensor):
            where = f"{what}[{keys[i]!r}]" if keys else f"{what}[{i}]"
            raise TypeError(
                f"Model: {where} must be a symbolic tensor (from Input(...) or a layer called "
                f"on one), received {type(item).__name__}. Pass the result of calling a layer "
                "on Input(...), not a layer or an array."
            )
    return items, keys, kind


def _shape_ok(expected: tuple, got: tuple) -> bool:
    return len(expected) == len(got) and all(
        e is None or e == g for e, g in zip(expected[1:], got[1:], strict=True))


class Functional(Model):
    """A model defined by its symbolic inputs and outputs: ``Model(inputs, outputs)``.

    Parameters
    ----------
    inputs : KerasTensor, list or dict of KerasTensor
        Tensors returned by :func:`~descend.layers.Input`.
    outputs : KerasTensor, list or dict of KerasTensor
        Tensors obtained by calling layers, starting from ``inputs``. With a
        dict, the keys are the output names (used by ``compile`` and by
        dict targets); otherwise an output is named after its layer.
    name : str, optional
        Defaults to ``functional``, ``functional_1``, ...
    trainable : bool, default True

    Raises
    ------
    TypeError
        If ``inputs``/``outputs`` are not symbolic tensors.
    ValueError
        If an output depends on a tensor that is not derived from ``inputs``
        ("graph disconnected"), an input does not reach any output, an input is
        not an ``Input(...)`` tensor, or two layers share a name.

    Notes
    -----
    ``x`` (and ``y``) given to ``fit``/``evaluate``/``predict`` are one array
    per input (output), in the order of ``inputs`` (``outputs``), or a dict
    keyed by input (output) name.
    """

    _replays_recorded_graph = True

    _TRACKING_EXEMPT = Model._TRACKING_EXEMPT | {
        "_plan", "_nodes", "_plan_parts", "inputs", "outputs", "_inputs_struct", "_outputs_struct"}

    def __init__(self, inputs: Any, outputs: Any, name: str | None = None,
                 trainable: bool = True, **kwargs: Any) -> None:
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._inputs_struct, self._outputs_struct = inputs, outputs
        self.inputs, self._input_keys, self._input_kind = _flatten(inputs, "inputs")
        self.outputs, self._output_keys, self._output_kind = _flatten(outputs, "outputs")
        seen: set[int] = set()
        for i, tensor in enumerate(self.inputs):
            if not isinstance(tensor.layer, InputLayer) or tensor.inputs:
                raise ValueError(
                    f"Model '{self.name}': inputs[{i}] ({tensor!r}) was produced by layer "
                    f"'{tensor.layer.name}', not by Input(...). A functional model's inputs must "
                    "be the tensors returned by descend.layers.Input."
                )
            if id(tensor) in seen:
                raise ValueError(f"Model '{self.name}': input '{tensor.layer.name}' is given "
                                 "twice in `inputs`; list each Input once.")
            seen.add(id(tensor))
        self._map_graph()
        self._make_plan_nodes()
        self._build_shape = None
        self.built = True

    # ------------------------------------------------------------- the graph
    def _map_graph(self) -> None:
        """Collect the nodes from the outputs back (iterative depth-first search)."""
        input_keys = {_node_key(t) for t in self.inputs}
        nodes: dict[int, _Node] = {}
        order: list[_Node] = []  # post-order: every node after the nodes it depends on
        layer_index: dict[int, int] = {}
        for out in self.outputs:
            stack = [(out, 0)]
            while stack:
                tensor, next_parent = stack.pop()
                key = _node_key(tensor)
                node = nodes.get(key)
                if node is None:
                    if not tensor.inputs and key not in input_keys:
                        raise ValueError(
                            f"Graph disconnected: model '{self.name}' cannot reach tensor "
                            f"{tensor!r} from its inputs: it comes from Input layer "
                            f"'{tensor.layer.name}', which is not in `inputs` "
                            f"{[t.layer.name for t in self.inputs]}. Add that Input to the "
                            "model's inputs, or build the outputs from the given inputs only."
                        )
                    node = nodes[key] = _Node(tensor)
                elif next_parent == 0:
                    continue  # already visited
                if next_parent < len(node.inputs):
                    stack.append((tensor, next_parent + 1))
                    parent = node.inputs[next_parent]
                    if _node_key(parent) not in nodes:
                        stack.append((parent, 0))
                    continue
                order.append(node)
                layer_index.setdefault(id(node.layer), len(layer_index))
        unused = [t.layer.name for t in self.inputs if _node_key(t) not in nodes]
        if unused:
            raise ValueError(
                f"Model '{self.name}': input(s) {unused} are not connected to any output. Remove "
                "them from `inputs`, or use them in the computation of an output."
            )
        for tensor in [p for node in order for p in node.inputs] + list(self.outputs):
            owner = nodes[_node_key(tensor)]
            if all(t is not tensor for t in owner.outputs):
                owner.outputs.append(tensor)
        self._nodes = order
        self._layers, depths = self._order_layers(order, layer_index)
        # Keras's rule for the summary: one node per depth, each with at most one input
        self._sequential_like = len(set(depths.values())) == len(order) and all(
            len(node.inputs) <= 1 for node in order)
        self._node_index: dict[int, int] = {}  # node -> index among its layer's calls
        self._layer_nodes: dict[int, list[_Node]] = {}
        for node in order:
            calls = self._layer_nodes.setdefault(id(node.layer), [])
            self._node_index[node.key] = len(calls)
            calls.append(node)
        counts: dict[str, int] = {}
        for layer in self._layers:  # a dict, not list.count: linear in the number of layers
            counts[layer.name] = counts.get(layer.name, 0) + 1
        for layer_name, count in counts.items():
            if count > 1:
                raise ValueError(
                    f'The name "{layer_name}" is used {count} times in the model '
                    f"'{self.name}'. All layer names should be unique: pass distinct `name=` "
                    "arguments."
                )

    @staticmethod
    def _order_layers(order: list[_Node], layer_index: dict[int, int]
                      ) -> tuple[list[Layer], dict[int, int]]:
        """Keras's layer order: by depth from the outputs (deepest first), then by traversal."""
        node_depth: dict[int, int] = {}
        layer_depth: dict[int, int] = {}
        for node in reversed(order):
            depth = max(node_depth.setdefault(node.key, 0), layer_depth.get(id(node.layer), 0))
            node_depth[node.key] = layer_depth[id(node.layer)] = depth
            for parent in node.inputs:
                owner = _node_key(parent)
                node_depth[owner] = max(depth + 1, node_depth.get(owner, 0))
        layers = {id(node.layer): node.layer for node in order}
        ranked = sorted(layers, key=lambda k: (-layer_depth[k], layer_index[k]))
        return [layers[k] for k in ranked], node_depth

    def _make_plan_nodes(self) -> None:
        """The recorded calls as plan nodes reading and writing numbered slots."""
        slots: dict[int, int] = {id(t): i for i, t in enumerate(self.inputs)}
        nodes = []
        for node in self._nodes:
            if not node.inputs:
                continue
            in_slots = [slots[id(t)] for t in node.inputs]
            out_slots = []
            for tensor in node.outputs:
                slots[id(tensor)] = len(slots)
                out_slots.append((tensor.index, slots[id(tensor)]))
            nodes.append(Node(node.layer, in_slots, len(node.inputs) > 1, out_slots,
                              node.kwargs, node.template))
        self._plan_parts = (nodes, len(self.inputs), len(slots),
                            [slots[id(t)] for t in self.outputs])

    def _plan_nodes(self) -> tuple:
        return self._plan_parts

    # ------------------------------------------------------------ structure
    @property
    def layers(self) -> list[Layer]:
        """Every layer, ``InputLayer``s included, in Keras's order (inputs side first)."""
        return list(self._layers)

    @property
    def input_names(self) -> list[str]:
        """Names matched against the keys of a dict ``x`` (dict keys, else Input names)."""
        return list(self._input_keys) if self._input_keys else [t.layer.name for t in self.inputs]

    @property
    def output_names(self) -> list[str]:
        """Output names: the dict keys of ``outputs``, else the names of the producing layers."""
        if self._output_keys:
            return list(self._output_keys)
        names: list[str] = []
        for tensor in self.outputs:
            name = tensor.layer.name
            names.append(name if name not in names else f"{name}_{len(names)}")
        return names

    @property
    def input(self) -> Any:
        """The symbolic input(s), as given to the constructor."""
        return self._inputs_struct

    @property
    def output(self) -> Any:
        """The symbolic output(s), as given to the constructor."""
        return self._outputs_struct

    @property
    def input_shape(self) -> Any:
        """Shape of the input (a list of shapes for several inputs)."""
        shapes = [t.shape for t in self.inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self) -> Any:
        """Shape of the output (a list of shapes for several outputs)."""
        shapes = [t.shape for t in self.outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    def _summary_layers(self) -> list[tuple[Layer, Any]]:
        shapes: dict[int, Any] = {}
        for node in self._nodes:
            if id(node.layer) not in shapes:
                outs = sorted(node.outputs, key=lambda t: t.index)
                shapes[id(node.layer)] = outs[0].shape if len(outs) == 1 else \
                    [t.shape for t in outs]
        return [(layer, shapes.get(id(layer))) for layer in self._layers]

    def _summary_connections(self) -> list[str]:
        """Keras's "Connected to" cell of each layer: ``name[node][tensor]`` of its inputs."""
        return [", ".join(f"{t.layer.name}[{self._node_index[_node_key(t)]}][{t.index}]"
                          for node in self._layer_nodes[id(layer)] for t in node.inputs) or "-"
                for layer in self._layers]

    # ---------------------------------------------------------------- calls
    def _flat_data(self, x: Any, what: str, keys: list[str]) -> Any:
        """A dict of arrays/tensors keyed by name -> the list in model order."""
        if not isinstance(x, dict):
            return x
        missing = [k for k in keys if k not in x]
        extra = [k for k in x if k not in keys]
        if missing or extra:
            raise ValueError(
                f"Model '{self.name}': the dict `{what}` has keys {sorted(map(str, x))} but the "
                f"model expects {keys}" + (f" (missing {missing})" if missing else "")
                + (f" (unknown {extra})" if extra else "") + ". Key the arrays by the names "
                "of the model's inputs/outputs, or pass a list in that order."
            )
        return [x[k] for k in keys]

    def _structured(self, outs: list[Any]) -> Any:
        if self._output_kind == "dict":
            return dict(zip(self.output_names, outs, strict=True))
        if self._output_kind == "single" or len(outs) == 1:
            return outs[0]
        return list(outs)

    def __call__(self, inputs: Any, training: bool | None = None, **kwargs: Any) -> Any:
        return super().__call__(self._flat_data(inputs, "inputs", self.input_names),
                                training=training, **kwargs)

    def _check_input(self, inputs: Any) -> None:
        items = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        self._check_arrays([tuple(np.shape(t)) for t in items])

    def _check_arrays(self, shapes: list[tuple]) -> None:
        """Raise if the number or shapes of the input arrays do not fit the model."""
        if len(shapes) != len(self.inputs):
            raise ValueError(
                f"Model '{self.name}' expects {len(self.inputs)} input(s) "
                f"{self.input_names}, but it received {len(shapes)} input array(s). Pass one "
                "array per input, as a list in that order or as a dict keyed by input name."
            )
        for i, (tensor, got) in enumerate(zip(self.inputs, shapes, strict=True)):
            if not _shape_ok(tensor.shape, got):
                raise ValueError(
                    f"Input {i} ('{self.input_names[i]}') of model '{self.name}' is "
                    f"incompatible: expected shape {tensor.shape}, received {(None, *got[1:])} "
                    f"(data shape {got}). Check the array passed for this input."
                )

    def call(self, inputs: Any, training: bool = False) -> Any:
        """Replay the recorded layer calls on ``inputs`` (checked path).

        Parameters
        ----------
        inputs : Tensor, list of Tensor or dict of Tensor
            One per model input.
        training : bool, default False

        Returns
        -------
        Tensor, list or dict of Tensor
            In the structure of ``outputs``.
        """
        inputs = self._flat_data(inputs, "inputs", self.input_names)
        items = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        self._check_input(items)
        return self._structured(self._execution_plan().forward(items, bool(training), True))

    def _forward(self, xs: list[Any], training: bool) -> list[Tensor]:
        return self._plan_forward(xs, training)

    def _checked_forward(self, xs: list[np.ndarray]) -> list[Tensor]:
        self._check_input(xs)
        return self._plan_forward(list(xs), False, checked=True)

    def _ensure_built(self, xs: list[np.ndarray]) -> None:
        shapes = tuple(getattr(x, "shape", (None,))[1:] for x in xs)
        if shapes == self.__dict__.get("_accepted"):
            return  # the input shapes accepted last time (predict at batch 1 repeats this)
        data.adjust_input_rank(xs, [tuple(t.shape) for t in self.inputs])  # as Keras
        self._check_input(xs)
        self.__dict__["_accepted"] = tuple(getattr(x, "shape", (None,))[1:] for x in xs)

    def build(self, input_shape: Any = None) -> None:
        """Nothing to do: a functional model is built when it is created."""
        self.built = True

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Output shape(s) for inputs of ``input_shape`` (a list of shapes for several inputs)."""
        if not isinstance(next(iter(input_shape), 0), (list, tuple)):  # one shape
            input_shape = [input_shape]
        if len(input_shape) != len(self.inputs):
            self._check_arrays([tuple(s) for s in input_shape])  # raises, naming the inputs
        shapes = {id(t): tuple(s) for t, s in zip(self.inputs, input_shape, strict=False)}
        for node in self._nodes:
            if not node.inputs:
                continue
            args = [shapes[id(t)] for t in node.inputs]
            out = node.layer.compute_output_shape(args if len(args) > 1 else args[0])
            if isinstance(out, list) and any(isinstance(o, list) for o in out):
                out = _flat_outputs(out)
            for tensor in node.outputs:
                shapes[id(tensor)] = tuple(out[tensor.index] if isinstance(out, list) else out)
        result = [shapes[id(t)] for t in self.outputs]
        return result[0] if len(result) == 1 else result

    # --------------------------------------------- structured data in the training API
    def _xs(self, x: Any) -> Any:
        if is_py_dataset(x):  # its batches are prepared by PyDatasetBatches
            return x
        return self._flat_data(x, "x", self.input_names)

    def _ys(self, y: Any) -> Any:
        return self._flat_data(y, "y", self.output_names)

    def fit(self, x: Any = None, y: Any = None, *args: Any, **kwargs: Any) -> Any:
        """Train the model; ``x``/``y`` may be dicts keyed by input/output name.

        See :meth:`descend.models.Model.fit` for every argument.
        """
        validation = kwargs.get("validation_data")
        if is_py_dataset(x):
            return super().fit(x, y, *args, **kwargs)
        if isinstance(validation, (list, tuple)) and len(validation) in (2, 3):
            kwargs["validation_data"] = (self._xs(validation[0]), self._ys(validation[1]),
                                         *validation[2:])
        return super().fit(self._xs(x), self._ys(y), *args, **kwargs)

    def evaluate(self, x: Any = None, y: Any = None, *args: Any, **kwargs: Any) -> Any:
        """Loss and metrics; ``x``/``y`` may be dicts (see :meth:`Model.evaluate`)."""
        return super().evaluate(self._xs(x), self._ys(y), *args, **kwargs)

    def predict(self, x: Any, *args: Any, **kwargs: Any) -> Any:
        """Outputs as NumPy arrays, in the structure of ``outputs`` (see :meth:`Model.predict`)."""
        out = super().predict(self._xs(x), *args, **kwargs)
        return self._structured(out if isinstance(out, list) else [out])

    def train_on_batch(self, x: Any, y: Any = None, *args: Any, **kwargs: Any) -> Any:
        """One gradient step; ``x``/``y`` may be dicts (see :meth:`Model.train_on_batch`)."""
        return super().train_on_batch(self._xs(x), self._ys(y), *args, **kwargs)

    def test_on_batch(self, x: Any, y: Any = None, *args: Any, **kwargs: Any) -> Any:
        """Loss on one batch; ``x``/``y`` may be dicts (see :meth:`Model.test_on_batch`)."""
        return super().test_on_batch(self._xs(x), self._ys(y), *args, **kwargs)

    def predict_on_batch(self, x: Any) -> Any:
        """Outputs for one batch, in the structure of ``outputs``."""
        out = super().predict_on_batch(self._xs(x))
        return self._structured(out if isinstance(out, list) else [out])

    # --------------------------------------------------------- serialisation
    def get_config(self) -> dict[str, Any]:
        """Keras's functional config: ``name``, ``trainable``, ``layers`` (each with its
        ``inbound_nodes``), ``input_layers`` and ``output_layers``.

        A tensor is referred to as ``[layer_name, node_index, tensor_index]``;
        node indices count the calls of a layer inside this model.
        """
        from descend.layers.serialization import serialize_layer
        from descend.models.functional_config import templated_node_config

        def ref(tensor: KerasTensor) -> list[Any]:
            return [tensor.layer.name, self._node_index[_node_key(tensor)], tensor.index]

        def tensor_config(tensor: KerasTensor) -> dict[str, Any]:
            return {"class_name": _TENSOR_TAG, "config": {
                "shape": list(tensor.shape), "dtype": tensor.dtype, "keras_history": ref(tensor)}}

        layer_configs = []
        for layer in self._layers:
            entry = serialize_layer(layer)
            entry["name"] = layer.name
            entry["inbound_nodes"] = [
                templated_node_config(node, tensor_config) if node.template is not None else
                {"args": [[tensor_config(t) for t in node.inputs] if len(node.inputs) > 1
                          else tensor_config(node.inputs[0])],
                 "kwargs": dict(node.kwargs)}
                for node in self._layer_nodes[id(layer)] if node.inputs
            ]
            layer_configs.append(entry)

        def refs(tensors: list[KerasTensor], keys: list[str] | None) -> Any:
            if keys:
                return {k: ref(t) for k, t in zip(keys, tensors, strict=True)}
            return [ref(t) for t in tensors]

        return {"name": self.name, "trainable": self.trainable, "layers": layer_configs,
                "input_layers": refs(self.inputs, self._input_keys),
                "output_layers": refs(self.outputs, self._output_keys)}

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: dict | None = None
                    ) -> Functional:
        """Rebuild the model from :meth:`get_config` output (weights are not included).

        Parameters
        ----------
        config : dict
        custom_objects : dict, optional
            ``{"ClassName": class}`` for custom layers.

        Raises
        ------
        ValueError
            If the config is malformed or refers to a tensor no layer produces.
        """
        from descend.models.functional_config import functional_from_config

        return functional_from_config(cls, config, custom_objects)
