"""Resampling at arbitrary coordinates: map_coordinates and the geometric transforms.

``map_coordinates`` interpolates an array at fractional coordinates, order 0
(nearest, ties to even) or 1 (linear), with SciPy's fill modes (``constant``:
taps outside the array read ``fill_value``; ``nearest``, ``wrap``, ``mirror``
and ``reflect`` fold them back in). It is a weighted sum of gathered values,
so it is differentiable in ``inputs``; the coordinates get no gradient (they
are data, not parameters, in every Keras use). ``affine_transform``,
``perspective_transform`` and ``elastic_transform`` compute the input
coordinates of every output pixel and call it.

Examples
--------
>>> import numpy as np
>>> from descend.ops import image
>>> image.map_coordinates(np.array([0.0, 10.0]), [np.array([0.25])], order=1).data
array([2.5])
"""

from __future__ import annotations

import functools
import itertools
import operator
from typing import Any

import numpy as np

from descend import random as _random
from descend.autograd import ops as _ops
from descend.autograd.tensor import Tensor
from descend.ops._dispatch import keras_op
from descend.ops._image_common import as_batch, restore
from descend.ops._nn_common import array, tensor

__all__ = ["affine_transform", "elastic_transform", "map_coordinates", "perspective_transform"]

FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")
ORDERS = {"nearest": 0, "bilinear": 1}


def _mirror(index: np.ndarray, size: int) -> np.ndarray:
    if size == 1:
        return np.zeros_like(index)
    period = size - 1
    return np.abs((index + period) % (2 * period) - period)


def _fold(index: np.ndarray, size: int, mode: str) -> np.ndarray:
    if mode in ("constant", "nearest"):
        return np.clip(index, 0, size - 1)
    if mode == "wrap":
        return index % size
    if mode == "mirror":
        return _mirror(index, size)
    return (_mirror(2 * index + 1, 2 * size + 1) - 1) // 2  # reflect: edge value repeated


def _taps(coordinate: np.ndarray, order: int) -> list[tuple[np.ndarray, np.ndarray | float]]:
    if coordinate.dtype.kind in "iu":
        return [(coordinate.astype(np.intp), 1.0)]
    if order == 0:
        return [(np.round(coordinate).astype(np.intp), 1.0)]
    lower = np.floor(coordinate)
    upper_weight = coordinate - lower
    lower = lower.astype(np.intp)
    return [(lower, 1.0 - upper_weight), (lower + 1, upper_weight)]


def sample(x: Tensor, coordinates: list[np.ndarray], order: int, fill_mode: str,
           fill_value: float) -> Tensor:
    """Interpolate ``x`` at ``coordinates`` (one array per axis of ``x``, broadcastable)."""
    per_axis = []
    for coordinate, size in zip(coordinates, x.shape, strict=True):
        per_axis.append([(_fold(index, size, fill_mode),
                          (index >= 0) & (index < size) if fill_mode == "constant" else None,
                          weight) for index, weight in _taps(coordinate, order)])
    total = None
    for combination in itertools.product(*per_axis):
        indices, valid, weights = zip(*combination, strict=True)
        value = x[tuple(indices)]
        checks = [v for v in valid if v is not None]
        if checks:
            inside = np.broadcast_to(functools.reduce(operator.and_, checks), value.shape)
            value = _ops.where(inside, value, float(fill_value))
        weight = functools.reduce(operator.mul, weights, 1.0)
        term = value * np.asarray(weight, x.dtype) if np.ndim(weight) else value * float(weight)
        total = term if total is None else total + term
    return total


def _check_mode(fill_mode: str, op: str) -> None:
    if fill_mode not in FILL_MODES:
        raise ValueError(f"{op}: fill_mode must be one of {FILL_MODES}, received {fill_mode!r}.")


def _order(interpolation: str, op: str) -> int:
    if interpolation not in ORDERS:
        raise ValueError(f"{op}: interpolation must be 'nearest' or 'bilinear', received "
                         f"{interpolation!r}.")
    return ORDERS[interpolation]


@keras_op
def map_coordinates(inputs: Any, coordinates: Any, order: int, fill_mode: str = "constant",
                    fill_value: float = 0) -> Tensor:
    """Interpolate ``inputs`` at fractional ``coordinates`` (SciPy's ``map_coordinates``).

    Parameters
    ----------
    inputs : tensor-like, any rank ``n``
    coordinates : sequence of ``n`` tensor-likes, each of the output shape
        ``coordinates[k]`` are positions along axis ``k`` of ``inputs``.
    order : {0, 1}
        0: nearest (rounding half to even); 1: linear.
    fill_mode : {"constant", "nearest", "wrap", "mirror", "reflect"}, default "constant"
    fill_value : float, default 0
        Read outside the array in ``"constant"`` mode.

    Returns
    -------
    Tensor, the coordinates' shape (integer inputs give rounded integers, no gradient)
    """
    original = inputs.dtype if isinstance(inputs, Tensor) else np.asarray(inputs).dtype
    x = tensor(inputs)
    coords = [array(c) for c in coordinates]
    if len(coords) != x.ndim:
        raise ValueError(
            f"map_coordinates: coordinates must hold one array per axis of inputs ({x.ndim}), "
            f"received {len(coords)}."
        )
    if coords and coords[0].ndim < 1:
        raise ValueError("map_coordinates: each coordinate array must have at least rank 1.")
    if order not in (0, 1):
        raise ValueError(f"map_coordinates: order must be 0 or 1, received {order!r}.")
    _check_mode(fill_mode, "map_coordinates")
    out = sample(x, coords, int(order), fill_mode, fill_value)
    return restore(out, "channels_last", False, original)


def _batched_sample(x: Tensor, ys: np.ndarray, xs: np.ndarray, order: int, fill_mode: str,
                    fill_value: float) -> Tensor:
    """Sample a channels-last batch at ``(ys, xs)`` of shape (batch, height, width)."""
    batch, _, _, channels = x.shape
    b = np.arange(batch)[:, None, None, None]
    c = np.arange(channels)[None, None, None, :]
    return sample(x, [b, ys[..., None], xs[..., None], c], order, fill_mode, fill_value)


@keras_op
def affine_transform(images: Any, transform: Any, interpolation: str = "bilinear",
                     fill_mode: str = "constant", fill_value: float = 0,
                     data_format: str | None = None) -> Tensor:
    """Apply projective transforms given as ``[a0, a1, a2, b0, b1, b2, c0, c1]``.

    The output pixel ``(x, y)`` reads the input at
    ``((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)``, ``k = c0 x + c1 y + 1``
    (TensorFlow's convention; Keras's torch and JAX backends leave out ``k``, which
    is 1 for the affine transforms with ``c0 = c1 = 0`` that Keras layers use).

    Parameters
    ----------
    images : tensor-like, shape (batch, height, width, channels) or (height, width, channels)
    transform : tensor-like, shape (8,) or (batch, 8)
    interpolation : {"nearest", "bilinear"}, default "bilinear"
    fill_mode : {"constant", "nearest", "wrap", "mirror", "reflect"}, default "constant"
    fill_value : float, default 0
    data_format : {"channels_last", "channels_first"}, optional

    Returns
    -------
    Tensor, the shape of ``images`` (differentiable in ``images``)
    """
    order = _order(interpolation, "affine_transform")
    _check_mode(fill_mode, "affine_transform")
    x, fmt, unbatched, original = as_batch(images, data_format, "affine_transform")
    t = array(transform)
    t = t.astype(np.result_type(t.dtype, np.float32))  # coordinates in the transform's precision
    if t.ndim not in (1, 2) or t.shape[-1] != 8:
        raise ValueError(f"affine_transform: transform must have shape (8,) or (batch, 8), "
                         f"received {t.shape}.")
    t = np.broadcast_to(t.reshape(-1, 8), (x.shape[0], 8))
    gy, gx = np.meshgrid(np.arange(x.shape[1], dtype=t.dtype), np.arange(x.shape[2],
                         dtype=t.dtype), indexing="ij")
    a = [t[:, i, None, None] for i in range(8)]
    k = a[6] * gx + a[7] * gy + 1.0
    xs = (a[0] * gx + a[1] * gy + a[2]) / k
    ys = (a[3] * gx + a[4] * gy + a[5]) / k
    out = _batched_sample(x, ys, xs, order, fill_mode, fill_value)
    return restore(out, fmt, unbatched, original)


def homography(start_points: np.ndarray, end_points: np.ndarray) -> np.ndarray:
    """The ``(batch, 8)`` projective transforms mapping ``end_points`` onto ``start_points``."""
    rows, targets = [], []
    for i in range(4):
        sx, sy = start_points[:, i, 0], start_points[:, i, 1]
        ex, ey = end_points[:, i, 0], end_points[:, i, 1]
        one, zero = np.ones_like(ex), np.zeros_like(ex)
        rows.append(np.stack([ex, ey, one, zero, zero, zero, -sx * ex, -sx * ey], axis=-1))
        rows.append(np.stack([zero, zero, zero, ex, ey, one, -sy * ex, -sy * ey], axis=-1))
        targets += [sx, sy]
    matrix = np.stack(rows, axis=1)
    return np.linalg.solve(matrix, np.stack(targets, axis=-1)[..., None])[..., 0]


@keras_op
def perspective_transform(images: Any, start_points: Any, end_points: Any,
                          interpolation: str = "bilinear", fill_value: float = 0,
                          data_format: str | None = None) -> Tensor:
    """Warp images so that the four ``start_points`` move to ``end_points``.

    Parameters
    ----------
    images : tensor-like, shape (batch, height, width, channels) or (height, width, channels)
    start_points, end_points : tensor-like, shape (4, 2) or (batch, 4, 2)
        Corner ``(x, y)`` coordinates.
    interpolation : {"nearest", "bilinear"}, default "bilinear"
    fill_value : float, default 0
        Outside the input.
    data_format : {"channels_last", "channels_first"}, optional

    Returns
    -------
    Tensor, the shape of ``images`` (differentiable in ``images``)
    """
    order = _order(interpolation, "perspective_transform")
    x, fmt, unbatched, original = as_batch(images, data_format, "perspective_transform")
    start, end = array(start_points, np.float64), array(end_points, np.float64)
    if start.shape != end.shape or start.shape[-2:] != (4, 2) or start.ndim not in (2, 3):
        raise ValueError(
            "perspective_transform: start_points and end_points must both have shape (4, 2) or "
            f"(batch, 4, 2), received {start.shape} and {end.shape}."
        )
    t = homography(start.reshape(-1, 4, 2), end.reshape(-1, 4, 2))
    t = np.broadcast_to(t, (x.shape[0], 8))
    gy, gx = np.meshgrid(np.arange(x.shape[1]), np.arange(x.shape[2]), indexing="ij")
    a = [t[:, i, None, None] for i in range(8)]
    k = a[6] * gx + a[7] * gy + 1.0
    xs = (a[0] * gx + a[1] * gy + a[2]) / k
    ys = (a[3] * gx + a[4] * gy + a[5]) / k
    out = _batched_sample(x, ys, xs, order, "constant", fill_value)
    return restore(out, fmt, unbatched, original)


def _blur_field(field: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of (batch, height, width) fields, zero padded, ``int(6 sigma) | 1`` taps."""
    size = int(6 * sigma) | 1
    offsets = np.arange(size) - (size - 1) / 2
    kernel = np.exp(-0.5 * (offsets / sigma) ** 2)
    kernel /= kernel.sum()
    pad = size // 2
    padded = np.pad(field, ((0, 0), (pad, pad), (pad, pad)))
    rows = sum(kernel[i] * padded[:, i: i + field.shape[1], :] for i in range(size))
    return sum(kernel[j] * rows[:, :, j: j + field.shape[2]] for j in range(size))


@keras_op
def elastic_transform(images: Any, alpha: float = 20.0, sigma: float = 5.0,
                      interpolation: str = "bilinear", fill_mode: str = "reflect",
                      fill_value: float = 0.0, seed: Any = None,
                      data_format: str | None = None) -> Tensor:
    """Random elastic distortion: smoothed random displacement fields move every pixel.

    Displacements ``dx, dy ~ N(0, 1) * sigma`` per pixel, blurred by a Gaussian of
    standard deviation ``sigma`` (size ``int(6 sigma) | 1``), scaled by ``alpha``;
    the output at ``(x, y)`` reads the input at ``(x + dx, y + dy)``. The same
    fields apply to every channel of an image.

    Parameters
    ----------
    images : tensor-like, shape (batch, height, width, channels) or (height, width, channels)
    alpha : float, default 20.0
        Displacement strength.
    sigma : float, default 5.0
        Smoothness of the displacement.
    interpolation : {"nearest", "bilinear"}, default "bilinear"
    fill_mode : {"constant", "nearest", "wrap", "mirror", "reflect"}, default "reflect"
    fill_value : float, default 0.0
    seed : int or numpy.random.Generator, optional
        Default: descend's global generator (see :mod:`descend.random`).
    data_format : {"channels_last", "channels_first"}, optional

    Returns
    -------
    Tensor, the shape of ``images`` (differentiable in ``images``)
    """
    order = _order(interpolation, "elastic_transform")
    _check_mode(fill_mode, "elastic_transform")
    if float(sigma) <= 0 or float(alpha) < 0:
        raise ValueError(f"elastic_transform: need sigma > 0 and alpha >= 0, received "
                         f"sigma={sigma!r}, alpha={alpha!r}.")
    x, fmt, unbatched, original = as_batch(images, data_format, "elastic_transform")
    rng = _random.make_generator(seed)
    batch, height, width, _ = x.shape
    dx = _blur_field(rng.standard_normal((batch, height, width)) * sigma, float(sigma))
    dy = _blur_field(rng.standard_normal((batch, height, width)) * sigma, float(sigma))
    gy, gx = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    out = _batched_sample(x, gy + alpha * dy, gx + alpha * dx, order, fill_mode, fill_value)
    return restore(out, fmt, unbatched, original)
