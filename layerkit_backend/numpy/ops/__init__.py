"""Importing this package registers every numpy kernel."""

from layerkit_backend.numpy.ops import math  # noqa: F401
