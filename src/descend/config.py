"""Global numeric configuration: the default float type and the fuzz factor.

Mirrors ``keras.config``: :func:`floatx` is the dtype new tensors and weights get
(``"float32"`` by default) and :func:`epsilon` is the small constant used to clip
probabilities in losses (``1e-7``, Keras's ``backend.epsilon()``).
:func:`heap_retention` (descend's own) says whether training keeps freed memory
for the next step (see :mod:`descend.models.heap`).

Examples
--------
>>> import descend
>>> descend.config.floatx()
'float32'
>>> descend.config.epsilon()
1e-07
"""

from __future__ import annotations

import os

import numpy as np

_FLOATX = "float32"
_EPSILON = 1e-7
_ALLOWED = ("float16", "float32", "float64")
_HEAP_RETENTION = True
_INTERACTIVE_LOGGING = True


def floatx() -> str:
    """Return the default float type as a string (``"float32"`` unless changed)."""
    return _FLOATX


def set_floatx(value: str) -> None:
    """Set the default float type.

    Parameters
    ----------
    value : {"float16", "float32", "float64"}
        New default dtype for tensors, weights and data converted by ``fit``.
    """
    global _FLOATX
    name = np.dtype(value).name if isinstance(value, (str, type, np.dtype)) else value
    if name not in _ALLOWED:
        raise ValueError(
            f"set_floatx: expected one of {_ALLOWED}, received {value!r}. "
            "Pass 'float32' (the default) or 'float64' for exact gradient checks."
        )
    _FLOATX = name


def epsilon() -> float:
    """Return the fuzz factor used to clip probabilities in losses (default ``1e-7``)."""
    return _EPSILON


def set_epsilon(value: float) -> None:
    """Set the fuzz factor returned by :func:`epsilon`.

    Parameters
    ----------
    value : float
        A small positive number.
    """
    global _EPSILON
    if not (isinstance(value, (int, float)) and 0 < value < 1):
        raise ValueError(f"set_epsilon: expected a float in (0, 1), received {value!r}.")
    _EPSILON = float(value)


def heap_retention() -> bool:
    """Whether training keeps freed memory for the next step (default True).

    See :mod:`descend.models.heap`: on Linux with glibc, the first ``fit``,
    ``evaluate`` or ``predict`` raises ``malloc``'s trim and mmap thresholds so
    that each step reuses the pages of the step before instead of faulting in
    fresh ones.
    """
    return _HEAP_RETENTION


def set_heap_retention(value: bool) -> None:
    """Turn heap retention on or off (it takes effect before the first training call).

    Parameters
    ----------
    value : bool
        False leaves glibc's ``malloc`` settings untouched. Once the thresholds
        have been raised in a process they stay raised.
    """
    global _HEAP_RETENTION
    if not isinstance(value, bool):
        raise TypeError(f"set_heap_retention: expected True or False, received {value!r}.")
    _HEAP_RETENTION = value


FUSION_ENV = "DESCEND_FUSION"
"""Environment variable read at import: ``0``/``off``/``false`` start with fusion off."""

_FUSION = os.environ.get(FUSION_ENV, "1").strip().lower() not in ("0", "off", "false", "no")


def fusion() -> bool:
    """Whether models run their fused execution plans (default True).

    With fusion on, a model's execution plan (:mod:`descend.models.plan`) runs
    chains of ``Dense`` layers as one graph node, pools before a ReLU,
    and computes ``predict`` on plain arrays; the numbers are the same as on
    the reference path. With fusion off every layer runs through its own
    ``call``, one by one, on Tensors: the reference path. The environment
    variable ``DESCEND_FUSION=0``, set before descend is imported, starts a
    process with fusion off (e.g. to run the whole test suite on the
    reference path).

    Examples
    --------
    >>> import descend
    >>> previous = descend.config.fusion()
    >>> descend.config.set_fusion(False)
    >>> descend.config.fusion()
    False
    >>> descend.config.set_fusion(previous)
    """
    return _FUSION


def set_fusion(value: bool) -> None:
    """Turn the fused execution plans on (True, the default) or off (the reference path).

    Parameters
    ----------
    value : bool
        Takes effect at the next step of every model: plans are rebuilt.
    """
    global _FUSION
    if not isinstance(value, bool):
        raise TypeError(f"set_fusion: expected True or False, received {value!r}.")
    _FUSION = value


def backend() -> str:
    """The name of the backend: ``"numpy"`` (``keras.config.backend()``'s counterpart)."""
    return "numpy"


def image_data_format() -> str:
    """Return the layout of image data: always ``"channels_last"`` (batch, ..., channels).

    Keras's default; descend's convolution and pooling layers implement only this layout.
    """
    return "channels_last"


def set_image_data_format(data_format: str) -> None:
    """Set the image layout; descend accepts only ``"channels_last"``.

    Raises
    ------
    ValueError
        For ``"channels_first"`` (not implemented) or any other value.
    """
    if not isinstance(data_format, str) or data_format.lower() != "channels_last":
        raise ValueError(
            f"set_image_data_format: descend supports only 'channels_last', received "
            f"{data_format!r}. Transpose channels-first data with numpy.moveaxis(x, 1, -1)."
        )


def is_interactive_logging_enabled() -> bool:
    """Whether progress bars may redraw in place (default True)."""
    return _INTERACTIVE_LOGGING


def enable_interactive_logging() -> None:
    """Let progress bars redraw in place when stdout is a terminal (the default)."""
    global _INTERACTIVE_LOGGING
    _INTERACTIVE_LOGGING = True


def disable_interactive_logging() -> None:
    """Print progress as plain lines, one per epoch, even on a terminal.

    Keras sends its logs to absl logging instead; descend keeps printing, without
    ``\\r`` redraws or colour codes (what it does when stdout is not a terminal).
    """
    global _INTERACTIVE_LOGGING
    _INTERACTIVE_LOGGING = False


# ------------------------------------------------------------------------------ BLAS threads
BLAS_THREADS_ENV = "DESCEND_BLAS_THREADS"
"""Environment variable read when no setting was made: ``auto``, ``adaptive``, a number, ``off``."""

_BLAS_THREADS: str | int | None = "auto"
_BLAS_THREADS_SET = False
_BLAS_ENV_PARSED: tuple[str | None, str | int | None] = (None, None)
# read once, when descend is imported (as BLAS libraries read OMP_NUM_THREADS when loaded):
# looking the variable up on every predict call would cost microseconds
_BLAS_ENV_RAW = os.environ.get(BLAS_THREADS_ENV)


def _parse_blas_threads(value: object, where: str) -> str | int | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in ("off", "none")):
        return None
    if isinstance(value, str) and value.strip().lower() in ("auto", "adaptive"):
        return value.strip().lower()
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 1:
        return int(value)
    raise ValueError(
        f"{where}: expected 'auto', 'adaptive', a number of threads >= 1, or 'off' (None), "
        f"received "
        f"{value!r}. For example set_blas_threads(1) or DESCEND_BLAS_THREADS=1."
    )


def blas_threads() -> str | int | None:
    """How ``fit``, ``evaluate`` and ``predict`` set NumPy's BLAS threads.

    Returns
    -------
    "auto", "adaptive", int or None
        ``"auto"`` (default): descend chooses by matrix size, one thread for small
        products and every core for large ones (see :mod:`descend.threads`);
        ``"adaptive"``: large products get the cores other processes leave free
        (not bit-reproducible between runs); an int: that many threads; None:
        descend leaves the BLAS library alone. Unless :func:`set_blas_threads`
        was called, the environment variable ``DESCEND_BLAS_THREADS`` (``auto``,
        ``adaptive``, a number, or ``off``), as it was when descend was
        imported, decides.

    Examples
    --------
    >>> import descend
    >>> descend.config.set_blas_threads(1)
    >>> descend.config.blas_threads()
    1
    >>> descend.config.set_blas_threads("auto")
    """
    global _BLAS_ENV_PARSED
    if _BLAS_THREADS_SET:
        return _BLAS_THREADS
    raw = _BLAS_ENV_RAW
    if not raw or not raw.strip():
        return _BLAS_THREADS
    if _BLAS_ENV_PARSED[0] != raw:   # parse once: predict asks on every call
        _BLAS_ENV_PARSED = (raw, _parse_blas_threads(raw, BLAS_THREADS_ENV))
    return _BLAS_ENV_PARSED[1]


def set_blas_threads(value: str | int | None) -> None:
    """Choose how many BLAS threads descend's matrix products use (overrides the env var).

    Parameters
    ----------
    value : "auto", "adaptive", int >= 1, or None
        ``"auto"`` (default) lets descend choose by matrix size; ``"adaptive"``
        also by the machine's load; a number fixes the threads that ``fit``,
        ``evaluate``, ``predict`` and the ``*_on_batch`` methods set; None (or
        ``"off"``) leaves NumPy's BLAS library as it is.
    """
    global _BLAS_THREADS, _BLAS_THREADS_SET
    _BLAS_THREADS = _parse_blas_threads(value, "set_blas_threads")
    _BLAS_THREADS_SET = True
