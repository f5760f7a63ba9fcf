"""Utilities with Keras names: seeding, label encoding, normalisation, progress bars,
``PyDataset`` (data sets that return whole batches).

The custom-object helpers are also here, as in ``keras.utils`` (they live in
:mod:`descend.saving.object_registration`).
"""

from descend.saving.object_registration import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from descend.utils.numerical_utils import normalize, to_categorical
from descend.utils.packing import pack_x_y_sample_weight, unpack_x_y_sample_weight
from descend.utils.progbar import Progbar
from descend.utils.py_dataset import PyDataset
from descend.utils.random_seed import set_random_seed

__all__ = [
    "CustomObjectScope", "Progbar", "PyDataset", "custom_object_scope", "get_custom_objects",
    "get_registered_name", "get_registered_object", "normalize", "pack_x_y_sample_weight",
    "register_keras_serializable", "set_random_seed", "to_categorical", "unpack_x_y_sample_weight",
]
