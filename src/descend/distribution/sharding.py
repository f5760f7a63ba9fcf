"""Sharded optimizer updates: each process updates its own part of the flat weights.

Data-parallel training in its plain form (``Replicas.reduce_gradients``) sums the
gradients with one ``Allreduce`` and then every process runs the whole update
rule over all the weights: ``P`` processes repeat the same update ``P`` times.
When the update rule treats every element of the optimizer's flat buffers on its
own (Adam, SGD, RMSprop... declare ``elementwise_rule``), ``fit`` splits that work
instead:

1. each process scales its flat gradient buffer by its share of the batch and a
   ``Reduce_scatter_block`` leaves with process ``p`` the global batch's gradient
   for positions ``[p*b, (p+1)*b)`` of each flat buffer of ``n`` values, ``b = n // P``
   (the ``n mod P`` values after the last block are summed by an ``Allreduce``);
2. process ``p`` runs the update rule on its block of the weights and of the
   optimizer state (a :class:`~descend.optimizers._layout.Group` of views), and on
   those last values, which every process updates alike;
3. an ``Allgather`` gives every process every block of the new weights.

The bytes moved are those of the ``Allreduce`` (which MPI runs as a reduce-scatter
followed by an all-gather), and the update costs ``1/P`` of what it did. The
weights are whole on every process after every step; the optimizer state is not
(each process keeps its own part up to date), so it is made whole on every process
(:meth:`ShardedUpdates.make_whole`, one ``Allgather`` per state array) before
anything can look at it: when the batches of an epoch end, before the callbacks'
``on_epoch_end`` (``ModelCheckpoint``, ``BackupAndRestore``), validation and
the end of ``fit``. ``fit`` shards updates only where nothing runs between two
steps (no per-batch callback hook, the built-in ``train_step``); elsewhere the
``Allreduce`` path runs.

The sum of two processes' parts is the same in either order, so on 2 processes
the sharded update is bit-identical to the ``Allreduce`` path; on more processes
MPI may add the parts in another order (float rounding).

Examples
--------
>>> part_bounds(10, 3)   # blocks of 3: [0, 3), [3, 6), [6, 9); [9, 10) on every process
(3, 9)
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from descend.optimizers._layout import Group

__all__ = ["ShardedUpdates", "part_bounds"]


def part_bounds(n: int, count: int) -> tuple[int, int]:
    """The parts of a flat buffer of ``n`` values among ``count`` processes.

    Parameters
    ----------
    n : int
        Length of a flat buffer.
    count : int
        Number of processes.

    Returns
    -------
    block : int
        ``n // count``: process ``p`` owns ``[p*block, (p+1)*block)``.
    shared : int
        ``count * block``: the values from here to ``n`` (fewer than ``count``) are
        updated by every process.
    """
    block = n // count
    return block, block * count


class _Part:
    """One flat group of a layout, split for the sharded update.

    Equal blocks, so that MPI's ``Reduce_scatter_block`` and ``Allgather`` apply; the
    ``n mod P`` values after the last block are reduced with an ``Allreduce`` and
    updated by every process. The buffers go to MPI as NumPy arrays, whose predefined
    MPI datatype mpi4py finds (``MPI_FLOAT``, ``MPI_DOUBLE``...).
    """

    __slots__ = ("group", "block", "shared", "groups")

    def __init__(self, group: Group, index: int, count: int) -> None:
        block, shared = part_bounds(group.size, count)
        self.group = group
        self.block = block
        self.shared = shared
        self.groups: list[Group] = []  # what the update runs on: views of weights and state
        if block:
            lo, hi = index * block, (index + 1) * block
            mine = Group(group.dtype, block)  # its grads: the Reduce_scatter's receive buffer
            mine.values = group.values[lo:hi]
            mine.slots = {name: array[lo:hi] for name, array in group.slots.items()}
            self.groups.append(mine)
        if shared < group.size:
            rest = Group(group.dtype, group.size - shared)
            rest.values = group.values[shared:]
            rest.grads = group.grads[shared:]
            rest.slots = {name: array[shared:] for name, array in group.slots.items()}
            self.groups.append(rest)

    def reduce_scatter(self, comm: Any, op: Any) -> None:
        """This process's block of the summed gradients, and the summed rest."""
        grads = self.group.grads
        if self.block:
            comm.Reduce_scatter_block(grads[:self.shared], self.groups[0].grads, op=op)
        if self.shared < self.group.size:
            comm.Allreduce(_in_place(), grads[self.shared:], op=op)

    def gather(self, comm: Any, array: np.ndarray) -> None:
        """Every process's block of ``array`` (a flat array of the group's size), in place."""
        if self.block:
            comm.Allgather(_in_place(), array[:self.shared])


def _in_place() -> Any:
    from mpi4py import MPI

    return MPI.IN_PLACE


class ShardedUpdates:
    """The sharded updates of one data-parallel run (owned by ``Replicas``).

    Parameters
    ----------
    replicas : Replicas
        Provides ``comm``, ``process_index``, ``num_processes``, ``share()`` and
        ``statistics`` (whose ``reduce_scatter_*`` and ``allgather_*`` entries this
        object advances; ``reduce_scatter_*`` includes the ``Allreduce`` of the values
        after the last block).
    enabled : bool, default True
        False: never shard (every step takes the ``Allreduce`` path).

    Attributes
    ----------
    active : bool
        Whether updates are sharded now (inside :meth:`during`).
    """

    def __init__(self, replicas: Any, enabled: bool = True) -> None:
        self.replicas = replicas
        self.enabled = enabled
        self.active = False
        self._parts: dict[int, tuple[Any, list[_Part]]] = {}  # id(optimizer) -> (layout, parts)
        self._partial: dict[int, Any] = {}  # optimizers whose state is not whole, in order

    @contextmanager
    def during(self, wanted: bool) -> Iterator[None]:
        """Shard the updates of the steps run inside (if ``wanted`` and enabled); make every
        optimizer's state whole when they end. Collective: every process enters together.

        An exception raised on this process alone leaves the state as it is (the run is
        aborted); one raised on every process together (``raised_everywhere``) makes it
        whole first, so that every process still sees the same state.
        """
        self.active = self.enabled and wanted
        try:
            yield
        except BaseException as exc:
            self.active = False
            if getattr(exc, "_descend_raised_everywhere", False):
                self.make_whole()
            raise
        self.active = False
        self.make_whole()

    def reduce_scatter(self, optimizer: Any) -> list[Group]:
        """This process's part of the global batch's gradient of each flat group, as a list of
        groups (views of this process's part of the weights and state) to run the update on.
        The optimizer's state is partial from here until :meth:`make_whole`."""
        replicas = self.replicas
        parts = self._parts_of(optimizer)
        weight = replicas.share()
        stats = replicas.statistics
        start = time.perf_counter()
        for part in parts:
            grads = part.group.grads
            grads *= grads.dtype.type(weight)
            part.reduce_scatter(replicas.comm, replicas.MPI.SUM)
            stats["reduce_scatter_bytes"] += grads.nbytes
        stats["reduce_scatter_calls"] += len(parts)
        stats["reduce_scatter_seconds"] += time.perf_counter() - start
        self._partial.setdefault(id(optimizer), optimizer)
        return [group for part in parts for group in part.groups]

    def allgather_values(self, optimizer: Any) -> None:
        """Every process's updated block of the weights, on every process (in place)."""
        stats = self.replicas.statistics
        start = time.perf_counter()
        parts = self._parts_of(optimizer)
        for part in parts:
            part.gather(self.replicas.comm, part.group.values)
            stats["allgather_bytes"] += part.group.values.nbytes
        stats["allgather_calls"] += len(parts)
        stats["allgather_seconds"] += time.perf_counter() - start

    def make_whole(self) -> None:
        """Make the state of every optimizer updated in parts whole on every process
        (collective; nothing happens if none is partial)."""
        partial, self._partial = self._partial, {}
        for key, optimizer in partial.items():
            layout, parts = self._parts[key]
            if optimizer._layout is not layout:  # rebuilt since: its state is new and whole
                continue
            for part in parts:
                for array in part.group.slots.values():
                    part.gather(self.replicas.comm, array)

    def _parts_of(self, optimizer: Any) -> list[_Part]:
        layout = optimizer._layout
        known = self._parts.get(id(optimizer))
        if known is not None and known[0] is layout:
            return known[1]
        replicas = self.replicas
        parts = [_Part(group, replicas.process_index, replicas.num_processes)
                 for group in layout.groups]
        self._parts[id(optimizer)] = (layout, parts)
        return parts
