"""``descend.ops.image``: Keras's ``keras.ops.image`` family (see :mod:`descend.ops`).

Colour-space conversions, resizing and resampling, geometric transforms,
filters and patch extraction on image batches ``(batch, height, width,
channels)`` (``channels_last``, the default) or single images, with Keras's
names, signatures and defaults. The implementations live in the private
``_image_*`` modules; which ops have a gradient is listed in each.

Examples
--------
>>> import numpy as np
>>> from descend.ops import image
>>> image.rgb_to_grayscale(np.ones((1, 2, 2, 3))).shape
(1, 2, 2, 1)
"""

from __future__ import annotations

from descend.ops._image_filter import *  # noqa: F403
from descend.ops._image_filter import __all__ as _filter
from descend.ops._image_resize import *  # noqa: F403
from descend.ops._image_resize import __all__ as _resize
from descend.ops._image_sample import *  # noqa: F403
from descend.ops._image_sample import __all__ as _sample

__all__ = sorted({*_filter, *_resize, *_sample})
