"""How error messages quote values: a value may be a whole array, or a 20 MB name read from a
damaged or hostile file, so it is cut to a readable length."""

from __future__ import annotations

from typing import Any

REPR_LIMIT = 80  # characters of a quoted value


# The keys of a serialized object that say what it is, quoted before the rest.
_IDENTIFYING_KEYS = ("class_name", "registered_name", "config")


def short_repr(value: Any, limit: int = REPR_LIMIT) -> str:
    """``repr(value)``, cut to ``limit`` characters (ending in ``...`` when cut). A config dict
    (``{"module", "class_name", "config", ...}``) shows its class and name first, so the cut
    keeps what identifies it."""
    if isinstance(value, dict) and "class_name" in value:
        first = {k: value[k] for k in _IDENTIFYING_KEYS if k in value}
        value = {**first, **{k: v for k, v in value.items() if k not in first}}
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."
