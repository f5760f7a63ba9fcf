"""Reaching MPI through ``mpi4py``, imported only when a distribution is used.

:func:`world` returns ``MPI.COMM_WORLD`` when this process was started by an MPI
launcher (``mpiexec``, ``mpirun``, ``srun``; recognised by the variables they
set) or when ``mpi4py`` is installed, and ``None`` for a plain ``python
train.py`` without ``mpi4py``, so that the same script runs everywhere.

Examples
--------
>>> launched_by_mpi({"PMI_RANK": "0", "PMI_SIZE": "2"})
True
>>> launched_by_mpi({"HOME": "/root"})
False
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

__all__ = ["launched_by_mpi", "mpi_module", "world"]

# set by MPICH/Hydra and Intel MPI (PMI), Open MPI, PMIx-based launchers and Slurm
_LAUNCHER_VARIABLES = ("PMI_SIZE", "PMI_RANK", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK",
                       "MPI_LOCALNRANKS", "SLURM_STEP_NUM_TASKS")

_WORLD: Any = None


def launched_by_mpi(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the environment shows an MPI launcher started this process.

    Parameters
    ----------
    environ : mapping, optional
        Default ``os.environ``.

    Returns
    -------
    bool
    """
    environ = os.environ if environ is None else environ
    return any(name in environ for name in _LAUNCHER_VARIABLES)


def mpi_module() -> Any:
    """``mpi4py.MPI`` (initialising MPI on first use), with a clear error when absent.

    Raises
    ------
    ImportError
        If ``mpi4py`` is not installed.
    """
    try:
        from mpi4py import MPI
    except ImportError as exc:
        raise ImportError(
            "Data-parallel training across processes needs mpi4py and an MPI library: "
            "pip install 'descend[mpi]' (installs mpi4py and MPICH, which provides mpiexec)."
        ) from exc
    return MPI


def world() -> Any:
    """``MPI.COMM_WORLD``, or None for one process started without MPI and without mpi4py.

    Raises
    ------
    ImportError
        If an MPI launcher started this process but ``mpi4py`` is not installed.
    """
    global _WORLD
    if _WORLD is not None:
        return _WORLD
    if not launched_by_mpi():
        try:
            import mpi4py  # noqa: F401
        except ImportError:
            return None
    _WORLD = mpi_module().COMM_WORLD
    return _WORLD
