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

The loops slice arrays into batches, or, given ``batches`` (a
:class:`~descend.models.py_dataset_adapter.PyDatasetBatches`), take the batches a
``PyDataset`` returns.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from descend import random as descend_random
from descend import threads
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
    ``(xs, ys, sample_weight)`` or a ``PyDatasetBatches``."""
    heap.retain_freed_memory()  # each step reuses the previous step's pages
    if batches is None:
        n = len(xs[0])
        slices = batch_slices(n, batch_size)
        if steps_per_epoch is not None:
            slices = slices[:steps_per_epoch]
        n_steps = len(slices)
    else:
        n_steps = len(batches) if steps_per_epoch is None else min(steps_per_epoch,
                                                                      len(batches))
    cbs = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, model=model,
                       verbose=verbose, epochs=epochs, steps=n_steps)
    train_step = model.make_train_function()
    model.stop_training = False
    model._initial_epoch = None
    logs: dict[str, float] = {}
    cbs.on_train_begin()
    if model._initial_epoch is not None:  # set by a callback (BackupAndRestore) to resume
        initial_epoch = int(model._initial_epoch)
        model._initial_epoch = None
    for epoch in range(initial_epoch, epochs):
        if epoch > initial_epoch:
            threads.refresh(model, batch_size)  # "adaptive": the machine's load may change
        model.reset_metrics()
        cbs.on_epoch_begin(epoch)
        batch_hooks = cbs.needs_batch_logs
        if batches is None:
            order = epoch_order(n, shuffle, batch_size)
            epoch_batches = (
                ([x[index] for x in xs], _take(ys, index),
                 None if sample_weight is None else sample_weight[index])
                for index in (s if order is None else order[s] for s in slices)
            )
        else:
            epoch_batches = iter(batches)
        for step, (bx, by, bsw) in enumerate(epoch_batches):
            if batch_hooks:
                cbs.on_train_batch_begin(step)
            train_step(bx, by, bsw)
            if batch_hooks:
                cbs.on_train_batch_end(step, model._current_logs())
            if model.stop_training or step + 1 >= n_steps:
                break
        del epoch_batches  # a PyDataset's on_epoch_end runs here, before validation
        logs = model._current_logs()
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


def should_validate(epoch: int, validation_freq: Any) -> bool:
    """Keras's rule: every ``validation_freq`` epochs, or at the listed 1-based epochs."""
    if isinstance(validation_freq, int):
        return (epoch + 1) % validation_freq == 0
    return (epoch + 1) in validation_freq


def evaluate_loop(model: Any, *args: Any, batch_size: int, **kwargs: Any) -> dict[str, float]:
    """Loss and metrics over the data in batches, with BLAS threads chosen for the model."""
    threads.use_for(model, batch_size, check=True)
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

    With ``batches`` (a ``PyDatasetBatches``), ``xs``, ``ys`` and ``sample_weight``
    are None and the data set's batches are used."""
    heap.retain_freed_memory()
    if batches is None:
        batches = ((_take(xs, s), _take(ys, s),
                    None if sample_weight is None else sample_weight[s])
                   for s in batch_slices(len(xs[0]), batch_size))
    test_step = model.make_test_function()
    model.reset_metrics()
    callbacks.on_test_begin()
    batch_hooks = callbacks.needs_batch_logs
    for step, (bx, by, bsw) in enumerate(batches):
        if batch_hooks:
            callbacks.on_test_batch_begin(step)
        test_step(bx, by, bsw)
        if batch_hooks:
            callbacks.on_test_batch_end(step, model._current_logs())
    logs = model._current_logs()
    callbacks.on_test_end(logs)
    return logs


def predict_loop(model: Any, xs: list[np.ndarray] | None, *, batch_size: int,
                 callbacks: CallbackList | None, batches: Any = None) -> list[np.ndarray]:
    """Outputs over the data in batches, with BLAS threads chosen for the model."""
    threads.use_for(model, batch_size, check=True)
    return _predict_loop(model, xs, batch_size=batch_size, callbacks=callbacks,
                         batches=batches)


def _predict_loop(
    model: Any, xs: list[np.ndarray] | None, *, batch_size: int,
    callbacks: CallbackList | None, batches: Any = None,
) -> list[np.ndarray]:
    """Run the model forward over the data in batches; one array per output.

    With ``batches`` (a ``PyDatasetBatches``, ``xs`` None) the inputs of the data
    set's batches are used and any targets they carry are ignored."""
    heap.retain_freed_memory()
    if batches is None:
        inputs = (_take(xs, s) for s in batch_slices(len(xs[0]), batch_size))
    else:
        inputs = (bx for bx, _, _ in batches)
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
    return [np.concatenate([c[i] for c in chunks]) for i in range(len(chunks[0]))]


def steps_for(n: int, batch_size: int) -> int:
    """Number of batches of ``batch_size`` needed for ``n`` samples."""
    return math.ceil(n / batch_size)


__all__ = ["batch_slices", "epoch_order", "evaluate_loop", "fit_loop",
           "predict_loop", "should_validate", "steps_for"]
