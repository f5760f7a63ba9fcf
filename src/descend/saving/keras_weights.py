"""Weights and optimizer state in Keras 3's HDF5 layout (``model.weights.h5``).

Keras 3 stores each layer's own variables as datasets ``<path>/vars/<i>``, where
``<path>`` is ``layers/<snake_case(class)>`` (``_1``, ``_2``... for repeats) inside
a Sequential or functional model and the attribute name inside a subclassed model
or layer (``hidden/vars/0``); the model's own variables are ``vars/<i>``. The
optimizer's variables are ``optimizer/vars/<i>``: ``iterations``, the learning
rate (when constant), then each state slot of each trainable variable, in the
order Keras's optimizers create them.

Reading never trusts the file: links other than plain groups and datasets,
external or virtual storage, non-numeric dtypes and oversized arrays are refused,
and every shape is compared with the model before any data is read. h5py is
needed (``pip install '.[keras]'`` from a clone of descend).
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

from descend.saving import format as fmt
from descend.saving import weights as weights_lib

INSTALL_HINT = ("install h5py with the keras extra: `pip install '.[keras]'` from a clone of "
                "descend (or `pip install h5py`)")


def require_h5py(what: str) -> Any:
    """Import h5py, or raise ``ImportError`` saying how to install it."""
    try:
        import h5py
    except ImportError:
        raise ImportError(f"{what}: reading and writing Keras files (.keras, .weights.h5) needs "
                          f"h5py: {INSTALL_HINT}. descend's own format (.descend, "
                          ".weights.npz) needs nothing more.") from None
    return h5py


# ------------------------------------------------------------------------- paths
def _is_layer(value: Any) -> bool:
    from descend.layers.layer import Layer

    return isinstance(value, Layer)


def _container(children: list[Any], prefix: str) -> list[tuple[str, Any]]:
    """Keras's names for a list of layers: ``<prefix>/<snake_case(class)>[_<n>]``."""
    from descend.layers.layer import to_snake_case

    out, used = [], {}
    for child in children:
        name = to_snake_case(type(child).__name__)
        if name in used:
            used[name] += 1
            name = f"{name}_{used[name]}"
        else:
            used[name] = 0
        out.append((f"{prefix}/{name}" if prefix else name, child))
    return out


_INTERNAL: set[str] = set()


def _internal_names() -> set[str]:
    """descend's own attribute names on layers and models (never walked, as Keras's skip set)."""
    if not _INTERNAL:
        from descend.layers import naming
        from descend.layers.layer import Layer
        from descend.models import Model

        counts = dict(naming._NAME_COUNTS)
        try:  # two throwaway instances; automatic names must not move on
            _INTERNAL.update(vars(Layer()), vars(Model()))
        finally:
            naming._NAME_COUNTS.clear()
            naming._NAME_COUNTS.update(counts)
    return _INTERNAL


def _children(layer: Any, path: str) -> list[tuple[str, Any]]:
    """A layer's children as Keras 3 names them.

    Sequential and functional models: their layers list, ``layers/<snake_case>``.
    Other layers and models: their attributes in sorted order (private ones too), a
    list of layers as a container; a subclassed model also has its ``layers`` list,
    after the attributes sorted before ``"layers"`` (the walk skips layers already seen).
    """
    from descend.layers.input_layer import InputLayer
    from descend.models import Model, Sequential
    from descend.models.functional import Functional

    join = (lambda name: f"{path}/{name}") if path else (lambda name: name)
    if isinstance(layer, Sequential):
        return _container([c for c in layer._layers if not isinstance(c, InputLayer)],
                          join("layers"))
    if isinstance(layer, Functional):
        return _container(list(layer._layers), join("layers"))
    attributes = dict(vars(layer))
    internal = _internal_names()
    if isinstance(layer, Model):
        attributes["layers"] = list(layer._layers)
    out: list[tuple[str, Any]] = []
    for attr in sorted(attributes):
        value = attributes[attr]
        if attr in internal and attr != "layers":
            continue
        if _is_layer(value):
            out.append((join(attr), value))
        elif isinstance(value, (list, tuple)) and value and all(map(_is_layer, value)):
            out.extend(_container(list(value), join(attr)))
    return out


def keras_layer_paths(model: Any) -> list[tuple[str, Any]]:
    """``(path, layer)`` as Keras 3 names them in ``model.weights.h5`` (model: ``""``)."""
    out: list[tuple[str, Any]] = []
    stack: list[tuple[str, Any]] = [("", model)]
    seen: set[int] = set()
    while stack:
        path, layer = stack.pop()
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        out.append((path, layer))
        stack.extend(reversed(_children(layer, path)))
    return out


def _vars_key(path: str, index: int) -> str:
    return f"{path}/vars/{index}" if path else f"vars/{index}"


# --------------------------------------------------------------------- optimizer
#: Where Keras 3.15 interleaves slots that descend keeps in separate groups.
_KERAS_SLOT_ORDER = {"Nadam": [("momentum", "velocity")],
                     "Adadelta": [("accumulated_grad", "accumulated_delta_var")]}

def _optimizer_layout(model: Any) -> tuple[Any, list[Any], list[tuple[str, ...]]] | None:
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "_all_slot_groups"):
        return None
    groups = optimizer._all_slot_groups()
    keras_order = _KERAS_SLOT_ORDER.get(type(optimizer).__name__)
    if keras_order is not None:
        own = optimizer._slot_groups()
        groups = groups[:len(groups) - len(own)] + keras_order
    return optimizer, list(model.trainable_weights), groups


def keras_optimizer_arrays(model: Any) -> list[np.ndarray]:
    """The optimizer's variables in Keras's order (empty when not compiled)."""
    found = _optimizer_layout(model)
    if found is None:
        return []
    optimizer, variables, groups = found
    if variables and optimizer._layout is None and model.built:
        optimizer.build(variables)  # what Keras's fit or load_model does first
    state = optimizer.get_state()
    out = [np.asarray(state["iterations"])]
    if "learning_rate" in state:
        out.append(np.asarray(state["learning_rate"], dtype=np.float32))
    if optimizer._layout is not None:
        index = optimizer._layout.index
        for group in groups:
            for variable in variables:
                for name in group:
                    out.append(np.array(index[id(variable)].slot(name), copy=True))
    for name in optimizer._scalar_state():
        out.append(np.asarray(state[name], dtype=np.float32))
    return out


def _learning_rate(optimizer: Any, saved: np.ndarray) -> np.ndarray:
    """Keras keeps the rate in float32: keep the optimizer's exact rate when they agree."""
    current = optimizer._learning_rate
    if type(current) is float and saved.shape == () and np.float32(saved) == np.float32(current):
        return np.array(current, dtype=np.float64)
    return np.asarray(saved, dtype=np.float64)


def _descend_optimizer_state(model: Any, saved: list[Any], source: str
                             ) -> dict[str, np.ndarray] | None:
    """The Keras optimizer datasets as a descend ``get_state`` dict (lazily read)."""
    found = _optimizer_layout(model)
    if found is None or not saved:
        return None
    optimizer, variables, groups = found
    scalars = list(optimizer._scalar_state())
    slots = sum(len(g) for g in groups) * len(variables)
    constant_lr = type(optimizer._learning_rate) is float
    head = 2 if constant_lr else 1
    full = head + slots + len(scalars)
    if len(saved) < full and len(saved) <= head:  # saved before the optimizer was built
        state = {"iterations": np.asarray(saved[0][()])}
        if len(saved) == 2:
            state["learning_rate"] = _learning_rate(optimizer, np.asarray(saved[1][()]))
        if int(state["iterations"]) != 0:
            raise weights_lib.OptimizerStateMismatch(
                f"'{source}': the optimizer state has no per-variable entries but "
                f"{int(state['iterations'])} iterations.")
        return state
    if len(saved) != full:
        raise weights_lib.OptimizerStateMismatch(
            f"'{source}': cannot restore the optimizer state: the file has {len(saved)} "
            f"optimizer variables, this {type(optimizer).__name__} on "
            f"{len(variables)} trainable variables has {full}. It was "
            "probably saved by an optimizer with other settings or other variables.")
    optimizer.build(variables)
    template = optimizer.get_state()
    state = {"iterations": saved[0]}
    if constant_lr:
        state["learning_rate"] = saved[1]
    flat = {key: np.array(value, copy=True) for key, value in template.items() if "/" in key}
    position = head
    index = optimizer._layout.index
    for group in groups:
        for variable in variables:
            for name in group:
                dataset = saved[position]
                position += 1
                segment = index[id(variable)]
                if tuple(dataset.shape) != segment.shape or dataset.dtype.kind != "f":
                    raise weights_lib.OptimizerStateMismatch(
                        f"'{source}': optimizer variable {position - 1} ({name} of "
                        f"'{variable.name}') has shape {tuple(dataset.shape)} and dtype "
                        f"{dataset.dtype}, expected {segment.shape} float.")
                key = f"{name}/{segment.group.dtype.name}"
                flat[key][segment.start:segment.stop] = np.asarray(dataset[()]).reshape(-1)
    for name in scalars:
        state[name] = saved[position]
        position += 1
    out = {key: np.asarray(value[()]) if not isinstance(value, np.ndarray) else value
           for key, value in state.items()}
    if "learning_rate" in out:
        out["learning_rate"] = _learning_rate(optimizer, out["learning_rate"])
    for name in scalars:
        out[name] = out[name].astype(np.float64)
    out["iterations"] = out["iterations"].astype(np.int64)
    out.update(flat)
    return out


# -------------------------------------------------------------------------- write
def weights_h5_bytes(model: Any, include_optimizer: bool = True) -> bytes:
    """``model``'s weights (and optimizer variables) as a Keras 3 ``.weights.h5`` file."""
    h5py = require_h5py("save")
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5:
        for path, layer in keras_layer_paths(model):
            group = h5.create_group(f"{path}/vars" if path else "vars")
            group.attrs["name"] = layer.name
            for i, variable in enumerate(weights_lib.own_variables(layer)):
                group.create_dataset(str(i), data=np.asarray(variable.data))
        arrays = keras_optimizer_arrays(model) if include_optimizer else []
        if arrays:
            group = h5.create_group("optimizer/vars")
            group.attrs["name"] = getattr(model.optimizer, "name", "optimizer")
            for i, value in enumerate(arrays):
                group.create_dataset(str(i), data=value)
    return buffer.getvalue()


# --------------------------------------------------------------------------- read
def _walk(h5py: Any, group: Any, prefix: str, source: str) -> Iterator[tuple[str, Any]]:
    for name in group:
        link = group.get(name, getlink=True)
        path = f"{prefix}/{name}" if prefix else name
        if not isinstance(link, h5py.HardLink):
            raise ValueError(f"'{source}': the HDF5 entry '{path}' is a {type(link).__name__}; "
                             "descend reads only plain groups and datasets.")
        item = group[name]
        if isinstance(item, h5py.Group):
            yield from _walk(h5py, item, path, source)
        elif isinstance(item, h5py.Dataset):
            yield path, item
        else:
            raise ValueError(f"'{source}': unexpected HDF5 object at '{path}'.")


def read_datasets(h5: Any, source: str) -> tuple[dict[str, Any], list[Any]]:
    """Check every dataset of an open HDF5 file; return (weight datasets, optimizer datasets).

    Nothing is read yet: only names, shapes, dtypes and storage are looked at.

    Raises
    ------
    ValueError
        Naming the file and the entry for anything unexpected.
    """
    h5py = require_h5py("load")
    found: dict[str, Any] = {}
    optimizer: dict[int, Any] = {}
    try:
        for path, dataset in _walk(h5py, h5, "", source):
            if dataset.external or dataset.is_virtual:
                raise ValueError(f"'{source}': the HDF5 dataset '{path}' keeps its data in "
                                 "other files; descend refuses such files.")
            if dataset.dtype.kind not in "biuf":
                raise ValueError(f"'{source}': the HDF5 dataset '{path}' has dtype "
                                 f"{dataset.dtype}, not a number type.")
            if dataset.size * dataset.dtype.itemsize > fmt.MAX_ARRAY_BYTES:
                raise ValueError(f"'{source}': the HDF5 dataset '{path}' declares shape "
                                 f"{dataset.shape}, larger than descend accepts.")
            if path.startswith("optimizer/vars/"):
                tail = path[len("optimizer/vars/"):]
                if not tail.isdigit():
                    raise ValueError(f"'{source}': unexpected optimizer entry '{path}'.")
                optimizer[int(tail)] = dataset
            else:
                found[path] = dataset
            if len(found) + len(optimizer) > fmt.MAX_ARRAYS:
                raise ValueError(f"'{source}': more than {fmt.MAX_ARRAYS} arrays.")
    except (OSError, RuntimeError, KeyError) as exc:
        raise ValueError(f"'{source}': the HDF5 weights are damaged ({exc}).") from exc
    if sorted(optimizer) != list(range(len(optimizer))):
        raise ValueError(f"'{source}': the optimizer variables are not numbered "
                         f"0..{len(optimizer) - 1}.")
    return found, [optimizer[i] for i in range(len(optimizer))]


def load_h5(model: Any, data: Any, source: str, skip_mismatch: bool = False,
            load_optimizer: bool = True) -> None:
    """Load a Keras ``.weights.h5`` (path, bytes or file object) into ``model``, all or nothing.

    Raises
    ------
    ValueError
        On a damaged file (naming it and the part) or a mismatch with the model.
    """
    h5py = require_h5py("load")
    if isinstance(data, bytes):
        data = io.BytesIO(data)
    try:
        h5 = h5py.File(data, "r")
    except (OSError, ValueError) as exc:
        raise ValueError(f"'{source}' is not a readable HDF5 file ({exc}).") from None
    with h5:
        datasets, optimizer_sets = read_datasets(h5, source)
        kpaths = {id(layer): path for path, layer in keras_layer_paths(model)}
        dpaths = {kpaths[id(layer)]: path for path, layer in weights_lib.saveable_layers(model)
                  if id(layer) in kpaths}
        entries: dict[str, Any] = {}
        for key, dataset in datasets.items():
            head, sep, index = key.rpartition("/vars/")
            if not sep and key.startswith("vars/"):
                head, index = "", key[len("vars/"):]
            elif not sep:
                raise ValueError(f"'{source}': unexpected HDF5 dataset '{key}'; Keras weights "
                                 "look like 'layers/dense/vars/0'.")
            if not index.isdigit():
                raise ValueError(f"'{source}': unexpected HDF5 dataset '{key}'.")
            entries[_vars_key(dpaths.get(head, head), int(index))] = dataset
        try:
            plan = weights_lib.plan_weights(model, entries, source, skip_mismatch=skip_mismatch)
            values = [(variable, np.asarray(entries[key][()])) for variable, key in plan]
            state = None
            if load_optimizer and getattr(model, "optimizer", None) is not None:
                try:
                    state = _descend_optimizer_state(model, optimizer_sets, source)
                    if state is not None:
                        state = weights_lib.prepare_optimizer_state(model, state,
                                                                    state.__getitem__, source)
                except weights_lib.OptimizerStateMismatch as exc:
                    warnings.warn(f"{exc} The weights were loaded; the optimizer keeps its "
                                  "own state.", stacklevel=3)
                    state = None
        except (OSError, RuntimeError, KeyError) as exc:
            raise ValueError(f"'{source}': the HDF5 weights are damaged ({exc}).") from exc
    for variable, value in values:
        variable.assign(value)
    weights_lib.apply_optimizer_state(model, state)


__all__ = ["INSTALL_HINT", "keras_layer_paths", "keras_optimizer_arrays", "load_h5",
           "read_datasets", "require_h5py", "weights_h5_bytes"]
