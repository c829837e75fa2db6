"""Importing this package registers every numpy kernel."""

from layerkit_backend.numpy.ops import array, control, linalg, math, nn, random, special  # noqa: F401
