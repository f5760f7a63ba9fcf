"""Weights and optimizer state as named NumPy arrays, keyed by stable paths.

Each layer's own variables are stored as ``<path>/vars/<i>``, trainable ones first
(as declared, so freezing a layer does not reorder them), where ``<path>`` walks
the model as Keras does: ``layers/<snake_case(class)>`` with ``_1``, ``_2``...
for repeated classes, nested models adding their own ``layers/...``. The keys
never use ``layer.name``, whose automatic values (``dense_7``) depend on what
else the program created. A ``Sequential`` of two ``Dense`` layers gives::

    layers/dense/vars/0      kernel
    layers/dense/vars/1      bias
    layers/dense_1/vars/0    kernel
    layers/dense_1/vars/1    bias

The optimizer state is :meth:`Optimizer.get_state` (``iterations``,
``learning_rate``, one flat array per state slot and dtype), under
``optimizer/`` in a ``.weights.npz``.

Examples
--------
>>> import descend
>>> from descend.layers import Dense, Input
>>> model = descend.Sequential([Input((3,)), Dense(4), Dense(2)])
>>> sorted(weight_arrays(model))
['layers/dense/vars/0', 'layers/dense/vars/1', 'layers/dense_1/vars/0', 'layers/dense_1/vars/1']
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from descend.saving import format as fmt

OPTIMIZER_PREFIX = "optimizer/"
TRAINING_STATE_KEY = "training_state"
_VAR_KEY = re.compile(r"^(?:(.*)/)?vars/(\d+)$")


# --------------------------------------------------------------------------- paths
def saveable_layers(model: Any) -> list[tuple[str, Any]]:
    """``(path, layer)`` for the model and every layer inside it, depth first.

    The model itself has the path ``""``.
    """
    from descend.layers.layer import to_snake_case

    out: list[tuple[str, Any]] = []
    stack: list[tuple[str, Any]] = [("", model)]
    while stack:
        path, layer = stack.pop()
        out.append((path, layer))
        children: list[tuple[str, Any]] = []
        used: dict[str, int] = {}
        for child in getattr(layer, "_layers", None) or ():
            name = to_snake_case(type(child).__name__)
            if name in used:
                used[name] += 1
                name = f"{name}_{used[name]}"
            else:
                used[name] = 0
            children.append((f"{path}/layers/{name}" if path else f"layers/{name}", child))
        stack.extend(reversed(children))
    return out


def own_variables(layer: Any) -> list[Any]:
    """The layer's own variables: declared-trainable first, then the others (creation order)."""
    own = list(getattr(layer, "_weights", None) or ())
    trainable = [v for v in own if getattr(v, "_declared_trainable", v.trainable)]
    return trainable + [v for v in own if not getattr(v, "_declared_trainable", v.trainable)]


def _var_key(path: str, index: int) -> str:
    return f"{path}/vars/{index}" if path else f"vars/{index}"


def weight_arrays(model: Any) -> dict[str, np.ndarray]:
    """Copies of every weight of ``model``, keyed by stable path."""
    out = {}
    for path, layer in saveable_layers(model):
        for i, variable in enumerate(own_variables(layer)):
            out[_var_key(path, i)] = np.array(variable.data, copy=True)
    return out


# --------------------------------------------------------------------------- loading
def assign_weight_arrays(model: Any, arrays: Mapping[str, np.ndarray], source: str,
                         skip_mismatch: bool = False) -> None:
    """Set ``model``'s weights from :func:`weight_arrays` output, checking everything first.

    Nothing is assigned unless every check passes (or, with ``skip_mismatch``, the
    mismatching layers are skipped with a warning).

    Raises
    ------
    ValueError
        On a missing or unexpected layer, a count mismatch (naming the layer and the
        counts) or a shape mismatch (naming the layer, the weight and both shapes).
    """
    saved: dict[str, dict[int, np.ndarray]] = {}
    for key, value in arrays.items():
        match = _VAR_KEY.match(key)
        if match is None:
            raise ValueError(f"'{source}': unexpected array {key!r}; weight keys look like "
                             "'layers/dense/vars/0'.")
        saved.setdefault(match.group(1) or "", {})[int(match.group(2))] = value
    plan: list[tuple[Any, np.ndarray]] = []
    problems: list[str] = []
    layers = saveable_layers(model)
    known = {path for path, _ in layers}
    for path, layer in layers:
        variables = own_variables(layer)
        values = saved.get(path, {})
        if not variables and not values:
            continue
        label = f"Layer '{layer.name}' (saved as '{path or '<model>'}')"
        if sorted(values) != list(range(len(values))):
            problems.append(f"{label}: the saved variables are not numbered 0..{len(values) - 1}.")
            continue
        if not variables:
            problems.append(
                f"Layer '{layer.name}' was never built and thus it doesn't have any variables. "
                f"However the weights file lists {len(values)} variables for this layer. Build "
                "the model first (call it on a batch of data, fit it, or model.build(input_shape)"
                ") and then load the weights."
            )
            continue
        if len(values) != len(variables):
            problems.append(
                f"{label} expected {len(variables)} variables, but received "
                f"{len(values)} variables during loading. Expected: "
                f"{[v.name for v in variables]}"
            )
            continue
        layer_plan = []
        for i, variable in enumerate(variables):
            value = np.asarray(values[i])
            if value.shape != tuple(variable.shape):
                problems.append(
                    f"Layer '{layer.name}': weight '{variable.name}' has shape "
                    f"{tuple(variable.shape)} in the model, but the saved value has shape "
                    f"{value.shape}."
                )
                break
            if value.dtype.kind not in "biuf":
                problems.append(f"Layer '{layer.name}': weight '{variable.name}' was saved with "
                                f"dtype {value.dtype}, not a number type.")
                break
            layer_plan.append((variable, value))
        else:
            plan.extend(layer_plan)
    unexpected = sorted(set(saved) - known)
    for path in unexpected:
        problems.append(f"The weights file has {len(saved[path])} variables for '{path}', which "
                        "is not a layer of this model.")
    if problems:
        text = "\n".join(problems)
        if not skip_mismatch:
            raise ValueError(f"Cannot load the weights from '{source}' into model "
                             f"'{model.name}':\n{text}\nPass skip_mismatch=True to skip these "
                             "layers and load the others.")
        warnings.warn(f"Skipping variable loading for mismatched layers from '{source}':\n{text}",
                      stacklevel=3)
    for variable, value in plan:
        variable.assign(value)


# ------------------------------------------------------------------------- optimizer
def optimizer_arrays(model: Any) -> dict[str, np.ndarray]:
    """The optimizer state of a compiled model (empty dict if not compiled)."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "get_state"):
        return {}
    return dict(optimizer.get_state())


def restore_optimizer(model: Any, state: Mapping[str, np.ndarray], source: str) -> None:
    """Restore :func:`optimizer_arrays` output into ``model.optimizer``.

    The optimizer is built on ``model.trainable_weights`` first, so that the next
    ``fit`` continues exactly where the saved run stopped. A state saved before
    the first step (``iterations == 0``) only restores the learning rate.

    Raises
    ------
    ValueError
        If the state does not fit this optimizer (other type, settings or variables).
    """
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not state:
        return
    if "iterations" not in state:
        raise ValueError(f"'{source}': the optimizer state has no 'iterations' entry.")
    try:
        if int(np.asarray(state["iterations"])) == 0:
            if "learning_rate" in state and type(optimizer._learning_rate) is float:
                optimizer.learning_rate = float(np.asarray(state["learning_rate"]))
            return
        optimizer.set_state(state, trainable_variables=model.trainable_weights)
    except (ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"'{source}': cannot restore the optimizer state: {exc}") from exc


# --------------------------------------------------------------------- weights files
def save_weights(model: Any, filepath: Any, overwrite: bool = True) -> None:
    """Save ``model``'s weights, and its optimizer state when compiled, to ``.weights.npz``.

    Parameters
    ----------
    model : Model
    filepath : str or os.PathLike
        Must end in ``.weights.npz``.
    overwrite : bool, default True
        If False and the file exists, raise ``FileExistsError``.

    Raises
    ------
    ValueError
        If the extension is wrong.

    Examples
    --------
    >>> import os, tempfile
    >>> import descend
    >>> from descend.layers import Dense, Input
    >>> model = descend.Sequential([Input((3,)), Dense(2)])
    >>> path = os.path.join(tempfile.mkdtemp(), "m.weights.npz")
    >>> model.save_weights(path)
    >>> model.load_weights(path)
    """
    filepath = fmt.check_path(filepath, "save_weights")
    fmt.check_weights_extension(filepath, "save_weights")
    fmt.atomic_write(filepath, lambda f: fmt.write_arrays(f, weights_file_arrays(model)),
                     overwrite=overwrite)


def weights_file_arrays(model: Any, training_state: str | None = None) -> dict[str, np.ndarray]:
    """Everything a ``.weights.npz`` holds: weights, ``optimizer/...`` and a training state."""
    arrays: dict[str, Any] = weight_arrays(model)
    arrays.update({OPTIMIZER_PREFIX + k: v for k, v in optimizer_arrays(model).items()})
    if training_state is not None:
        arrays[TRAINING_STATE_KEY] = np.array(training_state)
    return arrays


def split_weights_file(arrays: Mapping[str, np.ndarray]
                       ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], Any]:
    """Split a ``.weights.npz``'s arrays into (weights, optimizer state, training state)."""
    weights, optimizer = {}, {}
    training_state = None
    for key, value in arrays.items():
        if key.startswith(OPTIMIZER_PREFIX):
            optimizer[key[len(OPTIMIZER_PREFIX):]] = value
        elif key == TRAINING_STATE_KEY:
            training_state = value
        else:
            weights[key] = value
    return weights, optimizer, training_state


def read_weights_file(filepath: str) -> dict[str, np.ndarray]:
    """Read and validate a ``.weights.npz`` (``ValueError`` naming the file on any problem)."""
    data = fmt.read_file_bytes(filepath, fmt.MAX_ARRAY_BYTES + 2**20)
    return fmt.arrays_from_bytes(data, filepath)


def load_weights(model: Any, filepath: Any, skip_mismatch: bool = False) -> None:
    """Load weights from ``.weights.npz`` (:func:`save_weights`) or ``.descend`` (``model.save``).

    When the model is compiled, the saved optimizer state is restored too (compile
    **before** loading to resume training, as in Keras); if it does not fit the
    model's optimizer (another class or settings), a warning says so and only the
    weights are loaded.

    Parameters
    ----------
    model : Model
        Built, with the architecture the weights were saved from.
    filepath : str or os.PathLike
    skip_mismatch : bool, default False
        Skip (with a warning) layers whose variable count or shapes do not match.

    Raises
    ------
    ValueError
        On a wrong extension, a bad file, or a mismatch (naming the layer, the
        weight and both shapes, or the counts).

    Examples
    --------
    >>> import os, tempfile
    >>> import descend
    >>> from descend.layers import Dense, Input
    >>> path = os.path.join(tempfile.mkdtemp(), "m.weights.npz")
    >>> descend.Sequential([Input((2,)), Dense(3)]).save_weights(path)
    >>> descend.Sequential([Input((2,)), Dense(4)]).load_weights(path)
    Traceback (most recent call last):
    ...
    ValueError: Cannot load the weights from '...m.weights.npz' into model '...':
    Layer '...': weight 'kernel' has shape (2, 4) in the model, but the saved value ... (2, 3).
    Pass skip_mismatch=True to skip these layers and load the others.
    """
    filepath = fmt.check_path(filepath, "load_weights")
    if filepath.endswith(fmt.MODEL_EXTENSION):
        members = fmt.read_archive(filepath)
        fmt.read_metadata(members, filepath)
        if fmt.WEIGHTS not in members:
            raise ValueError(f"'{filepath}' has no {fmt.WEIGHTS}; it holds no weights.")
        weights = fmt.arrays_from_bytes(members[fmt.WEIGHTS], filepath, fmt.WEIGHTS)
        optimizer: dict[str, np.ndarray] = {}
        if fmt.OPTIMIZER in members:
            optimizer = fmt.arrays_from_bytes(members[fmt.OPTIMIZER], filepath, fmt.OPTIMIZER)
    elif filepath.endswith(fmt.WEIGHTS_EXTENSION):
        weights, optimizer, _ = split_weights_file(read_weights_file(filepath))
    else:
        raise ValueError(
            "load_weights: the filename must end in `.weights.npz` (written by "
            "model.save_weights) or `.descend` (written by model.save). Received: "
            f"filepath={filepath}"
        )
    assign_weight_arrays(model, weights, filepath, skip_mismatch=skip_mismatch)
    if getattr(model, "optimizer", None) is not None and optimizer:
        try:
            restore_optimizer(model, optimizer, filepath)
        except ValueError as exc:  # the weights are loaded; only the optimizer differs
            warnings.warn(f"{exc} The weights were loaded; the optimizer keeps its own state.",
                          stacklevel=3)


__all__ = [
    "assign_weight_arrays", "load_weights", "optimizer_arrays", "own_variables",
    "read_weights_file", "restore_optimizer", "save_weights", "saveable_layers",
    "split_weights_file", "weight_arrays", "weights_file_arrays",
]
