"""How many threads NumPy's BLAS uses while descend trains, evaluates and predicts.

NumPy's matrix products run in a BLAS library (OpenBLAS in NumPy's wheels, MKL or
BLIS in some distributions) that starts one thread per core. On an idle machine
and large matrices that helps; on a machine whose cores are busy with other
processes, the BLAS threads wait on each other and a matrix product of a typical
descend layer (128 x 784 times 784 x 512) becomes many times slower with 2 threads
than with 1 (measurements in ``docs/threads.md``). So descend chooses the number
of BLAS threads itself when ``fit``, ``evaluate``, ``predict`` and the
``*_on_batch`` methods start:

* one thread when the largest matrix product of a step is smaller than
  ``SMALL_PRODUCT`` = 2**26 multiply-adds (some 10 ms on one core): the threads of
  shorter products spend more time waiting for each other than computing as soon as
  another program wants the cores (MNIST's 784-512-512-10 MLP at batch 128 is here);
* every core this process may run on for larger products.

The rule depends only on the model, the batch size and the machine, so a run
repeats bit for bit (OpenBLAS's results depend on its number of threads). The
setting (:func:`descend.config.set_blas_threads`, or the environment variable
``DESCEND_BLAS_THREADS``) is ``"auto"`` (the default, the rule above),
``"adaptive"`` (large products get the cores other processes leave free, measured
from ``/proc/stat`` on Linux when training starts and at every epoch: faster on a
busy machine, but no longer bit-reproducible between runs), a fixed number, or
``"off"`` (descend leaves the BLAS library alone). The number stays set after the
call returns.

The library is reached through ``ctypes``, on the thread-setting functions that
OpenBLAS (also as NumPy's ``scipy_openblas``), MKL and BLIS export; NumPy stays
the only dependency. The libraries are found in the process's memory map on
Linux and in NumPy's bundled library folders elsewhere. Where none is found
(e.g. Apple's Accelerate), :func:`blas_libraries` is empty and the setting has
no effect.

Examples
--------
>>> n = blas_threads()                  # what the BLAS library uses now (None if unknown)
>>> with limit_blas_threads(1):
...     inside = blas_threads()
>>> inside in (1, None) and blas_threads() == n
True
"""

from __future__ import annotations

import ctypes
import glob
import os
import re
import sys
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from descend import _distributed, config

__all__ = ["SMALL_PRODUCT", "BlasLibrary", "auto_threads", "blas_libraries", "blas_threads",
           "choose", "largest_product", "limit_blas_threads", "others_load", "refresh",
           "usable_cores", "use_for"]

SMALL_PRODUCT = 2**26
"""Multiply-adds (about 67 million, some 10 ms on one core) below which products use 1 thread."""

# (set, get, argument type) of each known library, most specific first
_APIS = (
    ("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_", ctypes.c_int),
    ("scipy_openblas_set_num_threads", "scipy_openblas_get_num_threads", ctypes.c_int),
    ("openblas_set_num_threads64_", "openblas_get_num_threads64_", ctypes.c_int),
    ("openblas_set_num_threads", "openblas_get_num_threads", ctypes.c_int),
    ("MKL_Set_Num_Threads", "MKL_Get_Max_Threads", ctypes.c_int),
    ("bli_thread_set_num_threads", "bli_thread_get_num_threads", ctypes.c_int64),
)
_NAME = re.compile(r"(openblas|mkl_rt|libmkl|libblis)[^/\\]*\.(so[.\d]*|dylib|dll)$", re.I)


@dataclass
class BlasLibrary:
    """A loaded BLAS library whose thread count descend can read and set.

    Attributes
    ----------
    path : str
        The shared library's file.
    api : str
        The name of its thread-setting function, e.g. ``"openblas_set_num_threads"``.
    """

    path: str
    api: str
    _set: Any
    _get: Any

    def get(self) -> int:
        """The number of threads the library uses now."""
        return int(self._get())

    def set(self, threads: int) -> None:
        """Use ``threads`` threads from now on."""
        self._set(int(threads))


def _candidate_paths() -> list[str]:
    paths: list[str] = []
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            for line in maps:
                path = line.rsplit(" ", 1)[-1].strip()
                if path.startswith("/") and _NAME.search(path) and path not in paths:
                    paths.append(path)
    except OSError:
        pass
    if not paths:  # macOS and Windows wheels keep their BLAS beside the numpy package
        import numpy

        root = os.path.dirname(os.path.dirname(numpy.__file__))
        for folder in ("numpy.libs", os.path.join("numpy", ".dylibs"), "numpy"):
            for path in sorted(glob.glob(os.path.join(root, folder, "*"))):
                if _NAME.search(path) and path not in paths:
                    paths.append(path)
    return paths


def _open(path: str) -> BlasLibrary | None:
    mode = getattr(os, "RTLD_NOLOAD", 0) | getattr(os, "RTLD_LAZY", 0) if os.name != "nt" else 0
    try:
        lib = ctypes.CDLL(path, mode=mode) if mode else ctypes.CDLL(path)
    except OSError:
        return None
    for set_name, get_name, argument in _APIS:
        setter, getter = getattr(lib, set_name, None), getattr(lib, get_name, None)
        if setter is not None and getter is not None:
            setter.argtypes, setter.restype = [argument], None
            getter.argtypes, getter.restype = [], ctypes.c_int
            return BlasLibrary(path, set_name, setter, getter)
    return None


_LIBRARIES: list[BlasLibrary] | None = None


def blas_libraries() -> list[BlasLibrary]:
    """The loaded BLAS libraries whose threads descend controls (found once, then cached).

    Returns
    -------
    list of BlasLibrary
        Usually one: NumPy's OpenBLAS. Empty when none was found.
    """
    global _LIBRARIES
    if _LIBRARIES is None:
        import numpy  # noqa: F401  (loads NumPy's BLAS)

        found = [_open(path) for path in _candidate_paths()]
        _LIBRARIES = [lib for lib in found if lib is not None]
    return _LIBRARIES


def blas_threads() -> int | None:
    """Threads the (first) BLAS library uses now, or None when there is none to control."""
    libraries = blas_libraries()
    return libraries[0].get() if libraries else None


@contextmanager
def limit_blas_threads(threads: int | None) -> Iterator[None]:
    """Run the block with ``threads`` BLAS threads, then restore each library's own number.

    Parameters
    ----------
    threads : int or None
        At least 1; None leaves the libraries alone.
    """
    libraries = blas_libraries() if threads is not None else []
    before = [lib.get() for lib in libraries]
    try:
        for lib, now in zip(libraries, before, strict=True):
            if now != threads:
                lib.set(threads)
        yield
    finally:
        for lib, now in zip(libraries, before, strict=True):
            if now != threads:
                lib.set(now)


# ------------------------------------------------------------------------- the auto rule
def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity where known).

    In data-parallel training (:mod:`descend.distribution`) this is the process's
    share: the machine's cores divided among its processes, unless the launcher
    bound each process to its own cores.
    """
    share = _distributed.cores_per_process()
    if share is not None:
        return share
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _cpu_sample() -> tuple[float, float, float] | None:
    """(wall time, seconds of CPU busy machine-wide, seconds of CPU used by this process)."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)           # idle + iowait
    busy = (sum(fields[:8]) - idle) / ticks                             # steal etc. excluded
    own = os.times()
    return time.monotonic(), busy, own.user + own.system


_RECENT: tuple[float, float, float] | None = None   # the last sample any scope took
_WINDOW_S = 0.02          # how long a first measurement waits
_MIN_SPAN_S = 0.01        # shorter spans say too little to act on


def load_between(first: tuple[float, float, float], second: tuple[float, float, float]) -> float:
    """Cores' worth of CPU other processes used between two :func:`_cpu_sample` readings.

    The machine's busy time minus this process's own CPU time, over the wall time.
    """
    wall = second[0] - first[0]
    if wall <= 0:
        return 0.0
    return max(0.0, ((second[1] - first[1]) - (second[2] - first[2])) / wall)


def others_load() -> float:
    """Cores' worth of CPU that other processes use now (0 on an idle machine).

    On Linux it is measured from ``/proc/stat`` since the last measurement if
    that is under a second old, else over a 20 ms window, minus this process's
    own CPU time. Elsewhere it is the 1-minute load average (which counts this
    process too), or 0 when unknown.
    """
    global _RECENT
    now = _cpu_sample()
    if now is None:
        try:
            return float(os.getloadavg()[0])
        except (AttributeError, OSError):
            return 0.0
    last = _RECENT
    if last is None or not _MIN_SPAN_S <= now[0] - last[0] <= 1.0:
        time.sleep(_WINDOW_S)
        last, now = now, _cpu_sample()
        assert now is not None
    _RECENT = now
    return load_between(last, now)


def auto_threads(product: int, cores: int | None = None, load: float | None = None) -> int:
    """The ``"auto"`` rule: BLAS threads for matrix products of ``product`` multiply-adds.

    Parameters
    ----------
    product : int
        Multiply-adds of the largest matrix product of one step.
    cores : int, optional
        Default :func:`usable_cores`.
    load : float, optional
        Cores busy with other processes; default measured (:func:`others_load`).

    Returns
    -------
    int
        1 for small products or a single core; else the cores left free by other
        processes, between 1 and ``cores``.

    Examples
    --------
    >>> auto_threads(10 * 16 * 32, cores=8, load=0.0)        # the course's network: tiny
    1
    >>> auto_threads(1024 * 784 * 256, cores=2, load=0.1)     # a large batch, an idle machine
    2
    >>> auto_threads(1024 * 784 * 256, cores=2, load=1.7)     # the other core is busy
    1
    """
    cores = usable_cores() if cores is None else max(1, int(cores))
    if cores == 1 or product < SMALL_PRODUCT:
        return 1
    if load is None:
        load = others_load()
    return max(1, min(cores, int(cores - load + 0.5)))


def largest_product(model: Any, batch_size: int) -> int:
    """Multiply-adds of the largest weight times the batch: a product of one step.

    For dense layers this is the matrix product itself; for convolutions it is a
    lower bound (each output position repeats it).
    """
    sizes = [int(getattr(w, "size", 0) or 0) for w in getattr(model, "trainable_weights", [])]
    return max(sizes, default=0) * int(batch_size)


def choose(model: Any, batch_size: int, setting: Any = "auto") -> int:
    """The BLAS threads for ``model`` at ``batch_size`` under ``setting`` (not None).

    ``"auto"``: 1 below :data:`SMALL_PRODUCT` multiply-adds per product, else every
    usable core -- a function of the model, the batch size and the machine only, so
    that runs repeat bit for bit. ``"adaptive"``: the same, but large products get the
    cores other processes leave free (:func:`auto_threads`). An int: that many.

    Examples
    --------
    >>> from descend.layers import Dense, Input
    >>> from descend.models import Sequential
    >>> model = Sequential([Input(shape=(1,)), Dense(16), Dense(32), Dense(2)])
    >>> choose(model, 10)
    1
    >>> choose(model, 10, 3)
    3
    """
    if isinstance(setting, int):
        return setting
    product = largest_product(model, batch_size)
    if product < SMALL_PRODUCT or usable_cores() == 1:
        return 1
    if setting == "adaptive":
        return auto_threads(product, load=others_load())
    return usable_cores()


_APPLIED: int | None = None   # what descend last set (the libraries are not asked every call)


def _apply(threads: int, check: bool) -> None:
    global _APPLIED
    libraries = blas_libraries()
    if check:
        _APPLIED = libraries[0].get() if libraries else None
    if threads != _APPLIED:
        for lib in libraries:
            lib.set(threads)
        _APPLIED = threads


_DECISIONS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()   # model -> {key: threads}
_LAST: tuple = (None, None, None)   # (weak reference to the model, key, threads) of the last call


def use_for(model: Any, batch_size: int, check: bool = False) -> int | None:
    """Set the BLAS threads for ``model`` at ``batch_size`` per the setting; return them.

    ``fit``, ``evaluate``, ``predict`` and the ``*_on_batch`` methods call it
    first. The number stays set afterwards (setting it back after every call
    would cost microseconds per ``predict``), so NumPy code that follows runs
    with it too; ``set_blas_threads(None)`` keeps descend out of it entirely.
    The decision is remembered per model and batch size, so a call costs well
    under a microsecond once made.

    Parameters
    ----------
    model : Model
    batch_size : int
    check : bool, default False
        Ask the library for its current number first, and with the
        ``"adaptive"`` setting measure the load again (the loops do; the
        per-batch methods rely on what descend last decided and set).

    Returns
    -------
    int or None
        None when the setting is ``"off"`` or no library can be controlled.
    """
    global _LAST
    setting = config.blas_threads()
    if setting is None:
        return None
    last, key, threads = _LAST
    if not check and threads == _APPLIED and key == (batch_size, setting) and \
            last is not None and last() is model:
        return threads  # the same call as the last one (predict at batch 1 in a loop)
    decisions = _DECISIONS.get(model)
    if decisions is None:
        decisions = {}
        try:
            _DECISIONS[model] = decisions
        except TypeError:  # an object that cannot be weakly referenced: decide every time
            pass
    key = (int(batch_size), setting)
    threads = decisions.get(key)
    if threads is None or (check and setting == "adaptive"):
        if not blas_libraries():
            return None
        threads = decisions[key] = choose(model, batch_size, setting)
    _apply(threads, check)
    try:
        _LAST = (weakref.ref(model), key, threads)
    except TypeError:  # an object that cannot be weakly referenced
        _LAST = (None, None, None)
    return threads


def refresh(model: Any, batch_size: int) -> None:
    """Between epochs: with the ``"adaptive"`` setting, re-measure the load and adapt."""
    global _RECENT
    if config.blas_threads() != "adaptive" or not blas_libraries():
        return
    product = largest_product(model, batch_size)
    if product < SMALL_PRODUCT or usable_cores() == 1:
        return
    now, last = _cpu_sample(), _RECENT
    if now is None or last is None or now[0] - last[0] < _MIN_SPAN_S:
        return
    _RECENT = now
    _apply(auto_threads(product, load=load_between(last, now)), check=False)


def _describe() -> str:  # pragma: no cover - a debugging aid
    lines = [f"{lib.path}: {lib.api}, {lib.get()} threads" for lib in blas_libraries()]
    return "\n".join(lines) or "no BLAS library found"


if __name__ == "__main__":  # pragma: no cover
    print(_describe(), file=sys.stdout)
