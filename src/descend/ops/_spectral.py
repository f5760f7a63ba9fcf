"""Keras's Fourier ops (``fft``, ``fft2``, ``ifft2``, ``rfft``, ``irfft``, ``stft``, ``istft``).

Complex values travel as Keras does: a ``(real, imag)`` pair of float tensors.
The transforms are NumPy's (``numpy.fft``, ``norm="backward"``) and carry no
gradient in descend. Re-exported by :mod:`descend.ops.math`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.autograd.tensor import Tensor
from descend.ops._dispatch import keras_op
from descend.ops._opargs import array_of, constant


def _complex_pair(x: Any, op: str) -> tuple[np.ndarray, np.dtype]:
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError(f"{op}: x must be a tuple (real, imag) of two float tensors, "
                         f"received {type(x).__name__}.")
    real, imag = (array_of(part) for part in x)
    if real.shape != imag.shape:
        raise ValueError(f"{op}: the real and imaginary parts must have the same shape, "
                         f"received {real.shape} and {imag.shape}.")
    if real.dtype.kind != "f" or imag.dtype.kind != "f":
        raise TypeError(f"{op}: the real and imaginary parts must be float tensors, received "
                        f"{real.dtype} and {imag.dtype}.")
    dtype = np.result_type(real.dtype, imag.dtype)
    return real + 1j * imag, dtype


def _pair_out(values: np.ndarray, dtype: np.dtype) -> tuple[Tensor, Tensor]:
    return constant(np.real(values).astype(dtype)), constant(np.imag(values).astype(dtype))


def _real_input(x: Any, op: str) -> np.ndarray:
    data = array_of(x)
    if data.dtype.kind != "f":
        if data.dtype.kind not in "biu":
            raise TypeError(f"{op}: x must be a real tensor, received dtype {data.dtype}.")
        from descend import config

        data = data.astype(config.floatx())
    return data


@keras_op
def fft(x: tuple[Any, Any]) -> tuple[Tensor, Tensor]:
    """Discrete Fourier transform along the last axis.

    Parameters
    ----------
    x : tuple (real, imag) of float tensors, same shape

    Returns
    -------
    (real, imag) : tuple of Tensor, shape of the input
    """
    values, dtype = _complex_pair(x, "fft")
    return _pair_out(np.fft.fft(values, axis=-1), dtype)


@keras_op
def fft2(x: tuple[Any, Any]) -> tuple[Tensor, Tensor]:
    """2-D discrete Fourier transform over the last two axes.

    Parameters
    ----------
    x : tuple (real, imag) of float tensors, shape (..., m, n)

    Returns
    -------
    (real, imag) : tuple of Tensor, shape (..., m, n)
    """
    values, dtype = _complex_pair(x, "fft2")
    if values.ndim < 2:
        raise ValueError(f"fft2: x must have at least 2 dimensions, received {values.shape}.")
    return _pair_out(np.fft.fft2(values, axes=(-2, -1)), dtype)


@keras_op
def ifft2(x: tuple[Any, Any]) -> tuple[Tensor, Tensor]:
    """Inverse 2-D discrete Fourier transform over the last two axes.

    Parameters
    ----------
    x : tuple (real, imag) of float tensors, shape (..., m, n)

    Returns
    -------
    (real, imag) : tuple of Tensor, shape (..., m, n)
    """
    values, dtype = _complex_pair(x, "ifft2")
    if values.ndim < 2:
        raise ValueError(f"ifft2: x must have at least 2 dimensions, received {values.shape}.")
    return _pair_out(np.fft.ifft2(values, axes=(-2, -1)), dtype)


@keras_op
def rfft(x: Any, fft_length: int | None = None) -> tuple[Tensor, Tensor]:
    """Fourier transform of a real signal along the last axis (non-negative frequencies).

    Parameters
    ----------
    x : float tensor, shape (..., n)
    fft_length : int, optional
        Transform length (the signal is cropped or zero-padded); default ``n``.

    Returns
    -------
    (real, imag) : tuple of Tensor, shape (..., fft_length // 2 + 1)
    """
    data = _real_input(x, "rfft")
    return _pair_out(np.fft.rfft(data, n=fft_length, axis=-1), data.dtype)


@keras_op
def irfft(x: tuple[Any, Any], fft_length: int | None = None) -> Tensor:
    """Inverse of :func:`rfft`: a real signal from its non-negative frequencies.

    Parameters
    ----------
    x : tuple (real, imag), shape (..., m)
    fft_length : int, optional
        Output length; default ``2 * (m - 1)``.

    Returns
    -------
    Tensor, shape (..., fft_length)
    """
    values, dtype = _complex_pair(x, "irfft")
    return constant(np.fft.irfft(values, n=fft_length, axis=-1).astype(dtype))


def _window(window: Any, sequence_length: int, fft_length: int, dtype: np.dtype,
            op: str) -> np.ndarray:
    if window is None:
        win = np.ones(sequence_length, dtype)
    elif isinstance(window, str):
        n = np.arange(sequence_length)
        if window == "hann":
            win = 0.5 - 0.5 * np.cos(2 * np.pi * n / sequence_length)
        elif window == "hamming":
            win = 0.54 - 0.46 * np.cos(2 * np.pi * n / sequence_length)
        else:
            raise ValueError(f"{op}: window must be 'hann', 'hamming', None or a tensor of "
                             f"shape ({sequence_length},), received {window!r}.")
    else:
        win = np.asarray(array_of(window), dtype)
        if win.shape != (sequence_length,):
            raise ValueError(f"{op}: window must have shape ({sequence_length},) "
                             f"(sequence_length), received {win.shape}.")
    left = (fft_length - sequence_length) // 2
    return np.pad(win.astype(dtype), (left, fft_length - sequence_length - left))


def _check_lengths(sequence_length: int, sequence_stride: int, fft_length: int, op: str) -> None:
    if sequence_length < 1 or sequence_stride < 1:
        raise ValueError(f"{op}: sequence_length and sequence_stride must be positive, received "
                         f"{sequence_length} and {sequence_stride}.")
    if fft_length < sequence_length:
        raise ValueError(f"{op}: fft_length must be at least sequence_length, received "
                         f"fft_length={fft_length}, sequence_length={sequence_length}.")


@keras_op
def stft(x: Any, sequence_length: int, sequence_stride: int, fft_length: int,
         window: Any = "hann", center: bool = True) -> tuple[Tensor, Tensor]:
    """Short-time Fourier transform along the last axis.

    Frames of ``sequence_length`` samples every ``sequence_stride`` samples are
    multiplied by ``window`` (zero-padded in the middle of ``fft_length``) and
    transformed with :func:`rfft`.

    Parameters
    ----------
    x : float tensor, shape (..., samples)
    sequence_length, sequence_stride, fft_length : int
    window : {"hann", "hamming"}, tensor of shape (sequence_length,) or None, default "hann"
        The periodic windows of ``scipy.signal.get_window``; None means no window.
    center : bool, default True
        Reflect-pad ``fft_length // 2`` samples on both sides first.

    Returns
    -------
    (real, imag) : tuple of Tensor, shape (..., frames, fft_length // 2 + 1)
    """
    data = array_of(x)
    if data.dtype not in (np.float32, np.float64):
        raise TypeError(f"stft: x must be float32 or float64, received {data.dtype}.")
    _check_lengths(sequence_length, sequence_stride, fft_length, "stft")
    if center:
        pad = [(0, 0)] * (data.ndim - 1) + [(fft_length // 2, fft_length // 2)]
        data = np.pad(data, pad, mode="reflect")
    if data.shape[-1] < fft_length:
        raise ValueError(f"stft: the (padded) signal has {data.shape[-1]} samples, fewer than "
                         f"fft_length={fft_length}.")
    win = _window(window, sequence_length, fft_length, data.dtype, "stft")
    count = 1 + (data.shape[-1] - fft_length) // sequence_stride
    starts = np.arange(count) * sequence_stride
    frames = data[..., starts[:, None] + np.arange(fft_length)]
    return _pair_out(np.fft.rfft(frames * win, n=fft_length, axis=-1), data.dtype)


@keras_op
def istft(x: tuple[Any, Any], sequence_length: int, sequence_stride: int, fft_length: int,
          length: int | None = None, window: Any = "hann", center: bool = True) -> Tensor:
    """Inverse of :func:`stft` by weighted overlap-add.

    Each frame's inverse transform is multiplied by the window and overlap-added;
    the sum is divided by the overlap-added squared window (where above 1e-10).

    Parameters
    ----------
    x : tuple (real, imag), shape (..., frames, fft_length // 2 + 1)
    sequence_length, sequence_stride, fft_length : int
        As given to :func:`stft`.
    length : int, optional
        Crop the output to this many samples.
    window : as for :func:`stft`, default "hann"
    center : bool, default True
        Drop the ``fft_length // 2`` samples :func:`stft` padded at each end.

    Returns
    -------
    Tensor, shape (..., samples)
    """
    values, dtype = _complex_pair(x, "istft")
    _check_lengths(sequence_length, sequence_stride, fft_length, "istft")
    if values.ndim < 2:
        raise ValueError(f"istft: x must have shape (..., frames, bins), received {values.shape}.")
    win = _window(window, sequence_length, fft_length, dtype, "istft")
    frames = np.fft.irfft(values, n=fft_length, axis=-1) * win
    count = values.shape[-2]
    total = fft_length + sequence_stride * (count - 1)
    out = np.zeros(values.shape[:-2] + (total,), np.float64)
    norm = np.zeros(total, np.float64)
    for i in range(count):
        start = i * sequence_stride
        out[..., start:start + fft_length] += frames[..., i, :]
        norm[start:start + fft_length] += win * win
    out = out / np.where(norm > 1e-10, norm, 1.0)
    start = fft_length // 2 if center else 0
    if length is not None:
        end = start + int(length)
    elif center:
        end = total - fft_length // 2
    else:
        end = total
    return constant(out[..., start:end].astype(dtype))


@keras_op
def view_as_real(x: Any) -> Tensor:
    """A complex tensor as floats with a trailing axis of 2 (real, imaginary).

    Parameters
    ----------
    x : complex tensor, shape (...)

    Returns
    -------
    Tensor, shape (..., 2)
    """
    data = array_of(x)
    if data.dtype.kind != "c":
        raise TypeError(f"view_as_real: x must be complex, received dtype {data.dtype}.")
    return constant(np.stack([data.real, data.imag], axis=-1))


@keras_op
def view_as_complex(x: Any) -> Tensor:
    """A float tensor with a trailing axis of 2 (real, imaginary) as a complex tensor.

    Parameters
    ----------
    x : float tensor, shape (..., 2)

    Returns
    -------
    Tensor, complex, shape (...)
    """
    data = array_of(x)
    if data.ndim == 0 or data.shape[-1] != 2:
        raise ValueError(f"view_as_complex: the last axis of x must have size 2 (real, "
                         f"imaginary), received shape {data.shape}.")
    if data.dtype.kind != "f":
        raise TypeError(f"view_as_complex: x must be a float tensor, received {data.dtype}.")
    return constant(data[..., 0] + 1j * data[..., 1])
