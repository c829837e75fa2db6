"""Backends that run layerkit programs, and the registry that picks one.

The active backend comes from, in order: ``set_backend(name)``, the ``LAYERKIT_BACKEND``
environment variable, then the default (``numpy``). Backends are imported only when first used.
"""

from __future__ import annotations

import importlib
import os

from layerkit_backend.base import Backend, CompiledProgram
from layerkit_backend.ir import Function, Node, ProgramSpec

__all__ = [
    "Backend",
    "CompiledProgram",
    "Function",
    "Node",
    "ProgramSpec",
    "available_backends",
    "backend",
    "get_backend",
    "set_backend",
]

_MODULES = {"numpy": "layerkit_backend.numpy"}
_DEFAULT = "numpy"
_loaded: dict[str, Backend] = {}
_active: str | None = None


def available_backends() -> tuple[str, ...]:
    """The names ``set_backend`` accepts."""
    return tuple(_MODULES)


def get_backend(name: str) -> Backend:
    """The backend called ``name``, imported on first use."""
    if name not in _MODULES:
        raise ValueError(
            f"Unknown backend {name!r}; available backends: {', '.join(available_backends())}."
        )
    if name not in _loaded:
        _loaded[name] = importlib.import_module(_MODULES[name]).BACKEND
    return _loaded[name]


def set_backend(name: str) -> Backend:
    """Make ``name`` the active backend for programs compiled from now on."""
    global _active
    chosen = get_backend(name)
    _active = name
    return chosen


def backend() -> Backend:
    """The active backend."""
    global _active
    if _active is None:
        _active = os.environ.get("LAYERKIT_BACKEND", _DEFAULT).strip().lower() or _DEFAULT
        if _active not in _MODULES:
            bad, _active = _active, None
            raise ValueError(
                f"LAYERKIT_BACKEND={bad!r} is not a backend; "
                f"choose one of {', '.join(available_backends())}."
            )
    return get_backend(_active)
