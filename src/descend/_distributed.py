"""The seams of data-parallel training: which process this is, and the active replicas.

:mod:`descend.distribution` (the ``mpi`` extra) installs a replicas object here
when a :class:`~descend.distribution.DataParallel` distribution spans more than
one process. The floors below it only ask this module, which imports nothing:

* :func:`replicas` -- the installed object, or ``None`` on a single process (the
  default: then every seam is skipped and training is exactly as without it);
* :func:`is_process_zero` -- False on every process but process 0: saving
  (``saving/atomic.py``) and the callbacks marked ``process_zero_only`` run only
  where it is True;
* :func:`cores_per_process` -- this process's share of the machine's cores for
  BLAS threads (:mod:`descend.threads`), or ``None`` for all of them.

The replicas object provides what the seams call (see
``descend/distribution/replicas.py``): ``shard``/``shard_batch`` (this process's
part of a global batch, in the training loops), ``same_order`` (one shuffled
order for all), ``begin`` (checks and broadcast at the start of a loop),
``global_logs`` (the logs of the whole global batch), ``gather`` (predictions),
``guard`` (an error on one process stops all), ``reduce_gradients`` (in the
optimizer, before any gradient is used), ``updates`` (the optimizer update shared
among the processes inside ``fit``) and ``batch_norm`` (synchronized batch
statistics).

Examples
--------
>>> replicas() is None, is_process_zero(), cores_per_process()
(True, True, None)
"""

from __future__ import annotations

from typing import Any

_REPLICAS: Any = None
_CORES: int | None = None


def replicas() -> Any:
    """The active replicas object, or None when training runs in one process."""
    return _REPLICAS


def is_process_zero() -> bool:
    """True unless data-parallel training runs and this is not process 0."""
    return _REPLICAS is None or _REPLICAS.process_index == 0


def cores_per_process() -> int | None:
    """Cores this process should use for BLAS threads (None: every usable core)."""
    return _CORES


def install(replicas_object: Any, cores: int | None = None) -> None:
    """Make ``replicas_object`` (None to uninstall) the active replicas; set the core share."""
    global _REPLICAS, _CORES
    _REPLICAS = replicas_object
    _CORES = None if replicas_object is None else cores
