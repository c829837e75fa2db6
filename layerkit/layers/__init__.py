"""Layers. Each creates its weights in ``build`` and its ops in ``call``.

Layer classes load from their modules on first use (``layerkit.layers.Conv2D`` imports
``convolutional``).
"""

from __future__ import annotations

import importlib
from typing import Any

from layerkit.layers.core import Activation, Dense, Dropout, Flatten, Identity
from layerkit.layers.input_layer import Input, InputLayer
from layerkit.layers.layer import Layer
from layerkit.utils.object_registration import custom_object_scope, custom_objects_in_scope

# Class name -> module, for the layers not imported above.
_LAZY = {
    **dict.fromkeys(["Reshape", "Permute", "RepeatVector"], "reshaping"),
    **dict.fromkeys([f"{kind}{n}D" for kind in ("ZeroPadding", "Cropping", "UpSampling")
                     for n in (1, 2, 3)], "spatial_reshaping"),
    **dict.fromkeys(["ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax"], "activation"),
    **dict.fromkeys(["GaussianNoise", "GaussianDropout", "AlphaDropout", "SpatialDropout1D",
                     "SpatialDropout2D", "SpatialDropout3D", "ActivityRegularization"],
                    "regularization"),
    "Lambda": "lambda_layer",
    **dict.fromkeys(["TimeDistributed", "Bidirectional"], "wrappers"),
    "EinsumDense": "einsum_dense",
    **dict.fromkeys(["Attention", "AdditiveAttention", "MultiHeadAttention",
                     "GroupedQueryAttention"], "attention"),
    **dict.fromkeys(["Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose",
                     "Conv3DTranspose", "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D",
                     "SeparableConv2D"], "convolutional"),
    **dict.fromkeys([f"{kind}{n}D" for kind in ("MaxPooling", "AveragePooling",
                                                  "GlobalAveragePooling", "GlobalMaxPooling")
                     for n in (1, 2, 3)], "pooling"),
    **dict.fromkeys(["SimpleRNN", "LSTM", "GRU"], "recurrent"),
    "Embedding": "embedding",
    **dict.fromkeys(["BatchNormalization", "LayerNormalization", "GroupNormalization",
                     "UnitNormalization"], "normalization"),
    **dict.fromkeys(["Concatenate", "Add", "Subtract", "Multiply", "Average", "Maximum",
                     "Minimum", "Dot"], "merging"),
}
# Keras's functional forms of the merging layers (``layers.add([a, b])``).
_FUNCTIONS = {name: "merging" for name in ("concatenate", "add", "subtract", "multiply",
                                           "average", "maximum", "minimum", "dot")}
# Keras's aliases.
_ALIASES = {"MaxPool1D": "MaxPooling1D", "MaxPool2D": "MaxPooling2D",
            "AvgPool1D": "AveragePooling1D", "AvgPool2D": "AveragePooling2D",
            "GlobalAvgPool1D": "GlobalAveragePooling1D",
            "GlobalAvgPool2D": "GlobalAveragePooling2D",
            "GlobalMaxPool1D": "GlobalMaxPooling1D", "GlobalMaxPool2D": "GlobalMaxPooling2D",
            "MaxPool3D": "MaxPooling3D", "AvgPool3D": "AveragePooling3D",
            "GlobalAvgPool3D": "GlobalAveragePooling3D", "GlobalMaxPool3D": "GlobalMaxPooling3D",
            "Convolution1D": "Conv1D", "Convolution2D": "Conv2D", "Convolution3D": "Conv3D",
            "Convolution2DTranspose": "Conv2DTranspose",
            "Convolution3DTranspose": "Conv3DTranspose",
            "SeparableConvolution1D": "SeparableConv1D",
            "SeparableConvolution2D": "SeparableConv2D",
            "GroupQueryAttention": "GroupedQueryAttention"}

__all__ = sorted(["Activation", "Dense", "Dropout", "Flatten", "Identity", "Input",
                  "InputLayer", "Layer", "deserialize", "serialize", *_LAZY, *_ALIASES,
                  *_FUNCTIONS])


def __getattr__(name: str) -> Any:
    name = _ALIASES.get(name, name)
    module_name = _LAZY.get(name) or _FUNCTIONS.get(name)
    if module_name:
        module = importlib.import_module(f"layerkit.layers.{module_name}")
        return getattr(module, name)
    raise AttributeError(f"module 'layerkit.layers' has no attribute {name!r}")


# Built-in classes defined above this package (``layerkit.models`` registers its model classes
# when it loads), so that ``deserialize`` rebuilds nested models without importing upwards.
_REGISTERED: dict[str, type] = {}


def register_builtin_class(name: str, cls: type) -> None:
    """Let ``deserialize`` build ``cls`` for the class name ``name``: for the built-in classes
    of packages above this one (the model classes); user classes go in ``custom_objects``."""
    _REGISTERED[name] = cls


def _registry() -> dict[str, type]:
    """Every built-in layer class by name, for ``deserialize`` (no imports named by a file)."""
    classes = {name: obj for name, obj in globals().items()
               if isinstance(obj, type) and issubclass(obj, Layer)}
    for name in _LAZY:
        classes[name] = __getattr__(name)
    classes.update(_REGISTERED)
    return classes


def serialize(layer: Layer) -> dict[str, Any]:
    """``{"class_name": ..., "config": ...}``, as Keras writes layers (a plain functional
    ``Model`` is written as ``"Functional"``, as in Keras 3)."""
    name = type(layer).__name__
    if type(layer) is _REGISTERED.get("Functional") and getattr(layer, "_functional", False):
        name = "Functional"
    return {"class_name": name, "config": layer.get_config()}


def deserialize(config: dict[str, Any], custom_objects: dict[str, Any] | None = None) -> Layer:
    """A layer from ``serialize``'s output. Only built-in classes and custom objects (passed
    here, or in an enclosing ``custom_object_scope``) are accepted; any other class name is
    refused, naming it. The custom objects also reach what the config names inside (the layers
    of a nested model, activations, initializers)."""
    if not isinstance(config, dict):
        raise ValueError(f"Not a layer config: {str(config)[:200]}")
    name = config.get("class_name")
    classes = {**_registry(), **custom_objects_in_scope(custom_objects)}
    if not isinstance(name, str) or name not in classes:
        raise ValueError(f"Unknown layer class {name!r}: it is neither built in nor passed in "
                         "custom_objects")
    cls = classes[name]
    inner = config.get("config", {})
    if not isinstance(inner, dict):
        raise ValueError(f"The config of layer class {name!r} must be a dict")
    with custom_object_scope(custom_objects):
        if getattr(cls, "_is_model", False):  # a model also resolves its layers' classes
            return cls.from_config(inner, custom_objects=custom_objects)
        return cls.from_config(inner)
