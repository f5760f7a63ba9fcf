"""``RandomFlip``: mirror images at random while training.

Each image of the batch is flipped left-right (``mode="horizontal"``), upside down
(``"vertical"``) or each of the two independently (``"horizontal_and_vertical"``, the
default), each with probability 1/2. Outside training the layer is the identity. The flip is
an engine indexing op, so gradients pass through.

Examples
--------
>>> import numpy as np
>>> from descend.layers import RandomFlip
>>> x = np.arange(6, dtype="float32").reshape(1, 1, 6, 1)
>>> layer = RandomFlip("horizontal", seed=0)
>>> bool((layer(x).data == x).all())  # inference: unchanged
True
>>> sorted({tuple(layer(x, training=True).data.ravel().tolist()) for _ in range(20)})
[(0.0, 1.0, 2.0, 3.0, 4.0, 5.0), (5.0, 4.0, 3.0, 2.0, 1.0, 0.0)]
"""

from __future__ import annotations

from typing import Any

from descend.autograd import Tensor
from descend.autograd import ops as E
from descend.layers.preprocessing._base import RandomImageLayer, check_choice

HORIZONTAL, VERTICAL, HORIZONTAL_AND_VERTICAL = "horizontal", "vertical", "horizontal_and_vertical"


class RandomFlip(RandomImageLayer):
    """Randomly flip images during training.

    Parameters
    ----------
    mode : {"horizontal", "vertical", "horizontal_and_vertical"}, default "horizontal_and_vertical"
    seed : int, optional
    data_format : {"channels_last", "channels_first"}, optional
    **kwargs
        Base-layer arguments.
    """

    def __init__(self, mode: str = HORIZONTAL_AND_VERTICAL, seed: int | None = None,
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.mode = check_choice(self, "mode", mode,
                                 (HORIZONTAL, VERTICAL, HORIZONTAL_AND_VERTICAL))

    def _flip(self, images: Tensor, axis: int) -> Tensor:
        flags = self.generator.random(images.shape[0]) < 0.5
        if not flags.any():
            return images
        index: list[Any] = [slice(None)] * 4
        index[axis] = slice(None, None, -1)
        flipped = E.getitem(images, tuple(index))
        mask = Tensor(flags.reshape(-1, 1, 1, 1), dtype=bool)
        return E.where(mask, flipped, images)

    def augment(self, images: Tensor) -> Tensor:
        """Flip a channels-last batch."""
        if self.mode in (HORIZONTAL, HORIZONTAL_AND_VERTICAL):
            images = self._flip(images, 2)
        if self.mode in (VERTICAL, HORIZONTAL_AND_VERTICAL):
            images = self._flip(images, 1)
        return images

    def get_config(self) -> dict[str, Any]:
        """Base keys plus ``mode``."""
        config = super().get_config()
        config["mode"] = self.mode
        return config

