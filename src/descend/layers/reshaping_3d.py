"""``ZeroPadding3D`` and ``Cropping3D``: add or remove planes around volumes.

Examples
--------
>>> import numpy as np
>>> from descend.layers import Cropping3D, ZeroPadding3D
>>> ZeroPadding3D(1)(np.ones((1, 2, 2, 2, 1), "float32")).shape
(1, 4, 4, 4, 1)
>>> Cropping3D(((1, 0), (0, 1), (1, 1)))(np.ones((1, 4, 4, 4, 1), "float32")).shape
(1, 3, 3, 2, 1)
"""

from __future__ import annotations

from typing import Any

from descend.layers.reshaping import _SpatialEdges

__all__ = ["Cropping3D", "ZeroPadding3D"]


class ZeroPadding3D(_SpatialEdges):
    """Add zeros around each volume (Keras's ``ZeroPadding3D``).

    Parameters
    ----------
    padding : int, tuple of 3 ints, or tuple of 3 (before, after) tuples, default ((1, 1),) * 3
        ``p``: ``p`` on every side; ``(d, h, w)``: symmetric per axis; or
        explicit ``((front, back), (top, bottom), (left, right))``.
    data_format : {None, "channels_last"}, optional
    **kwargs
        Base-layer arguments.

    Notes
    -----
    Input ``(batch, depth, height, width, channels)``; each spatial axis grows by
    its ``before + after``.
    """

    def __init__(self, padding: Any = ((1, 1), (1, 1), (1, 1)), data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(3, padding, data_format=data_format, **kwargs)
        self.padding = self._amounts


class Cropping3D(_SpatialEdges):
    """Remove planes from the edges of each volume (Keras's ``Cropping3D``).

    Parameters
    ----------
    cropping : int, tuple of 3 ints, or tuple of 3 (before, after) tuples, default ((1, 1),) * 3
        Amounts removed, in the same forms as ``ZeroPadding3D``'s ``padding``.
    data_format : {None, "channels_last"}, optional
    **kwargs
        Base-layer arguments.

    Notes
    -----
    Input ``(batch, depth, height, width, channels)``; each spatial axis shrinks
    by its ``before + after`` (an error when nothing would be left).
    """

    _argument = "cropping"
    _sign = -1

    def __init__(self, cropping: Any = ((1, 1), (1, 1), (1, 1)),
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(3, cropping, data_format=data_format, **kwargs)
        self.cropping = self._amounts
