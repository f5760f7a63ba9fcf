"""Preprocessing layers that run inside a model (Keras's ``keras.layers`` preprocessing set).

- Numbers: :class:`Rescaling`, :class:`Normalization`, :class:`Discretization`.
- Categories: :class:`CategoryEncoding`, :class:`Hashing`.
- Image geometry: :class:`Resizing`, :class:`CenterCrop`.
- Augmentation, active only with ``training=True`` (as in ``fit``): :class:`RandomFlip`,
  :class:`RandomRotation`, :class:`RandomZoom`, :class:`RandomTranslation`,
  :class:`RandomContrast`, :class:`RandomBrightness`, :class:`RandomCrop`.

State that is learned from data (``Normalization`` statistics, ``Discretization``
boundaries) is saved with the model: as non-trainable weights or in the layer's config,
never pickled.
"""

from descend.layers.preprocessing.category_encoding import CategoryEncoding
from descend.layers.preprocessing.discretization import Discretization
from descend.layers.preprocessing.hashing import Hashing
from descend.layers.preprocessing.normalization import Normalization
from descend.layers.preprocessing.random_affine import (
    RandomRotation,
    RandomTranslation,
    RandomZoom,
)
from descend.layers.preprocessing.random_color import RandomBrightness, RandomContrast
from descend.layers.preprocessing.random_crop import RandomCrop
from descend.layers.preprocessing.random_flip import RandomFlip
from descend.layers.preprocessing.rescaling import Rescaling
from descend.layers.preprocessing.resizing import CenterCrop, Resizing

__all__ = [
    "CategoryEncoding", "CenterCrop", "Discretization", "Hashing", "Normalization",
    "RandomBrightness", "RandomContrast", "RandomCrop", "RandomFlip", "RandomRotation",
    "RandomTranslation", "RandomZoom", "Rescaling", "Resizing",
]
