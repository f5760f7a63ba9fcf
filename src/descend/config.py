"""Global numeric configuration: the default float type and the fuzz factor.

Mirrors ``keras.config``: :func:`floatx` is the dtype new tensors and weights get
(``"float32"`` by default) and :func:`epsilon` is the small constant used to clip
probabilities in losses (``1e-7``, Keras's ``backend.epsilon()``).
:func:`heap_retention` (descend's own) says whether training keeps freed memory
for the next step (see :mod:`descend.autograd.heap`).

Examples
--------
>>> import descend
>>> descend.config.floatx()
'float32'
>>> descend.config.epsilon()
1e-07
"""

from __future__ import annotations

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

    See :mod:`descend.autograd.heap`: on Linux with glibc, the first ``fit``,
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
