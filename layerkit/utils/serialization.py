"""Keras 3 style configs for objects looked up by class name (initializers, regularizers).

Only classes in the given registry, or passed in ``custom_objects``, are ever instantiated: a
config names a class, it never makes us import or run anything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def serialize_object(obj: Any, base: type, registry: Mapping[str, type],
                     module: str) -> dict[str, Any] | None:
    """``{"module", "class_name", "config", "registered_name"}`` for ``obj`` (None for None,
    as Keras stores an absent initializer or regularizer)."""
    if obj is None:
        return None
    if not isinstance(obj, base):
        raise ValueError(f"Cannot serialize {obj!r}: not a {base.__name__}")
    cls = type(obj)
    builtin = registry.get(cls.__name__) is cls
    return {"module": module if builtin else cls.__module__,
            "class_name": cls.__name__,
            "config": obj.get_config(),
            "registered_name": None if builtin else cls.__name__}


def deserialize_object(config: Any, registry: Mapping[str, type],
                       custom_objects: Mapping[str, type] | None,
                       unknown: Callable[[Any], Exception]) -> Any:
    """An object from a class name or a ``{"class_name": ..., "config": {...}}`` dict (Keras 3,
    or Keras 2's form without ``module``); ``unknown(identifier)`` makes the error for anything
    else."""
    if config is None:
        return None
    if isinstance(config, str):
        config = {"class_name": config, "config": {}}
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise unknown(config)
    name = config["class_name"]
    cls = (custom_objects or {}).get(name) or registry.get(name)
    if cls is None:
        raise unknown(name)
    return cls.from_config(dict(config.get("config") or {}))
