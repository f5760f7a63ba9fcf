"""``DataParallel`` and the global distribution setting (Keras 3's ``keras.distribution`` names).

One line turns a training script into a data-parallel one::

    descend.distribution.set_distribution(descend.distribution.DataParallel())

Started as ``mpiexec -n 4 python train.py`` the script trains on 4 processes
(each takes its quarter of every global batch and the gradients are averaged
with MPI, see ``docs/distributed.md``); started as ``python train.py`` it is one
process and trains exactly as without that line.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from descend import _distributed
from descend.distribution import mpi

__all__ = ["DataParallel", "distribution", "initialize", "list_devices", "num_processes",
           "process_index", "set_distribution"]

_DISTRIBUTION: DataParallel | None = None


def initialize(job_addresses: Any = None, num_processes: int | None = None,
               process_id: int | None = None) -> None:
    """Start MPI for this process (Keras's ``keras.distribution.initialize``).

    With MPI the launcher (``mpiexec``) decides the processes, so the arguments
    are only checked against what it started; calling this is optional
    (:func:`set_distribution` does it).

    Parameters
    ----------
    job_addresses : None
        Not used with MPI: list the machines in ``mpiexec``'s host file instead.
    num_processes : int, optional
        If given, must equal the number of processes ``mpiexec`` started.
    process_id : int, optional
        If given, must equal this process's index.

    Raises
    ------
    ValueError
        If ``job_addresses`` is given or a number disagrees with the launcher.
    """
    if job_addresses is not None:
        raise ValueError(
            "initialize: descend runs on MPI, whose launcher chooses the machines: pass "
            "job_addresses=None and list the hosts with `mpiexec -f hostfile` instead.")
    count, index = _world_size_and_rank()
    if num_processes is not None and int(num_processes) != count:
        raise ValueError(f"initialize: num_processes={num_processes} but mpiexec started "
                         f"{count} processes. Leave num_processes out, or run mpiexec -n "
                         f"{num_processes}.")
    if process_id is not None and int(process_id) != index:
        raise ValueError(f"initialize: process_id={process_id} but this process is number "
                         f"{index} of the MPI run. Leave process_id out.")


def _world_size_and_rank() -> tuple[int, int]:
    comm = mpi.world()
    return (1, 0) if comm is None else (comm.Get_size(), comm.Get_rank())


def num_processes() -> int:
    """Number of processes of the run (1 for ``python train.py``).

    Examples
    --------
    >>> num_processes() >= 1
    True
    """
    return _world_size_and_rank()[0]


def process_index() -> int:
    """Index of this process in the run, from 0 (process 0 prints and writes files).

    Examples
    --------
    >>> process_index() < num_processes()
    True
    """
    return _world_size_and_rank()[1]


def list_devices(device_type: str | None = None) -> list[str]:
    """The devices of the run: one ``"cpu:<index>"`` per process.

    Parameters
    ----------
    device_type : {None, "cpu"}, default None

    Returns
    -------
    list of str

    Raises
    ------
    ValueError
        For another device type (descend computes on CPUs).
    """
    if device_type not in (None, "cpu", "CPU"):
        raise ValueError(f"list_devices: descend computes on CPUs, received "
                         f"device_type={device_type!r}. Pass None or 'cpu'.")
    return [f"cpu:{i}" for i in range(num_processes())]


class DataParallel:
    """Data parallelism across processes: each takes its part of every global batch.

    Parameters
    ----------
    devices : list of str, optional
        Must be :func:`list_devices` (every process of the run) if given; the
        processes are chosen by ``mpiexec``.
    sharded_update : bool, default True
        Let ``fit`` split the optimizer's update among the processes when its rule
        is elementwise (Adam, SGD, RMSprop...): each updates its part of the
        weights and optimizer state after a ``Reduce_scatter_block`` of the gradients,
        then an ``Allgather`` gives everyone the new weights. The result is the
        same (bit for bit on 2 processes, up to float rounding on more); False keeps
        one ``Allreduce`` and the whole update on every process.

    Attributes
    ----------
    num_processes : int
    process_index : int
    sharded_update : bool
    statistics : dict
        Calls, bytes and seconds so far of the gradient ``Allreduce``
        (``allreduce_*``) and of the sharded updates' ``Reduce_scatter_block``
        (``reduce_scatter_*``) and ``Allgather`` (``allgather_*``); zeros on
        one process.

    Raises
    ------
    ValueError
        If ``devices`` names other devices than the run's processes.

    Notes
    -----
    Semantics (``docs/distributed.md``): training on ``P`` processes with batch size
    ``B`` equals training on one with batch size ``B`` -- same shuffled order, each
    process's contiguous part of every batch, gradients of the global batch
    (one ``Allreduce`` per step), weights and optimizer state broadcast from
    process 0 when ``fit`` starts, logs of the global batch, synchronized
    ``BatchNormalization`` statistics. Only process 0 prints progress and writes
    files. The optimizer state is the same on every process whenever it can be
    seen (a sharded update makes it whole when an epoch's batches end).

    Examples
    --------
    >>> import descend
    >>> strategy = descend.distribution.DataParallel()
    >>> strategy.num_processes >= 1
    True
    """

    def __init__(self, devices: list[str] | None = None, sharded_update: bool = True) -> None:
        if devices is not None and list(devices) != list_devices():
            raise ValueError(
                f"DataParallel: devices={devices!r}, but the run's devices are "
                f"{list_devices()} (one per process started by mpiexec). Leave devices out.")
        if not isinstance(sharded_update, bool):
            raise TypeError(f"DataParallel: sharded_update must be True or False, received "
                            f"{sharded_update!r}.")
        self.num_processes, self.process_index = _world_size_and_rank()
        self.sharded_update = sharded_update
        self._replicas: Any = None
        self._cores: int | None = None

    @property
    def statistics(self) -> dict[str, Any]:
        """Calls, bytes and seconds of the gradient communication so far (see the class)."""
        if self._replicas is None:
            return {f"{what}_{unit}": 0.0 if unit == "seconds" else 0
                    for what in ("allreduce", "reduce_scatter", "allgather")
                    for unit in ("calls", "bytes", "seconds")}
        return dict(self._replicas.statistics)

    def _activate(self) -> None:
        if self.num_processes == 1:
            _distributed.install(None)
            return
        if self._replicas is None:
            from descend.distribution.replicas import Replicas

            comm = mpi.world()
            self._replicas = Replicas(comm, sharded_update=self.sharded_update)
            self._cores = _core_share(comm)
        _distributed.install(self._replicas, self._cores)
        _install_excepthook(self._replicas)

    def __repr__(self) -> str:
        return f"DataParallel(num_processes={self.num_processes})"


def _core_share(comm: Any) -> int:
    """This process's share of its machine's cores: the affinity the launcher gave it if it
    bound the process to some cores, else the machine's cores divided among its processes."""
    try:
        allowed = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        allowed = os.cpu_count() or 1
    if allowed < (os.cpu_count() or allowed):
        return max(1, allowed)
    MPI = mpi.mpi_module()
    local = comm.Split_type(MPI.COMM_TYPE_SHARED)
    on_this_machine = local.Get_size()
    local.Free()
    return max(1, allowed // on_this_machine)


_PREVIOUS_HOOK: Any = None


def _install_excepthook(replicas: Any) -> None:
    """An exception that ends the script on one process ends every process (no hang)."""
    global _PREVIOUS_HOOK
    if _PREVIOUS_HOOK is not None:
        return
    _PREVIOUS_HOOK = sys.excepthook

    def hook(kind: Any, value: BaseException, tb: Any) -> None:
        current = _distributed.replicas()
        if current is None:
            _PREVIOUS_HOOK(kind, value, tb)
            return
        current.abort(value)

    sys.excepthook = hook


def set_distribution(value: DataParallel | None) -> None:
    """Make ``value`` the distribution of every later ``fit``, ``evaluate`` and ``predict``.

    Parameters
    ----------
    value : DataParallel or None
        None goes back to one process training alone.

    Raises
    ------
    TypeError
        If ``value`` is neither.

    Examples
    --------
    >>> import descend
    >>> descend.distribution.set_distribution(descend.distribution.DataParallel())
    >>> descend.distribution.distribution()
    DataParallel(num_processes=1)
    >>> descend.distribution.set_distribution(None)
    """
    global _DISTRIBUTION
    if value is not None and not isinstance(value, DataParallel):
        raise TypeError(f"set_distribution: expected a DataParallel or None, received "
                        f"{type(value).__name__}. Write set_distribution(DataParallel()).")
    if value is None:
        _distributed.install(None)
    else:
        value._activate()
    _DISTRIBUTION = value


def distribution() -> DataParallel | None:
    """The distribution set by :func:`set_distribution` (None: one process)."""
    return _DISTRIBUTION
