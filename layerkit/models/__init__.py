"""Models: ``Model`` (functional or subclassed) and ``Sequential``; saving and loading them.

The model classes are registered with ``layerkit.layers`` here, so that a layer config naming
``Sequential``, ``Functional`` or ``Model`` (a nested model, a whole model file) can be rebuilt.
"""

from layerkit.formats import load_model, model_from_json, save_model
from layerkit.layers import register_builtin_class
from layerkit.models.cloning import clone_model
from layerkit.models.model import Model
from layerkit.models.sequential import Sequential

for _name, _cls in {"Model": Model, "Functional": Model, "Sequential": Sequential}.items():
    register_builtin_class(_name, _cls)

__all__ = ["Model", "Sequential", "clone_model", "load_model", "model_from_json", "save_model"]
