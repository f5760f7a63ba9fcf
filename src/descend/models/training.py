"""The training loop, and the evaluation and prediction loops.

One epoch of ``fit`` is, for every mini-batch::

    outputs = model(x_batch, training=True)       # forward propagation
    loss = loss_fn(y_batch, outputs) + penalties  # how wrong the outputs are
    loss.backward()                               # backpropagation: d loss / d weight
    optimizer.step()                              # w <- w - learning_rate * gradient (or Adam...)
    metrics.update(y_batch, outputs)

Full-batch gradient descent is ``batch_size=len(x)``, stochastic gradient descent
``batch_size=1``, mini-batch anything in between. Progress output, History,
early stopping and checkpoints are callbacks on this loop, not branches in it.

The loops slice arrays into batches, or, given ``batches`` (the prepared batches of a
``PyDataset``, a generator or an iterator: :mod:`descend.models.py_dataset_adapter`),
take the batches the source returns.

Under data-parallel training (:mod:`descend.distribution`) the loops consult the
active replicas (:func:`descend._distributed.replicas`, None on one process) at
a few marked places: checks and broadcast at the start, one shuffled order, this
process's part of every batch, the logs of the global batch, the predictions
gathered; an error on one process stops all.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from typing import Any

import numpy as np

from descend import _distributed, threads
from descend import random as descend_random
from descend.autograd import no_grad
from descend.callbacks import CallbackList
from descend.models import heap


def batch_slices(n: int, batch_size: int) -> list[slice]:
    """``ceil(n / batch_size)`` consecutive slices; the last batch may be partial."""
    return [slice(i, min(i + batch_size, n)) for i in range(0, n, batch_size)]


def epoch_order(n: int, shuffle: Any, batch_size: int) -> np.ndarray | None:
    """Sample order for one epoch: a permutation (``shuffle=True``), within-batch
    permutations (``shuffle="batch"``) or None (data order)."""
    if not shuffle:
        return None
    rng = descend_random.generator()
    if shuffle == "batch":
        order = np.arange(n)
        for s in batch_slices(n, batch_size):
            order[s] = rng.permutation(order[s])
        return order
    return rng.permutation(n)


def _guarded() -> Any:
    """Data-parallel: a context in which an error on this process alone stops every process."""
    replicas = _distributed.replicas()
    return contextlib.nullcontext() if replicas is None else replicas.guard()


def _updates(replicas: Any, model: Any, batch_hooks: bool) -> Any:
    """Data-parallel: a context in which the optimizer's updates may be shared among the
    processes (:mod:`descend.distribution.sharding`) -- when nothing runs between two steps
    that could look at the optimizer state (no batch hook, the built-in ``train_step``);
    the state is whole again when it ends."""
    if replicas is None:
        return contextlib.nullcontext()
    from descend.models.trainer import _overrides  # trainer imports this module

    return replicas.updates.during(not batch_hooks and not _overrides(model, "train_step"))


def _logs_reader(model: Any, replicas: Any) -> Any:
    """``model._current_logs``, or, data-parallel, the logs of the whole global batch."""
    if replicas is None:
        return model._current_logs
    return lambda: replicas.global_logs(model)


def _sharing(batches: Any) -> Any:
    """The active replicas when the data is the same on every process (arrays, a
    ``PyDataset``), so that each takes its part of every batch; else (one process, or a
    generator, each process's own) None."""
    if batches is not None and not batches.shardable:
        return None
    return _distributed.replicas()


def _take(arrays: list[np.ndarray] | None, index: Any) -> list[np.ndarray] | None:
    if arrays is None:
        return None
    return [a[index] for a in arrays]


def fit_loop(model: Any, *args: Any, batch_size: int, **kwargs: Any) -> Any:
    """Train ``model`` on the prepared arrays; returns the ``History``.

    NumPy's BLAS threads are chosen for the model first (:mod:`descend.threads`;
    with the ``"adaptive"`` setting again every epoch).
    """
    threads.use_for(model, batch_size, check=True)
    with _guarded():
        return _fit_loop(model, *args, batch_size=batch_size, **kwargs)


def _fit_loop(
    model: Any,
    xs: list[np.ndarray],
    ys: list[np.ndarray],
    sample_weight: np.ndarray | None,
    *,
    batch_size: int,
    epochs: int,
    initial_epoch: int,
    shuffle: Any,
    callbacks: Any,
    verbose: int,
    validation: tuple | None,
    validation_freq: Any,
    validation_batch_size: int | None,
    steps_per_epoch: int | None = None,
    batches: Any = None,
) -> Any:
    """Train ``model`` on the prepared arrays, or on ``batches`` (then ``xs``, ``ys`` and
    ``sample_weight`` are None); returns the ``History``. ``validation`` is
    ``(xs, ys, sample_weight)`` or the batches of a source."""
    heap.retain_freed_memory()  # each step reuses the previous step's pages
    if batches is None:
        n = len(xs[0])
        slices = batch_slices(n, batch_size)
        if steps_per_epoch is not None:
            slices = slices[:steps_per_epoch]
        n_steps = len(slices)
    else:  # None: as many as a generator gives
        n_steps = min((s for s in (steps_per_epoch, batches.num_batches) if s is not None),
                      default=None)
    replicas = _sharing(batches)
    if replicas is not None:  # data-parallel: every process has the same model and data
        replicas.begin(model, "fit", {
            "samples": None if batches is not None else n, "steps per epoch": n_steps,
            "batch size": batch_size if batches is None else None, "epochs": epochs,
            "initial epoch": initial_epoch, "shuffle": shuffle,
            "validation samples": _samples(validation)})
    current_logs = _logs_reader(model, replicas)
    cbs = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, model=model,
                       verbose=verbose, epochs=epochs, steps=n_steps)
    train_step = model.make_train_function()
    model.stop_training = False
    model._initial_epoch = None
    logs: dict[str, float] = {}
    cbs.on_train_begin()
    if _distributed.replicas() is not None:  # process 0's weights, optimizer state and epoch
        _distributed.replicas().begin_fit(model)
    if model._initial_epoch is not None:  # set by a callback (BackupAndRestore) to resume
        initial_epoch = int(model._initial_epoch)
        model._initial_epoch = None
    for epoch in range(initial_epoch, epochs):
        if batches is not None and batches.exhausted:
            warnings.warn("fit: your input ran out of data; interrupting training. Pass "
                          "steps_per_epoch (and a generator that repeats) to train for "
                          f"{epochs} epochs.", stacklevel=5)
            break
        if epoch > initial_epoch:
            threads.refresh(model, batch_size)  # "adaptive": the machine's load may change
        model.reset_metrics()
        cbs.on_epoch_begin(epoch)
        batch_hooks = cbs.needs_batch_logs
        if batches is None:
            order = epoch_order(n, shuffle, batch_size)
            if replicas is not None:  # process 0's order; each process takes its part
                order = replicas.same_order(order)
            local = (lambda index: index) if replicas is None else replicas.shard
            epoch_batches = (
                ([x[index] for x in xs], _take(ys, index),
                 None if sample_weight is None else sample_weight[index])
                for index in (local(s if order is None else order[s]) for s in slices)
            )
        elif replicas is None:
            epoch_batches = iter(batches)
        else:
            epoch_batches = map(replicas.shard_batch, batches)
        with _updates(replicas, model, batch_hooks):
            for step, (bx, by, bsw) in enumerate(epoch_batches):
                if batch_hooks:
                    cbs.on_train_batch_begin(step)
                train_step(bx, by, bsw)
                if batch_hooks:
                    cbs.on_train_batch_end(step, current_logs())
                if model.stop_training or (n_steps is not None and step + 1 >= n_steps):
                    break
        del epoch_batches  # a PyDataset's on_epoch_end runs here, before validation
        logs = current_logs()
        if validation is not None and should_validate(epoch, validation_freq):
            val_batches = validation if not isinstance(validation, tuple) else None
            val_arrays = validation if val_batches is None else (None, None, None)
            val_logs = evaluate_loop(model, *val_arrays,
                                     batch_size=validation_batch_size or batch_size,
                                     callbacks=cbs, batches=val_batches)
            logs.update({f"val_{k}": v for k, v in val_logs.items()})
        cbs.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    finalize = getattr(model.optimizer, "finalize_variable_values", None)
    if finalize is not None:
        finalize(model.trainable_weights)
    cbs.on_train_end(logs)
    return model.history


def _samples(validation: Any) -> int | None:
    """Samples of array validation data (None for none or a data set)."""
    return len(validation[0][0]) if isinstance(validation, tuple) else None


def should_validate(epoch: int, validation_freq: Any) -> bool:
    """Keras's rule: every ``validation_freq`` epochs, or at the listed 1-based epochs."""
    if isinstance(validation_freq, int):
        return (epoch + 1) % validation_freq == 0
    return (epoch + 1) in validation_freq


def evaluate_loop(model: Any, *args: Any, batch_size: int, **kwargs: Any) -> dict[str, float]:
    """Loss and metrics over the data in batches, with BLAS threads chosen for the model."""
    threads.use_for(model, batch_size, check=True)
    with _guarded():
        return _evaluate_loop(model, *args, batch_size=batch_size, **kwargs)


def _evaluate_loop(
    model: Any,
    xs: list[np.ndarray],
    ys: list[np.ndarray],
    sample_weight: np.ndarray | None,
    *,
    batch_size: int,
    callbacks: CallbackList,
    batches: Any = None,
) -> dict[str, float]:
    """Compute the loss and metrics over the data in batches (no graph, no dropout).

    With ``batches`` (the prepared batches of a source), ``xs``, ``ys`` and
    ``sample_weight`` are None and the source's batches are used."""
    heap.retain_freed_memory()
    replicas = _sharing(batches)
    if replicas is not None:  # data-parallel: each process evaluates its part of each batch
        replicas.begin(model, "evaluate", {
            "samples": None if xs is None else len(xs[0]),
            "batch size": None if xs is None else batch_size,
            "batches": None if batches is None else batches.num_batches})
    current_logs = _logs_reader(model, replicas)
    if batches is None:
        local = (lambda index: index) if replicas is None else replicas.shard
        batches = ((_take(xs, s), _take(ys, s),
                    None if sample_weight is None else sample_weight[s])
                   for s in map(local, batch_slices(len(xs[0]), batch_size)))
    elif replicas is not None:
        batches = map(replicas.shard_batch, batches)
    test_step = model.make_test_function()
    model.reset_metrics()
    callbacks.on_test_begin()
    batch_hooks = callbacks.needs_batch_logs
    for step, (bx, by, bsw) in enumerate(batches):
        if batch_hooks:
            callbacks.on_test_batch_begin(step)
        test_step(bx, by, bsw)
        if batch_hooks:
            callbacks.on_test_batch_end(step, current_logs())
    logs = current_logs()
    callbacks.on_test_end(logs)
    return logs


def predict_loop(model: Any, xs: list[np.ndarray] | None, *, batch_size: int,
                 callbacks: CallbackList | None, batches: Any = None) -> list[np.ndarray]:
    """Outputs over the data in batches, with BLAS threads chosen for the model."""
    threads.use_for(model, batch_size, check=True)
    with _guarded():
        return _predict_loop(model, xs, batch_size=batch_size, callbacks=callbacks,
                             batches=batches)


def _predict_loop(
    model: Any, xs: list[np.ndarray] | None, *, batch_size: int,
    callbacks: CallbackList | None, batches: Any = None,
) -> list[np.ndarray]:
    """Run the model forward over the data in batches; one array per output.

    With ``batches`` (the prepared batches of a source, ``xs`` None) the inputs of the
    source's batches are used and any targets they carry are ignored."""
    heap.retain_freed_memory()
    replicas = _sharing(batches)
    sizes: list[int] = []  # data-parallel: the global batches' sizes, to gather the outputs
    if replicas is not None:
        replicas.begin(model, "predict", {
            "samples": None if xs is None else len(xs[0]),
            "batch size": None if xs is None else batch_size,
            "batches": None if batches is None else batches.num_batches}, metrics=False)
    if batches is None:
        inputs = (_take(xs, s) for s in batch_slices(len(xs[0]), batch_size))
    else:
        inputs = (bx for bx, _, _ in batches)
    if replicas is not None:
        inputs = (sizes.append(len(bx[0])) or replicas.shard_batch((bx, None, None))[0]
                  for bx in inputs)
    chunks: list[list[np.ndarray]] = []
    if callbacks is not None:
        callbacks.on_predict_begin()
    with no_grad():
        for step, bx in enumerate(inputs):
            if callbacks is not None:
                callbacks.on_predict_batch_begin(step)
            out = model._infer_arrays(bx)
            chunks.append(out)
            if callbacks is not None:
                callbacks.on_predict_batch_end(step, {"outputs": out})
    if callbacks is not None:
        callbacks.on_predict_end()
    if replicas is not None:
        return replicas.gather(chunks, sizes)
    return [np.concatenate([c[i] for c in chunks]) for i in range(len(chunks[0]))]


def steps_for(n: int, batch_size: int) -> int:
    """Number of batches of ``batch_size`` needed for ``n`` samples."""
    return math.ceil(n / batch_size)


__all__ = ["batch_slices", "epoch_order", "evaluate_loop", "fit_loop",
           "predict_loop", "should_validate", "steps_for"]
