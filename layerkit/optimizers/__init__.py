"""Keras 3 optimizers (``keras.optimizers``) whose updates are graph ops.

``get("adam")``, ``get(Adam(...))`` or ``get({"class_name": "Adam", "config": {...}})`` give an
optimizer; ``serialize``/``deserialize`` convert to and from Keras's config dicts.
"""

from __future__ import annotations

from typing import Any

from layerkit.optimizers import schedules
from layerkit.optimizers.adadelta import Adadelta
from layerkit.optimizers.adagrad import Adagrad
from layerkit.optimizers.adam import Adam, AdamW
from layerkit.optimizers.base import Optimizer
from layerkit.optimizers.rmsprop import RMSprop
from layerkit.optimizers.sgd import SGD
from layerkit.utils.object_registration import custom_objects_in_scope

__all__ = [
    "SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "deserialize", "get",
    "schedules", "serialize",
]

ALL_OBJECTS = (SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta)
ALL_OBJECTS_DICT = {cls.__name__.lower(): cls for cls in ALL_OBJECTS}


def serialize(optimizer: Optimizer) -> dict[str, Any]:
    """The optimizer as a Keras 3 config dict (``module``, ``class_name``, ``config``)."""
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"Expected an Optimizer, got {optimizer!r}")
    return {"module": "keras.optimizers", "class_name": type(optimizer).__name__,
            "config": optimizer.get_config(), "registered_name": None}


def deserialize(config: dict[str, Any], custom_objects: dict[str, Any] | None = None
                ) -> Optimizer:
    """An optimizer from ``serialize``'s output (or Keras 2's ``{class_name, config}``); the
    built-in class names match case-insensitively."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"An optimizer config is a dict with 'class_name' and 'config', got "
                         f"{config!r}")
    name = config["class_name"]
    custom_objects = custom_objects_in_scope(custom_objects)
    cls = custom_objects.get(name) or (
        ALL_OBJECTS_DICT.get(name.lower()) if isinstance(name, str) else None)
    if cls is None:
        known = sorted({*ALL_OBJECTS_DICT, *custom_objects})
        raise ValueError(f"Unknown optimizer: {name!r}. Known optimizers: {', '.join(known)}")
    return cls.from_config(dict(config.get("config") or {}), custom_objects=custom_objects)


def get(identifier: Any) -> Optimizer | None:
    """An optimizer from a name (``"adam"``, case-insensitive), a config dict or an instance
    (returned as is); ``None`` gives ``None``."""
    if identifier is None:
        return None
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return deserialize({"class_name": identifier, "config": {}})
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}")
