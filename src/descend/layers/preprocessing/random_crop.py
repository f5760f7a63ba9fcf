"""``RandomCrop``: cut a random ``height x width`` window from each batch while training.

In training, when the images are larger than the window in both directions, one window
position is drawn (uniformly, per call, shared by the batch as in Keras) and cut out; when
they are not, the images are cropped to the target aspect ratio and resized (Keras's
``smart_resize``). Outside training the input is returned unchanged, as Keras 3 does
(so a model's output shape at inference can differ from training's when the images are
larger than the window: put ``CenterCrop`` or ``Resizing`` after it if that matters).

Examples
--------
>>> import numpy as np
>>> from descend.layers import RandomCrop
>>> x = np.zeros((2, 6, 8, 3), dtype="float32")
>>> layer = RandomCrop(4, 4, seed=0)
>>> layer(x, training=True).shape, layer(x).shape
((2, 4, 4, 3), (2, 6, 8, 3))
"""

from __future__ import annotations

from typing import Any

from descend.autograd import Tensor
from descend.autograd import ops as E
from descend.layers.preprocessing._base import RandomImageLayer, check_positive_int, image_axes
from descend.layers.preprocessing.resizing import smart_resize


class RandomCrop(RandomImageLayer):
    """Randomly crop images during training.

    Parameters
    ----------
    height, width : int
        Size of the window.
    seed : int, optional
    data_format : {"channels_last", "channels_first"}, optional
    **kwargs
        Base-layer arguments.
    """

    def __init__(self, height: int, width: int, seed: int | None = None,
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.height = check_positive_int(self, "height", height)
        self.width = check_positive_int(self, "width", width)

    def augment(self, images: Tensor) -> Tensor:
        """Cut one random window (or smart-resize small images)."""
        in_h, in_w = images.shape[1], images.shape[2]
        x = images if images.dtype.kind == "f" else E.cast(images, self.dtype)
        if in_h > self.height and in_w > self.width:
            top = int(self.generator.uniform(0, in_h - self.height + 1))
            left = int(self.generator.uniform(0, in_w - self.width + 1))
            return E.getitem(x, (slice(None), slice(top, top + self.height),
                                 slice(left, left + self.width)))
        if in_h == self.height and in_w == self.width:
            return x
        return smart_resize(x, self.height, self.width)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """The input shape with height and width replaced (the training shape)."""
        shape = list(input_shape)
        h_axis, w_axis = image_axes(shape, self.data_format)
        shape[h_axis], shape[w_axis] = self.height, self.width
        return tuple(shape)

    def get_config(self) -> dict[str, Any]:
        """Base keys plus ``height`` and ``width``."""
        config = super().get_config()
        config.update(height=self.height, width=self.width)
        return config
