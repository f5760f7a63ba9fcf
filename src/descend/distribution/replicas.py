"""What data-parallel training does at each seam of the training code.

A :class:`Replicas` object is installed in :mod:`descend._distributed` by
:func:`~descend.distribution.set_distribution` when more than one process runs.
The training loops (``models/training.py``), the optimizer pipeline, batch
normalisation, the callback list and the atomic writer call it:

* **sharding** -- every process walks the same global batches (one shuffled order,
  broadcast from process 0 every epoch) and takes its contiguous part of each:
  process ``p`` of ``P`` gets positions ``[p*n//P, (p+1)*n//P)`` of a batch of
  ``n``; it remembers its share ``n_p / n``;
* **gradients** -- after ``backward``, before the optimizer uses them, each flat
  gradient buffer (one per dtype) is multiplied by the share and summed over the
  processes with one ``Allreduce``. Each process's loss is the mean over its own
  part, so the weighted sum is the gradient of the mean over the global batch,
  also when the last batch does not split evenly. Inside ``fit``, an optimizer
  whose rule is elementwise instead updates only this process's part of the
  weights (a ``Reduce_scatter_block``, the update, an ``Allgather``:
  :mod:`.sharding`, ``updates``);
* **start** -- each loop first checks that every process has the same model
  (weights' names, shapes, dtypes) and data (sizes, batch size, epochs...), and
  ``fit`` then broadcasts process 0's weights, optimizer state and starting
  epoch (after the callbacks' ``on_train_begin``, so a ``BackupAndRestore``
  restore on process 0 reaches everyone);
* **logs** -- whenever the loop reads the logs, the metrics' states are summed
  over the processes (:mod:`.metric_state`), so every process sees the logs of
  the global batch and ``EarlyStopping``/``ReduceLROnPlateau`` decide alike;
* **predict** -- each process predicts its parts; the outputs are gathered in
  the global order on every process;
* **faults** -- an exception on one process (except the errors every process
  raises together, such as the checks above) prints its traceback and calls
  ``MPI.Abort``, which ends every process of the run.
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np

from descend.distribution.batch_norm import SynchronizedMoments
from descend.distribution.metric_state import MetricState
from descend.distribution.sharding import ShardedUpdates

__all__ = ["Replicas", "raised_everywhere"]


def raised_everywhere(exc: BaseException) -> BaseException:
    """Mark ``exc`` as raised by every process together (it is re-raised, not aborted)."""
    exc._descend_raised_everywhere = True  # type: ignore[attr-defined]
    return exc


class Replicas:
    """The processes of one data-parallel run (see the module docstring).

    Parameters
    ----------
    comm : mpi4py.MPI.Comm
        The communicator of the run (``MPI.COMM_WORLD``).
    sharded_update : bool, default True
        Whether ``fit`` may shard the optimizer's update (see :mod:`.sharding`).

    Attributes
    ----------
    process_index, num_processes : int
    updates : ShardedUpdates
        The sharded optimizer updates.
    statistics : dict
        Calls, bytes (of the flat buffers handed to MPI) and seconds so far of the
        gradient ``Allreduce`` (``allreduce_*``) and, for sharded updates, of the
        gradient ``Reduce_scatter_block`` (``reduce_scatter_*``) and the weights'
        ``Allgather`` (``allgather_*``).
    """

    def __init__(self, comm: Any, sharded_update: bool = True) -> None:
        from descend.distribution.mpi import mpi_module

        self.MPI = mpi_module()
        self.comm = comm
        self.process_index = comm.Get_rank()
        self.num_processes = comm.Get_size()
        self.batch_norm = SynchronizedMoments(self)
        self.statistics = {f"{what}_{unit}": 0.0 if unit == "seconds" else 0
                           for what in ("allreduce", "reduce_scatter", "allgather")
                           for unit in ("calls", "bytes", "seconds")}
        self.updates = ShardedUpdates(self, enabled=sharded_update)
        self._share: float | None = None
        self._depth = 0
        self._metric_state: MetricState | None = None

    # ------------------------------------------------------------ communication
    def allreduce(self, array: np.ndarray) -> np.ndarray:
        """The element-wise sum of ``array`` over the processes (a new array)."""
        out = np.empty_like(array)
        self.comm.Allreduce(np.ascontiguousarray(array), out, op=self.MPI.SUM)
        return out

    def share(self) -> float:
        """This process's part ``n_p / n`` of the current global batch (``1/P`` outside the
        loops: ``train_on_batch`` and custom loops average the processes' gradients)."""
        return self._share if self._share is not None else 1.0 / self.num_processes

    def reduce_gradients(self, buffers: list[np.ndarray]) -> None:
        """Replace each flat gradient buffer by the global batch's gradient, in place."""
        weight = self.share()
        start = time.perf_counter()
        for grads in buffers:
            grads *= grads.dtype.type(weight)
            self.comm.Allreduce(self.MPI.IN_PLACE, grads, op=self.MPI.SUM)
            self.statistics["allreduce_bytes"] += grads.nbytes
        self.statistics["allreduce_calls"] += len(buffers)
        self.statistics["allreduce_seconds"] += time.perf_counter() - start

    # ----------------------------------------------------------------- sharding
    def part(self, n: int) -> slice:
        """This process's positions in a global batch of ``n`` samples; records the share.

        Raises
        ------
        ValueError
            If ``n`` is smaller than the number of processes (on every process).
        """
        p, count = self.process_index, self.num_processes
        start, stop = p * n // count, (p + 1) * n // count
        if n < count:  # decided from n alone: every process raises together
            raise raised_everywhere(ValueError(
                f"A batch of {n} samples cannot be shared among {count} processes: every "
                f"process needs at least one sample. Use a batch size of at least {count} and "
                f"a number of samples whose last batch has at least {count}."))
        self._share = (stop - start) / n
        return slice(start, stop)

    def shard(self, index: Any) -> Any:
        """This process's part of a global batch given as a slice or an array of positions."""
        if isinstance(index, slice):
            local = self.part(index.stop - index.start)
            return slice(index.start + local.start, index.start + local.stop)
        return index[self.part(len(index))]

    def shard_batch(self, batch: tuple) -> tuple:
        """This process's part of a ready-made batch ``(xs, ys, sample_weight)``."""
        xs, ys, sw = batch
        local = self.part(len(xs[0]))
        return ([a[local] for a in xs], None if ys is None else [a[local] for a in ys],
                None if sw is None else sw[local])

    def same_order(self, order: np.ndarray | None) -> np.ndarray | None:
        """Process 0's epoch order, on every process."""
        if order is None:
            return None
        order = np.ascontiguousarray(order, dtype=np.int64)
        self.comm.Bcast(order, root=0)
        return order

    # -------------------------------------------------------------------- start
    def begin(self, model: Any, phase: str, facts: Mapping[str, Any],
              metrics: bool = True) -> None:
        """Check that all processes agree on the model and the data, then (``metrics``) find
        the metrics' state. Called by every loop before its first batch."""
        signature = {
            **facts,
            "weights": [(getattr(w, "path", getattr(w, "name", "")), tuple(w.shape),
                         str(w.dtype)) for w in model.weights],
        }
        everyone = self.comm.allgather(signature)
        problems = []
        for p, other in enumerate(everyone[1:], start=1):
            for key in signature:
                if other.get(key) != everyone[0].get(key):
                    if key == "weights":
                        problems.append(f"process {p} builds a different model (weights "
                                        f"{_first_difference(everyone[0][key], other[key])})")
                    else:
                        problems.append(f"process {p} has {key} = {other.get(key)!r}, "
                                        f"process 0 has {everyone[0].get(key)!r}")
        if problems:
            raise raised_everywhere(ValueError(
                f"Data-parallel {phase}: the {self.num_processes} processes disagree: "
                + "; ".join(sorted(set(problems))) + ". Every process must build the same "
                "model and pass data of the same size (each takes its part of every global "
                "batch itself)."))
        batch_size = facts.get("batch size")
        samples = facts.get("samples")
        if batch_size is not None and samples:
            last = samples % batch_size or batch_size
            self.part(min(batch_size, samples, last))  # raises on every process if too small
        if metrics:
            try:
                self._metric_state = MetricState(model.metrics)
            except TypeError as exc:  # the same metrics everywhere: every process raises
                raise raised_everywhere(exc) from None

    def begin_fit(self, model: Any) -> None:
        """Give every process process 0's weights, optimizer state and starting epoch."""
        weights = [np.ascontiguousarray(w) for w in model.get_weights()]
        for array in weights:
            self.comm.Bcast(array, root=0)
        model.set_weights(weights)
        optimizer = getattr(model, "optimizer", None)
        if optimizer is not None and getattr(optimizer, "built", False):
            state = self.comm.bcast(optimizer.get_state() if self.process_index == 0 else None,
                                    root=0)
            if self.process_index != 0:
                optimizer.set_state(state)
        model._initial_epoch = self.comm.bcast(getattr(model, "_initial_epoch", None), root=0)

    # --------------------------------------------------------------------- logs
    def global_logs(self, model: Any) -> dict[str, Any]:
        """The logs of the whole global batch: the metrics' states summed over the processes."""
        state = self._metric_state
        if state is None:
            return model._current_logs()
        total = self.allreduce(state.pack())
        with state.replaced(total):
            logs = dict(model.get_metrics_result())
        step_logs = getattr(model, "_step_logs", None)
        if step_logs:  # an overridden train_step/test_step: its own values, averaged
            own = {k: v for k, v in step_logs.items() if k not in logs}
            keys = sorted(k for k, v in own.items() if np.ndim(v) == 0)
            values = self.allreduce(np.array([float(own[k]) for k in keys]))
            averaged = {k: float(v) / self.num_processes for k, v in zip(keys, values,
                                                                        strict=True)}
            logs = {k: (logs[k] if k in logs else averaged.get(k, v)) for k, v in
                    step_logs.items()}
        return logs

    # ------------------------------------------------------------------ predict
    def gather(self, chunks: list[list[np.ndarray]], batch_sizes: list[int]) -> list[np.ndarray]:
        """Every process's outputs, in the global order (the outputs of each global batch
        are the processes' parts one after the other)."""
        local = [np.concatenate([c[i] for c in chunks]) for i in range(len(chunks[0]))]
        everyone = self.comm.allgather(local)
        outputs = []
        for i in range(len(local)):
            pieces, offsets = [], [0] * self.num_processes
            for n in batch_sizes:
                for p in range(self.num_processes):
                    size = (p + 1) * n // self.num_processes - p * n // self.num_processes
                    pieces.append(everyone[p][i][offsets[p]:offsets[p] + size])
                    offsets[p] += size
            outputs.append(np.concatenate(pieces))
        return outputs

    # ------------------------------------------------------------------- faults
    @contextmanager
    def guard(self) -> Iterator[None]:
        """Run a loop; an exception raised on this process alone aborts every process."""
        self._depth += 1
        try:
            yield
        except BaseException as exc:
            if getattr(exc, "_descend_raised_everywhere", False):
                raise
            self.abort(exc)
        finally:
            self._depth -= 1
            if self._depth == 0:
                self._share = None

    def abort(self, exc: BaseException) -> None:
        """Print ``exc`` with this process's index and end every process of the run."""
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        sys.stderr.write(
            f"descend.distribution: process {self.process_index} of {self.num_processes} "
            f"failed; aborting the run.\n{text}")
        sys.stderr.flush()
        # MPI_Abort reaches the launcher on another channel than this process's stderr
        # pipe; on a loaded machine the launcher could end the run before forwarding the
        # message above, leaving the user an exit code and no reason. A moment's pause
        # lets it forward the text first (the run ends within the bound regardless).
        time.sleep(_FORWARD_SECONDS)
        self.comm.Abort(1)


_FORWARD_SECONDS = 1.0
"""How long a failing process waits between writing its error and calling ``MPI_Abort``."""


def _first_difference(mine: list, other: list) -> str:
    for a, b in zip(mine, other, strict=False):
        if a != b:
            return f"{a[0]} {a[1]} {a[2]} on process 0, {b[0]} {b[1]} {b[2]} there"
    return f"{len(mine)} on process 0, {len(other)} there"
