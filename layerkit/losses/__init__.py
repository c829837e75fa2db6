"""Losses, as in ``keras.losses``: per-sample loss functions and ``Loss`` classes.

``get(identifier)`` resolves what ``compile(loss=...)`` accepts: a function or class name
(``"mse"``, ``"categorical_crossentropy"``, ``"CategoricalCrossentropy"``), a function, a
``Loss`` instance or class, or a config dict ``{"class_name": ..., "config": {...}}``.
"""

from __future__ import annotations

import inspect
from typing import Any

from layerkit.losses.loss import (
    Loss,
    reduce_values,
    reduce_weighted_values,
    standardize_reduction,
)
from layerkit.losses.losses import (
    FUNCTIONS_BY_NAME,
    MAE,
    MSE,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    Huber,
    LossFunctionWrapper,
    MeanAbsoluteError,
    MeanSquaredError,
    SparseCategoricalCrossentropy,
    binary_crossentropy,
    categorical_crossentropy,
    huber,
    loss_function,
    mae,
    mean_absolute_error,
    mean_squared_error,
    mse,
    sparse_categorical_crossentropy,
)
from layerkit.utils.object_registration import custom_objects_in_scope

ALL_OBJECTS = (
    Loss, LossFunctionWrapper, MeanSquaredError, MeanAbsoluteError, Huber, BinaryCrossentropy,
    CategoricalCrossentropy, SparseCategoricalCrossentropy,
    mean_squared_error, mean_absolute_error, huber, binary_crossentropy,
    categorical_crossentropy, sparse_categorical_crossentropy,
)
ALL_OBJECTS_DICT: dict[str, Any] = {obj.__name__: obj for obj in ALL_OBJECTS}
ALL_OBJECTS_DICT.update(FUNCTIONS_BY_NAME)  # with Keras's aliases: "mse", "mae", "bce"


def serialize(loss: Any) -> dict:
    """A JSON-able description of a ``Loss`` instance or a built-in loss function, in Keras's
    format (``{"module", "class_name", "config", "registered_name"}``)."""
    if isinstance(loss, Loss):
        return {"module": "keras.losses", "class_name": type(loss).__name__,
                "config": loss.get_config(), "registered_name": None}
    name = getattr(loss, "__name__", None)
    if callable(loss) and name in ALL_OBJECTS_DICT:
        # Keras 3's form for its built-in functions (it refuses module "keras.losses" here).
        return {"module": "builtins", "class_name": "function", "config": name,
                "registered_name": "function"}
    raise ValueError(f"Cannot serialize loss {loss!r}: it is not a Loss instance or a "
                     "built-in loss function")


def deserialize(config: Any, custom_objects: dict | None = None) -> Any:
    """The loss a ``serialize`` result (or a bare name) describes."""
    objects = {**ALL_OBJECTS_DICT, **custom_objects_in_scope(custom_objects)}
    if isinstance(config, str):
        return _lookup(config, objects)
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not interpret loss config: {config!r}")
    class_name, inner = config["class_name"], config.get("config") or {}
    if class_name == "function":
        return _lookup(inner if isinstance(inner, str) else config.get("registered_name"),
                       objects)
    cls = _lookup(class_name, objects)
    if not inspect.isclass(cls):
        return cls
    return cls.from_config(inner)


def _lookup(name: Any, objects: dict) -> Any:
    if name in objects:
        return objects[name]
    known = ", ".join(sorted(ALL_OBJECTS_DICT))
    raise ValueError(f"Could not interpret loss identifier: {name!r}. Known losses: {known}")


def get(identifier: Any) -> Any:
    """A loss function or ``Loss`` instance from ``identifier``: None, a name, a config dict,
    a function, a ``Loss`` class (instantiated with defaults) or instance."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = _lookup(identifier, ALL_OBJECTS_DICT)
    else:
        obj = identifier
    if inspect.isclass(obj):
        if not issubclass(obj, Loss) or obj in (Loss, LossFunctionWrapper):
            raise ValueError(f"Could not interpret loss identifier: {identifier!r} (a class "
                             "must be a concrete Loss subclass)")
        return obj()
    if callable(obj):
        return obj
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}. Known losses: "
                     + ", ".join(sorted(ALL_OBJECTS_DICT)))


__all__ = [
    "ALL_OBJECTS", "ALL_OBJECTS_DICT", "BinaryCrossentropy", "CategoricalCrossentropy", "Huber",
    "Loss", "LossFunctionWrapper", "MAE", "MSE", "MeanAbsoluteError", "MeanSquaredError",
    "SparseCategoricalCrossentropy", "binary_crossentropy", "categorical_crossentropy",
    "deserialize", "get", "huber", "loss_function", "mae", "mean_absolute_error",
    "mean_squared_error", "mse", "reduce_values", "reduce_weighted_values", "serialize",
    "sparse_categorical_crossentropy", "standardize_reduction",
]
