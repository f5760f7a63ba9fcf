"""Looking into and copying models: ``get_layer``, ``clone_model``, ``Model.from_config``.

The functions take the model as their first argument so that every model class
(``Sequential``, functional, subclassed ``Model``) shares one implementation:
``Model.get_layer`` and ``Model.from_config`` call :func:`get_layer` and
:func:`model_from_config`. Errors repeat Keras's messages.

Examples
--------
>>> import descend
>>> from descend import layers
>>> model = descend.Sequential([layers.Input((3,)), layers.Dense(2, name="hidden")])
>>> get_layer(model, "hidden").units, get_layer(model, index=0).name
(2, 'hidden')
>>> clone = clone_model(model)
>>> clone.get_layer("hidden") is model.get_layer("hidden")
False
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from descend import tree

__all__ = ["clone_model", "get_layer", "get_source_inputs", "model_from_config"]


def get_layer(model: Any, name: str | None = None, index: int | None = None) -> Any:
    """Return one of ``model.layers`` by ``name`` or by position ``index``.

    Parameters
    ----------
    model : Model
    name : str, optional
    index : int, optional
        Position in ``model.layers`` (negative counts from the end).

    Raises
    ------
    ValueError
        If both or neither of ``name`` and ``index`` are given, the index is
        out of range, or no layer has that name.
    """
    layers = list(model.layers)
    if index is not None and name is not None:
        raise ValueError("Provide only a layer name or a layer index. Received: "
                         f"index={index}, name={name}.")
    if index is not None:
        if isinstance(index, bool) or not isinstance(index, int):
            raise TypeError(f"get_layer: index must be an int, received {index!r}.")
        if len(layers) <= index or index < -len(layers):
            raise ValueError(f"Was asked to retrieve layer at index {index} but model only has "
                             f"{len(layers)} layers.")
        return layers[index]
    if name is not None:
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name}. Existing layers are: "
                         f"{[layer.name for layer in layers]}.")
    raise ValueError("Provide either a layer name or layer index at `get_layer`.")


def get_source_inputs(tensor: Any) -> list[Any]:
    """The ``Input`` tensors that ``tensor`` (a symbolic tensor) is computed from.

    Examples
    --------
    >>> from descend import layers
    >>> a, b = layers.Input((2,), name="a"), layers.Input((2,), name="b")
    >>> [t.name for t in get_source_inputs(layers.Add()([a, layers.Dense(2)(b)]))]
    ['a', 'b']
    """
    from descend.layers.input_layer import KerasTensor

    if not isinstance(tensor, KerasTensor):
        raise TypeError(f"get_source_inputs: expected a symbolic tensor (KerasTensor), received "
                        f"{tensor!r}.")
    found: list[Any] = []
    seen: set[int] = set()
    stack = [tensor]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if not node.inputs:
            found.append(node)
        stack.extend(reversed(node.inputs))
    return found


def _functional_like(cls: type) -> bool:
    """Whether ``cls(inputs, outputs, name=...)`` builds a functional model (Keras's test)."""
    from descend.models.functional import Functional
    from descend.models.model import Model

    if cls in (Functional, Model):
        return True
    try:
        params = inspect.signature(cls.__init__).parameters
    except (TypeError, ValueError):
        return False
    names = [p for p in params if p != "self"]
    kinds = {p.kind for p in params.values()}
    return names[:2] == ["inputs", "outputs"] or (
        inspect.Parameter.VAR_POSITIONAL in kinds and inspect.Parameter.VAR_KEYWORD in kinds)


def model_from_config(cls: type, config: Mapping[str, Any],
                      custom_objects: Mapping[str, Any] | None = None) -> Any:
    """``cls.from_config(config)`` for models, as Keras's ``Model.from_config`` does it.

    A functional config (``name``, ``layers``, ``input_layers``, ``output_layers``)
    is rebuilt as a graph when ``cls`` can be constructed like a functional
    model; otherwise the config holds constructor arguments: ``cls(**config)``.

    Raises
    ------
    TypeError
        If ``cls(**config)`` fails (the config misses constructor arguments).
    """
    from descend.models.functional import Functional

    if not isinstance(config, Mapping):
        raise TypeError(f"{cls.__name__}.from_config: expected a dict, received {config!r}.")
    functional = all(key in config for key in ("name", "layers", "input_layers",
                                               "output_layers"))
    if functional and (issubclass(cls, Functional) or cls.__name__ == "Model"
                       and cls.__module__.startswith("descend.")):
        target = cls if issubclass(cls, Functional) else Functional
        return Functional.from_config.__func__(target, dict(config), custom_objects)
    try:
        return cls(**config)
    except TypeError as exc:
        raise TypeError(
            f"Unable to revive model from config. When overriding the `get_config()` method, "
            f"make sure that the returned config contains all items used as arguments in the "
            f"constructor to {cls}, which is the default behavior. You can override this "
            f"default behavior by defining a `from_config(cls, config)` class method. "
            f"Error: {exc}"
        ) from exc


def _default_clone(layer: Any) -> Any:
    return type(layer).from_config(layer.get_config())


def _wrap_clone_function(clone_function: Callable[[Any], Any] | None,
                         call_function: Callable[..., Any] | None, recursive: bool,
                         cache: dict[int, Any]) -> Callable[[Any], Any]:
    """Clone each layer once (shared layers stay shared), nested models recursively."""
    if clone_function is None:
        clone_function = _default_clone
    elif not callable(clone_function):
        raise ValueError("Expected `clone_function` argument to be a callable. Received: "
                         f"clone_function={clone_function!r}")
    inner = clone_function

    def wrapped(layer: Any) -> Any:
        from descend.models.functional import Functional
        from descend.models.sequential import Sequential

        if id(layer) in cache:
            return cache[id(layer)]
        if recursive and isinstance(layer, (Sequential, Functional)):
            clone = clone_model(layer, clone_function=inner, recursive=True,
                                call_function=None if isinstance(layer, Sequential)
                                else call_function, cache=cache)
        else:
            clone = inner(layer)
        cache[id(layer)] = clone
        return clone

    return wrapped


def _copy_compile(model: Any, clone: Any) -> Any:
    if getattr(model, "optimizer", None) is not None and model.compiled_loss is not None:
        from descend.saving.serialization import compile_from_config, serialize_compile_config

        config = serialize_compile_config(model)
        if config:
            compile_from_config(clone, config)
    return clone


def _clone_sequential(model: Any, clone_function: Callable[[Any], Any],
                      input_tensors: Any) -> Any:
    from descend.layers.input_layer import Input, KerasTensor
    from descend.models.sequential import Sequential

    new_layers = [clone_function(layer) for layer in model.layers]
    reference = model._input_layer
    if input_tensors is not None:
        if isinstance(input_tensors, (list, tuple)):
            if len(input_tensors) != 1:
                raise ValueError("Argument `input_tensors` must contain a single tensor.")
            input_tensors = input_tensors[0]
        if not isinstance(input_tensors, KerasTensor):
            raise ValueError("Argument `input_tensors` must be a KerasTensor. Received invalid "
                             f"value: input_tensors={input_tensors!r}")
        new_layers = [Input(batch_shape=input_tensors.shape, dtype=input_tensors.dtype,
                            name=reference.name if reference else None)] + new_layers
    elif reference is not None:
        new_layers = [Input(batch_shape=reference.batch_shape, dtype=reference.dtype,
                            name=reference.name)] + new_layers
    clone = Sequential(new_layers, name=model.name, trainable=model.trainable)
    if not clone.built and model.built and model._build_shape is not None:
        clone.build(model._build_shape)
    return _copy_compile(model, clone)


def _clone_functional(model: Any, clone_function: Callable[[Any], Any], input_tensors: Any,
                      call_function: Callable[..., Any] | None) -> Any:
    from descend.layers.input_layer import Input, InputLayer, KerasTensor
    from descend.models.functional import Functional

    if input_tensors is not None:
        if not all(isinstance(x, KerasTensor) for x in tree.flatten(input_tensors)):
            raise ValueError("All entries in `input_tensors` must be KerasTensors. Received "
                             f"invalid values: input_tensors={input_tensors!r}")
        try:
            tree.assert_same_structure(input_tensors, model.input)
        except ValueError as exc:
            raise ValueError("`input_tensors` must have the same structure as model.input\n"
                             f"Reference structure: {model.input}\nReceived structure: "
                             f"{input_tensors}") from exc
    else:
        input_tensors = tree.map_structure(
            lambda t: Input(batch_shape=t.shape, dtype=t.dtype, name=t.layer.name), model.input)
    new_of: dict[int, Any] = {
        id(old): new for old, new in zip(model.inputs, tree.flatten(input_tensors), strict=True)}

    def call(layer: Any, args: Any, kwargs: dict[str, Any]) -> Any:
        if call_function is not None:
            return call_function(layer, args, **kwargs)
        return layer(args, **kwargs)

    # every node of the graph, in an order where each comes after its inputs
    for node in model._nodes:
        if not node.inputs:
            if isinstance(node.layer, InputLayer) and any(id(t) not in new_of
                                                          for t in node.outputs):
                raise ValueError(f"clone_model: input {node.layer.name!r} is not among the "
                                 "model's inputs.")
            continue
        new_layer = clone_function(node.layer)
        args = [new_of[id(t)] for t in node.inputs]
        out = call(new_layer, args if len(args) > 1 else args[0], dict(node.kwargs))
        outs = out if isinstance(out, (list, tuple)) else [out]
        for tensor in node.outputs:
            new_of[id(tensor)] = outs[tensor.index]
    outputs = tree.map_structure(lambda t: new_of[id(t)], model.output)
    cls = type(model) if _functional_like(type(model)) else Functional
    clone = cls(input_tensors, outputs, name=model.name)
    return _copy_compile(model, clone)


def clone_model(model: Any, input_tensors: Any = None,
                clone_function: Callable[[Any], Any] | None = None,
                call_function: Callable[..., Any] | None = None, recursive: bool = False,
                **kwargs: Any) -> Any:
    """A new model with the same architecture and new (freshly initialised) weights.

    Parameters
    ----------
    model : Model
        A ``Sequential``, functional or subclassed model.
    input_tensors : KerasTensor or structure of KerasTensor, optional
        New inputs to build the clone on (same structure as ``model.input``).
        Sequential and functional models only.
    clone_function : callable, optional
        ``clone_function(layer) -> layer``, applied to every layer except the
        inputs. Default: ``type(layer).from_config(layer.get_config())``. Return
        the layer itself to share it (and its weights) with the original.
    call_function : callable, optional
        ``call_function(layer, *args, **kwargs)`` replaces ``layer(*args,
        **kwargs)`` when the functional graph is rebuilt. Functional models only.
    recursive : bool, default False
        Clone nested Sequential/functional models layer by layer with
        ``clone_function`` (otherwise a nested model goes to ``clone_function``
        as one layer).

    Returns
    -------
    Model
        Compiled like ``model`` when ``model`` is compiled (new optimizer state).

    Raises
    ------
    ValueError
        For unknown keyword arguments, a non-callable ``clone_function``,
        ``call_function`` with a Sequential model, ``clone_function`` /
        ``input_tensors`` with a subclassed model, or mismatched ``input_tensors``.
    """
    from descend.models.functional import Functional
    from descend.models.sequential import Sequential

    cache = kwargs.pop("cache", None)
    if kwargs:
        raise ValueError(f"Unexpected keyword argument(s): {tuple(kwargs)}")
    cache = {} if cache is None else cache
    if isinstance(model, Sequential):
        if call_function is not None:
            raise ValueError(
                "`call_function` argument is not supported with Sequential models. In a "
                "Sequential model, layers aren't called at model-construction time (they're "
                "merely listed). Use `call_function` with Functional models only. Received "
                f"model of type '{type(model).__name__}', with call_function={call_function!r}")
        wrapped = _wrap_clone_function(clone_function, None, recursive, cache)
        return _clone_sequential(model, wrapped, input_tensors)
    if isinstance(model, Functional):
        wrapped = _wrap_clone_function(clone_function, call_function, recursive, cache)
        return _clone_functional(model, wrapped, input_tensors, call_function)
    if clone_function is not None or input_tensors is not None:
        raise ValueError(
            "Arguments `clone_function` and `input_tensors` are only supported for Sequential "
            f"models or Functional models. Received model of type '{type(model).__name__}', "
            f"with clone_function={clone_function!r} and input_tensors={input_tensors!r}")
    if call_function is not None:
        raise ValueError("Argument `call_function` is only supported for Functional models. "
                         f"Received model of type '{type(model).__name__}'.")
    from descend.saving.serialization_lib import (
        deserialize_keras_object,
        serialize_keras_object,
    )

    config = serialize_keras_object(model)
    return deserialize_keras_object(config, custom_objects={type(model).__name__: type(model)})
