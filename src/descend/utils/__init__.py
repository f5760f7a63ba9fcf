"""Utilities with Keras names: seeding, label encoding, normalisation, progress bars,
``PyDataset`` (data sets that return whole batches).

The custom-object helpers are also here, as in ``keras.utils`` (they live in
:mod:`descend.registry.object_registration`).
"""

import importlib
from typing import Any

from descend.backend import clear_session, is_keras_tensor, standardize_dtype
from descend.config import (
    disable_interactive_logging,
    enable_interactive_logging,
    is_interactive_logging_enabled,
)
from descend.registry.object_registration import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from descend.utils.data_utils import pack_x_y_sample_weight, unpack_x_y_sample_weight
from descend.utils.dataset_utils import split_dataset
from descend.utils.file_utils import get_file
from descend.utils.image_utils import array_to_img, img_to_array, load_img, save_img
from descend.utils.numerical_utils import normalize, to_categorical
from descend.utils.progbar import Progbar
from descend.utils.py_dataset import PyDataset
from descend.utils.random_seed import set_random_seed
from descend.utils.sequence_utils import pad_sequences, timeseries_dataset_from_array

__all__ = [
    "CustomObjectScope", "Progbar", "PyDataset", "custom_object_scope", "get_custom_objects",
    "get_registered_name", "get_registered_object", "normalize", "register_keras_serializable",
    "set_random_seed", "to_categorical",
    "deserialize_keras_object", "serialize_keras_object", "clear_session", "is_keras_tensor",
    "standardize_dtype", "disable_interactive_logging", "enable_interactive_logging",
    "is_interactive_logging_enabled", "get_source_inputs", "pack_x_y_sample_weight",
    "unpack_x_y_sample_weight",
    "PyDataset", "Sequence", "pad_sequences", "timeseries_dataset_from_array",
    "array_to_img", "get_file", "image_dataset_from_directory", "img_to_array", "load_img",
    "plot_model", "save_img", "split_dataset",
]

Sequence = PyDataset  # Keras's older name, still exported by keras.utils

# imported on first use: they reach into models and saving, which import this package
_LAZY = {
    "get_source_inputs": "descend.models.introspection",
    "deserialize_keras_object": "descend.saving.serialization_lib",
    "serialize_keras_object": "descend.saving.serialization_lib",
    "image_dataset_from_directory": "descend.utils.image_dataset",
    "plot_model": "descend.utils.model_visualization",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'descend.utils' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(__all__) | set(globals()))
