"""Which user classes and functions a config may name: ``custom_objects``.

A config is only ever resolved against the built-in registries and the custom objects in play:
those passed to the loading function, those of enclosing ``custom_object_scope`` blocks, and
those added to ``get_custom_objects()``. The loading functions open a scope for the objects
they are given, so the layers of a nested model and the activations or initializers named in a
layer's config find them too.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["CustomObjectScope", "custom_object_scope", "custom_objects_in_scope",
           "get_custom_objects"]

_GLOBAL_CUSTOM_OBJECTS: dict[str, Any] = {}
_local = threading.local()


def get_custom_objects() -> dict[str, Any]:
    """The process-wide custom objects (a dict you may add to, as in Keras)."""
    return _GLOBAL_CUSTOM_OBJECTS


def _stack() -> list[dict[str, Any]]:
    if not hasattr(_local, "stack"):
        _local.stack = []
    return _local.stack


@contextlib.contextmanager
def custom_object_scope(*objects: Mapping[str, Any] | None) -> Iterator[None]:
    """Within the block, configs may name the given classes and functions."""
    merged: dict[str, Any] = {}
    for mapping in objects:
        merged.update(mapping or {})
    _stack().append(merged)
    try:
        yield
    finally:
        _stack().pop()


CustomObjectScope = custom_object_scope  # Keras's other name for it


def custom_objects_in_scope(extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Every custom object in play: global ones, then enclosing scopes (innermost last), then
    ``extra``; later ones win."""
    result = dict(_GLOBAL_CUSTOM_OBJECTS)
    for scope in _stack():
        result.update(scope)
    result.update(extra or {})
    return result
