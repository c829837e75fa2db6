"""Models: ``Model`` (functional or subclassed) and ``Sequential``."""

from layerkit.models.model import Model
from layerkit.models.sequential import Sequential

__all__ = ["Model", "Sequential"]
