"""Utilities with Keras names: seeding, label encoding, normalisation, progress bars."""

from descend.utils.numerical_utils import normalize, to_categorical
from descend.utils.progbar import Progbar
from descend.utils.random_seed import set_random_seed

__all__ = ["Progbar", "normalize", "set_random_seed", "to_categorical"]
