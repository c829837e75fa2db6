"""Data sets: ``digits`` ships inside the package, so demos and tests work offline; ``mnist``
is downloaded once (as Keras does) into ``$LAYERKIT_HOME/datasets``."""

from layerkit.datasets import digits, mnist

__all__ = ["digits", "mnist"]
