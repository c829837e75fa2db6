"""Utilities with Keras's names: ``set_random_seed``, ``to_categorical``, ``get_file``,
``pack_x_y_sample_weight``, ``PyDataset``."""

from layerkit.utils.data_packing import pack_x_y_sample_weight, unpack_x_y_sample_weight
from layerkit.utils.file_utils import get_file
from layerkit.utils.numerical_utils import normalize, to_categorical
from layerkit.utils.object_registration import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
)
from layerkit.utils.py_dataset import PyDataset, Sequence
from layerkit.utils.rng_utils import get_random_seed, set_random_seed

__all__ = [
    "CustomObjectScope", "PyDataset", "Sequence", "custom_object_scope", "get_custom_objects",
    "get_file", "get_random_seed", "normalize", "pack_x_y_sample_weight", "set_random_seed",
    "to_categorical", "unpack_x_y_sample_weight",
]
