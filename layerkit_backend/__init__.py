"""Backends that run layerkit programs, and the registry that picks one.

Two backends ship: ``jax`` (XLA on CPU or GPU; the default) and ``numpy`` (the reference). The
active backend comes from, first match wins:

1. ``set_backend(name)``;
2. the ``LAYERKIT_BACKEND`` environment variable;
3. the config file ``~/.layerkit/layerkit.json`` -- ``{"backend": "numpy"}`` -- (the directory
   is ``$LAYERKIT_HOME`` when that is set), as Keras reads ``~/.keras/keras.json``;
4. the default, ``jax``; when jax cannot be imported, ``numpy``, with a one-line notice on
   stderr.

A name chosen explicitly (1-3) that cannot be imported is an error, not a silent fallback.
Backends are imported only when first used. ``python -m layerkit_backend`` shows which backend
is active and why.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path

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
    "backend_choice",
    "config_path",
    "get_backend",
    "set_backend",
]

_MODULES = {"numpy": "layerkit_backend.numpy", "jax": "layerkit_backend.jax"}
_DEFAULT = "jax"
_FALLBACK = "numpy"
_loaded: dict[str, Backend] = {}
_active: str | None = None
_chosen_by: str = ""


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
    global _active, _chosen_by
    chosen = get_backend(name)
    _active, _chosen_by = name, "set_backend()"
    return chosen


def backend() -> Backend:
    """The active backend (chosen on first call; see the module docstring)."""
    global _active, _chosen_by
    if _active is None:
        name, how = _choose()
        if how == "default":
            try:
                get_backend(name)
            except Exception as error:  # noqa: BLE001  (any import failure: the notice shows it)
                reason = (str(error).splitlines() or [type(error).__name__])[0]
                print(f"layerkit: the {name} backend is unavailable ({reason}); using the "
                      f"{_FALLBACK} backend", file=sys.stderr)
                name, how = _FALLBACK, f"default ({_DEFAULT} unavailable)"
        chosen = get_backend(name)
        _active, _chosen_by = name, how
        return chosen
    return get_backend(_active)


def backend_choice() -> tuple[str, str]:
    """The active backend's name and how it was chosen (``set_backend()``, the environment
    variable, the config file, or the default)."""
    current = backend()
    return current.name, _chosen_by


def config_path() -> Path:
    """Where the config file is read from: ``$LAYERKIT_HOME/layerkit.json``, by default
    ``~/.layerkit/layerkit.json``."""
    home = os.environ.get("LAYERKIT_HOME") or os.path.join(os.path.expanduser("~"), ".layerkit")
    return Path(home) / "layerkit.json"


def _choose() -> tuple[str, str]:
    """The backend name the environment, config file or default ask for, and which did."""
    env = os.environ.get("LAYERKIT_BACKEND", "").strip().lower()
    if env:
        _check_name(env, f"LAYERKIT_BACKEND={env!r}")
        return env, "LAYERKIT_BACKEND environment variable"
    path = config_path()
    configured = _read_config(path)
    if configured:
        _check_name(configured, f"{path}: backend {configured!r}")
        return configured, f"config file {path}"
    return _DEFAULT, "default"


def _read_config(path: Path) -> str:
    """The ``backend`` a config file names ('' when there is no file or it names none)."""
    try:
        text = path.read_text()
    except OSError:
        return ""
    try:
        config = json.loads(text)
    except ValueError as error:
        raise ValueError(f"{path} is not valid JSON: {error}") from None
    name = config.get("backend", "") if isinstance(config, dict) else ""
    if not isinstance(name, str):
        raise ValueError(f"{path}: 'backend' must be a string, got {name!r}")
    return name.strip().lower()


def _check_name(name: str, source: str) -> None:
    if name not in _MODULES:
        raise ValueError(
            f"{source} is not a backend; choose one of {', '.join(available_backends())}."
        )
