"""Image resampling for the preprocessing layers: resizing and affine warps, on the engine.

Resizing
    Resizing is linear in the image, so each axis is resized by an interpolation matrix
    ``M`` of shape ``(out_size, in_size)``: ``out = M_h @ image @ M_wᵀ`` (per channel). The
    products run on the engine's ``matmul``, so gradients flow through a ``Resizing`` layer.
    Sample positions use half-pixel centres, as PyTorch (``align_corners=False``) and Keras do:
    output pixel ``i`` reads input position ``(i + 0.5) * in/out - 0.5``.

    - ``"bilinear"``: triangle kernel; ``"bicubic"``: Keys cubic kernel with ``a = -0.75``
      (PyTorch's, which Keras uses on the torch backend); neighbours outside the image are
      clamped to the edge.
    - ``"nearest"``: input pixel ``floor((i + 0.5) * in/out)`` (PyTorch's ``nearest-exact``).
    - ``"area"``: each output pixel averages the input interval it covers (box filter).
    - ``"lanczos3"``/``"lanczos5"``: windowed-sinc kernels of radius 3 and 5.
    - ``antialias=True`` (downsampling only): the kernel is stretched by ``in/out`` so every
      input pixel contributes, and the weights of each row are normalised to sum to 1.

Affine warps
    :class:`AffineTransform` maps every output pixel ``(x, y)`` to the input position
    ``(a0 x + a1 y + a2, b0 x + b1 y + b2)`` (TensorFlow's ``ImageProjectiveTransformV3``
    convention, which Keras's random layers use), samples it with ``"nearest"`` or
    ``"bilinear"`` interpolation, and fills positions outside the image by ``fill_mode``:
    ``"reflect"`` (d c b a | a b c d | d c b a), ``"wrap"`` (a b c d | a b c d),
    ``"nearest"`` (a a a a | a b c d | d d d d) or ``"constant"`` (``fill_value``), applied
    to each neighbouring pixel index as Keras's torch backend does.
    Its backward pass scatters the gradient back to the pixels that were read.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from descend.autograd import Tensor
from descend.autograd import ops as E
from descend.autograd.function import Function

INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5")
FILL_MODES = ("reflect", "wrap", "constant", "nearest")


def _cubic(t: np.ndarray, a: float = -0.75) -> np.ndarray:
    t = np.abs(t)
    return np.where(t <= 1, ((a + 2) * t - (a + 3)) * t * t + 1,
                    np.where(t < 2, ((a * t - 5 * a) * t + 8 * a) * t - 4 * a, 0.0))


def _lanczos(t: np.ndarray, radius: int) -> np.ndarray:
    t = np.abs(t)
    return np.where(t < radius, np.sinc(t) * np.sinc(t / radius), 0.0)


_KERNELS = {
    "bilinear": (lambda t: np.maximum(0.0, 1.0 - np.abs(t)), 1.0),
    "bicubic": (_cubic, 2.0),
    "lanczos3": (lambda t: _lanczos(t, 3), 3.0),
    "lanczos5": (lambda t: _lanczos(t, 5), 5.0),
}


def interpolation_matrix(in_size: int, out_size: int, interpolation: str,
                         antialias: bool = False) -> np.ndarray:
    """The ``(out_size, in_size)`` float64 matrix that resizes one axis.

    Parameters
    ----------
    in_size, out_size : int
        Lengths of the axis before and after resizing (both >= 1).
    interpolation : str
        One of :data:`INTERPOLATIONS`.
    antialias : bool, default False
        Stretch the kernel when downsampling (ignored for ``"nearest"`` and ``"area"``).

    Returns
    -------
    ndarray of shape (out_size, in_size)
        Each row sums to 1.
    """
    scale = in_size / out_size
    rows = np.arange(out_size, dtype=np.float64)
    matrix = np.zeros((out_size, in_size))
    if interpolation == "nearest":
        src = np.minimum(np.floor((rows + 0.5) * scale).astype(np.int64), in_size - 1)
        matrix[np.arange(out_size), src] = 1.0
        return matrix
    if interpolation == "area":
        starts, stops = rows * scale, (rows + 1) * scale
        left = np.arange(in_size, dtype=np.float64)
        overlap = np.clip(np.minimum(stops[:, None], left[None, :] + 1)
                          - np.maximum(starts[:, None], left[None, :]), 0.0, None)
        return overlap / overlap.sum(axis=1, keepdims=True)
    kernel, radius = _KERNELS[interpolation]
    stretch = max(scale, 1.0) if (antialias or interpolation.startswith("lanczos")) else 1.0
    centres = (rows + 0.5) * scale - 0.5
    if stretch == 1.0 and not interpolation.startswith("lanczos"):
        # point sampling: neighbours outside the image read the edge pixel
        base = np.floor(centres).astype(np.int64)
        span = int(math.ceil(radius))
        for k in range(-span + 1, span + 1):
            idx = base + k
            w = kernel(centres - idx)
            np.add.at(matrix, (np.arange(out_size), np.clip(idx, 0, in_size - 1)), w)
        return matrix
    cols = np.arange(in_size, dtype=np.float64)
    weights = kernel((cols[None, :] - centres[:, None]) / stretch)
    total = weights.sum(axis=1, keepdims=True)
    total[total == 0] = 1.0
    return weights / total


def resize(images: Tensor, height: int, width: int, interpolation: str = "bilinear",
           antialias: bool = False) -> Tensor:
    """Resize channels-last images ``(..., H, W, C)`` to ``(..., height, width, C)``.

    Composed of engine ``matmul``/``transpose`` ops, so gradients pass through.
    """
    in_h, in_w = images.shape[-3], images.shape[-2]
    dtype = images.dtype
    m_h = Tensor(interpolation_matrix(in_h, height, interpolation, antialias).astype(dtype))
    m_w = Tensor(interpolation_matrix(in_w, width, interpolation, antialias).T.astype(dtype))
    rank = images.ndim
    # (..., H, W, C) -> (..., C, H, W)
    order = list(range(rank - 3)) + [rank - 1, rank - 3, rank - 2]
    x = E.transpose(images, order)
    x = E.matmul(E.matmul(m_h, x), m_w)
    back = list(range(rank - 3)) + [rank - 2, rank - 1, rank - 3]
    return E.transpose(x, back)


def _fix_index(index: np.ndarray, size: int, fill_mode: str) -> np.ndarray:
    """Bring integer pixel indices outside ``[0, size)`` back inside, as ``fill_mode`` says."""
    if fill_mode == "reflect":
        folded = np.mod(index, 2 * size)
        return np.where(folded >= size, 2 * size - 1 - folded, folded)
    if fill_mode == "wrap":
        return np.mod(index, size)
    return np.clip(index, 0, size - 1)  # nearest; constant reads are masked by validity


def _sampling_plan(shape: tuple[int, ...], matrices: np.ndarray, interpolation: str,
                   fill_mode: str) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """For each neighbour: flat input indices, weights and validity, per output pixel.

    Neighbours are the nearest pixel (rounded half to even) or the 2 x 2 pixels around the
    sampled position; each neighbour's index is folded back into the image by ``fill_mode``
    on its own (so ``"wrap"`` interpolates between the last and the first pixel). With
    ``"constant"`` a neighbour outside the image is invalid and reads ``fill_value``.
    """
    batch, height, width = shape[0], shape[1], shape[2]
    ys, xs = np.meshgrid(np.arange(height, dtype=np.float64),
                         np.arange(width, dtype=np.float64), indexing="ij")
    m = matrices[:, :, None, None]
    x_in = m[:, 0] * xs + m[:, 1] * ys + m[:, 2]
    y_in = m[:, 3] * xs + m[:, 4] * ys + m[:, 5]
    batch_offset = (np.arange(batch) * height * width)[:, None, None]
    if interpolation == "nearest":
        corners = [(np.rint(y_in), np.rint(x_in), np.ones_like(x_in))]
    else:
        y0, x0 = np.floor(y_in), np.floor(x_in)
        dy, dx = y_in - y0, x_in - x0
        corners = [(y0, x0, (1 - dy) * (1 - dx)), (y0, x0 + 1, (1 - dy) * dx),
                   (y0 + 1, x0, dy * (1 - dx)), (y0 + 1, x0 + 1, dy * dx)]
    plan = []
    for yy, xx, w in corners:
        yi, xi = yy.astype(np.int64), xx.astype(np.int64)
        if fill_mode == "constant":
            valid = (yi >= 0) & (yi < height) & (xi >= 0) & (xi < width)
        else:
            valid = np.ones(yi.shape, bool)
        flat = (_fix_index(yi, height, fill_mode) * width + _fix_index(xi, width, fill_mode)
                + batch_offset)
        plan.append((flat.reshape(-1), w.reshape(-1), valid.reshape(-1)))
    return plan


class AffineTransform(Function):
    """Warp channels-last images ``(B, H, W, C)`` by per-image affine maps (see module doc).

    ``forward(images, matrices=(B, 8) array, interpolation=..., fill_mode=...,
    fill_value=...)``; the gradient reaches ``images`` only (``matrices`` is a constant).
    """

    def forward(self, images, matrices: Any = None, interpolation: str = "bilinear",
                fill_mode: str = "reflect", fill_value: float = 0.0):
        self.shape = images.shape
        channels = images.shape[-1]
        plan = _sampling_plan(images.shape, np.asarray(matrices, np.float64), interpolation,
                              fill_mode)
        flat = images.reshape(-1, channels)
        out = np.zeros((flat.shape[0], channels), np.float64)
        self.plan = []
        for index, weight, valid in plan:
            w = np.where(valid, weight, 0.0)
            out += flat[index] * w[:, None]
            if fill_mode == "constant":
                out += np.where(valid, 0.0, weight)[:, None] * fill_value
            self.plan.append((index, w))
        return out.reshape(images.shape).astype(images.dtype, copy=False)

    def backward(self, grad):
        channels = self.shape[-1]
        g = grad.reshape(-1, channels)
        out = np.zeros((g.shape[0], channels), grad.dtype)
        for index, weight in self.plan:
            np.add.at(out, index, g * weight[:, None].astype(grad.dtype))
        return (out.reshape(self.shape),)


def affine_transform(images: Tensor, matrices: np.ndarray, interpolation: str = "bilinear",
                     fill_mode: str = "reflect", fill_value: float = 0.0) -> Tensor:
    """Apply :class:`AffineTransform` to a ``(B, H, W, C)`` tensor."""
    return AffineTransform.apply(images, matrices=matrices, interpolation=interpolation,
                                 fill_mode=fill_mode, fill_value=float(fill_value))


def affine_matrix(angle: np.ndarray, scale_x: np.ndarray, scale_y: np.ndarray,
                  shift_x: np.ndarray, shift_y: np.ndarray, height: int,
                  width: int) -> np.ndarray:
    """``(B, 8)`` maps about the image centre: rotate by ``angle`` radians, scale, shift.

    The output pixel ``p`` reads input ``c + S R (p - c) + t`` where ``c`` is the centre
    ``((width - 1) / 2, (height - 1) / 2)``, ``R`` the rotation, ``S = diag(scale_x,
    scale_y)`` and ``t = (shift_x, shift_y)``.
    """
    cos, sin = np.cos(angle), np.sin(angle)
    cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
    a0, a1 = scale_x * cos, -scale_x * sin
    b0, b1 = scale_y * sin, scale_y * cos
    a2 = shift_x + cx - cx * a0 - cy * a1
    b2 = shift_y + cy - cx * b0 - cy * b1
    zeros = np.zeros_like(a0)
    return np.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)
