"""``Sequential``: a plain stack of layers, each feeding the next.

Examples
--------
>>> import numpy as np
>>> import descend
>>> from descend.layers import Dense
>>> model = descend.Sequential([
...     Dense(units=16, input_shape=(1,), activation="relu"),
...     Dense(units=32, activation="relu"),
...     Dense(units=2, activation="sigmoid"),
... ])
>>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
...               metrics=["accuracy"])
>>> x = np.linspace(0, 1, 40).reshape(-1, 1).astype("float32")
>>> y = (x[:, 0] > 0.5).astype("int64")
>>> history = model.fit(x, y, batch_size=10, epochs=2, verbose=0)
>>> sorted(history.history)
['accuracy', 'loss']
>>> model.predict(x[:3], verbose=0).shape
(3, 2)
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


class Sequential(Model):
    """A linear stack of layers.

    Parameters
    ----------
    layers : list of Layer, optional
        The layers, first to last. The first may be ``Input(shape)`` (or a
        layer given ``input_shape``), in which case the model is built at once.
    trainable : bool, default True
    name : str, optional
        Defaults to ``sequential``, ``sequential_1``, ...
    """

    _replays_recorded_graph = True

    def __init__(self, layers: list[Any] | None = None, trainable: bool = True,
                 name: str | None = None, **kwargs: Any) -> None:
        super().__init__(trainable=trainable, name=name, **kwargs)
        self._input_layer: InputLayer | None = None
        # the names in use, so that ``add`` checks a name in constant time (a model with
        # n layers builds in O(n), not O(n^2)); kept in step by ``add`` and ``pop``
        self._layer_names: dict[str, int] = {}
        self._layer_name_total = 0
        if layers is not None:
            if not isinstance(layers, (list, tuple)):
                raise TypeError(
                    f"Sequential: `layers` must be a list of layers, received "
                    f"{type(layers).__name__}. Write Sequential([layer1, layer2, ...])."
                )
            for layer in layers:
                self.add(layer, rebuild=False)
            self._maybe_build_from_input()

    # ---------------------------------------------------------------- layers
    @property
    def layers(self) -> list[Layer]:
        """The model's layers, without the ``InputLayer`` (as Keras shows them)."""
        return list(self._layers)

    def add(self, layer: Any, rebuild: bool = True) -> None:
        """Append a layer (or an ``Input(...)``) on top of the stack.

        Raises
        ------
        TypeError
            If ``layer`` is not a Layer.
        ValueError
            If its name duplicates another layer's, or a second input is added.
        """
        if isinstance(layer, KerasTensor) and isinstance(layer.layer, InputLayer) \
                and not layer.inputs:
            layer = layer.layer
        if not isinstance(layer, Layer):
            raise TypeError(
                f"Sequential.add: expected a Layer instance, received {layer!r} of type "
                f"{type(layer).__name__}. Did you forget the parentheses, e.g. Dense(10) "
                "instead of Dense?"
            )
        if isinstance(layer, InputLayer):
            if self._input_layer is not None or self._layers:
                raise ValueError(
                    f"Sequential model '{self.name}' has already been configured to use input "
                    f"shape {self._input_shape()}. You cannot add a different Input layer to it."
                )
            self._input_layer = layer
            self._note_name(layer.name, +1)
        else:
            if self._names_in_use().get(layer.name):
                raise ValueError(
                    "All layers added to a Sequential model should have unique names. Name "
                    f"'{layer.name}' is already the name of a layer in this model. Update the "
                    "`name` argument to pass a unique name."
                )
            if not self._layers and self._input_layer is None and \
                    layer._input_shape_arg is not None:
                self._input_layer = InputLayer(shape=layer._input_shape_arg)
                self._note_name(self._input_layer.name, +1)
            self._layers.append(layer)
            self._note_name(layer.name, +1)
            self.__dict__.pop("_plan", None)
        if rebuild:
            self._maybe_build_from_input()

    def pop(self, rebuild: bool = True) -> Layer:
        """Remove and return the last layer (its name may then be used again)."""
        if not self._layers:
            raise IndexError("Sequential.pop: there are no layers in the model.")
        self._names_in_use()
        layer = self._layers.pop()
        self._note_name(layer.name, -1)
        self.built = False
        self.__dict__.pop("_plan", None)
        if rebuild:
            self._maybe_build_from_input()
        return layer

    def _names_in_use(self) -> dict[str, int]:
        """``{name: count}`` of the model's layers (recounted if ``_layers`` was edited)."""
        names = self._layer_names
        if self._layer_name_total != len(self._layers) + (self._input_layer is not None):
            names.clear()
            for layer in self._all_layers():
                names[layer.name] = names.get(layer.name, 0) + 1
            self._layer_name_total = len(self._layers) + (self._input_layer is not None)
        return names

    def _note_name(self, name: str, change: int) -> None:
        self._layer_name_total += change
        count = self._layer_names.get(name, 0) + change
        if count > 0:
            self._layer_names[name] = count
        else:
            self._layer_names.pop(name, None)

    def _all_layers(self) -> list[Layer]:
        return ([self._input_layer] if self._input_layer else []) + self._layers

    def _input_shape(self) -> tuple | None:
        return None if self._input_layer is None else self._input_layer.batch_shape

    def _maybe_build_from_input(self) -> None:
        shape = self._input_shape()
        if shape is not None and self._layers:
            self.build(shape)

    @property
    def output_names(self) -> list[str]:
        """The name of the last layer."""
        return [self._layers[-1].name] if self._layers else []

    # ---------------------------------------------------------------- build
    def build(self, input_shape: Any = None) -> None:
        """Create every layer's weights for inputs of ``input_shape`` (batch axis first).

        Parameters
        ----------
        input_shape : tuple, optional
            E.g. ``(None, 784)``. Defaults to the ``Input`` shape, if any.
        """
        if input_shape is None:
            input_shape = self._input_shape()
        if input_shape is None:
            raise ValueError(
                f"Sequential model '{self.name}' cannot be built without an input shape: start "
                "it with Input(shape=...) or call model.build((None, features))."
            )
        if not self._layers:
            raise ValueError(f"Sequential model '{self.name}' has no layers to build.")
        shape = tuple(input_shape)
        for layer in self._layers:
            if not layer.built:
                layer._maybe_build(shape)
            shape = tuple(layer.compute_output_shape(shape))
        self._build_shape = tuple(input_shape)
        self.built = True
        self.__dict__.pop("_plan", None)
        self.__dict__.pop("_accepted", None)
        self._trace_symbolic()

    # ------------------------------------------------------- symbolic graph
    def _trace_symbolic(self) -> None:
        """Call the layers on a symbolic input, as Keras does when it builds the model.

        The input is the model's ``Input``, else one of the shape the model was
        built for. This defines :attr:`inputs`/:attr:`outputs` and each layer's
        ``input``/``output``.
        """
        if self._input_layer is not None:
            source = self._input_layer
        else:
            source = InputLayer(batch_shape=self._build_shape, dtype=self.dtype,
                                name=f"{self.name}_input")
        tensor = source.output
        inputs = [tensor]
        for layer in self._layers:
            tensor = layer(tensor)
        self.__dict__["_symbolic_cache"] = (inputs, tensor if isinstance(tensor, list)
                                            else [tensor], len(self._layers))

    def _symbolic_io(self) -> tuple[list, list]:
        io = self.__dict__.get("_symbolic_cache")
        if io is None or io[2] != len(self._layers):
            if not self._layers or (self._input_layer is None and self._build_shape is None):
                raise AttributeError(
                    f"Sequential model '{self.name}' has no defined inputs/outputs yet: it has "
                    "no Input and was never built. Start it with descend.Input(shape=...), or "
                    "call model.build(input_shape) or fit it first."
                )
            self._trace_symbolic()
            io = self.__dict__["_symbolic_cache"]
        return io[0], io[1]

    @property
    def inputs(self) -> list:
        """The symbolic input, in a list (defined when the model starts with ``Input``).

        Raises
        ------
        AttributeError
            If the model has no ``Input``.
        """
        return list(self._symbolic_io()[0])

    @property
    def outputs(self) -> list:
        """The symbolic output of the last layer, in a list (needs an ``Input``)."""
        return list(self._symbolic_io()[1])

    def _ensure_built(self, xs: list[np.ndarray]) -> None:
        if len(xs) == 1 and self.built and xs[0].shape[1:] == self.__dict__.get("_accepted"):
            return  # the input shape accepted last time (predict at batch 1 repeats this check)
        if not self._layers:
            raise ValueError(f"Sequential model '{self.name}' has no layers: add some first.")
        if len(xs) != 1:
            raise ValueError(
                f"Sequential model '{self.name}' has one input but received {len(xs)} arrays. "
                "Pass a single array x (use the functional Model API for several inputs)."
            )
        expected = self._input_shape()
        if expected is not None:
            data.adjust_input_rank(xs, [tuple(expected)])  # (n,) for (None, 1), as Keras
            got = xs[0].shape[1:]
            want = expected[1:]
            if len(got) != len(want) or any(w is not None and w != g
                                             for w, g in zip(want, got, strict=False)):
                raise ValueError(
                    f"Input 0 of Sequential model '{self.name}' is incompatible: expected "
                    f"shape {expected}, received {(None, *got)} (data shape {xs[0].shape}). "
                    + _shape_hint(want, got)
                )
        if not self.built:
            self.build((None, *xs[0].shape[1:]))
        self.__dict__["_accepted"] = xs[0].shape[1:]

    # ----------------------------------------------------------------- call
    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        """Feed ``inputs`` through every layer in order (checked path)."""
        out = inputs
        for layer in self._layers:
            out = layer(out, training=training)
        return out

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """Shape after the last layer."""
        shape = tuple(input_shape)
        for layer in self._layers:
            shape = tuple(layer.compute_output_shape(shape))
        return shape

    def _plan_nodes(self) -> tuple:
        """The chain ``slot i -> layer i -> slot i + 1`` (see :mod:`descend.models.plan`)."""
        nodes = [Node(layer, [i], False, [(0, i + 1)]) for i, layer in enumerate(self._layers)]
        return nodes, 1, len(nodes) + 1, [len(nodes)]

    def _plan_key(self) -> Any:
        return len(self._layers)  # ``_layers`` edited in place: plan again

    def _forward(self, xs: list[Any], training: bool) -> list[Tensor]:
        """The training/evaluation forward pass (layers already checked and built).

        Follows the model's execution plan (:mod:`descend.models.plan`): runs
        of plain Dense layers become one ``DenseStack`` node and a ReLU
        convolution followed by max pooling pools before its ReLU, the same
        numbers with less work (layer by layer with fusion off).
        """
        return self._plan_forward(xs, training)

    # --------------------------------------------------------- serialisation
    def get_config(self) -> dict[str, Any]:
        """``{"name", "trainable", "dtype", "layers", "build_input_shape"}`` (Keras keys)."""
        from descend.layers.serialization import serialize_layer

        layers = [serialize_layer(layer) for layer in self._all_layers()]
        return {
            "name": self.name, "trainable": self.trainable, "dtype": self.dtype,
            "layers": layers,
            "build_input_shape": None if self._build_shape is None else list(self._build_shape),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: dict | None = None
                    ) -> Sequential:
        """Rebuild a model from :meth:`get_config` output (weights are not included)."""
        from descend.layers.serialization import deserialize_layer

        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for layer_config in config["layers"]:
            model.add(deserialize_layer(layer_config, custom_objects), rebuild=False)
        shape = config.get("build_input_shape")
        if model._input_layer is not None:
            model._maybe_build_from_input()
        elif shape is not None:
            model.build(tuple(shape))
        return model


def _shape_hint(want: tuple, got: tuple) -> str:
    if len(got) == len(want) - 1 and len(want) >= 3 and want[-1] == 3:
        return "Add the channel axis, e.g. x[..., None]."
    if len(want) == 1 and len(got) == 0:
        return "Reshape 1-D data to (samples, 1) with x.reshape(-1, 1)."
    return "Check the model's input shape against your data."
