"""Utilities with Keras's names: ``set_random_seed``, ``to_categorical``, ``get_file``."""

from layerkit.utils.file_utils import get_file
from layerkit.utils.numerical_utils import normalize, to_categorical
from layerkit.utils.rng_utils import get_random_seed, set_random_seed

__all__ = ["get_file", "get_random_seed", "normalize", "set_random_seed", "to_categorical"]
