"""Training checkpoints: weights, optimizer state, epoch counter and random state.

``save_checkpoint`` / ``restore_checkpoint`` are what :class:`~descend.callbacks.BackupAndRestore`
uses, and the way to resume by hand: training restored from a checkpoint written
at the end of an epoch continues bit-identically to training that never stopped
(same shuffling, same dropout masks, same optimizer moments).

The random state saved is descend's global generator (:mod:`descend.random`:
initialisation, shuffling, dropout) plus the private generator of every layer
created with an integer ``seed`` (e.g. ``Dropout(0.5, seed=1)``).

Examples
--------
>>> import os, tempfile
>>> import numpy as np
>>> import descend
>>> from descend.layers import Dense, Input
>>> model = descend.Sequential([Input((2,)), Dense(1)])
>>> model.compile(optimizer="sgd", loss="mse")
>>> x, y = np.ones((8, 2), "float32"), np.zeros((8, 1), "float32")
>>> _ = model.fit(x, y, epochs=2, verbose=0)
>>> path = os.path.join(tempfile.mkdtemp(), "ckpt.weights.npz")
>>> save_checkpoint(model, path, next_epoch=2)
>>> restore_checkpoint(model, path)  # -> the epoch to resume at
2
>>> _ = model.fit(x, y, epochs=4, initial_epoch=2, verbose=0)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from descend import random as descend_random
from descend.saving import format as fmt
from descend.saving import model_file, weights

STATE_VERSION = 1


def training_state(model: Any, next_epoch: int, batch: int = 0) -> dict[str, Any]:
    """The JSON-ready training state: epoch counter and every random generator's state.

    Parameters
    ----------
    model : Model
    next_epoch : int
        The 0-based epoch to resume at (``epoch + 1`` at the end of epoch ``epoch``).
    batch : int, default 0
        Batches already done in ``next_epoch`` (informative; resuming restarts the epoch).
    """
    layer_states = {}
    for path, layer in weights.saveable_layers(model):
        generator = getattr(layer, "_generator", None)
        if isinstance(generator, np.random.Generator):
            layer_states[path] = generator.bit_generator.state
    return {
        "version": STATE_VERSION,
        "epoch": int(next_epoch),
        "batch": int(batch),
        "random_state": descend_random.get_state(),
        "layer_random_states": layer_states,
    }


def _probe_state(bit_generator: Any, state: Any) -> dict[str, Any]:
    """Check ``state`` on a fresh bit generator of the same kind; return it as a dict."""
    if not isinstance(state, dict):
        raise TypeError(f"expected a dict, received {type(state).__name__}")
    type(bit_generator)().state = state  # raises on a wrong or oversized state
    return state


def prepare_random_state(model: Any, state: Mapping[str, Any], source: str
                         ) -> list[tuple[Any, dict[str, Any]]]:
    """Check every random state of a training state without changing any generator.

    Returns
    -------
    list of (BitGenerator, dict)
        What :func:`apply_random_state` sets.

    Raises
    ------
    ValueError
        Naming the file and the entry, if a state does not fit its generator.
    """
    plan: list[tuple[Any, dict[str, Any]]] = []
    entry = "random_state"
    try:
        bit_generator = descend_random.make_generator(None).bit_generator
        plan.append((bit_generator, _probe_state(bit_generator, state["random_state"])))
        layers = dict(weights.saveable_layers(model))
        entry = "layer_random_states"
        layer_states = state.get("layer_random_states")
        layer_states = {} if layer_states is None else layer_states
        if not isinstance(layer_states, dict):
            raise TypeError("'layer_random_states' must be a dict")
        for path, layer_state in layer_states.items():
            entry = f"layer_random_states[{path!r}]"
            generator = getattr(layers.get(path), "_generator", None)
            if isinstance(generator, np.random.Generator):
                plan.append((generator.bit_generator,
                             _probe_state(generator.bit_generator, layer_state)))
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise ValueError(f"'{source}': invalid random state {entry} in the training state "
                         f"({type(exc).__name__}: {exc}).") from None
    return plan


def apply_random_state(plan: list[tuple[Any, dict[str, Any]]]) -> None:
    """Set the generators checked by :func:`prepare_random_state`."""
    for bit_generator, state in plan:
        bit_generator.state = state


def restore_random_state(model: Any, state: Mapping[str, Any], source: str) -> None:
    """Set descend's global generator and the layers' generators from ``state``.

    Every state is checked first; on a ``ValueError`` no generator was changed.
    """
    apply_random_state(prepare_random_state(model, state, source))


def save_checkpoint(model: Any, filepath: Any, next_epoch: int, batch: int = 0,
                    overwrite: bool = True) -> None:
    """Write a resumable checkpoint of ``model`` (atomically).

    Parameters
    ----------
    model : Model
        Usually compiled, so that the optimizer state is saved too.
    filepath : str or os.PathLike
        ``.weights.npz`` (weights, optimizer state and training state: what
        ``BackupAndRestore`` writes) or ``.descend`` (a whole model file that
        ``load_model`` also reads, plus the training state).
    next_epoch : int
        The 0-based epoch training should resume at; ``epoch + 1`` when called
        from ``on_epoch_end(epoch)``.
    batch : int, default 0
        Batches done in ``next_epoch`` (recorded only).
    overwrite : bool, default True

    Raises
    ------
    ValueError
        On another extension, or a negative ``next_epoch``.

    Examples
    --------
    >>> import os, tempfile
    >>> import descend
    >>> from descend.layers import Dense, Input
    >>> model = descend.Sequential([Input((2,)), Dense(1)])
    >>> path = os.path.join(tempfile.mkdtemp(), "ckpt.weights.npz")
    >>> save_checkpoint(model, path, next_epoch=3)
    >>> read_checkpoint(path)[2]["epoch"]
    3
    """
    filepath = fmt.check_path(filepath, "save_checkpoint")
    if isinstance(next_epoch, bool) or not isinstance(next_epoch, (int, np.integer)) \
            or next_epoch < 0:
        raise ValueError(f"save_checkpoint: `next_epoch` must be an int >= 0, received "
                         f"{next_epoch!r}.")
    state = fmt.json_dumps(training_state(model, int(next_epoch), batch))
    if filepath.endswith(fmt.MODEL_EXTENSION):
        members = model_file.model_members(model, training_state=state)
        fmt.atomic_write(filepath, lambda f: fmt.write_archive(f, members), overwrite=overwrite)
        return
    fmt.check_weights_extension(filepath, "save_checkpoint")
    arrays = weights.weights_file_arrays(model, training_state=state)
    fmt.atomic_write(filepath, lambda f: fmt.write_arrays(f, arrays), overwrite=overwrite)


def _check_extension(filepath: str) -> None:
    if not filepath.endswith((fmt.MODEL_EXTENSION, fmt.WEIGHTS_EXTENSION)):
        raise ValueError(f"restore_checkpoint: expected a `.weights.npz` or `.descend` "
                         f"checkpoint, received filepath={filepath}.")


def _parse_training_state(raw: Any, filepath: str) -> dict[str, Any]:
    if raw is None:
        raise ValueError(f"'{filepath}' holds no training state: it was not written by "
                         "save_checkpoint or BackupAndRestore. Use model.load_weights() or "
                         "load_model() for plain model files.")
    state = fmt.json_loads(raw, filepath, "the training state")
    if not isinstance(state, dict) or not isinstance(state.get("epoch"), int) \
            or isinstance(state.get("epoch"), bool) or state["epoch"] < 0 \
            or "random_state" not in state:
        raise ValueError(f"'{filepath}': the training state is malformed (expected 'epoch' and "
                         "'random_state').")
    version = state.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool):
        raise ValueError(f"'{filepath}': the training state has an invalid version "
                         f"{version!r}.")
    if version > STATE_VERSION:
        raise ValueError(f"'{filepath}': training state version {version} is newer "
                         "than this descend supports; upgrade descend.")
    return state


def read_checkpoint(filepath: Any) -> tuple[dict, dict, dict[str, Any]]:
    """Read a checkpoint: (weights, optimizer state, training state), all validated.

    With no model to compare them with, the arrays may take at most a few times the
    file's size in memory (:data:`~descend.saving.format.UNCHECKED_EXPANSION`).
    """
    filepath = fmt.check_path(filepath, "restore_checkpoint")
    _check_extension(filepath)
    with weights.SavedArrays(filepath, "restore_checkpoint") as saved:
        state = _parse_training_state(saved.training_state(), filepath)
        values, optimizer = saved.read_all()
    return values, optimizer, state


def restore_checkpoint(model: Any, filepath: Any) -> int:
    """Restore a checkpoint into ``model``; return the epoch to resume at.

    Restores the weights, the optimizer state (compile the model first, with the
    same optimizer settings) and the random state, so that
    ``model.fit(..., initial_epoch=restore_checkpoint(model, path))`` continues
    exactly where the checkpointed run stopped. Do nothing random between this
    call and ``fit``.

    Parameters
    ----------
    model : Model
        Built with the checkpointed architecture (and compiled to resume training).
    filepath : str or os.PathLike
        Written by :func:`save_checkpoint`.

    Returns
    -------
    int
        The 0-based epoch to pass to ``fit`` as ``initial_epoch``.

    Raises
    ------
    ValueError
        On a bad file, a file without training state, or weights that do not fit.

    Examples
    --------
    >>> import os, tempfile
    >>> import descend
    >>> from descend.layers import Dense, Input
    >>> model = descend.Sequential([Input((2,)), Dense(1)])
    >>> path = os.path.join(tempfile.mkdtemp(), "plain.weights.npz")
    >>> model.save_weights(path)
    >>> restore_checkpoint(model, path)
    Traceback (most recent call last):
    ...
    ValueError: '...plain.weights.npz' holds no training state: ...
    """
    source = fmt.check_path(filepath, "restore_checkpoint")
    _check_extension(source)
    with weights.SavedArrays(source, "restore_checkpoint") as saved:
        state = _parse_training_state(saved.training_state(), source)
        if not model.built:
            raise ValueError(f"restore_checkpoint: model '{model.name}' is not built. Build it "
                             "(Input(...) first, model.build(shape), or call it on data) before "
                             "restoring.")
        # check everything (shapes from the headers before any data is read), then assign:
        # a checkpoint is restored whole or not at all
        plan = weights.plan_weights(model, saved.weights, source)
        values = [(variable, saved.read_weight(key)) for variable, key in plan]
        optimizer_state = None
        if getattr(model, "optimizer", None) is not None:
            optimizer_state = weights.prepare_optimizer_state(model, saved.optimizer,
                                                              saved.read_optimizer, source)
        random_plan = prepare_random_state(model, state, source)
    for variable, value in values:
        variable.assign(value)
    weights.apply_optimizer_state(model, optimizer_state)
    apply_random_state(random_plan)
    return int(state["epoch"])


__all__ = ["apply_random_state", "prepare_random_state", "read_checkpoint", "restore_checkpoint",
           "restore_random_state", "save_checkpoint", "training_state"]
