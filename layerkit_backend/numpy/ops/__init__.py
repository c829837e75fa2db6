"""Importing this package registers every numpy kernel."""

from layerkit_backend.numpy.ops import (  # noqa: F401
    array,
    control,
    linalg,
    math,
    nn,
    random,
    special,
    updates,
)
