"""``STFT``: a kernel whose 1-D convolution computes a short-time Fourier transform.

For a kernel of shape ``(frame_length, input_channels, fft_bins)``, entry
``[t, 0, f]`` is ``cos(-2 pi t f / n_fft)`` (``side="real"``) or
``sin(-2 pi t f / n_fft)`` (``side="imag"``) with ``n_fft = 2 (fft_bins - 1)``,
multiplied by a window and divided by its scaling. A ``Conv1D`` with this
kernel and ``strides`` = hop length turns a signal into the real or imaginary
part of its spectrogram.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from descend import config
from descend.initializers.base import Initializer, as_shape

_WINDOWS = ("hann", "hamming", "blackman", "bartlett", "boxcar")


def get_window(window: str, length: int, periodic: bool = False) -> np.ndarray:
    """The named window of ``length`` points (SciPy's ``get_window`` values).

    Parameters
    ----------
    window : {"hann", "hamming", "blackman", "bartlett", "boxcar"}
    length : int
    periodic : bool, default False
        Periodic (for spectral analysis: the symmetric window of ``length + 1``
        points without its last point) rather than symmetric.

    Returns
    -------
    ndarray of float64, shape (length,)

    Examples
    --------
    >>> get_window("hann", 5).round(6).tolist()
    [0.0, 0.5, 1.0, 0.5, 0.0]
    """
    if window not in _WINDOWS:
        raise ValueError(f"STFT: unknown window {window!r}; descend knows {list(_WINDOWS)} "
                         "(or pass the window values as an array of frame_length numbers).")
    m = length + 1 if periodic else length
    if m <= 1:
        return np.ones(length)
    n = np.arange(m)
    phase = 2.0 * np.pi * n / (m - 1)
    if window == "hann":
        w = 0.5 - 0.5 * np.cos(phase)
    elif window == "hamming":
        w = 0.54 - 0.46 * np.cos(phase)
    elif window == "blackman":
        w = 0.42 - 0.5 * np.cos(phase) + 0.08 * np.cos(2.0 * phase)
    elif window == "bartlett":
        w = 1.0 - np.abs(2.0 * n / (m - 1) - 1.0)
    else:
        w = np.ones(m)
    return w[:length]


class STFT(Initializer):
    """Short-time Fourier transform kernel (Keras's ``STFT`` initializer).

    Parameters
    ----------
    side : {"real", "imag"}, default "real"
    window : str, array_like or None, default "hann"
        A window name (see :func:`get_window`), ``frame_length`` values, or None
        for no window.
    scaling : {"density", "spectrum", None}, default "density"
        Divide by ``sqrt(sum(window^2))`` ("density") or ``sum(|window|)``
        ("spectrum"); ignored without a window.
    periodic : bool, default False
        Periodic rather than symmetric window.

    Examples
    --------
    >>> kernel = STFT(window=None)((4, 1, 3))
    >>> kernel.shape, kernel[:, 0, 0].tolist()
    ((4, 1, 3), [1.0, 1.0, 1.0, 1.0])
    """

    def __init__(self, side: str = "real", window: Any = "hann", scaling: str | None = "density",
                 periodic: bool = False) -> None:
        if side not in ("real", "imag"):
            raise ValueError(f"STFT: side should be 'real' or 'imag', not {side!r}.")
        if isinstance(window, str):
            get_window(window, 1)  # validates the name
        elif window is not None and np.asarray(window).dtype.kind not in "biuf":
            raise ValueError(f"STFT: window must be a name, an array of numbers or None, "
                             f"received {window!r}.")
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError("STFT: scaling is invalid, it must be `None`, 'density' or "
                             f"'spectrum'. Received scaling={scaling!r}")
        self.side, self.window, self.scaling = side, window, scaling
        self.periodic = bool(periodic)

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> np.ndarray:
        shape = as_shape(shape)
        if len(shape) != 3:
            raise ValueError(f"STFT: expected a Conv1D kernel shape (frame_length, "
                             f"input_channels, fft_bins), received shape {shape}.")
        frame_length, _, bins = shape
        n_fft = (bins - 1) * 2
        t = np.arange(frame_length, dtype=np.float64).reshape(frame_length, 1, 1)
        f = np.arange(bins, dtype=np.float64).reshape(1, 1, bins) / n_fft
        angle = -2.0 * t * f * np.pi
        kernel = np.cos(angle) if self.side == "real" else np.sin(angle)
        kernel = np.broadcast_to(kernel, shape).copy()
        if self.window is not None:
            if isinstance(self.window, str):
                win = get_window(self.window, frame_length, self.periodic)
            else:
                win = np.asarray(self.window, dtype=np.float64)
                if win.shape != (frame_length,):
                    raise ValueError("STFT: the shape of `window` must be equal to "
                                     f"[frame_length] = [{frame_length}]. Received: window "
                                     f"shape={win.shape}")
            scale = 1.0
            if self.scaling == "density":
                scale = float(np.sqrt(np.sum(win * win)))
            elif self.scaling == "spectrum":
                scale = float(np.sum(np.abs(win)))
            kernel = kernel * win.reshape(frame_length, 1, 1) / scale
        return kernel.astype(dtype or config.floatx())

    def get_config(self) -> dict[str, Any]:
        window = self.window
        if isinstance(window, np.ndarray):
            window = window.tolist()
        return {"side": self.side, "window": window, "periodic": self.periodic,
                "scaling": self.scaling}
