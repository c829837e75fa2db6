"""Small data sets: ``digits`` ships inside the package, so demos and tests work offline."""

from layerkit.datasets import digits

__all__ = ["digits"]
