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

import os
import re
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from descend.saving import format as fmt

OPTIMIZER_PREFIX = "optimizer/"
TRAINING_STATE_KEY = "training_state"
MAX_TRAINING_STATE_BYTES = fmt.MAX_SMALL_JSON_BYTES
"""Largest training state in a ``.weights.npz`` (4 MiB: a UTF-32 text of 1 Mi characters; a
real one holds a few hundred characters per seeded layer)."""
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
def plan_weights(model: Any, entries: Mapping[str, Any], source: str,
                 skip_mismatch: bool = False) -> list[tuple[Any, str]]:
    """Match saved entries with ``model``'s variables, from their shapes and dtypes only.

    Parameters
    ----------
    model : Model
    entries : mapping of str to ndarray or ArrayHeader
        Anything with ``.shape`` and ``.dtype`` per key: arrays, or the headers of an
        :class:`~descend.saving.format.NpzArchive` (so nothing is read before the
        shapes are known to fit).
    source : str
        File name, for messages.
    skip_mismatch : bool, default False
        Skip mismatching layers with a warning instead of raising.

    Returns
    -------
    list of (Variable, key)
        What to assign, once every check has passed.

    Raises
    ------
    ValueError
        On a missing or unexpected layer, a count mismatch (naming the layer and the
        counts) or a shape or dtype mismatch (naming the layer, the weight and both
        shapes).
    """
    saved: dict[str, dict[int, str]] = {}
    for key in entries:
        match = _VAR_KEY.match(key)
        if match is None:
            raise ValueError(f"'{source}': unexpected array {key!r}; weight keys look like "
                             "'layers/dense/vars/0'.")
        saved.setdefault(match.group(1) or "", {})[int(match.group(2))] = key
    plan: list[tuple[Any, str]] = []
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
            entry = entries[values[i]]
            if tuple(entry.shape) != tuple(variable.shape):
                problems.append(
                    f"Layer '{layer.name}': weight '{variable.name}' has shape "
                    f"{tuple(variable.shape)} in the model, but the saved value has shape "
                    f"{tuple(entry.shape)}."
                )
                break
            if entry.dtype.kind not in "biuf":
                problems.append(f"Layer '{layer.name}': weight '{variable.name}' was saved with "
                                f"dtype {entry.dtype}, not a number type.")
                break
            layer_plan.append((variable, values[i]))
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
                      stacklevel=4)
    return plan


def assign_weight_arrays(model: Any, arrays: Mapping[str, np.ndarray], source: str,
                         skip_mismatch: bool = False) -> None:
    """Set ``model``'s weights from :func:`weight_arrays` output, checking everything first.

    Nothing is assigned unless every check passes (or, with ``skip_mismatch``, the
    mismatching layers are skipped with a warning).

    Raises
    ------
    ValueError
        As :func:`plan_weights`.
    """
    arrays = {key: np.asarray(value) for key, value in arrays.items()}
    for variable, key in plan_weights(model, arrays, source, skip_mismatch):
        variable.assign(arrays[key])


# ------------------------------------------------------------------------- optimizer
def optimizer_arrays(model: Any) -> dict[str, np.ndarray]:
    """The optimizer state of a compiled model (empty dict if not compiled)."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "get_state"):
        return {}
    return dict(optimizer.get_state())


_SCALAR_KEYS = ("iterations", "learning_rate")


class OptimizerStateMismatch(ValueError):
    """A well-formed optimizer state saved by another optimizer (other class, settings or
    variables): ``load_weights`` then loads the weights only, with a warning."""


def _check_scalar(key: str, value: np.ndarray, source: str) -> None:
    if value.shape != () or value.dtype.kind not in "biuf":
        raise ValueError(f"'{source}': optimizer entry {key!r} must be a number, received an "
                         f"array of shape {value.shape} and dtype {value.dtype}.")
    number = value.item()
    if not np.isfinite(number):
        raise ValueError(f"'{source}': optimizer entry {key!r} is {number}, not a finite number.")
    if key == "iterations" and (number != int(number) or not 0 <= number < 2**62):
        raise ValueError(f"'{source}': optimizer entry 'iterations' must be a whole number "
                         f"between 0 and 2**62, received {number}.")


def prepare_optimizer_state(model: Any, entries: Mapping[str, Any], read: Any, source: str
                            ) -> dict[str, np.ndarray] | None:
    """Check a saved optimizer state against ``model.optimizer`` and read it.

    Every key, shape and dtype is compared with the state this optimizer has on
    the model's trainable weights (the optimizer is built on them first, as
    ``fit`` would), then the values are read and the scalars checked (finite;
    ``iterations`` a whole number). Nothing of the optimizer's state is changed.

    Parameters
    ----------
    model : Model
        Compiled.
    entries : mapping of str to ndarray or ArrayHeader
        The saved state's keys with their shapes and dtypes.
    read : callable
        ``read(key) -> ndarray``: the value of one entry.
    source : str
        File name, for messages.

    Returns
    -------
    dict of str to ndarray or None
        The state to give :func:`apply_optimizer_state`; None when there is nothing to
        restore.

    Raises
    ------
    ValueError
        Naming the file and the entry, if the state does not fit this optimizer.
    """
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not entries:
        return None
    owner = type(optimizer).__name__
    if "iterations" not in entries:
        raise ValueError(f"'{source}': the optimizer state has no 'iterations' entry.")
    state: dict[str, np.ndarray] = {}
    for key in _SCALAR_KEYS:
        if key in entries:
            if tuple(entries[key].shape) != () or entries[key].dtype.kind not in "biuf":
                raise ValueError(f"'{source}': optimizer entry {key!r} must be a number, "
                                 f"received shape {tuple(entries[key].shape)} and dtype "
                                 f"{entries[key].dtype}.")
            state[key] = np.asarray(read(key))
            _check_scalar(key, state[key], source)
    if int(state["iterations"]) == 0:  # saved before the first step: only the learning rate
        return state
    try:
        optimizer.build(model.trainable_weights)
    except (TypeError, ValueError) as exc:
        raise OptimizerStateMismatch(f"'{source}': cannot restore the optimizer state: {exc}"
                                     ) from exc
    expected = optimizer.get_state()
    unexpected = sorted(set(entries) - set(expected) - {"learning_rate"})
    missing = sorted(set(expected) - set(entries) - {"learning_rate"})
    if unexpected or missing:
        raise OptimizerStateMismatch(
            f"'{source}': cannot restore the optimizer state: it does not match this {owner} "
            f"(missing entries {missing}, unexpected entries {unexpected}). It was probably "
            "saved by an optimizer with other settings or other variables."
        )
    for key, reference in expected.items():
        if key in state or key not in entries:
            continue
        entry = entries[key]
        if entry.dtype.kind not in "biuf":
            raise ValueError(f"'{source}': optimizer entry {key!r} has dtype {entry.dtype}, "
                             "not a number type; the file is damaged.")
        if tuple(entry.shape) != reference.shape:
            raise OptimizerStateMismatch(
                f"'{source}': cannot restore the optimizer state: entry {key!r} has shape "
                f"{tuple(entry.shape)}, expected {reference.shape}; the model's variables "
                "differ from those saved."
            )
        value = np.asarray(read(key))
        if reference.shape == ():
            _check_scalar(key, value, source)
        state[key] = value
    return state


def apply_optimizer_state(model: Any, state: Mapping[str, np.ndarray] | None) -> None:
    """Restore a state checked by :func:`prepare_optimizer_state` (all of it, or none)."""
    if state is None:
        return
    optimizer = model.optimizer
    if int(state["iterations"]) == 0:
        if "learning_rate" in state and type(optimizer._learning_rate) is float:
            optimizer.learning_rate = float(state["learning_rate"])
        return
    previous = optimizer.get_state()
    try:
        optimizer.set_state(state, trainable_variables=model.trainable_weights)
    except BaseException:
        optimizer.set_state(previous)  # never leave it half-restored
        raise


def restore_optimizer(model: Any, state: Mapping[str, np.ndarray], source: str) -> None:
    """Restore :func:`optimizer_arrays` output into ``model.optimizer``.

    The optimizer is built on ``model.trainable_weights`` first, so that the next
    ``fit`` continues exactly where the saved run stopped. A state saved before
    the first step (``iterations == 0``) only restores the learning rate.

    Raises
    ------
    ValueError
        If the state does not fit this optimizer (other type, settings or variables);
        the optimizer is then unchanged.
    """
    arrays = {key: np.asarray(value) for key, value in state.items()}
    apply_optimizer_state(model, prepare_optimizer_state(model, arrays, arrays.__getitem__,
                                                         source))


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


class SavedArrays:
    """The arrays of a ``.weights.npz`` or ``.descend`` file: headers checked, data on demand.

    Attributes
    ----------
    weights, optimizer : dict of str to ArrayHeader
        The weights (``layers/.../vars/i``) and the optimizer state entries.
    """

    def __init__(self, filepath: str, what: str) -> None:
        self.filepath = filepath
        self._archives: list[fmt.NpzArchive] = []
        self._training_state: Any = None
        try:
            self._open(filepath, what)
        except BaseException:
            self.close()
            raise

    def _open(self, filepath: str, what: str) -> None:
        if filepath.endswith(fmt.MODEL_EXTENSION):
            members = fmt.read_archive(filepath)
            fmt.read_metadata(members, filepath)
            if fmt.WEIGHTS not in members:
                raise ValueError(f"'{filepath}' has no {fmt.WEIGHTS}; it holds no weights.")
            weights = fmt.NpzArchive(members[fmt.WEIGHTS], filepath, fmt.WEIGHTS)
            self._archives.append(weights)
            self.weights = dict(weights.headers)
            self._weights, self._weights_prefix = weights, ""
            self.optimizer: dict[str, Any] = {}
            self._optimizer, self._optimizer_prefix = None, ""
            if fmt.OPTIMIZER in members:
                optimizer = fmt.NpzArchive(members[fmt.OPTIMIZER], filepath, fmt.OPTIMIZER)
                self._archives.append(optimizer)
                self.optimizer = dict(optimizer.headers)
                self._optimizer = optimizer
            self._training_state = members.get(fmt.TRAINING_STATE)
            return
        if not filepath.endswith(fmt.WEIGHTS_EXTENSION):
            raise ValueError(
                f"{what}: the filename must end in `.weights.npz` (written by "
                "model.save_weights) or `.descend` (written by model.save). Received: "
                f"filepath={filepath}"
            )
        if not os.path.isfile(filepath):
            raise ValueError(f"File not found: filepath={filepath}.")
        archive = fmt.NpzArchive(filepath, filepath)  # read lazily, never whole into memory
        self._archives.append(archive)
        self.weights, self.optimizer = {}, {}
        for key, header in archive.headers.items():
            if key.startswith(OPTIMIZER_PREFIX):
                self.optimizer[key[len(OPTIMIZER_PREFIX):]] = header
            elif key == TRAINING_STATE_KEY:
                if header.dtype.kind != "U" or header.shape != () or \
                        header.nbytes > MAX_TRAINING_STATE_BYTES:
                    raise ValueError(f"'{filepath}': the training state must be one text of at "
                                     f"most {MAX_TRAINING_STATE_BYTES // 4} characters, received "
                                     f"shape {header.shape} and dtype {header.dtype}.")
                self._training_state = header
            else:
                self.weights[key] = header
        self._weights, self._weights_prefix = archive, ""
        self._optimizer, self._optimizer_prefix = archive, OPTIMIZER_PREFIX

    def read_weight(self, key: str) -> np.ndarray:
        """The value of one weight entry."""
        return self._weights.read(self._weights_prefix + key)

    def read_optimizer(self, key: str) -> np.ndarray:
        """The value of one optimizer entry."""
        assert self._optimizer is not None
        return self._optimizer.read(self._optimizer_prefix + key)

    def training_state(self) -> str | bytes | None:
        """The training state's JSON text (None if the file holds none)."""
        state = self._training_state
        if isinstance(state, fmt.ArrayHeader):
            return str(self._weights.read(TRAINING_STATE_KEY))
        return state

    def read_all(self) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Every weight and optimizer entry (bounded by the file's size, see NpzArchive)."""
        declared = sum(h.nbytes for h in self.weights.values()) + \
            sum(h.nbytes for h in self.optimizer.values())
        size = os.path.getsize(self.filepath)
        if declared > fmt.UNCHECKED_EXPANSION * size + 2**20:
            raise ValueError(f"'{self.filepath}': the arrays declare {declared} bytes, more than "
                             f"{fmt.UNCHECKED_EXPANSION} times the file's {size}; the file was "
                             "rejected (zip bomb?).")
        return ({key: self.read_weight(key) for key in self.weights},
                {key: self.read_optimizer(key) for key in self.optimizer})

    def close(self) -> None:
        """Close the archives."""
        for archive in self._archives:
            archive.close()

    def __enter__(self) -> SavedArrays:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_weights_file(filepath: str) -> dict[str, np.ndarray]:
    """Read and validate a ``.weights.npz`` (``ValueError`` naming the file on any problem).

    With no model to compare the arrays with, they may take at most a few times the
    file's size in memory (see :class:`~descend.saving.format.NpzArchive`).
    """
    if not os.path.isfile(filepath):
        raise ValueError(f"File not found: filepath={filepath}.")
    with fmt.NpzArchive(filepath, filepath) as archive:
        return archive.read_all()


def load_weights(model: Any, filepath: Any, skip_mismatch: bool = False) -> None:
    """Load weights from ``.weights.npz`` (:func:`save_weights`) or ``.descend`` (``model.save``).

    When the model is compiled, the saved optimizer state is restored too (compile
    **before** loading to resume training, as in Keras); if it was saved by another
    optimizer (another class, settings or variables), a warning says so and only the
    weights are loaded.

    Everything is checked before anything is assigned: the shape and dtype of every
    saved array are compared with the model from the file's headers, before any
    data is read (so loading takes memory proportional to the model, whatever the
    file declares), then the values are read and checked. A load either succeeds or
    leaves the model (weights and optimizer) as it was.

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
        On a wrong extension, a bad file, a mismatch (naming the layer, the weight
        and both shapes, or the counts) or a damaged optimizer entry (naming it).

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
    with SavedArrays(filepath, "load_weights") as saved:
        plan = plan_weights(model, saved.weights, filepath, skip_mismatch=skip_mismatch)
        values = [(variable, saved.read_weight(key)) for variable, key in plan]
        optimizer_state = None
        if getattr(model, "optimizer", None) is not None and saved.optimizer:
            try:
                optimizer_state = prepare_optimizer_state(model, saved.optimizer,
                                                          saved.read_optimizer, filepath)
            except OptimizerStateMismatch as exc:  # only the optimizer differs
                warnings.warn(f"{exc} The weights were loaded; the optimizer keeps its own "
                              "state.", stacklevel=3)
    for variable, value in values:
        variable.assign(value)
    apply_optimizer_state(model, optimizer_state)


__all__ = [
    "OptimizerStateMismatch", "SavedArrays", "apply_optimizer_state", "assign_weight_arrays",
    "load_weights", "optimizer_arrays", "own_variables", "plan_weights",
    "prepare_optimizer_state", "read_weights_file", "restore_optimizer", "save_weights",
    "saveable_layers", "split_weights_file", "weight_arrays", "weights_file_arrays",
]
