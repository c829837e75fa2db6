"""Saving and loading models and weights: Keras's ``keras.saving`` API.

- ``save_model(model, "m.h5")`` / ``load_model("m.h5")``: the whole model in Keras's legacy
  HDF5 layout (architecture, weights, compile arguments, optimizer state).
- ``save_weights(model, "m.weights.h5")``: Keras 3's weights-only layout; ``"m.h5"``: the
  legacy layout. ``load_weights`` reads both (and whole-model files).
- ``custom_object_scope`` / ``get_custom_objects``: the user classes a config may name.

This module sits at the top of the house and only gathers names: the file formats are in
``layerkit.formats`` (below the models, so ``Model.save`` can use them), the custom-object
registry in ``layerkit.utils.object_registration`` (low, so everything can register). Loading a
whole model comes through ``layerkit.models``, which makes sure the model classes are known.
"""

from __future__ import annotations

from layerkit.formats import (
    FileFormatError,
    load_weights,
    save_model,
    save_weights,
    serialize_model,
)
from layerkit.models import load_model, model_from_json
from layerkit.utils.object_registration import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
)

__all__ = ["CustomObjectScope", "FileFormatError", "custom_object_scope", "get_custom_objects",
           "load_model", "load_weights", "model_from_json", "save_model", "save_weights",
           "serialize_model"]
