"""``Layer``: the unit networks are built from (Keras's layer contract).

A layer owns its weights, creates them lazily in ``build(input_shape)`` the
first time it sees data, computes its output in ``call(inputs, training=...)``
by composing differentiable operations (it never writes a backward pass), and
round-trips through ``get_config()`` / ``from_config()``.

Examples
--------
>>> import numpy as np
>>> from descend.layers import Layer
>>> from descend.autograd import ops
>>> class Scale(Layer):
...     def build(self, input_shape):
...         self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones",
...                                      name="scale")
...     def call(self, inputs, training=False):
...         return inputs * self.scale
>>> layer = Scale()
>>> layer(np.ones((2, 3), dtype="float32")).shape
(2, 3)
>>> [w.path for w in layer.weights]
['scale/scale']
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from descend import config
from descend.autograd import Tensor, Variable
from descend.layers import _masks, auto_config, call_context, hooks, tracking
from descend.layers._calling import (
    _adopt_if_untracked,
    _as_shape,
    _merge_shapes,
    _output_shapes,
    _run_on_zeros,
    _shapes_of,
    convert_inputs,
)
from descend.layers.naming import (  # noqa: F401  (re-exported: their historical home)
    call_accepts_training,
    reset_names,
    shape_tuple,
    to_snake_case,
    unique_name,
)

_HOLDING_LOSSES: weakref.WeakSet = weakref.WeakSet()
"""Layers whose ``add_loss`` values are not cleared yet (clearing is free when it is empty)."""


class Layer:
    """Base class of every layer.

    Parameters
    ----------
    trainable : bool, default True
        Whether the layer's weights are updated by training.
    name : str, optional
        Unique name; defaults to the snake-case class name (``dense``, ``dense_1``...).
    dtype : str, optional
        dtype of the weights and computations; defaults to ``descend.config.floatx()``.
    input_shape : tuple of int, optional
        Legacy Keras argument (shape without the batch axis); a ``Sequential``
        model turns it into an ``InputLayer``. Prefer ``Input(shape)``.
    input_dim : int, optional
        Legacy shorthand for ``input_shape=(input_dim,)``.

    Attributes
    ----------
    built : bool
        Whether ``build`` has created the weights.
    weights : list of Variable
        Trainable then non-trainable weights, in creation order.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> Layer:
        instance = super().__new__(cls)
        if cls.get_config is Layer.get_config and cls.__init__ is not Layer.__init__:
            object.__setattr__(instance, "_auto_config", auto_config.capture(cls, args, kwargs))
        return instance

    def __init__(
        self,
        trainable: bool = True,
        name: str | None = None,
        dtype: Any = None,
        **kwargs: Any,
    ) -> None:
        input_shape = kwargs.pop("input_shape", None)
        input_dim = kwargs.pop("input_dim", None)
        batch_input_shape = kwargs.pop("batch_input_shape", None)
        kwargs.pop("batch_size", None)
        if kwargs:
            raise ValueError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: {kwargs}. "
                "Check the spelling against the layer's documented parameters."
            )
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}: name must be a str, received {name!r}.")
        self.name = name or unique_name(to_snake_case(type(self).__name__))
        self.dtype = np.dtype(dtype or config.floatx()).name
        self._trainable = bool(trainable)
        self.built = False
        self._init_tracking()
        self._regularizers: list[tuple[Variable, Any]] = []
        self._weight_constraints: list[tuple[Variable, Any]] = []
        self._build_shape: tuple | None = None
        self._input_shape_arg: tuple | None = None
        if input_dim is not None:
            input_shape = (input_dim,)
        if batch_input_shape is not None:
            input_shape = tuple(batch_input_shape)[1:]
        if input_shape is not None:
            self._input_shape_arg = shape_tuple(input_shape, f"{type(self).__name__} input_shape")

    # -------------------------------------------------------------- tracking
    #: attributes that hold the tracking state itself, or framework objects that
    #: a subclass keeps outside its sublayers; never scanned by the tracker
    _TRACKING_EXEMPT = frozenset({
        "_layers", "_weights", "_metrics", "_losses", "_regularizers", "_weight_constraints",
        "_activity_loss", "_input_layer", "_loss_tracker", "_build_shape", "_auto_config",
    })

    def _init_tracking(self) -> None:
        """Create the tracking lists (once: attributes may be set before ``__init__`` runs)."""
        d = self.__dict__
        if "_layers" not in d:
            object.__setattr__(self, "_layers", [])
            object.__setattr__(self, "_weights", [])
            object.__setattr__(self, "_metrics", [])
            object.__setattr__(self, "_losses", [])
            object.__setattr__(self, "_called", False)

    def __setattr__(self, name: str, value: Any) -> None:
        # Keras's attribute tracking: layers, variables and metrics assigned to an
        # attribute (or held in a list, tuple or dict) become part of this layer.
        if name not in self._TRACKING_EXEMPT and not isinstance(
                value, (int, float, str, np.ndarray, type(None))):
            if "_layers" not in self.__dict__:
                self._init_tracking()
            if not name.startswith("_"):
                value = tracking.wrap(self, value)
            tracking.track(self, value)
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        value = self.__dict__.get(name)
        object.__delattr__(self, name)
        if value is not None and name not in self._TRACKING_EXEMPT:
            tracking.untrack(self, value)

    def _flatten_layers(self, include_self: bool = True) -> list[Layer]:
        """This layer (optionally) and every layer inside it, breadth first, each once."""
        return tracking.flatten_layers(self, include_self)

    # --------------------------------------------------------------- weights
    def add_weight(
        self,
        shape: Any = (),
        initializer: Any = "glorot_uniform",
        name: str | None = None,
        trainable: bool = True,
        regularizer: Any = None,
        dtype: Any = None,
        constraint: Any = None,
    ) -> Variable:
        """Create a weight owned by this layer.

        Parameters
        ----------
        shape : tuple of int, default ()
        initializer : str, Initializer or callable, default "glorot_uniform"
            ``initializer(shape, dtype) -> ndarray``.
        name : str, optional
        trainable : bool, default True
        regularizer : str, Regularizer or callable, optional
            Penalty added to the training loss (``regularizer(weight) -> scalar Tensor``).
        dtype : dtype, optional
            Defaults to the layer's dtype.
        constraint : str, Constraint or callable, optional
            ``constraint(value: ndarray) -> ndarray``, applied to the value after
            each optimizer step (see :mod:`descend.constraints`); recorded with
            the variable in ``self._weight_constraints``.

        Returns
        -------
        Variable
        """
        from descend import constraints, initializers, regularizers

        dtype = dtype or self.dtype
        shape = tuple(int(s) for s in shape)
        # C order: an initializer may return a transposed view (orthogonal's Q.T), and code
        # that edits a weight through ``data.reshape(-1)`` needs a view, not a copy
        value = np.asarray(initializers.get(initializer)(shape, dtype=dtype), order="C")
        variable = Variable(value, trainable=trainable and self.trainable, name=name,
                            dtype=dtype)
        variable.path = f"{self.name}/{name or 'variable'}"
        variable._declared_trainable = bool(trainable)
        self._weights.append(variable)
        if regularizer is not None:
            self._regularizers.append((variable, regularizers.get(regularizer)))
        constraint = constraints.get(constraint)
        if constraint is not None:
            self._weight_constraints.append((variable, constraint))
        return variable

    @property
    def trainable(self) -> bool:
        """Whether training updates this layer's weights; setting it freezes or unfreezes them."""
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        hooks.changed()  # execution plans rebuild
        for w in self._weights:
            w.trainable = bool(value) and w._declared_trainable
        for layer in self._layers:
            layer.trainable = value

    @property
    def weights(self) -> list[Variable]:
        """All weights: own trainable, own non-trainable, then those of sub-layers."""
        own = [w for w in self._weights if w.trainable]
        own += [w for w in self._weights if not w.trainable]
        if not self._layers:
            return own
        seen = {id(w) for w in own}
        for layer in self._layers:
            for w in layer.weights:
                if id(w) not in seen:
                    seen.add(id(w))
                    own.append(w)
        return own

    @property
    def trainable_weights(self) -> list[Variable]:
        """Weights that training updates."""
        return [w for w in self.weights if w.trainable]

    @property
    def non_trainable_weights(self) -> list[Variable]:
        """Weights that training does not update (frozen, or statistics such as moving means)."""
        return [w for w in self.weights if not w.trainable]

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights
    variables = weights

    def get_weights(self) -> list[np.ndarray]:
        """Return copies of the weights' values, in ``weights`` order."""
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights: list[Any]) -> None:
        """Set the weights' values from a list of arrays in ``weights`` order.

        Raises
        ------
        ValueError
            If the number of arrays or any shape does not match, naming the weight.
        TypeError
            If an array is not real numbers (complex, text, objects), as ``fit``
            refuses such data; nothing is assigned then.
        """
        own = self.weights
        if len(weights) != len(own):
            raise ValueError(
                f"Layer '{self.name}': set_weights expected a list of {len(own)} arrays "
                f"(one per weight: {[w.path for w in own]}), received {len(weights)}."
            )
        for variable, value in zip(own, weights, strict=True):
            value = np.asarray(value)
            if value.dtype.kind not in "biuf":
                raise TypeError(
                    f"Layer '{self.name}': weight '{variable.path}' needs real numbers, "
                    f"received an array of dtype {value.dtype}. Pass a float array (for "
                    "complex values, choose what to keep, e.g. np.real(value))."
                )
            if value.shape != variable.shape:
                raise ValueError(
                    f"Layer '{self.name}': weight '{variable.path}' has shape {variable.shape}, "
                    f"received an array of shape {value.shape}."
                )
        for variable, value in zip(own, weights, strict=True):
            variable.assign(value)

    def count_params(self) -> int:
        """Total number of scalars in the layer's weights."""
        return int(sum(w.size for w in self.weights))

    def add_loss(self, loss: Any) -> None:
        """Add a scalar loss to the training objective (call it from ``call``).

        The losses added during a call are kept until the next outermost call
        begins; ``fit`` adds them (with the weight regularizers' penalties) to
        the compiled loss, as Keras does.

        Parameters
        ----------
        loss : Tensor or array_like, or a list of them
            Scalar tensors, e.g. ``1e-2 * ops.sum(ops.square(x))``.

        Raises
        ------
        ValueError
            If a loss is not a number or tensor.
        """
        items = loss if isinstance(loss, (list, tuple)) else [loss]
        for item in items:
            if not isinstance(item, Tensor):
                try:
                    item = Tensor(np.asarray(item, dtype=self.dtype))
                except (TypeError, ValueError):
                    raise ValueError(
                        f"Layer '{self.name}': add_loss() expects scalar tensors, received "
                        f"{item!r}. Pass e.g. 1e-2 * ops.sum(x) computed in call()."
                    ) from None
            self._losses.append(item)
        _HOLDING_LOSSES.add(self)

    def _own_losses(self) -> list[Tensor]:
        activity = getattr(self, "_activity_loss", None)
        return self._losses[:] if activity is None else [*self._losses, activity]

    def _clear_losses(self) -> None:
        """Forget the losses added in earlier calls, in this layer and the layers inside it."""
        if not _HOLDING_LOSSES:  # nothing anywhere holds an added loss: no walk needed
            return
        for layer in self._flatten_layers():
            if layer._losses:
                layer._losses.clear()
                _HOLDING_LOSSES.discard(layer)

    @property
    def losses(self) -> list[Tensor]:
        """Losses from ``add_loss``, activity regularizers and weight regularizers.

        Keras's order: this layer's added losses, those of the layers inside it
        (breadth first), then the penalties of the trainable weights'
        regularizers.
        """
        layers = self._flatten_layers()
        out: list[Tensor] = []
        for layer in layers:
            out += layer._own_losses()
        for layer in layers:
            out += [reg(w) for w, reg in layer._regularizers if w.trainable]
        return out

    # --------------------------------------------------------------- calling
    def build(self, input_shape: Any = None) -> None:
        """Create the weights for inputs of ``input_shape`` (batch axis included).

        Subclasses that create weights override it (``self.add_weight`` here).
        The default, called by hand on a layer whose sublayers are not built
        yet (a subclassed model, say: ``model.build((None, 784))``), runs
        ``call`` once on zeros of that shape (unknown dimensions as 1) so that
        every sublayer builds itself, as Keras does.
        """
        if input_shape is not None and not self.built and self._has_unbuilt_sublayers():
            self.built = True  # the run below must not come back here
            self._build_shape = _as_shape(input_shape)
            _run_on_zeros(self, input_shape, fill=1)
        self.built = True

    def _has_unbuilt_sublayers(self) -> bool:
        return any(not layer.built for layer in self._flatten_layers(include_self=False)) or (
            type(self).call is not Layer.call and not self._layers and not self._weights
            and self._is_model_class)

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        """Compute the output from ``inputs``; subclasses override this."""
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Output shape for ``input_shape`` (batch axis included, may be ``None``).

        The default runs ``call`` on zeros, without recording a graph, twice with
        unknown (``None``) dimensions set to 2 and then 3; dimensions that differ
        between the two runs are reported as ``None``. Layers override it with
        their formula when they have one.
        """
        first = _output_shapes(_run_on_zeros(self, input_shape, 2))
        second = _output_shapes(_run_on_zeros(self, input_shape, 3))
        return _merge_shapes(first, second)

    def _invoke(self, inputs: Any, training: bool, *args: Any, **kwargs: Any) -> Any:
        """``call``, passing ``training`` only if the layer's ``call`` accepts it.

        Inside a running call (a model's forward pass) the layer is pushed on
        the call context, so that the layers its ``call`` calls inherit
        ``training`` and know their parent.
        """
        context = call_context.current()
        if context is None:
            return self._run_call(inputs, training, args, kwargs)
        context.layers.append(self)
        context.training.append(bool(training))
        try:
            return self._run_call(inputs, training, args, kwargs)
        finally:
            context.layers.pop()
            context.training.pop()

    def _run_call(self, inputs: Any, training: bool, args: tuple, kwargs: dict) -> Any:
        hooked = self._hooks
        if hooked is not None:
            inputs = hooked.before(self, inputs)
        if call_accepts_training(self):
            kwargs["training"] = training
        if not _masks.is_mask_aware(self):
            out = self.call(inputs, *args, **kwargs)
        else:
            out = _masks.call_with_masks(self, inputs, self.call, kwargs, args)
        self._called = True
        if hooked is not None:
            out = hooked.after(self, inputs, out)
        return out

    def fusion_spec(self) -> Any:
        """What a model's execution plan may fuse this layer into; None: run ``call``.

        See :mod:`descend.layers.fusion` (``Dense``, the convolutions and max
        pooling describe themselves; every other layer answers None).
        """
        return None

    #: the layer's forward hooks (:mod:`descend.layers.hooks`); None while it has none
    _hooks: Any = None

    #: True for models (``descend.Model`` and its subclasses): a model nested in another
    #: builds its sublayers first (the building floor asks this instead of importing models)
    _is_model_class: bool = False
    #: True where ``call`` replays a recorded graph (Sequential, Functional): a sublayer first
    #: built during a later call belongs to it, rather than being a layer created in ``call``
    _replays_recorded_graph: bool = False

    def register_forward_pre_hook(self, hook: Any) -> hooks.HookHandle:
        """Call ``hook(layer, inputs)`` before every computation of this layer.

        ``inputs`` is the first argument of ``call`` (a Tensor or a list of
        them); a return value other than None replaces it. Returns a
        :class:`~descend.layers.hooks.HookHandle` (``handle.remove()``). Hooks
        fire in direct calls, ``fit``/``evaluate`` and ``predict`` alike; see
        :mod:`descend.layers.hooks`.
        """
        return hooks.register(self, hook, "pre")

    def register_forward_hook(self, hook: Any) -> hooks.HookHandle:
        """Call ``hook(layer, inputs, outputs)`` after every computation of this layer.

        A return value other than None replaces the outputs. Returns a
        :class:`~descend.layers.hooks.HookHandle` (``handle.remove()``, or a
        ``with`` block). A hooked layer is never fused with its neighbours, so
        the hook sees the layer's own output; see :mod:`descend.layers.hooks`.
        """
        return hooks.register(self, hook, "post")

    #: Keras's flag: the layer passes the mask of its input on to its output
    #: (``compute_mask``); see :mod:`descend.layers._masks`
    supports_masking: bool = False

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        """The mask of the output: ``previous_mask`` if ``supports_masking``, else None.

        Parameters
        ----------
        inputs : Tensor or list of Tensor
        previous_mask : ndarray of bool, shape (batch, steps), optional

        Returns
        -------
        ndarray of bool or None
        """
        return previous_mask if self.supports_masking else None

    def _maybe_build(self, input_shape: Any) -> None:
        if not self.built:
            shape = _as_shape(input_shape)
            if type(self).build is Layer.build:
                self.built = True  # the call about to run builds the sublayers
            else:
                self.build(shape)
            self.built = True
            self._build_shape = shape

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if args:
            inputs, args = args[0], args[1:]
        elif "inputs" in kwargs:
            inputs = kwargs.pop("inputs")
        else:
            raise TypeError(f"Layer '{self.name}' was called without inputs: pass the input "
                            "tensor(s) as the first argument, e.g. layer(x).")
        training = kwargs.pop("training", None)
        if type(inputs) is Tensor:
            shape: Any = inputs.shape
        else:
            from descend.ops._dispatch import has_symbolic

            if has_symbolic(inputs) or (args and has_symbolic(args)):
                if training is not None:
                    kwargs["training"] = training
                return self._call_symbolic(inputs, *args, **kwargs)
            inputs = self._convert_inputs(inputs)
            shape = _shapes_of(inputs)
        context, outermost = call_context.enter(self, training)
        try:
            if outermost:
                self._clear_losses()
            elif not self.built:
                _adopt_if_untracked(context, self)
            if not self.built:
                self._maybe_build(shape)
            self._check_input(inputs)
            return self._run_call(inputs, context.training[-1], args, kwargs)
        finally:
            call_context.leave(context, outermost)

    #: True for layers that read raw values (strings, integer ids: the text lookup layers):
    #: ``__call__`` then wraps array inputs in a tensor without converting their dtype.
    _keeps_input_dtype: bool = False

    def _convert_inputs(self, inputs: Any) -> Any:
        """Arrays and numbers (also in lists, tuples and dicts) as tensors of the layer's dtype."""
        return convert_inputs(self, inputs)

    #: keep integer array inputs as integers (``Embedding``'s ids) instead of
    #: converting them to the layer's float dtype
    _integer_inputs: bool = False

    def _check_input(self, inputs: Any) -> None:
        """Raise a clear error when ``inputs`` cannot be fed to the built layer.

        The default checks ``self.input_spec`` (an :class:`~descend.layers.InputSpec`), if set.
        """
        spec = getattr(self, "input_spec", None)
        if spec is not None:
            from descend.layers.input_spec import assert_input_compatibility

            assert_input_compatibility(spec, inputs, self.name)

    @property
    def input(self) -> Any:
        """The symbolic input(s) of the layer's first call on symbolic tensors."""
        from descend.layers.input_layer import call_attribute

        return call_attribute(self, "input")

    @property
    def output(self) -> Any:
        """The symbolic output(s) of the layer's first call on symbolic tensors."""
        from descend.layers.input_layer import call_attribute

        return call_attribute(self, "output")

    def _call_symbolic(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        from descend.layers.input_layer import call_on_symbolic

        return call_on_symbolic(self, inputs, args, kwargs)

    # --------------------------------------------------------- serialisation
    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments as JSON-serialisable data.

        The base keys are ``name``, ``trainable`` and ``dtype``. A subclass
        that does not override this method gets Keras's auto-config: the
        plain-valued arguments it was constructed with (see
        :mod:`descend.layers.auto_config`).
        """
        base = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        cls = type(self)
        if cls.get_config is Layer.get_config and cls.__init__ is not Layer.__init__:
            return auto_config.auto_config(self, base)
        return base

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        """Create a layer from the output of :meth:`get_config`."""
        if cls.get_config is Layer.get_config:
            config = auto_config.accepted(cls, config)
        try:
            return cls(**config)
        except TypeError as error:
            raise TypeError(
                f"Error when deserializing class '{cls.__name__}' using config={config}: "
                f"{error}. Make get_config() return the arguments of __init__, or "
                "override from_config()."
            ) from error

    def get_build_config(self) -> dict[str, Any] | None:
        """The input shape the layer was built with, for rebuilding after loading."""
        if self._build_shape is None:
            return None
        return {"input_shape": list(self._build_shape)}

    def build_from_config(self, build_config: dict[str, Any] | None) -> None:
        """Build the layer from :meth:`get_build_config` output."""
        if build_config and not self.built:
            shape = _as_shape(build_config["input_shape"])
            if type(self).build is Layer.build:
                self.build(shape)  # the default runs call() so that sublayers build
            else:
                self._maybe_build(shape)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"

