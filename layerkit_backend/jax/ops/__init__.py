"""Importing this package registers every jax lowering."""

from layerkit_backend.jax.ops import array, control, linalg, math, nn, random, special  # noqa: F401
