"""Keras 3 style configs: objects looked up by class name (initializers, regularizers), dtype
policies, and the check that arguments for features layerkit lacks hold Keras's defaults.

Only classes in the given registry, or passed in ``custom_objects``, are ever instantiated: a
config names a class, it never makes us import or run anything.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from layerkit.utils.object_registration import custom_objects_in_scope


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
    cls = custom_objects_in_scope(custom_objects).get(name) or registry.get(name)
    if cls is None:
        raise unknown(name)
    return cls.from_config(dict(config.get("config") or {}))


def function_from_config(spec: Any, functions: Mapping[str, Callable], owner: str) -> Any:
    """The function a wrapper's config names in ``fn``: a name (or Keras 3's
    ``{"class_name": "function", "config": name}``) looked up in ``functions``; anything else
    is returned as it is (already a function)."""
    if isinstance(spec, dict) and spec.get("class_name") == "function":
        spec = spec.get("config")
    if not isinstance(spec, str):
        return spec
    if spec not in functions:
        raise ValueError(f"Unknown function {spec!r} in the config of {owner}")
    return functions[spec]


# -- dtype policies (Keras 3 writes a layer's dtype as a DTypePolicy config) ------------------
# The classes of plain (single-dtype) policies: Keras 3's, its older alias, tf.keras's.
_PLAIN_POLICY_CLASSES = ("DTypePolicy", "FloatDTypePolicy", "Policy")


def dtype_policy_name(dtype: Any, owner: str) -> Any:
    """The dtype a ``dtype`` argument names: None, a dtype (string, numpy), or a Keras dtype
    policy config ``{"class_name": "DTypePolicy", "config": {"name": "float32"}, ...}``.
    Mixed-precision and quantized policies are a NotImplementedError naming ``owner``."""
    if isinstance(dtype, dict):
        name = dtype.get("class_name")
        config = dtype.get("config")
        if name not in _PLAIN_POLICY_CLASSES:
            raise NotImplementedError(f"{owner}: dtype policy {name!r} is not supported (only "
                                      "plain DTypePolicy configs)")
        if not isinstance(config, dict) or not isinstance(config.get("name"), str):
            raise ValueError(f"{owner}: a DTypePolicy config needs config.name, got {dtype!r}")
        dtype = config["name"]
    if isinstance(dtype, str) and dtype.startswith("mixed_"):
        raise NotImplementedError(f"{owner}: dtype policy {dtype!r} (mixed precision) is not "
                                  "supported; layerkit computes in one dtype per layer")
    if isinstance(dtype, str) and "_from_" in dtype:  # Keras's quantized "int8_from_float32"
        raise NotImplementedError(f"{owner}: dtype policy {dtype!r} (quantization) is not "
                                  "supported")
    return dtype


def serialize_dtype_policy(name: str) -> dict[str, Any]:
    """A plain dtype as Keras 3 writes a layer's ``dtype``: a ``DTypePolicy`` config."""
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": name},
            "registered_name": None}


# -- arguments layerkit accepts only at Keras's default -----------------------------------
def check_unsupported(owner: str, arguments: Mapping[str, tuple[Any, Any]]) -> None:
    """``arguments`` maps an argument name to ``(value, default)``: each must hold its Keras
    default (features layerkit does not implement), else a NotImplementedError naming
    ``owner`` and the arguments."""
    refused = [f"{name}={value!r}" for name, (value, default) in arguments.items()
               if not _same(value, default)]
    if refused:
        raise NotImplementedError(f"{owner}: {', '.join(refused)} is not supported by layerkit "
                                  "(only Keras's default)")


def _same(value: Any, default: Any) -> bool:
    if value is None or default is None:
        return value is default
    return bool(value == default)


def get_object(identifier: Any, deserialize: Callable[[Any], Any],
               unknown: Callable[[Any], Exception]) -> Any:
    """What ``initializers.get`` and ``regularizers.get`` return: None for None, a name or
    config dict deserialized, a class instantiated with its defaults, an instance or other
    callable as is; anything else raises ``unknown(identifier)``."""
    if identifier is None:
        return None
    if isinstance(identifier, str | dict):
        return deserialize(identifier)
    if inspect.isclass(identifier):
        return identifier()
    if callable(identifier):
        return identifier
    raise unknown(identifier)
