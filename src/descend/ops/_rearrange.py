"""``rearrange``: einops-style axis rearrangement (re-exported by :mod:`descend.ops.math`).

A pattern ``"b h (w c) -> b (h w) c"`` names the input axes on the left and
the output axes on the right; parentheses on the left split an axis (the
sizes of all but one of its parts come from keyword arguments), on the right
they merge axes. The result is one reshape, one transpose and one reshape,
so it is differentiable.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from descend.autograd import ops as _ops
from descend.autograd.tensor import Tensor
from descend.ops._dispatch import keras_op
from descend.ops._opargs import array_of, constant

_TOKEN = re.compile(r"\(\s*[^()]*\)|[A-Za-z_]\w*|\S")


def _parse_side(side: str, pattern: str) -> list[list[str]]:
    groups = []
    for token in _TOKEN.findall(side):
        if token.startswith("("):
            names = token[1:-1].split()
            if not names:
                raise ValueError(f"rearrange: empty group '()' in pattern {pattern!r}.")
            groups.append(names)
        elif re.fullmatch(r"[A-Za-z_]\w*", token):
            groups.append([token])
        else:
            raise ValueError(f"rearrange: unsupported token {token!r} in pattern {pattern!r}; "
                             "use axis names and parenthesised groups (no '...' or numbers).")
    for name in [n for g in groups for n in g]:
        if not re.fullmatch(r"[A-Za-z_]\w*", name):
            raise ValueError(f"rearrange: {name!r} is not an axis name (pattern {pattern!r}).")
    return groups


@keras_op
def rearrange(tensor: Any, pattern: str, **axes_lengths: int) -> Tensor:
    """Rearrange the axes of ``tensor`` following an einops ``pattern``.

    Parameters
    ----------
    tensor : tensor
    pattern : str
        ``"<input axes> -> <output axes>"``, e.g. ``"b h w c -> b c h w"`` or
        ``"b (h h1) w c -> b h w (c h1)"``.
    **axes_lengths : int
        Sizes of the axes split on the left that cannot be inferred.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        If the pattern is malformed, its two sides name different axes, the
        input rank differs, or a split does not divide the axis.

    Examples
    --------
    >>> import numpy as np
    >>> rearrange(np.zeros((2, 3, 4)), "b h (w c) -> b (h w) c", c=2).shape
    (2, 6, 2)
    """
    x = tensor if isinstance(tensor, Tensor) else constant(array_of(tensor))
    if not isinstance(pattern, str) or pattern.count("->") != 1:
        raise ValueError(f"rearrange: pattern must be a string 'inputs -> outputs', received "
                         f"{pattern!r}.")
    left, right = pattern.split("->")
    lhs, rhs = _parse_side(left, pattern), _parse_side(right, pattern)
    lhs_names = [n for g in lhs for n in g]
    rhs_names = [n for g in rhs for n in g]
    for names, side in ((lhs_names, "input"), (rhs_names, "output")):
        if len(set(names)) != len(names):
            raise ValueError(f"rearrange: an axis is repeated on the {side} side of {pattern!r}.")
    if set(lhs_names) != set(rhs_names):
        raise ValueError(f"rearrange: both sides of {pattern!r} must name the same axes; only "
                         f"on one side: {sorted(set(lhs_names) ^ set(rhs_names))}.")
    unknown = set(axes_lengths) - set(lhs_names)
    if unknown:
        raise ValueError(f"rearrange: axes_lengths names axes not in the pattern: "
                         f"{sorted(unknown)}.")
    if len(lhs) != x.ndim:
        raise ValueError(f"rearrange: the pattern's input side has {len(lhs)} axes but the "
                         f"tensor has shape {x.shape}.")
    sizes: dict[str, int] = {}
    for group, dim in zip(lhs, x.shape, strict=True):
        missing = [n for n in group if n not in axes_lengths]
        known = math.prod(int(axes_lengths[n]) for n in group if n in axes_lengths)
        if len(missing) > 1:
            raise ValueError(f"rearrange: cannot infer the sizes of {missing} in one axis; pass "
                             "all but one of them as keyword arguments.")
        if missing:
            if known == 0 or dim % known:
                raise ValueError(f"rearrange: axis of size {dim} cannot be split into {group} "
                                 f"with the given sizes {dict((n, axes_lengths[n]) for n in group if n in axes_lengths)}.")  # noqa: E501
            sizes[missing[0]] = dim // known
        elif known != dim:
            raise ValueError(f"rearrange: the sizes of {group} multiply to {known}, not the axis "
                             f"size {dim}.")
        for n in group:
            if n in axes_lengths:
                sizes[n] = int(axes_lengths[n])
    split_shape = tuple(sizes[n] for n in lhs_names)
    order = tuple(lhs_names.index(n) for n in rhs_names)
    out_shape = tuple(math.prod(sizes[n] for n in group) for group in rhs)
    if x.data.dtype.kind != "f":
        data = np.reshape(np.transpose(np.reshape(x.data, split_shape), order), out_shape)
        return constant(data)
    return _ops.reshape(_ops.transpose(_ops.reshape(x, split_shape), order), out_shape)
