"""Importing this package registers every jax lowering."""

from layerkit_backend.jax.ops import (  # noqa: F401
    array,
    control,
    linalg,
    math,
    nn,
    random,
    special,
    updates,
)
