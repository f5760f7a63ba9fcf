"""Data-parallel training across processes and machines, on MPI (extra ``descend[mpi]``).

Keras 3's ``keras.distribution`` names: :class:`DataParallel`,
:func:`set_distribution`, :func:`distribution`, :func:`list_devices`,
:func:`initialize`, plus :func:`process_index` and :func:`num_processes`.
``mpi4py`` is imported only when MPI is needed (``import descend`` never does).
See ``docs/distributed.md``.
"""

from descend.distribution.data_parallel import (
    DataParallel,
    distribution,
    initialize,
    list_devices,
    num_processes,
    process_index,
    set_distribution,
)

__all__ = ["DataParallel", "distribution", "initialize", "list_devices", "num_processes",
           "process_index", "set_distribution"]
