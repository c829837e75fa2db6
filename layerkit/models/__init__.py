"""Models: ``Model`` (functional or subclassed) and ``Sequential``; saving and loading them."""

from layerkit.models.model import Model
from layerkit.models.sequential import Sequential
from layerkit.saving import load_model, model_from_json, save_model

__all__ = ["Model", "Sequential", "load_model", "model_from_json", "save_model"]
